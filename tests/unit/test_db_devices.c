/*
 * test_db_devices.c: device credentials: put/get/list/delete, one identity
 * one endpoint, pagination, bounds, and that the hot lookups use indexes.
 */
#include <sqlite3.h>

#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"

static const uint8_t sealed1[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t sealed2[] = { 9, 8, 7 };

TEST(device_put_get_replace_delete)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(db_device_put(d, "ep1", "id1", sealed1, sizeof sealed1),
	             DB_OK);
	db_device dev;
	CHECK_EQ_INT(db_device_get(d, "ep1", &dev), DB_OK);
	CHECK_EQ_STR(dev.endpoint, "ep1");
	CHECK_EQ_STR(dev.psk_identity, "id1");
	CHECK_EQ_INT(dev.psk_sealed_len, sizeof sealed1);
	CHECK_EQ_MEM(dev.psk_sealed, sealed1, sizeof sealed1);
	CHECK(dev.created_at > 0);
	db_device_clear(&dev);
	CHECK(dev.psk_sealed == NULL);

	/* Replace: new identity and key; the old identity is free again. */
	CHECK_EQ_INT(db_device_put(d, "ep1", "id1b", sealed2, sizeof sealed2),
	             DB_OK);
	CHECK_EQ_INT(db_device_by_identity(d, "id1", &dev), DB_NOT_FOUND);
	CHECK_EQ_INT(db_device_by_identity(d, "id1b", &dev), DB_OK);
	CHECK_EQ_STR(dev.endpoint, "ep1");
	CHECK_EQ_MEM(dev.psk_sealed, sealed2, sizeof sealed2);
	db_device_clear(&dev);

	CHECK_EQ_INT(db_device_delete(d, "ep1"), DB_OK);
	CHECK_EQ_INT(db_device_delete(d, "ep1"), DB_NOT_FOUND);
	CHECK_EQ_INT(db_device_get(d, "ep1", &dev), DB_NOT_FOUND);
}

TEST(identity_bound_to_another_endpoint_conflicts)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(db_device_put(d, "ep1", "shared", sealed1, sizeof sealed1),
	             DB_OK);
	CHECK_EQ_INT(db_device_put(d, "ep2", "shared", sealed2, sizeof sealed2),
	             DB_CONFLICT);
	CHECK(strstr(db_errmsg(d), "already bound") != NULL);
	/* Nothing was lost: ep1 keeps it, ep2 does not exist. */
	db_device dev;
	CHECK_EQ_INT(db_device_by_identity(d, "shared", &dev), DB_OK);
	CHECK_EQ_STR(dev.endpoint, "ep1");
	db_device_clear(&dev);
	CHECK_EQ_INT(db_device_get(d, "ep2", &dev), DB_NOT_FOUND);
}

TEST(nosec_devices_share_the_empty_identity)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(db_device_put(d, "ns1", "", NULL, 0), DB_OK);
	CHECK_EQ_INT(db_device_put(d, "ns2", NULL, NULL, 0), DB_OK);
	db_device dev;
	CHECK_EQ_INT(db_device_get(d, "ns2", &dev), DB_OK);
	CHECK_EQ_STR(dev.psk_identity, "");
	CHECK(dev.psk_sealed == NULL);
	CHECK_EQ_INT(dev.psk_sealed_len, 0);
	/* The empty identity never authenticates anybody. */
	CHECK_EQ_INT(db_device_by_identity(d, "", &dev), DB_ERROR);
	int64_t n = 0;
	CHECK_EQ_INT(db_device_count(d, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
}

TEST(device_pagination_by_after)
{
	db *d = fx_open();
	CHECK(d);
	char ep[16], id[16];
	CHECK_EQ_INT(db_begin(d), DB_OK);
	for (int i = 0; i < 25; i++) {
		snprintf(ep, sizeof ep, "ep%02d", i);
		snprintf(id, sizeof id, "id%02d", i);
		CHECK_EQ_INT(db_device_put(d, ep, id, sealed1, sizeof sealed1),
		             DB_OK);
	}
	CHECK_EQ_INT(db_commit(d), DB_OK);
	db_device *page = NULL;
	size_t n = 0, seen = 0;
	char after[DB_MAX_EP + 1] = "";
	for (int pages = 0; pages < 10; pages++) {
		CHECK_EQ_INT(db_device_list(d, after, 10, &page, &n), DB_OK);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			snprintf(ep, sizeof ep, "ep%02zu", seen + i);
			CHECK_EQ_STR(page[i].endpoint, ep);
			CHECK_EQ_INT(page[i].psk_sealed_len, sizeof sealed1);
		}
		seen += n;
		snprintf(after, sizeof after, "%s", page[n - 1].endpoint);
		db_device_list_free(page, n);
	}
	CHECK_EQ_INT(seen, 25);
	CHECK_EQ_INT(db_device_list(d, NULL, 3, &page, &n), DB_OK);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(page[0].endpoint, "ep00");
	db_device_list_free(page, n);
	CHECK_EQ_INT(db_device_list(d, NULL, 0, &page, &n), DB_ERROR);
}

TEST(device_strings_over_size_rejected)
{
	db *d = fx_open();
	CHECK(d);
	char ep[DB_MAX_EP + 2], id[DB_MAX_IDENTITY + 2];
	memset(ep, 'e', sizeof ep - 1);
	ep[sizeof ep - 1] = '\0';
	memset(id, 'i', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	CHECK_EQ_INT(db_device_put(d, ep, "x", NULL, 0), DB_ERROR);
	CHECK(strstr(db_errmsg(d), "endpoint") != NULL);
	CHECK_EQ_INT(db_device_put(d, "ep", id, NULL, 0), DB_ERROR);
	CHECK(strstr(db_errmsg(d), "identity") != NULL);
	CHECK_EQ_INT(db_device_put(d, "", "x", NULL, 0), DB_ERROR);
	/* The largest sizes that fit are kept whole. */
	ep[DB_MAX_EP] = '\0';
	id[DB_MAX_IDENTITY] = '\0';
	CHECK_EQ_INT(db_device_put(d, ep, id, NULL, 0), DB_OK);
	db_device dev;
	CHECK_EQ_INT(db_device_by_identity(d, id, &dev), DB_OK);
	CHECK_EQ_INT(strlen(dev.endpoint), DB_MAX_EP);
	CHECK_EQ_INT(strlen(dev.psk_identity), DB_MAX_IDENTITY);
	db_device_clear(&dev);
	int64_t n = -1;
	CHECK_EQ_INT(db_device_count(d, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	/* Looking up something too long to be stored finds nothing. */
	ep[DB_MAX_EP] = 'e';
	id[DB_MAX_IDENTITY] = 'i';
	CHECK_EQ_INT(db_device_get(d, ep, &dev), DB_NOT_FOUND);
	CHECK_EQ_INT(db_device_by_identity(d, id, &dev), DB_NOT_FOUND);
	CHECK_EQ_INT(db_device_delete(d, ep), DB_NOT_FOUND);
	/* A long cursor is only compared: an empty page. */
	db_device *page = NULL;
	size_t len = 9;
	CHECK_EQ_INT(db_device_list(d, ep, 10, &page, &len), DB_OK);
	CHECK_EQ_INT(len, 0);
}

TEST(stored_value_too_long_is_an_error_not_a_cut)
{
	db *d = fx_open();
	CHECK(d);
	/* A row written by another tool with an over-long endpoint. */
	sqlite3 *h = NULL;
	CHECK(sqlite3_open(fx_path, &h) == SQLITE_OK);
	char sql[512];
	snprintf(sql, sizeof sql, "INSERT INTO devices VALUES "
	         "('short', printf('%%.300c', 'x'), NULL, 1, 1)");
	CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	db_device dev;
	CHECK_EQ_INT(db_device_get(d, "short", &dev), DB_ERROR);
	CHECK(strstr(db_errmsg(d), "does not fit") != NULL);
}

/* Every hot query must use an index, never a full scan (a million rows). */
TEST(hot_queries_use_indexes)
{
	CHECK(fx_open());
	static const char *const hot[] = {
		"SELECT * FROM devices WHERE psk_identity = ?1 "
		"AND psk_identity <> ''",
		"SELECT * FROM devices WHERE endpoint = ?1",
		"SELECT * FROM devices WHERE endpoint > ?1 ORDER BY endpoint "
		"LIMIT 10",
		"SELECT * FROM registrations WHERE reg_id = ?1",
		"UPDATE registrations SET addr = ?3 WHERE reg_id = ?1 AND "
		"(?2 = '' OR endpoint = ?2)",
		"SELECT endpoint FROM registrations WHERE expires_at <= ?1 "
		"ORDER BY expires_at LIMIT ?2",
		"SELECT * FROM registrations WHERE endpoint > ?1 "
		"ORDER BY endpoint LIMIT 10",
		"SELECT * FROM requests WHERE endpoint = ?1 AND state = 0 "
		"ORDER BY id LIMIT ?2",
		"UPDATE requests SET state = 4 WHERE state = 0 AND "
		"expires_at > 0 AND expires_at <= ?1",
		"UPDATE requests SET state = 0, sent_at = 0 WHERE state = 1",
		"SELECT count(*) FROM requests WHERE state = ?1",
		"SELECT * FROM observations WHERE token = ?1",
		"SELECT * FROM observations WHERE endpoint = ?1 ORDER BY id",
		"SELECT * FROM tokens WHERE hash = ?1",
	};
	sqlite3 *h = NULL;
	CHECK(sqlite3_open(fx_path, &h) == SQLITE_OK);
	for (size_t i = 0; i < sizeof hot / sizeof *hot; i++) {
		char sql[512];
		sqlite3_stmt *st = NULL;
		snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", hot[i]);
		if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
			sqlite3_close(h);
			UNIT_FAIL("prepare %s", hot[i]);
		}
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *detail =
				(const char *)sqlite3_column_text(st, 3);
			if (detail && !strncmp(detail, "SCAN", 4)) {
				char what[256];
				snprintf(what, sizeof what, "%s", detail);
				sqlite3_finalize(st);
				sqlite3_close(h);
				UNIT_FAIL("full scan: %s: %s", hot[i], what);
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
}

UNIT_MAIN
