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
 *
 * A `nusim` holds what a real nuSIM keeps besides the objects: the loaded
 * profile (ICCID and carrier name), the previous one as a backup (a device
 * that cannot attach on the new carrier falls back to it), a busy flag
 * while a load and its re-attach are in progress, and a fault knob for
 * tests. nusim_store.c persists it (--state-file).
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

/* Test faults (--fault, DESIGN §5 result codes). The first two change what
 * the nuSIM answers; the others how the device re-attaches (device.c). */
typedef enum {
	NUSIM_FAULT_NONE = 0,
	NUSIM_FAULT_CORRUPT_MAC,   /* the MAC check computes wrong: result 5 */
	NUSIM_FAULT_REFUSE,        /* answer result code `arg` */
	NUSIM_FAULT_NEVER_RETURN,  /* after install never registers again */
	NUSIM_FAULT_LATE,          /* re-registers only after `arg` seconds */
	NUSIM_FAULT_CRASH,         /* exits after install, before re-registering */
} nusim_fault_kind;

typedef struct {
	nusim_fault_kind kind;
	int arg;
} nusim_fault;

/* "none", "corrupt-mac", "refuse=N" (1..255), "never-return", "late=S"
 * (1..86400), "crash-after-install"; 0 or -1. */
int nusim_fault_parse(const char *s, nusim_fault *out);
/* The text form of f into buf ("late=5"). */
const char *nusim_fault_str(const nusim_fault *f, char *buf, size_t cap);

#define NUSIM_ICCID_MAX 22
#define NUSIM_CARRIER_MAX 64

/* One installed profile: what the device needs to attach with it. Ki and
 * OPc stay inside the (simulated) secure element and are not kept here. */
typedef struct {
	char iccid[NUSIM_ICCID_MAX + 1];   /* "" = none */
	char carrier[NUSIM_CARRIER_MAX + 1];
} nusim_slot;

typedef struct nusim {
	nusim_slot cur;      /* the loaded profile (508/1) */
	nusim_slot backup;   /* the previous one; iccid "" when none */
	int busy;            /* a load or its re-attach is in progress: 9 */
	nusim_fault fault;
} nusim;

/* Execute Load Profile on the nuSIM `n`: result 9 while busy, the fault's
 * code for refuse=N, 8 when 508/4 does not point at a complete 507
 * instance, 1 without keys, else pkg_open's checks in DESIGN §6 step 5
 * order (with corrupt-mac the MAC check fails: 5), 6 when the package holds
 * the profile already loaded. On 0 the old profile becomes the backup and
 * 508/1 the new ICCID. The result goes to 508/6 (observers are notified)
 * and is returned. The caller sets n->busy while it re-attaches. */
int nusim_load(objstore *s, const struct pkg_sim *sim, nusim *n);

/* Loads the backup again: it becomes the current profile (508/1 back to
 * its ICCID), and the profile it replaces becomes the backup. -1 when
 * there is no backup. */
int nusim_fallback(objstore *s, nusim *n);

/* ---- nusim_store.c: the --state-file ---- */

/* Writes the loaded profile, the backup and every 507 instance of `s` to
 * `path` atomically (a temporary file, fsync, rename; mode 0600). 0 or -1
 * with err. */
int nusim_state_save(const char *path, const nusim *n, const objstore *s,
                     char *err, size_t errlen);
/* Reads what nusim_state_save wrote: n->cur and n->backup, 508/1 and the
 * 507 instances. 1 when the file does not exist (nothing changed), 0 when
 * loaded, -1 with err when it is malformed (nothing changed either). */
int nusim_state_load(const char *path, nusim *n, objstore *s, char *err,
                     size_t errlen);

#endif
