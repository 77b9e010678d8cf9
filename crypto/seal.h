/*
 * seal.h: secrets at rest (DESIGN §6). AES-256-GCM under a 32-byte master
 * key read from a key file (mode 0600, 64 hex digits) or from the
 * environment variable NUSIMD_MASTER_KEY (64 hex digits). PSK keys, plaintext
 * profiles and the DP private key are stored only sealed.
 *
 * Sealed blob: version byte 0x01 ‖ 12-byte random nonce ‖ ciphertext ‖
 * 16-byte tag. `aad` binds a blob to its place (e.g. "psk:<endpoint>"), so a
 * blob copied to another row does not open.
 */
#ifndef CRYPTO_SEAL_H
#define CRYPTO_SEAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct seal_key seal_key;

#define SEAL_OVERHEAD (1 + 12 + 16)

/* Loads the master key: from `path` when not NULL, else from
 * NUSIMD_MASTER_KEY. Refuses a key file readable by group or others, a key
 * that is not 64 hex digits, a missing file. 0 on success; -1 with a clear
 * reason in err. The key is kept in locked, wiped-on-free memory. */
int seal_key_load(const char *path, seal_key **out, char *err, size_t errlen);
/* Creates a new random key file at `path` (mode 0600, O_EXCL). */
int seal_key_generate(const char *path, char *err, size_t errlen);
/* Wraps 32 raw bytes (tests). */
int seal_key_from_bytes(const uint8_t key[32], seal_key **out);
void seal_key_free(seal_key *k);
/* A value that identifies the key without revealing it (hex of a keyed
 * hash, 64 chars + NUL), stored once so a wrong key is caught at start-up. */
void seal_key_check_value(const seal_key *k, char out[65]);

/* *out is malloc'ed, n + SEAL_OVERHEAD bytes. 0 on success, -1 on error. */
int seal(const seal_key *k, const char *aad, const uint8_t *in, size_t n,
         uint8_t **out, size_t *outlen);
/* -1 if the blob is malformed or does not authenticate (wrong key, wrong
 * aad, tampered). *out is malloc'ed; wipe it (seal_wipe_free) after use. */
int unseal(const seal_key *k, const char *aad, const uint8_t *in, size_t n,
           uint8_t **out, size_t *outlen);
/* OPENSSL_cleanse then free. */
void seal_wipe_free(void *p, size_t n);

#endif
