/*
 * provision.c: validate, seal and store device credentials
 * (server/provision.h). The key never leaves this function in clear: it is
 * decoded into a local buffer, sealed, and the buffer wiped.
 */
#include "server/provision.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int valid_endpoint(const char *ep)
{
	size_t n = strlen(ep);
	if (n < 1 || n > DB_MAX_EP)
		return 0;
	for (const unsigned char *p = (const unsigned char *)ep; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int provision_device(db *d, const seal_key *k, const char *endpoint,
                     const char *identity, const char *psk_hex,
                     char *err, size_t errlen)
{
	uint8_t key[64], *sealed = NULL;
	size_t n, klen = 0, sealed_len = 0;
	char aad[DB_MAX_EP + 8];
	int rc = PROVISION_ERROR;
	db_rc drc;

	if (!endpoint || !valid_endpoint(endpoint)) {
		snprintf(err, errlen,
		         "endpoint: 1..128 characters without control bytes");
		return PROVISION_INVALID;
	}
	if (!identity && !psk_hex) {
		drc = db_device_put(d, endpoint, "", NULL, 0);
		goto stored;
	}
	if (!identity || !*identity || strlen(identity) > DB_MAX_IDENTITY) {
		snprintf(err, errlen, "psk_identity: 1..256 bytes");
		return PROVISION_INVALID;
	}
	n = psk_hex ? strlen(psk_hex) : 0;
	if (n < 2 || n > 128 || n % 2) {
		snprintf(err, errlen,
		         "psk_key: 2..128 hex digits, an even count (1..64 bytes)");
		return PROVISION_INVALID;
	}
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(psk_hex[i]), lo = hexval(psk_hex[i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "psk_key: not hex");
			rc = PROVISION_INVALID;
			goto out;
		}
		key[klen++] = (uint8_t)(hi << 4 | lo);
	}
	snprintf(aad, sizeof aad, "psk:%s", endpoint);
	if (!k || seal(k, aad, key, klen, &sealed, &sealed_len) < 0) {
		snprintf(err, errlen, "cannot seal the key");
		goto out;
	}
	drc = db_device_put(d, endpoint, identity, sealed, sealed_len);
stored:
	if (drc == DB_CONFLICT) {
		snprintf(err, errlen, "psk_identity is bound to another endpoint");
		rc = PROVISION_CONFLICT;
	} else if (drc != DB_OK) {
		snprintf(err, errlen, "storage: %s", db_errmsg(d));
		rc = PROVISION_ERROR;
	} else {
		rc = PROVISION_OK;
	}
out:
	OPENSSL_cleanse(key, sizeof key);
	free(sealed);
	return rc;
}
