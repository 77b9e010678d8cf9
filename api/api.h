/*
 * api.h: the operator REST API (/api/v1) on libmicrohttpd in external-epoll
 * mode, driven by the server's loop (DESIGN §3, §9).
 */
#ifndef API_API_H
#define API_API_H

#include <stddef.h>
#include "server/loop.h"
#include "server/dm.h"
#include "db/db.h"
#include "crypto/seal.h"

typedef struct api api;

typedef struct {
	const char *listen;        /* "HOST:PORT"; port 0 picks a free port */
	size_t max_body;           /* largest request body accepted, bytes */
	int default_timeout_ms;    /* how long a call waits for a device by default */
	int max_timeout_ms;        /* the largest ?timeout= accepted */
} api_config;

/* Binds, adds the daemon to the loop, and writes the bound "HOST:PORT" into
 * `bound`. NULL on failure with the reason in err. */
api *api_start(loop *l, db *d, dm *e, const seal_key *k, const api_config *cfg,
               char *bound, size_t boundlen, char *err, size_t errlen);
/* Hands the campaign engine (server/campaign.h) to the campaign routes;
 * until then they answer 503. */
struct campaigns;
void api_set_campaigns(api *a, struct campaigns *c);

/* Hands the switch engine and the event bus to the profile, switch, job
 * and /events routes; until then they answer 503. */
struct sw;
struct evbus;
void api_set_switch(api *a, struct sw *s, struct evbus *bus);

/* Added (SIGHUP reload): new body limit and timeouts for calls that
 * arrive from now on (the listen address stays). */
void api_set_limits(api *a, const api_config *cfg);

/* Resumes and answers every suspended call (503), then stops the daemon. */
void api_stop(api *a);

#endif
