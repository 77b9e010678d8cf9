/*
 * certificates.c: the imported nuSIM certificates (db/db_certs.h).
 *
 * Imports and lookups are rare (an operator's upload, one lookup per
 * switch of a device without 508/3), so the statements are prepared per
 * call instead of taking slots in the shared cache. A write still commits
 * the write-behind batch first, as db_stmt does for every other write.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_certs.h"
#include "db/db_int.h"

static int eid_ok(const char *eid)
{
	return eid && strlen(eid) == DB_EID_LEN &&
	       strspn(eid, "0123456789") == DB_EID_LEN;
}

/* Prepares sql; NULL with db_errmsg set. The caller finalizes it. */
static sqlite3_stmt *prepare(db *d, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(d->h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		db_sqlfail(d, rc, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	if (d->batch_open && !d->batch_joining && !sqlite3_stmt_readonly(st))
		db_batch_flush(d);
	return st;
}

/* Runs a bound write to its end; DB_OK when done. Finalizes st. */
static db_rc finish_write(db *d, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	db_rc r = rc == SQLITE_DONE ? DB_OK : db_sqlfail(d, rc, what);
	sqlite3_finalize(st);
	return r;
}

db_rc db_cert_put(db *d, const char *eid, const uint8_t *der, size_t len,
                  const char *by, int *replaced)
{
	if (replaced)
		*replaced = 0;
	if (!eid_ok(eid))
		return db_fail(d, DB_ERROR, "certificate: the EID must be 32 digits");
	if (!der || !len || len > DB_MAX_CERT_DER)
		return db_fail(d, DB_ERROR, "certificate of %s: 1 to %d bytes of "
		               "DER", eid, DB_MAX_CERT_DER);
	if (!by)
		by = "";
	if (strlen(by) > DB_MAX_IMPORTER)
		return db_fail(d, DB_ERROR, "certificate of %s: importer name over "
		               "%d bytes", eid, DB_MAX_IMPORTER);
	db_cert old;
	db_rc r = db_cert_get(d, eid, &old);
	if (r != DB_OK && r != DB_NOT_FOUND)
		return r;
	int had = r == DB_OK;
	db_cert_clear(&old);
	sqlite3_stmt *st = prepare(d,
		"INSERT INTO nusim_certificates (eid, der, imported_by, created_at, "
		"updated_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (eid) DO "
		"UPDATE SET der = excluded.der, imported_by = excluded.imported_by, "
		"updated_at = excluded.updated_at");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, eid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 2, der, (int)len, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, (int64_t)time(NULL))) {
		r = db_sqlfail(d, sqlite3_errcode(d->h), "certificate bind");
		sqlite3_finalize(st);
		return r;
	}
	r = finish_write(d, st, "certificate put");
	if (r == DB_OK && replaced)
		*replaced = had;
	return r;
}

db_rc db_cert_get(db *d, const char *eid, db_cert *out)
{
	memset(out, 0, sizeof *out);
	if (!eid_ok(eid))
		return db_fail(d, DB_NOT_FOUND, "no certificate for EID %.40s "
		               "(not 32 digits)", eid ? eid : "");
	sqlite3_stmt *st = prepare(d,
		"SELECT eid, der, imported_by, created_at, updated_at "
		"FROM nusim_certificates WHERE eid = ?1");
	if (!st)
		return DB_ERROR;
	db_rc r;
	if (sqlite3_bind_text(st, 1, eid, -1, SQLITE_STATIC)) {
		r = db_sqlfail(d, sqlite3_errcode(d->h), "certificate bind");
		sqlite3_finalize(st);
		return r;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (!(r = db_col_str(d, st, 0, out->eid, sizeof out->eid, "eid")) &&
		    !(r = db_col_blob(d, st, 1, &out->der, &out->der_len)) &&
		    !(r = db_col_str(d, st, 2, out->imported_by,
		                     sizeof out->imported_by, "imported_by"))) {
			out->created_at = sqlite3_column_int64(st, 3);
			out->updated_at = sqlite3_column_int64(st, 4);
		}
	} else if (rc == SQLITE_DONE) {
		r = db_fail(d, DB_NOT_FOUND, "no certificate for EID %s", eid);
	} else {
		r = db_sqlfail(d, rc, "certificate get");
	}
	sqlite3_finalize(st);
	if (r)
		db_cert_clear(out);
	return r;
}

db_rc db_cert_delete(db *d, const char *eid)
{
	if (!eid_ok(eid))
		return db_fail(d, DB_NOT_FOUND, "no certificate for EID %.40s",
		               eid ? eid : "");
	sqlite3_stmt *st = prepare(d,
		"DELETE FROM nusim_certificates WHERE eid = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, eid, -1, SQLITE_STATIC)) {
		db_rc r = db_sqlfail(d, sqlite3_errcode(d->h), "certificate bind");
		sqlite3_finalize(st);
		return r;
	}
	db_rc r = finish_write(d, st, "certificate delete");
	if (r == DB_OK && sqlite3_changes(d->h) == 0)
		r = db_fail(d, DB_NOT_FOUND, "no certificate for EID %s", eid);
	return r;
}

void db_cert_clear(db_cert *c)
{
	if (!c)
		return;
	free(c->der);
	c->der = NULL;
	c->der_len = 0;
}
