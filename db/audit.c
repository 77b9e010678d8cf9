/*
 * audit.c: the audit trail (db/db_switch.h): who did what to which thing,
 * when. Operator actions carry the token name, job outcomes "nusimd".
 * Rows are only ever added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"
#include "db/db_switch.h"

db_rc db_audit_add(db *d, const char *actor, const char *action,
                   const char *target, const char *detail)
{
	db_audit probe;
	db_rc r;
	if ((r = db_check_str(d, actor, sizeof probe.actor, 1, "actor")) ||
	    (r = db_check_str(d, action, sizeof probe.action, 1, "action")))
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_AUDIT_ADD,
		"INSERT INTO audit (at, actor, action, target, detail) VALUES "
		"(?1, ?2, ?3, substr(?4, 1, 159), substr(?5, 1, 511))");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, (int64_t)time(NULL)) ||
	    sqlite3_bind_text(st, 2, actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, target ? target : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_STATIC))
		return db_bindfail(d, st, "audit add");
	return db_run(d, st, "audit add");
}

static db_rc audit_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_audit *a = elem;
	memset(a, 0, sizeof *a);
	a->id = sqlite3_column_int64(st, 0);
	a->at = sqlite3_column_int64(st, 1);
	db_rc rc;
	/* substr() counts characters: a multi-byte detail may be longer in
	 * bytes than the array, so such a row is read cut, not refused. */
	const unsigned char *t;
	if ((rc = db_col_str(d, st, 2, a->actor, sizeof a->actor, "actor")) ||
	    (rc = db_col_str(d, st, 3, a->action, sizeof a->action, "action")))
		return rc;
	if ((t = sqlite3_column_text(st, 4)))
		snprintf(a->target, sizeof a->target, "%s", (const char *)t);
	if ((t = sqlite3_column_text(st, 5)))
		snprintf(a->detail, sizeof a->detail, "%s", (const char *)t);
	return DB_OK;
}

db_rc db_audit_list(db *d, int64_t after, int limit, db_audit **out,
                    size_t *n)
{
	return db_page_int(d, ST_AUDIT_LIST,
		"SELECT id, at, actor, action, target, detail FROM audit "
		"WHERE id > ?1 ORDER BY id LIMIT ?2", after, limit, sizeof **out,
		audit_row, NULL, (void **)out, n, "audit list");
}
