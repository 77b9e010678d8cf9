/*
 * probe.c: the write probe of /readyz (db/db_ops.h). A read would pass on
 * a database that a stuck process locks or a full disk refuses, so the
 * probe commits a real (tiny) write, with a short busy timeout so the loop
 * thread is never held for the full one.
 */
#include <stdio.h>
#include <time.h>

#include "db/db_int.h"
#include "db/db_ops.h"

/* The busy timeout db_open sets (db.c, DB_BUSY_MS): restored afterwards. */
#define PROBE_RESTORE_BUSY_MS 5000

db_rc db_probe_write(db *d, int busy_ms)
{
	char now[32];
	db_rc r;

	if (!d || !d->h)
		return DB_ERROR;
	sqlite3_busy_timeout(d->h, busy_ms > 0 ? busy_ms : 1);
	r = db_begin(d);
	if (r == DB_OK) {
		snprintf(now, sizeof now, "%lld", (long long)time(NULL));
		r = db_meta_set(d, "readyz_probe", now);
		if (r == DB_OK)
			r = db_commit(d);
		else
			db_rollback(d);
	}
	sqlite3_busy_timeout(d->h, PROBE_RESTORE_BUSY_MS);
	return r;
}
