/*
 * cmd_profiles.c: `nusimctl profiles list|import` and `nusimctl carriers`:
 * the carrier profile inventory (GET /profiles, POST /profiles/import,
 * GET /carriers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

static const char usage[] =
"usage: nusimctl profiles list [--carrier C] [--state S] [--limit N] [--after ICCID]\n"
"       nusimctl profiles import FILE.csv\n"
"\n"
"list    one line per profile: ICCID, carrier, state (available, reserved,\n"
"        installed, quarantined, retired) and the device holding it\n"
"import  uploads carrier profiles from a CSV with the header\n"
"        iccid,imsi,carrier,ki,opc (Ki and OPc are sealed by nusimd)\n";

static const char carriers_usage[] =
"usage: nusimctl carriers\n"
"\n"
"One line per carrier with the profiles of its pool per state.\n";

static int list(const ctl *c, int argc, char **argv)
{
	static const char *const k[4] = { "carrier", "state", "limit", "after" };
	const char *v[4] = { NULL, NULL, "100", NULL };
	int bad = ctl_options(argc, argv, 2, k, v, 4);
	if (bad) {
		fprintf(stderr, "nusimctl profiles list: unexpected %s\n", argv[bad]);
		return CTL_USAGE;
	}
	char path[1024] = "/api/v1/profiles";
	ctl_query(path, sizeof path, k, v, 4);
	if (c->json)
		return ctl_call_print(c, "GET", path, NULL, NULL, "profiles list");
	json_t *j;
	int rc = ctl_get_json(c, path, "profiles list", &j);
	if (rc)
		return rc;
	printf("%-21s %-16s %-12s %s\n", "ICCID", "CARRIER", "STATE", "DEVICE");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(j, "items"), i, p) {
		char a[32], b[80], s[16], d[160];
		printf("%-21s %-16s %-12s %s\n",
		       ctl_str(json_object_get(p, "iccid"), a, sizeof a),
		       ctl_str(json_object_get(p, "carrier"), b, sizeof b),
		       ctl_str(json_object_get(p, "state"), s, sizeof s),
		       ctl_str(json_object_get(p, "endpoint"), d, sizeof d));
	}
	ctl_print_more(j);
	json_decref(j);
	return CTL_OK;
}

static int import(const ctl *c, int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "%s", usage);
		return CTL_USAGE;
	}
	ctl_resp r;
	ctl_call(c, "POST", "/api/v1/profiles/import", "text/csv", NULL, 0,
	         argv[2], &r);
	int rc = ctl_check(&r, "profiles import");
	if (!rc) {
		json_t *j = ctl_json(&r);
		if (j)
			ctl_print_json(c, j);
		json_decref(j);
	}
	ctl_resp_free(&r);
	return rc;
}

static int run(const ctl *c, int argc, char **argv)
{
	if (argc < 2 || ctl_wants_help(argc, argv, 1)) {
		fprintf(argc < 2 ? stderr : stdout, "%s", usage);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	if (!strcmp(argv[1], "list"))
		return list(c, argc, argv);
	if (!strcmp(argv[1], "import"))
		return import(c, argc, argv);
	fprintf(stderr, "nusimctl profiles: unknown subcommand %s\n%s", argv[1], usage);
	return CTL_USAGE;
}

static int run_carriers(const ctl *c, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv, 1)) {
		printf("%s", carriers_usage);
		return CTL_OK;
	}
	if (argc != 1) {
		fprintf(stderr, "%s", carriers_usage);
		return CTL_USAGE;
	}
	if (c->json)
		return ctl_call_print(c, "GET", "/api/v1/carriers", NULL, NULL, "carriers");
	json_t *j;
	int rc = ctl_get_json(c, "/api/v1/carriers", "carriers", &j);
	if (rc)
		return rc;
	static const char *const cols[] = { "available", "reserved", "installed",
	                                    "quarantined", "retired" };
	printf("%-20s", "CARRIER");
	for (int k = 0; k < 5; k++)
		printf(" %11s", cols[k]);
	printf("\n");
	json_t *items = json_is_array(j) ? j : json_object_get(j, "items");
	size_t i;
	json_t *p;
	json_array_foreach(items, i, p) {
		char b[80];
		printf("%-20s", ctl_str(json_object_get(p, "carrier"), b, sizeof b));
		json_t *counts = json_object_get(p, "profiles");
		if (!json_is_object(counts))
			counts = p;
		for (int k = 0; k < 5; k++)
			printf(" %11s", ctl_str(json_object_get(counts, cols[k]), b, sizeof b));
		printf("\n");
	}
	json_decref(j);
	return CTL_OK;
}

const ctl_cmd ctl_cmd_profiles = {
	"profiles", "list carrier profiles, or import them from a CSV file",
	usage, run,
};
const ctl_cmd ctl_cmd_carriers = {
	"carriers", "the carriers and the size of their profile pools",
	carriers_usage, run_carriers,
};
