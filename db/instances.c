/*
 * instances.c: the Object 507 instances nusimd wrote to each device
 * (db/db_switch.h): staged packages, the active profile's instance and the
 * fallback kept behind it. The unique indexes of schema/002_switch.sql keep
 * an ICCID in one instance of one device and one staged profile per
 * carrier.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"
#include "db/db_switch.h"

#define INST_COLS "endpoint, instance, iccid, carrier, role, job_id, created_at"

static db_rc inst_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_instance *in = elem;
	memset(in, 0, sizeof *in);
	db_rc rc;
	if ((rc = db_col_str(d, st, 0, in->endpoint, sizeof in->endpoint,
	                     "endpoint")) ||
	    (rc = db_col_str(d, st, 2, in->iccid, sizeof in->iccid, "iccid")) ||
	    (rc = db_col_str(d, st, 3, in->carrier, sizeof in->carrier,
	                     "carrier")) ||
	    (rc = db_col_str(d, st, 4, in->role, sizeof in->role, "role")))
		return rc;
	in->instance = sqlite3_column_int(st, 1);
	in->job_id = sqlite3_column_int64(st, 5);
	in->created_at = sqlite3_column_int64(st, 6);
	return DB_OK;
}

static db_rc one(db *d, sqlite3_stmt *st, db_instance *out, const char *what)
{
	int rc = sqlite3_step(st);
	db_rc r = rc == SQLITE_ROW ? inst_row(d, st, out)
	          : rc == SQLITE_DONE ? db_fail(d, DB_NOT_FOUND, "%s: none", what)
	          : db_sqlfail(d, rc, what);
	db_done(st);
	return r;
}

db_rc db_inst_put(db *d, const db_instance *in)
{
	db_rc r;
	if ((r = db_check_str(d, in->endpoint, sizeof in->endpoint, 1,
	                      "endpoint")) ||
	    (r = db_check_str(d, in->iccid, sizeof in->iccid, 1, "iccid")) ||
	    (r = db_check_str(d, in->carrier, sizeof in->carrier, 0, "carrier")) ||
	    (r = db_check_str(d, in->role, sizeof in->role, 1, "role")))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_INST_PUT,
		"INSERT INTO device_instances (" INST_COLS ") VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (endpoint, instance) "
		"DO UPDATE SET iccid = excluded.iccid, carrier = excluded.carrier, "
		"role = excluded.role, job_id = excluded.job_id");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, in->endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, in->instance) ||
	    sqlite3_bind_text(st, 3, in->iccid, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, in->carrier, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, in->role, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 6, in->job_id) ||
	    sqlite3_bind_int64(st, 7, in->created_at ? in->created_at
	                                             : (int64_t)time(NULL)))
		return db_bindfail(d, st, "instance put");
	r = db_run(d, st, "instance put");
	if (r == DB_ERROR &&
	    (sqlite3_extended_errcode(d->h) & 0xff) == SQLITE_CONSTRAINT)
		r = DB_CONFLICT;
	return r;
}

db_rc db_inst_list(db *d, const char *endpoint, db_instance **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	db_rc r = db_check_key(d, endpoint, DB_MAX_EP + 1, "endpoint");
	if (r)
		return r == DB_NOT_FOUND ? DB_OK : r;
	sqlite3_stmt *st = db_stmt(d, ST_INST_LIST,
		"SELECT " INST_COLS " FROM device_instances WHERE endpoint = ?1 "
		"ORDER BY instance");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "instance list");
	return db_collect(d, st, sizeof **out, inst_row, NULL, (void **)out, n,
	                  "instance list");
}

db_rc db_inst_by_iccid(db *d, const char *iccid, db_instance *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = db_check_key(d, iccid, DB_MAX_ICCID + 1, "iccid");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_INST_BY_ICCID,
		"SELECT " INST_COLS " FROM device_instances WHERE iccid = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, iccid, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "instance by iccid");
	return one(d, st, out, "instance of that iccid");
}

db_rc db_inst_staged(db *d, const char *endpoint, const char *carrier,
                     db_instance *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = db_check_key(d, endpoint, DB_MAX_EP + 1, "endpoint");
	if (r || (r = db_check_key(d, carrier, DB_MAX_CARRIER + 1, "carrier")))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_INST_STAGED,
		"SELECT " INST_COLS " FROM device_instances WHERE endpoint = ?1 "
		"AND carrier = ?2 AND role = 'staged'");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, carrier, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "instance staged");
	return one(d, st, out, "staged instance");
}

db_rc db_inst_set_role(db *d, const char *endpoint, int instance,
                       const char *role)
{
	db_rc r = db_check_key(d, endpoint, DB_MAX_EP + 1, "endpoint");
	if (r || (r = db_check_str(d, role, 12, 1, "role")))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_INST_ROLE,
		"UPDATE device_instances SET role = ?3 WHERE endpoint = ?1 AND "
		"instance = ?2");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, instance) ||
	    sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "instance role");
	r = db_run(d, st, "instance role");
	if (r == DB_ERROR &&
	    (sqlite3_extended_errcode(d->h) & 0xff) == SQLITE_CONSTRAINT)
		r = DB_CONFLICT;
	if (r == DB_OK && sqlite3_changes(d->h) != 1)
		r = db_fail(d, DB_NOT_FOUND, "instance %s /507/%d: not found",
		            endpoint, instance);
	return r;
}

db_rc db_inst_delete(db *d, const char *endpoint, int instance)
{
	db_rc r = db_check_key(d, endpoint, DB_MAX_EP + 1, "endpoint");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_INST_DELETE,
		"DELETE FROM device_instances WHERE endpoint = ?1 AND instance = ?2");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, instance))
		return db_bindfail(d, st, "instance delete");
	r = db_run(d, st, "instance delete");
	if (r == DB_OK && sqlite3_changes(d->h) != 1)
		r = db_fail(d, DB_NOT_FOUND, "instance %s /507/%d: not found",
		            endpoint, instance);
	return r;
}
