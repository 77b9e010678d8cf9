/*
 * observe.c: observations the server holds on devices (NOTES §3). A 2.xx
 * answer with Observe to an Observe request is stored (token, path, value)
 * so it survives restarts; its token stays in a map, since libcoap keeps
 * nothing we could persist and delivers later notifications with the old
 * token, also on a new session. A non-2.xx code or a missing Observe
 * option ends the observation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/dm_int.h"
#include "server/log.h"

static dm_obs *obs_track(dm *e, int64_t id, const char *ep, const char *path,
                         const uint8_t *tok)
{
	dm_obs *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->id = id;
	snprintf(o->ep, sizeof o->ep, "%s", ep);
	snprintf(o->path, sizeof o->path, "%s", path);
	free(dm_map_del(&e->obs, tok, DM_TOKEN_LEN));
	if (dm_map_put(&e->obs, tok, DM_TOKEN_LEN, o) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

void dm_obs_started(dm *e, dm_req *rq, const coap_pdu_t *rcvd, int fmt,
                    const uint8_t *payload, size_t len)
{
	(void)rcvd;
	/* A new observation of the same path replaces the old one; the old
	 * token's notifications then get an RST. */
	db_observation old;
	memset(&old, 0, sizeof old);
	if (db_obs_get(e->d, rq->ep, rq->path, &old) == DB_OK &&
	    old.token_len == DM_TOKEN_LEN &&
	    memcmp(old.token, rq->token, DM_TOKEN_LEN))
		free(dm_map_del(&e->obs, old.token, DM_TOKEN_LEN));
	db_observation_clear(&old);

	int64_t now = dm_wall();
	db_observation o = {
		.token_len = DM_TOKEN_LEN, .active = 1, .format = fmt,
		.last = (uint8_t *)payload, .last_len = len,
		.started_at = now, .updated_at = now,
	};
	snprintf(o.endpoint, sizeof o.endpoint, "%s", rq->ep);
	snprintf(o.path, sizeof o.path, "%s", rq->path);
	memcpy(o.token, rq->token, DM_TOKEN_LEN);
	if (db_obs_put(e->d, &o) != DB_OK) {
		log_kv(NLOG_ERROR, "dm observation store failed", "ep", rq->ep,
		       "path", rq->path, "err", db_errmsg(e->d), NULL);
		return;
	}
	if (!obs_track(e, o.id, rq->ep, rq->path, rq->token))
		log_kv(NLOG_ERROR, "dm out of memory", NULL);
	log_kv(NLOG_INFO, "dm observation started", "ep", rq->ep, "path",
	       rq->path, NULL);
}

void dm_obs_ended(dm *e, const uint8_t *tok, size_t toklen, int64_t id)
{
	if (db_obs_set_active(e->d, id, 0) != DB_OK)
		log_kv(NLOG_ERROR, "dm observation update failed", "err",
		       db_errmsg(e->d), NULL);
	if (toklen == DM_TOKEN_LEN)
		free(dm_map_del(&e->obs, tok, DM_TOKEN_LEN));
}

/* A 2.xx without Observe ends an observation nobody here cancelled: the
 * device dropped it, or a previous nusimd's libcoap cancelled it while
 * shutting down (coap_free_context cancels what the context observes).
 * Observe again; the request waits in the queue until the device is
 * reachable, like any other. */
static void reobserve(dm *e, const char *ep, const char *path)
{
	dm_request r;
	memset(&r, 0, sizeof r);
	r.op = DM_OBSERVE;
	r.format = LWM2M_CF_NONE;
	r.accept = LWM2M_CF_NONE;
	r.origin = "re-observe";
	if (lwm2m_path_parse(path, strlen(path), &r.path) != LWM2M_OK)
		return;
	int64_t id = 0;
	int rc = dm_submit(e, ep, &r, NULL, NULL, &id);
	log_kv(NLOG_INFO, "dm re-observing", "ep", ep, "path", path, "queued",
	       rc == DM_SUBMIT_QUEUED ? "1" : "0", NULL);
}

coap_response_t dm_obs_notification(dm *e, dm_obs *o, const coap_pdu_t *rcvd)
{
	int code = dm_pdu_code(rcvd);
	size_t len = 0, off = 0, total = 0;
	const uint8_t *data = NULL;
	if (!coap_get_data_large(rcvd, &len, &data, &off, &total)) {
		len = 0;
		data = NULL;
	}
	if (len > LWM2M_MAX_PAYLOAD || off != 0) {
		log_kv(NLOG_WARN, "dm notification too large, dropped", "ep",
		       o->ep, "path", o->path, NULL);
		return COAP_RESPONSE_OK;
	}
	int fmt = len ? dm_pdu_format(rcvd) : -1;
	int active = code / 100 == 2 && dm_pdu_has_observe(rcvd);
	char ep[DB_MAX_EP + 1], path[DB_MAX_PATH];
	snprintf(ep, sizeof ep, "%s", o->ep);
	snprintf(path, sizeof path, "%s", o->path);
	if (active) {
		if (db_obs_notify(e->d, o->id, fmt, data, len, dm_wall()) != DB_OK)
			log_kv(NLOG_ERROR, "dm notification store failed", "ep",
			       ep, "err", db_errmsg(e->d), NULL);
		e->st.notifications++;
	} else {
		coap_bin_const_t tok = coap_pdu_get_token(rcvd);
		char cs[8];
		snprintf(cs, sizeof cs, "%d", code);
		log_kv(NLOG_INFO, "dm observation ended by device", "ep", ep,
		       "path", path, "code", cs, NULL);
		dm_obs_ended(e, tok.s, tok.length, o->id);  /* frees o */
	}
	/* Last: the hook may submit requests. */
	if (e->notify_cb)
		e->notify_cb(e->notify_arg, ep, path, code, active,
		             (lwm2m_format)fmt, data, len);
	if (!active && code / 100 == 2)
		reobserve(e, ep, path);
	return COAP_RESPONSE_OK;
}

int dm_obs_token_for(dm *e, const char *ep, const char *path,
                     uint8_t tok[DM_TOKEN_LEN], int64_t *obs_id)
{
	db_observation o;
	memset(&o, 0, sizeof o);
	int rc = -1;
	if (db_obs_get(e->d, ep, path, &o) == DB_OK && o.active &&
	    o.token_len == DM_TOKEN_LEN) {
		memcpy(tok, o.token, DM_TOKEN_LEN);
		*obs_id = o.id;
		rc = 0;
	}
	db_observation_clear(&o);
	return rc;
}

int dm_obs_reload(dm *e)
{
	db_observation *list = NULL;
	size_t n = 0, kept = 0;
	if (db_obs_list(e->d, NULL, &list, &n) != DB_OK) {
		log_kv(NLOG_ERROR, "dm observations reload failed", "err",
		       db_errmsg(e->d), NULL);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!list[i].active || list[i].token_len != DM_TOKEN_LEN)
			continue;
		if (obs_track(e, list[i].id, list[i].endpoint, list[i].path,
		              list[i].token))
			kept++;
	}
	db_obs_list_free(list, n);
	char ns[24];
	snprintf(ns, sizeof ns, "%zu", kept);
	log_kv(NLOG_INFO, "dm observations reloaded", "active", ns, NULL);
	return 0;
}

void dm_obs_forget(dm *e, const char *ep)
{
	db_observation *list = NULL;
	size_t n = 0;
	if (db_obs_list(e->d, ep, &list, &n) != DB_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		if (list[i].token_len == DM_TOKEN_LEN)
			free(dm_map_del(&e->obs, list[i].token, DM_TOKEN_LEN));
		db_obs_delete(e->d, list[i].id);
	}
	db_obs_list_free(list, n);
}

static void free_obs(void *arg, const void *k, size_t kl, void *val)
{
	free(val);
}

void dm_obs_free_all(dm *e)
{
	dm_map_each(&e->obs, free_obs, NULL);
	dm_map_clear(&e->obs);
}
