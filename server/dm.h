/*
 * dm.h: the device-management request engine (DESIGN §4).
 *
 * Every LwM2M operation the server sends a device goes through dm_submit.
 * A request is stored (db_request) before it is sent, gets 8 random token
 * bytes, its own deadline, and exactly one result. A device that cannot be
 * reached now (queue mode asleep, no live CoAP session, e.g. after a restart
 * of nusimd) gets its requests queued in the database; they are sent, one at
 * a time per device, after its next Register or Update, while it is awake,
 * unless their time to live runs out first.
 *
 * The result callback fires exactly once per attached request, on the loop
 * thread, when the request ends (answered, failed, expired, cancelled),
 * unless the caller detached it first (dm_detach), e.g. because its HTTP
 * client stopped waiting. The request itself goes on either way, and its
 * outcome is in the database (GET /api/v1/requests/{id}).
 */
#ifndef SERVER_DM_H
#define SERVER_DM_H

#include <stddef.h>
#include <stdint.h>
#include "lwm2m/lwm2m.h"

typedef enum {
	DM_READ = 1,
	DM_DISCOVER,
	DM_WRITE,            /* replace (PUT) */
	DM_WRITE_PARTIAL,    /* partial update (POST on an instance) */
	DM_WRITE_ATTRIBUTES, /* PUT with query, no payload */
	DM_EXECUTE,          /* POST on a resource, payload = arguments */
	DM_CREATE,           /* POST on an object */
	DM_DELETE,
	DM_OBSERVE,          /* GET Observe=0; notifications go to the database */
	DM_OBSERVE_CANCEL,
} dm_op;

const char *dm_op_name(int op);   /* "read", "discover", ... */

typedef struct {
	dm_op op;
	lwm2m_path path;
	lwm2m_format format;   /* content format of payload; LWM2M_CF_NONE if none */
	lwm2m_format accept;   /* wanted response format; LWM2M_CF_NONE = device's choice */
	const uint8_t *payload;/* copied by dm_submit; may be NULL */
	size_t len;
	const char *query;     /* Write-Attributes, e.g. "pmin=10&pmax=60" */
	int64_t ttl_s;         /* how long it may wait queued; 0 = the configured default */
	const char *origin;    /* who asked (token name), for the record; may be NULL */
} dm_request;

typedef struct {
	int64_t id;            /* request ID, as in GET /api/v1/requests/{id} */
	int state;             /* db_req_state (db/db.h) */
	int coap_code;         /* class*100 + detail, e.g. 205, 404; 0 if none */
	lwm2m_format format;   /* of payload; LWM2M_CF_NONE if none */
	const uint8_t *payload;/* valid during the callback only */
	size_t len;
	const char *error;     /* "" or why it failed: "timeout", "reset", ... */
} dm_result;

typedef void (*dm_result_cb)(void *arg, const dm_result *r);

typedef struct dm dm;

enum {
	DM_SUBMIT_SENT = 0,    /* on the wire now */
	DM_SUBMIT_QUEUED = 1,  /* waiting for the device to be reachable */
	DM_SUBMIT_NO_DEVICE = -1, /* endpoint not registered */
	DM_SUBMIT_BAD = -2,    /* bad request (payload too large, bad path for op) */
	DM_SUBMIT_ERROR = -3,  /* storage failure */
};

/* Submits `req` for endpoint `ep`. Returns a DM_SUBMIT_* code and, when >= 0,
 * sets *id. cb may be NULL (fire and forget). */
int dm_submit(dm *e, const char *ep, const dm_request *req,
              dm_result_cb cb, void *arg, int64_t *id);
/* The callback of request `id` will not fire. */
void dm_detach(dm *e, int64_t id);
/* Cancels a queued (not yet sent) request; 0 if it was cancelled. */
int dm_cancel(dm *e, int64_t id);

#endif
