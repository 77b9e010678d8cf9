/*
 * registration.c: the rd resources (server/registration.h).
 *
 * libcoap does not de-duplicate retransmitted CON requests (NOTES §1.1), so
 * each answer is cached by (session, MID) for EXCHANGE_LIFETIME and a
 * retransmission gets the same answer without running the handler again:
 * a Register retransmitted after its 2.01 was lost returns the same
 * location instead of minting a second registration.
 *
 * The DM engine hears about a (re)registered device only after the
 * response went out (a 0 ms timer), so queued requests never overtake the
 * 2.01/2.04 on the wire.
 *
 * A DTLS device that comes back on a new session, or whose lifetime ran
 * out, has its old DTLS session closed at once: OpenSSL would otherwise
 * ignore a fresh handshake from the same address and port (NOTES §1.3), and
 * each idle DTLS session costs ~45 KB. Closing happens from a timer, never
 * inside a libcoap handler, because libcoap may be walking its sessions.
 *
 * With write_batch_ms set, the registration writes ride in the database's
 * write-behind batch (db_batch_enable) and a timer commits it at most that
 * many ms after the first one: one fsync per batch instead of one per
 * Update. Why losing the newest ones to an OS crash is harmless:
 * docs/design.md §7.
 */
#include "server/registration.h"
#include "server/coap_endpoint.h"
#include "server/dm_engine.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/sessmap.h"
#include "server/events.h"
#include "lwm2m/lwm2m.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define REPLAY_SLOTS 4096           /* direct-mapped by (session, MID) */
#define REPLAY_MS (247 * 1000)     /* EXCHANGE_LIFETIME, RFC 7252 */
#define MAX_QUERY_OPTS 32
#define DEFAULT_LIFETIME 86400
#define EXPIRE_BATCH 256
#define WRITE_BATCH_MAX 4096        /* writes in one batch before it flushes */

struct outcome {
	uint8_t code;                  /* COAP_RESPONSE_CODE(...) */
	char reg_id[33];               /* Location-Path when set (Register) */
	char diag[128];                /* diagnostic payload for errors */
};

struct replay {
	coap_session_t *s;             /* NULL = free slot; never dereferenced */
	coap_mid_t mid;
	int64_t at_ms;
	struct outcome o;
};

struct pending {                   /* a dm_device_awake waiting to run */
	registration *r;
	coap_session_t *s;             /* referenced until it runs */
	coap_session_t *stale;         /* old DTLS session to close, referenced */
	char ep[DB_MAX_EP + 1];
	int queue_mode;
	int ev;                        /* EV_REGISTERED or EV_UPDATED (events.h) */
	loop_timer *t;
	struct pending *next;
};

struct registration {
	reg_config cfg;
	loop_timer *expiry;
	struct replay replay[REPLAY_SLOTS];
	struct pending *pending;
	sessmap *sessions;             /* endpoint <-> last session */
	loop_timer *flush;             /* commits the write-behind batch */
};

/* ---- replies ------------------------------------------------------------ */

static void fail(struct outcome *o, int cls, int detail, const char *why)
{
	o->code = (uint8_t)COAP_RESPONSE_CODE(cls * 100 + detail);
	snprintf(o->diag, sizeof o->diag, "%s", why);
}

static void send_outcome(const struct outcome *o, coap_pdu_t *resp)
{
	coap_pdu_set_code(resp, (coap_pdu_code_t)o->code);
	if (o->reg_id[0]) {
		coap_add_option(resp, COAP_OPTION_LOCATION_PATH, 2,
		                (const uint8_t *)"rd");
		coap_add_option(resp, COAP_OPTION_LOCATION_PATH, strlen(o->reg_id),
		                (const uint8_t *)o->reg_id);
	}
	if (o->diag[0]) {
		uint8_t buf[4];
		coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
		                coap_encode_var_safe(buf, sizeof buf,
		                                     COAP_MEDIATYPE_TEXT_PLAIN), buf);
		coap_add_data(resp, strlen(o->diag), (const uint8_t *)o->diag);
	}
}

/* A collision only evicts an older answer: the worst case is that a late
 * retransmission is handled as a new request, which Register tolerates
 * (it replaces) and Update is idempotent for. */
static struct replay *replay_slot(registration *r, coap_session_t *s,
                                  coap_mid_t mid)
{
	uint64_t h = (uint64_t)(uintptr_t)s ^ ((uint64_t)(uint16_t)mid << 7);
	h *= 0x9e3779b97f4a7c15ull;
	return &r->replay[(h >> 32) % REPLAY_SLOTS];
}

static const struct outcome *replay_find(registration *r, coap_session_t *s,
                                         coap_mid_t mid)
{
	struct replay *p = replay_slot(r, s, mid);
	if (p->s == s && p->mid == mid && loop_now_ms() - p->at_ms < REPLAY_MS)
		return &p->o;
	return NULL;
}

static void replay_store(registration *r, coap_session_t *s, coap_mid_t mid,
                         const struct outcome *o)
{
	struct replay *p = replay_slot(r, s, mid);
	p->s = s;
	p->mid = mid;
	p->at_ms = loop_now_ms();
	p->o = *o;
}

void reg_session_gone(void *arg, coap_session_t *s)
{
	registration *r = arg;
	for (size_t i = 0; i < REPLAY_SLOTS; i++)
		if (r->replay[i].s == s)
			r->replay[i].s = NULL;
	sessmap_drop_session(r->sessions, s);
}

/* Ends a DTLS session now (the caller holds a reference, given up here):
 * its queued CONs are NACKed and libcoap frees it. */
static void close_session(coap_session_t *s)
{
	char peer[80];
	coap_ep_peer_str(s, peer, sizeof peer);
	log_kv(NLOG_DEBUG, "closing stale dtls session", "peer", peer, NULL);
	coap_session_disconnected(s, COAP_NACK_NOT_DELIVERABLE);
	coap_session_release(s);
}

/* ---- the write-behind batch ------------------------------------------------- */

static void flush_now(registration *r)
{
	size_t n = db_batch_pending(r->cfg.db);
	if (db_batch_flush(r->cfg.db) != DB_OK) {
		char lost[24];
		snprintf(lost, sizeof lost, "%zu", n);
		log_kv(NLOG_ERROR, "registration batch lost", "writes", lost,
		       "error", db_errmsg(r->cfg.db), NULL);
	}
}

static void flush_cb(void *arg)
{
	registration *r = arg;
	r->flush = NULL;
	flush_now(r);
}

/* After a registration write: make sure the batch commits soon. */
static void batch_touch(registration *r)
{
	size_t n = db_batch_pending(r->cfg.db);
	if (n == 0)
		return;
	if (n >= WRITE_BATCH_MAX) {
		if (r->flush)
			loop_timer_cancel(r->cfg.l, r->flush);
		r->flush = NULL;
		flush_now(r);
	} else if (!r->flush) {
		r->flush = loop_timer_add(r->cfg.l, r->cfg.write_batch_ms,
		                          flush_cb, r);
		if (!r->flush)
			flush_now(r);
	}
}

/* ---- waking the DM engine after the response ------------------------------ */

static void pending_unlink(registration *r, struct pending *p)
{
	for (struct pending **pp = &r->pending; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
}

static const char *transport_of(coap_session_t *s);

static void awake_cb(void *arg)
{
	struct pending *p = arg;
	registration *r = p->r;
	pending_unlink(r, p);
	if (p->stale)
		close_session(p->stale);
	if (r->cfg.dm &&
	    coap_session_get_state(p->s) == COAP_SESSION_STATE_ESTABLISHED)
		dm_device_awake(r->cfg.dm, p->ep, p->s, p->queue_mode);
	if (r->cfg.bus) {   /* after the DM: listeners may send at once */
		char addr[64];
		coap_ep_peer_str(p->s, addr, sizeof addr);
		evbus_device(r->cfg.bus, p->ev, p->ep, addr, transport_of(p->s));
	}
	batch_touch(r);   /* the event row rides in the write-behind batch */
	coap_session_release(p->s);
	free(p);
}

static void schedule_awake(registration *r, coap_session_t *s, const char *ep,
                           int queue_mode, int ev)
{
	struct pending *p = calloc(1, sizeof *p);
	coap_session_t *old = sessmap_get(r->sessions, ep);
	if (!p)
		return;
	p->r = r;
	p->s = coap_session_reference(s);
	if (old && old != s && coap_session_get_proto(old) == COAP_PROTO_DTLS)
		p->stale = coap_session_reference(old);
	if (sessmap_put(r->sessions, ep, s) < 0)
		sessmap_drop_ep(r->sessions, ep);
	snprintf(p->ep, sizeof p->ep, "%s", ep);
	p->queue_mode = queue_mode;
	p->ev = ev;
	p->t = loop_timer_add(r->cfg.l, 0, awake_cb, p);
	if (!p->t) {
		coap_session_release(s);
		if (p->stale)
			coap_session_release(p->stale);
		free(p);
		return;
	}
	p->next = r->pending;
	r->pending = p;
}

/* ---- request parsing -------------------------------------------------------- */

static int parse_query(const coap_pdu_t *req, lwm2m_reg_query *q,
                       struct outcome *o)
{
	const char *opts[MAX_QUERY_OPTS];
	size_t lens[MAX_QUERY_OPTS], n = 0;
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	char why[96];

	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it))) {
		if (it.number != COAP_OPTION_URI_QUERY)
			continue;
		if (n == MAX_QUERY_OPTS) {
			fail(o, 4, 0, "too many query parameters");
			return -1;
		}
		opts[n] = (const char *)coap_opt_value(opt);
		lens[n++] = coap_opt_length(opt);
	}
	if (lwm2m_reg_query_parse(opts, lens, n, q, why, sizeof why) != LWM2M_OK) {
		char d[128];
		snprintf(d, sizeof d, "bad query: %s", why);
		fail(o, 4, 0, d);
		return -1;
	}
	return 0;
}

/* Reads and checks the link-format payload; *links is malloc'ed text
 * (NULL when the request had no payload). */
static int parse_links(const coap_pdu_t *req, char **links, struct outcome *o)
{
	size_t len = 0, off = 0, total = 0;
	const uint8_t *data = NULL;
	coap_opt_iterator_t it;
	coap_opt_t *cf;
	lwm2m_links parsed;
	lwm2m_err e;
	char d[128];

	*links = NULL;
	if (!coap_get_data_large(req, &len, &data, &off, &total) || len == 0)
		return 0;
	/* libcoap 4.3.1 hands over a lone Block1 block (one arriving with no
	 * transfer under way) as it is: never take a piece for the whole. */
	if (off != 0 || total != len) {
		fail(o, 4, 8, "incomplete block-wise payload");
		return -1;
	}
	cf = coap_check_option(req, COAP_OPTION_CONTENT_FORMAT, &it);
	if (cf && coap_decode_var_bytes(coap_opt_value(cf), coap_opt_length(cf)) !=
	          COAP_MEDIATYPE_APPLICATION_LINK_FORMAT) {
		fail(o, 4, 0, "payload must be application/link-format (40)");
		return -1;
	}
	if (len > LWM2M_MAX_LINK_PAYLOAD) {
		snprintf(d, sizeof d, "link payload over %d bytes",
		         LWM2M_MAX_LINK_PAYLOAD);
		fail(o, 4, 0, d);
		return -1;
	}
	lwm2m_links_init(&parsed);
	e = lwm2m_links_parse((const char *)data, len, &parsed);
	lwm2m_links_free(&parsed);
	if (e != LWM2M_OK) {
		snprintf(d, sizeof d, "bad link payload: %s", lwm2m_strerror(e));
		fail(o, 4, 0, d);
		return -1;
	}
	*links = malloc(len + 1);
	if (!*links) {
		fail(o, 5, 0, "out of memory");
		return -1;
	}
	memcpy(*links, data, len);
	(*links)[len] = 0;
	return 0;
}

/* May session s act for endpoint ep? Fills identity ("" on NoSec). */
static int authorize(registration *r, coap_session_t *s, const char *ep,
                     char *identity, struct outcome *o)
{
	db_device dev;
	db_rc rc;
	int ok = 0;

	memset(&dev, 0, sizeof dev);
	identity[0] = 0;
	if (coap_session_get_proto(s) == COAP_PROTO_DTLS) {
		const coap_bin_const_t *id = coap_session_get_psk_identity(s);
		if (!id || !id->length || id->length > DB_MAX_IDENTITY) {
			fail(o, 4, 3, "no PSK identity on this session");
			return -1;
		}
		memcpy(identity, id->s, id->length);
		identity[id->length] = 0;
		rc = db_device_by_identity(r->cfg.db, identity, &dev);
		if (rc == DB_OK && !strcmp(dev.endpoint, ep))
			ok = 1;
		else if (rc == DB_OK || rc == DB_NOT_FOUND)
			fail(o, 4, 3, "PSK identity is not bound to this endpoint");
		else
			fail(o, 5, 0, "storage error");
	} else {
		if (!r->cfg.allow_nosec) {
			fail(o, 4, 3, "NoSec is not allowed: use DTLS");
			return -1;
		}
		/* A device provisioned with a PSK must not be taken over in clear. */
		rc = db_device_get(r->cfg.db, ep, &dev);
		if (rc == DB_OK && dev.psk_identity[0])
			fail(o, 4, 3, "this endpoint must use DTLS");
		else if (rc == DB_OK || rc == DB_NOT_FOUND)
			ok = 1;
		else
			fail(o, 5, 0, "storage error");
	}
	db_device_clear(&dev);
	return ok ? 0 : -1;
}

static const char *transport_of(coap_session_t *s)
{
	return coap_session_get_proto(s) == COAP_PROTO_DTLS ? "dtls" : "udp";
}

/* ---- Register ------------------------------------------------------------------ */

static void do_register(registration *r, coap_session_t *s,
                        const coap_pdu_t *req, struct outcome *o)
{
	lwm2m_reg_query q;
	db_registration reg, old;
	char *links = NULL, lt[24];
	uint8_t rnd[16];
	int had_old;

	memset(&reg, 0, sizeof reg);
	memset(&old, 0, sizeof old);
	if (parse_query(req, &q, o) < 0 || parse_links(req, &links, o) < 0)
		goto out;
	if (!q.has_endpoint || !q.endpoint[0]) {
		fail(o, 4, 0, "missing ep (endpoint name)");
		goto out;
	}
	if (authorize(r, s, q.endpoint, reg.psk_identity, o) < 0)
		goto out;
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
		fail(o, 5, 0, "no randomness");
		goto out;
	}
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(reg.reg_id + 2 * i, 3, "%02x", rnd[i]);

	snprintf(reg.endpoint, sizeof reg.endpoint, "%s", q.endpoint);
	snprintf(reg.version, sizeof reg.version, "%s",
	         q.version[0] ? q.version : "1.0");
	snprintf(reg.binding, sizeof reg.binding, "%s",
	         q.binding[0] ? q.binding : "U");
	reg.queue_mode = q.queue_mode;
	reg.lifetime = q.lifetime > 0 ? q.lifetime : DEFAULT_LIFETIME;
	reg.links = links ? links : "";
	coap_ep_peer_str(s, reg.addr, sizeof reg.addr);
	snprintf(reg.transport, sizeof reg.transport, "%s", transport_of(s));
	reg.registered_at = reg.updated_at = loop_wall_s();
	reg.expires_at = reg.updated_at + reg.lifetime;

	had_old = db_reg_get(r->cfg.db, reg.endpoint, &old) == DB_OK;
	if (had_old && r->cfg.dm)
		dm_device_gone(r->cfg.dm, reg.endpoint);  /* old session, old state */
	if (db_reg_put(r->cfg.db, &reg) != DB_OK) {
		log_kv(NLOG_ERROR, "register failed", "ep", reg.endpoint, "error",
		       db_errmsg(r->cfg.db), NULL);
		fail(o, 5, 0, "storage error");
		goto out;
	}
	o->code = (uint8_t)COAP_RESPONSE_CODE(201);
	memcpy(o->reg_id, reg.reg_id, sizeof o->reg_id);
	snprintf(lt, sizeof lt, "%lld", (long long)reg.lifetime);
	log_kv(NLOG_INFO, had_old ? "re-registered" : "registered", "ep",
	       reg.endpoint, "id", reg.reg_id, "lt", lt, "lwm2m", reg.version,
	       "b", reg.binding, "addr", reg.addr, "transport", reg.transport,
	       NULL);
	schedule_awake(r, s, reg.endpoint, reg.queue_mode, EV_REGISTERED);
out:
	free(links);
	db_registration_clear(&old);
}

/* ---- Update and De-register ------------------------------------------------------- */

/* Finds the registration named by the request's path "rd/<id>". */
static int lookup(registration *r, const coap_pdu_t *req, db_registration *reg,
                  struct outcome *o)
{
	coap_string_t *path = coap_get_uri_path(req);
	char id[33];
	size_t n;
	int rc = -1;

	memset(reg, 0, sizeof *reg);
	if (!path || path->length < 4 || memcmp(path->s, "rd/", 3))
		goto notfound;
	n = path->length - 3;
	if (n != 32)
		goto notfound;
	for (size_t i = 0; i < n; i++) {
		char c = (char)path->s[3 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			goto notfound;
		id[i] = c;
	}
	id[n] = 0;
	switch (db_reg_by_id(r->cfg.db, id, reg)) {
	case DB_OK:
		rc = 0;
		break;
	case DB_NOT_FOUND:
		goto notfound;
	default:
		fail(o, 5, 0, "storage error");
		break;
	}
	coap_delete_string(path);
	return rc;
notfound:
	fail(o, 4, 4, "no such registration");
	coap_delete_string(path);
	return -1;
}

static void do_update(registration *r, coap_session_t *s,
                      const coap_pdu_t *req, struct outcome *o)
{
	db_registration reg;
	lwm2m_reg_query q;
	char *links = NULL, *old_links, identity[DB_MAX_IDENTITY + 1];
	char old_addr[64];

	if (lookup(r, req, &reg, o) < 0)
		goto out;
	if (authorize(r, s, reg.endpoint, identity, o) < 0)
		goto out;
	if (parse_query(req, &q, o) < 0 || parse_links(req, &links, o) < 0)
		goto out;
	if (q.lifetime > 0)
		reg.lifetime = q.lifetime;
	if (q.binding[0]) {
		snprintf(reg.binding, sizeof reg.binding, "%s", q.binding);
		reg.queue_mode = q.queue_mode;
	} else if (q.queue_mode) {
		reg.queue_mode = 1;
	}
	snprintf(old_addr, sizeof old_addr, "%s", reg.addr);
	coap_ep_peer_str(s, reg.addr, sizeof reg.addr);
	snprintf(reg.transport, sizeof reg.transport, "%s", transport_of(s));
	snprintf(reg.psk_identity, sizeof reg.psk_identity, "%s", identity);
	reg.updated_at = loop_wall_s();
	reg.expires_at = reg.updated_at + reg.lifetime;
	old_links = reg.links;
	reg.links = links;           /* NULL keeps the stored links */
	if (db_reg_update(r->cfg.db, &reg) != DB_OK) {
		reg.links = old_links;
		log_kv(NLOG_ERROR, "update failed", "ep", reg.endpoint, "error",
		       db_errmsg(r->cfg.db), NULL);
		fail(o, 5, 0, "storage error");
		goto out;
	}
	reg.links = old_links;
	o->code = (uint8_t)COAP_RESPONSE_CODE(204);
	if (strcmp(old_addr, reg.addr))
		log_kv(NLOG_INFO, "moved", "ep", reg.endpoint, "from", old_addr,
		       "to", reg.addr, "transport", reg.transport, NULL);
	else
		log_kv(NLOG_DEBUG, "updated", "ep", reg.endpoint, "addr", reg.addr,
		       NULL);
	schedule_awake(r, s, reg.endpoint, reg.queue_mode, EV_UPDATED);
out:
	free(links);
	db_registration_clear(&reg);
}

static void do_deregister(registration *r, coap_session_t *s,
                          const coap_pdu_t *req, struct outcome *o)
{
	db_registration reg;
	char identity[DB_MAX_IDENTITY + 1];

	if (lookup(r, req, &reg, o) < 0 ||
	    authorize(r, s, reg.endpoint, identity, o) < 0)
		goto out;
	/* Gone, not forgotten: requests queued for the endpoint wait for its
	 * next Register (a device may de-register before a carrier switch). */
	if (r->cfg.dm)
		dm_device_gone(r->cfg.dm, reg.endpoint);
	sessmap_drop_ep(r->sessions, reg.endpoint);
	if (db_reg_delete(r->cfg.db, reg.endpoint) != DB_OK) {
		fail(o, 5, 0, "storage error");
		goto out;
	}
	o->code = (uint8_t)COAP_RESPONSE_CODE(202);
	log_kv(NLOG_INFO, "deregistered", "ep", reg.endpoint, "id", reg.reg_id,
	       NULL);
	evbus_device(r->cfg.bus, EV_DEREGISTERED, reg.endpoint, NULL, NULL);
out:
	db_registration_clear(&reg);
}

/* ---- libcoap handlers ------------------------------------------------------------ */

typedef void (*op_fn)(registration *, coap_session_t *, const coap_pdu_t *,
                      struct outcome *);

static void run(coap_resource_t *res, coap_session_t *s, const coap_pdu_t *req,
                coap_pdu_t *resp, op_fn fn)
{
	registration *r = coap_resource_get_userdata(res);
	coap_mid_t mid = coap_pdu_get_mid(req);
	int con = coap_pdu_get_type(req) == COAP_MESSAGE_CON;
	const struct outcome *seen = con ? replay_find(r, s, mid) : NULL;
	struct outcome o;
	double t0 = metrics_now();
	const char *op = fn == do_register ? "register"
	                 : fn == do_update ? "update" : "deregister";

	if (seen) {
		log_kv(NLOG_DEBUG, "retransmission answered from cache", NULL);
		send_outcome(seen, resp);
		metrics_coap_request(op, COAP_RESPONSE_CLASS(seen->code) * 100 +
		                     (seen->code & 0x1f), metrics_now() - t0);
		return;
	}
	memset(&o, 0, sizeof o);
	fn(r, s, req, &o);
	batch_touch(r);
	if (con)
		replay_store(r, s, mid, &o);
	send_outcome(&o, resp);
	metrics_coap_request(op, COAP_RESPONSE_CLASS(o.code) * 100 + (o.code & 0x1f),
	                     metrics_now() - t0);
}

static void h_register(coap_resource_t *res, coap_session_t *s,
                       const coap_pdu_t *req, const coap_string_t *query,
                       coap_pdu_t *resp)
{
	run(res, s, req, resp, do_register);
}

static void h_update(coap_resource_t *res, coap_session_t *s,
                     const coap_pdu_t *req, const coap_string_t *query,
                     coap_pdu_t *resp)
{
	run(res, s, req, resp, do_update);
}

static void h_delete(coap_resource_t *res, coap_session_t *s,
                     const coap_pdu_t *req, const coap_string_t *query,
                     coap_pdu_t *resp)
{
	run(res, s, req, resp, do_deregister);
}

static void h_not_allowed(coap_resource_t *res, coap_session_t *s,
                          const coap_pdu_t *req, const coap_string_t *query,
                          coap_pdu_t *resp)
{
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_NOT_ALLOWED);
}

/* ---- expiry --------------------------------------------------------------------------- */

int reg_expire_now(registration *r)
{
	char **eps = NULL;
	size_t n = 0;
	int removed = 0;

	if (db_reg_expired(r->cfg.db, loop_wall_s(), EXPIRE_BATCH, &eps, &n) !=
	    DB_OK) {
		log_kv(NLOG_ERROR, "expiry scan failed", "error",
		       db_errmsg(r->cfg.db), NULL);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		coap_session_t *s = sessmap_get(r->sessions, eps[i]);
		if (r->cfg.dm)
			dm_device_gone(r->cfg.dm, eps[i]);
		sessmap_drop_ep(r->sessions, eps[i]);
		if (s && coap_session_get_proto(s) == COAP_PROTO_DTLS)
			close_session(coap_session_reference(s));
		if (db_reg_delete(r->cfg.db, eps[i]) == DB_OK) {
			removed++;
			log_kv(NLOG_INFO, "expired", "ep", eps[i], NULL);
			evbus_device(r->cfg.bus, EV_EXPIRED, eps[i], NULL, NULL);
		}
	}
	db_strings_free(eps, n);
	batch_touch(r);
	return removed;
}

static void expiry_cb(void *arg)
{
	registration *r = arg;
	/* A full batch means more are waiting: come back at once. */
	int n = reg_expire_now(r);
	r->expiry = loop_timer_add(r->cfg.l, n >= EXPIRE_BATCH ? 0 :
	                           r->cfg.expiry_interval_ms, expiry_cb, r);
}

registration *reg_new(const reg_config *cfg, char *err, size_t errlen)
{
	registration *r = calloc(1, sizeof *r);
	coap_resource_t *rd, *unknown;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	r->sessions = sessmap_new();
	if (!r->sessions) {
		snprintf(err, errlen, "out of memory");
		free(r);
		return NULL;
	}
	rd = coap_resource_init(coap_make_str_const("rd"), 0);
	unknown = coap_resource_unknown_init2(h_not_allowed, 0);
	if (!rd || !unknown) {
		snprintf(err, errlen, "cannot create the rd resources");
		sessmap_free(r->sessions);
		free(r);
		return NULL;
	}
	coap_register_request_handler(rd, COAP_REQUEST_POST, h_register);
	coap_resource_set_userdata(rd, r);
	coap_add_resource(cfg->ctx, rd);
	/* /rd/<id> is not a resource of its own: the unknown-resource handler
	 * takes it, and needs an explicit DELETE handler (else libcoap answers
	 * 2.02 to any DELETE, NOTES §1.1). */
	coap_register_request_handler(unknown, COAP_REQUEST_POST, h_update);
	coap_register_request_handler(unknown, COAP_REQUEST_DELETE, h_delete);
	coap_resource_set_userdata(unknown, r);
	coap_add_resource(cfg->ctx, unknown);
	if (cfg->write_batch_ms > 0)
		db_batch_enable(cfg->db, 1);
	r->expiry = loop_timer_add(cfg->l, cfg->expiry_interval_ms, expiry_cb, r);
	return r;
}

void reg_set_write_batch(registration *r, int64_t ms)
{
	if (!r || ms < 0)
		return;
	/* Off commits what is pending at once (the armed flush timer then
	 * finds nothing); on lets the next write open a batch. */
	r->cfg.write_batch_ms = ms;
	db_batch_enable(r->cfg.db, ms > 0);
}

void reg_free(registration *r)
{
	if (!r)
		return;
	if (r->expiry)
		loop_timer_cancel(r->cfg.l, r->expiry);
	/* A graceful stop keeps every registration written so far. */
	if (r->flush)
		loop_timer_cancel(r->cfg.l, r->flush);
	if (db_batch_pending(r->cfg.db))
		flush_now(r);
	db_batch_enable(r->cfg.db, 0);
	while (r->pending) {
		struct pending *p = r->pending;
		r->pending = p->next;
		loop_timer_cancel(r->cfg.l, p->t);
		coap_session_release(p->s);
		if (p->stale)
			coap_session_release(p->stale);
		free(p);
	}
	sessmap_free(r->sessions);
	free(r);
}
