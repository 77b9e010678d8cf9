/*
 * eck.c: EC keys, ECDSA raw signatures and ECDH on OpenSSL 3 EVP (eck.h).
 * OpenSSL speaks DER signatures; the nuSIM loader speaks raw r||s, so the
 * conversion through ECDSA_SIG lives here, once.
 */
#include "crypto/eck.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "crypto/cerr.h"

static const char *const curves[] = { "brainpoolP256r1", "prime256v1" };

const char *eck_curve_supported(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof curves / sizeof curves[0]; i++)
		if (!strcmp(name, curves[i]))
			return curves[i];
	/* OpenSSL also calls P-256 by its NIST name. */
	if (!strcmp(name, "P-256") || !strcmp(name, "secp256r1"))
		return curves[1];
	return NULL;
}

int eck_key_curve(const EVP_PKEY *k, char *name, size_t cap)
{
	char buf[64];
	const char *c;
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, buf,
	                                    sizeof buf, NULL) ||
	    !(c = eck_curve_supported(buf)) || strlen(c) >= cap) {
		ERR_clear_error();
		return CR_ECURVE;
	}
	strcpy(name, c);
	return CR_OK;
}

int eck_pub_from_raw(const char *curve, const uint8_t pt[ECK_POINT_LEN],
                     EVP_PKEY **out)
{
	EVP_PKEY_CTX *pc = NULL, *cc = NULL;
	EVP_PKEY *k = NULL;
	OSSL_PARAM p[3];
	int rc = CR_EPOINT;
	*out = NULL;
	curve = eck_curve_supported(curve);
	if (!curve)
		return CR_ECURVE;
	if (pt[0] != 0x04) /* only the uncompressed form is allowed */
		return CR_EPOINT;
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                        (char *)curve, 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                         (void *)pt, ECK_POINT_LEN);
	p[2] = OSSL_PARAM_construct_end();
	pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &k, EVP_PKEY_PUBLIC_KEY, p) != 1)
		goto out;
	/* Decoding checks the curve equation; check range and not-infinity
	 * too. Both curves have cofactor 1, so every such point has the group
	 * order and the costly full check (n*Q == O) adds nothing. */
	cc = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	if (!cc || EVP_PKEY_public_check_quick(cc) != 1)
		goto out;
	*out = k;
	k = NULL;
	rc = CR_OK;
out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_CTX_free(cc);
	return rc;
}

int eck_pub_to_raw(const EVP_PKEY *k, uint8_t pt[ECK_POINT_LEN])
{
	size_t len = 0;
	char name[32];
	if (eck_key_curve(k, name, sizeof name) != CR_OK ||
	    !EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt,
	                                     ECK_POINT_LEN, &len) ||
	    len != ECK_POINT_LEN || pt[0] != 0x04) {
		ERR_clear_error();
		return CR_ECURVE;
	}
	return CR_OK;
}

int eck_generate(const char *curve, EVP_PKEY **out, char *err, size_t errlen)
{
	const char *c = eck_curve_supported(curve);
	if (!c)
		return crypto_err(err, errlen, CR_ECURVE, "unsupported curve %s",
		                  curve ? curve : "(null)");
	*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", c);
	if (!*out)
		return crypto_ossl_err(err, errlen, "EC key generation");
	return CR_OK;
}

int eck_params_new(const char *curve, EVP_PKEY **out, char *err, size_t errlen)
{
	const char *c = eck_curve_supported(curve);
	EVP_PKEY_CTX *pc = NULL;
	OSSL_PARAM p[2];
	int rc = CR_OK;
	*out = NULL;
	if (!c)
		return crypto_err(err, errlen, CR_ECURVE, "unsupported curve %s",
		                  curve ? curve : "(null)");
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                        (char *)c, 0);
	p[1] = OSSL_PARAM_construct_end();
	pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pc || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, out, EVP_PKEY_KEY_PARAMETERS, p) != 1)
		rc = crypto_ossl_err(err, errlen, "EC domain parameters");
	EVP_PKEY_CTX_free(pc);
	return rc;
}

int eck_generate_from(EVP_PKEY *params, EVP_PKEY **out, char *err,
                      size_t errlen)
{
	/* A context per call: keygen changes it, params are only read. */
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
	int rc = CR_OK;
	*out = NULL;
	if (!c || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_keygen(c, out) != 1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		rc = crypto_ossl_err(err, errlen, "EC key generation");
	}
	EVP_PKEY_CTX_free(c);
	return rc;
}

/* OpenSSL's DER ECDSA-Sig-Value to the loader's raw r||s. */
static int der_to_raw(const uint8_t *der, size_t dlen, uint8_t sig[ECK_SIG_LEN],
                      char *err, size_t errlen)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	const BIGNUM *r, *sv;
	int rc = CR_OK;
	if (!s)
		return crypto_ossl_err(err, errlen, "ECDSA sign");
	ECDSA_SIG_get0(s, &r, &sv);
	if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(sv, sig + 32, 32) != 32)
		rc = crypto_ossl_err(err, errlen, "ECDSA sign: not a 256-bit curve");
	ECDSA_SIG_free(s);
	return rc;
}

int eck_sign_raw(EVP_PKEY *priv, const uint8_t *msg, size_t n,
                 uint8_t sig[ECK_SIG_LEN], char *err, size_t errlen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[80];
	size_t dlen = sizeof der;
	int rc;
	if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, priv,
	                                 NULL) != 1 ||
	    EVP_DigestSign(md, der, &dlen, msg, n) != 1)
		rc = crypto_ossl_err(err, errlen, "ECDSA sign");
	else
		rc = der_to_raw(der, dlen, sig, err, errlen);
	EVP_MD_CTX_free(md);
	return rc;
}

int eck_sign_raw_md(EVP_PKEY *priv, const EVP_MD *sha256, const uint8_t *msg,
                    size_t n, uint8_t sig[ECK_SIG_LEN], char *err,
                    size_t errlen)
{
	EVP_PKEY_CTX *c = NULL;
	uint8_t h[32], der[80];
	unsigned int hl = 0;
	size_t dlen = sizeof der;
	int rc;
	/* ECDSA with no digest set signs its input as the hash: H(msg) here,
	 * exactly what DigestSign with SHA-256 signs. */
	if (!sha256 || EVP_MD_get_size(sha256) != 32 ||
	    EVP_Digest(msg, n, h, &hl, sha256, NULL) != 1 || hl != 32 ||
	    !(c = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL)) ||
	    EVP_PKEY_sign_init(c) != 1 ||
	    EVP_PKEY_sign(c, der, &dlen, h, sizeof h) != 1)
		rc = crypto_ossl_err(err, errlen, "ECDSA sign");
	else
		rc = der_to_raw(der, dlen, sig, err, errlen);
	EVP_PKEY_CTX_free(c);
	return rc;
}

int eck_verify_raw(EVP_PKEY *pub, const uint8_t *msg, size_t n,
                   const uint8_t sig[ECK_SIG_LEN])
{
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *der = NULL;
	int dlen, rc = CR_ESIGN;
	if (!s || !r || !sv || !ECDSA_SIG_set0(s, r, sv)) {
		BN_free(r);
		BN_free(sv);
		goto out;
	}
	/* s owns r and sv now */
	dlen = i2d_ECDSA_SIG(s, &der);
	if (dlen <= 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (md && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pub,
	                                  NULL) == 1 &&
	    EVP_DigestVerify(md, der, (size_t)dlen, msg, n) == 1)
		rc = CR_OK;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(md);
	return rc;
}

int eck_ecdh(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t z[ECK_Z_LEN], char *err,
             size_t errlen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	size_t zlen = ECK_Z_LEN;
	int rc = CR_OK;
	/* Peer validation: on the curve, in range, not infinity (the quick
	 * check is complete for these cofactor-1 curves, see above); the
	 * curves must match too, which set_peer checks. */
	if (!c || !pc || EVP_PKEY_public_check_quick(pc) != 1 ||
	    EVP_PKEY_derive_init(c) != 1 ||
	    EVP_PKEY_derive_set_peer_ex(c, peer, 0) != 1) {
		rc = crypto_ossl_err(err, errlen, "ECDH peer key");
		if (rc == CR_EOPENSSL)
			rc = CR_EPOINT;
		goto out;
	}
	if (EVP_PKEY_derive(c, z, &zlen) != 1 || zlen != ECK_Z_LEN) {
		OPENSSL_cleanse(z, ECK_Z_LEN);
		rc = crypto_ossl_err(err, errlen, "ECDH");
	}
out:
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_CTX_free(pc);
	return rc;
}
