/*
 * test_crypto_eck.c: the EC edge cases the package scheme relies on
 * (crypto/eck.h): only valid uncompressed points on the named curve become
 * keys, raw signatures round-trip and degenerate ones fail, ECDH agrees and
 * refuses a peer on another curve.
 */
#include "crypto/cerr.h"
#include "crypto/eck.h"
#include "tests/unit/unit.h"

/* The brainpoolP256r1 generator G (RFC 5639 §3.4) and its prime p. */
static const char G_HEX[] =
	"048bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262"
	"547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997";
static const char P_HEX[] =
	"a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377";

TEST(eck_generator_is_a_point)
{
	uint8_t g[65], back[65];
	EVP_PKEY *k;
	CHECK_EQ_INT(unit_unhex(G_HEX, g, sizeof g), 65);
	CHECK_EQ_INT(eck_pub_from_raw("brainpoolP256r1", g, &k), CR_OK);
	CHECK_EQ_INT(eck_pub_to_raw(k, back), CR_OK);
	CHECK_EQ_MEM(back, g, 65);
	EVP_PKEY_free(k);
}

TEST(eck_bad_points_refused)
{
	uint8_t pt[65];
	EVP_PKEY *k = NULL;
	unit_unhex(G_HEX, pt, sizeof pt);
	pt[0] = 0x02; /* compressed prefix on 65 bytes */
	CHECK_EQ_INT(eck_pub_from_raw("brainpoolP256r1", pt, &k), CR_EPOINT);
	pt[0] = 0x06; /* hybrid */
	CHECK_EQ_INT(eck_pub_from_raw("brainpoolP256r1", pt, &k), CR_EPOINT);
	memset(pt, 0, sizeof pt);
	pt[0] = 0x04; /* (0, 0) */
	CHECK_EQ_INT(eck_pub_from_raw("brainpoolP256r1", pt, &k), CR_EPOINT);
	/* x = p: out of range (x mod p would be 0). */
	unit_unhex(G_HEX, pt, sizeof pt);
	unit_unhex(P_HEX, pt + 1, 32);
	CHECK_EQ_INT(eck_pub_from_raw("brainpoolP256r1", pt, &k), CR_EPOINT);
	/* G with y flipped in its last bit. */
	unit_unhex(G_HEX, pt, sizeof pt);
	pt[64] ^= 1;
	CHECK_EQ_INT(eck_pub_from_raw("brainpoolP256r1", pt, &k), CR_EPOINT);
	CHECK(k == NULL);
	unit_unhex(G_HEX, pt, sizeof pt);
	CHECK_EQ_INT(eck_pub_from_raw("secp384r1", pt, &k), CR_ECURVE);
	CHECK_EQ_INT(eck_pub_from_raw(NULL, pt, &k), CR_ECURVE);
}

TEST(eck_curve_names)
{
	CHECK_EQ_STR(eck_curve_supported("P-256"), "prime256v1");
	CHECK_EQ_STR(eck_curve_supported("brainpoolP256r1"), "brainpoolP256r1");
	CHECK(eck_curve_supported("brainpoolP384r1") == NULL);
	EVP_PKEY *k;
	char err[128];
	CHECK_EQ_INT(eck_generate("secp256k1", &k, err, sizeof err), CR_ECURVE);
	CHECK(strstr(err, "secp256k1") != NULL);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp384r1");
	char name[32];
	CHECK_EQ_INT(eck_key_curve(k, name, sizeof name), CR_ECURVE);
	EVP_PKEY_free(k);
}

TEST(eck_sign_verify_raw)
{
	EVP_PKEY *k, *pub;
	uint8_t pt[65], sig[64], zero[64] = { 0 };
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &k, NULL, 0), CR_OK);
	CHECK_EQ_INT(eck_pub_to_raw(k, pt), CR_OK);
	CHECK_EQ_INT(eck_pub_from_raw("brainpoolP256r1", pt, &pub), CR_OK);
	CHECK_EQ_INT(eck_sign_raw(k, pt, 65, sig, NULL, 0), CR_OK);
	CHECK_EQ_INT(eck_verify_raw(pub, pt, 65, sig), CR_OK);
	CHECK_EQ_INT(eck_verify_raw(pub, pt, 64, sig), CR_ESIGN);
	CHECK_EQ_INT(eck_verify_raw(pub, pt, 65, zero), CR_ESIGN);
	uint8_t ff[64];
	memset(ff, 0xff, sizeof ff);
	CHECK_EQ_INT(eck_verify_raw(pub, pt, 65, ff), CR_ESIGN);
	EVP_PKEY_free(k);
	EVP_PKEY_free(pub);
}

TEST(eck_ecdh_agrees_and_checks_curve)
{
	EVP_PKEY *a, *b, *c;
	uint8_t z1[32], z2[32];
	char err[128];
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &a, NULL, 0), CR_OK);
	CHECK_EQ_INT(eck_generate("brainpoolP256r1", &b, NULL, 0), CR_OK);
	CHECK_EQ_INT(eck_generate("prime256v1", &c, NULL, 0), CR_OK);
	CHECK_EQ_INT(eck_ecdh(a, b, z1, NULL, 0), CR_OK);
	CHECK_EQ_INT(eck_ecdh(b, a, z2, NULL, 0), CR_OK);
	CHECK_EQ_MEM(z1, z2, 32);
	CHECK(eck_ecdh(a, c, z1, err, sizeof err) != CR_OK);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(c);
}

UNIT_MAIN
