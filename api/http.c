/*
 * http.c: the libmicrohttpd daemon of the REST API, driven by the server's
 * loop in external-epoll mode (NOTES-libs §6).
 *
 * The access handler routes and authorises a call on its first invocation,
 * accumulates the body (bounded by max_body, 413 beyond), runs the handler
 * once the body is complete, and queues the response. A handler that waits
 * for a device suspends the connection; whoever ends the wait sets the
 * response and resumes it, and MHD calls the access handler again, which is
 * the only place a response is ever queued.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <openssl/crypto.h>

#include "api/api_int.h"
#include "server/log.h"
#include "server/metrics.h"

#define API_DEFAULT_MAX_BODY (1024 * 1024)

/* Every hook ever made stays reachable from here (see struct api_hook). */
static struct api_hook *all_hooks;

static void api_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	log_kv(NLOG_WARN, "http daemon", "error", msg, NULL);
}

/* ---- the call ---------------------------------------------------------- */

const char *api_query(api_call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *api_header(api_call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}

const char *api_content_type(api_call *c, char *buf, size_t size)
{
	const char *h = api_header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = 0;
	if (h) {
		while (*h == ' ' || *h == '\t')
			h++;
		for (; h[n] && h[n] != ';' && h[n] != ' ' && n + 1 < size; n++)
			buf[n] = (char)((h[n] >= 'A' && h[n] <= 'Z') ? h[n] + 32 : h[n]);
	}
	buf[n] = 0;
	return buf;
}

int api_ctype_is_json(const char *ct)
{
	/* curl -d sends form-urlencoded unless told otherwise; the API has no
	 * forms, so such a body is read as the JSON it nearly always is. */
	return !ct[0] || !strcmp(ct, "application/json") ||
	       !strcmp(ct, "application/x-www-form-urlencoded");
}

static void waiting_unlink(api_call *c)
{
	api *a = c->a;
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else if (a->waiting == c)
		a->waiting = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	c->wprev = c->wnext = NULL;
	a->nwaiting--;
}

void api_call_suspend(api_call *c)
{
	api *a = c->a;
	if (c->state != CALL_NEW)
		return;   /* already answered (the result came synchronously) */
	MHD_suspend_connection(c->conn);
	c->state = CALL_SUSPENDED;
	c->wnext = a->waiting;
	if (a->waiting)
		a->waiting->wprev = c;
	a->waiting = c;
	a->nwaiting++;
}

void api_call_resume(api_call *c)
{
	if (c->state == CALL_SUSPENDED) {
		waiting_unlink(c);
		c->state = CALL_READY;
		MHD_resume_connection(c->conn);
		c->a->need_run = 1;
	} else if (c->state == CALL_NEW) {
		c->state = CALL_READY;
	}
}

static void call_free(api_call *c)
{
	if (!c)
		return;
	if (c->state == CALL_SUSPENDED) {
		waiting_unlink(c);
		c->state = CALL_QUEUED;
	}
	api_lwm2m_abort(c);   /* drops a timer or dm callback still pending */
	if (c->ctx_free)
		c->ctx_free(c->ctx);
	if (c->reader_free && c->reader_cls)
		c->reader_free(c->reader_cls);   /* never handed to MHD */
	api_params_free(&c->params);
	free(c->url);
	if (c->body)
		OPENSSL_cleanse(c->body, c->cap);   /* it may have carried PSK keys */
	free(c->body);
	free(c->resp);
	free(c->allow);
	free(c->location);
	free(c);
}

/* Hands the response set on c to MHD. Ownership of c->resp moves to MHD. */
static enum MHD_Result call_queue(api_call *c)
{
	if (c->status == 0)
		api_problem(c, 500, "internal", NULL, "the handler set no response");
	struct MHD_Response *r;
	if (c->reader && c->status < 300) {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
		                                      c->reader, c->reader_cls,
		                                      c->reader_free);
		if (!r)
			return MHD_NO;
		c->reader_cls = NULL;   /* MHD frees it with the response */
	} else {
		r = MHD_create_response_from_buffer(c->resp_len, c->resp,
		                                    MHD_RESPMEM_MUST_FREE);
		if (!r)
			return MHD_NO;
		c->resp = NULL;
	}
	if (c->ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, c->ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (c->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, c->allow);
	if (c->location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, c->location);
	if (c->www_auth)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        c->www_auth == 2
		                        ? "Bearer realm=\"nusimd\", error=\"invalid_token\""
		                        : "Bearer realm=\"nusimd\"");
	enum MHD_Result rc = MHD_queue_response(c->conn, (unsigned)c->status, r);
	MHD_destroy_response(r);
	c->state = CALL_QUEUED;
	return rc;
}

/* First invocation: route, authorise, check the declared body size. Sets a
 * response (state READY) when the call is answered already. */
static void call_start(api_call *c)
{
	api *a = c->a;
	int status = 0;
	if (a->stopping) {
		api_problem(c, 503, "unavailable", NULL, "the server is shutting down");
		return;
	}
	c->route = api_route_find(c->method, c->url, &c->params, &status, &c->allow);
	if (!c->route) {
		if (status == 405)
			api_problem(c, 405, "method-not-allowed",
			            json_pack("{ss}", "allow", c->allow),
			            "%s is not allowed on %s; allowed: %s",
			            c->method, c->url, c->allow);
		else
			api_problem(c, 404, "not-found", NULL,
			            "no route for %s %s", c->method, c->url);
		return;
	}
	if (api_auth(c, c->route->min_role))
		return;
	const char *cl = api_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && !api_route_body(c->route)) {   /* a streamed body has its own bounds */
		char *end;
		errno = 0;
		unsigned long long n = strtoull(cl, &end, 10);
		if (errno || end == cl || n > a->cfg.max_body)
			api_problem(c, 413, "payload-too-large",
			            json_pack("{sI}", "max_body", (json_int_t)a->cfg.max_body),
			            "the body is larger than the limit of %zu bytes",
			            a->cfg.max_body);
	}
}

static void call_body(api_call *c, const char *data, size_t n)
{
	size_t max = c->a->cfg.max_body;
	if (c->too_large || n > max - c->len) {
		c->too_large = 1;   /* keep reading, drop the bytes, answer 413 */
		return;
	}
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		while (cap < c->len + n + 1)
			cap *= 2;
		uint8_t *b = realloc(c->body, cap);
		if (!b) {
			c->too_large = 1;
			return;
		}
		c->body = b;
		c->cap = cap;
	}
	memcpy(c->body + c->len, data, n);
	c->len += n;
	c->body[c->len] = 0;   /* handlers may treat text bodies as C strings */
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
	api *a = cls;
	api_call *c = *con_cls;
	if (!c) {
		c = calloc(1, sizeof *c);
		if (!c)
			return MHD_NO;
		c->a = a;
		c->conn = conn;
		c->method = method;
		c->t0 = metrics_now();
		c->url = strdup(url);
		c->create_inst = -1;
		if (!c->url) {
			free(c);
			return MHD_NO;
		}
		*con_cls = c;
		call_start(c);
		if (c->status)
			return call_queue(c);
		return MHD_YES;
	}
	api_body_fn body = c->route ? api_route_body(c->route) : NULL;
	if (c->state == CALL_NEW && *upload_data_size && body) {
		if (!c->status)
			body(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->state == CALL_NEW && *upload_data_size) {
		call_body(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (c->state == CALL_NEW) {
		if (c->too_large)
			api_problem(c, 413, "payload-too-large",
			            json_pack("{sI}", "max_body", (json_int_t)a->cfg.max_body),
			            "the body is larger than the limit of %zu bytes",
			            a->cfg.max_body);
		else if (!c->status)   /* a streamed body may have failed */
			c->route->handler(c);
		if (c->state == CALL_SUSPENDED)
			return MHD_YES;
		return call_queue(c);
	}
	if (c->state == CALL_READY)
		return call_queue(c);
	return MHD_YES;   /* suspended: nothing to do until resumed */
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
	api_call *c = *con_cls;
	if (c)
		metrics_http_request(c->method, c->status, metrics_now() - c->t0);
	call_free(c);
	*con_cls = NULL;
}

/* ---- the loop's side ------------------------------------------------------ */

static void on_fd(void *arg, uint32_t events)
{
	/* MHD_run happens in on_check, which runs after every wake-up. */
}

static int64_t on_prepare(void *arg)
{
	struct api_hook *h = arg;
	api *a = h->a;
	MHD_UNSIGNED_LONG_LONG ms;
	if (!a)
		return -1;
	if (a->need_run)
		return 0;
	if (MHD_get_timeout(a->mhd, &ms) == MHD_YES)
		return ms > INT64_MAX ? INT64_MAX : (int64_t)ms;
	return -1;
}

static void on_check(void *arg)
{
	struct api_hook *h = arg;
	api *a = h->a;
	if (!a)
		return;
	a->need_run = 0;
	MHD_run(a->mhd);
}

/* "HOST:PORT" or "[V6]:PORT" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
                        char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(s ? s : "", ':');
	if (!s || !colon || colon == s) {
		snprintf(err, errlen, "listen address \"%s\" is not HOST:PORT", s ? s : "");
		return -1;
	}
	size_t hl = (size_t)(colon - s);
	const char *h = s;
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= sizeof host) {
		snprintf(err, errlen, "listen host too long");
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = 0;
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535) {
		snprintf(err, errlen, "bad port in listen address \"%s\"", s);
		return -1;
	}
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
	} else {
		snprintf(err, errlen, "listen host \"%s\" is not an IP address", host);
		return -1;
	}
	return 0;
}

static void format_bound(int fd, char *bound, size_t boundlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (!bound || !boundlen)
		return;
	bound[0] = 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
		port = ntohs(v4->sin_port);
		snprintf(bound, boundlen, "%s:%u", host, port);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
		port = ntohs(v6->sin6_port);
		snprintf(bound, boundlen, "[%s]:%u", host, port);
	}
}

api *api_start(loop *l, db *d, dm *e, const seal_key *k, const api_config *cfg,
               char *bound, size_t boundlen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	api *a = NULL;
	struct api_hook *h = NULL;
	const union MHD_DaemonInfo *info;

	if (parse_listen(cfg->listen, &ss, err, errlen))
		return NULL;
	a = calloc(1, sizeof *a);
	h = calloc(1, sizeof *h);
	if (!a || !h) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	a->l = l;
	a->d = d;
	a->e = e;
	a->k = k;
	a->cfg = *cfg;
	if (!a->cfg.max_body)
		a->cfg.max_body = API_DEFAULT_MAX_BODY;
	if (a->cfg.max_timeout_ms <= 0)
		a->cfg.max_timeout_ms = 300000;
	if (a->cfg.default_timeout_ms < 0 || a->cfg.default_timeout_ms > a->cfg.max_timeout_ms)
		a->cfg.default_timeout_ms = a->cfg.max_timeout_ms;
	a->mhd_fd = -1;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_access, a,
	                          MHD_OPTION_EXTERNAL_LOGGER, api_log, a,
	                          MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	                          MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_MAX_CONNECTIONS,
	                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	                          MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
	                          MHD_OPTION_END);
	if (!a->mhd) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->listen,
		         errno ? strerror(errno) : "libmicrohttpd refused to start");
		goto fail;
	}
	info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		snprintf(err, errlen, "libmicrohttpd has no epoll fd");
		goto fail;
	}
	a->mhd_fd = info->epoll_fd;
	info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	if (info)
		format_bound(info->listen_fd, bound, boundlen);
	h->a = a;
	a->hook = h;
	if (loop_add_fd(l, a->mhd_fd, EPOLLIN, on_fd, h)) {
		snprintf(err, errlen, "cannot add the HTTP daemon to the loop");
		goto fail;
	}
	/* From here the loop holds h: it is never freed. */
	h->next = all_hooks;
	all_hooks = h;
	if (loop_add_prepare(l, on_prepare, h) || loop_add_check(l, on_check, h)) {
		snprintf(err, errlen, "cannot add the HTTP daemon to the loop");
		h->a = NULL;
		loop_del_fd(l, a->mhd_fd);
		MHD_stop_daemon(a->mhd);
		free(a);
		return NULL;
	}
	return a;
fail:
	if (a && a->mhd)
		MHD_stop_daemon(a->mhd);
	free(a);
	free(h);
	return NULL;
}

/* The same defaults and bounds api_start applies. */
static void apply_limits(api_config *dst, const api_config *src)
{
	dst->max_body = src->max_body ? src->max_body : API_DEFAULT_MAX_BODY;
	dst->max_timeout_ms = src->max_timeout_ms > 0 ? src->max_timeout_ms : 300000;
	dst->default_timeout_ms = src->default_timeout_ms;
	if (dst->default_timeout_ms < 0 ||
	    dst->default_timeout_ms > dst->max_timeout_ms)
		dst->default_timeout_ms = dst->max_timeout_ms;
}

void api_set_limits(api *a, const api_config *cfg)
{
	if (a && cfg)
		apply_limits(&a->cfg, cfg);
}

void api_stop(api *a)
{
	if (!a)
		return;
	a->stopping = 1;
	/* Answer every waiting call, end the event streams, then give MHD a
	 * moment to send those. */
	while (a->waiting)
		api_lwm2m_abort(a->waiting);
	api_events_stop(a);
	for (int i = 0; i < 20 && a->need_run; i++) {
		a->need_run = 0;
		MHD_run(a->mhd);
		struct pollfd p = { .fd = a->mhd_fd, .events = POLLIN };
		if (poll(&p, 1, 10) > 0)
			a->need_run = 1;
	}
	loop_del_fd(a->l, a->mhd_fd);
	a->hook->a = NULL;
	MHD_stop_daemon(a->mhd);
	api_events_free(a);
	free(a);
}
