/*
 * campaigns.c: bulk-switch campaigns in SQLite (db/db_campaign.h): the
 * staging area of uploads and its set-based validation, the campaigns and
 * their rows. Hot statements (staging a row, moving a row) are cached;
 * the once-per-import ones are prepared on the spot.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "db/db_int.h"
#include "db/db_campaign.h"

#define CAMP_COLS "id, name, state, max_in_flight, max_starts_per_s, " \
	"failure_threshold_pct, failure_min_sample, window_start, window_end, " \
	"total, n_pending, n_started, n_succeeded, n_failed, n_skipped, " \
	"created_at, started_at, ended_at, updated_at, end_reason, created_by, " \
	"warnings"
#define ROW_COLS "campaign_id, line, endpoint, eid, target_kind, target, " \
	"state, job_id, outcome, from_iccid, to_iccid, result_code, error, " \
	"started_at, ended_at"

static const char *const camp_states[] = {
	"draft", "running", "paused", "completed", "cancelled", "aborted",
};
static const char *const row_states[] = {
	"pending", "started", "succeeded", "failed", "skipped",
};

const char *db_camp_state_name(int s)
{
	return s >= 0 && s < 6 ? camp_states[s] : "unknown";
}

int db_camp_state_final(int s)
{
	return s == DB_CAMP_COMPLETED || s == DB_CAMP_CANCELLED ||
	       s == DB_CAMP_ABORTED;
}

const char *db_crow_state_name(int s)
{
	return s >= 0 && s < 5 ? row_states[s] : "unknown";
}

/* ---- one-off statements ------------------------------------------------ */

/* Prepares sql and binds the arguments `types` names: 'i' int64_t, 't'
 * const char *, 'd' double. NULL with db_errmsg set on failure. */
static sqlite3_stmt *prep(db *d, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_sqlfail(d, rc, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	for (int i = 0; types[i]; i++) {
		switch (types[i]) {
		case 'i': rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t)); break;
		case 'd': rc = sqlite3_bind_double(st, i + 1, va_arg(ap, double)); break;
		default: rc = sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1,
		                                SQLITE_TRANSIENT); break;
		}
		if (rc != SQLITE_OK) {
			db_sqlfail(d, rc, "bind");
			sqlite3_finalize(st);
			return NULL;
		}
	}
	return st;
}

/* Runs a one-off write; *changes (may be NULL) how many rows it touched. */
static db_rc exec1(db *d, int64_t *changes, const char *what, const char *sql,
                   const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = prep(d, sql, types, ap);
	va_end(ap);
	if (!st)
		return DB_ERROR;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	db_rc r = rc == SQLITE_DONE ? DB_OK : db_sqlfail(d, rc, what);
	if (changes)
		*changes = sqlite3_changes64(d->h);
	sqlite3_finalize(st);
	return r;
}

/* A one-off query for one integer (0 when no row). */
static db_rc query1(db *d, int64_t *out, const char *what, const char *sql,
                    const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = prep(d, sql, types, ap);
	va_end(ap);
	if (!st)
		return DB_ERROR;
	int rc = sqlite3_step(st);
	db_rc r = DB_OK;
	*out = 0;
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		r = db_sqlfail(d, rc, what);
	sqlite3_finalize(st);
	return r;
}

/* ---- staging --------------------------------------------------------------- */

db_rc db_camp_stage_new(db *d, int64_t *import_id)
{
	for (int tries = 0; tries < 8; tries++) {
		uint64_t v;
		if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
			return db_fail(d, DB_ERROR, "stage: no randomness");
		int64_t id = (int64_t)(v >> 1);
		int64_t used;
		if (id == 0)
			continue;
		db_rc r = query1(d, &used, "stage new", "SELECT count(*) FROM "
		                 "(SELECT 1 FROM campaign_staging WHERE import_id = ?1 "
		                 "LIMIT 1)", "i", id);
		if (r)
			return r;
		if (!used) {
			*import_id = id;
			return DB_OK;
		}
	}
	return db_fail(d, DB_ERROR, "stage: no free import id");
}

/* Binds s as text cut to cap bytes (never inside a UTF-8 sequence). */
static int bind_cut(sqlite3_stmt *st, int idx, const char *s, size_t cap)
{
	if (!s)
		return sqlite3_bind_null(st, idx);
	size_t n = strnlen(s, cap + 1);
	if (n > cap) {
		n = cap;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return sqlite3_bind_text(st, idx, s, (int)n, SQLITE_TRANSIENT);
}

db_rc db_camp_stage_row(db *d, int64_t import_id, int64_t line,
                        const char *endpoint, const char *eid, int target_kind,
                        const char *target, const char *error)
{
	sqlite3_stmt *st = db_stmt(d, ST_CAMP_STAGE_ROW,
		"INSERT INTO campaign_staging (import_id, line, endpoint, eid, "
		"target_kind, target, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, import_id) ||
	    sqlite3_bind_int64(st, 2, line) ||
	    bind_cut(st, 3, endpoint ? endpoint : "", DB_MAX_EP) ||
	    bind_cut(st, 4, eid ? eid : "", DB_MAX_EID) ||
	    sqlite3_bind_int(st, 5, target_kind) ||
	    bind_cut(st, 6, target ? target : "", DB_MAX_TARGET) ||
	    bind_cut(st, 7, error, DB_MAX_CAMP_ERROR))
		return db_bindfail(d, st, "stage row");
	return db_run(d, st, "stage row");
}

/* The validation steps, in order; each only looks at rows still valid, so
 * a row carries the first reason that applies. ?1 is the import id. */
static const struct {
	const char *what, *sql;
} checks[] = {
	/* EIDs: nusimd knows a device's EID from the 508/0 its jobs read. */
	{ "eid lookup",
	  "CREATE TEMP TABLE IF NOT EXISTS camp_eids "
	  "(eid TEXT PRIMARY KEY, endpoint TEXT NOT NULL) WITHOUT ROWID" },
	{ "eid lookup", "DELETE FROM temp.camp_eids" },
	{ "eid lookup",
	  "INSERT OR REPLACE INTO temp.camp_eids (eid, endpoint) "
	  "SELECT eid, endpoint FROM jobs WHERE eid <> '' ORDER BY id" },
	{ "eid lookup",
	  "UPDATE campaign_staging SET endpoint = coalesce("
	  "(SELECT endpoint FROM temp.camp_eids e WHERE e.eid = campaign_staging.eid), '') "
	  "WHERE import_id = ?1 AND error IS NULL AND endpoint = '' AND eid <> ''" },
	{ "unknown eid",
	  "UPDATE campaign_staging SET "
	  "error = 'unknown device: no device with EID ' || eid || ' is known' "
	  "WHERE import_id = ?1 AND error IS NULL AND endpoint = '' AND eid <> ''" },
	{ "unknown device",
	  "UPDATE campaign_staging SET error = 'unknown device: ' || endpoint "
	  "WHERE import_id = ?1 AND error IS NULL "
	  "AND NOT EXISTS (SELECT 1 FROM devices v WHERE v.endpoint = campaign_staging.endpoint) "
	  "AND NOT EXISTS (SELECT 1 FROM registrations r WHERE r.endpoint = campaign_staging.endpoint)" },
	{ "duplicate",
	  "UPDATE campaign_staging SET error = 'duplicate row: device ' || "
	  "d.endpoint || ' is already on line ' || d.first FROM "
	  "(SELECT line, endpoint, min(line) OVER (PARTITION BY endpoint) AS first "
	  "FROM campaign_staging WHERE import_id = ?1 AND error IS NULL) AS d "
	  "WHERE campaign_staging.import_id = ?1 AND campaign_staging.line = d.line "
	  "AND d.line > d.first" },
	{ "other campaign",
	  "UPDATE campaign_staging SET error = 'device already in campaign ' || "
	  "(SELECT r.campaign_id FROM campaign_rows r JOIN campaigns c ON c.id = r.campaign_id "
	  "WHERE r.endpoint = campaign_staging.endpoint AND r.state IN (0, 1) "
	  "AND c.state IN (0, 1, 2) LIMIT 1) "
	  "WHERE import_id = ?1 AND error IS NULL AND EXISTS (SELECT 1 FROM "
	  "campaign_rows r JOIN campaigns c ON c.id = r.campaign_id WHERE "
	  "r.endpoint = campaign_staging.endpoint AND r.state IN (0, 1) "
	  "AND c.state IN (0, 1, 2))" },
	{ "active job",
	  "UPDATE campaign_staging SET error = 'device already in an active job (job ' || "
	  "(SELECT j.id FROM jobs j WHERE j.endpoint = campaign_staging.endpoint "
	  "AND j.final = 0) || ')' "
	  "WHERE import_id = ?1 AND error IS NULL AND EXISTS (SELECT 1 FROM jobs j "
	  "WHERE j.endpoint = campaign_staging.endpoint AND j.final = 0)" },
	{ "unknown carrier",
	  "UPDATE campaign_staging SET error = 'unknown carrier: ' || target "
	  "WHERE import_id = ?1 AND error IS NULL AND target_kind = 0 "
	  "AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.carrier = campaign_staging.target)" },
	{ "unknown iccid",
	  "UPDATE campaign_staging SET error = CASE WHEN EXISTS (SELECT 1 FROM "
	  "profiles p WHERE p.iccid = campaign_staging.target) THEN 'profile ' || "
	  "target || ' is not available' ELSE 'unknown ICCID: ' || target END "
	  "WHERE import_id = ?1 AND error IS NULL AND target_kind = 1 "
	  "AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.iccid = campaign_staging.target "
	  "AND p.state = 'available')" },
	{ "duplicate iccid",
	  "UPDATE campaign_staging SET error = 'duplicate row: ICCID ' || "
	  "d.target || ' is already asked for on line ' || d.first FROM "
	  "(SELECT line, target, min(line) OVER (PARTITION BY target) AS first "
	  "FROM campaign_staging WHERE import_id = ?1 AND error IS NULL AND "
	  "target_kind = 1) AS d "
	  "WHERE campaign_staging.import_id = ?1 AND campaign_staging.line = d.line "
	  "AND d.line > d.first" },
};

/* Pool sizes: the rows of each carrier past its available profiles are
 * bad. Counted per carrier, so it costs one grouped scan of the import. */
static db_rc check_pools(db *d, int64_t import_id)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->h,
		"SELECT s.target, count(*), (SELECT count(*) FROM profiles p WHERE "
		"p.carrier = s.target AND p.state = 'available') FROM campaign_staging s "
		"WHERE s.import_id = ?1 AND s.error IS NULL AND s.target_kind = 0 "
		"GROUP BY s.target", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sqlfail(d, rc, "pool check");
	sqlite3_bind_int64(st, 1, import_id);
	/* Collected first: the updates below must not run under this scan. */
	struct short_pool { char target[DB_MAX_TARGET + 1]; int64_t rows, avail; } *sp = NULL;
	size_t n = 0, cap = 0;
	db_rc r = DB_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t rows = sqlite3_column_int64(st, 1);
		int64_t avail = sqlite3_column_int64(st, 2);
		if (rows <= avail)
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			void *p = realloc(sp, nc * sizeof *sp);
			if (!p) {
				r = db_fail(d, DB_ERROR, "pool check: out of memory");
				goto out;
			}
			sp = p;
			cap = nc;
		}
		if ((r = db_col_str(d, st, 0, sp[n].target, sizeof sp[n].target,
		                    "target")))
			goto out;
		sp[n].rows = rows;
		sp[n].avail = avail;
		n++;
	}
	if (rc != SQLITE_DONE) {
		r = db_sqlfail(d, rc, "pool check");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t i = 0; i < n && !r; i++) {
		char msg[DB_MAX_CAMP_ERROR + 1];
		snprintf(msg, sizeof msg, "not enough profiles: carrier %s has %lld "
		         "available for %lld rows", sp[i].target,
		         (long long)sp[i].avail, (long long)sp[i].rows);
		r = exec1(d, NULL, "pool check",
			"UPDATE campaign_staging SET error = ?3 WHERE import_id = ?1 "
			"AND line IN (SELECT line FROM campaign_staging WHERE "
			"import_id = ?1 AND error IS NULL AND target_kind = 0 AND "
			"target = ?2 ORDER BY line LIMIT -1 OFFSET ?4)",
			"itti", import_id, sp[i].target, msg, sp[i].avail);
	}
out:
	sqlite3_finalize(st);
	free(sp);
	return r;
}

db_rc db_camp_stage_check(db *d, int64_t import_id)
{
	db_rc r = db_begin(d);
	if (r)
		return r;
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		/* Statements without ?1 ignore the extra binding. */
		int has_param = strstr(checks[i].sql, "?1") != NULL;
		if ((r = has_param ? exec1(d, NULL, checks[i].what, checks[i].sql,
		                           "i", import_id)
		                   : exec1(d, NULL, checks[i].what, checks[i].sql, "")))
			goto fail;
	}
	if ((r = check_pools(d, import_id)))
		goto fail;
	return db_commit(d);
fail:
	db_rollback(d);
	return r;
}

db_rc db_camp_stage_counts(db *d, int64_t import_id, int64_t *valid,
                           int64_t *bad)
{
	db_rc r = query1(d, valid, "stage counts", "SELECT count(*) FROM "
	                 "campaign_staging WHERE import_id = ?1 AND error IS NULL",
	                 "i", import_id);
	if (!r)
		r = query1(d, bad, "stage counts", "SELECT count(*) FROM "
		           "campaign_staging WHERE import_id = ?1 AND error IS NOT NULL",
		           "i", import_id);
	return r;
}

static db_rc stage_err_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_camp_row *row = elem;
	memset(row, 0, sizeof *row);
	row->line = sqlite3_column_int64(st, 0);
	row->result_code = -1;
	return db_col_str(d, st, 1, row->error, sizeof row->error, "error");
}

db_rc db_camp_stage_errors(db *d, int64_t import_id, int limit,
                           db_camp_row **out, size_t *n)
{
	db_rc r = db_check_limit(d, limit);
	if (r)
		return r;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->h, "SELECT line, error FROM campaign_staging "
		"WHERE import_id = ?1 AND error IS NOT NULL ORDER BY line LIMIT ?2",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sqlfail(d, rc, "stage errors");
	sqlite3_bind_int64(st, 1, import_id);
	sqlite3_bind_int(st, 2, limit);
	r = db_collect(d, st, sizeof **out, stage_err_row, NULL, (void **)out, n,
	               "stage errors");
	sqlite3_finalize(st);
	return r;
}

db_rc db_camp_stage_commit(db *d, int64_t import_id,
                           const db_camp_settings *s, const char *created_by,
                           const char *warnings, int64_t now, int64_t *id)
{
	int64_t rows = 0;
	db_rc r = db_check_str(d, s->name, sizeof s->name, 0, "campaign name");
	if (r)
		return r;
	if (s->max_in_flight <= 0 || !(s->max_starts_per_s > 0))
		return db_fail(d, DB_ERROR, "campaign: max_in_flight and "
		               "max_starts_per_s must be positive");
	if ((r = db_begin(d)))
		return r;
	if ((r = exec1(d, NULL, "campaign add",
		"INSERT INTO campaigns (name, state, max_in_flight, max_starts_per_s, "
		"failure_threshold_pct, failure_min_sample, window_start, window_end, "
		"created_at, updated_at, created_by, warnings) VALUES "
		"(?1, 0, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)", "tiddiiiitt",
		s->name, s->max_in_flight, s->max_starts_per_s,
		s->failure_threshold_pct, s->failure_min_sample, s->window_start,
		s->window_end, now, created_by ? created_by : "",
		warnings ? warnings : "")))
		goto fail;
	*id = sqlite3_last_insert_rowid(d->h);
	if ((r = exec1(d, &rows, "campaign rows",
		"INSERT INTO campaign_rows (campaign_id, line, endpoint, eid, "
		"target_kind, target) SELECT ?1, line, endpoint, eid, target_kind, "
		"target FROM campaign_staging WHERE import_id = ?2 AND error IS NULL "
		"ORDER BY line", "ii", *id, import_id)) ||
	    (r = exec1(d, NULL, "campaign total",
		"UPDATE campaigns SET total = ?2, n_pending = ?2 WHERE id = ?1",
		"ii", *id, rows)) ||
	    (r = exec1(d, NULL, "stage drop",
		"DELETE FROM campaign_staging WHERE import_id = ?1", "i", import_id)))
		goto fail;
	return db_commit(d);
fail:
	db_rollback(d);
	return r;
}

db_rc db_camp_stage_discard(db *d, int64_t import_id)
{
	if (import_id == 0)
		return exec1(d, NULL, "stage purge", "DELETE FROM campaign_staging", "");
	return exec1(d, NULL, "stage drop",
	             "DELETE FROM campaign_staging WHERE import_id = ?1", "i",
	             import_id);
}

/* ---- campaigns -------------------------------------------------------------- */

static db_rc camp_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_campaign *c = elem;
	memset(c, 0, sizeof *c);
	c->id = sqlite3_column_int64(st, 0);
	c->state = sqlite3_column_int(st, 2);
	c->set.max_in_flight = sqlite3_column_int64(st, 3);
	c->set.max_starts_per_s = sqlite3_column_double(st, 4);
	c->set.failure_threshold_pct = sqlite3_column_double(st, 5);
	c->set.failure_min_sample = sqlite3_column_int64(st, 6);
	c->set.window_start = sqlite3_column_int64(st, 7);
	c->set.window_end = sqlite3_column_int64(st, 8);
	c->total = sqlite3_column_int64(st, 9);
	c->pending = sqlite3_column_int64(st, 10);
	c->started = sqlite3_column_int64(st, 11);
	c->succeeded = sqlite3_column_int64(st, 12);
	c->failed = sqlite3_column_int64(st, 13);
	c->skipped = sqlite3_column_int64(st, 14);
	c->created_at = sqlite3_column_int64(st, 15);
	c->started_at = sqlite3_column_int64(st, 16);
	c->ended_at = sqlite3_column_int64(st, 17);
	c->updated_at = sqlite3_column_int64(st, 18);
	db_rc r;
	if ((r = db_col_str(d, st, 1, c->set.name, sizeof c->set.name, "name")) ||
	    (r = db_col_str(d, st, 19, c->end_reason, sizeof c->end_reason,
	                    "end_reason")) ||
	    (r = db_col_str(d, st, 20, c->created_by, sizeof c->created_by,
	                    "created_by")) ||
	    (r = db_col_strdup(d, st, 21, &c->warnings)))
		return r;
	if (c->warnings && !c->warnings[0]) {
		free(c->warnings);
		c->warnings = NULL;
	}
	return DB_OK;
}

static void camp_clear_any(void *elem)
{
	db_campaign_clear(elem);
}

void db_campaign_clear(db_campaign *c)
{
	if (!c)
		return;
	free(c->warnings);
	c->warnings = NULL;
}

void db_camp_list_free(db_campaign *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		db_campaign_clear(&list[i]);
	free(list);
}

db_rc db_camp_get(db *d, int64_t id, db_campaign *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(d, ST_CAMP_GET,
		"SELECT " CAMP_COLS " FROM campaigns WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	db_rc r;
	if (rc == SQLITE_ROW)
		r = camp_row(d, st, out);
	else if (rc == SQLITE_DONE)
		r = db_fail(d, DB_NOT_FOUND, "campaign %lld: not found", (long long)id);
	else
		r = db_sqlfail(d, rc, "campaign get");
	db_done(st);
	return r;
}

db_rc db_camp_list(db *d, int64_t after, int limit, db_campaign **out,
                   size_t *n)
{
	return db_page_int(d, ST_CAMP_LIST,
		"SELECT " CAMP_COLS " FROM campaigns WHERE id > ?1 ORDER BY id LIMIT ?2",
		after, limit, sizeof **out, camp_row, camp_clear_any, (void **)out, n,
		"campaign list");
}

db_rc db_camp_active_ids(db *d, int64_t **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	int rc = sqlite3_prepare_v2(d->h, "SELECT id FROM campaigns WHERE state "
		"IN (1, 2) OR n_started > 0 ORDER BY id", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sqlfail(d, rc, "active campaigns");
	int64_t *ids = NULL;
	size_t len = 0, cap = 0;
	db_rc r = DB_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 8;
			int64_t *p = realloc(ids, nc * sizeof *p);
			if (!p) {
				r = db_fail(d, DB_ERROR, "active campaigns: out of memory");
				break;
			}
			ids = p;
			cap = nc;
		}
		ids[len++] = sqlite3_column_int64(st, 0);
	}
	if (!r && rc != SQLITE_DONE)
		r = db_sqlfail(d, rc, "active campaigns");
	sqlite3_finalize(st);
	if (r) {
		free(ids);
		return r;
	}
	*out = ids;
	*n = len;
	return DB_OK;
}

db_rc db_camp_set_state(db *d, int64_t id, int state, const char *reason,
                        int64_t now)
{
	int64_t n = 0;
	if (state < 0 || state > DB_CAMP_ABORTED)
		return db_fail(d, DB_ERROR, "campaign state %d: unknown", state);
	char why[DB_MAX_CAMP_ERROR + 1];
	snprintf(why, sizeof why, "%s", reason ? reason : "");
	db_rc r = exec1(d, &n, "campaign state",
		"UPDATE campaigns SET state = ?2, updated_at = ?3, "
		"started_at = CASE WHEN ?2 = 1 AND started_at = 0 THEN ?3 ELSE started_at END, "
		"ended_at = CASE WHEN ?2 >= 3 THEN ?3 ELSE ended_at END, "
		"end_reason = CASE WHEN ?2 >= 3 THEN ?4 ELSE end_reason END "
		"WHERE id = ?1", "iiit", id, (int64_t)state, now, why);
	if (!r && n == 0)
		r = db_fail(d, DB_NOT_FOUND, "campaign %lld: not found", (long long)id);
	return r;
}

/* ---- rows ------------------------------------------------------------------- */

static db_rc crow_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_camp_row *r = elem;
	memset(r, 0, sizeof *r);
	r->campaign_id = sqlite3_column_int64(st, 0);
	r->line = sqlite3_column_int64(st, 1);
	r->target_kind = sqlite3_column_int(st, 4);
	r->state = sqlite3_column_int(st, 6);
	r->job_id = sqlite3_column_int64(st, 7);
	r->result_code = sqlite3_column_int(st, 11);
	r->started_at = sqlite3_column_int64(st, 13);
	r->ended_at = sqlite3_column_int64(st, 14);
	db_rc rc;
	if ((rc = db_col_str(d, st, 2, r->endpoint, sizeof r->endpoint, "endpoint")) ||
	    (rc = db_col_str(d, st, 3, r->eid, sizeof r->eid, "eid")) ||
	    (rc = db_col_str(d, st, 5, r->target, sizeof r->target, "target")) ||
	    (rc = db_col_str(d, st, 8, r->outcome, sizeof r->outcome, "outcome")) ||
	    (rc = db_col_str(d, st, 9, r->from_iccid, sizeof r->from_iccid, "from_iccid")) ||
	    (rc = db_col_str(d, st, 10, r->to_iccid, sizeof r->to_iccid, "to_iccid")) ||
	    (rc = db_col_str(d, st, 12, r->error, sizeof r->error, "error")))
		return rc;
	return DB_OK;
}

static db_rc rows_query(db *d, enum db_stmt_id id, const char *sql,
                        int64_t camp, int64_t a, int limit, db_camp_row **out,
                        size_t *n, const char *what)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, id, sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, camp);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int(st, 3, limit);
	return db_collect(d, st, sizeof **out, crow_row, NULL, (void **)out, n,
	                  what);
}

db_rc db_camp_pending(db *d, int64_t id, int limit, db_camp_row **out,
                      size_t *n)
{
	db_rc r = db_check_limit(d, limit);
	if (r)
		return r;
	return rows_query(d, ST_CAMP_PENDING, "SELECT " ROW_COLS " FROM "
		"campaign_rows WHERE campaign_id = ?1 AND state = 0 AND line > ?2 "
		"ORDER BY line LIMIT ?3", id, 0, limit, out, n, "pending rows");
}

db_rc db_camp_started(db *d, int64_t id, db_camp_row **out, size_t *n)
{
	return rows_query(d, ST_CAMP_STARTED, "SELECT " ROW_COLS " FROM "
		"campaign_rows WHERE campaign_id = ?1 AND state = 1 AND line > ?2 "
		"ORDER BY line LIMIT ?3", id, 0, -1, out, n, "started rows");
}

db_rc db_camp_rows(db *d, int64_t id, int64_t after, int limit,
                   db_camp_row **out, size_t *n)
{
	db_rc r = db_check_limit(d, limit);
	if (r)
		return r;
	return rows_query(d, ST_CAMP_ROWS, "SELECT " ROW_COLS " FROM "
		"campaign_rows WHERE campaign_id = ?1 AND line > ?2 ORDER BY line "
		"LIMIT ?3", id, after, limit, out, n, "campaign rows");
}

/* Moves the campaign's counters by the given deltas. */
static db_rc count_move(db *d, int64_t id, int64_t pending, int64_t started,
                        int64_t ok, int64_t failed, int64_t skipped, int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, ST_CAMP_COUNT_MOVE,
		"UPDATE campaigns SET n_pending = n_pending + ?2, "
		"n_started = n_started + ?3, n_succeeded = n_succeeded + ?4, "
		"n_failed = n_failed + ?5, n_skipped = n_skipped + ?6, "
		"updated_at = ?7 WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, pending);
	sqlite3_bind_int64(st, 3, started);
	sqlite3_bind_int64(st, 4, ok);
	sqlite3_bind_int64(st, 5, failed);
	sqlite3_bind_int64(st, 6, skipped);
	sqlite3_bind_int64(st, 7, now);
	return db_run(d, st, "campaign counters");
}

/* Runs a bound row move and the counter move in one (nested) transaction;
 * DB_NOT_FOUND when the row was not in the expected state. */
static db_rc move(db *d, sqlite3_stmt *st, int64_t id, int64_t dp,
                  int64_t ds, int64_t dok, int64_t df, int64_t dsk,
                  int64_t now, const char *what)
{
	db_rc r = db_begin(d);
	if (r) {
		db_done(st);
		return r;
	}
	if ((r = db_run(d, st, what)))
		goto fail;
	if (sqlite3_changes(d->h) != 1) {
		r = db_fail(d, DB_NOT_FOUND, "%s: row not in the expected state", what);
		goto fail;
	}
	if ((r = count_move(d, id, dp, ds, dok, df, dsk, now)))
		goto fail;
	return db_commit(d);
fail:
	db_rollback(d);
	return r;
}

db_rc db_camp_row_start(db *d, int64_t id, int64_t line, int64_t job_id,
                        int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, ST_CAMP_ROW_START,
		"UPDATE campaign_rows SET state = 1, job_id = ?3, started_at = ?4 "
		"WHERE campaign_id = ?1 AND line = ?2 AND state = 0");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, line);
	sqlite3_bind_int64(st, 3, job_id);
	sqlite3_bind_int64(st, 4, now);
	return move(d, st, id, -1, 1, 0, 0, 0, now, "row start");
}

db_rc db_camp_row_refuse(db *d, int64_t id, int64_t line, const char *error,
                         int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, ST_CAMP_ROW_REFUSE,
		"UPDATE campaign_rows SET state = 3, outcome = 'refused', error = ?3, "
		"started_at = ?4, ended_at = ?4 "
		"WHERE campaign_id = ?1 AND line = ?2 AND state = 0");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, line);
	if (bind_cut(st, 3, error ? error : "", DB_MAX_CAMP_ERROR))
		return db_bindfail(d, st, "row refuse");
	sqlite3_bind_int64(st, 4, now);
	return move(d, st, id, -1, 0, 0, 1, 0, now, "row refuse");
}

db_rc db_camp_row_by_job(db *d, int64_t job_id, db_camp_row *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(d, ST_CAMP_ROW_BY_JOB,
		"SELECT " ROW_COLS " FROM campaign_rows WHERE job_id = ?1 AND job_id <> 0");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, job_id);
	int rc = sqlite3_step(st);
	db_rc r;
	if (rc == SQLITE_ROW)
		r = crow_row(d, st, out);
	else if (rc == SQLITE_DONE)
		r = db_fail(d, DB_NOT_FOUND, "job %lld: no campaign row",
		            (long long)job_id);
	else
		r = db_sqlfail(d, rc, "row by job");
	db_done(st);
	return r;
}

db_rc db_camp_row_finish(db *d, const db_camp_row *row, int ok, int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, ST_CAMP_ROW_FINISH,
		"UPDATE campaign_rows SET state = ?3, outcome = ?4, from_iccid = ?5, "
		"to_iccid = ?6, result_code = ?7, error = ?8, ended_at = ?9 "
		"WHERE campaign_id = ?1 AND line = ?2 AND state = 1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, row->campaign_id);
	sqlite3_bind_int64(st, 2, row->line);
	sqlite3_bind_int(st, 3, ok ? DB_CROW_SUCCEEDED : DB_CROW_FAILED);
	if (bind_cut(st, 4, row->outcome, sizeof row->outcome - 1) ||
	    bind_cut(st, 5, row->from_iccid, DB_MAX_ICCID) ||
	    bind_cut(st, 6, row->to_iccid, DB_MAX_ICCID) ||
	    sqlite3_bind_int(st, 7, row->result_code) ||
	    bind_cut(st, 8, row->error, DB_MAX_CAMP_ERROR) ||
	    sqlite3_bind_int64(st, 9, now))
		return db_bindfail(d, st, "row finish");
	return move(d, st, row->campaign_id, 0, -1, ok ? 1 : 0, ok ? 0 : 1, 0,
	            now, "row finish");
}

db_rc db_camp_skip_pending(db *d, int64_t id, const char *error, int64_t now,
                           int64_t *n)
{
	*n = 0;
	db_rc r = db_begin(d);
	if (r)
		return r;
	char why[DB_MAX_CAMP_ERROR + 1];
	snprintf(why, sizeof why, "%s", error ? error : "");
	if ((r = exec1(d, n, "skip pending",
		"UPDATE campaign_rows SET state = 4, outcome = 'skipped', error = ?2, "
		"ended_at = ?3 WHERE campaign_id = ?1 AND state = 0", "iti", id, why,
		now)) ||
	    (r = count_move(d, id, -*n, 0, 0, 0, *n, now)))
		goto fail;
	return db_commit(d);
fail:
	db_rollback(d);
	*n = 0;
	return r;
}
