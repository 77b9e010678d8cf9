/*
 * server.h: what one running nusimd holds (the loop, the database, the
 * master key, the CoAP endpoint, the DM engine, the registration interface,
 * the REST API, the settings), and the entry points main.c and the
 * subcommands use.
 */
#ifndef SERVER_SERVER_H
#define SERVER_SERVER_H

#include <stddef.h>
#include "server/config.h"
#include "server/loop.h"
#include "server/coap_endpoint.h"
#include "server/registration.h"
#include "server/psk.h"
#include "server/dm.h"
#include "server/events.h"
#include "server/switch.h"
#include "api/api.h"
#include "db/db.h"
#include "crypto/seal.h"

typedef struct server {
	server_config cfg;
	int argc;               /* the command line, re-read on SIGHUP */
	char **argv;
	int argfrom;
	loop *loop;
	db *db;
	seal_key *key;
	psk_ctx psk;
	coap_ep *coap;
	dm *dm;
	registration *reg;
	api *api;
	evbus *bus;             /* registration and job events */
	sw *sw;                 /* the carrier-switch engine */
	struct campaigns *camp; /* the campaign engine (server/campaign.h) */
	int sig_fd;
	char http_bound[CONFIG_ADDR_MAX];
} server;

/* Opens the master key under DESIGN §6 / the start-up rules: the explicit
 * key file, else NUSIMD_MASTER_KEY, else "<db>.key", created (with the
 * check value stored in the database) only for a new database. Fails with
 * a clear err when the key is missing, unreadable, or not the one the
 * database was created with. *out is the caller's (seal_key_free). */
int server_master_key(db *d, const server_config *c, seal_key **out,
                      char *err, size_t errlen);

/* Runs the daemon until SIGTERM/SIGINT; returns the process exit code.
 * argv[from..] is kept for SIGHUP reloads. */
int server_run(const server_config *cfg, int argc, char **argv, int from);

/* The whole command line of nusimd: subcommands, flags, --help. */
int nusimd_main(int argc, char **argv);

#endif
