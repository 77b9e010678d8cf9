/*
 * test_crypto_seal.c: secrets at rest (crypto/seal.h): AES-256-GCM round
 * trip and every way a blob must fail to open; key file and environment
 * loading, including refused modes and malformed keys.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/seal.h"
#include "tests/unit/tmpdir_fixture.h"
#include "tests/unit/unit.h"

static const uint8_t K1[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                                26, 27, 28, 29, 30, 31, 32 };
static const uint8_t K2[32] = { 32, 31 };
static const char MSG[] = "PSK 000102030405060708090a0b0c0d0e0f";

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
	static char p[128];
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/test_seal_XXXXXX");
		if (!mkdtemp(tmpdir))
			abort();
		remove_at_exit(tmpdir);
	}
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static int write_file(const char *path, const char *txt, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, txt, strlen(txt));
	fchmod(fd, mode);
	close(fd);
	return n == (ssize_t)strlen(txt) ? 0 : -1;
}

/* Seals MSG under K1 with aad "psk:ep1". */
static int make_blob(uint8_t **blob, size_t *n)
{
	seal_key *k;
	if (seal_key_from_bytes(K1, &k))
		return -1;
	int rc = seal(k, "psk:ep1", (const uint8_t *)MSG, sizeof MSG, blob, n);
	seal_key_free(k);
	return rc;
}

static int try_open(const uint8_t key[32], const char *aad, const uint8_t *b,
                    size_t n)
{
	seal_key *k;
	uint8_t *pt;
	size_t pn;
	if (seal_key_from_bytes(key, &k))
		return -2;
	int rc = unseal(k, aad, b, n, &pt, &pn);
	if (rc == 0) {
		if (pn != sizeof MSG || memcmp(pt, MSG, pn))
			rc = -3;
		seal_wipe_free(pt, pn);
	}
	seal_key_free(k);
	return rc;
}

TEST(seal_round_trip)
{
	uint8_t *b;
	size_t n;
	CHECK_EQ_INT(make_blob(&b, &n), 0);
	CHECK_EQ_INT(n, sizeof MSG + SEAL_OVERHEAD);
	CHECK_EQ_INT(b[0], 1);
	CHECK(memmem(b, n, "PSK", 3) == NULL);
	CHECK_EQ_INT(try_open(K1, "psk:ep1", b, n), 0);
	free(b);
}

TEST(seal_nonce_fresh)
{
	uint8_t *a, *b;
	size_t na, nb;
	CHECK_EQ_INT(make_blob(&a, &na), 0);
	CHECK_EQ_INT(make_blob(&b, &nb), 0);
	CHECK(memcmp(a, b, na) != 0);
	free(a);
	free(b);
}

TEST(seal_empty_plaintext)
{
	seal_key *k;
	uint8_t *b, *pt;
	size_t n, pn = 99;
	CHECK_EQ_INT(seal_key_from_bytes(K1, &k), 0);
	CHECK_EQ_INT(seal(k, "", NULL, 0, &b, &n), 0);
	CHECK_EQ_INT(n, SEAL_OVERHEAD);
	CHECK_EQ_INT(unseal(k, NULL, b, n, &pt, &pn), 0);
	CHECK_EQ_INT(pn, 0);
	seal_wipe_free(pt, 0);
	free(b);
	seal_key_free(k);
}

TEST(seal_wrong_key_fails)
{
	uint8_t *b;
	size_t n;
	CHECK_EQ_INT(make_blob(&b, &n), 0);
	CHECK_EQ_INT(try_open(K2, "psk:ep1", b, n), -1);
	free(b);
}

TEST(seal_wrong_aad_fails)
{
	uint8_t *b;
	size_t n;
	CHECK_EQ_INT(make_blob(&b, &n), 0);
	CHECK_EQ_INT(try_open(K1, "psk:ep2", b, n), -1);
	CHECK_EQ_INT(try_open(K1, NULL, b, n), -1);
	free(b);
}

TEST(seal_tampered_byte_fails)
{
	uint8_t *b;
	size_t n;
	CHECK_EQ_INT(make_blob(&b, &n), 0);
	for (size_t i = 0; i < n; i++) {
		b[i] ^= 0x01;
		CHECK_EQ_INT(try_open(K1, "psk:ep1", b, n), -1);
		b[i] ^= 0x01;
	}
	CHECK_EQ_INT(try_open(K1, "psk:ep1", b, n), 0);
	free(b);
}

TEST(seal_truncated_fails)
{
	uint8_t *b;
	size_t n;
	CHECK_EQ_INT(make_blob(&b, &n), 0);
	for (size_t l = 0; l < n; l++)
		CHECK_EQ_INT(try_open(K1, "psk:ep1", b, l), -1);
	free(b);
}

static const char HEX1[] =
	"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

TEST(seal_key_file_loads)
{
	char txt[80], err[256];
	seal_key *k = NULL, *k1;
	char cv[65], cv1[65];
	snprintf(txt, sizeof txt, "%s\n", HEX1);
	CHECK_EQ_INT(write_file(tmp_path("k1"), txt, 0600), 0);
	CHECK_EQ_INT(seal_key_load(tmp_path("k1"), &k, err, sizeof err), 0);
	CHECK_EQ_INT(seal_key_from_bytes(K1, &k1), 0);
	seal_key_check_value(k, cv);
	seal_key_check_value(k1, cv1);
	CHECK_EQ_INT(strlen(cv), 64);
	CHECK_EQ_STR(cv, cv1);
	CHECK(strstr(cv, "0102030405") == NULL);
	seal_key_free(k);
	seal_key_free(k1);
	/* Upper case, no newline, also fine. */
	CHECK_EQ_INT(write_file(tmp_path("k2"),
	             "0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20",
	             0400), 0);
	CHECK_EQ_INT(seal_key_load(tmp_path("k2"), &k, err, sizeof err), 0);
	seal_key_free(k);
}

TEST(seal_check_value_differs)
{
	seal_key *a, *b;
	char ca[65], cb[65];
	CHECK_EQ_INT(seal_key_from_bytes(K1, &a), 0);
	CHECK_EQ_INT(seal_key_from_bytes(K2, &b), 0);
	seal_key_check_value(a, ca);
	seal_key_check_value(b, cb);
	CHECK(strcmp(ca, cb) != 0);
	seal_key_free(a);
	seal_key_free(b);
}

TEST(seal_key_file_mode_0644_refused)
{
	char txt[80], err[256] = "";
	seal_key *k = (seal_key *)1;
	snprintf(txt, sizeof txt, "%s\n", HEX1);
	CHECK_EQ_INT(write_file(tmp_path("k644"), txt, 0644), 0);
	CHECK_EQ_INT(seal_key_load(tmp_path("k644"), &k, err, sizeof err), -1);
	CHECK(k == NULL);
	CHECK(strstr(err, tmp_path("k644")) != NULL);
	CHECK(strstr(err, "0644") != NULL);
	CHECK(strstr(err, "0102") == NULL);
	CHECK_EQ_INT(write_file(tmp_path("k640"), txt, 0640), 0);
	CHECK_EQ_INT(seal_key_load(tmp_path("k640"), &k, err, sizeof err), -1);
	CHECK(strstr(err, "0640") != NULL);
}

TEST(seal_bad_hex_refused)
{
	static const char *bad[] = {
		"",
		"\n",
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021",
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fzz",
		"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n\n",
		" 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
	};
	char err[256];
	seal_key *k;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK_EQ_INT(write_file(tmp_path("kbad"), bad[i], 0600), 0);
		err[0] = '\0';
		CHECK_EQ_INT(seal_key_load(tmp_path("kbad"), &k, err, sizeof err), -1);
		CHECK(strstr(err, "64 hex digits") != NULL);
	}
	CHECK_EQ_INT(seal_key_load(tmp_path("missing"), &k, err, sizeof err), -1);
	CHECK(strstr(err, "missing") != NULL);
}

TEST(seal_key_from_env)
{
	char err[256];
	seal_key *k;
	setenv("NUSIMD_MASTER_KEY", HEX1, 1);
	CHECK_EQ_INT(seal_key_load(NULL, &k, err, sizeof err), 0);
	seal_key_free(k);
	setenv("NUSIMD_MASTER_KEY", "abcd", 1);
	CHECK_EQ_INT(seal_key_load(NULL, &k, err, sizeof err), -1);
	CHECK(strstr(err, "NUSIMD_MASTER_KEY") != NULL);
	unsetenv("NUSIMD_MASTER_KEY");
	CHECK_EQ_INT(seal_key_load(NULL, &k, err, sizeof err), -1);
	CHECK(strstr(err, "NUSIMD_MASTER_KEY") != NULL);
}

TEST(seal_generate_0600_no_overwrite)
{
	char err[256];
	struct stat st;
	seal_key *k;
	uint8_t *b, *pt;
	size_t n, pn;
	const char *p = tmp_path("gen");
	unlink(p);
	mode_t old = umask(0);
	int rc = seal_key_generate(p, err, sizeof err);
	umask(old);
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(stat(p, &st), 0);
	CHECK_EQ_INT(st.st_mode & 07777, 0600);
	CHECK_EQ_INT(st.st_size, 65);
	CHECK_EQ_INT(seal_key_load(p, &k, err, sizeof err), 0);
	CHECK_EQ_INT(seal(k, "x", (const uint8_t *)"abc", 3, &b, &n), 0);
	CHECK_EQ_INT(unseal(k, "x", b, n, &pt, &pn), 0);
	CHECK_EQ_MEM(pt, "abc", 3);
	seal_wipe_free(pt, pn);
	free(b);
	seal_key_free(k);
	CHECK_EQ_INT(seal_key_generate(p, err, sizeof err), -1);
	CHECK(strstr(err, "overwrite") != NULL);
	CHECK_EQ_INT(stat(p, &st), 0);
	CHECK_EQ_INT(st.st_size, 65);
}

UNIT_MAIN
