/*
 * jobs.c: switch and stage jobs and their transitions (db/db_switch.h).
 * A job row carries everything the engine needs to re-enter its state
 * after a crash; every state it entered is a job_transitions row, written
 * in the same transaction as the state itself.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"
#include "db/db_switch.h"

#define JOB_COLS "id, kind, endpoint, carrier, want_iccid, to_iccid, " \
	"from_iccid, eid, instance, state, final, attempts, result_code, " \
	"error, retryable, load_sent, deadline, origin, campaign_id, " \
	"created_at, updated_at"

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static db_rc job_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_job *j = elem;
	memset(j, 0, sizeof *j);
	db_rc rc;
	j->id = sqlite3_column_int64(st, 0);
	if ((rc = db_col_str(d, st, 1, j->kind, sizeof j->kind, "kind")) ||
	    (rc = db_col_str(d, st, 2, j->endpoint, sizeof j->endpoint,
	                     "endpoint")) ||
	    (rc = db_col_str(d, st, 3, j->carrier, sizeof j->carrier,
	                     "carrier")) ||
	    (rc = db_col_str(d, st, 4, j->want_iccid, sizeof j->want_iccid,
	                     "want_iccid")) ||
	    (rc = db_col_str(d, st, 5, j->to_iccid, sizeof j->to_iccid,
	                     "to_iccid")) ||
	    (rc = db_col_str(d, st, 6, j->from_iccid, sizeof j->from_iccid,
	                     "from_iccid")) ||
	    (rc = db_col_str(d, st, 7, j->eid, sizeof j->eid, "eid")) ||
	    (rc = db_col_str(d, st, 9, j->state, sizeof j->state, "state")) ||
	    (rc = db_col_str(d, st, 13, j->error, sizeof j->error, "error")) ||
	    (rc = db_col_str(d, st, 17, j->origin, sizeof j->origin, "origin")))
		return rc;
	j->instance = sqlite3_column_int(st, 8);
	j->final = sqlite3_column_int(st, 10);
	j->attempts = sqlite3_column_int(st, 11);
	j->result_code = sqlite3_column_int(st, 12);
	j->retryable = sqlite3_column_int(st, 14);
	j->load_sent = sqlite3_column_int(st, 15);
	j->deadline = sqlite3_column_int64(st, 16);
	j->campaign_id = sqlite3_column_int64(st, 18);
	j->created_at = sqlite3_column_int64(st, 19);
	j->updated_at = sqlite3_column_int64(st, 20);
	return DB_OK;
}

static db_rc check_job(db *d, const db_job *j)
{
	db_rc r;
	if ((r = db_check_str(d, j->kind, sizeof j->kind, 1, "kind")) ||
	    (r = db_check_str(d, j->endpoint, sizeof j->endpoint, 1,
	                      "endpoint")) ||
	    (r = db_check_str(d, j->carrier, sizeof j->carrier, 0, "carrier")) ||
	    (r = db_check_str(d, j->want_iccid, sizeof j->want_iccid, 0,
	                      "want_iccid")) ||
	    (r = db_check_str(d, j->to_iccid, sizeof j->to_iccid, 0,
	                      "to_iccid")) ||
	    (r = db_check_str(d, j->from_iccid, sizeof j->from_iccid, 0,
	                      "from_iccid")) ||
	    (r = db_check_str(d, j->eid, sizeof j->eid, 0, "eid")) ||
	    (r = db_check_str(d, j->state, sizeof j->state, 1, "state")) ||
	    (r = db_check_str(d, j->error, sizeof j->error, 0, "error")) ||
	    (r = db_check_str(d, j->origin, sizeof j->origin, 0, "origin")))
		return r;
	return DB_OK;
}

static db_rc add_transition(db *d, int64_t id, const char *state,
                            const char *detail)
{
	sqlite3_stmt *st = db_stmt(d, ST_JOB_TRANS_ADD,
		"INSERT INTO job_transitions (job_id, state, at_ms, detail) "
		"VALUES (?1, ?2, ?3, substr(?4, 1, 255))");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, id) ||
	    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, wall_ms()) ||
	    sqlite3_bind_text(st, 4, detail ? detail : "", -1, SQLITE_STATIC))
		return db_bindfail(d, st, "job transition");
	return db_run(d, st, "job transition");
}

db_rc db_job_add(db *d, db_job *j)
{
	db_rc r = check_job(d, j);
	if (r || (r = db_begin(d)))
		return r;
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *st = db_stmt(d, ST_JOB_ADD,
		"INSERT INTO jobs (kind, endpoint, carrier, want_iccid, state, "
		"origin, campaign_id, deadline, created_at, updated_at) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)");
	if (!st) {
		r = DB_ERROR;
		goto fail;
	}
	if (sqlite3_bind_text(st, 1, j->kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, j->endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, j->carrier, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, j->want_iccid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, j->state, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 6, j->origin, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 7, j->campaign_id) ||
	    sqlite3_bind_int64(st, 8, j->deadline) ||
	    sqlite3_bind_int64(st, 9, now)) {
		r = db_bindfail(d, st, "job add");
		goto fail;
	}
	if ((r = db_run(d, st, "job add"))) {
		if (r == DB_CONFLICT)
			db_fail(d, r, "endpoint %s has a running job", j->endpoint);
		goto fail;
	}
	j->id = sqlite3_last_insert_rowid(d->h);
	j->created_at = j->updated_at = now;
	j->instance = -1;
	j->result_code = -1;
	if ((r = add_transition(d, j->id, j->state, NULL)))
		goto fail;
	return db_commit(d);
fail:
	db_rollback(d);
	return r;
}

static db_rc job_one(db *d, sqlite3_stmt *st, db_job *out, const char *what)
{
	int rc = sqlite3_step(st);
	db_rc r = rc == SQLITE_ROW ? job_row(d, st, out)
	          : rc == SQLITE_DONE ? db_fail(d, DB_NOT_FOUND, "%s: not found",
	                                        what)
	          : db_sqlfail(d, rc, what);
	db_done(st);
	return r;
}

db_rc db_job_get(db *d, int64_t id, db_job *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(d, ST_JOB_GET,
		"SELECT " JOB_COLS " FROM jobs WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, id))
		return db_bindfail(d, st, "job get");
	return job_one(d, st, out, "job");
}

db_rc db_job_active(db *d, const char *endpoint, db_job *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = db_check_key(d, endpoint, DB_MAX_EP + 1, "endpoint");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_JOB_ACTIVE,
		"SELECT " JOB_COLS " FROM jobs WHERE endpoint = ?1 AND final = 0");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "job active");
	return job_one(d, st, out, "running job");
}

db_rc db_job_save(db *d, const db_job *j, int state_changed,
                  const char *detail)
{
	db_rc r = check_job(d, j);
	if (r || (r = db_begin(d)))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_JOB_SAVE,
		"UPDATE jobs SET to_iccid = ?2, from_iccid = ?3, eid = ?4, "
		"instance = ?5, state = ?6, final = ?7, attempts = ?8, "
		"result_code = ?9, error = ?10, retryable = ?11, load_sent = ?12, "
		"deadline = ?13, updated_at = ?14 WHERE id = ?1");
	if (!st) {
		r = DB_ERROR;
		goto fail;
	}
	if (sqlite3_bind_int64(st, 1, j->id) ||
	    sqlite3_bind_text(st, 2, j->to_iccid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, j->from_iccid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, j->eid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 5, j->instance) ||
	    sqlite3_bind_text(st, 6, j->state, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 7, j->final ? 1 : 0) ||
	    sqlite3_bind_int(st, 8, j->attempts) ||
	    sqlite3_bind_int(st, 9, j->result_code) ||
	    sqlite3_bind_text(st, 10, j->error, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 11, j->retryable ? 1 : 0) ||
	    sqlite3_bind_int(st, 12, j->load_sent ? 1 : 0) ||
	    sqlite3_bind_int64(st, 13, j->deadline) ||
	    sqlite3_bind_int64(st, 14, (int64_t)time(NULL))) {
		r = db_bindfail(d, st, "job save");
		goto fail;
	}
	if ((r = db_run(d, st, "job save")))
		goto fail;
	if (sqlite3_changes(d->h) != 1) {
		r = db_fail(d, DB_NOT_FOUND, "job %lld: not found",
		            (long long)j->id);
		goto fail;
	}
	if (state_changed && (r = add_transition(d, j->id, j->state, detail)))
		goto fail;
	return db_commit(d);
fail:
	if (r == DB_ERROR &&
	    (sqlite3_extended_errcode(d->h) & 0xff) == SQLITE_CONSTRAINT)
		r = DB_CONFLICT;
	db_rollback(d);
	return r;
}

static void job_clear_any(void *elem)
{
	(void)elem;
}

db_rc db_job_list(db *d, const char *state, const char *endpoint,
                  int64_t before, int limit, db_job **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	db_rc r = db_check_limit(d, limit);
	if (r ||
	    (r = db_check_str(d, state ? state : "", DB_MAX_CURSOR, 0, "state")) ||
	    (r = db_check_str(d, endpoint ? endpoint : "", DB_MAX_CURSOR, 0,
	                      "endpoint")))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_JOB_LIST,
		"SELECT " JOB_COLS " FROM jobs WHERE (?1 = '' OR state = ?1) AND "
		"(?2 = '' OR endpoint = ?2) AND (?3 = 0 OR id < ?3) "
		"ORDER BY id DESC LIMIT ?4");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, state ? state : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, endpoint ? endpoint : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, before) ||
	    sqlite3_bind_int(st, 4, limit))
		return db_bindfail(d, st, "job list");
	return db_collect(d, st, sizeof **out, job_row, job_clear_any,
	                  (void **)out, n, "job list");
}

db_rc db_job_unfinished(db *d, db_job **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_JOB_UNFINISHED,
		"SELECT " JOB_COLS " FROM jobs WHERE final = 0 ORDER BY id");
	if (!st)
		return DB_ERROR;
	return db_collect(d, st, sizeof **out, job_row, job_clear_any,
	                  (void **)out, n, "unfinished jobs");
}

db_rc db_job_count_state(db *d, const char *state, int64_t *n)
{
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_JOB_COUNT_STATE,
		"SELECT count(*) FROM jobs WHERE state = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, state ? state : "", -1, SQLITE_STATIC))
		return db_bindfail(d, st, "job count");
	return db_step_int64(d, st, n, "job count");
}

static db_rc trans_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_transition *t = elem;
	memset(t, 0, sizeof *t);
	db_rc rc;
	if ((rc = db_col_str(d, st, 0, t->state, sizeof t->state, "state")) ||
	    (rc = db_col_str(d, st, 2, t->detail, sizeof t->detail, "detail")))
		return rc;
	t->at_ms = sqlite3_column_int64(st, 1);
	return DB_OK;
}

db_rc db_job_transitions(db *d, int64_t job_id, db_transition **out,
                         size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_JOB_TRANSITIONS,
		"SELECT state, at_ms, detail FROM job_transitions WHERE job_id = ?1 "
		"ORDER BY id LIMIT 1000");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, job_id))
		return db_bindfail(d, st, "job transitions");
	return db_collect(d, st, sizeof **out, trans_row, NULL, (void **)out, n,
	                  "job transitions");
}
