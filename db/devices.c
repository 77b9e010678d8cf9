/*
 * devices.c: the credentials an operator provisions for each endpoint. The
 * PSK key is stored only sealed (crypto/seal.h). A PSK identity names one
 * endpoint at most (partial unique index devices_identity), which is what
 * lets the DTLS layer bind an authenticated identity to its endpoint.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"

#define DEVICE_COLS "endpoint, psk_identity, psk_sealed, created_at, updated_at"

static db_rc device_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_device *dev = elem;
	memset(dev, 0, sizeof *dev);
	db_rc r = db_col_str(d, st, 0, dev->endpoint, sizeof dev->endpoint,
	                     "device endpoint");
	if (r || (r = db_col_str(d, st, 1, dev->psk_identity,
	                         sizeof dev->psk_identity, "psk identity")) ||
	    (r = db_col_blob(d, st, 2, &dev->psk_sealed, &dev->psk_sealed_len)))
		return r;
	dev->created_at = sqlite3_column_int64(st, 3);
	dev->updated_at = sqlite3_column_int64(st, 4);
	return DB_OK;
}

static void device_clear_any(void *elem)
{
	db_device_clear(elem);
}

/* Runs a bound single-row SELECT of DEVICE_COLS into out. */
static db_rc device_one(db *d, sqlite3_stmt *st, db_device *out,
                        const char *what, const char *key)
{
	db_rc r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = device_row(d, st, out);
	else if (rc == SQLITE_DONE)
		r = db_fail(d, DB_NOT_FOUND, "%s %s: not found", what, key);
	else
		r = db_sqlfail(d, rc, what);
	db_done(st);
	return r;
}

db_rc db_device_put(db *d, const char *endpoint, const char *psk_identity,
                    const uint8_t *psk_sealed, size_t psk_sealed_len)
{
	db_device dev;
	if (!psk_identity)
		psk_identity = "";
	db_rc r = db_check_str(d, endpoint, sizeof dev.endpoint, 1, "endpoint");
	if (r || (r = db_check_str(d, psk_identity, sizeof dev.psk_identity, 0,
	                           "psk identity")))
		return r;
	/* created_at survives a replace: an upsert, not INSERT OR REPLACE,
	 * which would also delete another endpoint holding the identity. */
	sqlite3_stmt *st = db_stmt(d, ST_DEVICE_PUT,
		"INSERT INTO devices (" DEVICE_COLS ") VALUES (?1, ?2, ?3, ?4, ?4) "
		"ON CONFLICT (endpoint) DO UPDATE SET "
		"psk_identity = excluded.psk_identity, "
		"psk_sealed = excluded.psk_sealed, "
		"updated_at = excluded.updated_at");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, psk_identity, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, (int64_t)time(NULL)))
		return db_bindfail(d, st, "device put");
	if ((r = db_bind_blob(d, st, 3, psk_sealed, psk_sealed_len,
	                      "sealed psk"))) {
		db_done(st);
		return r;
	}
	r = db_run(d, st, "device put");
	if (r == DB_CONFLICT)
		db_fail(d, r, "psk identity %s is already bound to another "
		        "endpoint", psk_identity);
	return r;
}

db_rc db_device_get(db *d, const char *endpoint, db_device *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = db_check_key(d, endpoint, sizeof out->endpoint, "endpoint");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_DEVICE_GET,
		"SELECT " DEVICE_COLS " FROM devices WHERE endpoint = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "device get");
	return device_one(d, st, out, "device", endpoint);
}

db_rc db_device_by_identity(db *d, const char *identity, db_device *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = db_check_key(d, identity, sizeof out->psk_identity,
	                       "psk identity");
	if (r)
		return r;
	/* The "<> ''" term lets the planner use the partial index. */
	sqlite3_stmt *st = db_stmt(d, ST_DEVICE_BY_IDENTITY,
		"SELECT " DEVICE_COLS " FROM devices "
		"WHERE psk_identity = ?1 AND psk_identity <> ''");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "device by identity");
	return device_one(d, st, out, "psk identity", identity);
}

db_rc db_device_list(db *d, const char *after, int limit,
                     db_device **out, size_t *n)
{
	return db_page_text(d, ST_DEVICE_LIST,
		"SELECT " DEVICE_COLS " FROM devices WHERE endpoint > ?1 "
		"ORDER BY endpoint LIMIT ?2", after, limit, sizeof **out,
		device_row, device_clear_any, (void **)out, n, "device list");
}

db_rc db_device_count(db *d, int64_t *n)
{
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_DEVICE_COUNT,
		"SELECT count(*) FROM devices");
	if (!st)
		return DB_ERROR;
	return db_step_int64(d, st, n, "device count");
}

db_rc db_device_delete(db *d, const char *endpoint)
{
	db_device dev;
	db_rc r = db_check_key(d, endpoint, sizeof dev.endpoint, "endpoint");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_DEVICE_DELETE,
		"DELETE FROM devices WHERE endpoint = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "device delete");
	r = db_run(d, st, "device delete");
	if (r == DB_OK && sqlite3_changes(d->h) == 0)
		r = db_fail(d, DB_NOT_FOUND, "device %s: not found", endpoint);
	return r;
}

void db_device_clear(db_device *dev)
{
	if (!dev)
		return;
	free(dev->psk_sealed);
	dev->psk_sealed = NULL;
	dev->psk_sealed_len = 0;
}

void db_device_list_free(db_device *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		db_device_clear(&list[i]);
	free(list);
}
