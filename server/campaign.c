/*
 * campaign.c: the campaign engine (server/campaign.h).
 *
 * One timer drives everything: it records the jobs that ended (heard on
 * the event bus; a bus callback may not publish, so it only notes the job
 * id), then, per campaign, checks the failure threshold and the window,
 * and starts as many rows as the in-flight limit and the token bucket
 * allow. A row's start and its job's creation share one transaction; the
 * outcomes of one tick share another (one fsync for many rows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "server/campaign.h"
#include "server/log.h"
#include "db/db_switch.h"

#define RATE_SLOTS 60           /* one per second: the last minute */
#define MAX_STARTS_PER_TICK 1000

typedef struct run {
	int64_t id;
	double tokens;
	int64_t last_ms;            /* last refill */
	int64_t last_progress_ms;
	int dirty;                  /* counters changed since the last event */
	int last_state;
	/* finished rows per wall second, for the throughput */
	int64_t slot_sec[RATE_SLOTS];
	int64_t slot_n[RATE_SLOTS];
	struct run *next;
} run;

struct campaigns {
	campaigns_config cfg;
	run *runs;
	loop_timer *timer;
	int64_t *ended;             /* job ids heard ending, not yet recorded */
	size_t nended, capended;
	int in_tick;
};

/* ---- the transition table ---------------------------------------------- */

static const struct {
	const char *action;
	unsigned from;              /* bit per db_camp_state */
	int to;
} transitions[] = {
	{ "start",  1u << DB_CAMP_DRAFT, DB_CAMP_RUNNING },
	{ "pause",  1u << DB_CAMP_RUNNING, DB_CAMP_PAUSED },
	{ "resume", 1u << DB_CAMP_PAUSED, DB_CAMP_RUNNING },
	{ "cancel", (1u << DB_CAMP_DRAFT) | (1u << DB_CAMP_RUNNING) |
	            (1u << DB_CAMP_PAUSED), DB_CAMP_CANCELLED },
};

static void arm(campaigns *e, int64_t ms);

static run *run_find(campaigns *e, int64_t id)
{
	for (run *r = e->runs; r; r = r->next)
		if (r->id == id)
			return r;
	return NULL;
}

static run *run_get(campaigns *e, int64_t id)
{
	run *r = run_find(e, id);
	if (r)
		return r;
	r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->id = id;
	r->last_ms = loop_now_ms();
	r->last_state = -1;
	r->tokens = 1;
	r->next = e->runs;
	e->runs = r;
	return r;
}

static void run_drop(campaigns *e, int64_t id)
{
	for (run **p = &e->runs; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			run *r = *p;
			*p = r->next;
			free(r);
			return;
		}
}

static void rate_note(run *r, int64_t now_s, int64_t n)
{
	int i = (int)(now_s % RATE_SLOTS);
	if (r->slot_sec[i] != now_s) {
		r->slot_sec[i] = now_s;
		r->slot_n[i] = 0;
	}
	r->slot_n[i] += n;
}

void campaigns_rate(campaigns *e, const db_campaign *c, int64_t now,
                    double *rate, double *eta_s)
{
	int64_t finished = c->succeeded + c->failed;
	int64_t left = c->pending + c->started;
	run *r = e ? run_find(e, c->id) : NULL;
	*rate = 0;
	if (r && c->state == DB_CAMP_RUNNING) {
		int64_t n = 0, oldest = now;
		for (int i = 0; i < RATE_SLOTS; i++)
			if (r->slot_sec[i] > now - RATE_SLOTS && r->slot_sec[i] <= now) {
				n += r->slot_n[i];
				if (r->slot_sec[i] < oldest)
					oldest = r->slot_sec[i];
			}
		/* Over the seconds the samples span, at least one. */
		int64_t span = now - oldest + 1;
		if (c->started_at && now - c->started_at + 1 < span)
			span = now - c->started_at + 1;
		*rate = n ? (double)n / (double)(span > 0 ? span : 1) : 0;
	} else if (c->started_at) {
		int64_t end = c->ended_at ? c->ended_at : now;
		int64_t span = end - c->started_at;
		*rate = (double)finished / (double)(span > 0 ? span : 1);
	}
	if (left == 0)
		*eta_s = 0;
	else if (*rate > 0 && !db_camp_state_final(c->state))
		*eta_s = (double)left / *rate;
	else
		*eta_s = -1;
}

/* ---- events ------------------------------------------------------------------ */

static void publish(campaigns *e, const db_campaign *c, const char *reason)
{
	if (!e->cfg.bus)
		return;
	double rate, eta;
	campaigns_rate(e, c, loop_wall_s(), &rate, &eta);
	json_t *f = json_pack("{sssIsIsIsIsIsIsIsIsfsI}",
		"name", c->set.name, "total", (json_int_t)c->total,
		"pending", (json_int_t)c->pending,
		"in_flight", (json_int_t)c->started,
		"succeeded", (json_int_t)c->succeeded,
		"failed", (json_int_t)c->failed,
		"skipped", (json_int_t)c->skipped,
		"max_in_flight", (json_int_t)c->set.max_in_flight,
		"done", (json_int_t)(c->succeeded + c->failed + c->skipped),
		"rate", rate, "eta_s", (json_int_t)(eta < 0 ? -1 : (int64_t)(eta + 0.5)));
	if (f && reason && *reason)
		json_object_set_new(f, "reason", json_string(reason));
	evbus_campaign(e->cfg.bus, c->id, db_camp_state_name(c->state), f);
}

/* Publishes c if its state changed, or if it is dirty and the last event
 * is older than progress_ms (force: now). */
static void maybe_publish(campaigns *e, run *r, const db_campaign *c, int force)
{
	int64_t now = loop_now_ms();
	if (!force && r->last_state == c->state &&
	    (!r->dirty || now - r->last_progress_ms < e->cfg.progress_ms))
		return;
	publish(e, c, c->end_reason);
	r->dirty = 0;
	r->last_progress_ms = now;
	r->last_state = c->state;
}

/* ---- outcomes -------------------------------------------------------------- */

static void on_event(void *arg, const ev_event *ev)
{
	campaigns *e = arg;
	if (ev->kind != EV_JOB || !ev->state || !sw_state_final(ev->state))
		return;
	if (e->nended == e->capended) {
		size_t nc = e->capended ? e->capended * 2 : 64;
		int64_t *p = realloc(e->ended, nc * sizeof *p);
		if (!p) {
			/* Not lost: the row stays started and the restart
			 * reconciliation, or the next tick's check, finds it. */
			log_kv(NLOG_WARN, "campaign: out of memory noting a job end", NULL);
			return;
		}
		e->ended = p;
		e->capended = nc;
	}
	e->ended[e->nended++] = ev->job_id;
	arm(e, 0);
}

/* Records the outcome of job j on its row, if the row is still started. */
static int record(campaigns *e, const db_job *j, db_camp_row *row)
{
	int ok = !strcmp(j->state, "done");
	snprintf(row->outcome, sizeof row->outcome, "%s", j->state);
	snprintf(row->from_iccid, sizeof row->from_iccid, "%s", j->from_iccid);
	snprintf(row->to_iccid, sizeof row->to_iccid, "%s", j->to_iccid);
	row->result_code = j->result_code;
	snprintf(row->error, sizeof row->error, "%s", j->error);
	db_rc rc = db_camp_row_finish(e->cfg.db, row, ok, loop_wall_s());
	if (rc == DB_NOT_FOUND)
		return 0;   /* recorded already */
	if (rc) {
		log_kv(NLOG_WARN, "campaign: cannot record a job outcome", "error",
		       db_errmsg(e->cfg.db), NULL);
		return -1;
	}
	run *r = run_get(e, row->campaign_id);
	if (r) {
		r->dirty = 1;
		rate_note(r, loop_wall_s(), 1);
	}
	return 1;
}

/* Records every job heard ending since the last tick, in one transaction. */
static void record_ended(campaigns *e)
{
	db *d = e->cfg.db;
	if (!e->nended)
		return;
	if (db_begin(d)) {
		log_kv(NLOG_WARN, "campaign: cannot record outcomes", "error",
		       db_errmsg(d), NULL);
		return;     /* kept: retried next tick */
	}
	for (size_t i = 0; i < e->nended; i++) {
		db_camp_row row;
		db_job j;
		if (db_camp_row_by_job(d, e->ended[i], &row) != DB_OK ||
		    row.state != DB_CROW_STARTED)
			continue;   /* not a campaign's job, or recorded */
		if (db_job_get(d, e->ended[i], &j) != DB_OK || !j.final)
			continue;
		record(e, &j, &row);
	}
	if (db_commit(d)) {
		log_kv(NLOG_WARN, "campaign: cannot record outcomes", "error",
		       db_errmsg(d), NULL);
		return;
	}
	e->nended = 0;
}

/* After a restart: the rows left started whose jobs ended meanwhile. */
static int reconcile(campaigns *e, int64_t id)
{
	db *d = e->cfg.db;
	db_camp_row *rows = NULL;
	size_t n = 0;
	if (db_camp_started(d, id, &rows, &n))
		return -1;
	int rc = db_begin(d) ? -1 : 0;
	for (size_t i = 0; !rc && i < n; i++) {
		db_job j;
		db_rc jr = db_job_get(d, rows[i].job_id, &j);
		if (jr == DB_NOT_FOUND) {
			/* Cannot happen (same transaction), but never leave a
			 * row hanging: say what is known. */
			memset(&j, 0, sizeof j);
			snprintf(j.state, sizeof j.state, "failed");
			snprintf(j.error, sizeof j.error, "job %lld is missing",
			         (long long)rows[i].job_id);
			j.result_code = -1;
			j.final = 1;
		} else if (jr) {
			rc = -1;
			break;
		}
		if (j.final && record(e, &j, &rows[i]) < 0)
			rc = -1;
	}
	free(rows);
	if (rc) {
		db_rollback(d);
		return -1;
	}
	return db_commit(d) ? -1 : 0;
}

/* ---- starting rows -------------------------------------------------------- */

/* Starts one pending row: the job and the row's move in one transaction.
 * Returns 1 started, 0 refused (recorded as failed), -1 storage error. */
static int start_row(campaigns *e, const db_camp_row *row)
{
	db *d = e->cfg.db;
	char origin[48], err[256] = "";
	int64_t job = 0, now = loop_wall_s();
	snprintf(origin, sizeof origin, "campaign:%lld", (long long)row->campaign_id);
	if (db_begin(d))
		return -1;
	int rc;
	if (!e->cfg.sw) {
		snprintf(err, sizeof err, "the switch engine is not running");
		rc = SW_ERR_NO_PKI;
	} else {
		rc = sw_start(e->cfg.sw, "switch", row->endpoint,
		              row->target_kind == DB_TARGET_CARRIER ? row->target : NULL,
		              row->target_kind == DB_TARGET_ICCID ? row->target : NULL,
		              origin, row->campaign_id, &job, err, sizeof err);
	}
	db_rc r;
	if (rc == SW_OK) {
		r = db_camp_row_start(d, row->campaign_id, row->line, job, now);
	} else {
		if (rc == SW_ERR_ACTIVE) {
			char tmp[sizeof err];
			snprintf(tmp, sizeof tmp, "device already in an active job "
			         "(job %lld): %s", (long long)job, err);
			memcpy(err, tmp, sizeof err);
		}
		r = db_camp_row_refuse(d, row->campaign_id, row->line,
		                       err[0] ? err : "refused by the switch engine",
		                       now);
	}
	if (r || db_commit(d)) {
		log_kv(NLOG_WARN, "campaign: cannot store a row start", "error",
		       db_errmsg(d), NULL);
		db_rollback(d);
		/* A job created without its row would run unrecorded: cancel
		 * it, so the device is not switched behind the campaign's back. */
		if (rc == SW_OK && e->cfg.sw) {
			char e2[128];
			sw_cancel(e->cfg.sw, job, origin, e2, sizeof e2);
		}
		return -1;
	}
	return rc == SW_OK ? 1 : 0;
}

static void set_state(campaigns *e, db_campaign *c, int state,
                      const char *reason)
{
	db *d = e->cfg.db;
	if (db_camp_set_state(d, c->id, state, reason, loop_wall_s())) {
		log_kv(NLOG_WARN, "campaign: cannot change state", "error",
		       db_errmsg(d), NULL);
		return;
	}
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)c->id);
	log_kv(NLOG_INFO, "campaign", "id", id, "state", db_camp_state_name(state),
	       "reason", reason ? reason : "", NULL);
	c->state = state;
	snprintf(c->end_reason, sizeof c->end_reason, "%s", reason ? reason : "");
}

/* Skips the pending rows, then moves c to `state`. */
static void end_campaign(campaigns *e, db_campaign *c, int state,
                         const char *reason)
{
	int64_t n = 0;
	if (c->pending &&
	    db_camp_skip_pending(e->cfg.db, c->id, reason, loop_wall_s(), &n)) {
		log_kv(NLOG_WARN, "campaign: cannot skip rows", "error",
		       db_errmsg(e->cfg.db), NULL);
		return;
	}
	c->pending -= n;
	c->skipped += n;
	set_state(e, c, state, reason);
}

/* A cancelled campaign's jobs that have not touched the device's nuSIM
 * yet (still waiting for it, or queued) are cancelled with it; the ones
 * past that point finish, so no device is left between two profiles. */
static void cancel_waiting_jobs(campaigns *e, int64_t id, const char *actor)
{
	db_camp_row *rows = NULL;
	size_t n = 0;
	if (!e->cfg.sw || db_camp_started(e->cfg.db, id, &rows, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		db_job j;
		char err[160];
		if (db_job_get(e->cfg.db, rows[i].job_id, &j) || j.final ||
		    (strcmp(j.state, "queued") && strcmp(j.state, "waiting_online")))
			continue;
		sw_cancel(e->cfg.sw, j.id, actor, err, sizeof err);
	}
	free(rows);
}

/* One campaign's share of a tick. Returns 1 while it needs more ticks. */
static int tick_one(campaigns *e, run *r)
{
	db *d = e->cfg.db;
	db_campaign c;
	int64_t now_ms = loop_now_ms(), now = loop_wall_s();
	if (db_camp_get(d, r->id, &c))
		return 0;
	int force = 0;

	/* The failure threshold. */
	int64_t finished = c.succeeded + c.failed;
	if ((c.state == DB_CAMP_RUNNING || c.state == DB_CAMP_PAUSED) &&
	    finished > 0 && finished >= c.set.failure_min_sample &&
	    (double)c.failed * 100.0 > c.set.failure_threshold_pct * (double)finished) {
		char why[160];
		snprintf(why, sizeof why, "failure threshold crossed: %lld of %lld "
		         "finished rows failed (more than %g %%)", (long long)c.failed,
		         (long long)finished, c.set.failure_threshold_pct);
		end_campaign(e, &c, DB_CAMP_ABORTED, why);
		force = 1;
	}
	/* The window's end: nothing more is started. */
	if (c.state == DB_CAMP_RUNNING && c.set.window_end && now >= c.set.window_end &&
	    c.pending) {
		int64_t n = 0;
		if (!db_camp_skip_pending(d, c.id, "the campaign window ended before "
		                          "this row started", now, &n)) {
			c.pending -= n;
			c.skipped += n;
			r->dirty = 1;
		}
	}
	/* Start rows. */
	if (c.state == DB_CAMP_RUNNING && c.pending &&
	    (!c.set.window_start || now >= c.set.window_start)) {
		double dt = (double)(now_ms - r->last_ms) / 1000.0;
		double burst = c.set.max_starts_per_s * 0.2;
		if (burst < 1)
			burst = 1;
		r->tokens += dt * c.set.max_starts_per_s;
		if (r->tokens > burst)
			r->tokens = burst;
		int64_t room = c.set.max_in_flight - c.started;
		int64_t k = (int64_t)r->tokens;
		if (k > room)
			k = room;
		if (k > c.pending)
			k = c.pending;
		if (k > MAX_STARTS_PER_TICK)
			k = MAX_STARTS_PER_TICK;
		if (k > 0) {
			db_camp_row *rows = NULL;
			size_t n = 0;
			if (!db_camp_pending(d, c.id, (int)k, &rows, &n)) {
				for (size_t i = 0; i < n; i++) {
					int s = start_row(e, &rows[i]);
					if (s < 0)
						break;
					r->tokens -= 1;
					r->dirty = 1;
					if (s == 0)
						rate_note(r, now, 1);
				}
			}
			free(rows);
			db_campaign_clear(&c);
			if (db_camp_get(d, r->id, &c))
				return 0;
		}
	}
	r->last_ms = now_ms;
	/* Every row has an outcome: the campaign is over. */
	if (c.state == DB_CAMP_RUNNING && c.pending == 0 && c.started == 0) {
		char why[128] = "";
		if (c.skipped)
			snprintf(why, sizeof why, "%lld rows not started: the window "
			         "ended", (long long)c.skipped);
		set_state(e, &c, DB_CAMP_COMPLETED, why);
		force = 1;
	}
	maybe_publish(e, r, &c, force);
	int more = !db_camp_state_final(c.state) || c.started > 0;
	if (c.state == DB_CAMP_DRAFT)
		more = 0;
	if (db_camp_state_final(c.state) && c.started == 0 && r->dirty)
		publish(e, &c, c.end_reason);   /* the last outcomes */
	db_campaign_clear(&c);
	return more;
}

static void on_tick(void *arg)
{
	campaigns *e = arg;
	e->timer = NULL;
	e->in_tick = 1;
	record_ended(e);
	for (run *r = e->runs, *next; r; r = next) {
		next = r->next;
		if (!tick_one(e, r))
			run_drop(e, r->id);
	}
	e->in_tick = 0;
	if (e->runs || e->nended)
		arm(e, e->cfg.tick_ms);
}

static void arm(campaigns *e, int64_t ms)
{
	if (e->timer || e->in_tick)
		return;
	e->timer = loop_timer_add(e->cfg.l, ms, on_tick, e);
}

/* ---- the interface ----------------------------------------------------------- */

campaigns *campaigns_new(const campaigns_config *cfg, char *err, size_t errlen)
{
	campaigns *e = calloc(1, sizeof *e);
	int64_t *ids = NULL;
	size_t n = 0;
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cfg = *cfg;
	if (e->cfg.tick_ms <= 0)
		e->cfg.tick_ms = 50;
	if (e->cfg.progress_ms <= 0)
		e->cfg.progress_ms = 250;
	if (e->cfg.bus && evbus_subscribe(e->cfg.bus, on_event, e)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* Uploads cut short by the last stop are gone with their client. */
	if (db_camp_stage_discard(cfg->db, 0) ||
	    db_camp_active_ids(cfg->db, &ids, &n)) {
		snprintf(err, errlen, "campaigns: %s", db_errmsg(cfg->db));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		if (reconcile(e, ids[i]) || !run_get(e, ids[i])) {
			snprintf(err, errlen, "campaign %lld: %s", (long long)ids[i],
			         db_errmsg(cfg->db));
			goto fail;
		}
	}
	free(ids);
	if (e->runs)
		arm(e, 0);
	return e;
fail:
	free(ids);
	campaigns_free(e);
	return NULL;
}

void campaigns_free(campaigns *e)
{
	if (!e)
		return;
	if (e->cfg.bus)
		evbus_unsubscribe(e->cfg.bus, on_event, e);
	if (e->timer)
		loop_timer_cancel(e->cfg.l, e->timer);
	while (e->runs)
		run_drop(e, e->runs->id);
	free(e->ended);
	free(e);
}

void campaigns_created(campaigns *e, int64_t id)
{
	db_campaign c;
	if (!e || db_camp_get(e->cfg.db, id, &c))
		return;
	publish(e, &c, NULL);
	db_campaign_clear(&c);
}

int campaigns_action(campaigns *e, int64_t id, const char *action,
                     const char *actor, char *err, size_t errlen)
{
	size_t i, nt = sizeof transitions / sizeof transitions[0];
	for (i = 0; i < nt; i++)
		if (!strcmp(transitions[i].action, action))
			break;
	if (i == nt) {
		snprintf(err, errlen, "unknown action \"%s\": start, pause, resume "
		         "or cancel", action);
		return CAMP_BAD_ACTION;
	}
	db_campaign c;
	db_rc rc = db_camp_get(e->cfg.db, id, &c);
	if (rc == DB_NOT_FOUND) {
		snprintf(err, errlen, "no campaign %lld", (long long)id);
		return CAMP_NOT_FOUND;
	}
	if (rc) {
		snprintf(err, errlen, "%s", db_errmsg(e->cfg.db));
		return CAMP_STORAGE;
	}
	if (!(transitions[i].from & (1u << c.state))) {
		snprintf(err, errlen, "campaign %lld is %s: it cannot %s",
		         (long long)id, db_camp_state_name(c.state), action);
		db_campaign_clear(&c);
		return CAMP_BAD_STATE;
	}
	char why[128];
	snprintf(why, sizeof why, "%s by %s", !strcmp(action, "cancel")
	         ? "cancelled" : action, actor && *actor ? actor : "operator");
	int to = transitions[i].to;
	if (to == DB_CAMP_CANCELLED)
		end_campaign(e, &c, to, why);
	else
		set_state(e, &c, to, NULL);
	int ret = c.state == to ? CAMP_OK : CAMP_STORAGE;
	if (ret) {
		snprintf(err, errlen, "%s", db_errmsg(e->cfg.db));
	} else {
		char act[32], target[48];
		snprintf(act, sizeof act, "campaign_%s", action);
		snprintf(target, sizeof target, "campaign %lld", (long long)id);
		db_audit_add(e->cfg.db, actor && *actor ? actor : "nusimd", act,
		             target, c.set.name);
		if (to == DB_CAMP_CANCELLED)
			cancel_waiting_jobs(e, id, actor && *actor ? actor : "nusimd");
		run *r = run_get(e, id);
		if (r) {
			if (to == DB_CAMP_RUNNING)
				r->last_ms = loop_now_ms();
			r->tokens = r->tokens < 1 ? 1 : r->tokens;
			maybe_publish(e, r, &c, 1);
		}
		arm(e, 0);
	}
	db_campaign_clear(&c);
	return ret;
}
