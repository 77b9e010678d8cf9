/*
 * dm_reply.c: matches what libcoap hands back to the request in flight.
 * Responses are matched on the received token only (under block-wise
 * transfer `sent` carries libcoap's internal token, NOTES §1.4); a token
 * of a live observation is a notification (observe.c); anything else is a
 * duplicate or a stale notification. NACKs with an unknown (internal)
 * token are mapped to the one request in flight on that session.
 */
#include <string.h>

#include "server/dm_int.h"
#include "server/log.h"

int dm_pdu_code(const coap_pdu_t *pdu)
{
	unsigned c = (unsigned)coap_pdu_get_code(pdu);
	return (int)((c >> 5) * 100 + (c & 0x1f));
}

static int uint_option(const coap_pdu_t *pdu, coap_option_num_t num)
{
	coap_opt_iterator_t it;
	coap_opt_t *o = coap_check_option(pdu, num, &it);
	if (!o)
		return -1;
	return (int)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
}

int dm_pdu_format(const coap_pdu_t *pdu)
{
	return uint_option(pdu, COAP_OPTION_CONTENT_FORMAT);
}

int dm_pdu_has_observe(const coap_pdu_t *pdu)
{
	return uint_option(pdu, COAP_OPTION_OBSERVE) >= 0;
}

static coap_response_t answer(dm *e, dm_req *rq, const coap_pdu_t *rcvd)
{
	int code = dm_pdu_code(rcvd);
	size_t len = 0, off = 0, total = 0;
	const uint8_t *data = NULL;
	/* SINGLE_BODY: the whole (reassembled Block2) body at once. */
	if (!coap_get_data_large(rcvd, &len, &data, &off, &total)) {
		len = 0;
		data = NULL;
	}
	if (len > LWM2M_MAX_PAYLOAD || off != 0) {
		dm_finish(e, rq, DB_REQ_FAILED, code, -1, NULL, 0,
		          "response too large");
		return COAP_RESPONSE_OK;
	}
	int fmt = len ? dm_pdu_format(rcvd) : -1;
	if (rq->op == DM_OBSERVE && code / 100 == 2 && dm_pdu_has_observe(rcvd))
		dm_obs_started(e, rq, rcvd, fmt, data, len);
	else if (rq->op == DM_OBSERVE_CANCEL && rq->obs_id)
		dm_obs_ended(e, rq->token, DM_TOKEN_LEN, rq->obs_id);
	dm_finish(e, rq, DB_REQ_DONE, code, fmt, data, len, "");
	return COAP_RESPONSE_OK;
}

coap_response_t dm_on_response(dm *e, coap_session_t *s,
                               const coap_pdu_t *sent, const coap_pdu_t *rcvd,
                               const coap_mid_t mid)
{
	(void)s;
	(void)mid;
	if (!e || !rcvd)
		return COAP_RESPONSE_OK;
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	dm_req *rq = NULL;
	dm_obs *o = NULL;
	if (tok.length == DM_TOKEN_LEN) {
		rq = dm_map_get(&e->inflight, tok.s, DM_TOKEN_LEN);
		o = dm_map_get(&e->obs, tok.s, DM_TOKEN_LEN);
	}
	/* A Cancel shares its observation's token: a notification crossing
	 * it (separate, with Observe) is still a notification. */
	if (rq && o && !sent && dm_pdu_has_observe(rcvd))
		return dm_obs_notification(e, o, rcvd);
	if (rq)
		return answer(e, rq, rcvd);
	if (o)
		return dm_obs_notification(e, o, rcvd);
	/* A retransmitted answer of a finished request, or a notification
	 * nobody observes (any more): an RST makes the device stop. */
	if (!sent) {
		log_kv(NLOG_DEBUG, "dm unknown token, reset", NULL);
		return COAP_RESPONSE_FAIL;
	}
	return COAP_RESPONSE_OK;
}

static const struct {
	coap_nack_reason_t reason;
	const char *error;
} nack_errors[] = {
	{ COAP_NACK_TOO_MANY_RETRIES, "timeout" },
	{ COAP_NACK_NOT_DELIVERABLE, "not deliverable" },
	{ COAP_NACK_RST, "reset" },
	{ COAP_NACK_TLS_FAILED, "tls failed" },
	{ COAP_NACK_ICMP_ISSUE, "not deliverable" },
};

static const char *nack_error(coap_nack_reason_t r)
{
	for (size_t i = 0; i < sizeof nack_errors / sizeof nack_errors[0]; i++)
		if (nack_errors[i].reason == r)
			return nack_errors[i].error;
	return "not deliverable";
}

static int is_retired(const dm_dev *dev, coap_bin_const_t tok)
{
	if (tok.length != DM_TOKEN_LEN)
		return 0;
	unsigned n = dev->nretired < DM_RETIRED ? dev->nretired : DM_RETIRED;
	for (unsigned i = 0; i < n; i++)
		if (!memcmp(dev->retired[i], tok.s, DM_TOKEN_LEN))
			return 1;
	return 0;
}

void dm_on_nack(dm *e, coap_session_t *s, const coap_pdu_t *sent,
                coap_nack_reason_t reason, const coap_mid_t mid)
{
	(void)mid;
	if (!e)
		return;
	coap_bin_const_t tok = { 0, NULL };
	if (sent)
		tok = coap_pdu_get_token(sent);
	dm_req *rq = NULL;
	if (tok.length == DM_TOKEN_LEN)
		rq = dm_map_get(&e->inflight, tok.s, DM_TOKEN_LEN);
	if (!rq && s) {
		/* Block-wise NACKs carry libcoap's internal token; the one
		 * request in flight on this session is the one that failed,
		 * unless the token is one of an earlier, finished request. */
		dm_dev *dev = dm_map_get(&e->sessions, &s, sizeof s);
		if (dev && dev->inflight && dev->inflight->s == s &&
		    !is_retired(dev, tok))
			rq = dev->inflight;
	}
	if (!rq)
		return;
	dm_finish(e, rq, DB_REQ_FAILED, 0, -1, NULL, 0, nack_error(reason));
}
