/*
 * package.h: nuSIM profile packages (DESIGN §5, §6, docs/profile-package.md).
 *
 * The server side holds a pkg_dp (DP key pair, SigKpubDP, the CI public key,
 * the CM roots) and builds one package per nuSIM: the seven String
 * resources of an Object 507 instance. The device side (the simulated
 * nuSIM) holds a pkg_sim (its key, its EID, the CI key it trusts) and opens
 * a package with the checks and result codes of DESIGN §5.
 *
 * Both handles are read-only after creation: any number of threads may
 * build or open packages with the same handle at once. Nothing here keeps
 * global state.
 */
#ifndef CRYPTO_PACKAGE_H
#define CRYPTO_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/profile.h"

/* Object 507 resource IDs. */
enum pkg_res_id {
	PKG_RES_ENCP = 0,
	PKG_RES_MAC = 1,
	PKG_RES_EKPUBDP = 2,
	PKG_RES_SIGEKPUBDP = 3,
	PKG_RES_KPUBDP = 4,
	PKG_RES_SIGKPUBDP = 5,
	PKG_RES_KPUBCI = 6,
	PKG_NRES = 7
};

/* Load Profile Result (508/6), DESIGN §5. */
enum pkg_result {
	PKG_OK = 0,
	PKG_NOT_SUCCESSFUL = 1,
	PKG_KPUBCI_UNTRUSTED = 2,
	PKG_SIGKPUBDP_INVALID = 3,
	PKG_SIGEKPUBDP_INVALID = 4,
	PKG_MAC_FAILED = 5,
	PKG_ALREADY_LOADED = 6,
	PKG_DOES_NOT_PARSE = 7,
	PKG_INSTANCE_INCOMPLETE = 8,
	PKG_BUSY = 9,
};
/* "MAC check failed" etc.; never NULL. */
const char *pkg_result_str(int result);

/* The seven resource strings, each malloc'ed and NUL-terminated, indexed
 * by enum pkg_res_id. Keys and signatures are padded base64, mac is 32
 * lower-case hex digits. */
typedef struct pkg_507 {
	char *res[PKG_NRES];
} pkg_507;
void pkg_507_free(pkg_507 *p);

/* 1 when eid is exactly 32 decimal digits. */
int pkg_eid_valid(const char *eid);

/* ---- server side ---- */
typedef struct pkg_dp pkg_dp;

/* Builds the DP handle from PEM text: the DP private key, the CI public key
 * (a PUBLIC KEY or a CERTIFICATE), SigKpubDP (base64 of 64 bytes; trailing
 * newline allowed) and one or more CM root certificates. Refuses a SigKpubDP
 * that does not verify under the CI key. CR_OK or a crypto_rc with err. */
int pkg_dp_from_pem(const char *dp_key_pem, size_t dp_key_len,
                    const char *ci_pem, size_t ci_len, const char *sig_b64,
                    const char *cm_roots_pem, size_t cm_roots_len,
                    pkg_dp **out, char *err, size_t errlen);
void pkg_dp_free(pkg_dp *dp);
/* Canonical name of the DP key's curve (the curve of SigEKpubDP, which is
 * the CI's); NULL for NULL. */
const char *pkg_dp_curve(const pkg_dp *dp);

/* DESIGN §6 step 1: the nuSIM certificate (DER) chains to a CM root, is in
 * its validity period (strict X.509 checks), carries an EC key on a
 * supported curve, and its subject serialNumber is `eid`. CR_OK or one of
 * CR_ECERT_*, CR_EEID, CR_ECURVE, with the reason in err. */
int pkg_cert_check(const pkg_dp *dp, const uint8_t *der, size_t n,
                   const char *eid, char *err, size_t errlen);

/* DESIGN §6 steps 1-4: checks the certificate, then builds the package of
 * the encoded profile (profile.h; it must decode) for that nuSIM into *out
 * (pkg_507_free it). CR_OK or a crypto_rc with err. */
int pkg_build(const pkg_dp *dp, const uint8_t *cert_der, size_t cert_len,
              const char *eid, const uint8_t *profile, size_t profile_len,
              pkg_507 *out, char *err, size_t errlen);

/* A verified nuSIM: the certificate checked once (exactly the checks and
 * error codes of pkg_cert_check), its public key kept parsed, so that the
 * server's common path (check while preparing, then build) pays for the
 * chain once and each package costs about its three EC operations.
 * Read-only after creation: any number of threads may build with one.
 * pkg_build(dp, cert, eid, ...) is pkg_nusim_from_cert + pkg_build_for. */
typedef struct pkg_nusim pkg_nusim;

/* CR_OK with *out the caller's (pkg_nusim_free), or the code and reason
 * pkg_cert_check gives for the same input, *out NULL. */
int pkg_nusim_from_cert(const pkg_dp *dp, const uint8_t *der, size_t n,
                        const char *eid, pkg_nusim **out, char *err,
                        size_t errlen);
void pkg_nusim_free(pkg_nusim *n);
/* The EID and the canonical curve name of a handle; NULL for NULL. */
const char *pkg_nusim_eid(const pkg_nusim *n);
const char *pkg_nusim_curve(const pkg_nusim *n);
/* Seconds since the epoch until which every certificate of the verified
 * chain is valid; after it pkg_build_for answers CR_ECERT_EXPIRED. */
int64_t pkg_nusim_not_after(const pkg_nusim *n);

/* DESIGN §6 steps 2-4 for a nuSIM from pkg_nusim_from_cert with this same
 * dp (CR_EINVAL otherwise): the package of the encoded profile (it must
 * decode) into *out (pkg_507_free it). CR_OK or a crypto_rc with err. */
int pkg_build_for(const pkg_dp *dp, const pkg_nusim *n, const uint8_t *profile,
                  size_t profile_len, pkg_507 *out, char *err, size_t errlen);

/* ---- device side (the nuSIM) ---- */
typedef struct pkg_sim pkg_sim;

/* The nuSIM's private key (PEM), the CI public key it trusts (PUBLIC KEY or
 * CERTIFICATE PEM) and its EID. */
int pkg_sim_from_pem(const char *key_pem, size_t key_len, const char *ci_pem,
                     size_t ci_len, const char *eid, pkg_sim **out, char *err,
                     size_t errlen);
void pkg_sim_free(pkg_sim *s);

/* DESIGN §6 step 5: opens the package given as the seven resource strings
 * (NULL or "" for a missing one) and returns a Load Profile Result (enum
 * pkg_result). On PKG_OK *out holds the profile (profile_clear it);
 * otherwise *out is cleared and err says what failed. */
int pkg_open(const pkg_sim *s, const char *const res[PKG_NRES],
             struct profile *out, char *err, size_t errlen);

#endif
