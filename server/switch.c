/*
 * switch.c: the switch state machine as a table (DESIGN §7), its
 * transitions and the inventory change each one makes, and the public
 * calls of server/switch.h. The LwM2M requests of each state are in
 * switch_steps.c.
 *
 * A transition is one SQLite transaction: the job row, its transition
 * row and the profile/instance change of the state entered. Only after it
 * committed does the state's action send anything, so after a crash the
 * database never says less than what went on the wire.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "server/switch_int.h"
#include "server/dm_engine.h"
#include "server/log.h"
#include "crypto/pki.h"

#define B(s) (1u << (s))
#define ENDS (B(S_FAILED) | B(S_CANCELLED))

/* state -> name, final, the states it may move to. The action of each
 * state is sw_enter (switch_steps.c), one case per row. */
static const struct {
	const char *name;
	int final;
	unsigned next;
} states[S_N] = {
	[S_QUEUED]            = { "queued", 0, B(S_WAITING_ONLINE) | ENDS },
	[S_WAITING_ONLINE]    = { "waiting_online", 0, B(S_PREPARING) | ENDS },
	[S_PREPARING]         = { "preparing", 0,
	                          B(S_WRITING_507) | B(S_LINKING) | ENDS },
	[S_WRITING_507]       = { "writing_507", 0,
	                          B(S_LINKING) | B(S_DONE) | ENDS },
	[S_LINKING]           = { "linking", 0, B(S_LOADING) | ENDS },
	[S_LOADING]           = { "loading", 0, B(S_AWAITING_RESULT) | ENDS },
	[S_AWAITING_RESULT]   = { "awaiting_result", 0,
	                          B(S_AWAITING_REATTACH) | B(S_LINKING) |
	                          B(S_TIMED_OUT) | ENDS },
	[S_AWAITING_REATTACH] = { "awaiting_reattach", 0,
	                          B(S_VERIFYING) | B(S_TIMED_OUT) | ENDS },
	[S_VERIFYING]         = { "verifying", 0,
	                          B(S_DONE) | B(S_ROLLED_BACK) |
	                          B(S_AWAITING_REATTACH) | B(S_TIMED_OUT) | ENDS },
	[S_DONE]              = { "done", 1, 0 },
	[S_FAILED]            = { "failed", 1, 0 },
	[S_ROLLED_BACK]       = { "rolled_back", 1, 0 },
	[S_TIMED_OUT]         = { "timed_out", 1, 0 },
	[S_CANCELLED]         = { "cancelled", 1, 0 },
};

const char *sw_state_name(int st)
{
	return st >= 0 && st < S_N ? states[st].name : "unknown";
}

int sw_state_from_name(const char *s)
{
	for (int i = 0; s && i < S_N; i++)
		if (!strcmp(states[i].name, s))
			return i;
	return -1;
}

int sw_state_valid(const char *state)
{
	return sw_state_from_name(state) >= 0;
}

int sw_state_final(const char *state)
{
	int st = sw_state_from_name(state);
	return st >= 0 && states[st].final;
}

sw_job *sw_job_by_ep(sw *s, const char *ep)
{
	for (sw_job *j = s->jobs; j; j = j->next)
		if (!strcmp(j->r.endpoint, ep))
			return j;
	return NULL;
}

static void job_unlink(sw *s, sw_job *j)
{
	for (sw_job **pp = &s->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			return;
		}
}

static void job_free(sw_job *j)
{
	if (j->timer)
		loop_timer_cancel(j->s->cfg.l, j->timer);
	j->timer = NULL;
	sw_detach(j);
	if (j->crypto_busy) {
		j->dead = 1;       /* the pool's done callback frees it */
		return;
	}
	if (j->have_pkg)
		pkg_507_free(&j->pkg);
	free(j->cert);
	free(j);
}

static void jlog(int level, const char *msg, const sw_job *j,
                 const char *k, const char *v)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)j->r.id);
	log_kv(level, msg, "job", id, "ep", j->r.endpoint, "state",
	       sw_state_name(j->st), k, v, NULL);
}

int sw_save(sw_job *j)
{
	if (db_job_save(j->s->cfg.db, &j->r, 0, NULL) != DB_OK) {
		jlog(NLOG_ERROR, "job save failed", j, "error",
		     db_errmsg(j->s->cfg.db));
		return -1;
	}
	return 0;
}

/* ---- inventory, one change per state entered --------------------------- */

/* The instance this job wrote (not one an operator staged before). */
static int wrote_instance(sw *s, const sw_job *j, db_instance *in)
{
	if (!j->r.to_iccid[0] ||
	    db_inst_by_iccid(s->cfg.db, j->r.to_iccid, in) != DB_OK)
		return 0;
	return in->job_id == j->r.id;
}

/* After a switch is done: the new instance is active, the one before is
 * the fallback, anything older goes (instance deleted, profile retired). */
static db_rc inv_done(sw *s, sw_job *j, int *del, size_t *ndel)
{
	db *d = s->cfg.db;
	db_instance *list = NULL;
	size_t n = 0;
	db_rc rc;
	*ndel = 0;
	if ((rc = db_profile_move(d, j->r.to_iccid, "reserved", "installed")))
		return rc;
	if ((rc = db_inst_list(d, j->r.endpoint, &list, &n)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		if (list[i].instance == j->r.instance)
			continue;
		if (!strcmp(list[i].role, "fallback")) {
			if (!(rc = db_inst_delete(d, j->r.endpoint, list[i].instance)))
				rc = db_profile_move(d, list[i].iccid, "installed",
				                     "retired");
			if (rc == DB_CONFLICT)
				rc = DB_OK;   /* quarantined already: leave it */
			if (!rc && *ndel < 16)
				del[(*ndel)++] = list[i].instance;
		}
	}
	for (size_t i = 0; i < n && !rc; i++)
		if (list[i].instance != j->r.instance &&
		    !strcmp(list[i].role, "active"))
			rc = db_inst_set_role(d, j->r.endpoint, list[i].instance,
			                      "fallback");
	free(list);
	if (!rc)
		rc = db_inst_set_role(d, j->r.endpoint, j->r.instance, "active");
	return rc;
}

/* A job that did not get its profile installed: a profile that went into
 * a Load Profile is quarantined (its fate is unknown), one that did not
 * returns to the pool; the instance this job wrote is deleted. */
static db_rc inv_unwind(sw *s, sw_job *j, int *del)
{
	db *d = s->cfg.db;
	db_instance in;
	db_rc rc = DB_OK;
	*del = -1;
	if (!j->r.to_iccid[0])
		return DB_OK;
	int mine = wrote_instance(s, j, &in);
	if (j->r.load_sent) {
		if (db_inst_by_iccid(d, j->r.to_iccid, &in) == DB_OK) {
			if ((rc = db_inst_delete(d, in.endpoint, in.instance)))
				return rc;
			*del = in.instance;
		}
		rc = db_profile_move(d, j->r.to_iccid, "reserved", "quarantined");
		return rc == DB_CONFLICT ? DB_OK : rc;
	}
	if (!mine && db_inst_by_iccid(d, j->r.to_iccid, &in) == DB_OK)
		return DB_OK;     /* staged before this job: still staged */
	if (mine) {
		if ((rc = db_inst_delete(d, in.endpoint, in.instance)))
			return rc;
		*del = in.instance;
	}
	rc = db_profile_move(d, j->r.to_iccid, "reserved", "available");
	return rc == DB_CONFLICT ? DB_OK : rc;
}

static db_rc inventory(sw *s, sw_job *j, int next, int *del, size_t *ndel)
{
	db *d = s->cfg.db;
	*ndel = 0;
	switch (next) {
	case S_WRITING_507: {
		db_instance in = { .instance = j->r.instance, .job_id = j->r.id };
		snprintf(in.endpoint, sizeof in.endpoint, "%s", j->r.endpoint);
		snprintf(in.iccid, sizeof in.iccid, "%s", j->r.to_iccid);
		snprintf(in.carrier, sizeof in.carrier, "%s", j->r.carrier);
		snprintf(in.role, sizeof in.role, "staged");
		return db_inst_put(d, &in);
	}
	case S_LOADING:
		j->r.load_sent = 1;
		return db_profile_mark_loaded(d, j->r.to_iccid);
	case S_DONE:
		if (!strcmp(j->r.kind, "stage"))
			return DB_OK;   /* staged: the profile stays reserved */
		return inv_done(s, j, del, ndel);
	case S_FAILED:
	case S_ROLLED_BACK:
	case S_TIMED_OUT:
	case S_CANCELLED: {
		db_rc rc = inv_unwind(s, j, &del[0]);
		if (!rc && del[0] >= 0)
			*ndel = 1;
		return rc;
	}
	default:
		return DB_OK;
	}
}

/* ---- transitions ------------------------------------------------------- */

static void publish(sw *s, sw_job *j)
{
	json_t *x = json_pack("{sssssssssisb}", "kind", j->r.kind,
	                      "carrier", j->r.carrier,
	                      "from_iccid", j->r.from_iccid,
	                      "to_iccid", j->r.to_iccid,
	                      "result_code", j->r.result_code,
	                      "retryable", j->r.retryable != 0);
	if (x && j->r.error[0])
		json_object_set_new(x, "error", json_string(j->r.error));
	char *t = x ? json_dumps(x, JSON_COMPACT) : NULL;
	json_decref(x);
	evbus_job(s->cfg.bus, j->r.id, j->r.endpoint, sw_state_name(j->st), t);
	free(t);
}

static void audit_outcome(sw *s, sw_job *j)
{
	char target[48], detail[640], action[48];
	snprintf(target, sizeof target, "job %lld", (long long)j->r.id);
	snprintf(action, sizeof action, "%s %s", j->r.kind, sw_state_name(j->st));
	snprintf(detail, sizeof detail, "endpoint=%s carrier=%s from=%s to=%s "
	         "result_code=%d%s%s", j->r.endpoint, j->r.carrier,
	         j->r.from_iccid, j->r.to_iccid, j->r.result_code,
	         j->r.error[0] ? " error=" : "", j->r.error);
	if (db_audit_add(s->cfg.db, "nusimd", action, target, detail) != DB_OK)
		jlog(NLOG_WARN, "audit write failed", j, "error",
		     db_errmsg(s->cfg.db));
}

int sw_go(sw_job *j, int next, const char *detail)
{
	sw *s = j->s;
	db *d = s->cfg.db;
	int del[16];
	size_t ndel = 0;

	if (j->paused)
		return -1;
	if (next < 0 || next >= S_N || !(states[j->st].next & B(next))) {
		jlog(NLOG_ERROR, "job transition not in the table", j, "to",
		     sw_state_name(next));
		next = S_FAILED;
		snprintf(j->r.error, sizeof j->r.error, "internal: transition "
		         "%s -> %s refused", sw_state_name(j->st),
		         sw_state_name(next));
	}
	/* Test hook (docs/design.md): stop before leaving the named state,
	 * so a test can kill -9 nusimd exactly there. A cancel still ends it. */
	if (s->pause_at[0] && !strcmp(s->pause_at, sw_state_name(j->st)) &&
	    next != S_CANCELLED) {
		j->paused = 1;
		sw_detach(j);
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)j->r.id);
		log_kv(NLOG_INFO, "paused", "job", id, "state", sw_state_name(j->st),
		       "ep", j->r.endpoint, "next", sw_state_name(next), NULL);
		return -1;
	}
	if (j->timer) {
		loop_timer_cancel(s->cfg.l, j->timer);
		j->timer = NULL;
	}
	j->busy_wait = 0;
	j->wait_reg = 0;
	db_job saved = j->r;
	int prev = j->st;
	snprintf(j->r.state, sizeof j->r.state, "%s", sw_state_name(next));
	j->r.final = states[next].final;
	if (next == S_AWAITING_REATTACH && prev != S_VERIFYING)
		j->r.deadline = loop_wall_s() + s->cfg.reattach_timeout_s;
	db_rc rc = db_begin(d);
	if (!rc)
		rc = inventory(s, j, next, del, &ndel);
	if (!rc)
		rc = db_job_save(d, &j->r, 1, detail);
	if (!rc)
		rc = db_commit(d);
	else
		db_rollback(d);
	if (rc) {
		/* Nothing changed on disk: the job stays where it was and a
		 * restart resumes it there. */
		j->r = saved;
		jlog(NLOG_ERROR, "job transition failed", j, "error",
		     db_errmsg(d));
		j->paused = 1;
		return -1;
	}
	j->st = next;
	jlog(states[next].final ? NLOG_INFO : NLOG_DEBUG, "job state", j,
	     "detail", detail ? detail : "");
	publish(s, j);
	for (size_t i = 0; i < ndel; i++)
		sw_delete_instance(s, j->r.endpoint, del[i]);
	if (states[next].final) {
		audit_outcome(s, j);
		if (next == S_DONE)
			s->st.done++;
		else
			s->st.failed++;
		s->st.running--;
		job_unlink(s, j);
		job_free(j);
		return 0;
	}
	j->resumed = 0;
	sw_enter(j);
	return 0;
}

void sw_fail(sw_job *j, int code, int retryable, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->r.error, sizeof j->r.error, fmt, ap);
	va_end(ap);
	j->r.result_code = code;
	j->r.retryable = retryable;
	sw_go(j, S_FAILED, j->r.error);
}

static void retry_cb(void *arg)
{
	sw_job *j = arg;
	j->timer = NULL;
	if (!j->paused)
		sw_enter(j);
}

void sw_retry_or_fail(sw_job *j, const char *why)
{
	sw *s = j->s;
	if (j->r.attempts >= s->cfg.max_retries) {
		sw_fail(j, j->r.result_code, 1, "%s (after %d retries)", why,
		        j->r.attempts);
		return;
	}
	int64_t ms = s->cfg.retry_backoff_ms << (j->r.attempts < 10 ? j->r.attempts : 10);
	j->r.attempts++;
	snprintf(j->r.error, sizeof j->r.error, "retrying: %s", why);
	sw_save(j);
	jlog(NLOG_INFO, "job retry", j, "why", why);
	j->timer = loop_timer_add(s->cfg.l, ms, retry_cb, j);
}

/* ---- events from the rest of the server -------------------------------- */

static void on_event(void *arg, const ev_event *e)
{
	sw *s = arg;
	if (e->kind == EV_JOB || !e->ep)
		return;
	sw_job *j = sw_job_by_ep(s, e->ep);
	if (j && !j->paused)
		sw_on_device_event(s, j, e->kind, e->addr);
}

static void on_notify(void *arg, const char *ep, const char *path,
                      int coap_code, int active, lwm2m_format format,
                      const uint8_t *payload, size_t len)
{
	sw *s = arg;
	if (strcmp(path, "/508/0/6"))
		return;
	sw_job *j = sw_job_by_ep(s, ep);
	if (!j || j->paused)
		return;
	if (!active || coap_code / 100 != 2) {
		j->observing = 0;
		return;
	}
	lwm2m_path p;
	lwm2m_records recs;
	lwm2m_records_init(&recs);
	lwm2m_path_parse(path, strlen(path), &p);
	if (lwm2m_decode(format, &p, payload, len, &recs) == LWM2M_OK &&
	    recs.n == 1 && (recs.rec[0].value.type == LWM2M_T_INTEGER ||
	                    lwm2m_value_convert(&recs.rec[0].value,
	                                        LWM2M_T_INTEGER) == LWM2M_OK))
		sw_on_notify(s, j, (int)recs.rec[0].value.v.i);
	lwm2m_records_free(&recs);
}

/* ---- public calls ---------------------------------------------------- */

static sw_job *job_new(sw *s, const db_job *r)
{
	sw_job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->s = s;
	j->r = *r;
	j->st = sw_state_from_name(r->state);
	j->pending_result = -1;
	j->next = s->jobs;
	s->jobs = j;
	s->st.running++;
	return j;
}

/* Requests a previous run left queued for this job would be sent on the
 * device's next wake-up, maybe a second Load Profile: cancel them. */
static void cancel_leftovers(sw *s, const db_job *r)
{
	db_request *list = NULL;
	size_t n = 0;
	char origin[65];
	snprintf(origin, sizeof origin, "switch:%lld", (long long)r->id);
	if (db_request_queued(s->cfg.db, r->endpoint, 256, &list, &n) != DB_OK)
		return;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].origin, origin))
			dm_cancel(s->cfg.dm, list[i].id);
	db_request_list_free(list, n);
}

static void resume_all(sw *s)
{
	db_job *list = NULL;
	size_t n = 0;
	if (db_job_unfinished(s->cfg.db, &list, &n) != DB_OK) {
		log_kv(NLOG_ERROR, "cannot load unfinished jobs", "error",
		       db_errmsg(s->cfg.db), NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (sw_state_from_name(list[i].state) < 0)
			continue;
		cancel_leftovers(s, &list[i]);
		sw_job *j = job_new(s, &list[i]);
		if (!j)
			break;
		j->resumed = 1;
		jlog(NLOG_INFO, "job resumed", j, NULL, NULL);
	}
	free(list);
	/* Entered after all are listed: an action may end a job at once. */
	for (sw_job *j = s->jobs, *next; j; j = next) {
		next = j->next;
		if (j->resumed)
			sw_enter(j);
	}
}

sw *sw_new(const sw_config *c, char *err, size_t errlen)
{
	sw *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = *c;
	snprintf(s->pki_dir, sizeof s->pki_dir, "%s", c->pki_dir ? c->pki_dir : "");
	snprintf(s->pause_at, sizeof s->pause_at, "%s", c->pause_at ? c->pause_at : "");
	s->cfg.pki_dir = s->pki_dir;
	s->cfg.pause_at = s->pause_at;
	if (s->cfg.reattach_timeout_s <= 0)
		s->cfg.reattach_timeout_s = 300;
	if (s->cfg.wait_online_s <= 0)
		s->cfg.wait_online_s = 86400;
	if (s->cfg.result_timeout_ms <= 0)
		s->cfg.result_timeout_ms = 30000;
	if (s->cfg.retry_backoff_ms <= 0)
		s->cfg.retry_backoff_ms = 1000;
	if (s->cfg.max_retries < 0)
		s->cfg.max_retries = 0;
	if (s->pause_at[0] && sw_state_from_name(s->pause_at) < 0) {
		snprintf(err, errlen, "test_pause_at: \"%s\" is not a state",
		         s->pause_at);
		free(s);
		return NULL;
	}
	if (s->pki_dir[0]) {
		char why[256];
		if (pki_load_dp(s->pki_dir, &s->dp, why, sizeof why))
			log_kv(NLOG_WARN, "pki not loaded: switches will fail",
			       "pki_dir", s->pki_dir, "error", why, NULL);
	}
	s->pool = cpool_new(c->l, c->crypto_workers > 0 ? c->crypto_workers : 2, 0);
	if (!s->pool) {
		snprintf(err, errlen, "cannot start the crypto workers");
		pkg_dp_free(s->dp);
		free(s);
		return NULL;
	}
	if (evbus_subscribe(c->bus, on_event, s) < 0)
		log_kv(NLOG_WARN, "switch engine hears no registrations", NULL);
	dm_set_notify_cb(c->dm, on_notify, s);
	if (s->pause_at[0])
		log_kv(NLOG_WARN, "test hook: jobs pause before leaving a state",
		       "test_pause_at", s->pause_at, NULL);
	resume_all(s);
	return s;
}

void sw_free(sw *s)
{
	if (!s)
		return;
	evbus_unsubscribe(s->cfg.bus, on_event, s);
	dm_set_notify_cb(s->cfg.dm, NULL, NULL);
	while (s->jobs) {
		sw_job *j = s->jobs;
		s->jobs = j->next;
		job_free(j);
	}
	cpool_free(s->pool);     /* frees the jobs that were waiting on it */
	pkg_dp_free(s->dp);
	free(s);
}

int sw_ready(const sw *s)
{
	return s && s->dp;
}

void sw_get_stats(sw *s, sw_stats *out)
{
	*out = s->st;
}

static int device_known(db *d, const char *ep)
{
	db_registration r;
	db_device dv;
	memset(&r, 0, sizeof r);
	memset(&dv, 0, sizeof dv);
	if (db_reg_get(d, ep, &r) == DB_OK) {
		db_registration_clear(&r);
		return 1;
	}
	if (db_device_get(d, ep, &dv) == DB_OK) {
		db_device_clear(&dv);
		return 1;
	}
	return 0;
}

int sw_start(sw *s, const char *kind, const char *ep, const char *carrier,
             const char *iccid, const char *origin, int64_t campaign_id,
             int64_t *job_id, char *err, size_t errlen)
{
	db *d = s->cfg.db;
	db_job r, act;
	*job_id = 0;
	if (!carrier)
		carrier = "";
	if (!iccid)
		iccid = "";
	if (!ep || !*ep || strlen(ep) > DB_MAX_EP ||
	    (strcmp(kind, "switch") && strcmp(kind, "stage")) ||
	    (!*carrier == !*iccid) || strlen(carrier) > DB_MAX_CARRIER ||
	    strlen(iccid) > DB_MAX_ICCID) {
		snprintf(err, errlen, "give exactly one of carrier and iccid");
		return SW_ERR_BAD;
	}
	if (!device_known(d, ep)) {
		snprintf(err, errlen, "no device or registration \"%s\"", ep);
		return SW_ERR_NO_DEVICE;
	}
	if (db_job_active(d, ep, &act) == DB_OK) {
		*job_id = act.id;
		snprintf(err, errlen, "device \"%s\" has a running job %lld", ep,
		         (long long)act.id);
		return SW_ERR_ACTIVE;
	}
	if (!s->dp) {
		snprintf(err, errlen, "no PKI loaded (set pki_dir / --pki-dir)");
		return SW_ERR_NO_PKI;
	}
	memset(&r, 0, sizeof r);
	if (*iccid) {
		db_profile p;
		if (db_profile_get(d, iccid, &p) != DB_OK) {
			snprintf(err, errlen, "no profile %s", iccid);
			return SW_ERR_EMPTY_POOL;
		}
		db_profile_clear(&p);
		snprintf(r.carrier, sizeof r.carrier, "%s", p.carrier);
		db_instance st;
		int staged_here = db_inst_by_iccid(d, iccid, &st) == DB_OK &&
		                  !strcmp(st.endpoint, ep) &&
		                  !strcmp(st.role, "staged");
		if (strcmp(p.state, "available") &&
		    !(staged_here && !strcmp(kind, "switch"))) {
			snprintf(err, errlen, "profile %s is %s", iccid, p.state);
			return SW_ERR_EMPTY_POOL;
		}
	} else {
		if (db_carrier_known(d, carrier) != DB_OK) {
			snprintf(err, errlen, "no carrier \"%s\" in the inventory",
			         carrier);
			return SW_ERR_UNKNOWN_CARRIER;
		}
		snprintf(r.carrier, sizeof r.carrier, "%s", carrier);
	}
	db_instance st;
	int staged = db_inst_staged(d, ep, r.carrier, &st) == DB_OK;
	if (!strcmp(kind, "stage") && staged) {
		snprintf(err, errlen, "carrier \"%s\" is staged on \"%s\" already "
		         "(instance %d)", r.carrier, ep, st.instance);
		return SW_ERR_STAGED;
	}
	if (!*iccid && !staged) {
		db_profile *pl = NULL;
		size_t n = 0;
		if (db_profile_list(d, r.carrier, "available", NULL, 1, &pl, &n) ||
		    n == 0) {
			db_profile_list_free(pl, n);
			snprintf(err, errlen, "the pool of carrier \"%s\" is empty",
			         r.carrier);
			return SW_ERR_EMPTY_POOL;
		}
		db_profile_list_free(pl, n);
	}
	snprintf(r.kind, sizeof r.kind, "%s", kind);
	snprintf(r.endpoint, sizeof r.endpoint, "%s", ep);
	snprintf(r.want_iccid, sizeof r.want_iccid, "%s", iccid);
	snprintf(r.state, sizeof r.state, "queued");
	snprintf(r.origin, sizeof r.origin, "%s", origin ? origin : "");
	r.campaign_id = campaign_id;
	db_rc rc = db_job_add(d, &r);
	if (rc == DB_CONFLICT && db_job_active(d, ep, &act) == DB_OK) {
		*job_id = act.id;
		snprintf(err, errlen, "device \"%s\" has a running job %lld", ep,
		         (long long)act.id);
		return SW_ERR_ACTIVE;
	}
	if (rc) {
		snprintf(err, errlen, "cannot store the job: %s", db_errmsg(d));
		return SW_ERR_STORAGE;
	}
	*job_id = r.id;
	char target[DB_MAX_EP + 32], detail[128];
	snprintf(target, sizeof target, "%s", ep);
	snprintf(detail, sizeof detail, "job=%lld carrier=%s iccid=%s",
	         (long long)r.id, r.carrier, iccid);
	db_audit_add(d, origin && *origin ? origin : "nusimd",
	             !strcmp(kind, "stage") ? "stage" : "switch", target, detail);
	sw_job *j = job_new(s, &r);
	if (!j) {
		snprintf(err, errlen, "out of memory");
		return SW_ERR_STORAGE;
	}
	publish(s, j);
	sw_enter(j);
	return SW_OK;
}

int sw_cancel(sw *s, int64_t job_id, const char *origin, char *err,
              size_t errlen)
{
	sw_job *j;
	for (j = s->jobs; j && j->r.id != job_id; j = j->next)
		;
	if (!j) {
		db_job r;
		if (db_job_get(s->cfg.db, job_id, &r) != DB_OK) {
			snprintf(err, errlen, "no job %lld", (long long)job_id);
			return SW_ERR_NOT_FOUND;
		}
		snprintf(err, errlen, "job %lld has ended (%s)", (long long)job_id,
		         r.state);
		return SW_ERR_FINAL;
	}
	char target[48];
	snprintf(target, sizeof target, "job %lld", (long long)job_id);
	db_audit_add(s->cfg.db, origin && *origin ? origin : "nusimd", "cancel",
	             target, j->r.endpoint);
	sw_detach(j);
	j->paused = 0;
	snprintf(j->r.error, sizeof j->r.error, "cancelled by %s in %s",
	         origin && *origin ? origin : "nusimd", sw_state_name(j->st));
	if (sw_go(j, S_CANCELLED, j->r.error) < 0) {
		snprintf(err, errlen, "cannot cancel: %s", db_errmsg(s->cfg.db));
		return SW_ERR_STORAGE;
	}
	return SW_OK;
}

int sw_unstage(sw *s, const char *ep, const char *carrier,
               const char *origin, char *err, size_t errlen)
{
	db *d = s->cfg.db;
	db_instance in;
	db_job act;
	if (!ep || !carrier || db_inst_staged(d, ep, carrier, &in) != DB_OK) {
		snprintf(err, errlen, "no profile of carrier \"%s\" is staged on "
		         "\"%s\"", carrier ? carrier : "", ep ? ep : "");
		return SW_ERR_NOT_FOUND;
	}
	if (db_job_active(d, ep, &act) == DB_OK) {
		snprintf(err, errlen, "device \"%s\" has a running job %lld", ep,
		         (long long)act.id);
		return SW_ERR_ACTIVE;
	}
	db_rc rc = db_begin(d);
	if (!rc) {
		if ((rc = db_inst_delete(d, ep, in.instance)) ||
		    (rc = db_profile_move(d, in.iccid, "reserved", "available")))
			db_rollback(d);
		else
			rc = db_commit(d);
	}
	if (rc) {
		snprintf(err, errlen, "cannot unstage: %s", db_errmsg(d));
		return SW_ERR_STORAGE;
	}
	sw_delete_instance(s, ep, in.instance);
	char detail[96];
	snprintf(detail, sizeof detail, "carrier=%s iccid=%s instance=%d",
	         carrier, in.iccid, in.instance);
	db_audit_add(d, origin && *origin ? origin : "nusimd", "unstage", ep,
	             detail);
	return SW_OK;
}
