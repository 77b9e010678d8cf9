/*
 * test_db_batch.c: the write-behind batch (db_batch_enable): registration
 * writes wait in one open transaction that this connection reads through
 * at once; another connection sees them only after the flush; any other
 * write, db_begin, disabling and db_close flush first; inside an explicit
 * transaction nothing is batched; a batch that SQLite rolled back on its
 * own (disk full, I/O error) is counted as lost and the next one starts.
 */
#include <sqlite3.h>

#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"
#include "db/db_int.h"   /* to roll a batch back as SQLite would */

static db_registration mkreg(const char *ep, const char *id)
{
	db_registration r;
	memset(&r, 0, sizeof r);
	snprintf(r.endpoint, sizeof r.endpoint, "%s", ep);
	snprintf(r.reg_id, sizeof r.reg_id, "%s", id);
	snprintf(r.version, sizeof r.version, "1.1");
	snprintf(r.binding, sizeof r.binding, "U");
	snprintf(r.addr, sizeof r.addr, "127.0.0.1:40001");
	snprintf(r.transport, sizeof r.transport, "udp");
	r.links = "</3/0>";
	r.lifetime = 60;
	r.registered_at = r.updated_at = 1000;
	r.expires_at = 1060;
	return r;
}

/* Rows of registrations as another process sees them on disk. */
static int disk_rows(void)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;
	if (sqlite3_open_v2(fx_path, &h, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT count(*) FROM registrations", -1, &st,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

TEST(batched_writes_wait_and_are_read_through)
{
	db *d = fx_open();
	CHECK(d);
	db_batch_enable(d, 1);
	db_registration r = mkreg("ep1", "id1"), g;
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	snprintf(r.addr, sizeof r.addr, "127.0.0.1:40002");
	CHECK_EQ_INT(db_reg_update(d, &r), DB_OK);
	CHECK_EQ_INT((int)db_batch_pending(d), 2);
	CHECK_EQ_INT(disk_rows(), 0);
	CHECK_EQ_INT(db_reg_by_id(d, "id1", &g), DB_OK);
	CHECK_EQ_STR(g.addr, "127.0.0.1:40002");
	db_registration_clear(&g);
	CHECK_EQ_INT(db_batch_flush(d), DB_OK);
	CHECK_EQ_INT((int)db_batch_pending(d), 0);
	CHECK_EQ_INT(disk_rows(), 1);
	CHECK_EQ_INT(db_batch_flush(d), DB_OK);   /* nothing pending: a no-op */
}

TEST(failed_batched_write_is_not_counted)
{
	db *d = fx_open();
	CHECK(d);
	db_batch_enable(d, 1);
	db_registration r = mkreg("ep1", "id1");
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	db_registration x = mkreg("ep2", "id1");   /* reg_id taken */
	CHECK_EQ_INT(db_reg_put(d, &x), DB_CONFLICT);
	CHECK_EQ_INT(db_reg_delete(d, "nobody"), DB_NOT_FOUND);
	CHECK_EQ_INT((int)db_batch_pending(d), 1);
	CHECK_EQ_INT(db_batch_flush(d), DB_OK);
	CHECK_EQ_INT(disk_rows(), 1);
}

TEST(other_write_flushes_the_batch_first)
{
	db *d = fx_open();
	CHECK(d);
	db_batch_enable(d, 1);
	db_registration r = mkreg("ep1", "id1");
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	/* A write that DESIGN §7 needs durable on return: the batch goes
	 * to disk before it. */
	CHECK_EQ_INT(db_meta_set(d, "k", "v"), DB_OK);
	CHECK_EQ_INT((int)db_batch_pending(d), 0);
	CHECK_EQ_INT(disk_rows(), 1);
	/* A read does not flush. */
	db_registration r2 = mkreg("ep2", "id2"), g;
	CHECK_EQ_INT(db_reg_put(d, &r2), DB_OK);
	CHECK_EQ_INT(db_reg_get(d, "ep1", &g), DB_OK);
	db_registration_clear(&g);
	CHECK_EQ_INT((int)db_batch_pending(d), 1);
	CHECK_EQ_INT(disk_rows(), 1);
}

TEST(begin_flushes_and_explicit_transactions_do_not_batch)
{
	db *d = fx_open();
	CHECK(d);
	db_batch_enable(d, 1);
	db_registration r = mkreg("ep1", "id1");
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	CHECK_EQ_INT(db_begin(d), DB_OK);
	CHECK_EQ_INT(disk_rows(), 1);
	db_registration r2 = mkreg("ep2", "id2");
	CHECK_EQ_INT(db_reg_put(d, &r2), DB_OK);
	CHECK_EQ_INT((int)db_batch_pending(d), 0);   /* part of the txn */
	CHECK_EQ_INT(db_rollback(d), DB_OK);
	CHECK_EQ_INT(disk_rows(), 1);
	CHECK_EQ_INT(db_reg_get(d, "ep2", &r2), DB_NOT_FOUND);
}

TEST(disable_and_close_flush)
{
	db *d = fx_open();
	CHECK(d);
	db_batch_enable(d, 1);
	db_registration r = mkreg("ep1", "id1");
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	db_batch_enable(d, 0);
	CHECK_EQ_INT(disk_rows(), 1);
	db_registration r2 = mkreg("ep2", "id2");
	CHECK_EQ_INT(db_reg_put(d, &r2), DB_OK);   /* off: commits at once */
	CHECK_EQ_INT(disk_rows(), 2);
	db_batch_enable(d, 1);
	CHECK_EQ_INT(db_reg_delete(d, "ep2"), DB_OK);
	CHECK_EQ_INT(disk_rows(), 2);
	d = fx_reopen();   /* db_close: a graceful stop */
	CHECK(d);
	CHECK_EQ_INT(disk_rows(), 1);
	CHECK_EQ_INT((int)db_batch_lost(d), 0);
}

TEST(batch_rolled_back_by_sqlite_is_counted_lost)
{
	db *d = fx_open();
	CHECK(d);
	db_batch_enable(d, 1);
	db_registration r = mkreg("ep1", "id1");
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	/* What SQLite does to the open transaction on SQLITE_FULL. */
	CHECK_EQ_INT(sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	db_registration r2 = mkreg("ep2", "id2");
	CHECK_EQ_INT(db_reg_put(d, &r2), DB_OK);    /* a new batch */
	CHECK_EQ_INT((int)db_batch_lost(d), 1);
	CHECK_EQ_INT((int)db_batch_pending(d), 1);
	CHECK_EQ_INT(db_batch_flush(d), DB_OK);
	CHECK_EQ_INT(disk_rows(), 1);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	CHECK_EQ_INT(sqlite3_exec(d->h, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	CHECK_EQ_INT(db_batch_flush(d), DB_ERROR);  /* reported, not hidden */
	CHECK_EQ_INT((int)db_batch_lost(d), 2);
	CHECK_EQ_INT(disk_rows(), 1);
}

UNIT_MAIN
