/*
 * config.h: what one simulated device is told on the command line (or by
 * fleet mode, per device). Plain data shared by main.c, device.c, fleet.c.
 */
#ifndef CLIENT_CONFIG_H
#define CLIENT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "client/nusim.h"

struct carrier_map;
struct pkg_sim;

#define CLIENT_MAX_PSK_KEY 64

typedef struct {
	const char *server_uri;     /* coap://HOST:PORT or coaps://HOST:PORT */
	const char *endpoint;
	const char *psk_identity;   /* NULL for NoSec */
	uint8_t psk_key[CLIENT_MAX_PSK_KEY];
	size_t psk_key_len;
	const char *bind_addr;      /* source address, NULL = any */
	int lifetime;               /* seconds */
	int update_interval;        /* seconds; 0 = lifetime / 2 */
	int queue;                  /* queue mode */
	int awake;                  /* queue mode: sleep after S idle seconds */
	int wake_every;             /* queue mode: wake every S; 0 = lifetime/2 */
	const char *lwm2m_version;  /* "1.0", "1.1", "1.2" */
	const char *iccid;          /* NULL = derived from the endpoint */
	const char *eid;            /* NULL = derived from the endpoint */
	const char *nusim_dir;      /* nuSIM key/cert of `nusimd pki device` */
	/* Fleet mode makes each device's nuSIM in memory (--pki-dir): the
	 * device takes `sim` over and copies the certificate. */
	struct pkg_sim *sim;
	const uint8_t *cert_der;
	size_t cert_len;
	int no_cert_resource;       /* hide 508/3 (optional in the object) */
	struct carrier_map *carriers; /* shared, may be NULL (carrier.h) */
	const char *home_carrier;   /* carrier of the initial profile */
	unsigned slot;              /* which address of a carrier's range */
	int attach_timeout;         /* seconds to attach on a new carrier */
	nusim_fault fault;          /* --fault */
	const char *state_file;     /* --state-file, NULL = none */
	int control;                /* the stdin line protocol drives sleep */
	int quiet_requests;         /* log served requests at debug (fleets) */
} device_cfg;

/* Fills the defaults: lifetime 300 s, LwM2M 1.1, awake 10 s. */
void device_cfg_defaults(device_cfg *c);
/* Parses hex into c->psk_key; -1 if not an even number of hex digits or
 * longer than CLIENT_MAX_PSK_KEY bytes. */
int device_cfg_set_key_hex(device_cfg *c, const char *hex);

#endif
