/*
 * profiles.c: the carrier-profile inventory (db/db_switch.h). The pool of
 * a carrier is its available profiles; reserving takes the lowest ICCID in
 * one UPDATE ... WHERE state = 'available', so two callers can never get
 * the same profile, and the triggers of schema/002_switch.sql refuse any
 * move that would reuse a loaded profile.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"
#include "db/db_switch.h"

#define PROF_COLS "iccid, imsi, carrier, state, coalesce(endpoint, ''), " \
	"coalesce(job_id, 0), loaded, created_at, updated_at"

static db_rc prof_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_profile *p = elem;
	memset(p, 0, sizeof *p);
	db_rc rc;
	if ((rc = db_col_str(d, st, 0, p->iccid, sizeof p->iccid, "iccid")) ||
	    (rc = db_col_str(d, st, 1, p->imsi, sizeof p->imsi, "imsi")) ||
	    (rc = db_col_str(d, st, 2, p->carrier, sizeof p->carrier,
	                     "carrier")) ||
	    (rc = db_col_str(d, st, 3, p->state, sizeof p->state, "state")) ||
	    (rc = db_col_str(d, st, 4, p->endpoint, sizeof p->endpoint,
	                     "endpoint")))
		return rc;
	p->job_id = sqlite3_column_int64(st, 5);
	p->loaded = sqlite3_column_int(st, 6);
	p->created_at = sqlite3_column_int64(st, 7);
	p->updated_at = sqlite3_column_int64(st, 8);
	return DB_OK;
}

/* A row of PROF_COLS followed by the sealed blob in column 9. */
static db_rc prof_row_sealed(db *d, sqlite3_stmt *st, db_profile *p)
{
	db_rc rc = prof_row(d, st, p);
	if (rc == DB_OK)
		rc = db_col_blob(d, st, 9, &p->sealed, &p->sealed_len);
	return rc;
}

static void prof_clear_any(void *elem)
{
	db_profile_clear(elem);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

db_rc db_profile_add(db *d, const db_profile *p)
{
	db_rc rc;
	if ((rc = db_check_str(d, p->iccid, sizeof p->iccid, 1, "iccid")) ||
	    (rc = db_check_str(d, p->imsi, sizeof p->imsi, 1, "imsi")) ||
	    (rc = db_check_str(d, p->carrier, sizeof p->carrier, 1, "carrier")))
		return rc;
	if (!p->sealed || !p->sealed_len)
		return db_fail(d, DB_ERROR, "profile %s: no sealed container",
		               p->iccid);
	sqlite3_stmt *st = db_stmt(d, ST_PROF_ADD,
		"INSERT INTO profiles (iccid, imsi, carrier, sealed, state, "
		"created_at, updated_at) VALUES (?1, ?2, ?3, ?4, 'available', "
		"?5, ?5)");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, p->iccid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, p->imsi, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, p->carrier, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, now_s()))
		return db_bindfail(d, st, "profile add");
	if ((rc = db_bind_blob(d, st, 4, p->sealed, p->sealed_len, "sealed"))) {
		db_done(st);
		return rc;
	}
	rc = db_run(d, st, "profile add");
	if (rc == DB_CONFLICT)
		db_fail(d, rc, "profile %s exists already", p->iccid);
	return rc;
}

db_rc db_profile_get(db *d, const char *iccid, db_profile *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = db_check_key(d, iccid, sizeof out->iccid, "iccid");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_PROF_GET,
		"SELECT " PROF_COLS ", sealed FROM profiles WHERE iccid = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "profile get");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = prof_row_sealed(d, st, out);
	else if (rc == SQLITE_DONE)
		r = db_fail(d, DB_NOT_FOUND, "profile %s: not found", iccid);
	else
		r = db_sqlfail(d, rc, "profile get");
	db_done(st);
	if (r)
		db_profile_clear(out);
	return r;
}

db_rc db_profile_list(db *d, const char *carrier, const char *state,
                      const char *after, int limit, db_profile **out,
                      size_t *n)
{
	*out = NULL;
	*n = 0;
	db_rc r = db_check_limit(d, limit);
	if (r ||
	    (r = db_check_str(d, carrier ? carrier : "", DB_MAX_CURSOR, 0,
	                      "carrier")) ||
	    (r = db_check_str(d, state ? state : "", DB_MAX_CURSOR, 0, "state")) ||
	    (r = db_check_str(d, after ? after : "", DB_MAX_CURSOR, 0, "after")))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_PROF_LIST,
		"SELECT " PROF_COLS " FROM profiles WHERE iccid > ?1 "
		"AND (?2 = '' OR carrier = ?2) AND (?3 = '' OR state = ?3) "
		"ORDER BY iccid LIMIT ?4");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, carrier ? carrier : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, state ? state : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 4, limit))
		return db_bindfail(d, st, "profile list");
	return db_collect(d, st, sizeof **out, prof_row, prof_clear_any,
	                  (void **)out, n, "profile list");
}

/* The ICCID to reserve: `iccid` itself when given, else the pool's lowest. */
static db_rc pick(db *d, const char *carrier, const char *iccid, char *out,
                  size_t cap)
{
	sqlite3_stmt *st = db_stmt(d, ST_PROF_PICK,
		"SELECT iccid FROM profiles WHERE state = 'available' AND "
		"(?2 <> '' AND iccid = ?2 OR ?2 = '' AND carrier = ?1) "
		"ORDER BY iccid LIMIT 1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, carrier ? carrier : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, iccid ? iccid : "", -1, SQLITE_STATIC))
		return db_bindfail(d, st, "profile pick");
	db_rc r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = db_col_str(d, st, 0, out, cap, "iccid");
	else if (rc == SQLITE_DONE)
		r = iccid && *iccid
		    ? db_fail(d, DB_NOT_FOUND, "profile %s is not available", iccid)
		    : db_fail(d, DB_NOT_FOUND, "the pool of carrier \"%s\" is "
		              "empty", carrier ? carrier : "");
	else
		r = db_sqlfail(d, rc, "profile pick");
	db_done(st);
	return r;
}

db_rc db_profile_reserve(db *d, const char *carrier, const char *iccid,
                         const char *endpoint, int64_t job_id,
                         db_profile *out)
{
	char pickd[DB_MAX_ICCID + 1];
	memset(out, 0, sizeof *out);
	db_rc r = db_check_str(d, endpoint, DB_MAX_EP + 1, 1, "endpoint");
	if (r || (r = db_begin(d)))
		return r;
	if ((r = pick(d, carrier, iccid, pickd, sizeof pickd)))
		goto fail;
	sqlite3_stmt *st = db_stmt(d, ST_PROF_RESERVE,
		"UPDATE profiles SET state = 'reserved', endpoint = ?2, "
		"job_id = ?3, updated_at = ?4 WHERE iccid = ?1 AND "
		"state = 'available'");
	if (!st) {
		r = DB_ERROR;
		goto fail;
	}
	if (sqlite3_bind_text(st, 1, pickd, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, job_id) ||
	    sqlite3_bind_int64(st, 4, now_s())) {
		r = db_bindfail(d, st, "profile reserve");
		goto fail;
	}
	if ((r = db_run(d, st, "profile reserve")))
		goto fail;
	if (sqlite3_changes(d->h) != 1) {
		r = db_fail(d, DB_CONFLICT, "profile %s was taken", pickd);
		goto fail;
	}
	if ((r = db_profile_get(d, pickd, out)))
		goto fail;
	if ((r = db_commit(d)))
		db_profile_clear(out);
	return r;
fail:
	db_rollback(d);
	return r;
}

db_rc db_profile_move(db *d, const char *iccid, const char *from,
                      const char *to)
{
	db_rc r = db_check_key(d, iccid, DB_MAX_ICCID + 1, "iccid");
	if (r || (r = db_check_str(d, from, DB_MAX_STATE, 1, "from")) ||
	    (r = db_check_str(d, to, DB_MAX_STATE, 1, "to")))
		return r;
	int release = !strcmp(to, "available");
	sqlite3_stmt *st = release
		? db_stmt(d, ST_PROF_RELEASE,
		          "UPDATE profiles SET state = 'available', endpoint = NULL, "
		          "job_id = NULL, updated_at = ?4 WHERE iccid = ?1 AND "
		          "state = ?2 AND ?3 = 'available'")
		: db_stmt(d, ST_PROF_MOVE,
		          "UPDATE profiles SET state = ?3, updated_at = ?4 "
		          "WHERE iccid = ?1 AND state = ?2");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, now_s()))
		return db_bindfail(d, st, "profile move");
	r = db_run(d, st, "profile move");
	if (r == DB_ERROR &&
	    (sqlite3_extended_errcode(d->h) & 0xff) == SQLITE_CONSTRAINT)
		return DB_CONFLICT;     /* a rule of the schema refused it */
	if (r == DB_OK && sqlite3_changes(d->h) != 1)
		r = db_fail(d, DB_CONFLICT, "profile %s is not %s", iccid, from);
	return r;
}

db_rc db_profile_mark_loaded(db *d, const char *iccid)
{
	db_rc r = db_check_key(d, iccid, DB_MAX_ICCID + 1, "iccid");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_PROF_LOADED,
		"UPDATE profiles SET loaded = 1, updated_at = ?2 WHERE iccid = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, now_s()))
		return db_bindfail(d, st, "profile loaded");
	r = db_run(d, st, "profile loaded");
	if (r == DB_OK && sqlite3_changes(d->h) != 1)
		r = db_fail(d, DB_NOT_FOUND, "profile %s: not found", iccid);
	return r;
}

void db_profile_clear(db_profile *p)
{
	if (!p)
		return;
	free(p->sealed);
	p->sealed = NULL;
	p->sealed_len = 0;
}

void db_profile_list_free(db_profile *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		db_profile_clear(&list[i]);
	free(list);
}

static db_rc pool_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_pool *p = elem;
	memset(p, 0, sizeof *p);
	db_rc rc = db_col_str(d, st, 0, p->carrier, sizeof p->carrier, "carrier");
	p->available = sqlite3_column_int64(st, 1);
	p->reserved = sqlite3_column_int64(st, 2);
	p->installed = sqlite3_column_int64(st, 3);
	p->quarantined = sqlite3_column_int64(st, 4);
	p->retired = sqlite3_column_int64(st, 5);
	return rc;
}

db_rc db_pool_list(db *d, db_pool **out, size_t *n)
{
	sqlite3_stmt *st = db_stmt(d, ST_POOL_LIST,
		"SELECT carrier, sum(state = 'available'), sum(state = 'reserved'), "
		"sum(state = 'installed'), sum(state = 'quarantined'), "
		"sum(state = 'retired') FROM profiles GROUP BY carrier "
		"ORDER BY carrier");
	*out = NULL;
	*n = 0;
	if (!st)
		return DB_ERROR;
	return db_collect(d, st, sizeof **out, pool_row, NULL, (void **)out, n,
	                  "pool list");
}

db_rc db_carrier_known(db *d, const char *carrier)
{
	db_rc r = db_check_key(d, carrier, DB_MAX_CARRIER + 1, "carrier");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_CARRIER_KNOWN,
		"SELECT 1 FROM profiles WHERE carrier = ?1 LIMIT 1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, carrier, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "carrier known");
	int rc = sqlite3_step(st);
	r = rc == SQLITE_ROW ? DB_OK
	    : rc == SQLITE_DONE ? db_fail(d, DB_NOT_FOUND, "no carrier \"%s\"",
	                                  carrier)
	    : db_sqlfail(d, rc, "carrier known");
	db_done(st);
	return r;
}
