/*
 * router.c: the route table of the REST API and the matcher.
 *
 * A pattern is a list of '/'-separated segments: a literal, "{name}" (one
 * non-empty segment) or "{name...}" (one or more segments, at most one per
 * pattern, literals may follow it). The first pattern that matches the URL
 * decides: its method picks the route, or the call gets 405 with the
 * methods that pattern does have. Specific patterns come first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/lw_ops.h"

#define V DB_ROLE_VIEWER
#define O DB_ROLE_OPERATOR
#define A DB_ROLE_ADMIN
#define LW "/api/v1/devices/{ep}/lwm2m/{path...}"

static const api_route routes[] = {
	{ "GET",    "/healthz",                          0, 0, h_healthz },
	{ "GET",    "/api/v1/healthz",                   0, 0, h_healthz },
	{ "GET",    "/readyz",                           0, 0, h_readyz },
	{ "GET",    "/api/v1/readyz",                    0, 0, h_readyz },
	{ "GET",    "/metrics",                          0, 0, h_metrics },
	{ "GET",    "/api/v1/metrics",                   0, 0, h_metrics },
	{ "GET",    "/openapi.json",                     0, 0, h_openapi },
	{ "GET",    "/api/v1/openapi.json",              0, 0, h_openapi },
	{ "GET",    "/api/v1/devices",                   V, 0, h_devices_list },
	{ "POST",   "/api/v1/devices",                   O, 0, h_devices_post },
	{ "GET",    "/api/v1/devices/{ep}",              V, 0, h_device_get },
	{ "DELETE", "/api/v1/devices/{ep}",              O, 0, h_device_delete },
	{ "GET",    "/api/v1/devices/{ep}/observations", V, 0, h_observations_list },
	{ "GET",    LW "/discover",                      V, LW_DISCOVER, h_lwm2m },
	{ "PUT",    LW "/attributes",                    O, LW_ATTRIBUTES, h_lwm2m },
	{ "POST",   LW "/observe",                       O, LW_OBSERVE, h_lwm2m },
	{ "DELETE", LW "/observe",                       O, LW_OBSERVE, h_lwm2m },
	{ "GET",    LW,                                  V, LW_PLAIN, h_lwm2m },
	{ "PUT",    LW,                                  O, LW_PLAIN, h_lwm2m },
	{ "PATCH",  LW,                                  O, LW_PLAIN, h_lwm2m },
	{ "POST",   LW,                                  O, LW_PLAIN, h_lwm2m },
	{ "DELETE", LW,                                  O, LW_PLAIN, h_lwm2m },
	{ "POST",   "/api/v1/devices/{ep}/switch",       O, 0, h_switch_post },
	{ "POST",   "/api/v1/devices/{ep}/stage",        O, 0, h_stage_post },
	{ "DELETE", "/api/v1/devices/{ep}/stage/{carrier}", O, 0, h_stage_delete },
	{ "GET",    "/api/v1/registrations",             V, 0, h_registrations_list },
	{ "POST",   "/api/v1/profiles/import",           O, 0, h_profiles_import },
	{ "GET",    "/api/v1/profiles",                  V, 0, h_profiles_list },
	{ "POST",   "/api/v1/profiles",                  O, 0, h_profiles_post },
	{ "GET",    "/api/v1/carriers",                  V, 0, h_carriers_list },
	{ "POST",   "/api/v1/certificates",              O, 0, h_certificates_post },
	{ "GET",    "/api/v1/certificates/{eid}",        V, 0, h_certificate_get },
	{ "DELETE", "/api/v1/certificates/{eid}",        O, 0, h_certificate_delete },
	{ "GET",    "/api/v1/jobs",                      V, 0, h_jobs_list },
	{ "GET",    "/api/v1/jobs/{id}",                 V, 0, h_job_get },
	{ "POST",   "/api/v1/jobs/{id}/cancel",          O, 0, h_job_cancel },
	{ "GET",    "/api/v1/audit",                     O, 0, h_audit_list },
	{ "GET",    "/api/v1/events",                    V, 0, h_events },
	{ "GET",    "/api/v1/requests/{id}",             V, 0, h_request_get },
	{ "DELETE", "/api/v1/requests/{id}",             O, 0, h_request_delete },
	{ "GET",    "/api/v1/campaigns",                 V, 0, h_campaigns_list },
	{ "POST",   "/api/v1/campaigns",                 O, 0, h_campaigns_post },
	{ "GET",    "/api/v1/campaigns/{id}",            V, 0, h_campaign_get },
	{ "GET",    "/api/v1/campaigns/{id}/report",     V, 0, h_campaign_report },
	{ "POST",   "/api/v1/campaigns/{id}/{action}",   O, 0, h_campaign_action },
	{ "GET",    "/api/v1/tokens",                    A, 0, h_tokens_list },
	{ "POST",   "/api/v1/tokens",                    A, 0, h_tokens_post },
	{ "DELETE", "/api/v1/tokens/{id}",               A, 0, h_token_delete },
};

/* Handlers whose upload is too large to collect get it chunk by chunk. */
static const struct {
	api_handler handler;
	api_body_fn body;
} streamed[] = {
	{ h_campaigns_post, h_campaigns_body },
};

api_body_fn api_route_body(const api_route *r)
{
	for (size_t i = 0; r && i < sizeof streamed / sizeof streamed[0]; i++)
		if (streamed[i].handler == r->handler)
			return streamed[i].body;
	return NULL;
}

#define MAX_SEGS 32

typedef struct {
	const char *s[MAX_SEGS];
	size_t n[MAX_SEGS];
	int count;
} segs;

/* Splits "/a/b/c" (a trailing '/' is ignored). Empty segments are kept:
 * no literal or {name} matches one, but a {path...} may hold it, so
 * "lwm2m/3//0" reaches the LwM2M path parser and gets its 400. */
static int split(const char *p, segs *out)
{
	out->count = 0;
	if (*p != '/')
		return -1;
	p++;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (out->count == MAX_SEGS)
			return -1;
		out->s[out->count] = p;
		out->n[out->count] = n;
		out->count++;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int is_param(const char *s, size_t n)
{
	return n >= 2 && s[0] == '{' && s[n - 1] == '}';
}

static int is_rest(const char *s, size_t n)
{
	return is_param(s, n) && n > 5 && !memcmp(s + n - 4, "...}", 4);
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* name points into the pattern ("ep}" or "path...}", see api_param);
 * the captured value is malloc'ed. */
static int capture(api_params *p, const char *name, const char *v, size_t vn)
{
	if (p->n == API_MAX_PARAMS)
		return -1;
	char *val = dup_n(v, vn);
	if (!val)
		return -1;
	p->name[p->n] = name;
	p->value[p->n] = val;
	p->n++;
	return 0;
}

static int seg_match(const char *ps, size_t pn, const char *us, size_t un,
                     api_params *p)
{
	if (is_param(ps, pn)) {
		if (un == 0)
			return 0;
		return capture(p, ps + 1, us, un) ? -1 : 1;
	}
	return pn == un && !memcmp(ps, us, un);
}

/* 1 if the URL matches the pattern (params filled), 0 if not, -1 on
 * allocation failure. */
static int match(const char *pattern, const segs *u, api_params *p)
{
	segs ps;
	int rest = -1;
	if (split(pattern, &ps))
		return 0;
	for (int i = 0; i < ps.count; i++)
		if (is_rest(ps.s[i], ps.n[i]))
			rest = i;
	if (rest < 0 ? u->count != ps.count : u->count < ps.count)
		return 0;
	int tail = rest < 0 ? 0 : ps.count - rest - 1;
	int head = rest < 0 ? ps.count : rest;
	for (int i = 0; i < head; i++) {
		int m = seg_match(ps.s[i], ps.n[i], u->s[i], u->n[i], p);
		if (m <= 0)
			return m;
	}
	for (int i = 0; i < tail; i++) {
		int pi = ps.count - tail + i, ui = u->count - tail + i;
		int m = seg_match(ps.s[pi], ps.n[pi], u->s[ui], u->n[ui], p);
		if (m <= 0)
			return m;
	}
	if (rest >= 0) {
		const char *from = u->s[rest];
		int last = u->count - tail - 1;
		size_t n = (size_t)(u->s[last] + u->n[last] - from);
		if (capture(p, ps.s[rest] + 1, from, n))
			return -1;
	}
	return 1;
}

void api_params_free(api_params *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->value[i]);
	p->n = 0;
}

const char *api_param(const api_call *c, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < c->params.n; i++) {
		const char *pn = c->params.name[i];
		if (!strncmp(pn, name, n) && (pn[n] == '}' || pn[n] == '.'))
			return c->params.value[i];
	}
	return NULL;
}

const api_route *api_route_find(const char *method, const char *url,
                                api_params *params, int *status, char **allow)
{
	segs u;
	size_t nr = sizeof routes / sizeof routes[0];
	*status = 404;
	*allow = NULL;
	if (split(url, &u))
		return NULL;
	for (size_t i = 0; i < nr; i++) {
		int m = match(routes[i].pattern, &u, params);
		if (m < 0) {
			api_params_free(params);
			*status = 500;
			return NULL;
		}
		if (!m) {
			api_params_free(params);
			continue;
		}
		/* This pattern decides: find the method among its routes. */
		char buf[128] = "";
		const api_route *hit = NULL;
		for (size_t j = i; j < nr; j++) {
			if (strcmp(routes[j].pattern, routes[i].pattern))
				continue;
			if (!strcmp(routes[j].method, method))
				hit = &routes[j];
			size_t bl = strlen(buf);
			snprintf(buf + bl, sizeof buf - bl, "%s%s", bl ? ", " : "",
			         routes[j].method);
		}
		if (hit)
			return hit;
		api_params_free(params);
		*status = 405;
		*allow = strdup(buf);
		return NULL;
	}
	return NULL;
}
