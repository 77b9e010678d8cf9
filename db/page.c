/*
 * page.c: the shapes every list and count of the storage layer shares, so
 * each table's file only says its SQL and how one row reads: a page after a
 * cursor (`WHERE key > ?1 ... LIMIT ?2`) and a single integer (a count).
 */
#include "db/db_int.h"

/* Binds ?2 to limit and collects the page; st has ?1 bound already. */
static db_rc page_collect(db *d, sqlite3_stmt *st, int limit, size_t size,
                          db_row_fn row, db_clear_fn clear, void **out,
                          size_t *n, const char *what)
{
	if (sqlite3_bind_int(st, 2, limit))
		return db_bindfail(d, st, what);
	return db_collect(d, st, size, row, clear, out, n, what);
}

db_rc db_page_text(db *d, enum db_stmt_id id, const char *sql,
                   const char *after, int limit, size_t size, db_row_fn row,
                   db_clear_fn clear, void **out, size_t *n, const char *what)
{
	*out = NULL;
	*n = 0;
	if (!after)
		after = "";
	db_rc r = db_check_limit(d, limit);
	if (r || (r = db_check_str(d, after, DB_MAX_CURSOR + 1, 0, "after")))
		return r;
	sqlite3_stmt *st = db_stmt(d, id, sql);
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC))
		return db_bindfail(d, st, what);
	return page_collect(d, st, limit, size, row, clear, out, n, what);
}

db_rc db_page_int(db *d, enum db_stmt_id id, const char *sql, int64_t after,
                  int limit, size_t size, db_row_fn row, db_clear_fn clear,
                  void **out, size_t *n, const char *what)
{
	*out = NULL;
	*n = 0;
	db_rc r = db_check_limit(d, limit);
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, id, sql);
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, after))
		return db_bindfail(d, st, what);
	return page_collect(d, st, limit, size, row, clear, out, n, what);
}

db_rc db_step_int64(db *d, sqlite3_stmt *st, int64_t *out, const char *what)
{
	int rc = sqlite3_step(st);
	db_rc r = DB_OK;
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		r = db_sqlfail(d, rc, what);
	db_done(st);
	return r;
}
