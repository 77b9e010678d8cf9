/*
 * test_client_nusim.c: the simulated nuSIM (client/nusim.c) opening real
 * packages: a demo PKI (crypto/pki.h) in a temporary directory, a package
 * built as nusimd builds it (pkg_build), staged in a 507 instance, linked
 * from 508/4, then Load Profile: success switches 508/1; loading it again
 * reports 6; a tampered MAC 5; a missing package 8.
 */
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <unistd.h>

#include "client/config.h"
#include "client/defaults.h"
#include "client/nusim.h"
#include "client/objects.h"
#include "crypto/package.h"
#include "crypto/pki.h"
#include "crypto/profile.h"

static char dir[64];

static void rm_tree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Stores a package's seven strings as 507/inst. */
static void stage(objstore *s, uint16_t inst, const pkg_507 *pk)
{
	objstore_add_instance(s, 507, inst);
	for (uint16_t r = 0; r < PKG_NRES; r++) {
		lwm2m_path p = { { 507, inst, r, 0 }, 3 };
		objstore_set_string(s, &p, pk->res[r]);
	}
}

static int read_int(objstore *s, uint16_t res)
{
	lwm2m_path p = { { 508, 0, res, 0 }, 3 };
	const lwm2m_value *v = objstore_get(s, &p);
	return v && v->type == LWM2M_T_INTEGER ? (int)v->v.i : -1;
}

static const char *read_str(objstore *s, uint16_t res)
{
	lwm2m_path p = { { 508, 0, res, 0 }, 3 };
	const lwm2m_value *v = objstore_get(s, &p);
	return v && v->data ? (const char *)v->data : "";
}

TEST(load_profile_with_real_package)
{
	char err[256];
	char eid[NUSIM_EID_LEN + 1], iccid[20];
	snprintf(dir, sizeof dir, "/tmp/nusim-client-test-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	nusim_eid_from_endpoint("sw-1", eid);
	nusim_iccid_from_endpoint("sw-1", iccid);
	CHECK_EQ_INT(pki_init(dir, err, sizeof err), 0);
	CHECK_EQ_INT(pki_device(dir, eid, NULL, NULL, 0, NULL, 0, err, sizeof err), 0);

	pkg_sim *sim = NULL;
	uint8_t *cert = NULL;
	size_t certlen = 0;
	CHECK_EQ_INT(pki_load_sim(dir, eid, &sim, &cert, &certlen, err, sizeof err), 0);
	pkg_dp *dp = NULL;
	CHECK_EQ_INT(pki_load_dp(dir, &dp, err, sizeof err), 0);

	device_cfg c;
	device_cfg_defaults(&c);
	c.server_uri = "coap://127.0.0.1:5683";
	c.endpoint = "sw-1";
	objstore *s = objstore_new();
	CHECK_EQ_INT(defaults_install(s, &c, eid, iccid, cert, certlen), OBJ_OK);
	CHECK(strlen(read_str(s, 3)) > 100); /* 508/3: the cert in base64 */

	/* The target profile, built and packaged as nusimd does. */
	struct profile prof;
	memset(&prof, 0, sizeof prof);
	snprintf(prof.iccid, sizeof prof.iccid, "8988247000000000005");
	snprintf(prof.imsi, sizeof prof.imsi, "901700000000001");
	snprintf(prof.carrier, sizeof prof.carrier, "Carrier B");
	memset(prof.ki, 0x11, sizeof prof.ki);
	memset(prof.opc, 0x22, sizeof prof.opc);
	if (!profile_iccid_valid(prof.iccid)) {
		/* fix the Luhn digit of the made-up ICCID */
		for (char d = '0'; d <= '9'; d++) {
			prof.iccid[18] = d;
			if (profile_iccid_valid(prof.iccid))
				break;
		}
	}
	uint8_t enc[PROFILE_MAX];
	size_t enclen = 0;
	CHECK_EQ_INT(profile_encode(&prof, enc, sizeof enc, &enclen, err, sizeof err), 0);
	pkg_507 pk;
	memset(&pk, 0, sizeof pk);
	CHECK_EQ_INT(pkg_build(dp, cert, certlen, eid, enc, enclen, &pk, err,
	                       sizeof err), 0);

	/* Not linked yet: 8. */
	CHECK_EQ_INT(nusim_load_profile(s, sim), NUSIM_RESULT_NO_PACKAGE);
	stage(s, 1, &pk);
	lwm2m_path lp = { { 508, 0, 4, 0 }, 3 };
	lwm2m_value lnk = { .type = LWM2M_T_OBJLNK };
	lnk.v.lnk.obj = 507;
	lnk.v.lnk.inst = 1;
	CHECK_EQ_INT(objstore_set(s, &lp, &lnk), OBJ_OK);
	/* Without keys it cannot open anything. */
	CHECK_EQ_INT(nusim_load_profile(s, NULL), NUSIM_RESULT_FAILED);
	CHECK_EQ_STR(read_str(s, 1), iccid);
	/* With them it loads, and 508/1 is the new ICCID. */
	CHECK_EQ_INT(nusim_load_profile(s, sim), NUSIM_RESULT_OK);
	CHECK_EQ_INT(read_int(s, 6), 0);
	CHECK_EQ_STR(read_str(s, 1), prof.iccid);
	CHECK_EQ_INT(nusim_load_profile(s, sim), NUSIM_RESULT_ALREADY_LOADED);

	/* A flipped MAC digit fails the MAC check (5), before decrypting. */
	pk.res[PKG_RES_MAC][0] = pk.res[PKG_RES_MAC][0] == '0' ? '1' : '0';
	stage(s, 1, &pk);
	CHECK_EQ_INT(nusim_load_profile(s, sim), NUSIM_RESULT_BAD_MAC);
	CHECK_EQ_INT(read_int(s, 6), NUSIM_RESULT_BAD_MAC);

	pkg_507_free(&pk);
	profile_clear(&prof);
	objstore_free(s);
	free(cert);
	pkg_dp_free(dp);
	pkg_sim_free(sim);
	rm_tree();
}

UNIT_MAIN
