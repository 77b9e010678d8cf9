/*
 * serve.c: the device side of the device-management interface (serve.h).
 *
 * One handler for every method and path. It finds the device by the
 * session's app data, replays the cached answer of a retransmitted CON
 * request (dedup.h), maps the method and path to a store operation, and
 * answers with coap_add_data_large_response so large payloads go
 * block-wise. Observe is libcoap's: each path is a real observable
 * resource, and a store change notifies it.
 */
#include "client/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/device.h"
#include "client/log.h"
#include "client/nusim.h"

#define MAX_EXEC_ARGS 512

uint8_t serve_code(obj_rc rc)
{
	switch (rc) {
	case OBJ_OK: return COAP_RESPONSE_CODE(205);
	case OBJ_ERR_NOT_FOUND: return COAP_RESPONSE_CODE(404);
	case OBJ_ERR_NOT_ALLOWED: return COAP_RESPONSE_CODE(405);
	case OBJ_ERR_BAD_REQUEST: return COAP_RESPONSE_CODE(400);
	case OBJ_ERR_FORMAT: return COAP_RESPONSE_CODE(415);
	case OBJ_ERR_NOT_ACCEPTABLE: return COAP_RESPONSE_CODE(406);
	case OBJ_ERR_TOO_LARGE: return COAP_RESPONSE_CODE(413);
	default: return COAP_RESPONSE_CODE(500);
	}
}

static const char *method_name(coap_pdu_code_t m)
{
	switch (m) {
	case COAP_REQUEST_CODE_GET: return "GET";
	case COAP_REQUEST_CODE_POST: return "POST";
	case COAP_REQUEST_CODE_PUT: return "PUT";
	case COAP_REQUEST_CODE_DELETE: return "DELETE";
	case COAP_REQUEST_CODE_FETCH: return "FETCH";
	case COAP_REQUEST_CODE_PATCH: return "PATCH";
	case COAP_REQUEST_CODE_IPATCH: return "iPATCH";
	default: return "?";
	}
}

/* Value of a uint option, or -1 if absent. */
static long uint_option(const coap_pdu_t *pdu, uint16_t num)
{
	coap_opt_iterator_t it;
	coap_opt_t *o = coap_check_option(pdu, num, &it);
	if (!o)
		return -1;
	return (long)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
}

/* What the handler decided, so it can be sent, logged and cached alike. */
typedef struct {
	uint8_t code;
	int cf;
	uint8_t *payload;   /* malloc'ed, handed to libcoap */
	size_t len;
	char location[32];
	const char *what;   /* short reason for the log on errors */
	long block1;        /* Block1 option value to echo, -1 for none */
} answer;

static void release_buf(coap_session_t *s, void *p)
{
	free(p);
}

static void send_answer(coap_resource_t *r, coap_session_t *s,
                        const coap_pdu_t *req, const coap_string_t *query,
                        coap_pdu_t *resp, answer *a)
{
	coap_pdu_set_code(resp, (coap_pdu_code_t)a->code);
	if (a->block1 >= 0) {
		uint8_t b[4];
		coap_add_option(resp, COAP_OPTION_BLOCK1,
		                coap_encode_var_safe(b, sizeof b, (unsigned)a->block1), b);
	}
	if (a->location[0]) {
		const char *p = a->location;
		while (*p) {
			while (*p == '/')
				p++;
			const char *e = strchr(p, '/');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			if (n)
				coap_add_option(resp, COAP_OPTION_LOCATION_PATH, n,
				                (const uint8_t *)p);
			p += n;
		}
	}
	if (a->payload && a->cf >= 0) {
		if (!coap_add_data_large_response(r, s, req, resp, query,
		                                  (uint16_t)a->cf, -1, 0, a->len,
		                                  a->payload, release_buf,
		                                  a->payload))
			coap_pdu_set_code(resp, COAP_RESPONSE_CODE(500));
		a->payload = NULL; /* libcoap owns it now */
	}
}

static void do_read(device *d, const lwm2m_path *p, const coap_pdu_t *req,
                    answer *a)
{
	objstore *st = device_store(d);
	long accept = uint_option(req, COAP_OPTION_ACCEPT);
	if (accept == LWM2M_CF_LINK) {
		char *links;
		size_t n;
		obj_rc rc = objstore_discover(st, p, &links, &n);
		a->code = serve_code(rc);
		if (!rc) {
			a->payload = (uint8_t *)links;
			a->len = n;
			a->cf = LWM2M_CF_LINK;
		}
		return;
	}
	lwm2m_format f;
	if (accept >= 0) {
		f = (lwm2m_format)accept;
	} else {
		/* A single value reads as text (opaque as bytes), others as TLV. */
		const lwm2m_value *v = p->len >= 3 ? objstore_get(st, p) : NULL;
		f = !v ? LWM2M_CF_TLV : v->type == LWM2M_T_OPAQUE ? LWM2M_CF_OPAQUE
		                                                  : LWM2M_CF_TEXT;
	}
	obj_rc rc = objstore_read_encoded(st, p, f, &a->payload, &a->len);
	a->code = serve_code(rc);
	if (rc) {
		a->what = obj_strerror(rc);
		return;
	}
	a->cf = (int)f;
	/* An Observe (or a notification) sets the baseline for pmin/st. */
	if (uint_option(req, COAP_OPTION_OBSERVE) == 0)
		objstore_notified(st, p, client_now_ms());
}

static lwm2m_format write_format(const coap_pdu_t *req, const lwm2m_path *p)
{
	long cf = uint_option(req, COAP_OPTION_CONTENT_FORMAT);
	if (cf >= 0)
		return (lwm2m_format)cf;
	return p->len >= 3 ? LWM2M_CF_TEXT : LWM2M_CF_TLV;
}

/* Execute: what each executable resource does on this simulated device. */
typedef void (*exec_fn)(device *d);

static void exec_log_only(device *d)
{
	clog_msg(CLOG_INFO, "execute-ignored", "ep=%s", device_endpoint(d));
}

static const struct {
	uint16_t obj, res;
	exec_fn fn;
} exec_table[] = {
	{ 1, 4, exec_log_only },                /* Disable */
	{ 1, 8, device_exec_update_trigger },   /* Registration Update Trigger */
	{ 3, 4, device_exec_reboot },           /* Reboot */
	{ 3, 5, exec_log_only },                /* Factory Reset */
	{ 3, 12, exec_log_only },               /* Reset Error Code */
	{ 508, 5, device_exec_load_profile },          /* Load Profile */
};

static void do_execute(device *d, const lwm2m_path *p, size_t arglen,
                       answer *a)
{
	obj_rc rc = objstore_check_execute(device_store(d), p);
	if (!rc && arglen > MAX_EXEC_ARGS)
		rc = OBJ_ERR_BAD_REQUEST;
	if (rc) {
		a->code = serve_code(rc);
		a->what = obj_strerror(rc);
		return;
	}
	a->code = COAP_RESPONSE_CODE(204);
	for (size_t i = 0; i < sizeof exec_table / sizeof exec_table[0]; i++)
		if (exec_table[i].obj == p->id[0] && exec_table[i].res == p->id[2])
			exec_table[i].fn(d);
}

static void handle(coap_resource_t *r, coap_session_t *s,
                   const coap_pdu_t *req, const coap_string_t *query,
                   coap_pdu_t *resp)
{
	device *d = coap_session_get_app_data(s);
	if (!d) {
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE(404));
		return;
	}
	device_touch(d);
	uint64_t now = client_now_ms();
	coap_pdu_code_t method = coap_pdu_get_code(req);
	coap_bin_const_t tok = coap_pdu_get_token(req);
	int mid = coap_pdu_get_mid(req);
	int safe = method == COAP_REQUEST_CODE_GET ||
	           method == COAP_REQUEST_CODE_FETCH;
	dedup *dd = device_dedup(d);
	answer a = { .code = COAP_RESPONSE_CODE(500), .cf = -1, .block1 = -1 };
	char pathstr[64] = "/";
	coap_string_t *up = coap_get_uri_path(req);
	if (up && up->length < sizeof pathstr - 1) {
		memcpy(pathstr + 1, up->s, up->length);
		pathstr[up->length + 1] = 0;
	}
	coap_delete_string(up);

	const dedup_entry *hit = dd ? dedup_find(dd, mid, tok.s, tok.length, now)
	                            : NULL;
	if (hit && !safe) {
		/* A retransmission: answer as before, run nothing again. */
		a.code = hit->code;
		a.cf = hit->cf;
		snprintf(a.location, sizeof a.location, "%s", hit->location);
		if (hit->len && (a.payload = malloc(hit->len))) {
			memcpy(a.payload, hit->payload, hit->len);
			a.len = hit->len;
		}
		char cs[8];
		snprintf(cs, sizeof cs, "%u.%02u", a.code >> 5, a.code & 0x1F);
		clog_msg(device_quiet(d) ? CLOG_DEBUG : CLOG_INFO, "request-duplicate",
		     "ep=%s method=%s path=%s code=%s mid=%d", device_endpoint(d),
		     method_name(method), pathstr, cs, mid);
		send_answer(r, s, req, query, resp, &a);
		return;
	}
	/* A GET that reuses a known (MID, token) is libcoap building a
	 * notification from the Observe request: log it as such. */
	int notification = safe && dd && uint_option(req, COAP_OPTION_OBSERVE) == 0 &&
	                   dedup_find_token(dd, tok.s, tok.length, now);

	lwm2m_path p;
	objstore *st = device_store(d);
	size_t len = 0, off = 0, total = 0;
	const uint8_t *data = NULL;
	if (!coap_get_data_large(req, &len, &data, &off, &total))
		len = 0;
	coap_block_t b1;
	int in_blocks = 0;
	if ((method == COAP_REQUEST_CODE_PUT || method == COAP_REQUEST_CODE_POST) &&
	    coap_get_block(req, COAP_OPTION_BLOCK1, &b1) &&
	    !(len == total && len > ((size_t)16 << b1.szx))) {
		/* libcoap left the blocks to us (block1.h): collect them. */
		char key[96];
		int k = snprintf(key, sizeof key, "%s|", pathstr);
		for (size_t i = 0; i < tok.length && k > 0 && k < 90; i++)
			k += snprintf(key + k, sizeof key - (size_t)k, "%02x", tok.s[i]);
		const uint8_t *body;
		size_t bodylen;
		block1_rc br = block1_feed(device_block1(d), key, b1.num, b1.m,
		                           b1.szx, data, len, &body, &bodylen);
		a.block1 = (long)((b1.num << 4) | (b1.m ? 8u : 0u) | b1.szx);
		if (br == BLOCK1_MORE) {
			a.code = COAP_RESPONSE_CODE(231);
			clog_msg(CLOG_DEBUG, "request-block", "ep=%s path=%s num=%u",
			         device_endpoint(d), pathstr, b1.num);
			send_answer(r, s, req, query, resp, &a);
			return;
		}
		in_blocks = br != BLOCK1_WHOLE ? (int)br : 0;
		data = body;
		len = bodylen;
	}
	if (in_blocks) {
		a.code = in_blocks == BLOCK1_TOO_LARGE ? COAP_RESPONSE_CODE(413) :
		         in_blocks == BLOCK1_NOMEM ? COAP_RESPONSE_CODE(500) :
		         COAP_RESPONSE_CODE(408);
		a.what = "block-wise transfer incomplete";
	} else if (lwm2m_path_parse(pathstr, strlen(pathstr), &p) != LWM2M_OK) {
		a.code = COAP_RESPONSE_CODE(404);
		a.what = "not an LwM2M path";
	} else if (p.len > 0 && (p.id[0] == 0 || p.id[0] == 21)) {
		/* Security and OSCORE belong to the bootstrap server only. */
		a.code = COAP_RESPONSE_CODE(401);
	} else if (len > LWM2M_MAX_PAYLOAD) {
		a.code = COAP_RESPONSE_CODE(413);
	} else {
		obj_rc rc;
		switch (method) {
		case COAP_REQUEST_CODE_GET:
			do_read(d, &p, req, &a);
			break;
		case COAP_REQUEST_CODE_PUT:
			if (len == 0 && query && query->length)
				rc = objstore_write_attrs(st, &p, (const char *)query->s,
				                          query->length);
			else
				rc = objstore_write(st, &p, write_format(req, &p), data,
				                    len, 1);
			a.code = rc ? serve_code(rc) : COAP_RESPONSE_CODE(204);
			a.what = rc ? obj_strerror(rc) : NULL;
			break;
		case COAP_REQUEST_CODE_POST:
			if (p.len == 1) {
				uint16_t inst;
				rc = objstore_create(st, p.id[0], write_format(req, &p),
				                     data, len, &inst);
				a.code = rc ? serve_code(rc) : COAP_RESPONSE_CODE(201);
				if (!rc)
					snprintf(a.location, sizeof a.location, "/%u/%u",
					         p.id[0], inst);
			} else if (p.len == 2) {
				rc = objstore_write(st, &p, write_format(req, &p), data,
				                    len, 0);
				a.code = rc ? serve_code(rc) : COAP_RESPONSE_CODE(204);
			} else if (p.len == 3) {
				do_execute(d, &p, len, &a);
				rc = OBJ_OK;
			} else {
				rc = OBJ_ERR_NOT_ALLOWED;
				a.code = serve_code(rc);
			}
			if (rc)
				a.what = obj_strerror(rc);
			break;
		case COAP_REQUEST_CODE_DELETE:
			rc = objstore_delete(st, &p);
			a.code = rc ? serve_code(rc) : COAP_RESPONSE_CODE(202);
			a.what = rc ? obj_strerror(rc) : NULL;
			break;
		default:
			a.code = COAP_RESPONSE_CODE(405);
			break;
		}
	}
	char cs[8];
	snprintf(cs, sizeof cs, "%u.%02u", a.code >> 5, a.code & 0x1F);
	long obs = uint_option(req, COAP_OPTION_OBSERVE);
	char obsstr[32] = "";
	if (obs >= 0 && !notification)
		snprintf(obsstr, sizeof obsstr, " observe=%ld", obs);
	clog_msg(device_quiet(d) ? CLOG_DEBUG : CLOG_INFO,
	     notification ? "notify" : "request",
	     "ep=%s method=%s path=%s code=%s%s%s%s%s", device_endpoint(d),
	     method_name(method), pathstr, cs, obsstr,
	     a.what ? " reason=\"" : "", a.what ? a.what : "",
	     a.what ? "\"" : "");
	if (dd && !hit && !notification)
		dedup_store(dd, mid, tok.s, tok.length, a.code, a.cf, a.location,
		            safe ? NULL : a.payload, safe ? 0 : a.len, now);
	send_answer(r, s, req, query, resp, &a);
	free(a.payload);
}

static void register_methods(coap_resource_t *r)
{
	coap_register_request_handler(r, COAP_REQUEST_GET, handle);
	coap_register_request_handler(r, COAP_REQUEST_PUT, handle);
	coap_register_request_handler(r, COAP_REQUEST_POST, handle);
	coap_register_request_handler(r, COAP_REQUEST_DELETE, handle);
	coap_register_request_handler(r, COAP_REQUEST_FETCH, handle);
	coap_register_request_handler(r, COAP_REQUEST_IPATCH, handle);
}

int serve_install(coap_context_t *ctx)
{
	coap_resource_t *r = coap_resource_unknown_init2(handle, 0);
	if (!r)
		return -1;
	register_methods(r);
	coap_add_resource(ctx, r);
	return 0;
}

/* "3/0/9": libcoap's resource names have no leading slash. */
static int uri_of(const lwm2m_path *p, char *buf, size_t size)
{
	char tmp[32];
	int n = lwm2m_path_format(p, tmp, sizeof tmp);
	if (n <= 1 || (size_t)n >= size)
		return -1;
	memcpy(buf, tmp + 1, (size_t)n);
	return n - 1;
}

/* Creates the observable resource of one path if it has none; 0 or -1. */
static int ensure_resource(coap_context_t *ctx, const lwm2m_path *p)
{
	char uri[32];
	int len = uri_of(p, uri, sizeof uri);
	if (len <= 0)
		return 0;
	coap_str_const_t key = { (size_t)len, (const uint8_t *)uri };
	if (coap_get_resource_from_uri_path(ctx, &key))
		return 0;
	coap_str_const_t *name = coap_new_str_const((const uint8_t *)uri,
	                                            (size_t)len);
	coap_resource_t *r = name ? coap_resource_init(name,
	                     COAP_RESOURCE_FLAGS_RELEASE_URI |
	                     COAP_RESOURCE_FLAGS_NOTIFY_NON) : NULL;
	if (!r) {
		coap_delete_str_const(name);
		return -1;
	}
	register_methods(r);
	coap_resource_set_get_observable(r, 1);
	coap_add_resource(ctx, r);
	return 0;
}

int serve_ensure_resource(coap_context_t *ctx, const lwm2m_path *p)
{
	lwm2m_path q = *p;
	if (q.len > 3)
		q.len = 3;
	return ensure_resource(ctx, &q);
}

int serve_sync_resources(coap_context_t *ctx, const objstore *s)
{
	lwm2m_path *paths;
	size_t n;
	if (objstore_paths(s, &paths, &n) != OBJ_OK)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = ensure_resource(ctx, &paths[i]);
	free(paths);
	return rc;
}

void serve_notify_one(coap_context_t *ctx, const lwm2m_path *p)
{
	char uri[32];
	int len = uri_of(p, uri, sizeof uri);
	if (len <= 0)
		return;
	coap_str_const_t key = { (size_t)len, (const uint8_t *)uri };
	coap_resource_t *r = coap_get_resource_from_uri_path(ctx, &key);
	if (r)
		coap_resource_notify_observers(r, NULL);
}

void serve_notify(coap_context_t *ctx, const lwm2m_path *p)
{
	lwm2m_path q = *p;
	if (q.len > 3)
		q.len = 3;
	for (; q.len > 0; q.len--) {
		char uri[32];
		int len = uri_of(&q, uri, sizeof uri);
		if (len <= 0)
			continue;
		coap_str_const_t key = { (size_t)len, (const uint8_t *)uri };
		coap_resource_t *r = coap_get_resource_from_uri_path(ctx, &key);
		if (r)
			coap_resource_notify_observers(r, NULL);
	}
}
