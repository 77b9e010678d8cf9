/*
 * nusim.c: the simulated nuSIM as Object 508 (see nusim.h).
 */
#include "client/nusim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "client/log.h"
#include "crypto/package.h"
#include "crypto/profile.h"

static void digits_from_hash(const char *endpoint, const char *salt,
                             char *out, size_t ndigits)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, salt, strlen(salt)) &&
	    EVP_DigestUpdate(c, endpoint, strlen(endpoint)))
		EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (mdlen == 0)
		memset(md, 0, sizeof md), mdlen = 32;
	for (size_t i = 0; i < ndigits; i++)
		out[i] = (char)('0' + md[i % mdlen] % 10);
}

static unsigned mod97(const char *digits, size_t n)
{
	unsigned r = 0;
	for (size_t i = 0; i < n; i++)
		r = (r * 10 + (unsigned)(digits[i] - '0')) % 97;
	return r;
}

void nusim_eid_from_endpoint(const char *endpoint, char eid[NUSIM_EID_LEN + 1])
{
	memcpy(eid, "89049032", 8);
	digits_from_hash(endpoint, "eid:", eid + 8, 22);
	eid[30] = eid[31] = '0';
	unsigned check = 98 - mod97(eid, 32);
	eid[30] = (char)('0' + check / 10);
	eid[31] = (char)('0' + check % 10);
	eid[32] = 0;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int nusim_eid_valid(const char *eid)
{
	return eid && strlen(eid) == NUSIM_EID_LEN &&
	       all_digits(eid, NUSIM_EID_LEN) && mod97(eid, NUSIM_EID_LEN) == 1;
}

void nusim_iccid_from_endpoint(const char *endpoint, char iccid[20])
{
	memcpy(iccid, "8988247", 7);
	digits_from_hash(endpoint, "iccid:", iccid + 7, 11);
	/* Luhn over the 18 digits, the check digit appended. */
	unsigned sum = 0;
	for (int i = 17, dbl = 1; i >= 0; i--, dbl = !dbl) {
		unsigned d = (unsigned)(iccid[i] - '0');
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
	}
	iccid[18] = (char)('0' + (10 - sum % 10) % 10);
	iccid[19] = 0;
}

int nusim_iccid_valid(const char *iccid)
{
	size_t n = iccid ? strlen(iccid) : 0;
	return n >= 18 && n <= 22 && all_digits(iccid, n) &&
	       iccid[0] == '8' && iccid[1] == '9';
}

static lwm2m_path p508(uint16_t res)
{
	lwm2m_path p = { { 508, 0, res, 0 }, 3 };
	return p;
}

obj_rc nusim_install(objstore *s, const char *eid, const char *iccid,
                     const uint8_t *cert_der, size_t cert_len)
{
	static const uint8_t caps[2] = { 0x01, 0x01 };
	obj_rc rc = objstore_add_object(s, 507, "1.0");
	if (!rc)
		rc = objstore_add_object(s, 508, "1.0");
	if (!rc)
		rc = objstore_add_instance(s, 508, 0);
	lwm2m_path p;
	if (!rc)
		p = p508(0), rc = objstore_set_string(s, &p, eid);
	if (!rc)
		p = p508(1), rc = objstore_set_string(s, &p, iccid);
	if (!rc)
		p = p508(2), rc = objstore_set_opaque(s, &p, caps, sizeof caps);
	if (!rc) {
		/* No package linked yet: the spec's "no link" value 65535:65535. */
		lwm2m_value v = { .type = LWM2M_T_OBJLNK };
		v.v.lnk.obj = 0xFFFF;
		v.v.lnk.inst = 0xFFFF;
		p = p508(4);
		rc = objstore_set(s, &p, &v);
	}
	if (!rc)
		p = p508(6), rc = objstore_set_int(s, &p, LWM2M_T_INTEGER, 0);
	if (!rc && cert_der) {
		char *b64;
		size_t n;
		if (lwm2m_base64_encode(cert_der, cert_len, 0, &b64, &n))
			return OBJ_ERR_NOMEM;
		p = p508(3);
		rc = objstore_set_string(s, &p, b64);
		free(b64);
	}
	return rc;
}

/* The 507 instance holds all seven package parts, each a non-empty string. */
static int package_complete(const objstore *s, uint16_t inst)
{
	if (!objstore_has_instance(s, 507, inst))
		return 0;
	for (uint16_t r = 0; r <= 6; r++) {
		lwm2m_path p = { { 507, inst, r, 0 }, 3 };
		const lwm2m_value *v = objstore_get(s, &p);
		if (!v || v->type != LWM2M_T_STRING || v->len == 0)
			return 0;
	}
	return 1;
}

static void slot_set(nusim_slot *sl, const char *iccid, const char *carrier)
{
	snprintf(sl->iccid, sizeof sl->iccid, "%s", iccid);
	snprintf(sl->carrier, sizeof sl->carrier, "%s", carrier);
}

/* Opens the package of 507/inst with the nuSIM's checks; on PKG_OK *prof
 * holds the profile. */
static int open_package(const objstore *s, uint16_t inst,
                        const struct pkg_sim *sim, const nusim_fault *f,
                        struct profile *prof)
{
	const char *res[PKG_NRES];
	char mac[40] = "";
	char err[256] = "";
	for (uint16_t r = 0; r < PKG_NRES; r++) {
		lwm2m_path p = { { 507, inst, r, 0 }, 3 };
		const lwm2m_value *v = objstore_get(s, &p);
		res[r] = v ? (const char *)v->data : NULL;
	}
	if (f && f->kind == NUSIM_FAULT_CORRUPT_MAC && res[PKG_RES_MAC] &&
	    strlen(res[PKG_RES_MAC]) < sizeof mac) {
		/* The nuSIM's MAC computation is off by one bit: the check
		 * fails exactly as a tampered package would. */
		snprintf(mac, sizeof mac, "%s", res[PKG_RES_MAC]);
		mac[0] = mac[0] == '0' ? '1' : '0';
		res[PKG_RES_MAC] = mac;
	}
	int result = pkg_open(sim, res, prof, err, sizeof err);
	if (result != PKG_OK)
		clog_msg(CLOG_INFO, "package-refused", "result=%d reason=\"%s\"",
		         result, err);
	return result;
}

int nusim_load(objstore *s, const struct pkg_sim *sim, nusim *n)
{
	lwm2m_path lp = p508(4), rp = p508(6), ip = p508(1);
	const lwm2m_value *lnk = objstore_get(s, &lp);
	int result;
	if (n->busy) {
		result = NUSIM_RESULT_BUSY;
	} else if (n->fault.kind == NUSIM_FAULT_REFUSE) {
		result = n->fault.arg;
	} else if (!lnk || lnk->type != LWM2M_T_OBJLNK || lnk->v.lnk.obj != 507 ||
	           !package_complete(s, lnk->v.lnk.inst)) {
		result = NUSIM_RESULT_NO_PACKAGE;
	} else if (!sim) {
		/* No nuSIM key (no --nusim-dir): nothing can be opened. */
		result = NUSIM_RESULT_FAILED;
	} else {
		struct profile prof;
		result = open_package(s, lnk->v.lnk.inst, sim, &n->fault, &prof);
		if (result == PKG_OK) {
			if (!strcmp(n->cur.iccid, prof.iccid)) {
				result = NUSIM_RESULT_ALREADY_LOADED;
			} else if (objstore_set_string(s, &ip, prof.iccid) != OBJ_OK) {
				result = NUSIM_RESULT_FAILED;
			} else {
				n->backup = n->cur;
				slot_set(&n->cur, prof.iccid, prof.carrier);
			}
		}
		profile_clear(&prof);
	}
	objstore_set_int(s, &rp, LWM2M_T_INTEGER, result);
	return result;
}

int nusim_load_profile(objstore *s, const struct pkg_sim *sim)
{
	lwm2m_path ip = p508(1);
	const lwm2m_value *cur = objstore_get(s, &ip);
	nusim n;
	memset(&n, 0, sizeof n);
	if (cur && cur->data)
		slot_set(&n.cur, (const char *)cur->data, "");
	return nusim_load(s, sim, &n);
}

int nusim_fallback(objstore *s, nusim *n)
{
	lwm2m_path ip = p508(1);
	if (!n->backup.iccid[0])
		return -1;
	nusim_slot old = n->cur;
	n->cur = n->backup;
	n->backup = old;
	return objstore_set_string(s, &ip, n->cur.iccid) == OBJ_OK ? 0 : -1;
}

static const struct {
	const char *name;
	nusim_fault_kind kind;
	int has_arg;
	int lo, hi;
} fault_table[] = {
	{ "none", NUSIM_FAULT_NONE, 0, 0, 0 },
	{ "corrupt-mac", NUSIM_FAULT_CORRUPT_MAC, 0, 0, 0 },
	{ "refuse", NUSIM_FAULT_REFUSE, 1, 1, 255 },
	{ "never-return", NUSIM_FAULT_NEVER_RETURN, 0, 0, 0 },
	{ "late", NUSIM_FAULT_LATE, 1, 1, 86400 },
	{ "crash-after-install", NUSIM_FAULT_CRASH, 0, 0, 0 },
};

int nusim_fault_parse(const char *s, nusim_fault *out)
{
	const char *eq = strchr(s, '=');
	size_t n = eq ? (size_t)(eq - s) : strlen(s);
	for (size_t i = 0; i < sizeof fault_table / sizeof fault_table[0]; i++) {
		if (strlen(fault_table[i].name) != n ||
		    strncmp(fault_table[i].name, s, n))
			continue;
		if (!!eq != fault_table[i].has_arg)
			return -1;
		long v = 0;
		if (eq) {
			char *end;
			v = strtol(eq + 1, &end, 10);
			if (end == eq + 1 || *end || v < fault_table[i].lo ||
			    v > fault_table[i].hi)
				return -1;
		}
		out->kind = fault_table[i].kind;
		out->arg = (int)v;
		return 0;
	}
	return -1;
}

const char *nusim_fault_str(const nusim_fault *f, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof fault_table / sizeof fault_table[0]; i++) {
		if (fault_table[i].kind != f->kind)
			continue;
		if (fault_table[i].has_arg)
			snprintf(buf, cap, "%s=%d", fault_table[i].name, f->arg);
		else
			snprintf(buf, cap, "%s", fault_table[i].name);
		return buf;
	}
	snprintf(buf, cap, "unknown");
	return buf;
}
