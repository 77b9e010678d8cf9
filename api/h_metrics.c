/*
 * h_metrics.c: GET /metrics (Prometheus text format 0.0.4) and GET /readyz.
 * Counts only, no names or secrets, so neither needs a token: scrapers and
 * orchestrators call them without credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "server/dm_engine.h"

typedef struct {
	char *b;
	size_t n, cap;
	int oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = t->cap - t->n;
		va_start(ap, fmt);
		int w = vsnprintf(t->b ? t->b + t->n : NULL, room, fmt, ap);
		va_end(ap);
		if (w < 0) {
			t->oom = 1;
			return;
		}
		if ((size_t)w < room) {
			t->n += (size_t)w;
			return;
		}
		size_t cap = t->cap ? t->cap * 2 : 2048;
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

static void gauge(text *t, const char *name, const char *help, int64_t v)
{
	put(t, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
	    (long long)v);
}

static void counter(text *t, const char *name, const char *help, int64_t v)
{
	put(t, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", name, help, name, name,
	    (long long)v);
}

void h_metrics(api_call *c)
{
	api *a = c->a;
	text t = { 0 };
	int64_t n = 0;
	if (db_device_count(a->d, &n) == DB_OK)
		gauge(&t, "nusimd_devices", "Provisioned devices.", n);
	if (db_reg_count(a->d, &n) == DB_OK)
		gauge(&t, "nusimd_registrations", "Registered endpoints.", n);
	put(&t, "# HELP nusimd_requests Device-management requests by state.\n"
	        "# TYPE nusimd_requests gauge\n");
	for (int s = DB_REQ_QUEUED; s <= DB_REQ_CANCELLED; s++)
		if (db_request_count_state(a->d, s, &n) == DB_OK)
			put(&t, "nusimd_requests{state=\"%s\"} %lld\n", db_req_state_name(s),
			    (long long)n);
	if (a->e) {
		dm_stats st;
		memset(&st, 0, sizeof st);
		dm_get_stats(a->e, &st);
		counter(&t, "nusimd_dm_sent_total", "Requests sent to devices.", st.sent);
		counter(&t, "nusimd_dm_answered_total", "Requests devices answered.", st.answered);
		counter(&t, "nusimd_dm_failed_total", "Requests that failed on the way.", st.failed);
		counter(&t, "nusimd_dm_notifications_total", "Observe notifications received.",
		        st.notifications);
		gauge(&t, "nusimd_dm_in_flight", "Requests on the wire now.", st.in_flight);
	}
	gauge(&t, "nusimd_api_waiting_calls", "REST calls waiting for a device.", a->nwaiting);
	if (t.oom) {
		free(t.b);
		api_problem(c, 500, "internal", NULL, "out of memory writing the metrics");
		return;
	}
	api_reply_text(c, 200, t.b, t.n, "text/plain; version=0.0.4; charset=utf-8");
}

void h_readyz(api_call *c)
{
	int64_t n = 0;
	if (c->a->stopping) {
		api_problem(c, 503, "unavailable", NULL, "the server is shutting down");
		return;
	}
	if (db_device_count(c->a->d, &n) != DB_OK) {
		api_problem(c, 503, "unavailable", NULL, "the database does not answer: %s",
		            db_errmsg(c->a->d));
		return;
	}
	api_reply_json(c, 200, json_pack("{ss}", "status", "ready"));
}
