/*
 * dm.c: the core of the device-management engine (DESIGN §4): submission,
 * the per-device queue and its pump (one request in flight per device),
 * reachability (awake, asleep, gone), completion, result delivery, queue
 * expiry, restart and counters. PDUs are built in dm_send.c, answers and
 * NACKs matched in dm_reply.c, observations kept in observe.c.
 *
 * Every request is a db_request row first; the row's state is written
 * before anything goes on the wire, so a crash never loses or repeats one
 * silently (SENT rows are re-queued by dm_restore).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/dm_int.h"
#include "server/log.h"
#include "server/metrics.h"

#define EXPIRE_EVERY_MS 1000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_TTL_S 86400
#define DEFAULT_AWAKE_MS 93000   /* CoAP MAX_TRANSMIT_WAIT, as LwM2M suggests */
#define FORGET_BATCH 256

static void expire_cb(void *arg);

int64_t dm_wall(void)
{
	return loop_wall_s();
}

static void log_id(int level, const char *msg, const char *ep, int64_t id,
                   const char *k, const char *v)
{
	char ids[24];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	log_kv(level, msg, "ep", ep, "req", ids, k, v, NULL);
}

/* ---- devices ---------------------------------------------------------- */

dm_dev *dm_dev_get(dm *e, const char *ep)
{
	return dm_map_get(&e->devs, ep, strlen(ep));
}

static void dev_release_session(dm *e, dm_dev *dev)
{
	if (!dev->s)
		return;
	coap_session_t *s = dev->s;
	if (dm_map_get(&e->sessions, &s, sizeof s) == dev)
		dm_map_del(&e->sessions, &s, sizeof s);
	dev->s = NULL;
	dev->awake = 0;
	coap_session_release(s);
}

/* A device entry lives while it has a session or a request in flight. */
void dm_dev_maybe_drop(dm *e, dm_dev *dev)
{
	if (dev->s || dev->inflight || dev->hold || dev->pumping)
		return;
	if (dev->sleep_timer)
		loop_timer_cancel(e->l, dev->sleep_timer);
	dm_map_del(&e->devs, dev->ep, strlen(dev->ep));
	free(dev);
}

/* How long the device stays reachable after an exchange: the awake window
 * of queue mode, or the session hold of an always-on device (0 = no
 * limit). Past it the session is released: libcoap frees it once idle, and
 * the device is reached again on its next Register/Update. */
static int64_t window_ms(const dm *e, const dm_dev *dev)
{
	return dev->queue_mode ? e->cfg.awake_ms : e->cfg.hold_ms;
}

static void sleep_cb(void *arg)
{
	dm_dev *dev = arg;
	dm *e = dev->e;
	dev->sleep_timer = NULL;
	if (!window_ms(e, dev))
		return;
	int64_t left = dev->awake_until - loop_now_ms();
	if (left > 0) {
		dev->sleep_timer = loop_timer_add(e->l, left, sleep_cb, dev);
		return;
	}
	/* Asleep: keep the session only while an answer may still come. */
	dev->awake = 0;
	if (!dev->inflight) {
		dev_release_session(e, dev);
		dm_dev_maybe_drop(e, dev);
	}
}

static void dev_stay_awake(dm *e, dm_dev *dev)
{
	int64_t w = window_ms(e, dev);
	if (!w)
		return;
	dev->awake_until = loop_now_ms() + w;
	if (!dev->sleep_timer)
		dev->sleep_timer = loop_timer_add(e->l, w, sleep_cb, dev);
}

static void dev_retire_token(dm_dev *dev, const uint8_t tok[DM_TOKEN_LEN])
{
	memcpy(dev->retired[dev->nretired % DM_RETIRED], tok, DM_TOKEN_LEN);
	dev->nretired++;
}

/* The request in flight goes back to the queue, without a result. */
static void requeue(dm *e, dm_req *rq)
{
	db_request u = { .id = rq->id, .state = DB_REQ_QUEUED,
	                 .resp_format = -1 };
	if (db_request_update(e->d, &u) != DB_OK)
		log_id(NLOG_ERROR, "dm requeue failed", rq->ep, rq->id,
		       "err", db_errmsg(e->d));
	if (dm_map_get(&e->inflight, rq->token, DM_TOKEN_LEN) == rq)
		dm_map_del(&e->inflight, rq->token, DM_TOKEN_LEN);
	if (rq->deadline)
		loop_timer_cancel(e->l, rq->deadline);
	if (rq->dev) {
		if (rq->dev->inflight == rq)
			rq->dev->inflight = NULL;
		dev_retire_token(rq->dev, rq->token);
	}
	log_id(NLOG_INFO, "dm request requeued", rq->ep, rq->id, NULL, NULL);
	free(rq);
}

/* Unreachable now: what is in flight is re-queued when the op may be
 * repeated, else failed (an Execute must not run twice). */
static void dev_gone(dm *e, dm_dev *dev)
{
	dev->hold++;
	dev->awake = 0;
	if (dev->inflight) {
		dm_req *rq = dev->inflight;
		const dm_op_def *d = dm_op_find(rq->op);
		if (d && d->idempotent)
			requeue(e, rq);
		else
			dm_finish(e, rq, DB_REQ_FAILED, 0, -1, NULL, 0,
			          "not deliverable");
	}
	dev_release_session(e, dev);
	dev->hold--;
	dm_dev_maybe_drop(e, dev);
}

/* ---- results ---------------------------------------------------------- */

static void flush_cb(void *arg)
{
	dm *e = arg;
	e->flush_timer = NULL;
	while (e->done_head) {
		dm_done *d = e->done_head;
		e->done_head = d->next;
		if (!e->done_head)
			e->done_tail = NULL;
		/* Looked up now, so a dm_detach made since still counts. */
		dm_waiter *w = dm_map_del(&e->waiters, &d->r.id, sizeof d->r.id);
		if (w) {
			d->r.payload = d->payload;
			d->r.error = d->error;
			w->cb(w->arg, &d->r);
			free(w);
		}
		free(d->payload);
		free(d);
	}
}

/* Queues the result of request id for its waiter, if it has one. */
void dm_deliver(dm *e, int64_t id, int state, int code, int fmt,
                const uint8_t *payload, size_t len, const char *error)
{
	if (!dm_map_get(&e->waiters, &id, sizeof id))
		return;
	dm_done *d = calloc(1, sizeof *d);
	if (!d)
		goto oom;
	if (len) {
		d->payload = malloc(len);
		if (!d->payload)
			goto oom;
		memcpy(d->payload, payload, len);
	}
	d->r.id = id;
	d->r.state = state;
	d->r.coap_code = code;
	d->r.format = (lwm2m_format)fmt;
	d->r.len = len;
	snprintf(d->error, sizeof d->error, "%s", error ? error : "");
	if (e->done_tail)
		e->done_tail->next = d;
	else
		e->done_head = d;
	e->done_tail = d;
	if (!e->flush_timer && !e->closing)
		e->flush_timer = loop_timer_add(e->l, 0, flush_cb, e);
	return;
oom:
	/* The outcome is in the database either way. */
	if (d)
		free(d->payload);
	free(d);
	log_kv(NLOG_ERROR, "dm result lost: out of memory", NULL);
}

void dm_finish(dm *e, dm_req *rq, int state, int code, int fmt,
               const uint8_t *payload, size_t len, const char *error)
{
	if (dm_map_get(&e->inflight, rq->token, DM_TOKEN_LEN) == rq)
		dm_map_del(&e->inflight, rq->token, DM_TOKEN_LEN);
	if (rq->deadline) {
		loop_timer_cancel(e->l, rq->deadline);
		rq->deadline = NULL;
	}
	dm_dev *dev = rq->dev;
	if (dev && dev->inflight == rq)
		dev->inflight = NULL;
	if (dev && state != DB_REQ_DONE)
		dev_retire_token(dev, rq->token);

	db_request u = {
		.id = rq->id, .state = state, .sent_at = rq->sent_at,
		.done_at = dm_wall(), .coap_code = code, .resp_format = fmt,
		.resp = (uint8_t *)payload, .resp_len = len,
	};
	snprintf(u.error, sizeof u.error, "%s", error ? error : "");
	if (db_request_update(e->d, &u) != DB_OK)
		log_id(NLOG_ERROR, "dm request update failed", rq->ep, rq->id,
		       "err", db_errmsg(e->d));
	if (state == DB_REQ_DONE)
		e->st.answered++;
	else
		e->st.failed++;
	metrics_dm_request(dm_op_name(rq->op), db_req_state_name(state));
	log_id(state == DB_REQ_DONE ? NLOG_DEBUG : NLOG_INFO,
	       state == DB_REQ_DONE ? "dm request done" : "dm request failed",
	       rq->ep, rq->id, "error", error);
	dm_deliver(e, rq->id, state, code, fmt, payload, len, error);

	char ep[DB_MAX_EP + 1];
	snprintf(ep, sizeof ep, "%s", rq->ep);
	free(rq);
	if (!dev)
		return;
	dev->hold++;
	/* An answer shows the device is up: it stays reachable a window more. */
	if (state == DB_REQ_DONE && dev->s && window_ms(e, dev)) {
		dev->awake = 1;
		dev_stay_awake(e, dev);
	}
	if (!dev->awake)
		dev_release_session(e, dev);
	dev->hold--;
	dm_pump(e, ep);
	if ((dev = dm_dev_get(e, ep)))
		dm_dev_maybe_drop(e, dev);
}

void dm_end_stored(dm *e, db_request *r, int state, const char *error)
{
	r->state = state;
	r->done_at = dm_wall();
	snprintf(r->error, sizeof r->error, "%s", error ? error : "");
	if (db_request_update(e->d, r) != DB_OK)
		log_id(NLOG_ERROR, "dm request update failed", r->endpoint,
		       r->id, "err", db_errmsg(e->d));
	if (state == DB_REQ_FAILED)
		e->st.failed++;
	metrics_dm_request(dm_op_name(r->op), db_req_state_name(state));
	log_id(NLOG_INFO, "dm request ended", r->endpoint, r->id, "state",
	       db_req_state_name(state));
	dm_deliver(e, r->id, state, 0, -1, NULL, 0, error);
}

/* ---- the queue pump --------------------------------------------------- */

static int dev_sendable(dm_dev *dev)
{
	if (!dev->awake || dev->inflight || !dev->s)
		return 0;
	/* A closed DTLS session takes PDUs and never sends them (NOTES §1.3). */
	if (coap_session_get_state(dev->s) != COAP_SESSION_STATE_ESTABLISHED)
		return 0;
	if (window_ms(dev->e, dev) && loop_now_ms() >= dev->awake_until)
		return 0;
	return 1;
}

/* Sends the device's oldest queued request if it is awake and idle. */
void dm_pump(dm *e, const char *ep)
{
	dm_dev *dev = dm_dev_get(e, ep);
	if (!dev || dev->pumping)
		return;
	dev->pumping = 1;
	while (!e->closing && dev_sendable(dev)) {
		db_request *list = NULL;
		size_t n = 0;
		if (db_request_queued(e->d, dev->ep, 1, &list, &n) != DB_OK) {
			log_kv(NLOG_ERROR, "dm queue read failed", "ep", dev->ep,
			       "err", db_errmsg(e->d), NULL);
			break;
		}
		if (n == 0) {
			db_request_list_free(list, n);
			break;
		}
		int rc = 0;
		if (list[0].expires_at <= dm_wall())
			dm_end_stored(e, &list[0], DB_REQ_EXPIRED, "expired");
		else
			rc = dm_send(e, dev, &list[0]);
		db_request_list_free(list, n);
		if (rc == -2) {
			/* The session refused it: treat the device as asleep;
			 * its next Register or Update wakes it. */
			log_kv(NLOG_WARN, "dm send refused, device unreachable",
			       "ep", dev->ep, NULL);
			dev_release_session(e, dev);
			break;
		}
	}
	dev->pumping = 0;
	dm_dev_maybe_drop(e, dev);
}

/* ---- public API: dm.h ------------------------------------------------- */

int dm_submit(dm *e, const char *ep, const dm_request *req,
              dm_result_cb cb, void *arg, int64_t *id)
{
	if (!e || !ep || !req)
		return DM_SUBMIT_BAD;
	if (e->closing)
		return DM_SUBMIT_ERROR;
	size_t eplen = strnlen(ep, DB_MAX_EP + 1);
	if (eplen == 0 || eplen > DB_MAX_EP)
		return DM_SUBMIT_BAD;
	const char *why = dm_op_check(req);
	if (why) {
		log_kv(NLOG_INFO, "dm request rejected", "ep", ep, "op",
		       dm_op_name(req->op), "why", why, NULL);
		return DM_SUBMIT_BAD;
	}
	const dm_op_def *d = dm_op_find(req->op);

	db_registration reg;
	memset(&reg, 0, sizeof reg);
	db_rc rc = db_reg_get(e->d, ep, &reg);
	db_registration_clear(&reg);
	if (rc == DB_NOT_FOUND)
		return DM_SUBMIT_NO_DEVICE;
	if (rc != DB_OK)
		return DM_SUBMIT_ERROR;

	db_request r;
	memset(&r, 0, sizeof r);
	memcpy(r.endpoint, ep, eplen + 1);
	r.op = req->op;
	if (lwm2m_path_format(&req->path, r.path, sizeof r.path) < 0)
		return DM_SUBMIT_BAD;
	r.format = req->len && req->format != LWM2M_CF_NONE ? (int)req->format : -1;
	r.accept = d->accept >= 0 ? d->accept
	           : (req->accept != LWM2M_CF_NONE ? (int)req->accept : -1);
	r.payload = (uint8_t *)req->payload;   /* db copies it */
	r.payload_len = req->len;
	r.query = d->needs_query ? (char *)req->query : NULL;
	r.state = DB_REQ_QUEUED;
	r.created_at = dm_wall();
	r.expires_at = r.created_at + (req->ttl_s ? req->ttl_s : e->cfg.queue_ttl_s);
	r.resp_format = -1;
	if (req->origin)
		snprintf(r.origin, sizeof r.origin, "%s", req->origin);
	if (db_request_add(e->d, &r) != DB_OK) {
		log_kv(NLOG_ERROR, "dm request store failed", "ep", ep, "err",
		       db_errmsg(e->d), NULL);
		return DM_SUBMIT_ERROR;
	}
	if (cb) {
		dm_waiter *w = malloc(sizeof *w);
		if (!w || dm_map_put(&e->waiters, &r.id, sizeof r.id, w) < 0) {
			free(w);
			r.payload = NULL;
			r.payload_len = 0;
			r.query = NULL;
			dm_end_stored(e, &r, DB_REQ_CANCELLED, "out of memory");
			return DM_SUBMIT_ERROR;
		}
		*w = (dm_waiter){ cb, arg, r.expires_at };
	}
	if (id)
		*id = r.id;
	log_id(NLOG_DEBUG, "dm request stored", ep, r.id, "op", d->name);

	dm_pump(e, ep);
	dm_dev *dev = dm_dev_get(e, ep);
	return dev && dev->inflight && dev->inflight->id == r.id
	       ? DM_SUBMIT_SENT : DM_SUBMIT_QUEUED;
}

void dm_detach(dm *e, int64_t id)
{
	if (e)
		free(dm_map_del(&e->waiters, &id, sizeof id));
}

int dm_cancel(dm *e, int64_t id)
{
	if (!e)
		return -1;
	db_request r;
	memset(&r, 0, sizeof r);
	if (db_request_get(e->d, id, &r) != DB_OK)
		return -1;
	int rc = -1;
	if (r.state == DB_REQ_QUEUED) {
		dm_end_stored(e, &r, DB_REQ_CANCELLED, "cancelled");
		rc = 0;
	}
	db_request_clear(&r);
	return rc;
}

/* ---- public API: dm_engine.h ------------------------------------------ */

dm *dm_new(loop *l, db *d, coap_context_t *ctx, const dm_config *cfg)
{
	if (!l || !d)
		return NULL;
	dm *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->l = l;
	e->d = d;
	e->ctx = ctx;
	if (cfg)
		e->cfg = *cfg;
	if (e->cfg.request_timeout_ms <= 0)
		e->cfg.request_timeout_ms = DEFAULT_TIMEOUT_MS;
	if (e->cfg.queue_ttl_s <= 0)
		e->cfg.queue_ttl_s = DEFAULT_TTL_S;
	if (e->cfg.awake_ms <= 0)
		e->cfg.awake_ms = DEFAULT_AWAKE_MS;
	e->expire_timer = loop_timer_add(l, EXPIRE_EVERY_MS, expire_cb, e);
	return e;
}

static void free_dev(void *arg, const void *k, size_t kl, void *val)
{
	dm_dev *dev = val;
	dm *e = arg;
	if (dev->sleep_timer)
		loop_timer_cancel(e->l, dev->sleep_timer);
	if (dev->s)
		coap_session_release(dev->s);
	free(dev);
}

static void free_req(void *arg, const void *k, size_t kl, void *val)
{
	dm_req *rq = val;
	dm *e = arg;
	/* Left SENT in the database: dm_restore re-queues it next run. */
	if (rq->deadline)
		loop_timer_cancel(e->l, rq->deadline);
	free(rq);
}

static void free_val(void *arg, const void *k, size_t kl, void *val)
{
	free(val);
}

void dm_free(dm *e)
{
	if (!e)
		return;
	/* Results already decided are still owed to their callers. */
	if (e->flush_timer) {
		loop_timer_cancel(e->l, e->flush_timer);
		e->flush_timer = NULL;
	}
	e->closing = 1;
	flush_cb(e);
	if (e->expire_timer)
		loop_timer_cancel(e->l, e->expire_timer);
	dm_map_each(&e->inflight, free_req, e);
	dm_map_each(&e->devs, free_dev, e);
	dm_map_each(&e->waiters, free_val, e);
	dm_obs_free_all(e);
	dm_map_clear(&e->inflight);
	dm_map_clear(&e->devs);
	dm_map_clear(&e->sessions);
	dm_map_clear(&e->waiters);
	free(e);
}

int dm_restore(dm *e)
{
	int64_t n = 0;
	if (db_request_requeue_sent(e->d, &n) != DB_OK) {
		log_kv(NLOG_ERROR, "dm restore failed", "err", db_errmsg(e->d),
		       NULL);
		return -1;
	}
	char ns[24];
	snprintf(ns, sizeof ns, "%lld", (long long)n);
	log_kv(NLOG_INFO, "dm restored", "requeued", ns, NULL);
	return dm_obs_reload(e);
}

void dm_device_awake(dm *e, const char *ep, coap_session_t *s, int queue_mode)
{
	if (!e || !ep || !s || e->closing)
		return;
	size_t eplen = strnlen(ep, DB_MAX_EP + 1);
	if (eplen == 0 || eplen > DB_MAX_EP)
		return;
	dm_dev *dev = dm_dev_get(e, ep);
	if (!dev) {
		dev = calloc(1, sizeof *dev);
		if (!dev)
			return;
		dev->e = e;
		memcpy(dev->ep, ep, eplen + 1);
		if (dm_map_put(&e->devs, dev->ep, eplen, dev) < 0) {
			free(dev);
			return;
		}
	}
	dev->hold++;
	/* Another endpoint on this session: that device is no longer there
	 * (its address now belongs to this one). */
	dm_dev *other = dm_map_get(&e->sessions, &s, sizeof s);
	if (other && other != dev)
		dev_gone(e, other);
	if (dev->s != s) {
		dev_release_session(e, dev);
		coap_session_reference(s);
		/* Observations outlive this process: libcoap must not cancel
		 * them when the session is freed at a graceful stop. */
		coap_session_set_no_observe_cancel(s);
		dev->s = s;
		if (dm_map_put(&e->sessions, &s, sizeof s, dev) < 0)
			log_kv(NLOG_ERROR, "dm out of memory", NULL);
		/* A dead device NACKs after ~30 s instead of 62-93 s; the
		 * request deadline usually fires first. */
		coap_session_set_ack_timeout(s, (coap_fixed_point_t){ 2, 0 });
		coap_session_set_max_retransmit(s, 3);
	}
	dev->awake = 1;
	dev->queue_mode = queue_mode ? 1 : 0;
	dev_stay_awake(e, dev);
	dev->hold--;
	dm_pump(e, ep);
}

void dm_device_gone(dm *e, const char *ep)
{
	if (!e || !ep)
		return;
	dm_dev *dev = dm_dev_get(e, ep);
	if (dev)
		dev_gone(e, dev);
}

void dm_session_gone(dm *e, coap_session_t *s)
{
	if (!e || !s)
		return;
	dm_dev *dev = dm_map_get(&e->sessions, &s, sizeof s);
	if (dev)
		dev_gone(e, dev);
}

void dm_device_forget(dm *e, const char *ep)
{
	if (!e || !ep)
		return;
	dm_device_gone(e, ep);
	/* Cancel the queue in batches; stop if the database will not move. */
	for (;;) {
		db_request *list = NULL;
		size_t n = 0;
		if (db_request_queued(e->d, ep, FORGET_BATCH, &list, &n) != DB_OK)
			break;
		size_t ended = 0;
		for (size_t i = 0; i < n; i++) {
			list[i].state = DB_REQ_CANCELLED;
			list[i].done_at = dm_wall();
			snprintf(list[i].error, sizeof list[i].error,
			         "device de-registered");
			if (db_request_update(e->d, &list[i]) != DB_OK)
				continue;
			ended++;
			dm_deliver(e, list[i].id, DB_REQ_CANCELLED, 0, -1,
			           NULL, 0, "device de-registered");
		}
		db_request_list_free(list, n);
		if (n < FORGET_BATCH || ended == 0)
			break;
	}
	dm_obs_forget(e, ep);
}

void dm_get_stats(dm *e, dm_stats *out)
{
	if (!e || !out)
		return;
	*out = e->st;
	int64_t n = 0;
	if (db_request_count_state(e->d, DB_REQ_QUEUED, &n) == DB_OK)
		out->queued_now = n;
	out->in_flight = (int64_t)e->inflight.n;
}

void dm_set_config(dm *e, const dm_config *cfg)
{
	if (!e || !cfg)
		return;
	/* Zero keeps the current value, as dm_new keeps its defaults. */
	if (cfg->request_timeout_ms > 0)
		e->cfg.request_timeout_ms = cfg->request_timeout_ms;
	if (cfg->queue_ttl_s > 0)
		e->cfg.queue_ttl_s = cfg->queue_ttl_s;
	if (cfg->awake_ms > 0)
		e->cfg.awake_ms = cfg->awake_ms;
	e->cfg.hold_ms = cfg->hold_ms > 0 ? cfg->hold_ms : 0;
}

void dm_set_notify_cb(dm *e, dm_notify_cb cb, void *arg)
{
	if (!e)
		return;
	e->notify_cb = cb;
	e->notify_arg = arg;
}

/* ---- queue expiry ----------------------------------------------------- */

typedef struct {
	int64_t now;
	int64_t *ids;
	size_t n, cap;
} due_list;

static void collect_due(void *arg, const void *k, size_t kl, void *val)
{
	due_list *dl = arg;
	dm_waiter *w = val;
	if (w->expires_at > dl->now || dl->n == dl->cap)
		return;
	memcpy(&dl->ids[dl->n++], k, sizeof(int64_t));
}

/* Every second: QUEUED rows past their TTL become EXPIRED; waiters of
 * those rows get their result. */
static void expire_cb(void *arg)
{
	dm *e = arg;
	e->expire_timer = NULL;
	int64_t n = 0;
	due_list dl = { .now = dm_wall() };
	if (db_request_expire(e->d, dl.now, &n) != DB_OK)
		log_kv(NLOG_ERROR, "dm expire failed", "err", db_errmsg(e->d),
		       NULL);
	if (n > 0 && e->waiters.n) {
		dl.cap = e->waiters.n;
		dl.ids = malloc(dl.cap * sizeof *dl.ids);
		if (dl.ids)
			dm_map_each(&e->waiters, collect_due, &dl);
		for (size_t i = 0; i < dl.n; i++) {
			db_request r;
			memset(&r, 0, sizeof r);
			if (db_request_get(e->d, dl.ids[i], &r) == DB_OK &&
			    r.state == DB_REQ_EXPIRED)
				dm_deliver(e, r.id, DB_REQ_EXPIRED, 0, -1, NULL,
				           0, "expired");
			db_request_clear(&r);
		}
		free(dl.ids);
	}
	if (!e->closing)
		e->expire_timer = loop_timer_add(e->l, EXPIRE_EVERY_MS,
		                                 expire_cb, e);
}
