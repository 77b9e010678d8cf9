/*
 * test_crypto_codec.c: the strict hex and base64 of the 507 resources
 * (crypto/codec.h): RFC 4648 test vectors, and every non-canonical form
 * refused.
 */
#include "crypto/codec.h"
#include "tests/unit/unit.h"

TEST(b64_rfc4648_vectors)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	                                    "Zm9vYmE=", "Zm9vYmFy" };
	char out[16];
	uint8_t back[16];
	for (int i = 0; i < 7; i++) {
		crypto_b64_encode((const uint8_t *)in[i], strlen(in[i]), out);
		CHECK_EQ_STR(out, want[i]);
		CHECK_EQ_INT(crypto_b64_len(strlen(in[i])), strlen(want[i]) + 1);
		CHECK_EQ_INT(crypto_b64_decode(out, strlen(out), back, sizeof back),
		             strlen(in[i]));
		CHECK_EQ_MEM(back, in[i], strlen(in[i]));
	}
}

TEST(b64_non_canonical_refused)
{
	static const char *const bad[] = { "Zg", "Zg=", "Zh==", "Zm9=", "Z===",
	                                   "Zm9v\n", "Zm 9", "Zm9-", "Zm9_", "=Zm9",
	                                   "Zg==Zg==", "Zm=v" };
	uint8_t out[16];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_EQ_INT(crypto_b64_decode(bad[i], strlen(bad[i]), out, sizeof out), -1);
	/* Too long for the output buffer. */
	CHECK_EQ_INT(crypto_b64_decode("Zm9vYmFy", 8, out, 5), -1);
	CHECK_EQ_INT(crypto_b64_decode("Zm9vYmFy", 8, out, 6), 6);
}

TEST(hex_both_cases_exact_length)
{
	uint8_t out[4];
	char s[9];
	CHECK_EQ_INT(crypto_hex_decode("DEADbeef", 8, out, 4), 0);
	crypto_hex_encode(out, 4, s);
	CHECK_EQ_STR(s, "deadbeef");
	CHECK_EQ_INT(crypto_hex_decode("deadbee", 7, out, 4), -1);
	CHECK_EQ_INT(crypto_hex_decode("deadbeef00", 10, out, 4), -1);
	CHECK_EQ_INT(crypto_hex_decode("deadbeeg", 8, out, 4), -1);
}

UNIT_MAIN
