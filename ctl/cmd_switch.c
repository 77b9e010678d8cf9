/*
 * cmd_switch.c: `nusimctl switch EP --carrier C` and `nusimctl jobs
 * list|show|cancel`: one carrier switch and the jobs that carry them
 * (POST /devices/{ep}/switch, GET /jobs, GET /jobs/{id},
 * POST /jobs/{id}/cancel).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

static const char switch_usage[] =
"usage: nusimctl switch EP --carrier C\n"
"       nusimctl switch EP --iccid ICCID\n"
"\n"
"Starts a switch job moving device EP to a profile of carrier C (or to\n"
"exactly that profile) and prints the job; follow it with `jobs show ID`.\n";

static const char jobs_usage[] =
"usage: nusimctl jobs list [--state S] [--device EP] [--limit N] [--before ID]\n"
"       nusimctl jobs show ID\n"
"       nusimctl jobs cancel ID\n"
"\n"
"list    the newest jobs first: id, device, carrier, state, result\n"
"show    one job with every state it went through (JSON)\n"
"cancel  stops a running job (a profile sent in a Load Profile is\n"
"        quarantined, else it returns to the pool)\n";

static int run_switch(const ctl *c, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv, 1)) {
		printf("%s", switch_usage);
		return CTL_OK;
	}
	const char *ep = NULL, *key = NULL, *val = NULL;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && (!strcmp(argv[i], "--carrier") ||
		                     !strcmp(argv[i], "--iccid"))) {
			if (key) {
				fprintf(stderr, "nusimctl switch: give --carrier or --iccid, once\n");
				return CTL_USAGE;
			}
			key = argv[i] + 2;
			val = argv[++i];
		} else if (!ep && argv[i][0] != '-') {
			ep = argv[i];
		} else {
			fprintf(stderr, "nusimctl switch: unexpected %s\n%s", argv[i],
			        switch_usage);
			return CTL_USAGE;
		}
	}
	if (!ep || !key) {
		fprintf(stderr, "%s", switch_usage);
		return CTL_USAGE;
	}
	json_t *b = json_pack("{ss}", key, val);
	char *body = json_dumps(b, JSON_COMPACT), *e = ctl_escape(ep), path[512];
	json_decref(b);
	snprintf(path, sizeof path, "/api/v1/devices/%s/switch", e ? e : "");
	int rc = ctl_call_print(c, "POST", path, "application/json", body, "switch");
	free(body);
	free(e);
	return rc;
}

static int jobs_list(const ctl *c, int argc, char **argv)
{
	static const char *const k[4] = { "state", "device", "limit", "before" };
	const char *v[4] = { NULL, NULL, "100", NULL };
	int bad = ctl_options(argc, argv, 2, k, v, 4);
	if (bad) {
		fprintf(stderr, "nusimctl jobs list: unexpected %s\n", argv[bad]);
		return CTL_USAGE;
	}
	char path[1024] = "/api/v1/jobs";
	ctl_query(path, sizeof path, k, v, 4);
	if (c->json)
		return ctl_call_print(c, "GET", path, NULL, NULL, "jobs list");
	json_t *j;
	int rc = ctl_get_json(c, path, "jobs list", &j);
	if (rc)
		return rc;
	printf("%-8s %-28s %-12s %-18s %-6s %s\n", "ID", "DEVICE", "CARRIER",
	       "STATE", "RESULT", "ERROR");
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(j, "items"), i, o) {
		char a[24], b[160], cc[80], s[32], res[16], err[256];
		printf("%-8s %-28s %-12s %-18s %-6s %s\n",
		       ctl_str(json_object_get(o, "id"), a, sizeof a),
		       ctl_str(json_object_get(o, "endpoint"), b, sizeof b),
		       ctl_str(json_object_get(o, "carrier"), cc, sizeof cc),
		       ctl_str(json_object_get(o, "state"), s, sizeof s),
		       ctl_str(json_object_get(o, "result_code"), res, sizeof res),
		       json_string_length(json_object_get(o, "error"))
		       ? ctl_str(json_object_get(o, "error"), err, sizeof err) : "");
	}
	json_decref(j);
	return CTL_OK;
}

static int jobs_one(const ctl *c, int argc, char **argv, int cancel)
{
	if (argc != 3) {
		fprintf(stderr, "%s", jobs_usage);
		return CTL_USAGE;
	}
	char *id = ctl_escape(argv[2]), path[256];
	snprintf(path, sizeof path, "/api/v1/jobs/%s%s", id ? id : "",
	         cancel ? "/cancel" : "");
	free(id);
	return ctl_call_print(c, cancel ? "POST" : "GET", path, NULL, NULL,
	                      cancel ? "jobs cancel" : "jobs show");
}

static int run_jobs(const ctl *c, int argc, char **argv)
{
	if (argc < 2 || ctl_wants_help(argc, argv, 1)) {
		fprintf(argc < 2 ? stderr : stdout, "%s", jobs_usage);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	if (!strcmp(argv[1], "list"))
		return jobs_list(c, argc, argv);
	if (!strcmp(argv[1], "show"))
		return jobs_one(c, argc, argv, 0);
	if (!strcmp(argv[1], "cancel"))
		return jobs_one(c, argc, argv, 1);
	fprintf(stderr, "nusimctl jobs: unknown subcommand %s\n%s", argv[1], jobs_usage);
	return CTL_USAGE;
}

const ctl_cmd ctl_cmd_switch = {
	"switch", "switch one device to another carrier (starts a job)",
	switch_usage, run_switch,
};
const ctl_cmd ctl_cmd_jobs = {
	"jobs", "list, show or cancel switch jobs", jobs_usage, run_jobs,
};
