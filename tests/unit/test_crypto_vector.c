/*
 * test_crypto_vector.c: the real nuSIM profile package published with the
 * public nuSIM loader (telekom/nuSIM-Loader-Application, Huawei plugin
 * README; copy in /work/shared/vectors/nusim-loader-vector.txt). Its three
 * points lie on brainpoolP256r1, SigKpubDP verifies with KpubCI over
 * KpubDP, SigEKpubDP verifies with KpubDP over eKpubDP, and any flipped bit
 * breaks them. Its MAC and encP need the nuSIM's private key: not public.
 */
#include <openssl/evp.h>

#include "crypto/cerr.h"
#include "crypto/codec.h"
#include "crypto/eck.h"
#include "tests/unit/unit.h"

/* 691 bytes: eKpubDP 65, mac 16, SigEKpubDP 64, KpubDP 65, SigKpubDP 64,
 * KpubCI 65, encP 352. */
static const char vector_hex[] =
	"04a47a63c15060f1b524c58082a2956c2139b2fd8688274cd5d756189b84f94e"
	"400cd691ed9be1f0f8a2d206850d08328426fa0c092bce39b98a50ed0b2ed871"
	"de7016D34479DA105EAE10154D974D131384016A0A2A314C557F7AD5CF35A48D"
	"5872F495902494F967643E8BBB46567BFD89165D2AA825A5BBD57A715A4B6332"
	"332A42EE8F64A9068B62A1C730598CCF72041b7cc46825b5ebf4cba03d4dbfdc"
	"1ddc2eb32f10f72ca52b64f9c58edfece3668376c741d31598e38c1c22e873ba"
	"d20da1506bcf9004c305dcbe8782835d58fa6E13ECF5E7A7C948CE85A38024F1"
	"9272A84006D3F233931AA3AE7A45457A66108E447B66B4C05287593086CD586C"
	"07CB8DD5372BCB640F3D4AC838A87632CA9104451669370a39c14aa166048a93"
	"9c6061dc6066418e885fb71b4d595647e02da287553a538a081b2cbce2eec790"
	"43f4dc674371456fba5d818be58b35393b3bf48041AD49FC2F84BF84D376E30E"
	"B5B7E6E00E43A07977D56DB6A63DDD7041887607CDD2C1EBB97A9A14BAD7D868"
	"2D1BB17EB67BF3971ECEFE8AE8EFD22F2E85812789CAA1CF706ADB10F16C96CD"
	"625F38A74ADA8D499E9F03B5797B9E9BCB74F79F01FF14C4077D28F5DD963DEB"
	"2BBF5AD80B16A7FAEC799B35E38D6E56B92ABDDF5B0B55DCFA3339580A1C0D76"
	"578095DEC92DC561B6C66C5470E121B2BA054FB471F0EB68FD38C4C42E4576BC"
	"75D483B886EA4E436A0A91A7C5BFBF3CB30AA524B286F428CBC51100C78E47A8"
	"D76BBF75BE70F70AA578B320204FCFDBFA9A219BA65E7A41F0F1E7D354D1EABE"
	"5B7FF592A4952E08F4AAC1E204CAC00CC54C347217544E09FE614460AAE52B20"
	"05E3630A5176A892698ECACBC5D54A344007129105F296C7ADCB90AA283D78D5"
	"6FCE4AD6D1EDD9637736DAEBF0D3DF9A6F73A7A59BE0768164F1C8434C67C3F5"
	"4924E191A64752E00A94864A05D7CFDD94AF28";

enum { O_EK = 0, O_MAC = 65, O_SIGEK = 81, O_KPUBDP = 145, O_SIGDP = 210,
       O_KPUBCI = 274, O_ENCP = 339, V_LEN = 691 };

static uint8_t v[V_LEN];

static int load(void)
{
	return unit_unhex(vector_hex, v, sizeof v) == V_LEN ? 0 : -1;
}

static int verify(const uint8_t *pub, const uint8_t *msg, const uint8_t *sig)
{
	EVP_PKEY *k;
	int rc = eck_pub_from_raw("brainpoolP256r1", pub, &k);
	if (rc)
		return rc;
	rc = eck_verify_raw(k, msg, ECK_POINT_LEN, sig);
	EVP_PKEY_free(k);
	return rc;
}

TEST(vector_sizes)
{
	CHECK_EQ_INT(load(), 0);
	CHECK_EQ_INT((V_LEN - O_ENCP) % 16, 0);
	CHECK_EQ_INT(v[O_EK], 0x04);
	CHECK_EQ_INT(v[O_KPUBDP], 0x04);
	CHECK_EQ_INT(v[O_KPUBCI], 0x04);
}

TEST(vector_points_on_brainpool)
{
	EVP_PKEY *k;
	static const int offs[] = { O_EK, O_KPUBDP, O_KPUBCI };
	CHECK_EQ_INT(load(), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(eck_pub_from_raw("brainpoolP256r1", v + offs[i], &k), CR_OK);
		EVP_PKEY_free(k);
		/* Not a P-256 point: the curve matters. */
		CHECK_EQ_INT(eck_pub_from_raw("prime256v1", v + offs[i], &k), CR_EPOINT);
	}
}

TEST(vector_sig_kpubdp_verifies)
{
	CHECK_EQ_INT(load(), 0);
	CHECK_EQ_INT(verify(v + O_KPUBCI, v + O_KPUBDP, v + O_SIGDP), CR_OK);
}

TEST(vector_sig_ekpubdp_verifies)
{
	CHECK_EQ_INT(load(), 0);
	CHECK_EQ_INT(verify(v + O_KPUBDP, v + O_EK, v + O_SIGEK), CR_OK);
}

TEST(vector_flipped_bit_fails)
{
	CHECK_EQ_INT(load(), 0);
	/* A flipped bit in the signed message, the signature, or the key. */
	static const int spots[] = { O_KPUBDP + 1, O_KPUBDP + 64, O_SIGDP,
	                             O_SIGDP + 63 };
	for (int i = 0; i < 4; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			v[spots[i]] ^= (uint8_t)(1 << bit);
			CHECK(verify(v + O_KPUBCI, v + O_KPUBDP, v + O_SIGDP) != CR_OK);
			v[spots[i]] ^= (uint8_t)(1 << bit);
		}
	}
	v[O_EK + 10] ^= 0x20;
	CHECK(verify(v + O_KPUBDP, v + O_EK, v + O_SIGEK) != CR_OK);
	v[O_EK + 10] ^= 0x20;
	v[O_SIGEK + 40] ^= 0x01;
	CHECK(verify(v + O_KPUBDP, v + O_EK, v + O_SIGEK) != CR_OK);
	v[O_SIGEK + 40] ^= 0x01;
	/* A flipped coordinate bit leaves the curve (or fails the signature). */
	v[O_KPUBCI + 33] ^= 0x01;
	CHECK(verify(v + O_KPUBCI, v + O_KPUBDP, v + O_SIGDP) != CR_OK);
	v[O_KPUBCI + 33] ^= 0x01;
	CHECK_EQ_INT(verify(v + O_KPUBCI, v + O_KPUBDP, v + O_SIGDP), CR_OK);
}

TEST(vector_resource_encodings_round_trip)
{
	/* As 507 strings: base64 for keys and signatures, hex for mac. */
	char b64[crypto_b64_len(352)], hex[33];
	uint8_t back[352];
	CHECK_EQ_INT(load(), 0);
	crypto_b64_encode(v + O_ENCP, 352, b64);
	CHECK_EQ_INT(strlen(b64), 472);
	CHECK_EQ_INT(crypto_b64_decode(b64, strlen(b64), back, sizeof back), 352);
	CHECK_EQ_MEM(back, v + O_ENCP, 352);
	crypto_b64_encode(v + O_KPUBCI, 65, b64);
	CHECK_EQ_INT(strlen(b64), 88);
	CHECK(b64[87] == '=' && b64[86] != '='); /* 65 = 3*21 + 2 */
	crypto_hex_encode(v + O_MAC, 16, hex);
	CHECK_EQ_STR(hex, "7016d34479da105eae10154d974d1313");
	CHECK_EQ_INT(crypto_hex_decode("7016D34479DA105EAE10154D974D1313", 32,
	                               back, 16), 0);
	CHECK_EQ_MEM(back, v + O_MAC, 16);
}

UNIT_MAIN
