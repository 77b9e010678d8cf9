/*
 * h_tokens.c: /tokens (admin): list, create (the token is shown once, only
 * its SHA-256 is stored) and revoke API tokens.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "api/api_int.h"
#include "api/token.h"

static json_t *token_json(const db_token *t)
{
	return json_pack("{sIsssssoso}", "id", (json_int_t)t->id, "name", t->name,
	                 "role", db_role_name(t->role),
	                 "created_at", api_time(t->created_at),
	                 "last_used_at", api_time(t->last_used_at));
}

void h_tokens_list(api_call *c)
{
	db_token *t = NULL;
	size_t n = 0;
	int limit = api_limit(c);
	int64_t after = 0;
	const char *as = api_query(c, "after");
	if (limit < 0)
		return;
	if (as && *as && (after = api_parse_id(as)) < 0) {
		api_problem(c, 400, "bad-request", NULL, "after must be a token id, not \"%s\"", as);
		return;
	}
	if (db_token_list(c->a->d, &t, &n) != DB_OK) {
		api_problem(c, 500, "internal", NULL, "cannot list tokens: %s", db_errmsg(c->a->d));
		return;
	}
	json_t *items = json_array();
	int64_t last = 0;
	int count = 0, more = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i].id <= after)
			continue;
		if (count == limit) {
			more = 1;
			break;
		}
		json_array_append_new(items, token_json(&t[i]));
		last = t[i].id;
		count++;
	}
	free(t);
	json_t *next = json_null();
	if (more) {
		char buf[24];
		snprintf(buf, sizeof buf, "%lld", (long long)last);
		json_decref(next);
		next = json_string(buf);
	}
	api_reply_json(c, 200, json_pack("{soso}", "items", items, "next", next));
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 64)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

void h_tokens_post(api_call *c)
{
	char tok[API_TOKEN_LEN + 1];
	uint8_t hash[32];
	int64_t id = 0;
	const char *name = NULL, *rs = NULL;
	json_error_t jerr;
	json_t *j = api_body_json(c);
	if (!j)
		return;
	if (json_unpack_ex(j, &jerr, JSON_STRICT, "{s:s,s:s}", "name", &name, "role", &rs)) {
		api_problem(c, 422, "validation-failed",
		            json_pack("{s:[{s:i,s:s}]}", "errors", "index", 0, "detail", jerr.text),
		            "the body must be {\"name\": \"...\", \"role\": \"viewer|operator|admin\"}: %s",
		            jerr.text);
		goto out;
	}
	if (!name_ok(name)) {
		api_problem(c, 422, "validation-failed", NULL,
		            "name must be 1 to 64 characters without control characters");
		goto out;
	}
	int role = db_role_from_name(rs);
	if (!role) {
		api_problem(c, 422, "validation-failed", NULL,
		            "role \"%s\" is not one of viewer, operator, admin", rs);
		goto out;
	}
	if (api_token_generate(tok)) {
		api_problem(c, 500, "internal", NULL, "cannot draw random bytes for a token");
		goto out;
	}
	api_token_hash(tok, hash);
	if (db_token_create(c->a->d, name, role, hash, &id) != DB_OK) {
		api_problem(c, 500, "internal", NULL, "cannot store the token: %s",
		            db_errmsg(c->a->d));
		goto wipe;
	}
	api_reply_json(c, 201, json_pack("{sIsssssIss}", "id", (json_int_t)id,
	                                  "name", name, "role", db_role_name(role),
	                                  "created_at", (json_int_t)loop_wall_s(),
	                                  "token", tok));
wipe:
	OPENSSL_cleanse(tok, sizeof tok);
out:
	json_decref(j);
}

void h_token_delete(api_call *c)
{
	const char *s = api_param(c, "id");
	int64_t id = api_parse_id(s);
	if (id < 0) {
		api_problem(c, 404, "not-found", NULL, "no token with id \"%s\"", s ? s : "");
		return;
	}
	db_rc rc = db_token_delete(c->a->d, id);
	if (rc == DB_NOT_FOUND)
		api_problem(c, 404, "not-found", NULL, "no token with id %lld", (long long)id);
	else if (rc != DB_OK)
		api_problem(c, 500, "internal", NULL, "cannot delete the token: %s",
		            db_errmsg(c->a->d));
	else
		api_reply_empty(c, 204);
}
