/*
 * h_metrics.c: GET /metrics in the Prometheus text format 0.0.4. Gauges
 * read from the database (indexed counts, the campaigns' own counters, so
 * a scrape never walks a table), the engines' counters, and the in-memory
 * counters and histograms of server/metrics.c. Counts only, no names or
 * secrets, so it needs no token: scrapers call it without credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "db/db_campaign.h"
#include "server/dm_engine.h"
#include "server/metrics.h"
#include "server/switch.h"

/* The job states of server/switch.c, in machine order; checked against
 * sw_state_valid so a renamed state is skipped rather than shown empty. */
static const char *const job_states[] = {
	"queued", "waiting_online", "preparing", "writing_507", "linking",
	"loading", "awaiting_result", "awaiting_reattach", "verifying", "done",
	"failed", "rolled_back", "timed_out", "cancelled",
};

static void gauge(metrics_text *t, const char *name, const char *help, int64_t v)
{
	metrics_family(t, name, "gauge", help);
	metrics_printf(t, "%s %lld\n", name, (long long)v);
}

static void counter(metrics_text *t, const char *name, const char *help,
                    int64_t v)
{
	metrics_family(t, name, "counter", help);
	metrics_printf(t, "%s %lld\n", name, (long long)v);
}

static void jobs(metrics_text *t, db *d)
{
	int64_t n;
	metrics_family(t, "nusimd_jobs", "gauge", "Switch and stage jobs by state.");
	for (size_t i = 0; i < sizeof job_states / sizeof job_states[0]; i++)
		if (sw_state_valid(job_states[i]) &&
		    db_job_count_state(d, job_states[i], &n) == DB_OK)
			metrics_printf(t, "nusimd_jobs{state=\"%s\"} %lld\n",
			               job_states[i], (long long)n);
}

/* Rows of the campaigns the engine follows (running, paused, or with jobs
 * still in flight): their progress, from the counters each row move keeps. */
static void campaigns(metrics_text *t, db *d)
{
	int64_t *ids = NULL;
	size_t n = 0;
	metrics_family(t, "nusimd_campaign_rows", "gauge",
	               "Rows of the active campaigns by state.");
	if (db_camp_active_ids(d, &ids, &n) != DB_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		db_campaign c;
		memset(&c, 0, sizeof c);
		if (db_camp_get(d, ids[i], &c) != DB_OK)
			continue;
		const struct { const char *state; int64_t v; } rows[] = {
			{ "pending", c.pending }, { "started", c.started },
			{ "succeeded", c.succeeded }, { "failed", c.failed },
			{ "skipped", c.skipped },
		};
		for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
			metrics_printf(t, "nusimd_campaign_rows{campaign=\"%lld\","
			               "state=\"%s\"} %lld\n", (long long)c.id,
			               rows[k].state, (long long)rows[k].v);
		db_campaign_clear(&c);
	}
	free(ids);
}

void h_metrics(api_call *c)
{
	api *a = c->a;
	metrics_text t = { 0 };
	int64_t n = 0;

	if (db_device_count(a->d, &n) == DB_OK)
		gauge(&t, "nusimd_devices", "Provisioned devices.", n);
	if (db_reg_count(a->d, &n) == DB_OK)
		gauge(&t, "nusimd_registrations", "Registered endpoints.", n);
	if (db_request_count_state(a->d, DB_REQ_QUEUED, &n) == DB_OK)
		gauge(&t, "nusimd_requests_queued",
		      "Requests waiting for a sleeping or unreachable device.", n);
	metrics_family(&t, "nusimd_requests", "gauge",
	               "Device-management requests by state.");
	for (int s = DB_REQ_QUEUED; s <= DB_REQ_CANCELLED; s++)
		if (db_request_count_state(a->d, s, &n) == DB_OK)
			metrics_printf(&t, "nusimd_requests{state=\"%s\"} %lld\n",
			               db_req_state_name(s), (long long)n);
	if (a->e) {
		dm_stats st;
		memset(&st, 0, sizeof st);
		dm_get_stats(a->e, &st);
		counter(&t, "nusimd_dm_sent_total", "Requests sent to devices.", st.sent);
		counter(&t, "nusimd_dm_answered_total", "Requests devices answered.",
		        st.answered);
		counter(&t, "nusimd_dm_failed_total", "Requests that failed on the way.",
		        st.failed);
		counter(&t, "nusimd_dm_notifications_total",
		        "Observe notifications received.", st.notifications);
		gauge(&t, "nusimd_dm_in_flight", "Requests on the wire now.", st.in_flight);
	}
	jobs(&t, a->d);
	campaigns(&t, a->d);
	if (a->sw) {
		sw_stats ss;
		memset(&ss, 0, sizeof ss);
		sw_get_stats(a->sw, &ss);
		counter(&t, "nusimd_switch_packages_built_total",
		        "Profile packages built for switch and stage jobs.",
		        ss.packages_built);
	}
	counter(&t, "nusimd_db_batch_lost_total",
	        "Registration writes lost to a failed group commit.",
	        (int64_t)db_batch_lost(a->d));
	gauge(&t, "nusimd_api_waiting_calls", "REST calls waiting for a device.",
	      a->nwaiting);
	metrics_write(&t);
	if (t.oom) {
		free(t.b);
		api_problem(c, 500, "internal", NULL, "out of memory writing the metrics");
		return;
	}
	api_reply_text(c, 200, t.b, t.n, "text/plain; version=0.0.4; charset=utf-8");
}
