/*
 * pki.h: the demo PKI of DESIGN §6 on disk, and loading it.
 *
 * pki_init(dir) creates (docs/profile-package.md lists the files):
 *   ci.key.pem ci.cert.pem ci.pub.pem       CI: self-signed, brainpoolP256r1
 *   dp.key.pem dp.cert.pem dp.sig.b64       DP: key, cert by CI, SigKpubDP
 *   cm.key.pem cm.cert.pem                  CM root CA, self-signed
 * pki_device(dir, eid) creates devices/<EID>.key.pem and
 * devices/<EID>.cert.pem (CERT.NUSIM.ECDSA-style, signed by the CM root).
 * Private keys are mode 0600; nothing existing is ever overwritten.
 */
#ifndef CRYPTO_PKI_H
#define CRYPTO_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/package.h"

/* Creates the CI, DP and CM files in dir (created 0700 if missing).
 * CR_EEXIST when any of them already exists (nothing is then written). */
int pki_init(const char *dir, char *err, size_t errlen);

/* Creates a nuSIM key on `curve` (NULL: brainpoolP256r1) and its
 * certificate: subject CN "nuSIM <EID>", serialNumber EID, signed by the CM
 * root of dir, valid 5 years. The paths written go to key_path/cert_path
 * (either may be NULL). CR_EEXIST when that EID already has files. */
int pki_device(const char *dir, const char *eid, const char *curve,
               char *key_path, size_t key_cap, char *cert_path,
               size_t cert_cap, char *err, size_t errlen);

/* The `nusimd pki init|device` subcommands: do the whole job, print each
 * created path on its own line of stdout. 0 on success, -1 with err. */
int pki_cmd_init(const char *dir, char *err, size_t errlen);
int pki_cmd_device(const char *dir, const char *eid, char *err, size_t errlen);

/* What nusimd needs at run time: the DP handle from dir (dp.key.pem,
 * ci.pub.pem, dp.sig.b64, cm.cert.pem). *out is the caller's. */
int pki_load_dp(const char *dir, pkg_dp **out, char *err, size_t errlen);

/* What the simulated nuSIM of `eid` needs: its handle (its key, the CI key
 * it trusts, its EID) and, when cert_der is not NULL, its certificate as
 * DER (malloc'ed; for 508/3). */
int pki_load_sim(const char *dir, const char *eid, pkg_sim **out,
                 uint8_t **cert_der, size_t *cert_len, char *err,
                 size_t errlen);

/* Reads a whole file of at most max bytes into a malloc'ed, NUL-terminated
 * buffer (wipe it with seal_wipe_free when it held a key). */
int pki_read_file(const char *path, size_t max, char **out, size_t *len,
                  char *err, size_t errlen);

/* The certificate maker under pki_init/pki_device, for tools and tests:
 * a certificate for subject_key (only its public half is used), subject CN
 * `cn` and optional serialNumber, signed by issuer_key; issuer_cert NULL
 * makes it self-signed. Valid from now + not_before_s to now + not_after_s
 * (seconds, may be negative). ca selects CA or end-entity extensions. */
int pki_make_cert(EVP_PKEY *subject_key, const char *cn, const char *serial,
                  EVP_PKEY *issuer_key, X509 *issuer_cert, int ca,
                  long not_before_s, long not_after_s, X509 **out, char *err,
                  size_t errlen);

#endif
