/*
 * db_ops.h: what operations (metrics, readiness) need from the storage
 * layer, beside db/db.h: a timing hook called once per statement, and a
 * write probe for /readyz. Loop thread only, like the rest of db/.
 */
#ifndef DB_DB_OPS_H
#define DB_DB_OPS_H

#include "db/db.h"

/* Called with the seconds one cached statement took, from db_stmt handing
 * it out to db_done resetting it; NULL turns timing off (the default).
 * Process-wide: every open database reports through it. */
typedef void (*db_timing_fn)(double seconds);
void db_set_timing_hook(db_timing_fn fn);

/* Proves the database takes writes now: one small committed write to the
 * meta table (key "readyz_probe"), waiting at most busy_ms for a lock held
 * by another process instead of the usual busy timeout. DB_BUSY when
 * another process holds the write lock, else DB_OK or DB_ERROR with
 * db_errmsg set. */
db_rc db_probe_write(db *d, int busy_ms);

#endif
