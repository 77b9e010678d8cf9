/*
 * h_certificates.c: nuSIM certificates imported per EID, for devices that
 * do not expose 508/3 (DESIGN §6 step 1): POST /certificates (JSON, one
 * object or an array of {"eid","cert_pem"}; or text/csv eid,cert_pem_b64),
 * GET /certificates/{eid}, DELETE /certificates/{eid}.
 *
 * An import is all or nothing: every certificate is parsed, checked
 * against the CM roots and its serialNumber against its EID (the checks a
 * switch makes), and each bad one is reported by index (JSON) or line
 * (CSV) before anything is stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api/api_int.h"
#include "crypto/package.h"
#include "db/db_certs.h"
#include "lwm2m/lwm2m.h"
#include "server/switch.h"

#define MAX_CERTS 100000
#define MAX_REPORTED_ERRORS 100
#define MAX_PEM (4 * DB_MAX_CERT_DER)

typedef struct {
	char eid[DB_EID_LEN + 1];
	uint8_t *der;
	size_t der_len;
} cert_item;

/* One certificate from PEM text (or DER, which CSV base64 may carry) into
 * DER; -1 with the reason. Exactly one certificate is accepted. */
static int to_der(const uint8_t *in, size_t n, uint8_t **der, size_t *len,
                  char *why, size_t wn)
{
	*der = NULL;
	*len = 0;
	if (!n || n > MAX_PEM) {
		snprintf(why, wn, "the certificate is empty or over %d bytes", MAX_PEM);
		return -1;
	}
	X509 *x = NULL;
	int rc = -1;
	if (n >= 10 && !memcmp(in, "-----BEGIN", 10)) {
		BIO *b = BIO_new_mem_buf(in, (int)n);
		x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		X509 *more = x ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (more) {
			X509_free(more);
			snprintf(why, wn, "more than one certificate: give the nuSIM's "
			         "own, one per EID");
			goto out;
		}
	} else {
		const unsigned char *p = in;
		x = d2i_X509(NULL, &p, (long)n);
		if (x && p != in + n) {
			snprintf(why, wn, "trailing bytes after the DER certificate");
			goto out;
		}
	}
	if (!x) {
		snprintf(why, wn, "not a PEM (or DER) X.509 certificate");
		goto out;
	}
	unsigned char *buf = NULL;
	int l = i2d_X509(x, &buf);
	if (l <= 0 || l > DB_MAX_CERT_DER) {
		OPENSSL_free(buf);
		snprintf(why, wn, "the certificate is over %d bytes of DER",
		         DB_MAX_CERT_DER);
		goto out;
	}
	if (!(*der = malloc((size_t)l))) {
		OPENSSL_free(buf);
		snprintf(why, wn, "out of memory");
		goto out;
	}
	memcpy(*der, buf, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(buf);
	rc = 0;
out:
	X509_free(x);
	ERR_clear_error();
	return rc;
}

/* Checks one item and fills it; -1 with the reason. */
static int take(api_call *c, const char *eid, const uint8_t *pem, size_t n,
                const cert_item *done, size_t ndone, cert_item *it, char *why,
                size_t wn)
{
	memset(it, 0, sizeof *it);
	if (!eid || !pkg_eid_valid(eid)) {
		snprintf(why, wn, "eid \"%.40s\" is not 32 digits", eid ? eid : "");
		return -1;
	}
	for (size_t i = 0; i < ndone; i++)
		if (!strcmp(done[i].eid, eid)) {
			snprintf(why, wn, "eid %s appears twice", eid);
			return -1;
		}
	if (to_der(pem, n, &it->der, &it->der_len, why, wn) < 0)
		return -1;
	char err[256];
	if (sw_cert_check(c->a->sw, it->der, it->der_len, eid, err, sizeof err)) {
		snprintf(why, wn, "%s", err);
		free(it->der);
		it->der = NULL;
		return -1;
	}
	snprintf(it->eid, sizeof it->eid, "%s", eid);
	return 0;
}

static void add_error(json_t *errors, size_t *nerr, const char *key, int at,
                      const char *eid, const char *why)
{
	if ((*nerr)++ < MAX_REPORTED_ERRORS)
		json_array_append_new(errors, json_pack("{sisoss}", key, at, "eid",
		                      eid ? json_string(eid) : json_null(),
		                      "detail", why));
}

/* The JSON body: one object or an array of them. */
static void from_json(api_call *c, json_t *j, cert_item *items, size_t *n,
                      json_t *errors, size_t *nerr)
{
	size_t count = json_is_array(j) ? json_array_size(j) : 1;
	for (size_t i = 0; i < count; i++) {
		json_t *o = json_is_array(j) ? json_array_get(j, i) : j;
		const char *eid = json_string_value(json_object_get(o, "eid"));
		const char *pem = json_string_value(json_object_get(o, "cert_pem"));
		char why[300];
		if (!json_is_object(o) || !pem) {
			add_error(errors, nerr, "index", (int)i, eid,
			          "want an object with \"eid\" and \"cert_pem\"");
			continue;
		}
		if (take(c, eid, (const uint8_t *)pem, strlen(pem), items, *n,
		         &items[*n], why, sizeof why) < 0)
			add_error(errors, nerr, "index", (int)i, eid, why);
		else
			(*n)++;
	}
}

/* text/csv: eid,cert_pem_b64 (a header row is skipped). */
static void from_csv(api_call *c, const api_csv *csv, cert_item *items,
                     size_t *n, json_t *errors, size_t *nerr)
{
	for (size_t i = 0; i < csv->n; i++) {
		const api_csv_row *r = &csv->row[i];
		char why[300];
		if (i == 0 && r->n >= 1 && !strcmp(r->field[0], "eid"))
			continue;
		if (r->n == 1 && !r->field[0][0])
			continue;   /* a blank line */
		if (r->n != 2) {
			snprintf(why, sizeof why, "%zu fields, want 2 (eid,cert_pem_b64)",
			         r->n);
			add_error(errors, nerr, "line", r->line, NULL, why);
			continue;
		}
		uint8_t *pem = NULL;
		size_t pl = 0;
		const char *b64 = r->field[1];
		if (strlen(b64) > 2 * MAX_PEM ||
		    lwm2m_base64_decode(b64, strlen(b64), 0, &pem, &pl) != LWM2M_OK) {
			free(pem);
			add_error(errors, nerr, "line", r->line, r->field[0],
			          "cert_pem_b64 is not base64 of a certificate");
			continue;
		}
		if (take(c, r->field[0], pem, pl, items, *n, &items[*n], why,
		         sizeof why) < 0)
			add_error(errors, nerr, "line", r->line, r->field[0], why);
		else
			(*n)++;
		free(pem);
	}
}

/* POST /api/v1/certificates */
void h_certificates_post(api_call *c)
{
	char ct[64], err[256];
	api_csv csv;
	json_t *j = NULL, *errors = NULL;
	cert_item *items = NULL;
	size_t n = 0, nerr = 0, cap;
	memset(&csv, 0, sizeof csv);
	if (api_need_switch(c))
		return;
	if (!sw_ready(c->a->sw)) {
		api_problem(c, 503, "unavailable", NULL, "no PKI is loaded "
		            "(--pki-dir): certificates cannot be checked against "
		            "the CM roots");
		return;
	}
	api_content_type(c, ct, sizeof ct);
	int is_csv = !strcmp(ct, "text/csv");
	if (!is_csv && !api_ctype_is_json(ct)) {
		api_problem(c, 415, "unsupported-media-type", NULL, "send JSON "
		            "{\"eid\",\"cert_pem\"} (or an array), or text/csv "
		            "eid,cert_pem_b64, not \"%s\"", ct);
		return;
	}
	if (is_csv) {
		if (api_csv_parse((const char *)c->body, c->len, MAX_CERTS, &csv,
		                  err, sizeof err) < 0) {
			api_problem(c, 422, "validation-failed", NULL, "%s", err);
			return;
		}
		cap = csv.n;
	} else {
		if (!(j = api_body_json(c)))
			return;
		if (!json_is_object(j) && !json_is_array(j)) {
			api_problem(c, 400, "bad-request", NULL, "the body must be an "
			            "object or an array of objects");
			goto out;
		}
		cap = json_is_array(j) ? json_array_size(j) : 1;
		if (cap > MAX_CERTS) {
			api_problem(c, 413, "too-large", NULL, "at most %d certificates "
			            "an upload", MAX_CERTS);
			goto out;
		}
	}
	items = calloc(cap ? cap : 1, sizeof *items);
	errors = json_array();
	if (!items || !errors) {
		api_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	if (is_csv)
		from_csv(c, &csv, items, &n, errors, &nerr);
	else
		from_json(c, j, items, &n, errors, &nerr);
	if (nerr) {
		api_problem(c, 422, "validation-failed",
		            json_pack("{sOsI}", "errors", errors,
		                      "error_count", (json_int_t)nerr),
		            "%zu of the certificates are bad; nothing was imported",
		            nerr);
		goto out;
	}
	if (!n) {
		api_problem(c, 422, "validation-failed", NULL,
		            "the upload holds no certificate");
		goto out;
	}
	db *d = c->a->d;
	size_t replaced = 0;
	db_rc rc = db_begin(d);
	for (size_t i = 0; !rc && i < n; i++) {
		int rep = 0;
		rc = db_cert_put(d, items[i].eid, items[i].der, items[i].der_len,
		                 c->tok.name, &rep);
		replaced += rep != 0;
	}
	if (rc || (rc = db_commit(d))) {
		api_problem(c, 500, "internal", NULL, "nothing was imported: %s",
		            db_errmsg(d));
		db_rollback(d);
		goto out;
	}
	char det[64];
	snprintf(det, sizeof det, "%zu certificates, %zu replaced", n, replaced);
	db_audit_add(d, c->tok.name, "certificates import",
	             n == 1 ? items[0].eid : "", det);
	api_reply_json(c, 201, json_pack("{sIsI}", "imported", (json_int_t)n,
	                                 "replaced", (json_int_t)replaced));
out:
	for (size_t i = 0; items && i < n; i++)
		free(items[i].der);
	free(items);
	json_decref(errors);
	json_decref(j);
	api_csv_free(&csv);
}

/* An ASN1_TIME as seconds since the epoch; 0 when it does not convert. */
static int64_t asn1_secs(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static json_t *name_json(const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	json_t *out = json_null();
	if (b && X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0) {
		long l = BIO_get_mem_data(b, &p);
		if (l >= 0)
			out = json_stringn(p, (size_t)l);
	}
	BIO_free(b);
	return out ? out : json_null();
}

static json_t *cert_json(const db_cert *ce)
{
	const unsigned char *p = ce->der;
	X509 *x = d2i_X509(NULL, &p, (long)ce->der_len);
	json_t *o = json_pack("{sssssoso}", "eid", ce->eid, "imported_by",
	                      ce->imported_by, "created_at",
	                      api_time(ce->created_at), "updated_at",
	                      api_time(ce->updated_at));
	if (!o || !x) {
		X509_free(x);
		ERR_clear_error();
		return o;
	}
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	if (b && PEM_write_bio_X509(b, x)) {
		long l = BIO_get_mem_data(b, &pem);
		if (l > 0)
			json_object_set_new(o, "cert_pem", json_stringn(pem, (size_t)l));
	}
	BIO_free(b);
	json_object_set_new(o, "subject", name_json(X509_get_subject_name(x)));
	json_object_set_new(o, "issuer", name_json(X509_get_issuer_name(x)));
	json_object_set_new(o, "not_before",
	                    api_time(asn1_secs(X509_get0_notBefore(x))));
	json_object_set_new(o, "not_after",
	                    api_time(asn1_secs(X509_get0_notAfter(x))));
	X509_free(x);
	ERR_clear_error();
	return o;
}

/* GET /api/v1/certificates/{eid} */
void h_certificate_get(api_call *c)
{
	const char *eid = api_param(c, "eid");
	db_cert ce;
	db_rc rc = db_cert_get(c->a->d, eid, &ce);
	if (rc == DB_NOT_FOUND) {
		api_problem(c, 404, "not-found", NULL, "no certificate for EID %.40s",
		            eid);
		return;
	}
	if (rc) {
		api_problem(c, 500, "internal", NULL, "%s", db_errmsg(c->a->d));
		return;
	}
	api_reply_json(c, 200, cert_json(&ce));
	db_cert_clear(&ce);
}

/* DELETE /api/v1/certificates/{eid} */
void h_certificate_delete(api_call *c)
{
	const char *eid = api_param(c, "eid");
	db_rc rc = db_cert_delete(c->a->d, eid);
	if (rc == DB_NOT_FOUND) {
		api_problem(c, 404, "not-found", NULL, "no certificate for EID %.40s",
		            eid);
		return;
	}
	if (rc) {
		api_problem(c, 500, "internal", NULL, "%s", db_errmsg(c->a->d));
		return;
	}
	db_audit_add(c->a->d, c->tok.name, "certificate delete", eid, "");
	api_reply_empty(c, 204);
}
