/*
 * seal.c: secrets at rest (seal.h, DESIGN §6). AES-256-GCM through EVP with
 * a fresh random 96-bit nonce per blob. The AAD is the version byte followed
 * by the caller's `aad` string, so neither can be changed without the tag
 * failing. The master key lives in mlock'ed memory, wiped when freed.
 */
#include "crypto/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/codec.h"

#define SEAL_VERSION 0x01
#define NONCE_LEN 12
#define TAG_LEN 16
#define KEY_LEN 32
#define KEY_ENV "NUSIMD_MASTER_KEY"
#define CHECK_LABEL "nusimd master key check v1"

struct seal_key {
	uint8_t key[KEY_LEN];
	int locked;
};

void seal_wipe_free(void *p, size_t n)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

int seal_key_from_bytes(const uint8_t key[32], seal_key **out)
{
	seal_key *k = malloc(sizeof *k);
	if (!k)
		return -1;
	memcpy(k->key, key, KEY_LEN);
	k->locked = 0;
	/* Best effort: keep the key out of swap; not fatal (RLIMIT_MEMLOCK). */
	if (mlock(k, sizeof *k) == 0)
		k->locked = 1;
	*out = k;
	return 0;
}

void seal_key_free(seal_key *k)
{
	if (!k)
		return;
	OPENSSL_cleanse(k->key, sizeof k->key);
	if (k->locked)
		munlock(k, sizeof *k);
	free(k);
}

/* Parses 64 hex digits, optionally followed by one "\n" or "\r\n". */
static int parse_key_text(const char *txt, size_t n, uint8_t key[KEY_LEN])
{
	if (n >= 1 && txt[n - 1] == '\n')
		n--;
	if (n >= 1 && txt[n - 1] == '\r')
		n--;
	return crypto_hex_decode(txt, n, key, KEY_LEN);
}

static int load_file(const char *path, uint8_t key[KEY_LEN], char *err,
                     size_t errlen)
{
	char buf[80];
	struct stat st;
	int rc = -1;
	ssize_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (err && errlen)
			snprintf(err, errlen, "master key file %s: %s", path,
			         strerror(errno));
		return -1;
	}
	/* fstat the opened file, not the name, so the checked file is the read one. */
	if (fstat(fd, &st) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "master key file %s: %s", path,
			         strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		if (err && errlen)
			snprintf(err, errlen, "master key file %s is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		if (err && errlen)
			snprintf(err, errlen, "master key file %s has mode %04o: it "
			         "must not be accessible by group or others "
			         "(chmod 600 %s)", path,
			         (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	while ((size_t)got < sizeof buf) {
		ssize_t r = read(fd, buf + got, sizeof buf - (size_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (err && errlen)
				snprintf(err, errlen, "master key file %s: %s", path,
				         strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += r;
	}
	if (parse_key_text(buf, (size_t)got, key) < 0) {
		if (err && errlen)
			snprintf(err, errlen,
			         "master key file %s: expected 64 hex digits and an "
			         "optional newline", path);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof buf);
	close(fd);
	return rc;
}

int seal_key_load(const char *path, seal_key **out, char *err, size_t errlen)
{
	uint8_t key[KEY_LEN];
	int rc;
	*out = NULL;
	if (path) {
		rc = load_file(path, key, err, errlen);
	} else {
		const char *env = getenv(KEY_ENV);
		if (!env || !*env) {
			if (err && errlen)
				snprintf(err, errlen, "no master key: no key file given "
				         "and " KEY_ENV " is not set");
			return -1;
		}
		rc = parse_key_text(env, strlen(env), key);
		if (rc < 0 && err && errlen)
			snprintf(err, errlen, KEY_ENV " must be 64 hex digits");
	}
	if (rc == 0 && seal_key_from_bytes(key, out) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "master key: out of memory");
		rc = -1;
	}
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

int seal_key_generate(const char *path, char *err, size_t errlen)
{
	uint8_t key[KEY_LEN];
	char txt[2 * KEY_LEN + 2];
	int rc = -1, fd = -1;
	if (RAND_priv_bytes(key, sizeof key) != 1) {
		if (err && errlen)
			snprintf(err, errlen, "master key: no randomness");
		return -1;
	}
	crypto_hex_encode(key, sizeof key, txt);
	txt[2 * KEY_LEN] = '\n';
	txt[2 * KEY_LEN + 1] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (err && errlen)
			snprintf(err, errlen, "master key file %s: %s%s", path,
			         strerror(errno),
			         errno == EEXIST ? " (refusing to overwrite)" : "");
		goto out;
	}
	/* umask may only remove bits, but be explicit about the final mode. */
	if (fchmod(fd, 0600) < 0 ||
	    write(fd, txt, 2 * KEY_LEN + 1) != 2 * KEY_LEN + 1 || fsync(fd) < 0) {
		if (err && errlen)
			snprintf(err, errlen, "master key file %s: %s", path,
			         strerror(errno));
		close(fd);
		fd = -1;
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		if (err && errlen)
			snprintf(err, errlen, "master key file %s: %s", path,
			         strerror(errno));
		unlink(path);
		rc = -1;
	}
	OPENSSL_cleanse(key, sizeof key);
	OPENSSL_cleanse(txt, sizeof txt);
	return rc;
}

void seal_key_check_value(const seal_key *k, char out[65])
{
	uint8_t mac[32];
	size_t maclen = 0;
	out[0] = '\0';
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, k->key, KEY_LEN,
	               (const unsigned char *)CHECK_LABEL, strlen(CHECK_LABEL),
	               mac, sizeof mac, &maclen) || maclen != sizeof mac)
		return;
	crypto_hex_encode(mac, sizeof mac, out);
}

/* Feeds the AAD: version byte, then the caller's string. */
static int put_aad(EVP_CIPHER_CTX *c, uint8_t ver, const char *aad)
{
	int l;
	if (EVP_CipherUpdate(c, NULL, &l, &ver, 1) != 1)
		return -1;
	if (aad && *aad &&
	    EVP_CipherUpdate(c, NULL, &l, (const uint8_t *)aad, (int)strlen(aad)) != 1)
		return -1;
	return 0;
}

int seal(const seal_key *k, const char *aad, const uint8_t *in, size_t n,
         uint8_t **out, size_t *outlen)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *buf = NULL;
	int l, rc = -1;
	*out = NULL;
	*outlen = 0;
	if (!k || (n && !in) || n > (size_t)0x7fffffff - SEAL_OVERHEAD)
		return -1;
	buf = malloc(n + SEAL_OVERHEAD);
	if (!buf)
		return -1;
	buf[0] = SEAL_VERSION;
	if (RAND_bytes(buf + 1, NONCE_LEN) != 1)
		goto out;
	c = EVP_CIPHER_CTX_new();
	if (!c || EVP_EncryptInit_ex2(c, EVP_aes_256_gcm(), k->key, buf + 1, NULL) != 1)
		goto out;
	if (put_aad(c, SEAL_VERSION, aad) < 0)
		goto out;
	if (n && EVP_EncryptUpdate(c, buf + 1 + NONCE_LEN, &l, in, (int)n) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(c, buf + 1 + NONCE_LEN + n, &l) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	                        buf + 1 + NONCE_LEN + n) != 1)
		goto out;
	*out = buf;
	*outlen = n + SEAL_OVERHEAD;
	buf = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	free(buf); /* holds no plaintext: only written on success paths */
	return rc;
}

int unseal(const seal_key *k, const char *aad, const uint8_t *in, size_t n,
           uint8_t **out, size_t *outlen)
{
	EVP_CIPHER_CTX *c = NULL;
	uint8_t *buf = NULL, tag[TAG_LEN];
	size_t pn;
	int l, rc = -1;
	*out = NULL;
	*outlen = 0;
	if (!k || !in || n < SEAL_OVERHEAD || n > 0x7fffffff || in[0] != SEAL_VERSION)
		return -1;
	pn = n - SEAL_OVERHEAD;
	memcpy(tag, in + n - TAG_LEN, TAG_LEN);
	buf = malloc(pn + 1); /* +1: never malloc(0) */
	if (!buf)
		return -1;
	c = EVP_CIPHER_CTX_new();
	if (!c || EVP_DecryptInit_ex2(c, EVP_aes_256_gcm(), k->key, in + 1, NULL) != 1)
		goto out;
	if (put_aad(c, in[0], aad) < 0)
		goto out;
	if (pn && EVP_DecryptUpdate(c, buf, &l, in + 1 + NONCE_LEN, (int)pn) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(c, buf + pn, &l) != 1)
		goto out; /* does not authenticate */
	*out = buf;
	*outlen = pn;
	buf = NULL;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	if (buf)
		seal_wipe_free(buf, pn + 1);
	return rc;
}
