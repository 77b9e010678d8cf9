/*
 * api_int.h: what the files of api/ share and nobody else sees: the daemon
 * state, one HTTP call, the route table's types and the reply helpers.
 */
#ifndef API_API_INT_H
#define API_API_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <microhttpd.h>

#include "api/api.h"
#include "db/db_switch.h"

#define API_PROBLEM_BASE "https://nusimd.dev/problems/"
#define API_MAX_CONNECTIONS 512
#define API_MAX_WAITING 256       /* suspended calls at once */
#define API_MAX_PARAMS 4

typedef struct api_call api_call;

/* A matched route's captured segments ({ep}, {id}, {path...}). */
typedef struct {
	const char *name[API_MAX_PARAMS];
	char *value[API_MAX_PARAMS];  /* malloc'ed, owned by the call */
	int n;
} api_params;

typedef void (*api_handler)(api_call *c);
/* A streamed body: gets each chunk as it arrives instead of the body being
 * collected (and bounded by max_body); the handler then runs at the end.
 * It returns 0, or -1 after setting a problem (the rest is dropped). */
typedef int (*api_body_fn)(api_call *c, const char *data, size_t n);

typedef struct {
	const char *method;
	const char *pattern;   /* "/api/v1/devices/{ep}/lwm2m/{path...}/observe" */
	int min_role;          /* 0 = no authentication */
	int arg;               /* handler-specific (which LwM2M operation) */
	api_handler handler;
} api_route;

/* A hook that outlives the api: the loop has no way to remove prepare and
 * check callbacks, so they point here and see a == NULL after api_stop. */
struct api_hook {
	struct api *a;
	struct api_hook *next;
};

struct api {
	loop *l;
	db *d;
	dm *e;
	const seal_key *k;
	api_config cfg;
	struct MHD_Daemon *mhd;
	int mhd_fd;
	struct api_hook *hook;
	api_call *waiting;     /* suspended calls, doubly linked */
	int nwaiting;
	int need_run;          /* a call was resumed: run MHD without sleeping */
	int stopping;
	struct campaigns *camp; /* api_set_campaigns; NULL until set */
	struct sw *sw;          /* api_set_switch; NULL until set */
	struct evbus *bus;
	struct api_sse *sse;    /* h_events.c: the open /events streams */
};

enum call_state {
	CALL_NEW = 0,      /* routed and authorised, reading the body */
	CALL_SUSPENDED,    /* waiting for a device (or our timer) */
	CALL_READY,        /* a response is set, queue it */
	CALL_QUEUED,       /* response handed to MHD */
};

struct api_call {
	api *a;
	struct MHD_Connection *conn;
	const char *method;
	char *url;
	const api_route *route;
	api_params params;
	int state;

	/* body */
	uint8_t *body;
	size_t len, cap;
	int too_large;

	/* who asked */
	db_token tok;

	/* the response */
	int status;
	char *resp;
	size_t resp_len;
	const char *ctype;
	char *allow;        /* Allow header, malloc'ed */
	char *location;     /* Location header, malloc'ed */
	int www_auth;

	/* waiting for a device */
	loop_timer *timer;
	int64_t req_id;
	int lw_op;          /* dm_op of the LwM2M call */
	char lw_path[64];   /* the request path, "/3/0" */
	int create_inst;    /* instance id a Create chose, -1 if unknown */
	int got_result;     /* the dm callback fired */
	api_call *wprev, *wnext;

	/* handler state that lives as long as the call (streamed bodies) */
	void *ctx;
	void (*ctx_free)(void *ctx);
	/* a streamed response: when reader is set, call_queue answers with
	 * MHD_create_response_from_callback; reader_free owns reader_cls */
	MHD_ContentReaderCallback reader;
	void *reader_cls;
	MHD_ContentReaderFreeCallback reader_free;

	double t0;          /* monotonic seconds at arrival (metrics) */
};

/* ---- http.c -------------------------------------------------------------- */
/* Suspends c (from the access handler only) until api_call_resume. */
void api_call_suspend(api_call *c);
/* Marks c ready and resumes it if suspended; safe from any loop callback. */
void api_call_resume(api_call *c);
/* A query parameter, NULL if absent. */
const char *api_query(api_call *c, const char *name);
/* A request header, NULL if absent. */
const char *api_header(api_call *c, const char *name);
/* The content type without parameters, lower-cased into buf; "" if none. */
const char *api_content_type(api_call *c, char *buf, size_t size);
/* 1 if a body of this content type (as api_content_type gives it) is
 * read as JSON. */
int api_ctype_is_json(const char *ct);

/* ---- router.c ------------------------------------------------------------ */
/* Finds the route for method+url. On a match returns it and fills params.
 * Otherwise NULL and *status is 404, or 405 with *allow set (malloc'ed). */
const api_route *api_route_find(const char *method, const char *url,
                                api_params *params, int *status, char **allow);
void api_params_free(api_params *p);
/* The streamed-body function of r's handler; NULL when its body is
 * collected into c->body (most routes). */
api_body_fn api_route_body(const api_route *r);
const char *api_param(const api_call *c, const char *name);

/* ---- auth.c -------------------------------------------------------------- */
/* Checks the bearer token against the route's role; 0 if allowed, else a
 * problem has been set on c. */
int api_auth(api_call *c, int min_role);

/* ---- problem.c: replies -------------------------------------------------- */
/* Sets the response to j (stolen) with status. */
void api_reply_json(api_call *c, int status, json_t *j);
void api_reply_empty(api_call *c, int status);
/* body (malloc'ed, len bytes) is stolen. */
void api_reply_text(api_call *c, int status, char *body, size_t len,
                    const char *ctype);
/* application/problem+json; extra (stolen, may be NULL) members are added. */
void api_problem(api_call *c, int status, const char *type, json_t *extra,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Problem for a bad JSON body with jansson's position. */
void api_problem_json(api_call *c, const json_error_t *err);
/* Reads the body as JSON (any top-level value, duplicates rejected); on
 * failure a problem is set and NULL returned. */
json_t *api_body_json(api_call *c);

/* ---- shared helpers of the handlers ---------------------------------- */
/* Parses ?limit= (default 100, 1..1000); -1 with a problem set. */
int api_limit(api_call *c);
/* Parses a row id: positive decimal digits alone; -1 if s is not one. */
int64_t api_parse_id(const char *s);
/* A time as JSON: null for 0. */
json_t *api_time(int64_t t);
/* Decodes a payload for `path` into j: values, raw + decode_error, or links
 * (discover). */
void api_add_payload(json_t *j, int op, const char *path, int format,
                     const uint8_t *p, size_t n);
/* "2.05" from 205 into buf. */
const char *api_coap_code(int code, char *buf, size_t size);

/* Handlers (h_*.c). */
void h_healthz(api_call *c);
void h_readyz(api_call *c);
void h_metrics(api_call *c);
void h_openapi(api_call *c);
void h_devices_list(api_call *c);
void h_devices_post(api_call *c);
void h_device_get(api_call *c);
void h_device_delete(api_call *c);
void h_registrations_list(api_call *c);
void h_observations_list(api_call *c);
void h_lwm2m(api_call *c);
void h_request_get(api_call *c);
void h_request_delete(api_call *c);
void h_tokens_list(api_call *c);
void h_tokens_post(api_call *c);
void h_token_delete(api_call *c);
void h_campaigns_list(api_call *c);
void h_campaigns_post(api_call *c);
int h_campaigns_body(api_call *c, const char *data, size_t n);
void h_campaign_get(api_call *c);
void h_campaign_action(api_call *c);
void h_campaign_report(api_call *c);
/* The carrier switch: h_profiles.c, h_switch.c, h_jobs.c, h_audit.c,
 * h_events.c. */
void h_profiles_post(api_call *c);
void h_profiles_import(api_call *c);
void h_profiles_list(api_call *c);
void h_carriers_list(api_call *c);
void h_switch_post(api_call *c);
void h_stage_post(api_call *c);
void h_stage_delete(api_call *c);
void h_job_get(api_call *c);
void h_jobs_list(api_call *c);
void h_job_cancel(api_call *c);
void h_audit_list(api_call *c);
void h_events(api_call *c);
/* h_certificates.c: imported nuSIM certificates (devices without 508/3). */
void h_certificates_post(api_call *c);
void h_certificate_get(api_call *c);
void h_certificate_delete(api_call *c);
/* The job as every job route shows it (with transitions when asked). */
json_t *api_job_json(db *d, const db_job *j, int with_transitions);
/* The 507 instances nusimd wrote to ep (GET /devices/{ep}: "profiles"). */
json_t *api_staged_json(db *d, const char *ep);
/* One mapping of the switch engine's refusals to HTTP. */
void api_switch_problem(api_call *c, int rc, int64_t job_id, const char *err);
/* 0 when the switch engine is attached, else a 503 is set. */
int api_need_switch(api_call *c);
/* SSE streams: subscribe to the bus; end every stream (api_stop); free. */
void api_events_attach(api *a);
void api_events_stop(api *a);
void api_events_free(api *a);

/* h_devices.c, for h_observations_list and h_device_get. */
json_t *api_observation_json(const db_observation *o);
/* h_lwm2m.c: answers every waiting call with 503 (api_stop). */
void api_lwm2m_abort(api_call *c);

/* csv.c: RFC 4180 */
typedef struct {
	char **field;
	size_t n;
	int line;      /* where the record starts, 1-based */
} api_csv_row;
typedef struct {
	api_csv_row *row;
	size_t n, cap;
} api_csv;
/* Parses the whole text; -1 with err (naming the line) on bad quoting or
 * over max_rows rows. */
int api_csv_parse(const char *in, size_t len, size_t max_rows, api_csv *out,
                  char *err, size_t errlen);
void api_csv_free(api_csv *c);

#endif
