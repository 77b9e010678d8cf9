/*
 * test_crypto_sym.c: known answers for the symmetric primitives of the
 * package scheme: X9.63 KDF SHA-256 (NIST CAVS ansx963_2001.rsp vectors,
 * plus a cross-check against an independent counter-mode implementation on
 * EVP_Digest), AES-CMAC (RFC 4493 examples 1-4), and AES-128-CBC with
 * ISO/IEC 9797-1 method 2 padding.
 */
#include <openssl/evp.h>

#include "crypto/cerr.h"
#include "crypto/sym.h"
#include "tests/unit/unit.h"

static uint8_t buf_a[512], buf_b[512], buf_c[512];

TEST(x963kdf_cavs_no_sharedinfo)
{
	uint8_t z[24], want[16], got[16];
	CHECK_EQ_INT(unit_unhex("96c05619d56c328ab95fe84b18264b08725b85e33fd34f08",
	                        z, sizeof z), 24);
	CHECK_EQ_INT(unit_unhex("443024c3dae66b95e6f5670601558f71", want,
	                        sizeof want), 16);
	CHECK_EQ_INT(sym_x963kdf_sha256(z, sizeof z, NULL, 0, got, sizeof got,
	                                NULL, 0), CR_OK);
	CHECK_EQ_MEM(got, want, 16);
}

TEST(x963kdf_cavs_with_sharedinfo)
{
	uint8_t z[24], si[16], want[128], got[128];
	CHECK_EQ_INT(unit_unhex("22518b10e70f2a3f243810ae3254139efbee04aa57c7af7d",
	                        z, sizeof z), 24);
	CHECK_EQ_INT(unit_unhex("75eef81aa3041e33b80971203d2c0c52", si, sizeof si), 16);
	CHECK_EQ_INT(unit_unhex(
		"c498af77161cc59f2962b9a713e2b215152d139766ce34a776df11866a69bf2e"
		"52a13d9c7c6fc878c50c5ea0bc7b00e0da2447cfd874f6cf92f30d0097111485"
		"500c90c3af8b487872d04685d14c8d1dc8d7fa08beb0ce0ababc11f0bd496269"
		"142d43525a78e5bc79a17f59676a5706dc54d54d4d1f0bd7e386128ec26afc21",
		want, sizeof want), 128);
	CHECK_EQ_INT(sym_x963kdf_sha256(z, sizeof z, si, sizeof si, got,
	                                sizeof got, NULL, 0), CR_OK);
	CHECK_EQ_MEM(got, want, 128);
}

/* X9.63 §5.6.3 by hand: K_i = SHA-256(Z ‖ counter_i (32-bit BE) ‖ info). */
static void x963_ref(const uint8_t *z, size_t zl, const uint8_t *info,
                     size_t il, uint8_t *out, size_t n)
{
	uint32_t ctr = 1;
	for (size_t o = 0; o < n; ctr++) {
		uint8_t in[256 + 4 + 256], h[32];
		unsigned hl;
		size_t k = 0;
		memcpy(in, z, zl);
		k = zl;
		in[k++] = (uint8_t)(ctr >> 24);
		in[k++] = (uint8_t)(ctr >> 16);
		in[k++] = (uint8_t)(ctr >> 8);
		in[k++] = (uint8_t)ctr;
		memcpy(in + k, info, il);
		k += il;
		EVP_Digest(in, k, h, &hl, EVP_sha256(), NULL);
		size_t take = n - o < 32 ? n - o : 32;
		memcpy(out + o, h, take);
		o += take;
	}
}

TEST(x963kdf_matches_reference_implementation)
{
	/* The scheme's own shape: Z 32 bytes, SharedInfo 94 bytes, 48 out. */
	for (int t = 0; t < 20; t++) {
		size_t zl = 32, il = (size_t)(t * 7) % 120, n = 48 + (size_t)t * 5;
		for (size_t i = 0; i < zl; i++)
			buf_a[i] = (uint8_t)(i * 31 + (size_t)t);
		for (size_t i = 0; i < il; i++)
			buf_b[i] = (uint8_t)(i * 17 + 3 * (size_t)t);
		x963_ref(buf_a, zl, buf_b, il, buf_c, n);
		uint8_t got[256];
		CHECK_EQ_INT(sym_x963kdf_sha256(buf_a, zl, buf_b, il, got, n, NULL, 0),
		             CR_OK);
		CHECK_EQ_MEM(got, buf_c, n);
	}
}

static const char *const cmac_msg =
	"6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
	"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

static int cmac_case(size_t mlen, const char *want_hex)
{
	uint8_t key[16], msg[64], want[16], got[16];
	unit_unhex("2b7e151628aed2a6abf7158809cf4f3c", key, sizeof key);
	unit_unhex(cmac_msg, msg, sizeof msg);
	unit_unhex(want_hex, want, sizeof want);
	if (sym_cmac_aes128(key, msg, mlen, NULL, 0, got, NULL, 0))
		return -1;
	if (memcmp(got, want, 16))
		return -2;
	/* Split across the two inputs: same MAC. */
	if (sym_cmac_aes128(key, msg, mlen / 3, msg + mlen / 3, mlen - mlen / 3,
	                    got, NULL, 0) || memcmp(got, want, 16))
		return -3;
	return 0;
}

TEST(cmac_rfc4493_example1_empty)
{
	CHECK_EQ_INT(cmac_case(0, "bb1d6929e95937287fa37d129b756746"), 0);
}

TEST(cmac_rfc4493_example2_16)
{
	CHECK_EQ_INT(cmac_case(16, "070a16b46b4d4144f79bdd9dd04a287c"), 0);
}

TEST(cmac_rfc4493_example3_40)
{
	CHECK_EQ_INT(cmac_case(40, "dfa66747de9ae63030ca32611497c827"), 0);
}

TEST(cmac_rfc4493_example4_64)
{
	CHECK_EQ_INT(cmac_case(64, "51f0bebf7e3b9d92fc49741779363cfe"), 0);
}

TEST(cbc_m2_padding_round_trip)
{
	uint8_t key[16] = { 1, 2, 3 }, iv[16] = { 9, 8, 7 };
	for (size_t n = 0; n <= 48; n++) {
		uint8_t pt[64], ct[64], back[64];
		size_t bl = 99;
		for (size_t i = 0; i < n; i++)
			pt[i] = (uint8_t)(i ^ 0x80);
		size_t cl = sym_cbc_m2_len(n);
		CHECK_EQ_INT(cl, (n / 16 + 1) * 16);
		CHECK_EQ_INT(sym_cbc_m2_encrypt(key, iv, pt, n, ct, NULL, 0), CR_OK);
		CHECK_EQ_INT(sym_cbc_m2_decrypt(key, iv, ct, cl, back, &bl, NULL, 0),
		             CR_OK);
		CHECK_EQ_INT(bl, n);
		CHECK_EQ_MEM(back, pt, n);
	}
}

/* The padding really is 0x80 00..: check against raw AES-CBC. */
TEST(cbc_m2_padding_bytes)
{
	uint8_t key[16] = { 0 }, iv[16] = { 0 }, ct[16], dec[16];
	int l1, l2;
	CHECK_EQ_INT(sym_cbc_m2_encrypt(key, iv, (const uint8_t *)"abc", 3, ct,
	                                NULL, 0), CR_OK);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_DecryptInit_ex2(c, EVP_aes_128_cbc(), key, iv, NULL);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_DecryptUpdate(c, dec, &l1, ct, 16);
	EVP_DecryptFinal_ex(c, dec + l1, &l2);
	EVP_CIPHER_CTX_free(c);
	const uint8_t want[16] = { 'a', 'b', 'c', 0x80 };
	CHECK_EQ_MEM(dec, want, 16);
}

static int decrypt_raw_block(const uint8_t block[16])
{
	/* Encrypt a raw block without padding, then ask for method-2 unpadding. */
	uint8_t key[16] = { 5 }, iv[16] = { 6 }, ct[16], out[16];
	size_t ol;
	int l1, l2;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_EncryptInit_ex2(c, EVP_aes_128_cbc(), key, iv, NULL);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_EncryptUpdate(c, ct, &l1, block, 16);
	EVP_EncryptFinal_ex(c, ct + l1, &l2);
	EVP_CIPHER_CTX_free(c);
	return sym_cbc_m2_decrypt(key, iv, ct, 16, out, &ol, NULL, 0);
}

TEST(cbc_m2_bad_padding_refused)
{
	uint8_t zeros[16] = { 0 }, noflag[16] = { 1, 2, 3, 0x81 },
	        pkcs7[16] = { 1, 2, 3, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13, 13 },
	        good[16] = { 1, 2, 3, 0x80 };
	char err[128];
	size_t ol;
	uint8_t out[32];
	CHECK_EQ_INT(decrypt_raw_block(zeros), CR_EPARSE);
	CHECK_EQ_INT(decrypt_raw_block(noflag), CR_EPARSE);
	CHECK_EQ_INT(decrypt_raw_block(pkcs7), CR_EPARSE);
	CHECK_EQ_INT(decrypt_raw_block(good), CR_OK);
	CHECK_EQ_INT(sym_cbc_m2_decrypt(good, good, good, 15, out, &ol, err,
	                                sizeof err), CR_EPARSE);
	CHECK_EQ_INT(sym_cbc_m2_decrypt(good, good, good, 0, out, &ol, err,
	                                sizeof err), CR_EPARSE);
}

UNIT_MAIN
