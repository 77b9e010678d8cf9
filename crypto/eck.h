/*
 * eck.h: the elliptic-curve operations of the profile-package scheme on
 * OpenSSL 3 EVP keys: raw uncompressed points (04||X||Y, 65 bytes) to and
 * from keys with on-curve validation, ECDSA-SHA256 with raw r||s signatures
 * (64 bytes), key generation, and ECDH giving the 32-byte x-coordinate.
 * Supported curves: brainpoolP256r1 (the nuSIM default) and prime256v1.
 * All functions are reentrant; keys passed in are only read.
 *
 * For callers that make many keys and signatures (the package builder),
 * eck_params_new prepares a curve's domain parameters once and
 * eck_generate_from makes keys from them, and eck_sign_raw_md signs with a
 * SHA-256 fetched once: the same results without the per-call name
 * lookups. Prepared parameters and fetched digests are safe to share
 * read-only between threads; every context is made per call.
 */
#ifndef CRYPTO_ECK_H
#define CRYPTO_ECK_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define ECK_POINT_LEN 65
#define ECK_SIG_LEN 64
#define ECK_Z_LEN 32
#define ECK_CURVE_DEFAULT "brainpoolP256r1"

/* The canonical name when `name` is a supported curve, else NULL. */
const char *eck_curve_supported(const char *name);
/* Name of k's curve into name (cap bytes): CR_OK, or CR_ECURVE when k is
 * not an EC key on a supported curve. */
int eck_key_curve(const EVP_PKEY *k, char *name, size_t cap);
/* Public key from a raw point on `curve`; CR_EPOINT when it is not a valid
 * uncompressed point on the curve. *out is the caller's (EVP_PKEY_free). */
int eck_pub_from_raw(const char *curve, const uint8_t pt[ECK_POINT_LEN],
                     EVP_PKEY **out);
/* Raw uncompressed public point of k. CR_OK or CR_ECURVE. */
int eck_pub_to_raw(const EVP_PKEY *k, uint8_t pt[ECK_POINT_LEN]);
/* A fresh key pair on `curve`. *out is the caller's. */
int eck_generate(const char *curve, EVP_PKEY **out, char *err, size_t errlen);
/* ECDSA-SHA256 over msg, as raw r||s. */
int eck_sign_raw(EVP_PKEY *priv, const uint8_t *msg, size_t n,
                 uint8_t sig[ECK_SIG_LEN], char *err, size_t errlen);
/* CR_OK when sig (raw r||s) is a valid ECDSA-SHA256 by pub over msg, else
 * CR_ESIGN. */
int eck_verify_raw(EVP_PKEY *pub, const uint8_t *msg, size_t n,
                   const uint8_t sig[ECK_SIG_LEN]);
/* Z = x-coordinate of priv * peer, with peer validation. The caller wipes z. */
int eck_ecdh(EVP_PKEY *priv, EVP_PKEY *peer, uint8_t z[ECK_Z_LEN], char *err,
             size_t errlen);

/* Domain parameters of `curve` (no key) for eck_generate_from; *out is the
 * caller's. CR_OK, CR_ECURVE or CR_EOPENSSL. */
int eck_params_new(const char *curve, EVP_PKEY **out, char *err, size_t errlen);
/* A fresh key pair on the curve of params (eck_params_new). */
int eck_generate_from(EVP_PKEY *params, EVP_PKEY **out, char *err,
                      size_t errlen);
/* eck_sign_raw with sha256 an EVP_MD_fetch'ed "SHA256": hashes msg, then
 * signs the digest. Same signatures (ECDSA-SHA256, raw r||s). */
int eck_sign_raw_md(EVP_PKEY *priv, const EVP_MD *sha256, const uint8_t *msg,
                    size_t n, uint8_t sig[ECK_SIG_LEN], char *err,
                    size_t errlen);

#endif
