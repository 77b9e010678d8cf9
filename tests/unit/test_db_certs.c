/*
 * test_db_certs.c: the imported nuSIM certificates (db/db_certs.h,
 * schema/005_certificates.sql): put, replace, get, delete, the bounds on
 * EID and size, and that they survive a reopen.
 */
#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"
#include "db/db_certs.h"

#define EID1 "89049032000000000000000000000163"
#define EID2 "89049032000000000000000000000260"

static const uint8_t der1[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
static const uint8_t der2[] = { 0x30, 0x03, 0x02, 0x01, 0x02, 0x00 };

TEST(put_get_replace_delete)
{
	db *d = fx_open();
	CHECK(d);
	int replaced = -1;
	CHECK_EQ_INT(db_cert_put(d, EID1, der1, sizeof der1, "alice", &replaced),
	             DB_OK);
	CHECK_EQ_INT(replaced, 0);
	db_cert c;
	CHECK_EQ_INT(db_cert_get(d, EID1, &c), DB_OK);
	CHECK_EQ_STR(c.eid, EID1);
	CHECK_EQ_MEM(c.der, der1, sizeof der1);
	CHECK_EQ_INT((int)c.der_len, (int)sizeof der1);
	CHECK_EQ_STR(c.imported_by, "alice");
	CHECK(c.created_at > 0);
	db_cert_clear(&c);
	CHECK_EQ_INT(db_cert_put(d, EID1, der2, sizeof der2, NULL, &replaced),
	             DB_OK);
	CHECK_EQ_INT(replaced, 1);
	CHECK_EQ_INT(db_cert_get(d, EID1, &c), DB_OK);
	CHECK_EQ_INT((int)c.der_len, (int)sizeof der2);
	CHECK_EQ_MEM(c.der, der2, sizeof der2);
	db_cert_clear(&c);
	CHECK_EQ_INT(db_cert_get(d, EID2, &c), DB_NOT_FOUND);
	CHECK(c.der == NULL);
	CHECK_EQ_INT(db_cert_delete(d, EID2), DB_NOT_FOUND);
	CHECK_EQ_INT(db_cert_delete(d, EID1), DB_OK);
	CHECK_EQ_INT(db_cert_get(d, EID1, &c), DB_NOT_FOUND);
}

TEST(bounds)
{
	db *d = fx_open();
	CHECK(d);
	static uint8_t big[DB_MAX_CERT_DER + 1];
	CHECK_EQ_INT(db_cert_put(d, "8904", der1, sizeof der1, NULL, NULL),
	             DB_ERROR);
	CHECK_EQ_INT(db_cert_put(d, EID1 "0", der1, sizeof der1, NULL, NULL),
	             DB_ERROR);
	CHECK_EQ_INT(db_cert_put(d, "8904903200000000000000000000016x", der1,
	                         sizeof der1, NULL, NULL), DB_ERROR);
	CHECK_EQ_INT(db_cert_put(d, EID1, der1, 0, NULL, NULL), DB_ERROR);
	CHECK_EQ_INT(db_cert_put(d, EID1, big, sizeof big, NULL, NULL), DB_ERROR);
	CHECK_EQ_INT(db_cert_put(d, EID1, big, sizeof big - 1, NULL, NULL), DB_OK);
	db_cert c;
	CHECK_EQ_INT(db_cert_get(d, NULL, &c), DB_NOT_FOUND);
	CHECK_EQ_INT(db_cert_get(d, "", &c), DB_NOT_FOUND);
}

TEST(survives_reopen)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(db_cert_put(d, EID2, der1, sizeof der1, "op", NULL), DB_OK);
	d = fx_reopen();
	CHECK(d);
	db_cert c;
	CHECK_EQ_INT(db_cert_get(d, EID2, &c), DB_OK);
	CHECK_EQ_MEM(c.der, der1, sizeof der1);
	db_cert_clear(&c);
}

UNIT_MAIN
