/*
 * nusim_keys.h: nuSIM identities made in memory for fleet mode (--pki-dir):
 * what a chip maker does at manufacture, done by the simulator at start so
 * a fleet of thousands needs no files. Each device gets a fresh
 * brainpoolP256r1 key and a CERT.NUSIM.ECDSA-style certificate (subject
 * serialNumber = its EID) signed by the demo PKI's CM root, and trusts the
 * demo CI key, exactly as `nusimd pki device` would have made them.
 */
#ifndef CLIENT_NUSIM_KEYS_H
#define CLIENT_NUSIM_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "client/nusim.h"

struct pkg_sim;
typedef struct nusim_maker nusim_maker;

/* The fleet's EID of device i (1-based): "89049032", i as 22 digits, and
 * two ISO 7064 MOD 97-10 check digits. Writes 33 bytes with the NUL. */
void nusim_eid_from_index(unsigned i, char eid[NUSIM_EID_LEN + 1]);

/* Reads the CM key and certificate and the CI public key of `nusimd pki
 * init --dir DIR`. NULL with err. */
nusim_maker *nusim_maker_load(const char *dir, char *err, size_t errlen);
void nusim_maker_free(nusim_maker *m);

/* A new nuSIM for `eid`: *sim (pkg_sim_free it) and its certificate as DER
 * (*cert, malloc'ed). 0 or -1 with err. */
int nusim_maker_make(const nusim_maker *m, const char *eid,
                     struct pkg_sim **sim, uint8_t **cert, size_t *cert_len,
                     char *err, size_t errlen);

#endif
