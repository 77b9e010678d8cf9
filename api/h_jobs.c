/*
 * h_jobs.c: switch and stage jobs: GET /jobs/{id} (with every transition
 * and its time), GET /jobs?state=&device=&before=&limit= (newest first),
 * POST /jobs/{id}/cancel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "server/switch.h"
#include "db/db_switch.h"

static int parse_id(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = s ? strtoll(s, &end, 10) : 0;
	if (!s || errno || end == s || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

void h_job_get(api_call *c)
{
	int64_t id;
	db_job j;
	if (parse_id(api_param(c, "id"), &id)) {
		api_problem(c, 404, "not-found", NULL, "no job \"%s\"", api_param(c, "id"));
		return;
	}
	db_rc rc = db_job_get(c->a->d, id, &j);
	if (rc == DB_NOT_FOUND)
		api_problem(c, 404, "not-found", NULL, "no job %lld", (long long)id);
	else if (rc)
		api_problem(c, 500, "internal", NULL, "cannot read the job: %s",
		            db_errmsg(c->a->d));
	else
		api_reply_json(c, 200, api_job_json(c->a->d, &j, 1));
}

void h_jobs_list(api_call *c)
{
	int limit = api_limit(c);
	int64_t before = 0;
	if (limit < 0)
		return;
	const char *state = api_query(c, "state"), *b = api_query(c, "before");
	if (state && *state && !sw_state_valid(state)) {
		api_problem(c, 400, "bad-request", NULL, "no job state \"%s\"", state);
		return;
	}
	if (b && parse_id(b, &before)) {
		api_problem(c, 400, "bad-request", NULL, "before must be a job id");
		return;
	}
	db_job *l = NULL;
	size_t n = 0;
	if (db_job_list(c->a->d, state, api_query(c, "device"), before, limit + 1,
	                &l, &n) != DB_OK) {
		api_problem(c, 400, "bad-request", NULL, "cannot list jobs: %s",
		            db_errmsg(c->a->d));
		return;
	}
	int more = n > (size_t)limit;
	if (more)
		n = (size_t)limit;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, api_job_json(c->a->d, &l[i], 0));
	json_t *next = more ? json_integer(l[n - 1].id) : json_null();
	free(l);
	api_reply_json(c, 200, json_pack("{soso}", "items", items, "next", next));
}

void h_job_cancel(api_call *c)
{
	int64_t id;
	char err[256] = "";
	if (api_need_switch(c))
		return;
	if (parse_id(api_param(c, "id"), &id)) {
		api_problem(c, 404, "not-found", NULL, "no job \"%s\"", api_param(c, "id"));
		return;
	}
	int rc = sw_cancel(c->a->sw, id, c->tok.name, err, sizeof err);
	if (rc != SW_OK) {
		api_switch_problem(c, rc, id, err);
		return;
	}
	db_job j;
	if (db_job_get(c->a->d, id, &j) == DB_OK)
		api_reply_json(c, 200, api_job_json(c->a->d, &j, 1));
	else
		api_reply_empty(c, 204);
}
