/*
 * metrics.h: the in-memory counters and latency histograms behind /metrics
 * (Prometheus text format 0.0.4), and the few facts about the running
 * server that /readyz checks. Fixed-bucket histograms and fixed-size label
 * tables: an observation never allocates. Loop thread only, like
 * everything that records into it (CoAP, HTTP, SQLite run on that thread).
 */
#ifndef SERVER_METRICS_H
#define SERVER_METRICS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_BUCKETS 16

/* A histogram: bucket[i] counts observations <= le[i] (and > le[i-1]);
 * bucket[nle] the rest (+Inf). Written out cumulatively. */
typedef struct {
	const double *le;
	int nle;
	uint64_t bucket[METRICS_MAX_BUCKETS + 1];
	uint64_t count;
	double sum;
} metrics_hist;

/* le: ascending upper bounds, at most METRICS_MAX_BUCKETS, kept by
 * reference (static arrays). */
void metrics_hist_init(metrics_hist *h, const double *le, int nle);
void metrics_hist_observe(metrics_hist *h, double v);

/* A growing text buffer for the exposition; oom is set (and further
 * writes dropped) when memory runs out. b is malloc'ed, the caller's. */
typedef struct {
	char *b;
	size_t n, cap;
	int oom;
} metrics_text;

void metrics_printf(metrics_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "# HELP name help\n# TYPE name type\n" */
void metrics_family(metrics_text *t, const char *name, const char *type,
                    const char *help);
/* The _bucket, _sum and _count lines of h; labels is "" or `k="v",...`
 * without braces. */
void metrics_hist_write(metrics_text *t, const char *name, const char *labels,
                        const metrics_hist *h);
/* Writes v as a label value: backslash, quote and newline escaped. */
void metrics_label_value(metrics_text *t, const char *v);

/* ---- what the server records ---------------------------------------------- */

/* One request of the registration interface (op "register", "update",
 * "deregister"), answered with CoAP code class*100+detail (201, 404, ...),
 * handled in `seconds`. */
void metrics_coap_request(const char *op, int code, double seconds);
/* One REST call, from its first byte to its completion. */
void metrics_http_request(const char *method, int status, double seconds);
/* One SQLite statement, from db_stmt to db_done (db/db_ops.h hook). */
void metrics_db_statement(double seconds);
/* A device-management request ended: op as dm_op_name, outcome as
 * db_req_state_name ("done", "failed", "expired", "cancelled"). */
void metrics_dm_request(const char *op, const char *outcome);
/* libcoap created (+1) or freed (-1) a server session. */
void metrics_coap_session(int delta);
int64_t metrics_coap_sessions(void);

/* Writes every in-memory family above. */
void metrics_write(metrics_text *t);
/* Zeroes everything (tests). */
void metrics_reset(void);
/* Monotonic clock in seconds, for the durations above. */
double metrics_now(void);

/* ---- readiness -------------------------------------------------------------- */

/* The CoAP endpoint /readyz checks (NULL: none, e.g. while stopping). */
struct coap_ep;
void metrics_attach_coap(struct coap_ep *e);
/* 0 when every configured CoAP endpoint is bound and the libcoap context
 * has its fd; -1 with the reason in why otherwise; 1 ("none" in why) when
 * no endpoint was ever attached (an API running alone, in tests). */
int metrics_coap_ready(char *why, size_t whylen);

#endif
