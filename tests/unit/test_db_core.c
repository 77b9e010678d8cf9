/*
 * test_db_core.c: opening and migrating the database, the pragmas,
 * transactions, meta and API tokens, on a real file.
 */
#include <sqlite3.h>
#include <sys/stat.h>

#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"

/* Runs one statement on the fixture's file from a second connection. */
static int raw_exec(const char *sql)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open(fx_path, &h);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

static int raw_int(const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int v = -1;
	if (sqlite3_open(fx_path, &h) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return v;
}

TEST(migrates_new_file_to_latest)
{
	db *d = fx_open();
	CHECK(d);
	CHECK(db_schema_latest() >= 1);
	CHECK_EQ_INT(db_schema_version(d), db_schema_latest());
	CHECK_EQ_INT(raw_int("PRAGMA user_version"), db_schema_latest());
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM sqlite_master WHERE "
	                     "name = 'registrations'"), 1);
}

TEST(file_is_wal_and_private)
{
	CHECK(fx_open());
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_open(fx_path, &h) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL) == 0);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_EQ_STR((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(h);
	struct stat sb;
	CHECK(stat(fx_path, &sb) == 0);
	CHECK_EQ_INT(sb.st_mode & 077, 0);
}

TEST(reopen_is_a_noop)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(db_meta_set(d, "k", "v"), DB_OK);
	d = fx_reopen();
	CHECK(d);
	CHECK_EQ_INT(db_schema_version(d), db_schema_latest());
	char *v = NULL;
	CHECK_EQ_INT(db_meta_get(d, "k", &v), DB_OK);
	CHECK_EQ_STR(v, "v");
	free(v);
}

TEST(future_user_version_is_refused)
{
	CHECK(fx_open());
	db_close(fx_db);
	fx_db = NULL;
	char sql[64], err[256];
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
	         db_schema_latest() + 1);
	CHECK_EQ_INT(raw_exec(sql), SQLITE_OK);
	db *d = (db *)1;
	CHECK_EQ_INT(db_open(fx_path, &d, err, sizeof err), DB_ERROR);
	CHECK(d == NULL);
	CHECK(strstr(err, "newer than this build") != NULL);
}

TEST(open_fails_cleanly_on_garbage_file)
{
	CHECK(fx_open());
	db_close(fx_db);
	fx_db = NULL;
	FILE *f = fopen(fx_path, "w");
	CHECK(f);
	fputs("this is not an sqlite database, not at all, no........", f);
	fclose(f);
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", fx_path);
	unlink(wal);
	db *d = NULL;
	char err[256];
	CHECK_EQ_INT(db_open(fx_path, &d, err, sizeof err), DB_ERROR);
	CHECK(d == NULL);
	CHECK(err[0] != '\0');
}

TEST(meta_get_set)
{
	db *d = fx_open();
	CHECK(d);
	char *v = (char *)1;
	CHECK_EQ_INT(db_meta_get(d, "master_key_check", &v), DB_NOT_FOUND);
	CHECK(v == NULL);
	CHECK_EQ_INT(db_meta_set(d, "master_key_check", "abc"), DB_OK);
	CHECK_EQ_INT(db_meta_set(d, "master_key_check", "def"), DB_OK);
	CHECK_EQ_INT(db_meta_get(d, "master_key_check", &v), DB_OK);
	CHECK_EQ_STR(v, "def");
	free(v);
	CHECK_EQ_INT(db_meta_set(d, "", "x"), DB_ERROR);
}

TEST(transactions_nest_and_rollback_discards)
{
	db *d = fx_open();
	CHECK(d);
	char *v = NULL;
	/* Outer rollback discards everything, inner commit included. */
	CHECK_EQ_INT(db_begin(d), DB_OK);
	CHECK_EQ_INT(db_meta_set(d, "a", "1"), DB_OK);
	CHECK_EQ_INT(db_begin(d), DB_OK);
	CHECK_EQ_INT(db_meta_set(d, "b", "2"), DB_OK);
	CHECK_EQ_INT(db_commit(d), DB_OK);
	CHECK_EQ_INT(db_rollback(d), DB_OK);
	CHECK_EQ_INT(db_meta_get(d, "a", &v), DB_NOT_FOUND);
	CHECK_EQ_INT(db_meta_get(d, "b", &v), DB_NOT_FOUND);

	/* Inner rollback discards only the inner part. */
	CHECK_EQ_INT(db_begin(d), DB_OK);
	CHECK_EQ_INT(db_meta_set(d, "a", "1"), DB_OK);
	CHECK_EQ_INT(db_begin(d), DB_OK);
	CHECK_EQ_INT(db_meta_set(d, "b", "2"), DB_OK);
	CHECK_EQ_INT(db_rollback(d), DB_OK);
	/* Only the outermost commit makes it visible to others. */
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM meta"), 0);
	CHECK_EQ_INT(db_commit(d), DB_OK);
	CHECK_EQ_INT(raw_int("SELECT count(*) FROM meta"), 1);
	CHECK_EQ_INT(db_meta_get(d, "a", &v), DB_OK);
	free(v);
	CHECK_EQ_INT(db_meta_get(d, "b", &v), DB_NOT_FOUND);

	/* Unbalanced calls are errors, not crashes. */
	CHECK_EQ_INT(db_commit(d), DB_ERROR);
	CHECK_EQ_INT(db_rollback(d), DB_ERROR);
}

TEST(busy_when_another_process_holds_the_lock)
{
	db *d = fx_open();
	CHECK(d);
	sqlite3 *h = NULL;
	CHECK(sqlite3_open(fx_path, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) == 0);
	/* 5 s busy timeout: this waits, then reports BUSY. */
	db_rc r = db_meta_set(d, "k", "v");
	sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(h);
	CHECK_EQ_INT(r, DB_BUSY);
	CHECK_EQ_INT(db_meta_set(d, "k", "v"), DB_OK);
}

/* Every statement is reset after use: no read snapshot stays pinned, so a
 * TRUNCATE checkpoint from another connection empties the WAL. */
TEST(reads_do_not_pin_the_wal)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(db_device_put(d, "ep1", "id1", NULL, 0), DB_OK);
	CHECK_EQ_INT(db_device_put(d, "ep2", "id2", NULL, 0), DB_OK);
	db_device *list = NULL;
	size_t n = 0;
	CHECK_EQ_INT(db_device_list(d, NULL, 1, &list, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	db_device_list_free(list, n);
	db_device one;
	CHECK_EQ_INT(db_device_get(d, "ep2", &one), DB_OK);
	db_device_clear(&one);
	char *v = NULL;
	CHECK_EQ_INT(db_meta_get(d, "none", &v), DB_NOT_FOUND);

	sqlite3 *h = NULL;
	CHECK(sqlite3_open(fx_path, &h) == SQLITE_OK);
	sqlite3_busy_timeout(h, 100);
	CHECK(sqlite3_exec(h, "INSERT INTO meta VALUES ('x', zeroblob(50000))",
	                   NULL, NULL, NULL) == SQLITE_OK);
	int rc = sqlite3_wal_checkpoint_v2(h, NULL, SQLITE_CHECKPOINT_TRUNCATE,
	                                   NULL, NULL);
	sqlite3_close(h);
	CHECK_EQ_INT(rc, SQLITE_OK);
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", fx_path);
	struct stat sb;
	CHECK(stat(wal, &sb) == 0);
	CHECK_EQ_INT(sb.st_size, 0);
}

TEST(roles_by_name)
{
	CHECK_EQ_STR(db_role_name(DB_ROLE_VIEWER), "viewer");
	CHECK_EQ_STR(db_role_name(DB_ROLE_ADMIN), "admin");
	CHECK_EQ_INT(db_role_from_name("operator"), DB_ROLE_OPERATOR);
	CHECK_EQ_INT(db_role_from_name("root"), 0);
	CHECK_EQ_INT(db_role_from_name(NULL), 0);
}

TEST(tokens_lifecycle)
{
	db *d = fx_open();
	CHECK(d);
	uint8_t h1[32], h2[32];
	memset(h1, 0x11, sizeof h1);
	memset(h2, 0x22, sizeof h2);
	int64_t id1 = 0, id2 = 0;
	CHECK_EQ_INT(db_token_create(d, "ci", DB_ROLE_ADMIN, h1, &id1), DB_OK);
	CHECK_EQ_INT(db_token_create(d, "ops", DB_ROLE_OPERATOR, h2, &id2),
	             DB_OK);
	CHECK(id1 > 0 && id2 > id1);
	/* The same hash twice is a conflict. */
	CHECK_EQ_INT(db_token_create(d, "dup", DB_ROLE_VIEWER, h1, NULL),
	             DB_CONFLICT);
	CHECK_EQ_INT(db_token_create(d, "bad", 9, h1, NULL), DB_ERROR);

	db_token t;
	CHECK_EQ_INT(db_token_find(d, h2, &t), DB_OK);
	CHECK_EQ_INT(t.id, id2);
	CHECK_EQ_STR(t.name, "ops");
	CHECK_EQ_INT(t.role, DB_ROLE_OPERATOR);
	CHECK(t.created_at > 0);
	CHECK_EQ_INT(t.last_used_at, 0);
	CHECK_EQ_INT(db_token_touch(d, id2, 12345), DB_OK);
	CHECK_EQ_INT(db_token_find(d, h2, &t), DB_OK);
	CHECK_EQ_INT(t.last_used_at, 12345);

	db_token *list = NULL;
	size_t n = 0;
	CHECK_EQ_INT(db_token_list(d, &list, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(list[0].name, "ci");
	CHECK_EQ_STR(list[1].name, "ops");
	free(list);

	CHECK_EQ_INT(db_token_delete(d, id1), DB_OK);
	CHECK_EQ_INT(db_token_delete(d, id1), DB_NOT_FOUND);
	CHECK_EQ_INT(db_token_find(d, h1, &t), DB_NOT_FOUND);
	CHECK_EQ_INT(db_token_touch(d, id1, 1), DB_NOT_FOUND);
}

TEST(token_name_over_size_rejected)
{
	db *d = fx_open();
	CHECK(d);
	char name[80];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	uint8_t h[32] = { 1 };
	CHECK_EQ_INT(db_token_create(d, name, DB_ROLE_VIEWER, h, NULL),
	             DB_ERROR);
	CHECK(strstr(db_errmsg(d), "longer than 64") != NULL);
	name[64] = '\0';   /* exactly 64 fits */
	CHECK_EQ_INT(db_token_create(d, name, DB_ROLE_VIEWER, h, NULL), DB_OK);
	db_token t;
	CHECK_EQ_INT(db_token_find(d, h, &t), DB_OK);
	CHECK_EQ_INT(strlen(t.name), 64);
}

UNIT_MAIN
