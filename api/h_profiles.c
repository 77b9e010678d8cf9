/*
 * h_profiles.c: the profile inventory over REST: POST /profiles (one, as
 * fields or as a crypto/profile.h container), POST /profiles/import (CSV,
 * all or nothing, errors by line), GET /profiles and GET /carriers.
 * Profiles are validated (ICCID Luhn, IMSI, carrier, Ki/OPc, container
 * contents) and stored only sealed (aad "profile:<iccid>"); Ki and OPc
 * are never shown and are wiped after use.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "api/api_int.h"
#include "crypto/profile.h"
#include "crypto/cerr.h"
#include "db/db_switch.h"
#include "lwm2m/lwm2m.h"

#define MAX_IMPORT_ROWS 100000
#define MAX_REPORTED_ERRORS 100

static int hex16(const char *s, uint8_t out[16])
{
	if (!s || strlen(s) != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (!isxdigit((unsigned char)s[2 * i]) ||
		    !isxdigit((unsigned char)s[2 * i + 1]) ||
		    sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* Fills p from the five fields; -1 with the reason in why. */
static int from_fields(struct profile *p, const char *iccid, const char *imsi,
                       const char *carrier, const char *ki, const char *opc,
                       char *why, size_t n)
{
	memset(p, 0, sizeof *p);
	if (!iccid || !profile_iccid_valid(iccid)) {
		snprintf(why, n, "iccid \"%.24s\" is not 18-20 digits with a valid "
		         "Luhn check digit", iccid ? iccid : "");
		return -1;
	}
	if (!imsi || !carrier || strlen(imsi) >= sizeof p->imsi ||
	    strlen(carrier) >= sizeof p->carrier) {
		snprintf(why, n, "imsi (6-15 digits) and carrier (1-64 bytes) are "
		         "required");
		return -1;
	}
	if (hex16(ki, p->ki) || hex16(opc, p->opc)) {
		snprintf(why, n, "ki and opc must be 32 hex digits each");
		OPENSSL_cleanse(p, sizeof *p);
		return -1;
	}
	snprintf(p->iccid, sizeof p->iccid, "%s", iccid);
	snprintf(p->imsi, sizeof p->imsi, "%s", imsi);
	snprintf(p->carrier, sizeof p->carrier, "%s", carrier);
	char e[160];
	if (profile_validate(p, e, sizeof e) != CR_OK) {
		snprintf(why, n, "%s", e);
		profile_clear(p);
		return -1;
	}
	return 0;
}

/* Encodes and seals p into a db_profile row (sealed is malloc'ed). */
static int seal_row(const seal_key *k, const struct profile *p,
                    db_profile *row, char *why, size_t n)
{
	uint8_t enc[PROFILE_MAX];
	size_t len = 0;
	char aad[32], e[160];
	memset(row, 0, sizeof *row);
	if (profile_encode(p, enc, sizeof enc, &len, e, sizeof e) != CR_OK) {
		snprintf(why, n, "%s", e);
		return -1;
	}
	snprintf(aad, sizeof aad, "profile:%s", p->iccid);
	int rc = seal(k, aad, enc, len, &row->sealed, &row->sealed_len);
	OPENSSL_cleanse(enc, sizeof enc);
	if (rc < 0) {
		snprintf(why, n, "cannot seal the profile");
		return -1;
	}
	snprintf(row->iccid, sizeof row->iccid, "%s", p->iccid);
	snprintf(row->imsi, sizeof row->imsi, "%s", p->imsi);
	snprintf(row->carrier, sizeof row->carrier, "%s", p->carrier);
	return 0;
}

static json_t *profile_json(const db_profile *p)
{
	return json_pack("{sssssssssbsososo}", "iccid", p->iccid, "imsi", p->imsi,
	                 "carrier", p->carrier, "state", p->state,
	                 "loaded", p->loaded != 0,
	                 "endpoint", p->endpoint[0] ? json_string(p->endpoint)
	                                            : json_null(),
	                 "job_id", p->job_id ? json_integer(p->job_id) : json_null(),
	                 "created_at", api_time(p->created_at));
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* POST /api/v1/profiles */
void h_profiles_post(api_call *c)
{
	struct profile p;
	db_profile row;
	char why[256];
	memset(&row, 0, sizeof row);
	json_t *j = api_body_json(c);
	if (!j)
		return;
	if (!json_is_object(j)) {
		api_problem(c, 400, "bad-request", NULL, "the body must be a JSON object");
		goto out;
	}
	const char *iccid = jstr(j, "iccid"), *b64 = jstr(j, "container");
	if (b64) {
		uint8_t *raw = NULL;
		size_t rl = 0;
		char e[160];
		if (lwm2m_base64_decode(b64, strlen(b64), 0, &raw, &rl) != LWM2M_OK ||
		    rl > PROFILE_MAX) {
			free(raw);
			api_problem(c, 422, "validation-failed", NULL, "container is not "
			            "base64 of at most %d bytes", PROFILE_MAX);
			goto out;
		}
		int drc = profile_decode(raw, rl, &p, e, sizeof e);
		OPENSSL_cleanse(raw, rl);
		free(raw);
		if (drc != CR_OK) {
			api_problem(c, 422, "validation-failed", NULL,
			            "the container does not parse: %s", e);
			goto out;
		}
		const char *imsi = jstr(j, "imsi"), *car = jstr(j, "carrier");
		if (!iccid || strcmp(iccid, p.iccid) || (imsi && strcmp(imsi, p.imsi)) ||
		    (car && strcmp(car, p.carrier))) {
			api_problem(c, 422, "validation-failed", NULL,
			            "the container holds ICCID %s (IMSI %s, carrier %s), "
			            "not the declared one", p.iccid, p.imsi, p.carrier);
			profile_clear(&p);
			goto out;
		}
	} else if (from_fields(&p, iccid, jstr(j, "imsi"), jstr(j, "carrier"),
	                       jstr(j, "ki"), jstr(j, "opc"), why, sizeof why)) {
		api_problem(c, 422, "validation-failed", NULL, "%s", why);
		goto out;
	}
	int src = seal_row(c->a->k, &p, &row, why, sizeof why);
	profile_clear(&p);
	if (src) {
		api_problem(c, 422, "validation-failed", NULL, "%s", why);
		goto out;
	}
	db_rc rc = db_profile_add(c->a->d, &row);
	if (rc == DB_CONFLICT) {
		api_problem(c, 409, "conflict", NULL, "profile %s exists already",
		            row.iccid);
		goto out;
	}
	if (rc) {
		api_problem(c, 500, "internal", NULL, "cannot store the profile: %s",
		            db_errmsg(c->a->d));
		goto out;
	}
	db_audit_add(c->a->d, c->tok.name, "profile add", row.iccid, row.carrier);
	db_profile stored;
	if (db_profile_get(c->a->d, row.iccid, &stored) == DB_OK) {
		api_reply_json(c, 201, profile_json(&stored));
		db_profile_clear(&stored);
	} else {
		api_reply_empty(c, 201);
	}
out:
	db_profile_clear(&row);
	json_decref(j);
}

static int is_header(const api_csv_row *r)
{
	return r->n >= 1 && !strcmp(r->field[0], "iccid");
}

/* POST /api/v1/profiles/import: text/csv, iccid,imsi,carrier,ki,opc. */
void h_profiles_import(api_call *c)
{
	char ct[64], err[256];
	api_csv csv;
	memset(&csv, 0, sizeof csv);
	api_content_type(c, ct, sizeof ct);
	if (strcmp(ct, "text/csv") && strcmp(ct, "text/plain")) {
		api_problem(c, 415, "unsupported-media-type", NULL,
		            "send the profiles as text/csv, not \"%s\"", ct);
		return;
	}
	if (api_csv_parse((const char *)c->body, c->len, MAX_IMPORT_ROWS, &csv,
	                  err, sizeof err) < 0) {
		api_problem(c, 422, "validation-failed", NULL, "%s", err);
		return;
	}
	db_profile *rows = calloc(csv.n ? csv.n : 1, sizeof *rows);
	json_t *errors = json_array();
	size_t nrows = 0, nerr = 0;
	if (!rows || !errors) {
		api_problem(c, 500, "internal", NULL, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < csv.n; i++) {
		const api_csv_row *r = &csv.row[i];
		struct profile p;
		char why[256];
		if (i == 0 && is_header(r))
			continue;
		if (r->n == 1 && !r->field[0][0])
			continue;   /* a blank line */
		if (r->n != 5) {
			snprintf(why, sizeof why, "%zu fields, want 5 "
			         "(iccid,imsi,carrier,ki,opc)", r->n);
		} else if (from_fields(&p, r->field[0], r->field[1], r->field[2],
		                       r->field[3], r->field[4], why, sizeof why) == 0) {
			int bad = seal_row(c->a->k, &p, &rows[nrows], why, sizeof why);
			profile_clear(&p);
			if (!bad) {
				for (size_t k = 0; k < nrows; k++)
					if (!strcmp(rows[k].iccid, rows[nrows].iccid)) {
						snprintf(why, sizeof why, "iccid %s appears twice "
						         "in the file", rows[k].iccid);
						bad = 1;
					}
				db_profile ex;
				if (!bad && db_profile_get(c->a->d, rows[nrows].iccid, &ex) ==
				    DB_OK) {
					db_profile_clear(&ex);
					snprintf(why, sizeof why, "iccid %s exists already",
					         rows[nrows].iccid);
					bad = 1;
				}
				if (!bad) {
					nrows++;
					continue;
				}
				db_profile_clear(&rows[nrows]);
			}
		}
		if (nerr++ < MAX_REPORTED_ERRORS)
			json_array_append_new(errors, json_pack("{siss}", "line",
			                      r->line, "detail", why));
	}
	if (nerr) {
		api_problem(c, 422, "validation-failed",
		            json_pack("{sosI}", "errors", json_incref(errors),
		                      "error_count", (json_int_t)nerr),
		            "%zu of the rows are bad; nothing was imported", nerr);
		goto out;
	}
	if (nrows == 0) {
		api_problem(c, 422, "validation-failed", NULL, "the file holds no profile");
		goto out;
	}
	db *d = c->a->d;
	db_rc rc = db_begin(d);
	for (size_t i = 0; !rc && i < nrows; i++)
		rc = db_profile_add(d, &rows[i]);
	if (rc) {
		db_rollback(d);
		api_problem(c, rc == DB_CONFLICT ? 409 : 500,
		            rc == DB_CONFLICT ? "conflict" : "internal", NULL,
		            "nothing was imported: %s", db_errmsg(d));
		goto out;
	}
	if ((rc = db_commit(d))) {
		api_problem(c, 500, "internal", NULL, "nothing was imported: %s",
		            db_errmsg(d));
		goto out;
	}
	char det[64];
	snprintf(det, sizeof det, "%zu profiles", nrows);
	db_audit_add(d, c->tok.name, "profiles import", "", det);
	api_reply_json(c, 201, json_pack("{sI}", "imported", (json_int_t)nrows));
out:
	for (size_t i = 0; rows && i < nrows; i++)
		db_profile_clear(&rows[i]);
	free(rows);
	json_decref(errors);
	/* The CSV carried Ki and OPc in clear. */
	for (size_t i = 0; i < csv.n; i++)
		for (size_t f = 0; f < csv.row[i].n; f++)
			OPENSSL_cleanse(csv.row[i].field[f], strlen(csv.row[i].field[f]));
	api_csv_free(&csv);
}

/* GET /api/v1/profiles?carrier=&state=&after=&limit= */
void h_profiles_list(api_call *c)
{
	db_profile *p = NULL;
	size_t n = 0;
	int limit = api_limit(c);
	if (limit < 0)
		return;
	const char *state = api_query(c, "state");
	if (state && *state && strcmp(state, "available") &&
	    strcmp(state, "reserved") && strcmp(state, "installed") &&
	    strcmp(state, "quarantined") && strcmp(state, "retired")) {
		api_problem(c, 400, "bad-request", NULL, "state must be available, "
		            "reserved, installed, quarantined or retired");
		return;
	}
	if (db_profile_list(c->a->d, api_query(c, "carrier"), state,
	                    api_query(c, "after"), limit + 1, &p, &n) != DB_OK) {
		api_problem(c, 400, "bad-request", NULL, "cannot list profiles: %s",
		            db_errmsg(c->a->d));
		return;
	}
	size_t total = n;
	int more = n > (size_t)limit;
	if (more)
		n = (size_t)limit;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, profile_json(&p[i]));
	api_reply_json(c, 200, json_pack("{soso}", "items", items, "next",
	               more ? json_string(p[n - 1].iccid) : json_null()));
	db_profile_list_free(p, total);
}

/* GET /api/v1/carriers */
void h_carriers_list(api_call *c)
{
	db_pool *pl = NULL;
	size_t n = 0;
	if (db_pool_list(c->a->d, &pl, &n) != DB_OK) {
		api_problem(c, 500, "internal", NULL, "cannot read the pools: %s",
		            db_errmsg(c->a->d));
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, json_pack("{sssIsIsIsIsI}",
			"carrier", pl[i].carrier,
			"available", (json_int_t)pl[i].available,
			"reserved", (json_int_t)pl[i].reserved,
			"installed", (json_int_t)pl[i].installed,
			"quarantined", (json_int_t)pl[i].quarantined,
			"retired", (json_int_t)pl[i].retired));
	free(pl);
	api_reply_json(c, 200, json_pack("{so}", "items", items));
}
