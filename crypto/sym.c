/*
 * sym.c: X9.63 KDF, AES-CMAC and AES-128-CBC with ISO/IEC 9797-1 method 2
 * padding (sym.h), through EVP_KDF, EVP_MAC and EVP_CIPHER. OpenSSL's own
 * PKCS#7 padding is switched off: the padding here is the scheme's.
 * The _ex forms use algorithms fetched once (sym_algs).
 */
#include "crypto/sym.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto/cerr.h"

int sym_algs_fetch(sym_algs *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	a->x963 = EVP_KDF_fetch(NULL, "X963KDF", NULL);
	a->cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	a->aes128cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	if (!a->x963 || !a->cmac || !a->aes128cbc) {
		sym_algs_free(a);
		return crypto_ossl_err(err, errlen, "fetching X963KDF, CMAC, AES-128-CBC");
	}
	return CR_OK;
}

void sym_algs_free(sym_algs *a)
{
	if (!a)
		return;
	EVP_KDF_free(a->x963);
	EVP_MAC_free(a->cmac);
	EVP_CIPHER_free(a->aes128cbc);
	memset(a, 0, sizeof *a);
}

int sym_x963kdf_sha256_ex(const sym_algs *a, const uint8_t *z, size_t zlen,
                          const uint8_t *info, size_t infolen, uint8_t *out,
                          size_t outlen, char *err, size_t errlen)
{
	EVP_KDF *own = a ? NULL : EVP_KDF_fetch(NULL, "X963KDF", NULL);
	EVP_KDF *kdf = a ? a->x963 : own;
	EVP_KDF_CTX *c = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[4], *q = p;
	int rc = CR_OK;
	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, zlen);
	if (infolen)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		                                         (void *)info, infolen);
	*q = OSSL_PARAM_construct_end();
	if (!c || EVP_KDF_derive(c, out, outlen, p) != 1)
		rc = crypto_ossl_err(err, errlen, "X9.63 KDF");
	EVP_KDF_CTX_free(c); /* wipes the key copy it holds */
	EVP_KDF_free(own);
	return rc;
}

int sym_x963kdf_sha256(const uint8_t *z, size_t zlen, const uint8_t *info,
                       size_t infolen, uint8_t *out, size_t outlen, char *err,
                       size_t errlen)
{
	return sym_x963kdf_sha256_ex(NULL, z, zlen, info, infolen, out, outlen,
	                             err, errlen);
}

int sym_cmac_aes128_ex(const sym_algs *a, const uint8_t key[16],
                       const uint8_t *a1, size_t an, const uint8_t *b,
                       size_t bn, uint8_t mac[16], char *err, size_t errlen)
{
	EVP_MAC *own = a ? NULL : EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC *m = a ? a->cmac : own;
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM p[2];
	size_t len = 0;
	int rc = CR_OK;
	/* CMAC takes its cipher by name only (OpenSSL 3.0). */
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
	                                        "AES-128-CBC", 0);
	p[1] = OSSL_PARAM_construct_end();
	if (!c || EVP_MAC_init(c, key, 16, p) != 1 ||
	    (an && EVP_MAC_update(c, a1, an) != 1) ||
	    (bn && EVP_MAC_update(c, b, bn) != 1) ||
	    EVP_MAC_final(c, mac, &len, 16) != 1 || len != 16)
		rc = crypto_ossl_err(err, errlen, "AES-CMAC");
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(own);
	return rc;
}

int sym_cmac_aes128(const uint8_t key[16], const uint8_t *a, size_t an,
                    const uint8_t *b, size_t bn, uint8_t mac[16], char *err,
                    size_t errlen)
{
	return sym_cmac_aes128_ex(NULL, key, a, an, b, bn, mac, err, errlen);
}

size_t sym_cbc_m2_len(size_t n)
{
	return (n / 16 + 1) * 16;
}

/* One pass of AES-128-CBC without OpenSSL padding; n a multiple of 16.
 * ciph NULL: the built-in lookup, which fetches on every init. */
static int cbc(const EVP_CIPHER *ciph, int enc, const uint8_t key[16],
               const uint8_t iv[16], const uint8_t *in, size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok;
	ok = c && n <= 0x7fffffff &&
	     EVP_CipherInit_ex2(c, ciph ? ciph : EVP_aes_128_cbc(), key, iv, enc,
	                        NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	     EVP_CipherUpdate(c, out, &l1, in, (int)n) == 1 &&
	     EVP_CipherFinal_ex(c, out + l1, &l2) == 1 && (size_t)(l1 + l2) == n;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int sym_cbc_m2_encrypt_ex(const sym_algs *a, const uint8_t key[16],
                          const uint8_t iv[16], const uint8_t *in, size_t n,
                          uint8_t *out, char *err, size_t errlen)
{
	size_t tot = sym_cbc_m2_len(n);
	/* Pad in place in out, then encrypt in place: CBC allows out == in. */
	if (n)
		memmove(out, in, n);
	out[n] = 0x80;
	memset(out + n + 1, 0, tot - n - 1);
	if (cbc(a ? a->aes128cbc : NULL, 1, key, iv, out, tot, out) < 0) {
		OPENSSL_cleanse(out, tot);
		return crypto_ossl_err(err, errlen, "AES-128-CBC encrypt");
	}
	return CR_OK;
}

int sym_cbc_m2_encrypt(const uint8_t key[16], const uint8_t iv[16],
                       const uint8_t *in, size_t n, uint8_t *out, char *err,
                       size_t errlen)
{
	return sym_cbc_m2_encrypt_ex(NULL, key, iv, in, n, out, err, errlen);
}

int sym_cbc_m2_decrypt(const uint8_t key[16], const uint8_t iv[16],
                       const uint8_t *in, size_t n, uint8_t *out,
                       size_t *outlen, char *err, size_t errlen)
{
	size_t i;
	*outlen = 0;
	if (n == 0 || n % 16)
		return crypto_err(err, errlen, CR_EPARSE,
		                  "ciphertext length %zu is not a non-zero multiple of 16", n);
	if (cbc(NULL, 0, key, iv, in, n, out) < 0) {
		OPENSSL_cleanse(out, n);
		return crypto_ossl_err(err, errlen, "AES-128-CBC decrypt");
	}
	/* Method 2: strip zeros, then exactly one 0x80, within the last block. */
	for (i = n; i > n - 16 && out[i - 1] == 0x00; i--)
		;
	if (i == n - 16 || out[i - 1] != 0x80) {
		OPENSSL_cleanse(out, n);
		return crypto_err(err, errlen, CR_EPARSE, "bad padding");
	}
	*outlen = i - 1;
	OPENSSL_cleanse(out + i - 1, n - (i - 1));
	return CR_OK;
}
