/*
 * provision.h: device credentials as operators provision them, one path for
 * `nusimd device add` and POST /api/v1/devices.
 */
#ifndef SERVER_PROVISION_H
#define SERVER_PROVISION_H

#include <stddef.h>
#include "db/db.h"
#include "crypto/seal.h"

enum {
	PROVISION_OK = 0,
	PROVISION_INVALID = -1,   /* bad endpoint, identity or key; err says which */
	PROVISION_CONFLICT = -2,  /* identity already bound to another endpoint */
	PROVISION_ERROR = -3,     /* storage or crypto failure */
};

/* Validates (endpoint: 1..128 printable characters without control bytes;
 * identity: 1..256 bytes without NUL; key: 2..128 hex digits, even count, so
 * 1..64 bytes), seals the key under k with aad "psk:<endpoint>", and stores
 * the device. identity and psk_hex both NULL: a NoSec device. */
int provision_device(db *d, const seal_key *k, const char *endpoint,
                     const char *identity, const char *psk_hex,
                     char *err, size_t errlen);

#endif
