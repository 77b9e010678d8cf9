/*
 * dm_send.c: builds and sends the CoAP request of one stored DM request
 * (NOTES §1.2): CON, 8 random token bytes, one Uri-Path option per path
 * segment, Observe / Content-Format / Uri-Query / Accept as the op table
 * says, and the payload through coap_add_data_large_request so anything
 * over one block goes out block-wise (Block1). The row is marked SENT
 * before coap_send; the request's own deadline starts with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "server/dm_int.h"
#include "server/log.h"

int dm_new_token(dm *e, uint8_t tok[DM_TOKEN_LEN])
{
	/* Random, not coap_session_new_token(): that counter restarts on
	 * every session and collides across restarts (NOTES §1.4). */
	for (int tries = 0; tries < 8; tries++) {
		if (getrandom(tok, DM_TOKEN_LEN, 0) != DM_TOKEN_LEN)
			continue;
		if (!dm_map_get(&e->inflight, tok, DM_TOKEN_LEN) &&
		    !dm_map_get(&e->obs, tok, DM_TOKEN_LEN))
			return 0;
	}
	return -1;
}

static void deadline_cb(void *arg)
{
	dm_req *rq = arg;
	dm *e = rq->e;
	rq->deadline = NULL;
	dm_dev *dev = rq->dev;
	coap_session_t *s = NULL;
	char ep[DB_MAX_EP + 1];
	snprintf(ep, sizeof ep, "%s", rq->ep);
	/* A DTLS peer that stopped answering may have rebooted onto the same
	 * address, and is locked out until the old session goes (NOTES
	 * §1.3): nothing more is sent on it, and it is disconnected. */
	if (dev && dev->s && dev->s == rq->s &&
	    coap_session_get_proto(dev->s) == COAP_PROTO_DTLS) {
		s = coap_session_reference(dev->s);
		dev->awake = 0;
	}
	dm_finish(e, rq, DB_REQ_FAILED, 0, -1, NULL, 0, "timeout");
	if (!s)
		return;
	dm_session_gone(e, s);
	log_kv(NLOG_INFO, "dm dtls session recycled after timeout", "ep", ep,
	       NULL);
	coap_session_disconnected(s, COAP_NACK_NOT_DELIVERABLE);
	coap_session_release(s);
}

static void release_payload(coap_session_t *s, void *p)
{
	(void)s;
	free(p);
}

static int add_uint_option(coap_pdu_t *pdu, coap_option_num_t num,
                           unsigned v)
{
	uint8_t buf[4];
	return coap_add_option(pdu, num, coap_encode_var_safe(buf, sizeof buf, v),
	                       buf) ? 0 : -1;
}

/* Options in number order: Observe 6, Uri-Path 11, Content-Format 12,
 * Uri-Query 15, Accept 17. */
static int build_options(coap_pdu_t *pdu, const dm_op_def *d,
                         const lwm2m_path *path, const db_request *r)
{
	if (d->observe >= 0 &&
	    add_uint_option(pdu, COAP_OPTION_OBSERVE, (unsigned)d->observe) < 0)
		return -1;
	for (unsigned i = 0; i < path->len; i++) {
		char seg[8];
		int n = snprintf(seg, sizeof seg, "%u", path->id[i]);
		if (!coap_add_option(pdu, COAP_OPTION_URI_PATH, (size_t)n,
		                     (const uint8_t *)seg))
			return -1;
	}
	if (r->payload_len && r->format >= 0 &&
	    add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	                    (unsigned)r->format) < 0)
		return -1;
	if (d->needs_query && r->query) {
		const char *q = r->query;
		while (*q) {
			const char *amp = strchr(q, '&');
			size_t n = amp ? (size_t)(amp - q) : strlen(q);
			if (n && !coap_add_option(pdu, COAP_OPTION_URI_QUERY, n,
			                          (const uint8_t *)q))
				return -1;
			q += n + (amp ? 1 : 0);
		}
	}
	if (r->accept >= 0 &&
	    add_uint_option(pdu, COAP_OPTION_ACCEPT, (unsigned)r->accept) < 0)
		return -1;
	return 0;
}

static void revert_to_queued(dm *e, db_request *r)
{
	r->state = DB_REQ_QUEUED;
	r->sent_at = 0;
	if (db_request_update(e->d, r) != DB_OK)
		log_kv(NLOG_ERROR, "dm request update failed", "ep", r->endpoint,
		       "err", db_errmsg(e->d), NULL);
}

int dm_send(dm *e, dm_dev *dev, db_request *r)
{
	const dm_op_def *d = dm_op_find(r->op);
	lwm2m_path path;
	if (!d || lwm2m_path_parse(r->path, strlen(r->path), &path) != LWM2M_OK ||
	    path.len < d->min_depth || path.len > d->max_depth ||
	    r->payload_len > LWM2M_MAX_PAYLOAD) {
		dm_end_stored(e, r, DB_REQ_FAILED, "bad stored request");
		return -1;
	}
	dm_req *rq = calloc(1, sizeof *rq);
	if (!rq)
		return -2;
	rq->e = e;
	rq->id = r->id;
	rq->op = r->op;
	rq->dev = dev;
	rq->s = dev->s;
	snprintf(rq->ep, sizeof rq->ep, "%s", r->endpoint);
	snprintf(rq->path, sizeof rq->path, "%s", r->path);
	/* Cancel reuses the observation's token: the device finds its
	 * observer by token (RFC 7641 §3.6). */
	if (r->op != DM_OBSERVE_CANCEL ||
	    dm_obs_token_for(e, rq->ep, rq->path, rq->token, &rq->obs_id) < 0 ||
	    dm_map_get(&e->inflight, rq->token, DM_TOKEN_LEN)) {
		rq->obs_id = 0;
		if (dm_new_token(e, rq->token) < 0) {
			free(rq);
			dm_end_stored(e, r, DB_REQ_FAILED, "no token");
			return -1;
		}
	}

	/* State first, then the wire (DESIGN §7). */
	r->state = DB_REQ_SENT;
	r->sent_at = rq->sent_at = dm_wall();
	if (db_request_update(e->d, r) != DB_OK) {
		log_kv(NLOG_ERROR, "dm request update failed", "ep", r->endpoint,
		       "err", db_errmsg(e->d), NULL);
		free(rq);
		return -2;
	}

	/* In the token map before the PDU exists: once libcoap holds the
	 * payload, the only failure left is coap_send's, which cleans up. */
	if (dm_map_put(&e->inflight, rq->token, DM_TOKEN_LEN, rq) < 0) {
		free(rq);
		revert_to_queued(e, r);
		return -2;
	}
	dev->inflight = rq;
	coap_session_t *s = dev->s;
	coap_pdu_t *pdu = NULL;
	rq->deadline = loop_timer_add(e->l, e->cfg.request_timeout_ms,
	                              deadline_cb, rq);
	/* While libcoap still tracks the observation on this session, a
	 * Cancel must go through it: coap_send would swap our token for its
	 * internal one and the device would not find its observer. After a
	 * restart or on a new session libcoap knows nothing and our own PDU
	 * goes out with the token unchanged. */
	if (rq->obs_id) {
		coap_binary_t bt = { DM_TOKEN_LEN, rq->token };
		if (coap_cancel_observe(s, &bt, COAP_MESSAGE_CON)) {
			e->st.sent++;
			return 0;
		}
	}
	pdu = coap_pdu_init(COAP_MESSAGE_CON, d->method,
	                                coap_new_message_id(s),
	                                coap_session_max_pdu_size(s));
	if (!pdu || !coap_add_token(pdu, DM_TOKEN_LEN, rq->token) ||
	    build_options(pdu, d, &path, r) < 0)
		goto refused;
	if (r->payload_len) {
		/* The data must outlive the PDU: libcoap frees it through
		 * release_payload once the transfer ends, or fails. */
		uint8_t *copy = malloc(r->payload_len);
		if (!copy)
			goto refused;
		memcpy(copy, r->payload, r->payload_len);
		if (!coap_add_data_large_request(s, pdu, r->payload_len, copy,
		                                 release_payload, copy))
			goto refused;  /* it called release_payload */
	}
	int64_t id = rq->id;
	uint8_t tok[DM_TOKEN_LEN];
	memcpy(tok, rq->token, sizeof tok);
	/* coap_send always takes the PDU, and frees it on failure. */
	if (coap_send(s, pdu) == COAP_INVALID_MID) {
		dm_req *still = dm_map_get(&e->inflight, tok, DM_TOKEN_LEN);
		if (!still || still->id != id)
			return 0;  /* already ended by a NACK inside coap_send */
		pdu = NULL;
		rq = still;
		goto refused;
	}
	e->st.sent++;
	return 0;

refused:
	if (pdu)
		coap_delete_pdu(pdu);
	dm_map_del(&e->inflight, rq->token, DM_TOKEN_LEN);
	if (rq->deadline)
		loop_timer_cancel(e->l, rq->deadline);
	if (dev->inflight == rq)
		dev->inflight = NULL;
	free(rq);
	revert_to_queued(e, r);
	return -2;
}
