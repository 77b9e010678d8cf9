/*
 * test_client_nusim.c: the simulated nuSIM (client/nusim.c) opening real
 * packages: a demo PKI (crypto/pki.h) in a temporary directory, a package
 * built as nusimd builds it (pkg_build), staged in a 507 instance, linked
 * from 508/4, then Load Profile: success switches 508/1; loading it again
 * reports 6; a tampered MAC 5; a missing package 8. Then the nuSIM state
 * (nusim_load): every result code it can give, the backup and falling
 * back to it, the fault knobs, the --state-file round trip, the carriers'
 * address ranges and the fleet's EIDs.
 */
#include "tests/unit/unit.h"

#include <stdlib.h>
#include <unistd.h>

#include "client/carrier.h"
#include "client/config.h"
#include "client/defaults.h"
#include "client/nusim.h"
#include "client/nusim_keys.h"
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

/* ---- the nuSIM state: codes, backup, faults, state file ---------------- */

typedef struct {
	char dir[64];
	char eid[NUSIM_EID_LEN + 1];
	pkg_sim *sim;
	pkg_dp *dp;
	uint8_t *cert;
	size_t certlen;
	objstore *s;
	nusim n;
} fixture;

/* A valid 19-digit ICCID ending the given 18 digits. */
static void luhn_iccid(const char *base18, char out[21])
{
	snprintf(out, 21, "%s0", base18);
	for (char d = '0'; d <= '9'; d++) {
		out[18] = d;
		if (profile_iccid_valid(out))
			return;
	}
}

static int fx_open(fixture *f)
{
	char err[256];
	memset(f, 0, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/nusim-client-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	nusim_eid_from_index(7, f->eid);
	if (pki_init(f->dir, err, sizeof err) ||
	    pki_device(f->dir, f->eid, NULL, NULL, 0, NULL, 0, err, sizeof err) ||
	    pki_load_sim(f->dir, f->eid, &f->sim, &f->cert, &f->certlen, err,
	                 sizeof err) ||
	    pki_load_dp(f->dir, &f->dp, err, sizeof err)) {
		fprintf(stderr, "fixture: %s\n", err);
		return -1;
	}
	device_cfg c;
	device_cfg_defaults(&c);
	c.server_uri = "coap://127.0.0.1:5683";
	c.endpoint = "nusim-fx";
	f->s = objstore_new();
	if (defaults_install(f->s, &c, f->eid, "89882470000000000014", f->cert,
	                     f->certlen))
		return -1;
	snprintf(f->n.cur.iccid, sizeof f->n.cur.iccid, "89882470000000000014");
	snprintf(f->n.cur.carrier, sizeof f->n.cur.carrier, "A");
	return 0;
}

static void fx_close(fixture *f)
{
	char cmd[128];
	objstore_free(f->s);
	free(f->cert);
	pkg_dp_free(f->dp);
	pkg_sim_free(f->sim);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
}

/* Builds a package of a profile on `carrier` with `iccid`, stages it as
 * 507/inst and links it. */
static int fx_stage(fixture *f, uint16_t inst, const char *iccid,
                    const char *cname, pkg_507 *pk)
{
	char err[256];
	struct profile prof;
	uint8_t enc[PROFILE_MAX];
	size_t enclen = 0;
	memset(&prof, 0, sizeof prof);
	snprintf(prof.iccid, sizeof prof.iccid, "%s", iccid);
	snprintf(prof.imsi, sizeof prof.imsi, "901700000000002");
	snprintf(prof.carrier, sizeof prof.carrier, "%s", cname);
	memset(prof.ki, 0x33, sizeof prof.ki);
	memset(prof.opc, 0x44, sizeof prof.opc);
	memset(pk, 0, sizeof *pk);
	int rc = profile_encode(&prof, enc, sizeof enc, &enclen, err, sizeof err) ||
	         pkg_build(f->dp, f->cert, f->certlen, f->eid, enc, enclen, pk,
	                   err, sizeof err);
	profile_clear(&prof);
	if (rc) {
		fprintf(stderr, "stage: %s\n", err);
		return -1;
	}
	stage(f->s, inst, pk);
	lwm2m_path lp = { { 508, 0, 4, 0 }, 3 };
	lwm2m_value lnk = { .type = LWM2M_T_OBJLNK };
	lnk.v.lnk.obj = 507;
	lnk.v.lnk.inst = inst;
	return objstore_set(f->s, &lp, &lnk) == OBJ_OK ? 0 : -1;
}

/* Swaps the case of a letter in the middle of a resource: still valid
 * base64, different bytes; doing it twice restores the resource. */
static void flip_b64(pkg_507 *pk, int res)
{
	char *c = pk->res[res] + 10;
	while ((*c < 'a' || *c > 'z') && (*c < 'A' || *c > 'Z'))
		c++;
	*c ^= 0x20;
}

TEST(load_sets_iccid_result_and_backup)
{
	fixture f;
	char iccid[21];
	pkg_507 pk;
	CHECK_EQ_INT(fx_open(&f), 0);
	luhn_iccid("898824700000000007", iccid);
	CHECK_EQ_INT(fx_stage(&f, 3, iccid, "B", &pk), 0);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_OK);
	CHECK_EQ_INT(read_int(f.s, 6), 0);
	CHECK_EQ_STR(read_str(f.s, 1), iccid);
	CHECK_EQ_STR(f.n.cur.iccid, iccid);
	CHECK_EQ_STR(f.n.cur.carrier, "B");
	CHECK_EQ_STR(f.n.backup.iccid, "89882470000000000014");
	CHECK_EQ_STR(f.n.backup.carrier, "A");
	/* The same profile again: 6; while busy (re-attaching): 9. */
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_ALREADY_LOADED);
	CHECK_EQ_INT(read_int(f.s, 6), NUSIM_RESULT_ALREADY_LOADED);
	f.n.busy = 1;
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_BUSY);
	f.n.busy = 0;
	/* Falling back: the old profile is back in 508/1, the new one kept. */
	CHECK_EQ_INT(nusim_fallback(f.s, &f.n), 0);
	CHECK_EQ_STR(read_str(f.s, 1), "89882470000000000014");
	CHECK_EQ_STR(f.n.cur.carrier, "A");
	CHECK_EQ_STR(f.n.backup.iccid, iccid);
	/* ... so the package loads again after a fallback. */
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_OK);
	CHECK_EQ_STR(read_str(f.s, 1), iccid);
	pkg_507_free(&pk);
	fx_close(&f);
}

TEST(load_failure_codes_in_check_order)
{
	fixture f;
	char iccid[21];
	pkg_507 pk;
	CHECK_EQ_INT(fx_open(&f), 0);
	luhn_iccid("898824700000000008", iccid);
	CHECK_EQ_INT(fx_stage(&f, 1, iccid, "B", &pk), 0);
	char *kpubci = strdup(pk.res[PKG_RES_KPUBCI]);
	/* 2: a KpubCI that is a valid key but not the trusted CI's. */
	free(pk.res[PKG_RES_KPUBCI]);
	pk.res[PKG_RES_KPUBCI] = strdup(pk.res[PKG_RES_KPUBDP]);
	stage(f.s, 1, &pk);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_BAD_KPUBCI);
	free(pk.res[PKG_RES_KPUBCI]);
	pk.res[PKG_RES_KPUBCI] = kpubci;
	/* 3, 4: the signatures, each checked before the next. */
	flip_b64(&pk, PKG_RES_SIGKPUBDP);
	flip_b64(&pk, PKG_RES_SIGEKPUBDP);
	stage(f.s, 1, &pk);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_BAD_SIGKPUBDP);
	flip_b64(&pk, PKG_RES_SIGKPUBDP);
	stage(f.s, 1, &pk);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_BAD_SIGEKPUBDP);
	flip_b64(&pk, PKG_RES_SIGEKPUBDP);
	/* 5: encP changed, its MAC no longer matches. */
	flip_b64(&pk, PKG_RES_ENCP);
	stage(f.s, 1, &pk);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_BAD_MAC);
	flip_b64(&pk, PKG_RES_ENCP);
	stage(f.s, 1, &pk);
	/* 8: incomplete (a resource emptied), or not linked to a 507. */
	lwm2m_path mp = { { 507, 1, PKG_RES_MAC, 0 }, 3 };
	CHECK_EQ_INT(objstore_set_string(f.s, &mp, ""), OBJ_OK);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_NO_PACKAGE);
	stage(f.s, 1, &pk);
	lwm2m_path lp = { { 508, 0, 4, 0 }, 3 };
	lwm2m_value lnk = { .type = LWM2M_T_OBJLNK };
	lnk.v.lnk.obj = 507;
	lnk.v.lnk.inst = 2;
	CHECK_EQ_INT(objstore_set(f.s, &lp, &lnk), OBJ_OK);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_NO_PACKAGE);
	lnk.v.lnk.inst = 1;
	CHECK_EQ_INT(objstore_set(f.s, &lp, &lnk), OBJ_OK);
	/* Nothing failed changed the profile. */
	CHECK_EQ_STR(read_str(f.s, 1), "89882470000000000014");
	CHECK_EQ_STR(f.n.backup.iccid, "");
	/* The fault knobs: corrupt-mac gives 5, refuse=N gives N. */
	CHECK_EQ_INT(nusim_fault_parse("corrupt-mac", &f.n.fault), 0);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_BAD_MAC);
	CHECK_EQ_INT(nusim_fault_parse("refuse=7", &f.n.fault), 0);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), 7);
	CHECK_EQ_INT(read_int(f.s, 6), 7);
	CHECK_EQ_INT(nusim_fault_parse("none", &f.n.fault), 0);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_OK);
	CHECK_EQ_STR(read_str(f.s, 1), iccid);
	/* No backup to fall back to on a fresh nuSIM. */
	nusim fresh;
	memset(&fresh, 0, sizeof fresh);
	CHECK_EQ_INT(nusim_fallback(f.s, &fresh), -1);
	pkg_507_free(&pk);
	fx_close(&f);
}

TEST(fault_parse)
{
	nusim_fault ft;
	char buf[32];
	CHECK_EQ_INT(nusim_fault_parse("late=5", &ft), 0);
	CHECK_EQ_INT(ft.kind, NUSIM_FAULT_LATE);
	CHECK_EQ_INT(ft.arg, 5);
	CHECK_EQ_STR(nusim_fault_str(&ft, buf, sizeof buf), "late=5");
	CHECK_EQ_INT(nusim_fault_parse("crash-after-install", &ft), 0);
	CHECK_EQ_INT(ft.kind, NUSIM_FAULT_CRASH);
	CHECK_EQ_INT(nusim_fault_parse("never-return", &ft), 0);
	CHECK_EQ_INT(nusim_fault_parse("refuse=0", &ft), -1);
	CHECK_EQ_INT(nusim_fault_parse("refuse=256", &ft), -1);
	CHECK_EQ_INT(nusim_fault_parse("refuse", &ft), -1);
	CHECK_EQ_INT(nusim_fault_parse("late=", &ft), -1);
	CHECK_EQ_INT(nusim_fault_parse("corrupt-mac=1", &ft), -1);
	CHECK_EQ_INT(nusim_fault_parse("explode", &ft), -1);
}

TEST(state_file_round_trip)
{
	fixture f;
	char iccid[21], path[128], err[256];
	pkg_507 pk;
	CHECK_EQ_INT(fx_open(&f), 0);
	luhn_iccid("898824700000000009", iccid);
	CHECK_EQ_INT(fx_stage(&f, 4, iccid, "Carrier B", &pk), 0);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_OK);
	snprintf(path, sizeof path, "%s/state", f.dir);
	CHECK_EQ_INT(nusim_state_save(path, &f.n, f.s, err, sizeof err), 0);

	/* A restarted client: a fresh store and nuSIM read it back. */
	device_cfg c;
	device_cfg_defaults(&c);
	c.server_uri = "coap://127.0.0.1:5683";
	c.endpoint = "nusim-fx";
	objstore *s2 = objstore_new();
	CHECK_EQ_INT(defaults_install(s2, &c, f.eid, "89882470000000000014",
	                              NULL, 0), OBJ_OK);
	nusim n2;
	memset(&n2, 0, sizeof n2);
	CHECK_EQ_INT(nusim_state_load(path, &n2, s2, err, sizeof err), 0);
	CHECK_EQ_STR(n2.cur.iccid, iccid);
	CHECK_EQ_STR(n2.cur.carrier, "Carrier B");
	CHECK_EQ_STR(n2.backup.iccid, "89882470000000000014");
	CHECK_EQ_STR(n2.backup.carrier, "A");
	CHECK_EQ_STR(read_str(s2, 1), iccid);
	for (uint16_t r = 0; r < PKG_NRES; r++) {
		lwm2m_path p = { { 507, 4, r, 0 }, 3 };
		const lwm2m_value *v = objstore_get(s2, &p);
		CHECK(v && v->data);
		CHECK_EQ_STR((const char *)v->data, pk.res[r]);
	}
	/* The restored package, still linked, is the loaded one: 6. */
	CHECK_EQ_INT(nusim_load(s2, f.sim, &n2), NUSIM_RESULT_ALREADY_LOADED);
	/* No secret in the file: the Ki (0x33...) is nowhere in clear. */
	char *text = NULL;
	size_t tlen = 0;
	CHECK_EQ_INT(pki_read_file(path, 1 << 20, &text, &tlen, err, sizeof err), 0);
	CHECK(strstr(text, "3333333333") == NULL);
	free(text);

	/* A missing file changes nothing (1); a malformed one is refused. */
	char missing[160];
	snprintf(missing, sizeof missing, "%s/none", f.dir);
	CHECK_EQ_INT(nusim_state_load(missing, &n2, s2, err, sizeof err), 1);
	FILE *fp = fopen(path, "w");
	CHECK(fp != NULL);
	fprintf(fp, "nusim-state 1\niccid 8988x\n");
	fclose(fp);
	CHECK_EQ_INT(nusim_state_load(path, &n2, s2, err, sizeof err), -1);
	CHECK(strstr(err, ":2:") != NULL);
	CHECK_EQ_STR(n2.cur.iccid, iccid);
	fp = fopen(path, "w");
	CHECK(fp != NULL);
	fprintf(fp, "nusim-state 1\niccid 89882470000000000014\n507 1 9 QUJD\n");
	fclose(fp);
	CHECK_EQ_INT(nusim_state_load(path, &n2, s2, err, sizeof err), -1);
	objstore_free(s2);
	pkg_507_free(&pk);
	fx_close(&f);
}

TEST(carriers_and_fleet_eids)
{
	carrier_map m;
	char addr[16];
	memset(&m, 0, sizeof m);
	CHECK_EQ_INT(carrier_parse(&m, "A=127.0.1.1-127.0.1.3"), 0);
	CHECK_EQ_INT(carrier_parse(&m, "B=127.0.2.9"), 0);
	CHECK_EQ_INT(carrier_parse(&m, "A=127.0.3.1"), -1);     /* twice */
	CHECK_EQ_INT(carrier_parse(&m, "C=127.0.1.9-127.0.1.1"), -1);
	CHECK_EQ_INT(carrier_parse(&m, "=127.0.1.1"), -1);
	CHECK_EQ_INT(carrier_parse(&m, "D"), -1);
	CHECK_EQ_INT(carrier_addr(carrier_find(&m, "A"), 4, addr, sizeof addr), 0);
	CHECK_EQ_STR(addr, "127.0.1.2");
	CHECK_EQ_INT(carrier_addr(carrier_find(&m, "B"), 4, addr, sizeof addr), 0);
	CHECK_EQ_STR(addr, "127.0.2.9");
	CHECK(carrier_has_coverage(&m, "B"));
	CHECK_EQ_INT(carrier_set_coverage(&m, "B", 0), 0);
	CHECK(!carrier_has_coverage(&m, "B"));
	CHECK(carrier_has_coverage(&m, "Z"));
	CHECK_EQ_INT(carrier_set_coverage(&m, "Z", 0), 0); /* known from now on */
	CHECK(!carrier_has_coverage(&m, "Z"));
	CHECK_EQ_INT(carrier_addr(carrier_find(&m, "Z"), 0, addr, sizeof addr), -1);

	char eid[NUSIM_EID_LEN + 1];
	nusim_eid_from_index(1, eid);
	CHECK_EQ_STR(eid, "89049032000000000000000000000163");
	CHECK(nusim_eid_valid(eid));
	nusim_eid_from_index(123456, eid);
	CHECK(nusim_eid_valid(eid));
	CHECK(!strncmp(eid + 24, "123456", 6));
}

TEST(fleet_nusim_made_in_memory_opens_packages)
{
	fixture f;
	char err[256], eid[NUSIM_EID_LEN + 1], iccid[21];
	CHECK_EQ_INT(fx_open(&f), 0);
	nusim_maker *mk = nusim_maker_load(f.dir, err, sizeof err);
	CHECK(mk != NULL);
	pkg_sim *sim = NULL;
	uint8_t *cert = NULL;
	size_t certlen = 0;
	nusim_eid_from_index(42, eid);
	CHECK_EQ_INT(nusim_maker_make(mk, eid, &sim, &cert, &certlen, err,
	                              sizeof err), 0);
	/* The server side accepts its certificate for that EID ... */
	CHECK_EQ_INT(pkg_cert_check(f.dp, cert, certlen, eid, err, sizeof err), 0);
	/* ... and a package built for it opens on it. */
	pkg_sim_free(f.sim);
	f.sim = sim;
	free(f.cert);
	f.cert = cert;
	f.certlen = certlen;
	snprintf(f.eid, sizeof f.eid, "%s", eid);
	pkg_507 pk;
	luhn_iccid("898824700000000042", iccid);
	CHECK_EQ_INT(fx_stage(&f, 0, iccid, "B", &pk), 0);
	CHECK_EQ_INT(nusim_load(f.s, f.sim, &f.n), NUSIM_RESULT_OK);
	CHECK(nusim_maker_load("/nonexistent-dir", err, sizeof err) == NULL);
	pkg_507_free(&pk);
	nusim_maker_free(mk);
	fx_close(&f);
}

UNIT_MAIN
