/*
 * auth.c: bearer-token authentication and role checks. A token is looked
 * up by its SHA-256 (db_token_find); 401 with WWW-Authenticate when it is
 * missing or unknown, 403 when its role is below the route's.
 */
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>

#include "api/api_int.h"
#include "api/token.h"

/* last_used_at is written at most this often, not on every call. */
#define TOUCH_EVERY_S 60
#define MAX_TOKEN 256

int api_auth(api_call *c, int min_role)
{
	char tok[MAX_TOKEN + 1];
	uint8_t hash[32];
	if (min_role <= 0)
		return 0;
	const char *h = api_header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h) {
		api_problem(c, 401, "unauthorized", NULL,
		            "this call needs an Authorization: Bearer <token> header");
		return -1;
	}
	while (*h == ' ')
		h++;
	if (strncasecmp(h, "Bearer ", 7)) {
		api_problem(c, 401, "unauthorized", NULL,
		            "the Authorization header is not of the Bearer scheme");
		return -1;
	}
	h += 7;
	while (*h == ' ')
		h++;
	size_t n = strlen(h);
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (!n || n > MAX_TOKEN) {
		c->www_auth = 2;
		api_problem(c, 401, "unauthorized", NULL, "the bearer token is empty or too long");
		return -1;
	}
	memcpy(tok, h, n);
	tok[n] = 0;
	api_token_hash(tok, hash);
	OPENSSL_cleanse(tok, sizeof tok);
	db_rc rc = db_token_find(c->a->d, hash, &c->tok);
	if (rc == DB_NOT_FOUND) {
		c->www_auth = 2;
		api_problem(c, 401, "unauthorized", NULL, "the bearer token is unknown or revoked");
		return -1;
	}
	if (rc != DB_OK) {
		api_problem(c, 503, "unavailable", NULL,
		            "cannot check the token: the database failed (%s)",
		            db_errmsg(c->a->d));
		return -1;
	}
	int64_t now = loop_wall_s();
	if (now - c->tok.last_used_at >= TOUCH_EVERY_S)
		db_token_touch(c->a->d, c->tok.id, now);   /* best effort */
	if (c->tok.role < min_role) {
		api_problem(c, 403, "forbidden",
		            json_pack("{ssss}", "required_role", db_role_name(min_role),
		                      "role", db_role_name(c->tok.role)),
		            "this call needs the %s role; the token \"%s\" has %s",
		            db_role_name(min_role), c->tok.name, db_role_name(c->tok.role));
		return -1;
	}
	return 0;
}
