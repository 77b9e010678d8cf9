/*
 * http.c: nusimctl's HTTP calls on libcurl (ctl/ctl.h): one easy handle
 * per call, the bearer token in a header (never in the URL, so it stays
 * out of proxies' logs), uploads streamed from the file, and a reader for
 * server-sent events that splits the stream into events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "ctl/ctl.h"

#define CTL_MAX_RESP (256L * 1024 * 1024)   /* a report of a million rows fits */
#define CTL_MAX_EVENT (1024 * 1024)

static int curl_ready;

static CURL *easy(const ctl *c, const char *path, struct curl_slist **hdr)
{
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			return NULL;
		curl_ready = 1;
	}
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	size_t n = strlen(c->url) + strlen(path) + 1;
	char *u = malloc(n);
	if (!u) {
		curl_easy_cleanup(h);
		return NULL;
	}
	/* "http://host:port/" + "/api/v1/x": one slash between them. */
	size_t ul = strlen(c->url);
	while (ul && c->url[ul - 1] == '/')
		ul--;
	snprintf(u, n, "%.*s%s", (int)ul, c->url, path);
	curl_easy_setopt(h, CURLOPT_URL, u);
	free(u);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "nusimctl/1");
	if (c->timeout_s > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
	if (c->token && *c->token) {
		size_t tl = strlen(c->token) + 32;
		char *a = malloc(tl);
		if (a) {
			snprintf(a, tl, "Authorization: Bearer %s", c->token);
			*hdr = curl_slist_append(*hdr, a);
			free(a);
		}
	}
	return h;
}

typedef struct {
	ctl_resp *r;
	size_t cap;
	int too_big;
} sink;

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	sink *s = arg;
	size_t n = size * nmemb;
	if (s->r->len + n + 1 > (size_t)CTL_MAX_RESP) {
		s->too_big = 1;
		return 0;
	}
	if (s->r->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->r->len + n + 1)
			cap *= 2;
		char *b = realloc(s->r->body, cap);
		if (!b)
			return 0;
		s->r->body = b;
		s->cap = cap;
	}
	memcpy(s->r->body + s->r->len, p, n);
	s->r->len += n;
	s->r->body[s->r->len] = 0;
	return n;
}

int ctl_call(const ctl *c, const char *method, const char *path,
             const char *ctype, const char *body, size_t len,
             const char *body_file, ctl_resp *out)
{
	struct curl_slist *hdr = NULL;
	FILE *f = NULL;
	int rc = -1;
	memset(out, 0, sizeof *out);
	CURL *h = easy(c, path, &hdr);
	if (!h) {
		snprintf(out->error, sizeof out->error, "cannot set up libcurl");
		return -1;
	}
	if (ctype) {
		char ct[160];
		snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
		hdr = curl_slist_append(hdr, ct);
	}
	hdr = curl_slist_append(hdr, "Expect:");   /* no 100-continue round trip */
	if (body_file) {
		f = fopen(body_file, "rb");
		if (!f) {
			snprintf(out->error, sizeof out->error, "%s: %s", body_file,
			         strerror(errno));
			goto done;
		}
		fseek(f, 0, SEEK_END);
		long sz = ftell(f);
		fseek(f, 0, SEEK_SET);
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READDATA, f);   /* fread by default */
		if (sz >= 0)
			curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sz);
	} else if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else if (strcmp(method, "GET") && strcmp(method, "DELETE")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	sink s = { out, 0, 0 };
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	CURLcode cr = curl_easy_perform(h);
	if (cr != CURLE_OK) {
		snprintf(out->error, sizeof out->error, "%s",
		         s.too_big ? "the answer is larger than nusimctl accepts"
		                   : curl_easy_strerror(cr));
		goto done;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	char *ct = NULL;
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		snprintf(out->ctype, sizeof out->ctype, "%s", ct);
	if (!out->body) {
		out->body = calloc(1, 1);
		if (!out->body)
			goto done;
	}
	rc = 0;
done:
	if (f)
		fclose(f);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return rc;
}

void ctl_resp_free(ctl_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof *r);
}

char *ctl_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = malloc(n * 3 + 1), *p = o;
	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = 0;
	return o;
}

void ctl_query(char *path, size_t size, const char *const *keys,
               const char *const *vals, int n)
{
	for (int k = 0; k < n; k++) {
		if (!vals[k])
			continue;
		char *e = ctl_escape(vals[k]);
		size_t l = strlen(path);
		snprintf(path + l, size - l, "%c%s=%s",
		         strchr(path, '?') ? '&' : '?', keys[k], e ? e : "");
		free(e);
	}
}

/* ---- server-sent events ------------------------------------------------------ */

typedef struct {
	ctl_sse_fn fn;
	ctl_tick_fn tick;
	void *arg;
	char line[8192];
	size_t ll;
	char *data;             /* the event's data lines, joined by \n */
	size_t dl;
	char event[64];
	int stopped;
	int too_long;
} sse;

static int sse_line(sse *s)
{
	char *l = s->line;
	s->line[s->ll] = 0;
	if (s->ll == 0) {
		/* A blank line dispatches the event. */
		int stop = 0;
		if (s->data)
			stop = s->fn(s->arg, s->event[0] ? s->event : "message", s->data);
		free(s->data);
		s->data = NULL;
		s->dl = 0;
		s->event[0] = 0;
		return stop;
	}
	if (l[0] == ':')
		return 0;   /* a comment (keep-alive ping) */
	char *v = strchr(l, ':');
	const char *val = "";
	if (v) {
		*v++ = 0;
		if (*v == ' ')
			v++;
		val = v;
	}
	if (!strcmp(l, "data")) {
		size_t n = strlen(val);
		if (s->dl + n + 2 > CTL_MAX_EVENT)
			return 0;   /* an event that large is no progress report */
		char *d = realloc(s->data, s->dl + n + 2);
		if (!d)
			return 1;
		s->data = d;
		if (s->dl)
			s->data[s->dl++] = '\n';
		memcpy(s->data + s->dl, val, n + 1);
		s->dl += n;
	} else if (!strcmp(l, "event")) {
		snprintf(s->event, sizeof s->event, "%s", val);
	}
	return 0;
}

static size_t on_sse(char *p, size_t size, size_t nmemb, void *arg)
{
	sse *s = arg;
	size_t n = size * nmemb;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (ch == '\r')
			continue;
		if (ch == '\n') {
			if (!s->too_long && sse_line(s)) {
				s->stopped = 1;
				return 0;
			}
			s->ll = 0;
			s->too_long = 0;
			continue;
		}
		if (s->ll + 1 >= sizeof s->line) {
			s->too_long = 1;   /* dropped whole, never cut */
			continue;
		}
		s->line[s->ll++] = ch;
	}
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
	sse *s = arg;
	if (s->tick && s->tick(s->arg)) {
		s->stopped = 1;
		return 1;
	}
	return 0;
}

long ctl_sse(const ctl *c, const char *path, ctl_sse_fn fn, ctl_tick_fn tick,
             void *arg, char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	long status = 0;
	CURL *h = easy(c, path, &hdr);
	if (!h) {
		snprintf(err, errlen, "cannot set up libcurl");
		return 0;
	}
	hdr = curl_slist_append(hdr, "Accept: text/event-stream");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 0L);   /* a stream has no end */
	sse s = { .fn = fn, .tick = tick, .arg = arg };
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_sse);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, &s);
	CURLcode cr = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cr != CURLE_OK && !s.stopped) {
		snprintf(err, errlen, "%s", curl_easy_strerror(cr));
		if (cr == CURLE_COULDNT_CONNECT || cr == CURLE_COULDNT_RESOLVE_HOST)
			status = 0;
	}
	free(s.data);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return status;
}
