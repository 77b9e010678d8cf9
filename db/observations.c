/*
 * observations.c: Observe relations the server holds on devices. libcoap
 * keeps nothing that survives a restart, and notifications keep their old
 * token (NOTES-libs §3), so token -> (endpoint, path) lives here, with a
 * unique index on the token for the lookup of every notification.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"

#define OBS_COLS "id, endpoint, path, token, active, format, last, " \
	"notifications, started_at, updated_at"

static db_rc obs_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_observation *o = elem;
	memset(o, 0, sizeof *o);
	db_rc rc;
	if ((rc = db_col_str(d, st, 1, o->endpoint, sizeof o->endpoint,
	                     "endpoint")) ||
	    (rc = db_col_str(d, st, 2, o->path, sizeof o->path, "path")))
		return rc;
	const void *tok = sqlite3_column_blob(st, 3);
	size_t toklen = (size_t)sqlite3_column_bytes(st, 3);
	if (!tok || toklen == 0 || toklen > sizeof o->token)
		return db_fail(d, DB_ERROR, "observation token: %zu bytes stored",
		               toklen);
	memcpy(o->token, tok, toklen);
	o->token_len = toklen;
	if ((rc = db_col_blob(d, st, 6, &o->last, &o->last_len)))
		return rc;
	o->id = sqlite3_column_int64(st, 0);
	o->active = sqlite3_column_int(st, 4);
	o->format = sqlite3_column_int(st, 5);
	o->notifications = sqlite3_column_int64(st, 7);
	o->started_at = sqlite3_column_int64(st, 8);
	o->updated_at = sqlite3_column_int64(st, 9);
	return DB_OK;
}

static void obs_clear_any(void *elem)
{
	db_observation_clear(elem);
}

static db_rc check_token(db *d, const uint8_t *token, size_t len)
{
	db_observation probe;
	if (!token || len == 0 || len > sizeof probe.token)
		return db_fail(d, DB_ERROR, "observation token: %zu bytes, want "
		               "1 to %zu", len, sizeof probe.token);
	return DB_OK;
}

/* Single-row SELECT of OBS_COLS, bound; reads into out. */
static db_rc obs_one(db *d, sqlite3_stmt *st, db_observation *out,
                     const char *what)
{
	db_rc r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = obs_row(d, st, out);
	else if (rc == SQLITE_DONE)
		r = db_fail(d, DB_NOT_FOUND, "%s: not found", what);
	else
		r = db_sqlfail(d, rc, what);
	db_done(st);
	return r;
}

db_rc db_obs_put(db *d, db_observation *o)
{
	db_rc rc;
	if ((rc = db_check_str(d, o->endpoint, sizeof o->endpoint, 1,
	                       "endpoint")) ||
	    (rc = db_check_str(d, o->path, sizeof o->path, 1, "path")) ||
	    (rc = check_token(d, o->token, o->token_len)))
		return rc;
	if (!o->started_at)
		o->started_at = (int64_t)time(NULL);
	if (!o->updated_at)
		o->updated_at = o->started_at;
	/* A new Observe of the same path replaces the old relation (and its
	 * token); the row keeps its id. */
	sqlite3_stmt *st = db_stmt(d, ST_OBS_PUT,
		"INSERT INTO observations (endpoint, path, token, active, format, "
		"last, notifications, started_at, updated_at) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
		"ON CONFLICT (endpoint, path) DO UPDATE SET "
		"token = excluded.token, active = excluded.active, "
		"format = excluded.format, last = excluded.last, "
		"notifications = excluded.notifications, "
		"started_at = excluded.started_at, "
		"updated_at = excluded.updated_at RETURNING id");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, o->endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, o->path, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 3, o->token, (int)o->token_len,
	                      SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 4, o->active ? 1 : 0) ||
	    sqlite3_bind_int(st, 5, o->format) ||
	    sqlite3_bind_int64(st, 7, o->notifications) ||
	    sqlite3_bind_int64(st, 8, o->started_at) ||
	    sqlite3_bind_int64(st, 9, o->updated_at))
		return db_bindfail(d, st, "observation put");
	if ((rc = db_bind_blob(d, st, 6, o->last, o->last_len, "last value"))) {
		db_done(st);
		return rc;
	}
	int64_t id = 0;
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	rc = s == SQLITE_DONE ? DB_OK : db_sqlfail(d, s, "observation put");
	db_done(st);
	if (rc == DB_CONFLICT)
		db_fail(d, rc, "observation token already used by another "
		        "observation");
	else if (rc == DB_OK)
		o->id = id;
	return rc;
}

db_rc db_obs_by_token(db *d, const uint8_t *token, size_t token_len,
                      db_observation *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = check_token(d, token, token_len);
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_OBS_BY_TOKEN,
		"SELECT " OBS_COLS " FROM observations WHERE token = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_blob(st, 1, token, (int)token_len, SQLITE_STATIC))
		return db_bindfail(d, st, "observation by token");
	return obs_one(d, st, out, "observation with that token");
}

db_rc db_obs_get(db *d, const char *endpoint, const char *path,
                 db_observation *out)
{
	memset(out, 0, sizeof *out);
	db_rc r;
	if ((r = db_check_key(d, endpoint, sizeof out->endpoint,
	                      "endpoint")) ||
	    (r = db_check_key(d, path, sizeof out->path, "path")))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_OBS_GET,
		"SELECT " OBS_COLS " FROM observations "
		"WHERE endpoint = ?1 AND path = ?2");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "observation get");
	return obs_one(d, st, out, "observation");
}

db_rc db_obs_notify(db *d, int64_t id, int format, const uint8_t *payload,
                    size_t len, int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, ST_OBS_NOTIFY,
		"UPDATE observations SET last = ?2, format = ?3, "
		"notifications = notifications + 1, updated_at = ?4 "
		"WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int(st, 3, format) ||
	    sqlite3_bind_int64(st, 4, now))
		return db_bindfail(d, st, "observation notify");
	db_rc r = db_bind_blob(d, st, 2, payload, len, "notified value");
	if (r) {
		db_done(st);
		return r;
	}
	r = db_run(d, st, "observation notify");
	if (r == DB_OK && sqlite3_changes(d->h) == 0)
		r = db_fail(d, DB_NOT_FOUND, "observation %lld: not found",
		            (long long)id);
	return r;
}

db_rc db_obs_set_active(db *d, int64_t id, int active)
{
	sqlite3_stmt *st = db_stmt(d, ST_OBS_SET_ACTIVE,
		"UPDATE observations SET active = ?2 WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, id) ||
	    sqlite3_bind_int(st, 2, active ? 1 : 0))
		return db_bindfail(d, st, "observation set active");
	db_rc r = db_run(d, st, "observation set active");
	if (r == DB_OK && sqlite3_changes(d->h) == 0)
		r = db_fail(d, DB_NOT_FOUND, "observation %lld: not found",
		            (long long)id);
	return r;
}

db_rc db_obs_list(db *d, const char *endpoint, db_observation **out,
                  size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	if (endpoint) {
		db_rc r = db_check_key(d, endpoint, sizeof (*out)->endpoint,
		                       "endpoint");
		if (r)   /* one too long to be stored has none */
			return r == DB_NOT_FOUND ? DB_OK : r;
		/* Uses the (endpoint, path) unique index. */
		st = db_stmt(d, ST_OBS_LIST_EP,
			"SELECT " OBS_COLS " FROM observations "
			"WHERE endpoint = ?1 ORDER BY id");
		if (!st)
			return DB_ERROR;
		if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC))
			return db_bindfail(d, st, "observation list");
	} else {
		st = db_stmt(d, ST_OBS_LIST_ALL,
			"SELECT " OBS_COLS " FROM observations ORDER BY id");
		if (!st)
			return DB_ERROR;
	}
	return db_collect(d, st, sizeof **out, obs_row, obs_clear_any,
	                  (void **)out, n, "observation list");
}

db_rc db_obs_delete(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, ST_OBS_DELETE,
		"DELETE FROM observations WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, id))
		return db_bindfail(d, st, "observation delete");
	db_rc r = db_run(d, st, "observation delete");
	if (r == DB_OK && sqlite3_changes(d->h) == 0)
		r = db_fail(d, DB_NOT_FOUND, "observation %lld: not found",
		            (long long)id);
	return r;
}

void db_observation_clear(db_observation *o)
{
	if (!o)
		return;
	free(o->last);
	o->last = NULL;
	o->last_len = 0;
}

void db_obs_list_free(db_observation *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		db_observation_clear(&list[i]);
	free(list);
}
