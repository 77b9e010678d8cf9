/*
 * stmt.c: the prepared-statement cache and the small helpers every table
 * family uses to bind, read and bound values. Keeping them in one place
 * means every string read from a row gets the same truncation check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "db/db_int.h"
#include "db/db_ops.h"

/* ---- statement timing (db/db_ops.h) ------------------------------------- */

/* The statements handed out and not yet reset, with their start times. A
 * few are ever open at once (a list read while a row is written); one that
 * finds no free slot simply goes untimed. */
#define TIMING_SLOTS 16
static db_timing_fn timing_hook;
static _Thread_local struct {
	sqlite3_stmt *st;
	struct timespec t0;
} timing[TIMING_SLOTS];

void db_set_timing_hook(db_timing_fn fn)
{
	timing_hook = fn;
}

static void timing_start(sqlite3_stmt *st)
{
	int free_slot = -1;
	for (int i = 0; i < TIMING_SLOTS; i++) {
		if (timing[i].st == st) {
			free_slot = i;   /* handed out again without a reset */
			break;
		}
		if (!timing[i].st && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return;
	timing[free_slot].st = st;
	clock_gettime(CLOCK_MONOTONIC, &timing[free_slot].t0);
}

static void timing_end(sqlite3_stmt *st)
{
	for (int i = 0; i < TIMING_SLOTS; i++) {
		if (timing[i].st != st)
			continue;
		struct timespec t1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		timing[i].st = NULL;
		if (timing_hook)
			timing_hook((double)(t1.tv_sec - timing[i].t0.tv_sec) +
			            (double)(t1.tv_nsec - timing[i].t0.tv_nsec) / 1e9);
		return;
	}
}

sqlite3_stmt *db_stmt(db *d, enum db_stmt_id id, const char *sql)
{
	if (!d->st[id]) {
		int rc = sqlite3_prepare_v3(d->h, sql, -1,
		                            SQLITE_PREPARE_PERSISTENT, &d->st[id],
		                            NULL);
		if (rc != SQLITE_OK) {
			db_sqlfail(d, rc, "prepare");
			sqlite3_finalize(d->st[id]);
			d->st[id] = NULL;
			return NULL;
		}
	}
	/* A write that is not part of the write-behind batch must be durable
	 * when its call returns: commit the batch before it runs. Every
	 * statement comes through here, so no table family can forget. */
	if (d->batch_open && !d->batch_joining &&
	    !sqlite3_stmt_readonly(d->st[id]))
		db_batch_flush(d);
	if (timing_hook)
		timing_start(d->st[id]);
	return d->st[id];
}

void db_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	if (timing_hook)
		timing_end(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

db_rc db_fail(db *d, db_rc rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->err, sizeof d->err, fmt, ap);
	va_end(ap);
	return rc;
}

db_rc db_sqlfail(db *d, int rc, const char *what)
{
	/* Extended result codes are on (db_open), so rc tells UNIQUE from
	 * other constraints; the message is that of the failed call. */
	db_fail(d, DB_ERROR, "%s: %s", what, sqlite3_errmsg(d->h));
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return DB_CONFLICT;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return DB_BUSY;
	default:
		return DB_ERROR;
	}
}

db_rc db_check_str(db *d, const char *s, size_t cap, int nonempty,
                   const char *what)
{
	if (!s)
		return db_fail(d, DB_ERROR, "%s: missing", what);
	size_t n = strnlen(s, cap);
	if (n >= cap)
		return db_fail(d, DB_ERROR, "%s: longer than %zu bytes", what,
		               cap - 1);
	if (nonempty && n == 0)
		return db_fail(d, DB_ERROR, "%s: empty", what);
	return DB_OK;
}

db_rc db_check_key(db *d, const char *s, size_t cap, const char *what)
{
	if (!s || !*s)
		return db_fail(d, DB_ERROR, "%s: missing", what);
	if (strnlen(s, cap) >= cap)
		return db_fail(d, DB_NOT_FOUND, "%s: longer than %zu bytes, no "
		               "such row", what, cap - 1);
	return DB_OK;
}

db_rc db_col_str(db *d, sqlite3_stmt *st, int col, char *dst, size_t cap,
                 const char *what)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	if (!t) {
		if (sqlite3_column_type(st, col) != SQLITE_NULL)
			return db_fail(d, DB_ERROR, "%s: out of memory", what);
		dst[0] = '\0';
		return DB_OK;
	}
	if (n >= cap)
		return db_fail(d, DB_ERROR, "%s: stored value of %zu bytes does "
		               "not fit %zu", what, n, cap - 1);
	if (memchr(t, '\0', n))
		return db_fail(d, DB_ERROR, "%s: stored value holds a NUL", what);
	memcpy(dst, t, n);
	dst[n] = '\0';
	return DB_OK;
}

db_rc db_col_strdup(db *d, sqlite3_stmt *st, int col, char **out)
{
	*out = NULL;
	const unsigned char *t = sqlite3_column_text(st, col);
	if (!t) {
		if (sqlite3_column_type(st, col) != SQLITE_NULL)
			return db_fail(d, DB_ERROR, "out of memory");
		return DB_OK;
	}
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *s = malloc(n + 1);
	if (!s)
		return db_fail(d, DB_ERROR, "out of memory");
	memcpy(s, t, n);
	s[n] = '\0';
	*out = s;
	return DB_OK;
}

db_rc db_col_blob(db *d, sqlite3_stmt *st, int col, uint8_t **out,
                  size_t *len)
{
	*out = NULL;
	*len = 0;
	const void *p = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	if (!p || n == 0)
		return DB_OK;
	uint8_t *b = malloc(n);
	if (!b)
		return db_fail(d, DB_ERROR, "out of memory");
	memcpy(b, p, n);
	*out = b;
	*len = n;
	return DB_OK;
}

db_rc db_bind_blob(db *d, sqlite3_stmt *st, int idx, const uint8_t *p,
                   size_t len, const char *what)
{
	if (len > DB_MAX_BLOB)
		return db_fail(d, DB_ERROR, "%s: %zu bytes, more than %d", what,
		               len, DB_MAX_BLOB);
	if (len && !p)
		return db_fail(d, DB_ERROR, "%s: NULL with length %zu", what, len);
	int rc = len ? sqlite3_bind_blob(st, idx, p, (int)len, SQLITE_STATIC)
	             : sqlite3_bind_null(st, idx);
	return rc == SQLITE_OK ? DB_OK : db_sqlfail(d, rc, what);
}

db_rc db_run(db *d, sqlite3_stmt *st, const char *what)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	db_rc r = rc == SQLITE_DONE ? DB_OK : db_sqlfail(d, rc, what);
	db_done(st);
	return r;
}

db_rc db_bindfail(db *d, sqlite3_stmt *st, const char *what)
{
	db_rc r = db_fail(d, DB_ERROR, "%s: bind: %s", what,
	                  sqlite3_errmsg(d->h));
	db_done(st);
	return r;
}

db_rc db_collect(db *d, sqlite3_stmt *st, size_t size, db_row_fn row,
                 db_clear_fn clear, void **out, size_t *n, const char *what)
{
	char *list = NULL;
	size_t len = 0, cap = 0;
	db_rc r = DB_OK;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char *p = realloc(list, ncap * size);
			if (!p) {
				r = db_fail(d, DB_ERROR, "%s: out of memory", what);
				goto out;
			}
			list = p;
			cap = ncap;
		}
		if ((r = row(d, st, list + len * size)))
			goto out;
		len++;
	}
	if (rc != SQLITE_DONE)
		r = db_sqlfail(d, rc, what);
out:
	db_done(st);
	if (r) {
		for (size_t i = 0; clear && i < len; i++)
			clear(list + i * size);
		free(list);
		return r;
	}
	*out = list;
	*n = len;
	return DB_OK;
}

db_rc db_check_limit(db *d, int limit)
{
	if (limit <= 0)
		return db_fail(d, DB_ERROR, "list limit %d: must be positive",
		               limit);
	return DB_OK;
}
