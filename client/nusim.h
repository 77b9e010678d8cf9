/*
 * nusim.h: the simulated nuSIM, exposed as LwM2M Object 508 (DESIGN §5).
 *
 * 508/0 EID, 508/1 ICCID of the loaded profile, 508/2 capabilities
 * (spec version 0x01, flags 0x01 = DP authentication supported), 508/4 the
 * Objlnk to the 507 instance to load (RW), 508/5 Load Profile (E), 508/6 the
 * Load Profile Result. nusim_load_profile() is the seam to the profile
 * package crypto (crypto/package.h): with the nuSIM's key and the CI key it
 * trusts (a pkg_sim, from `nusimd pki device`), it opens the package of the
 * linked 507 instance with the checks and result codes of DESIGN §5/§6 and
 * then holds the new profile's ICCID in 508/1; without keys it cannot open
 * anything and reports 1 (not successful).
 */
#ifndef CLIENT_NUSIM_H
#define CLIENT_NUSIM_H

#include "client/objects.h"

struct pkg_sim;

#define NUSIM_EID_LEN 32

/* Load Profile Result values (DESIGN §5). */
enum {
	NUSIM_RESULT_OK = 0,
	NUSIM_RESULT_FAILED = 1,
	NUSIM_RESULT_BAD_KPUBCI = 2,
	NUSIM_RESULT_BAD_SIGKPUBDP = 3,
	NUSIM_RESULT_BAD_SIGEKPUBDP = 4,
	NUSIM_RESULT_BAD_MAC = 5,
	NUSIM_RESULT_ALREADY_LOADED = 6,
	NUSIM_RESULT_BAD_PROFILE = 7,
	NUSIM_RESULT_NO_PACKAGE = 8,
	NUSIM_RESULT_BUSY = 9,
};

/* A 32-digit EID derived from the endpoint name: "89049032", 22 digits of
 * SHA-256(endpoint), two ISO 7064 MOD 97-10 check digits (as GSMA SGP.29
 * EIDs have). Writes 33 bytes with the NUL. */
void nusim_eid_from_endpoint(const char *endpoint, char eid[NUSIM_EID_LEN + 1]);
/* 1 if `eid` is 32 digits whose value mod 97 is 1. */
int nusim_eid_valid(const char *eid);
/* A 19-digit ICCID derived from the endpoint ("8988247" + 11 digits + Luhn
 * check digit). Writes 20 bytes with the NUL. */
void nusim_iccid_from_endpoint(const char *endpoint, char iccid[20]);
/* 1 if `iccid` is 18 to 22 digits starting with 89. */
int nusim_iccid_valid(const char *iccid);

/* Creates 508/0 with its resources in the store; cert_der (the nuSIM
 * certificate, 508/3 as base64) may be NULL. */
obj_rc nusim_install(objstore *s, const char *eid, const char *iccid,
                     const uint8_t *cert_der, size_t cert_len);

/* Executes Load Profile: finds the 507 instance 508/4 points at, opens it
 * with `sim` (NULL: no keys, result 1), on success sets 508/1 to the new
 * ICCID, and writes the result to 508/6 (which notifies observers).
 * Returns the result code. */
int nusim_load_profile(objstore *s, const struct pkg_sim *sim);

#endif
