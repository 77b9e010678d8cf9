/*
 * db_certs.h: nuSIM certificates the operator imported per EID
 * (schema/005_certificates.sql), for devices that do not expose 508/3
 * (DESIGN §6 step 1). The storage layer keeps the DER as given; checking
 * it against the CM roots is the caller's (api/h_certificates.c at import,
 * the switch engine again before every package).
 */
#ifndef DB_DB_CERTS_H
#define DB_DB_CERTS_H

#include "db/db.h"

#define DB_EID_LEN 32
#define DB_MAX_CERT_DER 16384
#define DB_MAX_IMPORTER 64

typedef struct {
	char eid[DB_EID_LEN + 1];
	uint8_t *der;                 /* malloc'ed */
	size_t der_len;
	char imported_by[DB_MAX_IMPORTER + 1]; /* token name, "" if unknown */
	int64_t created_at, updated_at;        /* seconds since the epoch */
} db_cert;

/* Stores the certificate of eid (32 digits), replacing the one it had;
 * *replaced (may be NULL) is set to 1 when there was one. by may be NULL. */
db_rc db_cert_put(db *d, const char *eid, const uint8_t *der, size_t len,
                  const char *by, int *replaced);
/* DB_NOT_FOUND when eid has none. Free with db_cert_clear. */
db_rc db_cert_get(db *d, const char *eid, db_cert *out);
/* DB_NOT_FOUND when eid has none. */
db_rc db_cert_delete(db *d, const char *eid);
void db_cert_clear(db_cert *c);

#endif
