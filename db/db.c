/*
 * db.c: opening the SQLite database, the per-connection pragmas, schema
 * migration, transactions, the meta table and the error text.
 *
 * The pragmas follow NOTES-libs §7: WAL with synchronous=FULL, because
 * DESIGN §7 writes a state before sending the request that leaves it, and a
 * commit that rolls back after a power loss would make nusimd do a step
 * twice.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db_int.h"
#include "db/schema.h"

#define DB_BUSY_MS 5000
#define DB_MAX_META_KEY 255
#define DB_MAX_META_VALUE 65536

int db_schema_latest(void)
{
	int v = 0;
	for (const struct schema_migration *m = schema_migrations; m->version;
	     m++)
		if (m->version > v)
			v = m->version;
	return v;
}

int db_schema_version(db *d)
{
	return d ? d->version : 0;
}

const char *db_errmsg(db *d)
{
	return d ? d->err : "no database";
}

/* Runs SQL text that returns no rows we need (pragmas, migrations). */
static db_rc exec(db *d, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(d->h, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return DB_OK;
	db_rc r = db_sqlfail(d, rc, what);
	if (msg)
		db_fail(d, r, "%s: %s", what, msg);
	sqlite3_free(msg);
	return r;
}

/* One integer from a pragma or query. */
static db_rc query_int(db *d, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->h, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	db_rc r = rc == SQLITE_OK ? DB_OK : db_sqlfail(d, rc, sql);
	sqlite3_finalize(st);
	return r;
}

static db_rc set_journal_wal(db *d)
{
	sqlite3_stmt *st = NULL;
	db_rc r = DB_OK;
	int rc = sqlite3_prepare_v2(d->h, "PRAGMA journal_mode=WAL", -1, &st,
	                            NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		/* An in-memory database (tests) cannot use WAL. */
		if (!mode || (strcmp(mode, "wal") && strcmp(mode, "memory")))
			r = db_fail(d, DB_ERROR, "journal_mode=WAL refused "
			            "(mode is %s)", mode ? mode : "?");
	} else {
		r = db_sqlfail(d, rc, "journal_mode=WAL");
	}
	sqlite3_finalize(st);
	return r;
}

/* Applies every migration newer than PRAGMA user_version, each in its own
 * transaction together with its user_version, so a crash leaves either
 * the old or the new version, never half of one. */
static db_rc migrate(db *d)
{
	int latest = db_schema_latest(), v = 0;
	db_rc r = query_int(d, "PRAGMA user_version", &v);
	if (r)
		return r;
	if (v > latest)
		return db_fail(d, DB_ERROR, "database schema version %d is newer "
		               "than this build knows (%d): use a newer nusimd",
		               v, latest);
	int prev = 0;
	for (const struct schema_migration *m = schema_migrations; m->version;
	     m++) {
		if (m->version <= prev)
			return db_fail(d, DB_ERROR, "migration %s out of order",
			               m->name);
		prev = m->version;
		if (m->version <= v)
			continue;
		if ((r = exec(d, "BEGIN IMMEDIATE", "migrate: begin")))
			return r;
		/* Another process may have migrated while we waited. */
		if ((r = query_int(d, "PRAGMA user_version", &v)))
			goto fail;
		if (v > latest) {
			r = db_fail(d, DB_ERROR, "database schema version %d is "
			            "newer than this build knows (%d)", v, latest);
			goto fail;
		}
		if (m->version > v) {
			char what[96], pragma[48];
			snprintf(what, sizeof what, "migration %s", m->name);
			snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d",
			         m->version);
			if ((r = exec(d, m->sql, what)) ||
			    (r = exec(d, pragma, what)))
				goto fail;
			v = m->version;
		}
		if ((r = exec(d, "COMMIT", "migrate: commit")))
			goto fail;
	}
	d->version = v;
	return DB_OK;
fail:
	if (!sqlite3_get_autocommit(d->h))
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* The database holds token hashes and sealed keys: create it readable by
 * its owner only. SQLite gives the -wal and -shm files the same mode. */
static void precreate(const char *path)
{
	if (!strcmp(path, ":memory:") || !strncmp(path, "file:", 5) || !*path)
		return;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

db_rc db_open(const char *path, db **out, char *err, size_t errlen)
{
	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!path) {
		snprintf(err, errlen, "no database path");
		return DB_ERROR;
	}
	db *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return DB_ERROR;
	}
	precreate(path);
	db_rc r;
	int rc = sqlite3_open_v2(path, &d->h, SQLITE_OPEN_READWRITE |
	                         SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = d->h ? db_sqlfail(d, rc, path)
		         : db_fail(d, DB_ERROR, "%s: out of memory", path);
		goto fail;
	}
	sqlite3_extended_result_codes(d->h, 1);
	sqlite3_busy_timeout(d->h, DB_BUSY_MS);
	if ((r = set_journal_wal(d)) ||
	    (r = exec(d, "PRAGMA synchronous=FULL", "synchronous=FULL")) ||
	    (r = exec(d, "PRAGMA foreign_keys=ON", "foreign_keys=ON")) ||
	    /* A bound on resident memory whatever the fleet size: 2 MiB of
	     * pages (SQLite's default, set so it stays a decision); the
	     * hot index pages of a million registrations fit. */
	    (r = exec(d, "PRAGMA cache_size=-2048", "cache_size")) ||
	    (r = migrate(d)))
		goto fail;
	*out = d;
	return DB_OK;
fail:
	snprintf(err, errlen, "%s: %s", path, d->err);
	db_close(d);
	return r;
}

void db_close(db *d)
{
	if (!d)
		return;
	/* A graceful stop keeps the batched registration writes. */
	if (d->h)
		db_batch_flush(d);
	if (d->h && !sqlite3_get_autocommit(d->h))
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(d->st[i]);
	/* Keeps the planner's statistics fresh; cheap when nothing changed. */
	if (d->h && d->version)
		sqlite3_exec(d->h, "PRAGMA optimize", NULL, NULL, NULL);
	sqlite3_close(d->h);
	free(d);
}

/* ---- transactions ------------------------------------------------------ */

/* The outermost level is BEGIN IMMEDIATE (takes the write lock at once, so
 * no upgrade can fail with BUSY later); inner levels are savepoints, so an
 * inner rollback discards only its own part. */
db_rc db_begin(db *d)
{
	db_rc r;
	/* An explicit transaction is about state that must be durable when
	 * it commits: the batch goes first, and never nests under it. */
	if (d->batch_open)
		db_batch_flush(d);
	if (d->depth > 0 && sqlite3_get_autocommit(d->h)) {
		/* SQLite rolled the enclosing transaction back on its own
		 * (I/O error, disk full): its work is gone, so say so rather
		 * than start a new one under it. */
		d->depth = 0;
		return db_fail(d, DB_ERROR, "begin: the enclosing transaction "
		               "was rolled back");
	}
	if (d->depth == 0) {
		sqlite3_stmt *st = db_stmt(d, ST_BEGIN, "BEGIN IMMEDIATE");
		if (!st)
			return DB_ERROR;
		r = db_run(d, st, "begin");
	} else {
		char sql[32];
		snprintf(sql, sizeof sql, "SAVEPOINT db_%d", d->depth);
		r = exec(d, sql, "savepoint");
	}
	if (r == DB_OK)
		d->depth++;
	return r;
}

db_rc db_commit(db *d)
{
	if (d->depth == 0)
		return db_fail(d, DB_ERROR, "commit without begin");
	if (sqlite3_get_autocommit(d->h)) {
		d->depth = 0;
		return db_fail(d, DB_ERROR, "commit: the transaction was "
		               "already rolled back");
	}
	if (d->depth > 1) {
		char sql[32];
		snprintf(sql, sizeof sql, "RELEASE db_%d", d->depth - 1);
		db_rc r = exec(d, sql, "release");
		if (r == DB_OK)
			d->depth--;
		return r;
	}
	sqlite3_stmt *st = db_stmt(d, ST_COMMIT, "COMMIT");
	db_rc r = st ? db_run(d, st, "commit") : DB_ERROR;
	if (r != DB_OK && !sqlite3_get_autocommit(d->h)) {
		/* Leave no half-open transaction behind; the caller decides
		 * whether to redo the work. */
		char keep[sizeof d->err];
		memcpy(keep, d->err, sizeof keep);
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
		memcpy(d->err, keep, sizeof keep);
	}
	d->depth = 0;
	return r;
}

db_rc db_rollback(db *d)
{
	if (d->depth == 0)
		return db_fail(d, DB_ERROR, "rollback without begin");
	if (sqlite3_get_autocommit(d->h)) {
		d->depth = 0;   /* already rolled back by SQLite */
		return DB_OK;
	}
	if (d->depth > 1) {
		char sql[64];
		snprintf(sql, sizeof sql, "ROLLBACK TO db_%d; RELEASE db_%d",
		         d->depth - 1, d->depth - 1);
		db_rc r = exec(d, sql, "rollback to savepoint");
		if (r == DB_OK)
			d->depth--;
		return r;
	}
	sqlite3_stmt *st = db_stmt(d, ST_ROLLBACK, "ROLLBACK");
	db_rc r = st ? db_run(d, st, "rollback") : DB_ERROR;
	d->depth = 0;
	return r;
}

/* ---- batching ------------------------------------------------------------ */

/* The batch is a plain BEGIN IMMEDIATE ... COMMIT that no db_begin level
 * counts (depth stays 0): db_begin and every write statement outside it
 * commit it first (db_stmt), so it never holds anything but the writes
 * that joined it. */

void db_batch_enable(db *d, int on)
{
	if (!on)
		db_batch_flush(d);
	d->batch_on = on ? 1 : 0;
}

size_t db_batch_pending(const db *d)
{
	return d->batch_open ? d->batch_n : 0;
}

uint64_t db_batch_lost(const db *d)
{
	return d->batch_lost;
}

db_rc db_batch_join(db *d)
{
	d->batch_joining = 0;
	if (!d->batch_on || d->depth > 0)
		return DB_OK;           /* runs on its own, or in the caller's txn */
	if (d->batch_open && sqlite3_get_autocommit(d->h)) {
		/* SQLite rolled the batch back on its own (disk full, I/O
		 * error): count what went, and start a new one. */
		d->batch_lost += d->batch_n;
		d->batch_open = 0;
	}
	if (!d->batch_open) {
		sqlite3_stmt *st = db_stmt(d, ST_BEGIN, "BEGIN IMMEDIATE");
		db_rc r = st ? db_run(d, st, "batch begin") : DB_ERROR;
		if (r != DB_OK)
			return r;
		d->batch_open = 1;
		d->batch_n = 0;
	}
	d->batch_joining = 1;
	return DB_OK;
}

void db_batch_leave(db *d, db_rc rc)
{
	if (d->batch_joining && rc == DB_OK)
		d->batch_n++;
	d->batch_joining = 0;
}

db_rc db_batch_flush(db *d)
{
	if (!d->batch_open)
		return DB_OK;
	d->batch_open = 0;
	d->batch_joining = 0;
	if (sqlite3_get_autocommit(d->h)) {
		/* SQLite rolled it back on its own (I/O error, disk full). */
		d->batch_lost += d->batch_n;
		d->batch_n = 0;
		return db_fail(d, DB_ERROR, "batch: rolled back by SQLite");
	}
	sqlite3_stmt *st = db_stmt(d, ST_COMMIT, "COMMIT");
	db_rc r = st ? db_run(d, st, "batch commit") : DB_ERROR;
	if (r != DB_OK && !sqlite3_get_autocommit(d->h)) {
		char keep[sizeof d->err];
		memcpy(keep, d->err, sizeof keep);
		sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL);
		memcpy(d->err, keep, sizeof keep);
	}
	if (r != DB_OK)
		d->batch_lost += d->batch_n;
	d->batch_n = 0;
	return r;
}

/* ---- meta --------------------------------------------------------------- */

db_rc db_meta_get(db *d, const char *key, char **val)
{
	*val = NULL;
	db_rc r = db_check_str(d, key, DB_MAX_META_KEY + 1, 1, "meta key");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_META_GET,
	                           "SELECT value FROM meta WHERE key = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "meta get");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r = db_col_strdup(d, st, 0, val);
		if (r == DB_OK && !*val)
			r = db_fail(d, DB_ERROR, "meta %s: NULL value", key);
	} else if (rc == SQLITE_DONE) {
		r = db_fail(d, DB_NOT_FOUND, "meta %s: not found", key);
	} else {
		r = db_sqlfail(d, rc, "meta get");
	}
	db_done(st);
	return r;
}

db_rc db_meta_set(db *d, const char *key, const char *val)
{
	db_rc r = db_check_str(d, key, DB_MAX_META_KEY + 1, 1, "meta key");
	if (r || (r = db_check_str(d, val, DB_MAX_META_VALUE + 1, 0,
	                           "meta value")))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_META_SET,
		"INSERT INTO meta (key, value) VALUES (?1, ?2) "
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "meta set");
	return db_run(d, st, "meta set");
}
