/*
 * out.c: how nusimctl reports: problem details and transport errors on
 * stderr with the exit code they mean, JSON answers on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

int ctl_check(const ctl_resp *r, const char *what)
{
	if (r->status == 0) {
		fprintf(stderr, "nusimctl: %s: cannot reach the server: %s\n", what,
		        r->error[0] ? r->error : "no answer");
		return CTL_UNREACHABLE;
	}
	if (r->status >= 200 && r->status < 300)
		return CTL_OK;
	json_t *j = r->body ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	const char *detail = j ? json_string_value(json_object_get(j, "detail")) : NULL;
	fprintf(stderr, "nusimctl: %s: HTTP %ld: %s\n", what, r->status,
	        detail ? detail : r->len ? r->body : "(no detail)");
	/* Row-level errors of a refused import, one a line. */
	json_t *errs = j ? json_object_get(j, "errors") : NULL;
	size_t i;
	json_t *e;
	json_array_foreach(errs, i, e) {
		json_t *line = json_object_get(e, "line");
		json_t *why = json_object_get(e, "reason");
		if (json_is_integer(line) && json_is_string(why))
			fprintf(stderr, "  line %lld: %s\n",
			        (long long)json_integer_value(line), json_string_value(why));
	}
	json_decref(j);
	return CTL_FAIL;
}

json_t *ctl_json(const ctl_resp *r)
{
	json_error_t err;
	json_t *j = json_loadb(r->body ? r->body : "", r->len, 0, &err);
	if (!j)
		fprintf(stderr, "nusimctl: the server's answer is not JSON: %s\n",
		        err.text);
	return j;
}

void ctl_print_json(const ctl *c, json_t *j)
{
	char *s = json_dumps(j, c->json ? JSON_COMPACT : JSON_INDENT(2) |
	                     JSON_REAL_PRECISION(6));
	if (s) {
		puts(s);
		free(s);
	}
}

int ctl_call_print(const ctl *c, const char *method, const char *path,
                   const char *ctype, const char *body, const char *what)
{
	ctl_resp r;
	ctl_call(c, method, path, ctype, body, body ? strlen(body) : 0, NULL, &r);
	int rc = ctl_check(&r, what);
	if (rc == CTL_OK && r.len) {
		json_t *j = ctl_json(&r);
		if (j)
			ctl_print_json(c, j);
		else
			rc = CTL_FAIL;
		json_decref(j);
	}
	ctl_resp_free(&r);
	return rc;
}

const char *ctl_str(json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.1f", json_real_value(v));
	else if (json_is_true(v))
		snprintf(buf, size, "yes");
	else if (json_is_false(v))
		snprintf(buf, size, "no");
	else
		snprintf(buf, size, "-");
	return buf;
}

int ctl_get_json(const ctl *c, const char *path, const char *what,
                 json_t **out)
{
	ctl_resp r;
	ctl_call(c, "GET", path, NULL, NULL, 0, NULL, &r);
	int rc = ctl_check(&r, what);
	*out = rc ? NULL : ctl_json(&r);
	ctl_resp_free(&r);
	return rc ? rc : *out ? CTL_OK : CTL_FAIL;
}

void ctl_print_more(json_t *page)
{
	json_t *next = json_object_get(page, "next");
	if (json_is_string(next))
		printf("(more: --after %s)\n", json_string_value(next));
}
