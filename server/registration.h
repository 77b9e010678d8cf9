/*
 * registration.h: the LwM2M registration interface (DESIGN §4): Register
 * (POST /rd), Update (POST /rd/<id>), De-register (DELETE /rd/<id>) and
 * lifetime expiry, with the PSK identity bound to the endpoint name.
 */
#ifndef SERVER_REGISTRATION_H
#define SERVER_REGISTRATION_H

#include <coap3/coap.h>
#include <stddef.h>
#include <stdint.h>
#include "server/loop.h"
#include "server/dm.h"
#include "server/events.h"
#include "db/db.h"

typedef struct registration registration;

typedef struct {
	loop *l;
	db *db;
	dm *dm;                      /* told when devices come and go */
	coap_context_t *ctx;         /* the resources are added here */
	int allow_nosec;             /* accept Register over plain UDP */
	int64_t expiry_interval_ms;  /* how often expired ones are removed */
	evbus *bus;                  /* told of every Register, Update,
	                              * De-register and expiry; may be NULL */
	int64_t write_batch_ms;      /* group commit of registration writes:
	                              * flushed at most this late; 0 = each
	                              * write commits on its own */
} reg_config;

/* Adds the rd resources to ctx and starts the expiry timer. */
registration *reg_new(const reg_config *cfg, char *err, size_t errlen);
/* Stops the timer and drops pending work; the resources go with the
 * libcoap context. */
void reg_free(registration *r);
/* A libcoap session ended: forget what was cached for it. */
void reg_session_gone(void *r, coap_session_t *s);
/* Added (SIGHUP reload): a new group-commit window for registration
 * writes; 0 makes each write commit on its own (what is pending commits
 * now). */
void reg_set_write_batch(registration *r, int64_t ms);
/* Removes the registrations whose lifetime ran out; returns how many. */
int reg_expire_now(registration *r);

#endif
