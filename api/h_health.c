/*
 * h_health.c: GET /healthz: the process answers and the database runs a
 * query. No authentication, so load balancers and probes can use it.
 */
#include "api/api_int.h"

void h_healthz(api_call *c)
{
	int64_t n = 0;
	if (db_device_count(c->a->d, &n) != DB_OK) {
		api_problem(c, 503, "unavailable", NULL, "the database does not answer: %s",
		            db_errmsg(c->a->d));
		return;
	}
	api_reply_json(c, 200, json_pack("{ss}", "status", "ok"));
}
