/*
 * test_server_provision.c: device credentials: validation, the identity
 * bound to one endpoint, the key stored only sealed (aad "psk:<ep>").
 */
#include "tests/unit/unit.h"
#include "server/provision.h"

#include <unistd.h>

static db *open_tmp(char *dir, size_t n)
{
	char path[128], err[256];
	db *d = NULL;
	snprintf(dir, n, "/tmp/nusimd-prov-XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	snprintf(path, sizeof path, "%s/t.db", dir);
	return db_open(path, &d, err, sizeof err) == DB_OK ? d : NULL;
}

static void rm_tmp(const char *dir)
{
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
}

TEST(psk_device_is_sealed_and_bound)
{
	char dir[64], err[128];
	uint8_t kb[32] = { 9 }, *plain = NULL;
	size_t plen = 0;
	seal_key *k;
	db_device dev;
	db *d = open_tmp(dir, sizeof dir);
	CHECK(d);
	CHECK_EQ_INT(seal_key_from_bytes(kb, &k), 0);
	CHECK_EQ_INT(provision_device(d, k, "ep1", "id1", "00A1ff", err,
	                              sizeof err), PROVISION_OK);
	CHECK_EQ_INT(db_device_by_identity(d, "id1", &dev), DB_OK);
	CHECK_EQ_STR(dev.endpoint, "ep1");
	CHECK(dev.psk_sealed_len == 3 + SEAL_OVERHEAD);
	CHECK(memmem(dev.psk_sealed, dev.psk_sealed_len, "\x00\xa1\xff", 3) == NULL);
	CHECK_EQ_INT(unseal(k, "psk:ep1", dev.psk_sealed, dev.psk_sealed_len,
	                    &plain, &plen), 0);
	CHECK_EQ_INT(plen, 3);
	CHECK_EQ_MEM(plain, "\x00\xa1\xff", 3);
	seal_wipe_free(plain, plen);
	CHECK(unseal(k, "psk:other", dev.psk_sealed, dev.psk_sealed_len, &plain,
	             &plen) < 0);
	db_device_clear(&dev);
	/* The identity stays with ep1. */
	CHECK_EQ_INT(provision_device(d, k, "ep2", "id1", "0011", err, sizeof err),
	             PROVISION_CONFLICT);
	/* NoSec device: no identity, no key. */
	CHECK_EQ_INT(provision_device(d, k, "ep3", NULL, NULL, err, sizeof err),
	             PROVISION_OK);
	CHECK_EQ_INT(db_device_get(d, "ep3", &dev), DB_OK);
	CHECK_EQ_STR(dev.psk_identity, "");
	CHECK(dev.psk_sealed == NULL);
	db_device_clear(&dev);
	seal_key_free(k);
	db_close(d);
	rm_tmp(dir);
}

TEST(bad_credentials_are_refused)
{
	char dir[64], err[128], longep[140], longkey[140];
	uint8_t kb[32] = { 9 };
	seal_key *k;
	int64_t n = -1;
	db *d = open_tmp(dir, sizeof dir);
	CHECK(d);
	CHECK_EQ_INT(seal_key_from_bytes(kb, &k), 0);
	memset(longep, 'e', 129);
	longep[129] = 0;
	memset(longkey, 'a', 130);
	longkey[130] = 0;
	CHECK_EQ_INT(provision_device(d, k, "", "i", "00", err, sizeof err),
	             PROVISION_INVALID);
	CHECK_EQ_INT(provision_device(d, k, longep, "i", "00", err, sizeof err),
	             PROVISION_INVALID);
	CHECK_EQ_INT(provision_device(d, k, "a\nb", "i", "00", err, sizeof err),
	             PROVISION_INVALID);
	CHECK_EQ_INT(provision_device(d, k, "e", "", "00", err, sizeof err),
	             PROVISION_INVALID);
	CHECK_EQ_INT(provision_device(d, k, "e", "i", "0", err, sizeof err),
	             PROVISION_INVALID);
	CHECK_EQ_INT(provision_device(d, k, "e", "i", "zz", err, sizeof err),
	             PROVISION_INVALID);
	CHECK(strstr(err, "hex") != NULL);
	CHECK_EQ_INT(provision_device(d, k, "e", "i", longkey, err, sizeof err),
	             PROVISION_INVALID);
	CHECK_EQ_INT(provision_device(d, k, "e", "i", NULL, err, sizeof err),
	             PROVISION_INVALID);
	CHECK_EQ_INT(db_device_count(d, &n), DB_OK);
	CHECK_EQ_INT(n, 0);
	seal_key_free(k);
	db_close(d);
	rm_tmp(dir);
}

UNIT_MAIN
