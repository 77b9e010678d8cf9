/*
 * tokens.c: API bearer tokens. Only a SHA-256 of each token is stored
 * (api/token.h makes and checks them), so a stolen database yields no
 * usable token; the hash has a unique index for the per-request lookup.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"

static const char *const role_names[] = {
	[DB_ROLE_VIEWER] = "viewer",
	[DB_ROLE_OPERATOR] = "operator",
	[DB_ROLE_ADMIN] = "admin",
};

const char *db_role_name(int role)
{
	if (role < DB_ROLE_VIEWER || role > DB_ROLE_ADMIN)
		return "unknown";
	return role_names[role];
}

int db_role_from_name(const char *s)
{
	if (!s)
		return 0;
	for (int r = DB_ROLE_VIEWER; r <= DB_ROLE_ADMIN; r++)
		if (!strcmp(s, role_names[r]))
			return r;
	return 0;
}

#define TOKEN_COLS "id, name, role, created_at, last_used_at"

static db_rc token_row(db *d, sqlite3_stmt *st, db_token *t)
{
	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(st, 0);
	t->role = sqlite3_column_int(st, 2);
	t->created_at = sqlite3_column_int64(st, 3);
	t->last_used_at = sqlite3_column_int64(st, 4);
	return db_col_str(d, st, 1, t->name, sizeof t->name, "token name");
}

db_rc db_token_create(db *d, const char *name, int role,
                      const uint8_t hash[32], int64_t *id)
{
	db_token t;
	db_rc r = db_check_str(d, name, sizeof t.name, 1, "token name");
	if (r)
		return r;
	if (role < DB_ROLE_VIEWER || role > DB_ROLE_ADMIN)
		return db_fail(d, DB_ERROR, "token role %d: unknown", role);
	if (!hash)
		return db_fail(d, DB_ERROR, "token hash: missing");
	sqlite3_stmt *st = db_stmt(d, ST_TOKEN_CREATE,
		"INSERT INTO tokens (name, role, hash, created_at) "
		"VALUES (?1, ?2, ?3, ?4)");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, role) ||
	    sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, (int64_t)time(NULL)))
		return db_bindfail(d, st, "token create");
	r = db_run(d, st, "token create");
	if (r == DB_OK && id)
		*id = sqlite3_last_insert_rowid(d->h);
	return r;
}

db_rc db_token_find(db *d, const uint8_t hash[32], db_token *out)
{
	memset(out, 0, sizeof *out);
	if (!hash)
		return db_fail(d, DB_ERROR, "token hash: missing");
	sqlite3_stmt *st = db_stmt(d, ST_TOKEN_FIND,
		"SELECT " TOKEN_COLS " FROM tokens WHERE hash = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC))
		return db_bindfail(d, st, "token find");
	db_rc r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = token_row(d, st, out);
	else if (rc == SQLITE_DONE)
		r = db_fail(d, DB_NOT_FOUND, "token: not found");
	else
		r = db_sqlfail(d, rc, "token find");
	db_done(st);
	return r;
}

db_rc db_token_touch(db *d, int64_t id, int64_t now)
{
	sqlite3_stmt *st = db_stmt(d, ST_TOKEN_TOUCH,
		"UPDATE tokens SET last_used_at = ?2 WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, now))
		return db_bindfail(d, st, "token touch");
	db_rc r = db_run(d, st, "token touch");
	if (r == DB_OK && sqlite3_changes(d->h) == 0)
		r = db_fail(d, DB_NOT_FOUND, "token %lld: not found",
		            (long long)id);
	return r;
}

static db_rc token_row_any(db *d, sqlite3_stmt *st, void *elem)
{
	return token_row(d, st, elem);
}

db_rc db_token_list(db *d, db_token **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_TOKEN_LIST,
		"SELECT " TOKEN_COLS " FROM tokens ORDER BY id");
	if (!st)
		return DB_ERROR;
	return db_collect(d, st, sizeof **out, token_row_any, NULL,
	                  (void **)out, n, "token list");
}

db_rc db_token_delete(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(d, ST_TOKEN_DELETE,
		"DELETE FROM tokens WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, id))
		return db_bindfail(d, st, "token delete");
	db_rc r = db_run(d, st, "token delete");
	if (r == DB_OK && sqlite3_changes(d->h) == 0)
		r = db_fail(d, DB_NOT_FOUND, "token %lld: not found",
		            (long long)id);
	return r;
}
