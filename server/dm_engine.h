/*
 * dm_engine.h: how the rest of the server drives the DM engine (dm.h is
 * what callers of operations see; this is the wiring inside server/).
 *
 * The registration layer tells the engine when a device is reachable and on
 * which libcoap session; the CoAP endpoint forwards libcoap's response,
 * NACK and event callbacks to it. libcoap is touched from the loop thread
 * only (libcoap 4.3.1 is not thread-safe).
 */
#ifndef SERVER_DM_ENGINE_H
#define SERVER_DM_ENGINE_H

#include <coap3/coap.h>
#include "server/dm.h"
#include "server/loop.h"
#include "db/db.h"

typedef struct {
	int64_t request_timeout_ms;  /* deadline of one request on the wire */
	int64_t queue_ttl_s;         /* default time to live of a queued request */
	int64_t awake_ms;            /* queue mode: how long a device stays
	                                awake after its Register/Update */
	int64_t hold_ms;             /* binding U: how long the engine holds a
	                                device's session after its last
	                                exchange (then it is reached on its
	                                next Update); 0 = while registered */
} dm_config;

/* Creates the engine. It registers nothing with libcoap itself: the CoAP
 * endpoint forwards the callbacks below. */
dm *dm_new(loop *l, db *d, coap_context_t *ctx, const dm_config *cfg);
void dm_free(dm *e);

/* Start-up: requests left SENT by a previous run are queued again, and
 * observations are reloaded (their tokens stay valid: libcoap delivers
 * notifications with the old token on a new session). */
int dm_restore(dm *e);

/* The device `ep` is reachable on session `s` now (it just registered or
 * updated and the response went out). The engine takes its own reference on
 * the session, sends the device's queued requests one at a time, and, for a
 * queue-mode device, counts it asleep again `awake_ms` after the last
 * exchange. queue_mode = 0: reachable until dm_device_gone. */
void dm_device_awake(dm *e, const char *ep, coap_session_t *s, int queue_mode);
/* The device is no longer reachable (de-registered, expired, its session
 * ended, or it moved). In-flight requests fail or go back to the queue;
 * the engine drops its session reference. */
void dm_device_gone(dm *e, const char *ep);
/* A session ended (COAP_EVENT_SERVER_SESSION_DEL, DTLS closed or error):
 * every device on it is gone. */
void dm_session_gone(dm *e, coap_session_t *s);
/* Drops the device's queued and observation state for good (de-register). */
void dm_device_forget(dm *e, const char *ep);

/* Forwarded from the libcoap handlers registered by server/coap_endpoint.c. */
coap_response_t dm_on_response(dm *e, coap_session_t *s,
                               const coap_pdu_t *sent, const coap_pdu_t *rcvd,
                               const coap_mid_t mid);
void dm_on_nack(dm *e, coap_session_t *s, const coap_pdu_t *sent,
                coap_nack_reason_t reason, const coap_mid_t mid);

/* Counters for /metrics and tests. */
typedef struct {
	int64_t sent, answered, failed, queued_now, in_flight, notifications;
} dm_stats;
void dm_get_stats(dm *e, dm_stats *out);

/* Added (SIGHUP reload): new timeouts for requests submitted from now on
 * (request deadline, queue TTL) and for the next awake window; requests
 * already on the wire keep theirs. Fields <= 0 keep the current value. */
void dm_set_config(dm *e, const dm_config *cfg);

/* Optional (added): told about every notification of an observation after
 * it is stored, e.g. for the switch orchestrator (508/6) and /events.
 * coap_code is class*100 + detail; a non-2.xx code or active = 0 means the
 * observation ended. The payload is valid during the call only. */
typedef void (*dm_notify_cb)(void *arg, const char *ep, const char *path,
                             int coap_code, int active, lwm2m_format format,
                             const uint8_t *payload, size_t len);
void dm_set_notify_cb(dm *e, dm_notify_cb cb, void *arg);

#endif
