/*
 * test_crypto_package.c: nuSIM profile packages end to end on a demo PKI
 * made in a temporary directory: round trips on brainpoolP256r1 and P-256,
 * a package built by hand from the primitives (so the scheme of
 * docs/profile-package.md is checked independently of package.c), every
 * failure of pkg_open with its own result code, the certificate checks,
 * and concurrent builds with one shared handle. The server's path (a
 * nuSIM handle checked once, pkg_build_for) has its own round trips and
 * refuses every bad certificate exactly as pkg_cert_check does.
 */
#include <pthread.h>
#include <time.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/pem.h>

#include "crypto/cerr.h"
#include "crypto/codec.h"
#include "crypto/eck.h"
#include "crypto/package.h"
#include "crypto/pki.h"
#include "crypto/sym.h"
#include "tests/unit/tmpdir_fixture.h"
#include "tests/unit/unit.h"

#define EID1 "89049032000001000000000000000001"
#define EID2 "89049032000001000000000000000002"
#define EID3 "89049032000001000000000000000003"

static char dir[64], dir_other[64];
static pkg_dp *dp;
static pkg_sim *sim1, *sim2;
static uint8_t *cert1, *cert2, *cert_other;
static size_t cert1_len, cert2_len, cert_other_len;
static uint8_t prof[PROFILE_MAX];
static size_t prof_len;

static void make_profile(void)
{
	struct profile p;
	memset(&p, 0, sizeof p);
	strcpy(p.iccid, "8949020000123456788");
	strcpy(p.imsi, "262011234567890");
	strcpy(p.carrier, "Telekom");
	memset(p.ki, 0x11, 16);
	memset(p.opc, 0x22, 16);
	profile_add_extra(&p, 0x30, (const uint8_t *)"internet", 8, NULL, 0);
	if (profile_encode(&p, prof, sizeof prof, &prof_len, NULL, 0))
		abort();
	profile_clear(&p);
}

/* Once: two PKIs, three devices (EID2 on P-256), the handles. */
static int setup(void)
{
	char err[256];
	if (dp)
		return 0;
	snprintf(dir, sizeof dir, "/tmp/test_pkg_XXXXXX");
	snprintf(dir_other, sizeof dir_other, "/tmp/test_pkg_o_XXXXXX");
	if (!mkdtemp(dir) || !mkdtemp(dir_other))
		return -1;
	remove_at_exit(dir);
	remove_at_exit(dir_other);
	if (pki_init(dir, err, sizeof err) || pki_init(dir_other, err, sizeof err) ||
	    pki_device(dir, EID1, NULL, NULL, 0, NULL, 0, err, sizeof err) ||
	    pki_device(dir, EID2, "prime256v1", NULL, 0, NULL, 0, err, sizeof err) ||
	    pki_device(dir_other, EID1, NULL, NULL, 0, NULL, 0, err, sizeof err) ||
	    pki_load_dp(dir, &dp, err, sizeof err) ||
	    pki_load_sim(dir, EID1, &sim1, &cert1, &cert1_len, err, sizeof err) ||
	    pki_load_sim(dir, EID2, &sim2, &cert2, &cert2_len, err, sizeof err)) {
		printf("setup: %s\n", err);
		return -1;
	}
	pkg_sim *tmp;
	if (pki_load_sim(dir_other, EID1, &tmp, &cert_other, &cert_other_len, err,
	                 sizeof err))
		return -1;
	pkg_sim_free(tmp);
	make_profile();
	return 0;
}

static const char *const *res_of(const pkg_507 *p)
{
	return (const char *const *)p->res;
}

static int build_open(const pkg_sim *s, const uint8_t *cert, size_t cl,
                      const char *eid, struct profile *out)
{
	pkg_507 p;
	char err[256];
	int rc = pkg_build(dp, cert, cl, eid, prof, prof_len, &p, err, sizeof err);
	if (rc)
		return -100 - rc;
	rc = pkg_open(s, res_of(&p), out, err, sizeof err);
	pkg_507_free(&p);
	return rc;
}

TEST(package_round_trip_brainpool)
{
	struct profile out;
	pkg_507 p;
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &p, err,
	                       sizeof err), CR_OK);
	CHECK_EQ_INT(strlen(p.res[PKG_RES_MAC]), 32);
	for (const char *c = p.res[PKG_RES_MAC]; *c; c++)
		CHECK((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'));
	for (int i = PKG_RES_EKPUBDP; i < PKG_NRES; i++)
		CHECK_EQ_INT(strlen(p.res[i]), 88);
	CHECK_EQ_INT(strlen(p.res[PKG_RES_ENCP]), crypto_b64_len(sym_cbc_m2_len(prof_len)) - 1);
	CHECK_EQ_INT(pkg_open(sim1, res_of(&p), &out, err, sizeof err), PKG_OK);
	CHECK_EQ_STR(out.iccid, "8949020000123456788");
	CHECK_EQ_STR(out.carrier, "Telekom");
	CHECK_EQ_INT(out.ki[5], 0x11);
	CHECK_EQ_INT(out.extra_len, 10);
	/* mac is read in either case. */
	for (char *c = p.res[PKG_RES_MAC]; *c; c++)
		if (*c >= 'a')
			*c = (char)(*c - 32);
	CHECK_EQ_INT(pkg_open(sim1, res_of(&p), &out, err, sizeof err), PKG_OK);
	profile_clear(&out);
	pkg_507_free(&p);
}

TEST(package_round_trip_p256)
{
	struct profile out;
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(build_open(sim2, cert2, cert2_len, EID2, &out), PKG_OK);
	CHECK_EQ_STR(out.imsi, "262011234567890");
	profile_clear(&out);
	/* A P-256 package does not open on the brainpool nuSIM. */
	pkg_507 p;
	char err[256];
	CHECK_EQ_INT(pkg_build(dp, cert2, cert2_len, EID2, prof, prof_len, &p, err,
	                       sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_open(sim1, res_of(&p), &out, err, sizeof err),
	             PKG_DOES_NOT_PARSE);
	CHECK(strstr(err, "eKpubDP") != NULL);
	pkg_507_free(&p);
}

TEST(package_fresh_ephemeral_each_time)
{
	pkg_507 a, b;
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &a, err,
	                       sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &b, err,
	                       sizeof err), CR_OK);
	CHECK(strcmp(a.res[PKG_RES_EKPUBDP], b.res[PKG_RES_EKPUBDP]) != 0);
	CHECK(strcmp(a.res[PKG_RES_ENCP], b.res[PKG_RES_ENCP]) != 0);
	CHECK_EQ_STR(a.res[PKG_RES_KPUBDP], b.res[PKG_RES_KPUBDP]);
	CHECK_EQ_STR(a.res[PKG_RES_KPUBCI], b.res[PKG_RES_KPUBCI]);
	pkg_507_free(&a);
	pkg_507_free(&b);
}

/* Builds a package, lets `patch` change resource r, opens it. */
static int open_patched(int r, void (*patch)(char *s), char *err, size_t errlen)
{
	pkg_507 p;
	struct profile out;
	if (pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &p, err, errlen))
		return -1;
	patch(p.res[r]);
	int rc = pkg_open(sim1, res_of(&p), &out, err, errlen);
	pkg_507_free(&p);
	return rc;
}

/* Changes one base64 character in the middle (a real bit change). */
static void flip_b64(char *s)
{
	size_t i = strlen(s) / 2;
	s[i] = s[i] == 'A' ? 'B' : 'A';
}

static void flip_hex(char *s)
{
	s[3] = s[3] == '0' ? '1' : '0';
}

static void chop_one(char *s)
{
	s[strlen(s) - 1] = '\0';
}

/* Drops the last 16-byte block: valid base64, whole blocks, no MAC. */
static void chop_block(char *s)
{
	uint8_t raw[4000];
	long n = crypto_b64_decode(s, strlen(s), raw, sizeof raw);
	if (n > 16)
		crypto_b64_encode(raw, (size_t)n - 16, s);
}

static void empty(char *s)
{
	s[0] = '\0';
}

TEST(open_bad_sig_kpubdp_is_3)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(open_patched(PKG_RES_SIGKPUBDP, flip_b64, err, sizeof err),
	             PKG_SIGKPUBDP_INVALID);
	CHECK(strstr(err, "SigKpubDP") != NULL);
	/* A changed KpubDP no longer matches its signature either. */
	CHECK_EQ_INT(open_patched(PKG_RES_KPUBDP, flip_b64, err, sizeof err),
	             PKG_SIGKPUBDP_INVALID);
}

TEST(open_bad_sig_ekpubdp_is_4)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(open_patched(PKG_RES_SIGEKPUBDP, flip_b64, err, sizeof err),
	             PKG_SIGEKPUBDP_INVALID);
	CHECK(strstr(err, "SigEKpubDP") != NULL);
	CHECK_EQ_INT(open_patched(PKG_RES_EKPUBDP, flip_b64, err, sizeof err),
	             PKG_SIGEKPUBDP_INVALID);
}

TEST(open_bad_mac_is_5)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(open_patched(PKG_RES_MAC, flip_hex, err, sizeof err),
	             PKG_MAC_FAILED);
	CHECK(strstr(err, "MAC") != NULL);
	/* The MAC covers encP: any change in it is caught before decryption. */
	CHECK_EQ_INT(open_patched(PKG_RES_ENCP, flip_b64, err, sizeof err),
	             PKG_MAC_FAILED);
	CHECK_EQ_INT(open_patched(PKG_RES_ENCP, chop_block, err, sizeof err),
	             PKG_MAC_FAILED);
}

TEST(open_wrong_eid_is_mac_failure)
{
	/* Same key, other EID: the EID is in the SharedInfo. */
	char err[256], *key = NULL, *ci = NULL;
	size_t kl, cl;
	char path[200];
	pkg_sim *s;
	pkg_507 p;
	struct profile out;
	CHECK_EQ_INT(setup(), 0);
	snprintf(path, sizeof path, "%s/devices/%s.key.pem", dir, EID1);
	CHECK_EQ_INT(pki_read_file(path, 65536, &key, &kl, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/ci.pub.pem", dir);
	CHECK_EQ_INT(pki_read_file(path, 65536, &ci, &cl, err, sizeof err), 0);
	CHECK_EQ_INT(pkg_sim_from_pem(key, kl, ci, cl, EID3, &s, err, sizeof err), 0);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &p, err,
	                       sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_open(s, res_of(&p), &out, err, sizeof err), PKG_MAC_FAILED);
	pkg_507_free(&p);
	pkg_sim_free(s);
	free(key);
	free(ci);
}

TEST(open_wrong_ci_is_2)
{
	char err[256];
	pkg_sim *other;
	pkg_507 p;
	struct profile out;
	CHECK_EQ_INT(setup(), 0);
	/* The nuSIM of the other PKI trusts another CI. */
	CHECK_EQ_INT(pki_load_sim(dir_other, EID1, &other, NULL, NULL, err,
	                          sizeof err), 0);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &p, err,
	                       sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_open(other, res_of(&p), &out, err, sizeof err),
	             PKG_KPUBCI_UNTRUSTED);
	CHECK(strstr(err, "KpubCI") != NULL);
	pkg_sim_free(other);
	pkg_507_free(&p);
	char err2[256];
	CHECK_EQ_INT(open_patched(PKG_RES_KPUBCI, flip_b64, err2, sizeof err2),
	             PKG_KPUBCI_UNTRUSTED);
	CHECK_EQ_INT(open_patched(PKG_RES_KPUBCI, chop_one, err2, sizeof err2),
	             PKG_KPUBCI_UNTRUSTED);
}

TEST(open_missing_resource_is_8)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	for (int r = 0; r < PKG_NRES; r++)
		CHECK_EQ_INT(open_patched(r, empty, err, sizeof err),
		             PKG_INSTANCE_INCOMPLETE);
	pkg_507 p;
	struct profile out;
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &p, err,
	                       sizeof err), CR_OK);
	char *keep = p.res[PKG_RES_MAC];
	p.res[PKG_RES_MAC] = NULL;
	CHECK_EQ_INT(pkg_open(sim1, res_of(&p), &out, err, sizeof err),
	             PKG_INSTANCE_INCOMPLETE);
	CHECK(strstr(err, "mac") != NULL);
	p.res[PKG_RES_MAC] = keep;
	pkg_507_free(&p);
}

TEST(open_truncated_base64_is_7)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(open_patched(PKG_RES_ENCP, chop_one, err, sizeof err),
	             PKG_DOES_NOT_PARSE);
	CHECK(strstr(err, "encP") != NULL);
	CHECK_EQ_INT(open_patched(PKG_RES_SIGKPUBDP, chop_one, err, sizeof err),
	             PKG_DOES_NOT_PARSE);
	CHECK_EQ_INT(open_patched(PKG_RES_EKPUBDP, chop_one, err, sizeof err),
	             PKG_DOES_NOT_PARSE);
	CHECK_EQ_INT(open_patched(PKG_RES_MAC, chop_one, err, sizeof err),
	             PKG_DOES_NOT_PARSE);
}

/* ---- a package built by hand from the primitives ---- */

static EVP_PKEY *dp_priv(void)
{
	char path[200], err[256], *pem;
	size_t n;
	snprintf(path, sizeof path, "%s/dp.key.pem", dir);
	if (pki_read_file(path, 65536, &pem, &n, err, sizeof err))
		return NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)n);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	free(pem);
	return k;
}

enum hand_fault { HAND_OK, HAND_BAD_PADDING, HAND_BAD_CONTAINER, HAND_OFF_CURVE };

/* Follows docs/profile-package.md step by step; `fault` breaks one thing
 * while keeping every signature and the MAC valid. */
static int hand_open(enum hand_fault fault, char *err, size_t errlen)
{
	EVP_PKEY *dpk = dp_priv(), *ek = NULL, *simpub = NULL;
	uint8_t ekpub[65], sigek[64], z[32], k[48], si[94], ct[PROFILE_MAX + 32];
	uint8_t pt[PROFILE_MAX + 32], mac[16];
	char b_ek[100], b_sig[100], macs[33], encp[4000];
	size_t ptl = prof_len, ctl;
	const unsigned char *p = cert1;
	struct profile out;
	pkg_507 ref;
	int rc = -1;
	X509 *x = d2i_X509(NULL, &p, (long)cert1_len);
	if (!dpk || !x || !(simpub = X509_get_pubkey(x)))
		goto out;
	if (eck_generate("brainpoolP256r1", &ek, NULL, 0) || eck_pub_to_raw(ek, ekpub))
		goto out;
	if (fault == HAND_OFF_CURVE)
		ekpub[64] ^= 1; /* (x, y+1) is not on the curve */
	if (eck_sign_raw(dpk, ekpub, 65, sigek, NULL, 0))
		goto out;
	if (fault != HAND_OFF_CURVE) {
		if (eck_ecdh(ek, simpub, z, NULL, 0))
			goto out;
	} else {
		memset(z, 7, sizeof z);
	}
	/* SharedInfo = 88 10 | 09 "nuSIM-507" | 10 BCD(EID) | eKpubDP */
	size_t o = 0;
	si[o++] = 0x88;
	si[o++] = 0x10;
	si[o++] = 9;
	memcpy(si + o, "nuSIM-507", 9);
	o += 9;
	si[o++] = 16;
	unit_unhex(EID1, si + o, 16); /* two digits a byte = the hex reading */
	o += 16;
	memcpy(si + o, ekpub, 65);
	o += 65;
	if (o != sizeof si || sym_x963kdf_sha256(z, 32, si, sizeof si, k, 48, NULL, 0))
		goto out;
	memcpy(pt, prof, prof_len);
	if (fault == HAND_BAD_CONTAINER)
		pt[0] = 0x00; /* reserved tag */
	if (fault == HAND_BAD_PADDING) {
		/* Whole blocks of plaintext ending in 0x01: no 0x80 marker. */
		ptl = (prof_len + 15) / 16 * 16;
		memset(pt + prof_len, 0x01, ptl - prof_len);
		pt[ptl - 1] = 0x01;
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		int l1, l2;
		EVP_EncryptInit_ex2(c, EVP_aes_128_cbc(), k, k + 32, NULL);
		EVP_CIPHER_CTX_set_padding(c, 0);
		EVP_EncryptUpdate(c, ct, &l1, pt, (int)ptl);
		EVP_EncryptFinal_ex(c, ct + l1, &l2);
		EVP_CIPHER_CTX_free(c);
		ctl = ptl;
	} else {
		ctl = sym_cbc_m2_len(ptl);
		if (sym_cbc_m2_encrypt(k, k + 32, pt, ptl, ct, NULL, 0))
			goto out;
	}
	if (sym_cmac_aes128(k + 16, ekpub, 65, ct, ctl, mac, NULL, 0))
		goto out;
	/* Keys, signature of the DP and CI from a real build of the same PKI. */
	if (pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &ref, NULL, 0))
		goto out;
	crypto_b64_encode(ekpub, 65, b_ek);
	crypto_b64_encode(sigek, 64, b_sig);
	crypto_hex_encode(mac, 16, macs);
	crypto_b64_encode(ct, ctl, encp);
	const char *res[PKG_NRES] = {
		[PKG_RES_ENCP] = encp, [PKG_RES_MAC] = macs, [PKG_RES_EKPUBDP] = b_ek,
		[PKG_RES_SIGEKPUBDP] = b_sig, [PKG_RES_KPUBDP] = ref.res[PKG_RES_KPUBDP],
		[PKG_RES_SIGKPUBDP] = ref.res[PKG_RES_SIGKPUBDP],
		[PKG_RES_KPUBCI] = ref.res[PKG_RES_KPUBCI],
	};
	rc = pkg_open(sim1, res, &out, err, errlen);
	if (rc == PKG_OK && strcmp(out.iccid, "8949020000123456788"))
		rc = -2;
	profile_clear(&out);
	pkg_507_free(&ref);
out:
	EVP_PKEY_free(dpk);
	EVP_PKEY_free(ek);
	EVP_PKEY_free(simpub);
	X509_free(x);
	return rc;
}

TEST(open_hand_built_package)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(hand_open(HAND_OK, err, sizeof err), PKG_OK);
}

TEST(open_bad_padding_is_7)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(hand_open(HAND_BAD_PADDING, err, sizeof err), PKG_DOES_NOT_PARSE);
	CHECK(strstr(err, "padding") != NULL);
}

TEST(open_bad_container_is_7)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(hand_open(HAND_BAD_CONTAINER, err, sizeof err),
	             PKG_DOES_NOT_PARSE);
	CHECK(strstr(err, "profile") != NULL);
}

TEST(open_point_not_on_curve_is_7)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(hand_open(HAND_OFF_CURVE, err, sizeof err), PKG_DOES_NOT_PARSE);
	CHECK(strstr(err, "not a point") != NULL);
}

/* ---- certificate checks ---- */

static int der_of(X509 *x, uint8_t **der, size_t *n)
{
	unsigned char *p = NULL;
	int l = i2d_X509(x, &p);
	if (l <= 0)
		return -1;
	*der = p;
	*n = (size_t)l;
	return 0;
}

/* Loads a PEM private key file of the test PKI. */
static EVP_PKEY *load_key(const char *d, const char *name)
{
	char path[200], err[256], *pem;
	size_t n;
	snprintf(path, sizeof path, "%s/%s", d, name);
	if (pki_read_file(path, 65536, &pem, &n, err, sizeof err))
		return NULL;
	BIO *b = BIO_new_mem_buf(pem, (int)n);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	free(pem);
	return k;
}

static X509 *load_cert(const char *d, const char *name)
{
	char path[200];
	snprintf(path, sizeof path, "%s/%s", d, name);
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return x;
}

TEST(cert_good)
{
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_cert_check(dp, cert1, cert1_len, EID1, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_cert_check(dp, cert2, cert2_len, EID2, err, sizeof err), CR_OK);
}

TEST(cert_wrong_cm_refused)
{
	char err[256] = "";
	pkg_507 p;
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_cert_check(dp, cert_other, cert_other_len, EID1, err,
	                            sizeof err), CR_ECERT_UNTRUSTED);
	CHECK(strstr(err, "issuer") != NULL);
	CHECK_EQ_INT(pkg_build(dp, cert_other, cert_other_len, EID1, prof, prof_len,
	                       &p, err, sizeof err), CR_ECERT_UNTRUSTED);
}

TEST(cert_expired_refused)
{
	char err[256] = "";
	uint8_t *der;
	size_t n;
	X509 *x;
	CHECK_EQ_INT(setup(), 0);
	EVP_PKEY *cm = load_key(dir, "cm.key.pem"), *dev;
	X509 *cmc = load_cert(dir, "cm.cert.pem");
	CHECK(cm && cmc);
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &dev, NULL, 0), CR_OK);
	CHECK_EQ_INT(pki_make_cert(dev, "nuSIM " EID3, EID3, cm, cmc, 0, -30 * 86400L,
	                           -86400L, &x, err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	CHECK_EQ_INT(pkg_cert_check(dp, der, n, EID3, err, sizeof err), CR_ECERT_EXPIRED);
	CHECK(strstr(err, "expired") != NULL);
	OPENSSL_free(der);
	X509_free(x);
	/* Not yet valid. */
	CHECK_EQ_INT(pki_make_cert(dev, "nuSIM " EID3, EID3, cm, cmc, 0, 86400L,
	                           2 * 86400L, &x, err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	CHECK_EQ_INT(pkg_cert_check(dp, der, n, EID3, err, sizeof err), CR_ECERT_NOTYET);
	CHECK(strstr(err, "not yet valid") != NULL);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(cm);
	EVP_PKEY_free(dev);
	X509_free(cmc);
}

TEST(cert_eid_mismatch_refused)
{
	char err[256] = "";
	pkg_507 p;
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_cert_check(dp, cert1, cert1_len, EID2, err, sizeof err),
	             CR_ECERT_EID);
	CHECK(strstr(err, "serialNumber") != NULL);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID2, prof, prof_len, &p, err,
	                       sizeof err), CR_ECERT_EID);
	CHECK_EQ_INT(pkg_cert_check(dp, cert1, cert1_len, "8904", err, sizeof err),
	             CR_EEID);
}

TEST(cert_self_signed_impostor_refused)
{
	char err[256] = "";
	uint8_t *der;
	size_t n;
	X509 *x;
	EVP_PKEY *k;
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &k, NULL, 0), CR_OK);
	CHECK_EQ_INT(pki_make_cert(k, "nuSIM " EID1, EID1, k, NULL, 0, -60, 86400L,
	                           &x, err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	CHECK_EQ_INT(pkg_cert_check(dp, der, n, EID1, err, sizeof err),
	             CR_ECERT_SELFSIGNED);
	CHECK(strstr(err, "self-signed") != NULL);
	OPENSSL_free(der);
	X509_free(x);
	/* An impostor CM root of the same name signing the device. */
	X509 *real = load_cert(dir, "cm.cert.pem"), *fake;
	CHECK(real != NULL);
	char cn[100];
	X509_NAME_get_text_by_NID(X509_get_subject_name(real), NID_commonName, cn,
	                          sizeof cn);
	CHECK_EQ_INT(pki_make_cert(k, cn, NULL, k, NULL, 1, -60, 86400L, &fake, err,
	                           sizeof err), CR_OK);
	EVP_PKEY *dev;
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &dev, NULL, 0), CR_OK);
	CHECK_EQ_INT(pki_make_cert(dev, "nuSIM " EID1, EID1, k, fake, 0, -60, 86400L,
	                           &x, err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	int rc = pkg_cert_check(dp, der, n, EID1, err, sizeof err);
	CHECK(rc == CR_ECERT_UNTRUSTED || rc == CR_ECERT_SIGNATURE);
	OPENSSL_free(der);
	X509_free(x);
	X509_free(fake);
	X509_free(real);
	EVP_PKEY_free(dev);
	EVP_PKEY_free(k);
}

TEST(cert_garbage_refused)
{
	char err[256];
	uint8_t junk[40] = { 0x30, 0x26 };
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_cert_check(dp, junk, sizeof junk, EID1, err, sizeof err),
	             CR_ECERT_PARSE);
	CHECK_EQ_INT(pkg_cert_check(dp, cert1, cert1_len - 1, EID1, err, sizeof err),
	             CR_ECERT_PARSE);
	uint8_t *longer = malloc(cert1_len + 1);
	memcpy(longer, cert1, cert1_len);
	longer[cert1_len] = 0;
	CHECK_EQ_INT(pkg_cert_check(dp, longer, cert1_len + 1, EID1, err, sizeof err),
	             CR_ECERT_PARSE);
	free(longer);
	CHECK_EQ_INT(pkg_cert_check(dp, NULL, 0, EID1, err, sizeof err), CR_ECERT_PARSE);
}

TEST(cert_error_texts_distinct)
{
	static const int codes[] = { CR_ECERT_PARSE, CR_ECERT_UNTRUSTED,
	                             CR_ECERT_EXPIRED, CR_ECERT_NOTYET,
	                             CR_ECERT_SELFSIGNED, CR_ECERT_SIGNATURE,
	                             CR_ECERT_INVALID, CR_ECERT_EID };
	for (int i = 0; i < 8; i++)
		for (int j = i + 1; j < 8; j++)
			CHECK(strcmp(crypto_strerror(codes[i]), crypto_strerror(codes[j])));
}

TEST(build_refuses_bad_profile)
{
	char err[256];
	pkg_507 p;
	uint8_t bad[4] = { 0x01, 0x02, '1', '2' };
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, bad, sizeof bad, &p, err,
	                       sizeof err), CR_EPROFILE);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, bad, 0, &p, err,
	                       sizeof err), CR_EINVAL);
}

/* Random changes to random resources never crash and never open, except
 * a change of case in the hex mac. */
TEST(open_mutations_bounded)
{
	pkg_507 p;
	char err[256];
	unsigned seed = 777;
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &p, err,
	                       sizeof err), CR_OK);
	for (int round = 0; round < 300; round++) {
		char *copy[PKG_NRES];
		struct profile out;
		for (int i = 0; i < PKG_NRES; i++)
			copy[i] = strdup(p.res[i]);
		seed = seed * 1103515245u + 12345u;
		int r = (int)((seed >> 16) % PKG_NRES);
		size_t l = strlen(copy[r]);
		seed = seed * 1103515245u + 12345u;
		size_t at = (seed >> 16) % l;
		char was = copy[r][at];
		copy[r][at] = (char)(33 + (seed >> 8) % 94);
		if (round % 5 == 0)
			copy[r][at] = '\0';
		int rc = pkg_open(sim1, (const char *const *)copy, &out, err, sizeof err);
		int same = copy[r][at] == was ||
		           (r == PKG_RES_MAC && copy[r][at] && (copy[r][at] | 32) == was);
		if (!same)
			CHECK(rc >= 2 && rc <= 8 && rc != 6);
		profile_clear(&out);
		for (int i = 0; i < PKG_NRES; i++)
			free(copy[i]);
	}
	pkg_507_free(&p);
}

/* ---- the server's path: a nuSIM handle checked once, then builds ---- */

TEST(nusim_handle_round_trip)
{
	pkg_nusim *n1, *n2;
	struct profile out;
	pkg_507 a, b;
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_nusim_from_cert(dp, cert1, cert1_len, EID1, &n1, err,
	                                 sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_nusim_from_cert(dp, cert2, cert2_len, EID2, &n2, err,
	                                 sizeof err), CR_OK);
	CHECK_EQ_STR(pkg_nusim_eid(n1), EID1);
	CHECK_EQ_STR(pkg_nusim_curve(n1), "brainpoolP256r1");
	CHECK_EQ_STR(pkg_nusim_curve(n2), "prime256v1");
	CHECK_EQ_STR(pkg_dp_curve(dp), "brainpoolP256r1");
	/* Valid about 5 years (the device cert), and not yet past. */
	CHECK(pkg_nusim_not_after(n1) > (int64_t)time(NULL) + 4 * 365 * 86400L);
	CHECK_EQ_INT(pkg_build_for(dp, n1, prof, prof_len, &a, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_open(sim1, res_of(&a), &out, err, sizeof err), PKG_OK);
	CHECK_EQ_STR(out.iccid, "8949020000123456788");
	CHECK_EQ_INT(out.ki[5], 0x11);
	profile_clear(&out);
	/* The same handle again: a fresh ephemeral key, the same DP keys. */
	CHECK_EQ_INT(pkg_build_for(dp, n1, prof, prof_len, &b, err, sizeof err), CR_OK);
	CHECK(strcmp(a.res[PKG_RES_EKPUBDP], b.res[PKG_RES_EKPUBDP]) != 0);
	CHECK(strcmp(a.res[PKG_RES_ENCP], b.res[PKG_RES_ENCP]) != 0);
	for (int r = PKG_RES_KPUBDP; r < PKG_NRES; r++)
		CHECK_EQ_STR(a.res[r], b.res[r]);
	CHECK_EQ_INT(pkg_open(sim1, res_of(&b), &out, err, sizeof err), PKG_OK);
	profile_clear(&out);
	pkg_507_free(&a);
	pkg_507_free(&b);
	/* P-256: opens on its nuSIM, not on the brainpool one. */
	CHECK_EQ_INT(pkg_build_for(dp, n2, prof, prof_len, &a, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_open(sim2, res_of(&a), &out, err, sizeof err), PKG_OK);
	CHECK_EQ_STR(out.carrier, "Telekom");
	profile_clear(&out);
	CHECK_EQ_INT(pkg_open(sim1, res_of(&a), &out, err, sizeof err),
	             PKG_DOES_NOT_PARSE);
	pkg_507_free(&a);
	pkg_nusim_free(n1);
	pkg_nusim_free(n2);
	pkg_nusim_free(NULL);
	CHECK(pkg_nusim_eid(NULL) == NULL && pkg_nusim_curve(NULL) == NULL);
}

/* pkg_build_for and pkg_build make packages of the same scheme: the
 * hand-made package's DP resources equal them, and both open. */
TEST(nusim_build_for_matches_build)
{
	pkg_nusim *n;
	pkg_507 a, b;
	struct profile out;
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_nusim_from_cert(dp, cert1, cert1_len, EID1, &n, err,
	                                 sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_build_for(dp, n, prof, prof_len, &a, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_build(dp, cert1, cert1_len, EID1, prof, prof_len, &b, err,
	                       sizeof err), CR_OK);
	CHECK_EQ_INT(strlen(a.res[PKG_RES_ENCP]), strlen(b.res[PKG_RES_ENCP]));
	CHECK_EQ_INT(strlen(a.res[PKG_RES_MAC]), 32);
	for (int r = PKG_RES_KPUBDP; r < PKG_NRES; r++)
		CHECK_EQ_STR(a.res[r], b.res[r]);
	CHECK_EQ_INT(pkg_open(sim1, res_of(&a), &out, err, sizeof err), PKG_OK);
	profile_clear(&out);
	CHECK_EQ_INT(pkg_open(sim1, res_of(&b), &out, err, sizeof err), PKG_OK);
	profile_clear(&out);
	pkg_507_free(&a);
	pkg_507_free(&b);
	pkg_nusim_free(n);
}

/* One bad certificate: the handle is refused with pkg_cert_check's code
 * and reason, and nothing is returned. */
static int same_refusal(const uint8_t *der, size_t n, const char *eid,
                        int want)
{
	static char sentinel;
	char e1[256] = "", e2[256] = "x";
	pkg_nusim *nu = (pkg_nusim *)(void *)&sentinel; /* must become NULL */
	int r1 = pkg_cert_check(dp, der, n, eid, e1, sizeof e1);
	int r2 = pkg_nusim_from_cert(dp, der, n, eid, &nu, e2, sizeof e2);
	if (r1 != want || r2 != want || nu != NULL || strcmp(e1, e2) || !e1[0]) {
		printf("  want %d: cert_check %d \"%s\", nusim %d \"%s\"\n", want,
		       r1, e1, r2, e2);
		pkg_nusim_free(r2 == CR_OK ? nu : NULL);
		return -1;
	}
	return 0;
}

TEST(nusim_handle_refuses_like_cert_check)
{
	uint8_t junk[40] = { 0x30, 0x26 }, *der, *longer;
	size_t n;
	X509 *x, *fake;
	EVP_PKEY *dev, *k;
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(same_refusal(cert_other, cert_other_len, EID1,
	                          CR_ECERT_UNTRUSTED), 0);
	CHECK_EQ_INT(same_refusal(cert1, cert1_len, EID2, CR_ECERT_EID), 0);
	CHECK_EQ_INT(same_refusal(cert1, cert1_len, "8904", CR_EEID), 0);
	CHECK_EQ_INT(same_refusal(cert1, cert1_len, NULL, CR_EEID), 0);
	CHECK_EQ_INT(same_refusal(junk, sizeof junk, EID1, CR_ECERT_PARSE), 0);
	CHECK_EQ_INT(same_refusal(cert1, cert1_len - 1, EID1, CR_ECERT_PARSE), 0);
	CHECK_EQ_INT(same_refusal(NULL, 0, EID1, CR_ECERT_PARSE), 0);
	longer = malloc(cert1_len + 1);
	CHECK(longer != NULL);
	memcpy(longer, cert1, cert1_len);
	longer[cert1_len] = 0;
	CHECK_EQ_INT(same_refusal(longer, cert1_len + 1, EID1, CR_ECERT_PARSE), 0);
	free(longer);
	/* Expired, not yet valid: signed by the real CM. */
	EVP_PKEY *cm = load_key(dir, "cm.key.pem");
	X509 *cmc = load_cert(dir, "cm.cert.pem");
	CHECK(cm && cmc);
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &dev, NULL, 0), CR_OK);
	CHECK_EQ_INT(pki_make_cert(dev, "nuSIM " EID3, EID3, cm, cmc, 0, -30 * 86400L,
	                           -86400L, &x, err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	CHECK_EQ_INT(same_refusal(der, n, EID3, CR_ECERT_EXPIRED), 0);
	OPENSSL_free(der);
	X509_free(x);
	CHECK_EQ_INT(pki_make_cert(dev, "nuSIM " EID3, EID3, cm, cmc, 0, 86400L,
	                           2 * 86400L, &x, err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	CHECK_EQ_INT(same_refusal(der, n, EID3, CR_ECERT_NOTYET), 0);
	OPENSSL_free(der);
	X509_free(x);
	/* Self-signed, and a chain to an impostor CM root of the same name. */
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &k, NULL, 0), CR_OK);
	CHECK_EQ_INT(pki_make_cert(k, "nuSIM " EID1, EID1, k, NULL, 0, -60, 86400L,
	                           &x, err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	CHECK_EQ_INT(same_refusal(der, n, EID1, CR_ECERT_SELFSIGNED), 0);
	OPENSSL_free(der);
	X509_free(x);
	char cn[100];
	X509_NAME_get_text_by_NID(X509_get_subject_name(cmc), NID_commonName, cn,
	                          sizeof cn);
	CHECK_EQ_INT(pki_make_cert(k, cn, NULL, k, NULL, 1, -60, 86400L, &fake, err,
	                           sizeof err), CR_OK);
	CHECK_EQ_INT(pki_make_cert(dev, "nuSIM " EID1, EID1, k, fake, 0, -60, 86400L,
	                           &x, err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	int rc = pkg_cert_check(dp, der, n, EID1, err, sizeof err);
	CHECK(rc == CR_ECERT_UNTRUSTED || rc == CR_ECERT_SIGNATURE);
	CHECK_EQ_INT(same_refusal(der, n, EID1, rc), 0);
	OPENSSL_free(der);
	X509_free(x);
	X509_free(fake);
	/* A good one, for contrast. */
	pkg_nusim *nu;
	CHECK_EQ_INT(pkg_nusim_from_cert(dp, cert1, cert1_len, EID1, &nu, err,
	                                 sizeof err), CR_OK);
	CHECK(nu != NULL);
	pkg_nusim_free(nu);
	CHECK_EQ_INT(pkg_nusim_from_cert(NULL, cert1, cert1_len, EID1, &nu, err,
	                                 sizeof err), CR_EINVAL);
	CHECK(nu == NULL);
	EVP_PKEY_free(k);
	EVP_PKEY_free(dev);
	EVP_PKEY_free(cm);
	X509_free(cmc);
}

TEST(build_for_refuses_bad_input)
{
	char err[256];
	pkg_507 p;
	pkg_nusim *n;
	pkg_dp *other;
	uint8_t bad[4] = { 0x01, 0x02, '1', '2' };
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_nusim_from_cert(dp, cert1, cert1_len, EID1, &n, err,
	                                 sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_build_for(dp, n, bad, sizeof bad, &p, err, sizeof err),
	             CR_EPROFILE);
	CHECK(p.res[0] == NULL);
	CHECK_EQ_INT(pkg_build_for(dp, n, prof, 0, &p, err, sizeof err), CR_EINVAL);
	CHECK_EQ_INT(pkg_build_for(dp, n, NULL, 10, &p, err, sizeof err), CR_EINVAL);
	CHECK_EQ_INT(pkg_build_for(dp, n, prof, PROFILE_MAX + 1, &p, err, sizeof err),
	             CR_EINVAL);
	CHECK_EQ_INT(pkg_build_for(dp, NULL, prof, prof_len, &p, err, sizeof err),
	             CR_EINVAL);
	CHECK_EQ_INT(pkg_build_for(NULL, n, prof, prof_len, &p, err, sizeof err),
	             CR_EINVAL);
	/* A handle checked under one DP's CM roots is not used with another. */
	CHECK_EQ_INT(pki_load_dp(dir, &other, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_build_for(other, n, prof, prof_len, &p, err, sizeof err),
	             CR_EINVAL);
	CHECK(strstr(err, "another DP handle") != NULL);
	pkg_dp_free(other);
	pkg_nusim_free(n);
}

/* A handle outlives its certificate: builds stop at its notAfter. */
TEST(build_for_refuses_after_chain_expires)
{
	char err[256];
	uint8_t *der;
	size_t n;
	X509 *x;
	EVP_PKEY *dev, *cm = NULL;
	X509 *cmc = NULL;
	pkg_nusim *nu;
	pkg_507 p;
	CHECK_EQ_INT(setup(), 0);
	cm = load_key(dir, "cm.key.pem");
	cmc = load_cert(dir, "cm.cert.pem");
	CHECK(cm && cmc);
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &dev, NULL, 0), CR_OK);
	CHECK_EQ_INT(pki_make_cert(dev, "nuSIM " EID3, EID3, cm, cmc, 0, -60, 1, &x,
	                           err, sizeof err), CR_OK);
	CHECK_EQ_INT(der_of(x, &der, &n), 0);
	CHECK_EQ_INT(pkg_nusim_from_cert(dp, der, n, EID3, &nu, err, sizeof err), CR_OK);
	CHECK(pkg_nusim_not_after(nu) <= (int64_t)time(NULL) + 1);
	struct timespec ts = { 2, 200000000 };
	nanosleep(&ts, NULL);
	CHECK_EQ_INT(pkg_build_for(dp, nu, prof, prof_len, &p, err, sizeof err),
	             CR_ECERT_EXPIRED);
	CHECK(strstr(err, "expired") != NULL);
	CHECK(p.res[PKG_RES_ENCP] == NULL);
	CHECK_EQ_INT(pkg_cert_check(dp, der, n, EID3, err, sizeof err), CR_ECERT_EXPIRED);
	pkg_nusim_free(nu);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(dev);
	EVP_PKEY_free(cm);
	X509_free(cmc);
}

/* The prepared primitives under pkg_build_for agree with the plain ones. */
TEST(eck_prepared_keygen_and_sign)
{
	static const char *const curves[] = { "brainpoolP256r1", "prime256v1" };
	EVP_MD *sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	uint8_t pt[65], sig[64];
	char name[32], err[256];
	CHECK(sha != NULL);
	for (int c = 0; c < 2; c++) {
		EVP_PKEY *params, *k;
		CHECK_EQ_INT(eck_params_new(curves[c], &params, err, sizeof err), CR_OK);
		CHECK_EQ_INT(eck_generate_from(params, &k, err, sizeof err), CR_OK);
		CHECK_EQ_INT(eck_key_curve(k, name, sizeof name), CR_OK);
		CHECK_EQ_STR(name, curves[c]);
		CHECK_EQ_INT(eck_pub_to_raw(k, pt), CR_OK);
		CHECK_EQ_INT(eck_sign_raw_md(k, sha, pt, sizeof pt, sig, err, sizeof err),
		             CR_OK);
		CHECK_EQ_INT(eck_verify_raw(k, pt, sizeof pt, sig), CR_OK);
		pt[10] ^= 1;
		CHECK_EQ_INT(eck_verify_raw(k, pt, sizeof pt, sig), CR_ESIGN);
		EVP_PKEY_free(k);
		EVP_PKEY_free(params);
	}
	EVP_PKEY *params;
	CHECK_EQ_INT(eck_params_new("secp256k1", &params, err, sizeof err), CR_ECURVE);
	CHECK(params == NULL);
	EVP_MD_free(sha);
}

/* ---- reentrancy ---- */

static void *worker(void *arg)
{
	int *fails = arg;
	for (int i = 0; i < 20; i++) {
		struct profile out;
		const pkg_sim *s = i % 2 ? sim2 : sim1;
		if (build_open(s, i % 2 ? cert2 : cert1, i % 2 ? cert2_len : cert1_len,
		               i % 2 ? EID2 : EID1, &out) != PKG_OK)
			(*fails)++;
		profile_clear(&out);
	}
	return NULL;
}

TEST(package_threads_share_handles)
{
	pthread_t t[4];
	int fails[4] = { 0 };
	CHECK_EQ_INT(setup(), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(pthread_create(&t[i], NULL, worker, &fails[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ_INT(fails[i], 0);
	}
}

/* The server's path: worker threads share the DP and nuSIM handles. */
static pkg_nusim *shared_nu[2];

static void *worker_for(void *arg)
{
	int *fails = arg;
	char err[256];
	for (int i = 0; i < 20; i++) {
		struct profile out;
		pkg_507 p;
		if (pkg_build_for(dp, shared_nu[i % 2], prof, prof_len, &p, err,
		                  sizeof err) ||
		    pkg_open(i % 2 ? sim2 : sim1, res_of(&p), &out, err, sizeof err) != PKG_OK)
			(*fails)++;
		profile_clear(&out);
		pkg_507_free(&p);
	}
	return NULL;
}

TEST(build_for_threads_share_handles)
{
	pthread_t t[4];
	int fails[4] = { 0 };
	char err[256];
	CHECK_EQ_INT(setup(), 0);
	CHECK_EQ_INT(pkg_nusim_from_cert(dp, cert1, cert1_len, EID1, &shared_nu[0],
	                                 err, sizeof err), CR_OK);
	CHECK_EQ_INT(pkg_nusim_from_cert(dp, cert2, cert2_len, EID2, &shared_nu[1],
	                                 err, sizeof err), CR_OK);
	for (int i = 0; i < 4; i++)
		CHECK_EQ_INT(pthread_create(&t[i], NULL, worker_for, &fails[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ_INT(fails[i], 0);
	}
	pkg_nusim_free(shared_nu[0]);
	pkg_nusim_free(shared_nu[1]);
}

UNIT_MAIN
