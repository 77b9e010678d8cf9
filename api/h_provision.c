/*
 * h_provision.c: POST /devices: provisions device credentials from JSON
 * (one object or an array) or CSV (endpoint,psk_identity,psk_key_hex).
 * Every entry goes through provision_device (validation, sealing). By
 * default all or nothing, in one transaction; ?partial=true stores the
 * good entries and reports the bad ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "server/provision.h"

#define MAX_ENTRIES 100000

typedef struct {
	const char *ep, *id, *key;  /* borrowed from the JSON or the CSV */
	int where;                  /* index (JSON) or line (CSV) */
	char err[200];              /* "" while fine */
	int kind;                   /* PROVISION_* of the failure */
} entry;

typedef struct {
	entry *e;
	size_t n, cap;
	int csv;                    /* errors say "line", else "index" */
} batch;

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

static int add(batch *b, const char *ep, const char *id, const char *key, int where)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		entry *ne = realloc(b->e, cap * sizeof *ne);
		if (!ne)
			return -1;
		b->e = ne;
		b->cap = cap;
	}
	entry *e = &b->e[b->n++];
	memset(e, 0, sizeof *e);
	e->ep = ep;
	e->id = nz(id);
	e->key = nz(key);
	e->where = where;
	return 0;
}

static void fail(entry *e, int kind, const char *fmt, const char *arg)
{
	if (e->err[0])
		return;
	e->kind = kind;
	snprintf(e->err, sizeof e->err, fmt, arg);
}

/* One JSON object into an entry; a type error is recorded on the entry. */
static int from_json_obj(batch *b, json_t *o, int idx)
{
	const char *ep = NULL, *id = NULL, *key = NULL, *bad = NULL;
	const char *k;
	json_t *v;
	if (!json_is_object(o)) {
		if (add(b, "", NULL, NULL, idx))
			return -1;
		fail(&b->e[b->n - 1], PROVISION_INVALID, "%s",
		     "each entry must be an object {\"endpoint\",\"psk_identity\",\"psk_key\"}");
		return 0;
	}
	json_object_foreach(o, k, v) {
		const char **dst = !strcmp(k, "endpoint") ? &ep
		                 : !strcmp(k, "psk_identity") ? &id
		                 : !strcmp(k, "psk_key") ? &key : NULL;
		if (!dst) {
			bad = k;
			continue;
		}
		if (json_is_string(v))
			*dst = json_string_value(v);
		else if (!json_is_null(v))
			bad = k;
	}
	if (add(b, ep ? ep : "", id, key, idx))
		return -1;
	entry *e = &b->e[b->n - 1];
	if (bad)
		fail(e, PROVISION_INVALID, "member \"%s\" is unknown or not a string", bad);
	if (!ep)
		fail(e, PROVISION_INVALID, "%s", "\"endpoint\" is missing");
	return 0;
}

static int from_json(batch *b, json_t *j)
{
	if (json_is_array(j)) {
		size_t i;
		json_t *o;
		if (json_array_size(j) > MAX_ENTRIES)
			return -2;
		json_array_foreach(j, i, o)
			if (from_json_obj(b, o, (int)i))
				return -1;
		return 0;
	}
	return from_json_obj(b, j, 0);
}

static int col(const api_csv_row *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->field[i], name))
			return (int)i;
	return -1;
}

/* CSV rows into entries. *why gets a reason when the header is wrong. */
static int from_csv(batch *b, const api_csv *csv, const char **why)
{
	if (csv->n == 0) {
		*why = "the CSV is empty; it needs the header endpoint,psk_identity,psk_key_hex";
		return -2;
	}
	const api_csv_row *h = &csv->row[0];
	int ce = col(h, "endpoint"), ci = col(h, "psk_identity");
	int ck = col(h, "psk_key_hex");
	if (ck < 0)
		ck = col(h, "psk_key");
	if (ce < 0) {
		*why = "the CSV header has no \"endpoint\" column (expected endpoint,psk_identity,psk_key_hex)";
		return -2;
	}
	for (size_t r = 1; r < csv->n; r++) {
		const api_csv_row *row = &csv->row[r];
		int need = ce > ci ? ce : ci;
		need = need > ck ? need : ck;
		if (add(b, (size_t)ce < row->n ? row->field[ce] : "",
		        ci >= 0 && (size_t)ci < row->n ? row->field[ci] : NULL,
		        ck >= 0 && (size_t)ck < row->n ? row->field[ck] : NULL, row->line))
			return -1;
		if (row->n != h->n) {
			char m[64];
			snprintf(m, sizeof m, "%zu fields, the header has %zu", row->n, h->n);
			if ((size_t)need >= row->n)
				fail(&b->e[b->n - 1], PROVISION_INVALID, "%s", m);
		}
	}
	return 0;
}

static json_t *errors_json(const batch *b)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < b->n; i++)
		if (b->e[i].err[0])
			json_array_append_new(arr, json_pack("{sissss}", b->csv ? "line" : "index",
			                                     b->e[i].where, "detail", b->e[i].err,
			                                     "endpoint", b->e[i].ep));
	return arr;
}

static int by_endpoint(const void *x, const void *y)
{
	const entry *a = *(const entry *const *)x, *b = *(const entry *const *)y;
	int c = strcmp(a->ep, b->ep);
	return c ? c : (a < b ? -1 : a > b);
}

/* An endpoint given twice would silently replace itself: every repeat
 * after the first is an error. Sorting keeps this O(n log n). */
static int mark_repeats(batch *b)
{
	entry **ix = malloc(b->n * sizeof *ix);
	if (!ix)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		ix[i] = &b->e[i];
	qsort(ix, b->n, sizeof *ix, by_endpoint);
	for (size_t i = 1; i < b->n; i++)
		if (ix[i]->ep[0] && !strcmp(ix[i]->ep, ix[i - 1]->ep))
			fail(ix[i], PROVISION_INVALID, "endpoint \"%s\" appears twice", ix[i]->ep);
	free(ix);
	return 0;
}

/* Stores the entries; returns the number stored, -1 on a storage failure
 * (message in err). */
static long store(api_call *c, batch *b, char *err, size_t errlen)
{
	long stored = 0;
	if (mark_repeats(b)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < b->n; i++) {
		entry *e = &b->e[i];
		if (e->err[0])
			continue;
		int rc = provision_device(c->a->d, c->a->k, e->ep, e->id, e->key,
		                          e->err, sizeof e->err);
		if (rc == PROVISION_OK) {
			stored++;
			continue;
		}
		e->kind = rc;
		if (!e->err[0])
			snprintf(e->err, sizeof e->err, "cannot provision this device");
		if (rc == PROVISION_ERROR) {
			snprintf(err, errlen, "%s", e->err);
			return -1;
		}
	}
	return stored;
}

void h_devices_post(api_call *c)
{
	char ct[64], err[256] = "";
	batch b = { 0 };
	json_t *j = NULL;
	api_csv csv = { 0 };
	const char *why = NULL;
	const char *pq = api_query(c, "partial");
	int partial = pq && (!strcmp(pq, "true") || !strcmp(pq, "1"));
	int rc;

	api_content_type(c, ct, sizeof ct);
	if (!strcmp(ct, "text/csv")) {
		b.csv = 1;
		if (api_csv_parse((const char *)(c->body ? c->body : (uint8_t *)""), c->len,
		                  MAX_ENTRIES + 1, &csv, err, sizeof err)) {
			api_problem(c, 400, "bad-request", NULL, "the CSV does not parse: %s", err);
			goto out;
		}
		rc = from_csv(&b, &csv, &why);
	} else if (api_ctype_is_json(ct)) {
		if (!(j = api_body_json(c)))
			goto out;
		rc = from_json(&b, j);
		why = "more than 100000 entries";
	} else {
		api_problem(c, 415, "unsupported-media-type", NULL,
		            "POST /devices takes application/json or text/csv, not %s", ct);
		goto out;
	}
	if (rc == -2) {
		api_problem(c, 422, "validation-failed", NULL, "%s", why);
		goto out;
	}
	if (rc < 0) {
		api_problem(c, 500, "internal", NULL, "out of memory reading the entries");
		goto out;
	}
	if (!b.n) {
		api_problem(c, 422, "validation-failed", NULL, "there are no devices in the body");
		goto out;
	}

	if (!partial && db_begin(c->a->d) != DB_OK) {
		api_problem(c, 503, "unavailable", NULL, "cannot start a transaction: %s",
		            db_errmsg(c->a->d));
		goto out;
	}
	long stored = store(c, &b, err, sizeof err);
	size_t nerr = 0, nconflict = 0;
	for (size_t i = 0; i < b.n; i++) {
		nerr += b.e[i].err[0] != 0;
		nconflict += b.e[i].err[0] && b.e[i].kind == PROVISION_CONFLICT;
	}
	if (stored < 0) {
		if (!partial)
			db_rollback(c->a->d);
		api_problem(c, 500, "internal", NULL, "cannot store the devices: %s", err);
		goto out;
	}
	if (!partial && nerr) {
		db_rollback(c->a->d);
		int conflict = nconflict == nerr;
		const entry *first = b.e;
		while (!first->err[0])
			first++;
		api_problem(c, conflict ? 409 : 422, conflict ? "conflict" : "validation-failed",
		            json_pack("{so}", "errors", errors_json(&b)),
		            "%zu of %zu entries are bad, nothing was stored; %s %d: %s",
		            nerr, b.n, b.csv ? "line" : "index", first->where, first->err);
		goto out;
	}
	if (!partial && db_commit(c->a->d) != DB_OK) {
		db_rollback(c->a->d);
		api_problem(c, 503, "unavailable", NULL, "cannot commit: %s", db_errmsg(c->a->d));
		goto out;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < b.n; i++)
		if (!b.e[i].err[0])
			json_array_append_new(items, json_pack("{sssssb}", "endpoint", b.e[i].ep,
			                                       "psk_identity", b.e[i].id ? b.e[i].id : "",
			                                       "has_psk", b.e[i].key != NULL));
	json_t *res = json_pack("{sosI}", "items", items, "count", (json_int_t)stored);
	if (partial && res)
		json_object_set_new(res, "errors", errors_json(&b));
	api_reply_json(c, partial ? 200 : 201, res);
out:
	free(b.e);
	api_csv_free(&csv);
	json_decref(j);
}
