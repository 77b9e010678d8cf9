/*
 * dm_int.h: what the DM engine's files (dm.c, dm_op.c, dm_send.c,
 * dm_reply.c, observe.c) share and nobody else sees: the engine struct, the
 * per-device state, the in-flight request, the op table.
 */
#ifndef SERVER_DM_INT_H
#define SERVER_DM_INT_H

#include <coap3/coap.h>

#include "server/dm_engine.h"
#include "server/dm_map.h"

#define DM_TOKEN_LEN 8
#define DM_MAX_QUERY 1024    /* Write-Attributes query, whole */
#define DM_RETIRED 4         /* tokens remembered per device, see dm_dev */

/* ---- the op table (dm_op.c) ----------------------------------------- */

enum { DM_PAY_NONE = 0, DM_PAY_OPTIONAL, DM_PAY_REQUIRED };

typedef struct {
	dm_op op;
	const char *name;
	coap_pdu_code_t method;
	uint8_t min_depth, max_depth; /* allowed path lengths */
	uint8_t payload;              /* DM_PAY_* */
	uint8_t needs_query;          /* Write-Attributes */
	int8_t observe;               /* -1: no Observe option, else its value */
	int16_t accept;               /* forced Accept, -1 = caller's choice */
	uint8_t idempotent;           /* may be re-sent when a device vanished */
} dm_op_def;

const dm_op_def *dm_op_find(int op);
/* Checks a request against the op table; NULL if fine, else the reason. */
const char *dm_op_check(const dm_request *req);

/* ---- engine state ----------------------------------------------------- */

typedef struct dm_req dm_req;

/* A device the engine can reach now, or has a request in flight for.
 * Devices it knows nothing live about have no entry (they may be millions). */
typedef struct dm_dev {
	dm *e;
	char ep[DB_MAX_EP + 1];
	coap_session_t *s;       /* referenced by us; NULL when unreachable */
	int awake;               /* requests may be sent now */
	int queue_mode;
	int64_t awake_until;     /* queue mode: monotonic ms */
	loop_timer *sleep_timer;
	dm_req *inflight;        /* at most one (NSTART = 1, NOTES §1.5) */
	int pumping;             /* re-entrancy guard of dm_pump */
	int hold;                /* > 0: someone up the stack uses it, keep it */
	/* App tokens of requests that ended without an answer: a late NACK
	 * carrying one of them must not hit the next request. */
	uint8_t retired[DM_RETIRED][DM_TOKEN_LEN];
	unsigned nretired;
} dm_dev;

struct dm_req {
	dm *e;
	int64_t id;
	int op;
	uint8_t token[DM_TOKEN_LEN];
	char ep[DB_MAX_EP + 1];
	char path[DB_MAX_PATH];
	int64_t sent_at;         /* wall seconds */
	dm_dev *dev;
	coap_session_t *s;       /* sent on (the device holds the reference) */
	loop_timer *deadline;
	int64_t obs_id;          /* Cancel: the observation it ends, 0 if none */
};

/* An attached callback, by request ID. */
typedef struct {
	dm_result_cb cb;
	void *arg;
	int64_t expires_at;      /* wall seconds, when the queue TTL runs out */
} dm_waiter;

/* A result waiting to be delivered from a zero-delay timer, so callbacks
 * never run inside the engine's (or libcoap's) own call stack. */
typedef struct dm_done {
	struct dm_done *next;
	dm_result r;
	uint8_t *payload;
	char error[128];
} dm_done;

/* A live observation, by token. */
typedef struct {
	int64_t id;              /* db_observation id */
	char ep[DB_MAX_EP + 1];
	char path[DB_MAX_PATH];
} dm_obs;

struct dm {
	loop *l;
	db *d;
	coap_context_t *ctx;
	dm_config cfg;
	dm_map devs;             /* endpoint -> dm_dev */
	dm_map sessions;         /* coap_session_t* -> dm_dev */
	dm_map inflight;         /* token -> dm_req */
	dm_map waiters;          /* int64 id -> dm_waiter */
	dm_map obs;              /* token -> dm_obs */
	dm_done *done_head, *done_tail;
	loop_timer *flush_timer;
	loop_timer *expire_timer;
	int closing;
	dm_stats st;
	dm_notify_cb notify_cb;
	void *notify_arg;
};

/* dm.c */
dm_dev *dm_dev_get(dm *e, const char *ep);
void dm_pump(dm *e, const char *ep);
void dm_finish(dm *e, dm_req *rq, int state, int code, int fmt,
               const uint8_t *payload, size_t len, const char *error);
void dm_deliver(dm *e, int64_t id, int state, int code, int fmt,
                const uint8_t *payload, size_t len, const char *error);
int64_t dm_wall(void);
/* Ends a stored request that never made it to the wire. */
void dm_end_stored(dm *e, db_request *r, int state, const char *error);
void dm_dev_maybe_drop(dm *e, dm_dev *dev);

/* dm_send.c: builds the PDU of stored request r and sends it on dev's
 * session. 0 on the wire (rq filled and in e->inflight), -1 if the request
 * itself is bad (it was failed), -2 if the session refused it (the request
 * is back in the queue, the caller treats the device as unreachable). */
int dm_send(dm *e, dm_dev *dev, db_request *r);
int dm_new_token(dm *e, uint8_t tok[DM_TOKEN_LEN]);

/* observe.c */
void dm_obs_started(dm *e, dm_req *rq, const coap_pdu_t *rcvd, int fmt,
                    const uint8_t *payload, size_t len);
void dm_obs_ended(dm *e, const uint8_t *tok, size_t toklen, int64_t id);
/* A notification (or a final answer) for a live observation. */
coap_response_t dm_obs_notification(dm *e, dm_obs *o, const coap_pdu_t *rcvd);
/* Cancel: the token of the active observation on (ep, path), if any. */
int dm_obs_token_for(dm *e, const char *ep, const char *path,
                     uint8_t tok[DM_TOKEN_LEN], int64_t *obs_id);
int dm_obs_reload(dm *e);
void dm_obs_forget(dm *e, const char *ep);
void dm_obs_free_all(dm *e);

/* dm_reply.c helpers */
int dm_pdu_format(const coap_pdu_t *pdu);
int dm_pdu_code(const coap_pdu_t *pdu);
int dm_pdu_has_observe(const coap_pdu_t *pdu);

#endif
