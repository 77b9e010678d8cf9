/*
 * metrics.c: counters and histograms of nusimd (server/metrics.h) and
 * their Prometheus text exposition. Labelled counters live in small fixed
 * tables searched linearly: their label sets are bounded by the code (ops,
 * methods, status codes), and a label pair that finds no free slot is
 * counted under "other" rather than lost or allocated for.
 */
#include "server/metrics.h"
#include "server/coap_endpoint.h"
#include "server/config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LC_SLOTS 64
#define LC_LABEL 24

/* ---- histograms -------------------------------------------------------------- */

void metrics_hist_init(metrics_hist *h, const double *le, int nle)
{
	memset(h, 0, sizeof *h);
	h->le = le;
	h->nle = nle > METRICS_MAX_BUCKETS ? METRICS_MAX_BUCKETS : nle;
}

void metrics_hist_observe(metrics_hist *h, double v)
{
	int i = 0;
	while (i < h->nle && v > h->le[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum += v;
}

/* ---- text ------------------------------------------------------------------------ */

static void vput(metrics_text *t, const char *fmt, va_list ap)
{
	for (;;) {
		va_list aq;
		size_t room = t->cap - t->n;
		if (t->oom)
			return;
		va_copy(aq, ap);
		int w = vsnprintf(t->b ? t->b + t->n : NULL, room, fmt, aq);
		va_end(aq);
		if (w < 0) {
			t->oom = 1;
			return;
		}
		if ((size_t)w < room) {
			t->n += (size_t)w;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 4096;
		while (cap - t->n <= (size_t)w)
			cap *= 2;
		char *nb = realloc(t->b, cap);
		if (!nb) {
			t->oom = 1;
			return;
		}
		t->b = nb;
		t->cap = cap;
	}
}

void metrics_printf(metrics_text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vput(t, fmt, ap);
	va_end(ap);
}

void metrics_family(metrics_text *t, const char *name, const char *type,
                    const char *help)
{
	metrics_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_label_value(metrics_text *t, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			metrics_printf(t, "\\%c", *v);
		else if (*v == '\n')
			metrics_printf(t, "\\n");
		else
			metrics_printf(t, "%c", *v);
	}
}

void metrics_hist_write(metrics_text *t, const char *name, const char *labels,
                        const metrics_hist *h)
{
	const char *sep = labels && *labels ? "," : "";
	uint64_t cum = 0;
	if (!labels)
		labels = "";
	for (int i = 0; i < h->nle; i++) {
		cum += h->bucket[i];
		metrics_printf(t, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
		               h->le[i], (unsigned long long)cum);
	}
	cum += h->bucket[h->nle];
	metrics_printf(t, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
	               (unsigned long long)cum);
	metrics_printf(t, "%s_sum%s%s%s %.9g\n", name, *labels ? "{" : "", labels,
	               *labels ? "}" : "", h->sum);
	metrics_printf(t, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels,
	               *labels ? "}" : "", (unsigned long long)h->count);
}

/* ---- labelled counters ------------------------------------------------------------ */

struct lc_slot {
	char a[LC_LABEL], b[LC_LABEL];
	uint64_t n;
};

struct lc {
	struct lc_slot s[LC_SLOTS];
	int used;
};

static void lc_add(struct lc *c, const char *a, const char *b)
{
	for (int i = 0; i < c->used; i++)
		if (!strcmp(c->s[i].a, a) && !strcmp(c->s[i].b, b)) {
			c->s[i].n++;
			return;
		}
	if (c->used < LC_SLOTS - 1) {
		struct lc_slot *s = &c->s[c->used++];
		snprintf(s->a, sizeof s->a, "%s", a);
		snprintf(s->b, sizeof s->b, "%s", b);
		s->n = 1;
		return;
	}
	/* The last slot is the overflow bucket. */
	struct lc_slot *s = &c->s[LC_SLOTS - 1];
	if (!s->a[0]) {
		strcpy(s->a, "other");
		strcpy(s->b, "other");
	}
	s->n++;
}

static void lc_write(metrics_text *t, const char *name, const struct lc *c,
                     const char *ka, const char *kb)
{
	for (int i = 0; i < LC_SLOTS; i++) {
		const struct lc_slot *s = &c->s[i];
		if (!s->n)
			continue;
		metrics_printf(t, "%s{%s=\"", name, ka);
		metrics_label_value(t, s->a);
		metrics_printf(t, "\",%s=\"", kb);
		metrics_label_value(t, s->b);
		metrics_printf(t, "\"} %llu\n", (unsigned long long)s->n);
	}
}

/* ---- the server's figures ------------------------------------------------------- */

/* Request latencies: 0.5 ms (a registration on loopback) to 10 s (a REST
 * call that waited for a device). */
static const double req_le[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
/* Statement latencies: 10 us (an indexed read) to 1 s (a commit stuck
 * behind a checkpoint or another process's lock). */
static const double db_le[] = { 0.00001, 0.000025, 0.00005, 0.0001, 0.00025,
                                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05, 0.1, 0.25, 1 };
#define NLE(a) ((int)(sizeof a / sizeof a[0]))

static struct {
	int init;
	struct lc coap, http, dm;
	metrics_hist coap_h, http_h, db_h;
	int64_t sessions;
	struct coap_ep *coap_ep;
} m;

static void ensure(void)
{
	if (m.init)
		return;
	m.init = 1;
	metrics_hist_init(&m.coap_h, req_le, NLE(req_le));
	metrics_hist_init(&m.http_h, req_le, NLE(req_le));
	metrics_hist_init(&m.db_h, db_le, NLE(db_le));
}

void metrics_reset(void)
{
	struct coap_ep *e = m.coap_ep;
	memset(&m, 0, sizeof m);
	m.coap_ep = e;
	ensure();
}

double metrics_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void metrics_coap_request(const char *op, int code, double seconds)
{
	char c[16];
	ensure();
	snprintf(c, sizeof c, "%d.%02d", (code / 100) % 10, code % 100);
	lc_add(&m.coap, op ? op : "", c);
	metrics_hist_observe(&m.coap_h, seconds);
}

void metrics_http_request(const char *method, int status, double seconds)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT",
	                                     "PATCH", "DELETE", "OPTIONS" };
	const char *mth = "OTHER";
	char st[16];
	ensure();
	/* The method comes from the client: only known ones become labels. */
	for (size_t i = 0; method && i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(method, known[i]))
			mth = known[i];
	snprintf(st, sizeof st, "%d", status >= 100 && status <= 599 ? status : 0);
	lc_add(&m.http, mth, st);
	metrics_hist_observe(&m.http_h, seconds);
}

void metrics_db_statement(double seconds)
{
	ensure();
	metrics_hist_observe(&m.db_h, seconds);
}

void metrics_dm_request(const char *op, const char *outcome)
{
	ensure();
	lc_add(&m.dm, op ? op : "", outcome ? outcome : "");
}

void metrics_coap_session(int delta)
{
	m.sessions += delta;
	if (m.sessions < 0)
		m.sessions = 0;   /* sessions that predate the count */
}

int64_t metrics_coap_sessions(void)
{
	return m.sessions;
}

void metrics_write(metrics_text *t)
{
	ensure();
	metrics_family(t, "nusimd_coap_sessions", "gauge",
	               "CoAP server sessions libcoap holds now (UDP and DTLS).");
	metrics_printf(t, "nusimd_coap_sessions %lld\n", (long long)m.sessions);
	metrics_family(t, "nusimd_coap_requests_total", "counter",
	               "Requests of the registration interface, by operation and "
	               "response code.");
	lc_write(t, "nusimd_coap_requests_total", &m.coap, "op", "code");
	metrics_family(t, "nusimd_coap_request_duration_seconds", "histogram",
	               "Time to handle one request of the registration interface.");
	metrics_hist_write(t, "nusimd_coap_request_duration_seconds", "", &m.coap_h);
	metrics_family(t, "nusimd_http_requests_total", "counter",
	               "REST API calls, by method and status.");
	lc_write(t, "nusimd_http_requests_total", &m.http, "method", "status");
	metrics_family(t, "nusimd_http_request_duration_seconds", "histogram",
	               "Time from a REST call's arrival to its completion.");
	metrics_hist_write(t, "nusimd_http_request_duration_seconds", "", &m.http_h);
	metrics_family(t, "nusimd_dm_requests_total", "counter",
	               "Device-management requests that ended, by operation and "
	               "outcome.");
	lc_write(t, "nusimd_dm_requests_total", &m.dm, "op", "outcome");
	metrics_family(t, "nusimd_db_statement_duration_seconds", "histogram",
	               "Time of one SQLite statement, from preparation to reset.");
	metrics_hist_write(t, "nusimd_db_statement_duration_seconds", "", &m.db_h);
}

/* ---- readiness ---------------------------------------------------------------------- */

void metrics_attach_coap(struct coap_ep *e)
{
	m.coap_ep = e;
}

int metrics_coap_ready(char *why, size_t whylen)
{
	coap_ep *e = m.coap_ep;
	coap_context_t *ctx;
	int fd;

	if (!e) {
		snprintf(why, whylen, "none");
		return 1;   /* an API without a CoAP side (tests) */
	}
	ctx = coap_ep_context(e);
	fd = ctx ? coap_context_get_coap_fd(ctx) : -1;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		snprintf(why, whylen, "the libcoap context has no event fd");
		return -1;
	}
	for (int dtls = 0; dtls < 2; dtls++) {
		const char *b = coap_ep_bound(e, dtls);
		char host[CONFIG_ADDR_MAX];
		unsigned port = 0;
		if (b && !strcmp(b, "off"))
			continue;
		if (!b || config_split_hostport(b, host, sizeof host, &port) < 0 ||
		    port == 0) {
			snprintf(why, whylen, "the %s endpoint is not bound",
			         dtls ? "CoAP/DTLS" : "CoAP/UDP");
			return -1;
		}
	}
	return 0;
}
