/*
 * fuzz_package_open.c: libFuzzer target for the nuSIM's side of a profile
 * package (pkg_open, DESIGN §6 step 5): the seven Object 507 strings as a
 * device receives them from the network. Built by `make fuzz`.
 *
 * Once, at start-up, a demo PKI and one nuSIM (fixed EID) are made in a
 * temporary directory (removed again at once) and one valid package is
 * built for it. Input:
 *   byte 0   bit i (0..6): resource i comes from the input, else from the
 *            valid package; bit 7: an input field overwrites the start of
 *            the valid string instead of replacing it, so lengths stay
 *            near the valid ones and the deeper checks are reached
 *   rest     the input fields, separated by 0x00 (as C strings end)
 * Every input also goes once through sym_cbc_m2_decrypt (fixed key) and the
 * codecs, so the unpadding and the base64/hex decoders see arbitrary bytes
 * (behind the MAC, pkg_open never lets them).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/cerr.h"
#include "crypto/codec.h"
#include "crypto/package.h"
#include "crypto/pki.h"
#include "crypto/profile.h"
#include "crypto/sym.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EID "89049032000001000000000000000001"

static pkg_sim *sim;
static pkg_507 good;

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(path);
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "fuzz_package_open: %s: %s\n", what, err);
	exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz_pkg_XXXXXX", err[256];
	pkg_dp *dp = NULL;
	uint8_t *cert = NULL, prof[PROFILE_MAX];
	size_t cert_len = 0, prof_len;
	struct profile p;
	(void)argc; (void)argv;

	if (!mkdtemp(dir))
		die("mkdtemp", "failed");
	if (pki_init(dir, err, sizeof err) ||
	    pki_device(dir, EID, NULL, NULL, 0, NULL, 0, err, sizeof err) ||
	    pki_load_dp(dir, &dp, err, sizeof err) ||
	    pki_load_sim(dir, EID, &sim, &cert, &cert_len, err, sizeof err))
		die("pki", err);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);

	memset(&p, 0, sizeof p);
	strcpy(p.iccid, "8949020000123456788");
	strcpy(p.imsi, "262011234567890");
	strcpy(p.carrier, "Fuzz");
	memset(p.ki, 0x11, 16);
	memset(p.opc, 0x22, 16);
	if (profile_encode(&p, prof, sizeof prof, &prof_len, err, sizeof err) ||
	    pkg_build(dp, cert, cert_len, EID, prof, prof_len, &good, err,
	              sizeof err))
		die("build", err);
	profile_clear(&p);
	free(cert);
	pkg_dp_free(dp);
	return 0;
}

/* Arbitrary bytes through the decoders and the unpadding. */
static void fuzz_codecs(const uint8_t *data, size_t size)
{
	static const uint8_t key[16] = { 1 }, iv[16] = { 2 };
	uint8_t out[4096];
	size_t n = size & ~(size_t)15, outlen;
	char err[128];
	char *s = malloc(size ? size : 1);

	if (n > sizeof out)
		n = sizeof out;
	if (n && sym_cbc_m2_decrypt(key, iv, data, n, out, &outlen, err,
	                            sizeof err) == CR_OK && outlen >= n)
		abort(); /* the padding is at least one byte */
	if (!s)
		return;
	memcpy(s, data, size);
	long got = crypto_b64_decode(s, size, out, sizeof out);
	if (got > (long)sizeof out)
		abort();
	if (got >= 0) {
		/* what decodes re-encodes to text that decodes to the same bytes
		 * (non-zero pad bits may make the text itself differ) */
		char *again = malloc(crypto_b64_len((size_t)got));
		uint8_t *back = malloc((size_t)got + 1);
		if (again && back) {
			crypto_b64_encode(out, (size_t)got, again);
			if (strlen(again) != size ||
			    crypto_b64_decode(again, size, back, (size_t)got) != got ||
			    memcmp(back, out, (size_t)got))
				abort();
		}
		free(again);
		free(back);
	}
	(void)crypto_hex_decode(s, size, out, size / 2 < sizeof out ? size / 2 : sizeof out);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *res[PKG_NRES] = { 0 }, err[256];
	const char *use[PKG_NRES];
	struct profile out;
	unsigned mask = size ? data[0] : 0;
	size_t pos = 1;

	fuzz_codecs(data, size);
	for (int i = 0; i < PKG_NRES; i++) {
		use[i] = good.res[i];
		if (!(mask & 1u << i))
			continue;
		size_t start = pos < size ? pos : size, end = start;
		while (end < size && data[end])
			end++;
		pos = end + 1;
		size_t flen = end - start, glen = strlen(good.res[i]);
		size_t len = (mask & 0x80) && glen > flen ? glen : flen;
		res[i] = malloc(len + 1);
		if (!res[i])
			goto out;
		if ((mask & 0x80) && glen > flen)
			memcpy(res[i], good.res[i], glen);
		memcpy(res[i], data + start, flen);
		res[i][len] = 0;
		use[i] = res[i];
	}
	int r = pkg_open(sim, use, &out, err, sizeof err);
	if (r < PKG_OK || r > PKG_BUSY || !memchr(err, 0, sizeof err))
		abort();
	if ((mask & 0x7f) == 0 && r != PKG_OK)
		abort(); /* the valid package must keep opening */
	profile_clear(&out);
out:
	for (int i = 0; i < PKG_NRES; i++)
		free(res[i]);
	return 0;
}
