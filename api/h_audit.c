/*
 * h_audit.c: GET /api/v1/audit?after=&limit=: the audit trail, oldest
 * first from the cursor, so a reader polls with the last id it saw.
 */
#include <errno.h>
#include <stdlib.h>

#include "api/api_int.h"
#include "db/db_switch.h"

void h_audit_list(api_call *c)
{
	int limit = api_limit(c);
	if (limit < 0)
		return;
	long long after = 0;
	const char *a = api_query(c, "after");
	if (a) {
		char *end;
		errno = 0;
		after = strtoll(a, &end, 10);
		if (errno || end == a || *end || after < 0) {
			api_problem(c, 400, "bad-request", NULL,
			            "after must be an audit id, not \"%s\"", a);
			return;
		}
	}
	db_audit *l = NULL;
	size_t n = 0;
	if (db_audit_list(c->a->d, after, limit + 1, &l, &n) != DB_OK) {
		api_problem(c, 500, "internal", NULL, "cannot read the audit trail: %s",
		            db_errmsg(c->a->d));
		return;
	}
	int more = n > (size_t)limit;
	if (more)
		n = (size_t)limit;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, json_pack("{sIsIssssssss}",
			"id", (json_int_t)l[i].id, "at", (json_int_t)l[i].at,
			"actor", l[i].actor, "action", l[i].action,
			"target", l[i].target, "detail", l[i].detail));
	json_t *next = more ? json_integer(l[n - 1].id) : json_null();
	free(l);
	api_reply_json(c, 200, json_pack("{soso}", "items", items, "next", next));
}
