/*
 * sym.h: the symmetric primitives of the profile-package scheme (DESIGN §6
 * steps 3-4): X9.63 KDF with SHA-256, AES-CMAC, and AES-128-CBC with
 * ISO/IEC 9797-1 padding method 2 (0x80 then zeros, always at least one
 * byte). All reentrant; the caller wipes the keys it passes.
 *
 * Each primitive has an _ex form taking a sym_algs: the KDF, MAC and
 * cipher fetched once (OpenSSL 3 fetched objects are safe to share
 * read-only between threads), so a caller that builds many packages does
 * not look the algorithms up on every call. The plain forms fetch per call.
 */
#ifndef CRYPTO_SYM_H
#define CRYPTO_SYM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/kdf.h>

/* Fetched algorithms; read-only once filled, any number of threads. */
typedef struct sym_algs {
	EVP_KDF *x963;        /* "X963KDF" */
	EVP_MAC *cmac;        /* "CMAC" */
	EVP_CIPHER *aes128cbc; /* "AES-128-CBC" */
} sym_algs;
/* Fetches all three into *a (zeroed first). CR_OK or CR_EOPENSSL; on
 * failure *a holds nothing. */
int sym_algs_fetch(sym_algs *a, char *err, size_t errlen);
void sym_algs_free(sym_algs *a);

/* ANSI X9.63 KDF, SHA-256: out = H(Z‖1‖info) ‖ H(Z‖2‖info) ‖ …, outlen bytes. */
int sym_x963kdf_sha256(const uint8_t *z, size_t zlen, const uint8_t *info,
                       size_t infolen, uint8_t *out, size_t outlen, char *err,
                       size_t errlen);
/* AES-CMAC (RFC 4493) of a ‖ b under a 16-byte key. */
int sym_cmac_aes128(const uint8_t key[16], const uint8_t *a, size_t an,
                    const uint8_t *b, size_t bn, uint8_t mac[16], char *err,
                    size_t errlen);
/* Length of the ciphertext of n bytes (n + padding, a multiple of 16). */
size_t sym_cbc_m2_len(size_t n);
/* AES-128-CBC of in ‖ 0x80 ‖ 0x00… into out (sym_cbc_m2_len(n) bytes). */
int sym_cbc_m2_encrypt(const uint8_t key[16], const uint8_t iv[16],
                       const uint8_t *in, size_t n, uint8_t *out, char *err,
                       size_t errlen);
/* Decrypts n bytes (a non-zero multiple of 16) into out (n bytes) and strips
 * the padding: *outlen is the plaintext length. CR_EPARSE on bad padding or
 * length; out is wiped then. */
int sym_cbc_m2_decrypt(const uint8_t key[16], const uint8_t iv[16],
                       const uint8_t *in, size_t n, uint8_t *out,
                       size_t *outlen, char *err, size_t errlen);

/* The same with fetched algorithms; a may be NULL (fetch per call). */
int sym_x963kdf_sha256_ex(const sym_algs *a, const uint8_t *z, size_t zlen,
                          const uint8_t *info, size_t infolen, uint8_t *out,
                          size_t outlen, char *err, size_t errlen);
int sym_cmac_aes128_ex(const sym_algs *a, const uint8_t key[16],
                       const uint8_t *a1, size_t an, const uint8_t *b,
                       size_t bn, uint8_t mac[16], char *err, size_t errlen);
int sym_cbc_m2_encrypt_ex(const sym_algs *a, const uint8_t key[16],
                          const uint8_t iv[16], const uint8_t *in, size_t n,
                          uint8_t *out, char *err, size_t errlen);

#endif
