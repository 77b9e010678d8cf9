/*
 * package.c: building and opening nuSIM profile packages (package.h,
 * DESIGN §6). The key agreement, KDF, cipher, MAC and container are this
 * project's own (NTS.01 is not public); docs/profile-package.md is their
 * specification. Every secret (eK, Z, K, the plaintext) is wiped before
 * its buffer is released.
 *
 * Speed (issue 3): the server checks a nuSIM's certificate once
 * (pkg_nusim_from_cert) and then builds any number of packages for it
 * (pkg_build_for); pkg_dp keeps what every build needs ready (the fetched
 * SHA-256, KDF, MAC and cipher, each curve's domain parameters, the DP key,
 * the CM root store), so a build costs about its three EC operations.
 */
#include "crypto/package.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto/cerr.h"
#include "crypto/codec.h"
#include "crypto/eck.h"
#include "crypto/sym.h"

#define EID_LEN 32
#define KDF_LABEL "nuSIM-507"
#define SI_LEN (2 + 1 + (sizeof KDF_LABEL - 1) + 1 + EID_LEN / 2 + ECK_POINT_LEN)
#define K_LEN 48
#define ENCP_MAX (PROFILE_MAX + 16)

/* The curves a nuSIM key may be on, in the order of pkg_dp.params. */
static const char *const nusim_curves[] = { "brainpoolP256r1", "prime256v1" };
#define NCURVES (sizeof nusim_curves / sizeof nusim_curves[0])

/* Read-only after pkg_dp_from_pem: OpenSSL 3 keys, fetched algorithms and
 * a populated X509_STORE may be shared by threads that only read them. */
struct pkg_dp {
	EVP_PKEY *dp_key;
	EVP_PKEY *ci_pub;
	uint8_t kpubdp[ECK_POINT_LEN];
	uint8_t sig_kpubdp[ECK_SIG_LEN];
	uint8_t kpubci[ECK_POINT_LEN];
	X509_STORE *store;
	EVP_MD *sha256;
	sym_algs algs;
	EVP_PKEY *params[NCURVES]; /* domain parameters, for eK */
	const char *curve;         /* of dp_key, canonical */
};

/* A nuSIM whose certificate passed cert_check under `dp`'s CM roots. */
struct pkg_nusim {
	const pkg_dp *dp;
	EVP_PKEY *pub;
	unsigned curve; /* index into nusim_curves */
	char eid[EID_LEN + 1];
	/* Where every certificate of the verified chain is valid at once. */
	time_t not_before, not_after;
};

struct pkg_sim {
	EVP_PKEY *key;
	char curve[32];
	char ci_curve[32];
	EVP_PKEY *ci_pub;
	uint8_t kpubci[ECK_POINT_LEN];
	char eid[EID_LEN + 1];
};

static const char *const results[] = {
	[PKG_OK] = "success",
	[PKG_NOT_SUCCESSFUL] = "not successful",
	[PKG_KPUBCI_UNTRUSTED] = "KpubCI is not the one the nuSIM trusts",
	[PKG_SIGKPUBDP_INVALID] = "SigKpubDP invalid",
	[PKG_SIGEKPUBDP_INVALID] = "SigEKpubDP invalid",
	[PKG_MAC_FAILED] = "MAC check failed",
	[PKG_ALREADY_LOADED] = "profile already loaded",
	[PKG_DOES_NOT_PARSE] = "profile does not parse",
	[PKG_INSTANCE_INCOMPLETE] = "507 instance missing or incomplete",
	[PKG_BUSY] = "nuSIM busy",
};

const char *pkg_result_str(int r)
{
	if (r < 0 || (size_t)r >= sizeof results / sizeof results[0])
		return "unknown result";
	return results[r];
}

void pkg_507_free(pkg_507 *p)
{
	if (!p)
		return;
	for (int i = 0; i < PKG_NRES; i++) {
		free(p->res[i]);
		p->res[i] = NULL;
	}
}

int pkg_eid_valid(const char *eid)
{
	if (!eid || strlen(eid) != EID_LEN)
		return 0;
	for (int i = 0; i < EID_LEN; i++)
		if (eid[i] < '0' || eid[i] > '9')
			return 0;
	return 1;
}

/* SharedInfo = 0x88 ‖ 0x10 ‖ LV("nuSIM-507") ‖ LV(BCD(EID)) ‖ eKpubDP. */
static void shared_info(const char *eid, const uint8_t ek[ECK_POINT_LEN],
                        uint8_t si[SI_LEN])
{
	size_t o = 0;
	si[o++] = 0x88;
	si[o++] = 0x10;
	si[o++] = sizeof KDF_LABEL - 1;
	memcpy(si + o, KDF_LABEL, sizeof KDF_LABEL - 1);
	o += sizeof KDF_LABEL - 1;
	si[o++] = EID_LEN / 2;
	for (int i = 0; i < EID_LEN; i += 2)
		si[o++] = (uint8_t)((eid[i] - '0') << 4 | (eid[i + 1] - '0'));
	memcpy(si + o, ek, ECK_POINT_LEN);
}

/* K = K_enc ‖ K_mac ‖ IV from Z and the SharedInfo. */
static int derive(const uint8_t z[ECK_Z_LEN], const char *eid,
                  const uint8_t ek[ECK_POINT_LEN], uint8_t k[K_LEN], char *err,
                  size_t errlen)
{
	uint8_t si[SI_LEN];
	shared_info(eid, ek, si);
	return sym_x963kdf_sha256(z, ECK_Z_LEN, si, sizeof si, k, K_LEN, err, errlen);
}

static char *b64_dup(const uint8_t *in, size_t n)
{
	char *s = malloc(crypto_b64_len(n));
	if (s)
		crypto_b64_encode(in, n, s);
	return s;
}

/* A public key from PEM: PUBLIC KEY first, else a certificate's key. */
static EVP_PKEY *pub_from_pem(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (!k) {
		X509 *x;
		b = BIO_new_mem_buf(pem, (int)len);
		x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		if (x)
			k = X509_get_pubkey(x);
		X509_free(x);
		BIO_free(b);
	}
	return k;
}

static EVP_PKEY *priv_from_pem(const char *pem, size_t len)
{
	/* A passphrase callback returning nothing: never prompt on a tty. */
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	BIO_free(b);
	return k;
}

void pkg_dp_free(pkg_dp *dp)
{
	if (!dp)
		return;
	EVP_PKEY_free(dp->dp_key);
	EVP_PKEY_free(dp->ci_pub);
	X509_STORE_free(dp->store);
	EVP_MD_free(dp->sha256);
	sym_algs_free(&dp->algs);
	for (size_t i = 0; i < NCURVES; i++)
		EVP_PKEY_free(dp->params[i]);
	OPENSSL_cleanse(dp, sizeof *dp);
	free(dp);
}

int pkg_dp_from_pem(const char *dp_key_pem, size_t dp_key_len,
                    const char *ci_pem, size_t ci_len, const char *sig_b64,
                    const char *cm_roots_pem, size_t cm_roots_len,
                    pkg_dp **out, char *err, size_t errlen)
{
	pkg_dp *dp;
	char curve[32];
	size_t sl;
	int rc, nroots = 0;
	BIO *b = NULL;
	X509 *x;
	*out = NULL;
	if (!dp_key_pem || !ci_pem || !sig_b64 || !cm_roots_pem ||
	    dp_key_len > 0x7fffffff || ci_len > 0x7fffffff ||
	    cm_roots_len > 0x7fffffff)
		return crypto_err(err, errlen, CR_EINVAL, "DP trust: missing input");
	dp = calloc(1, sizeof *dp);
	if (!dp)
		return crypto_err(err, errlen, CR_ENOMEM, "DP trust: out of memory");
	dp->dp_key = priv_from_pem(dp_key_pem, dp_key_len);
	if (!dp->dp_key) {
		crypto_ossl_err(err, errlen, "DP private key does not parse");
		rc = CR_EPARSE;
		goto fail;
	}
	if (eck_key_curve(dp->dp_key, curve, sizeof curve) ||
	    eck_pub_to_raw(dp->dp_key, dp->kpubdp)) {
		rc = crypto_err(err, errlen, CR_ECURVE,
		                "DP key is not an EC key on a supported curve");
		goto fail;
	}
	dp->curve = eck_curve_supported(curve);
	dp->ci_pub = pub_from_pem(ci_pem, ci_len);
	if (!dp->ci_pub) {
		crypto_ossl_err(err, errlen, "CI public key does not parse");
		rc = CR_EPARSE;
		goto fail;
	}
	if (eck_pub_to_raw(dp->ci_pub, dp->kpubci)) {
		rc = crypto_err(err, errlen, CR_ECURVE,
		                "CI key is not an EC key on a supported curve");
		goto fail;
	}
	sl = strlen(sig_b64);
	while (sl && (sig_b64[sl - 1] == '\n' || sig_b64[sl - 1] == '\r'))
		sl--;
	if (crypto_b64_decode(sig_b64, sl, dp->sig_kpubdp, ECK_SIG_LEN) != ECK_SIG_LEN) {
		rc = crypto_err(err, errlen, CR_EPARSE,
		                "SigKpubDP is not base64 of 64 bytes");
		goto fail;
	}
	if (eck_verify_raw(dp->ci_pub, dp->kpubdp, ECK_POINT_LEN, dp->sig_kpubdp)) {
		rc = crypto_err(err, errlen, CR_ESIGN,
		                "SigKpubDP does not verify with the CI key over KpubDP");
		goto fail;
	}
	dp->store = X509_STORE_new();
	b = BIO_new_mem_buf(cm_roots_pem, (int)cm_roots_len);
	if (!dp->store || !b) {
		rc = crypto_err(err, errlen, CR_ENOMEM, "DP trust: out of memory");
		goto fail;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		int ok = X509_STORE_add_cert(dp->store, x);
		X509_free(x);
		if (!ok) {
			rc = crypto_ossl_err(err, errlen, "CM root");
			goto fail;
		}
		nroots++;
	}
	ERR_clear_error(); /* the loop ends with a "no start line" */
	if (!nroots) {
		rc = crypto_err(err, errlen, CR_EPARSE,
		                "no CM root certificate in the PEM text");
		goto fail;
	}
	X509_STORE_set_flags(dp->store, X509_V_FLAG_X509_STRICT);
	/* What every build needs, prepared once. */
	dp->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!dp->sha256) {
		rc = crypto_ossl_err(err, errlen, "fetching SHA256");
		goto fail;
	}
	if ((rc = sym_algs_fetch(&dp->algs, err, errlen)))
		goto fail;
	for (size_t i = 0; i < NCURVES; i++)
		if ((rc = eck_params_new(nusim_curves[i], &dp->params[i], err, errlen)))
			goto fail;
	BIO_free(b);
	*out = dp;
	return CR_OK;
fail:
	BIO_free(b);
	pkg_dp_free(dp);
	return rc;
}

const char *pkg_dp_curve(const pkg_dp *dp)
{
	return dp ? dp->curve : NULL;
}

/* X509_V_ERR_* to this library's codes: each refusal keeps its own code. */
static int map_verify_error(int e)
{
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return CR_ECERT_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return CR_ECERT_NOTYET;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		return CR_ECERT_SELFSIGNED;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED:
		return CR_ECERT_UNTRUSTED;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
		return CR_ECERT_SIGNATURE;
	default:
		return CR_ECERT_INVALID;
	}
}

/* ASN1_TIME to seconds since the epoch; -1 when it does not convert. */
static time_t asn1_time_t(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return (time_t)-1;
	return timegm(&tm);
}

/* The window in which every certificate of the verified chain is valid. */
static int chain_window(X509_STORE_CTX *ctx, time_t *nb, time_t *na)
{
	STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
	int n = chain ? sk_X509_num(chain) : 0;
	if (n <= 0)
		return -1;
	*nb = 0;
	*na = (time_t)-1;
	for (int i = 0; i < n; i++) {
		X509 *c = sk_X509_value(chain, i);
		time_t b = asn1_time_t(X509_get0_notBefore(c));
		time_t a = asn1_time_t(X509_get0_notAfter(c));
		if (b == (time_t)-1 || a == (time_t)-1)
			return -1;
		if (b > *nb)
			*nb = b;
		if (*na == (time_t)-1 || a < *na)
			*na = a;
	}
	return 0;
}

/* Checks the certificate; on success, when nu is not NULL, fills it (its
 * key is then nu's). */
static int cert_check(const pkg_dp *dp, const uint8_t *der, size_t n,
                      const char *eid, pkg_nusim *nu, char *err, size_t errlen)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	X509_STORE_CTX *ctx = NULL;
	const X509_NAME *subj;
	const ASN1_STRING *sn;
	char curve[32];
	int rc, idx;
	if (!dp)
		return crypto_err(err, errlen, CR_EINVAL, "certificate check: no DP handle");
	if (!pkg_eid_valid(eid))
		return crypto_err(err, errlen, CR_EEID, "EID is not 32 digits");
	if (!der || n == 0 || n > 0x7fffffff ||
	    !(x = d2i_X509(NULL, &p, (long)n)) || p != der + n) {
		rc = crypto_err(err, errlen, CR_ECERT_PARSE,
		                "nuSIM certificate of EID %s is not one DER X.509 "
		                "certificate", eid);
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || X509_STORE_CTX_init(ctx, dp->store, x, NULL) != 1) {
		rc = crypto_ossl_err(err, errlen, "certificate check");
		goto out;
	}
	if (X509_verify_cert(ctx) != 1) {
		int e = X509_STORE_CTX_get_error(ctx);
		rc = crypto_err(err, errlen, map_verify_error(e),
		                "nuSIM certificate of EID %s refused: %s (depth %d)",
		                eid, X509_verify_cert_error_string(e),
		                X509_STORE_CTX_get_error_depth(ctx));
		goto out;
	}
	if (eck_key_curve(X509_get0_pubkey(x), curve, sizeof curve)) {
		rc = crypto_err(err, errlen, CR_ECURVE,
		                "nuSIM certificate of EID %s: key is not EC on "
		                "brainpoolP256r1 or prime256v1", eid);
		goto out;
	}
	/* Exactly one serialNumber, equal to the EID. */
	subj = X509_get_subject_name(x);
	idx = X509_NAME_get_index_by_NID(subj, NID_serialNumber, -1);
	sn = idx >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, idx)) : NULL;
	if (!sn || X509_NAME_get_index_by_NID(subj, NID_serialNumber, idx) >= 0 ||
	    ASN1_STRING_length(sn) != EID_LEN ||
	    memcmp(ASN1_STRING_get0_data(sn), eid, EID_LEN)) {
		rc = crypto_err(err, errlen, CR_ECERT_EID,
		                "nuSIM certificate subject serialNumber is not the "
		                "EID %s", eid);
		goto out;
	}
	if (nu) {
		nu->curve = 0;
		while (nu->curve < NCURVES && strcmp(nusim_curves[nu->curve], curve))
			nu->curve++;
		if (nu->curve == NCURVES) { /* eck_key_curve said supported */
			rc = crypto_err(err, errlen, CR_ECURVE, "curve %s", curve);
			goto out;
		}
		if (chain_window(ctx, &nu->not_before, &nu->not_after)) {
			rc = crypto_err(err, errlen, CR_ECERT_INVALID,
			                "nuSIM certificate of EID %s: validity dates "
			                "do not convert", eid);
			goto out;
		}
		nu->pub = X509_get_pubkey(x);
		if (!nu->pub) {
			rc = crypto_ossl_err(err, errlen, "nuSIM certificate key");
			goto out;
		}
		nu->dp = dp;
		memcpy(nu->eid, eid, EID_LEN + 1);
	}
	rc = CR_OK;
out:
	X509_STORE_CTX_free(ctx);
	X509_free(x);
	return rc;
}

int pkg_cert_check(const pkg_dp *dp, const uint8_t *der, size_t n,
                   const char *eid, char *err, size_t errlen)
{
	return cert_check(dp, der, n, eid, NULL, err, errlen);
}

void pkg_nusim_free(pkg_nusim *nu)
{
	if (!nu)
		return;
	EVP_PKEY_free(nu->pub);
	OPENSSL_cleanse(nu, sizeof *nu);
	free(nu);
}

int pkg_nusim_from_cert(const pkg_dp *dp, const uint8_t *der, size_t n,
                        const char *eid, pkg_nusim **out, char *err,
                        size_t errlen)
{
	pkg_nusim *nu;
	int rc;
	if (!out)
		return crypto_err(err, errlen, CR_EINVAL, "nuSIM handle: no output");
	*out = NULL;
	nu = calloc(1, sizeof *nu);
	if (!nu)
		return crypto_err(err, errlen, CR_ENOMEM, "nuSIM handle: out of memory");
	rc = cert_check(dp, der, n, eid, nu, err, errlen);
	if (rc) {
		pkg_nusim_free(nu);
		return rc;
	}
	*out = nu;
	return CR_OK;
}

const char *pkg_nusim_eid(const pkg_nusim *nu)
{
	return nu ? nu->eid : NULL;
}

const char *pkg_nusim_curve(const pkg_nusim *nu)
{
	return nu ? nusim_curves[nu->curve] : NULL;
}

int64_t pkg_nusim_not_after(const pkg_nusim *nu)
{
	return nu ? (int64_t)nu->not_after : 0;
}

/* The device would answer 7 to a bad container: refuse it here. */
static int check_profile(const uint8_t *profile, size_t len, char *err,
                         size_t errlen)
{
	struct profile *chk;
	int rc;
	if (!profile || len == 0 || len > PROFILE_MAX)
		return crypto_err(err, errlen, CR_EINVAL,
		                  "package: profile must be 1-%d bytes", PROFILE_MAX);
	chk = malloc(sizeof *chk);
	if (!chk)
		return crypto_err(err, errlen, CR_ENOMEM, "package: out of memory");
	rc = profile_decode(profile, len, chk, err, errlen);
	profile_clear(chk);
	free(chk);
	return rc;
}

/* Steps 2-4 for a verified nuSIM and a checked profile. */
static int build(const pkg_dp *dp, const pkg_nusim *nu, const uint8_t *profile,
                 size_t profile_len, pkg_507 *out, char *err, size_t errlen)
{
	EVP_PKEY *ek = NULL;
	uint8_t ekpub[ECK_POINT_LEN], sigek[ECK_SIG_LEN], z[ECK_Z_LEN], k[K_LEN];
	uint8_t si[SI_LEN], mac[16], *encp = NULL;
	size_t elen = 0;
	time_t now = time(NULL);
	int rc;
	/* The chain was valid when checked; a handle kept longer than the
	 * chain's validity is refused as pkg_cert_check would refuse it. */
	if (now > nu->not_after)
		return crypto_err(err, errlen, CR_ECERT_EXPIRED,
		                  "nuSIM certificate of EID %s refused: certificate "
		                  "has expired (since it was checked)", nu->eid);
	if (now < nu->not_before)
		return crypto_err(err, errlen, CR_ECERT_NOTYET,
		                  "nuSIM certificate of EID %s refused: certificate "
		                  "is not yet valid", nu->eid);
	if ((rc = eck_generate_from(dp->params[nu->curve], &ek, err, errlen)) ||
	    (rc = eck_pub_to_raw(ek, ekpub)) != CR_OK)
		goto out;
	if ((rc = eck_sign_raw_md(dp->dp_key, dp->sha256, ekpub, sizeof ekpub,
	                          sigek, err, errlen)))
		goto out;
	if ((rc = eck_ecdh(ek, nu->pub, z, err, errlen)))
		goto out;
	shared_info(nu->eid, ekpub, si);
	if ((rc = sym_x963kdf_sha256_ex(&dp->algs, z, sizeof z, si, sizeof si, k,
	                                K_LEN, err, errlen)))
		goto out;
	elen = sym_cbc_m2_len(profile_len);
	encp = malloc(elen);
	if (!encp) {
		rc = crypto_err(err, errlen, CR_ENOMEM, "package: out of memory");
		goto out;
	}
	if ((rc = sym_cbc_m2_encrypt_ex(&dp->algs, k, k + 32, profile, profile_len,
	                                encp, err, errlen)) ||
	    (rc = sym_cmac_aes128_ex(&dp->algs, k + 16, ekpub, sizeof ekpub, encp,
	                             elen, mac, err, errlen)))
		goto out;
	out->res[PKG_RES_ENCP] = b64_dup(encp, elen);
	out->res[PKG_RES_MAC] = malloc(33);
	if (out->res[PKG_RES_MAC])
		crypto_hex_encode(mac, sizeof mac, out->res[PKG_RES_MAC]);
	out->res[PKG_RES_EKPUBDP] = b64_dup(ekpub, sizeof ekpub);
	out->res[PKG_RES_SIGEKPUBDP] = b64_dup(sigek, sizeof sigek);
	out->res[PKG_RES_KPUBDP] = b64_dup(dp->kpubdp, sizeof dp->kpubdp);
	out->res[PKG_RES_SIGKPUBDP] = b64_dup(dp->sig_kpubdp, sizeof dp->sig_kpubdp);
	out->res[PKG_RES_KPUBCI] = b64_dup(dp->kpubci, sizeof dp->kpubci);
	for (int i = 0; i < PKG_NRES; i++)
		if (!out->res[i]) {
			pkg_507_free(out);
			rc = crypto_err(err, errlen, CR_ENOMEM, "package: out of memory");
			goto out;
		}
	rc = CR_OK;
out:
	OPENSSL_cleanse(z, sizeof z);
	OPENSSL_cleanse(k, sizeof k);
	free(encp); /* ciphertext only */
	EVP_PKEY_free(ek); /* clears the ephemeral private key */
	return rc;
}

int pkg_build_for(const pkg_dp *dp, const pkg_nusim *nu, const uint8_t *profile,
                  size_t profile_len, pkg_507 *out, char *err, size_t errlen)
{
	int rc;
	memset(out, 0, sizeof *out);
	if (!dp || !nu)
		return crypto_err(err, errlen, CR_EINVAL, "package: no DP or nuSIM handle");
	if (nu->dp != dp)
		return crypto_err(err, errlen, CR_EINVAL,
		                  "package: nuSIM handle of EID %s was checked with "
		                  "another DP handle", nu->eid);
	if ((rc = check_profile(profile, profile_len, err, errlen)))
		return rc;
	return build(dp, nu, profile, profile_len, out, err, errlen);
}

int pkg_build(const pkg_dp *dp, const uint8_t *cert_der, size_t cert_len,
              const char *eid, const uint8_t *profile, size_t profile_len,
              pkg_507 *out, char *err, size_t errlen)
{
	pkg_nusim *nu = NULL;
	int rc;
	memset(out, 0, sizeof *out);
	if (!dp)
		return crypto_err(err, errlen, CR_EINVAL, "package: no DP handle");
	/* The profile first, then the certificate: the order callers know. */
	if ((rc = check_profile(profile, profile_len, err, errlen)) ||
	    (rc = pkg_nusim_from_cert(dp, cert_der, cert_len, eid, &nu, err, errlen)))
		return rc;
	rc = build(dp, nu, profile, profile_len, out, err, errlen);
	pkg_nusim_free(nu);
	return rc;
}

void pkg_sim_free(pkg_sim *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	EVP_PKEY_free(s->ci_pub);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

int pkg_sim_from_pem(const char *key_pem, size_t key_len, const char *ci_pem,
                     size_t ci_len, const char *eid, pkg_sim **out, char *err,
                     size_t errlen)
{
	pkg_sim *s;
	int rc;
	*out = NULL;
	if (!key_pem || !ci_pem || key_len > 0x7fffffff || ci_len > 0x7fffffff)
		return crypto_err(err, errlen, CR_EINVAL, "nuSIM: missing input");
	if (!pkg_eid_valid(eid))
		return crypto_err(err, errlen, CR_EEID, "nuSIM: EID is not 32 digits");
	s = calloc(1, sizeof *s);
	if (!s)
		return crypto_err(err, errlen, CR_ENOMEM, "nuSIM: out of memory");
	memcpy(s->eid, eid, EID_LEN + 1);
	s->key = priv_from_pem(key_pem, key_len);
	if (!s->key) {
		crypto_ossl_err(err, errlen, "nuSIM private key does not parse");
		rc = CR_EPARSE;
		goto fail;
	}
	if (eck_key_curve(s->key, s->curve, sizeof s->curve)) {
		rc = crypto_err(err, errlen, CR_ECURVE,
		                "nuSIM key is not EC on a supported curve");
		goto fail;
	}
	s->ci_pub = pub_from_pem(ci_pem, ci_len);
	if (!s->ci_pub) {
		crypto_ossl_err(err, errlen, "CI public key does not parse");
		rc = CR_EPARSE;
		goto fail;
	}
	if (eck_key_curve(s->ci_pub, s->ci_curve, sizeof s->ci_curve) ||
	    eck_pub_to_raw(s->ci_pub, s->kpubci)) {
		rc = crypto_err(err, errlen, CR_ECURVE,
		                "CI key is not EC on a supported curve");
		goto fail;
	}
	*out = s;
	return CR_OK;
fail:
	pkg_sim_free(s);
	return rc;
}

/* Decodes resource r as base64 of exactly n bytes. */
static int res_b64(const char *const res[PKG_NRES], int r, uint8_t *buf, size_t n)
{
	return crypto_b64_decode(res[r], strlen(res[r]), buf, n) == (long)n ? 0 : -1;
}

#define FAIL(code, ...)                                                  \
	do {                                                             \
		result = (code);                                         \
		crypto_err(err, errlen, 0, __VA_ARGS__);                 \
		goto out;                                                \
	} while (0)

int pkg_open(const pkg_sim *s, const char *const res[PKG_NRES],
             struct profile *out, char *err, size_t errlen)
{
	static const char *const names[PKG_NRES] = {
		"encP", "mac", "eKpubDP", "SigEKpubDP", "KpubDP", "SigKpubDP", "KpubCI"
	};
	uint8_t kpubci[ECK_POINT_LEN], kpubdp[ECK_POINT_LEN], sigdp[ECK_SIG_LEN];
	uint8_t ekpub[ECK_POINT_LEN], sigek[ECK_SIG_LEN], z[ECK_Z_LEN], k[K_LEN];
	uint8_t mac[16], want[16], *encp = NULL, *plain = NULL;
	EVP_PKEY *dpk = NULL, *ek = NULL;
	size_t elen = 0, plen = 0;
	long el;
	int result = PKG_NOT_SUCCESSFUL;
	char why[160];
	profile_clear(out);
	if (!s)
		FAIL(PKG_NOT_SUCCESSFUL, "nuSIM not set up");
	for (int i = 0; i < PKG_NRES; i++)
		if (!res[i] || !res[i][0])
			FAIL(PKG_INSTANCE_INCOMPLETE, "507 resource %d (%s) missing", i,
			     names[i]);
	/* 1. KpubCI must be the key this nuSIM trusts. */
	if (res_b64(res, PKG_RES_KPUBCI, kpubci, sizeof kpubci) ||
	    CRYPTO_memcmp(kpubci, s->kpubci, sizeof kpubci))
		FAIL(PKG_KPUBCI_UNTRUSTED, "KpubCI is not the trusted CI key");
	/* 2. SigKpubDP: CI's signature over the 65-byte KpubDP. */
	if (res_b64(res, PKG_RES_KPUBDP, kpubdp, sizeof kpubdp))
		FAIL(PKG_DOES_NOT_PARSE, "KpubDP is not base64 of 65 bytes");
	if (res_b64(res, PKG_RES_SIGKPUBDP, sigdp, sizeof sigdp))
		FAIL(PKG_DOES_NOT_PARSE, "SigKpubDP is not base64 of 64 bytes");
	if (eck_verify_raw(s->ci_pub, kpubdp, sizeof kpubdp, sigdp))
		FAIL(PKG_SIGKPUBDP_INVALID, "SigKpubDP does not verify with KpubCI");
	/* 3. SigEKpubDP: DP's signature over the 65-byte eKpubDP. */
	if (res_b64(res, PKG_RES_EKPUBDP, ekpub, sizeof ekpub))
		FAIL(PKG_DOES_NOT_PARSE, "eKpubDP is not base64 of 65 bytes");
	if (res_b64(res, PKG_RES_SIGEKPUBDP, sigek, sizeof sigek))
		FAIL(PKG_DOES_NOT_PARSE, "SigEKpubDP is not base64 of 64 bytes");
	if (eck_pub_from_raw(s->ci_curve, kpubdp, &dpk))
		FAIL(PKG_DOES_NOT_PARSE, "KpubDP is not a point on %s", s->ci_curve);
	if (eck_verify_raw(dpk, ekpub, sizeof ekpub, sigek))
		FAIL(PKG_SIGEKPUBDP_INVALID, "SigEKpubDP does not verify with KpubDP");
	/* 4. Keys, then the MAC, constant-time, before any decryption. */
	if (eck_pub_from_raw(s->curve, ekpub, &ek))
		FAIL(PKG_DOES_NOT_PARSE, "eKpubDP is not a point on %s", s->curve);
	if (crypto_hex_decode(res[PKG_RES_MAC], strlen(res[PKG_RES_MAC]), mac,
	                      sizeof mac))
		FAIL(PKG_DOES_NOT_PARSE, "mac is not 32 hex digits");
	encp = malloc(ENCP_MAX);
	plain = malloc(ENCP_MAX);
	if (!encp || !plain)
		FAIL(PKG_NOT_SUCCESSFUL, "nuSIM: out of memory");
	el = crypto_b64_decode(res[PKG_RES_ENCP], strlen(res[PKG_RES_ENCP]), encp,
	                       ENCP_MAX);
	if (el <= 0 || el % 16)
		FAIL(PKG_DOES_NOT_PARSE, "encP is not base64 of 16-%d bytes in "
		     "whole blocks", ENCP_MAX);
	elen = (size_t)el;
	if (eck_ecdh(s->key, ek, z, why, sizeof why) ||
	    derive(z, s->eid, ekpub, k, why, sizeof why))
		FAIL(PKG_DOES_NOT_PARSE, "key agreement: %s", why);
	if (sym_cmac_aes128(k + 16, ekpub, sizeof ekpub, encp, elen, want, why,
	                    sizeof why))
		FAIL(PKG_NOT_SUCCESSFUL, "%s", why);
	if (CRYPTO_memcmp(mac, want, sizeof mac))
		FAIL(PKG_MAC_FAILED, "MAC check failed");
	/* 5. Decrypt, unpad, parse. */
	if (sym_cbc_m2_decrypt(k, k + 32, encp, elen, plain, &plen, why, sizeof why))
		FAIL(PKG_DOES_NOT_PARSE, "encP: %s", why);
	if (profile_decode(plain, plen, out, why, sizeof why))
		FAIL(PKG_DOES_NOT_PARSE, "%s", why);
	result = PKG_OK;
	if (err && errlen)
		err[0] = '\0';
out:
	OPENSSL_cleanse(z, sizeof z);
	OPENSSL_cleanse(k, sizeof k);
	if (plain)
		OPENSSL_cleanse(plain, ENCP_MAX);
	free(plain);
	free(encp);
	EVP_PKEY_free(dpk);
	EVP_PKEY_free(ek);
	return result;
}
