/*
 * cli.c: nusimctl's command line: the global flags (and their environment
 * variables), the command table and the help texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

static const ctl_cmd *const cmds[] = {
	&ctl_cmd_devices, &ctl_cmd_profiles, &ctl_cmd_carriers, &ctl_cmd_switch,
	&ctl_cmd_jobs, &ctl_cmd_read, &ctl_cmd_write, &ctl_cmd_campaign,
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static void usage(FILE *f)
{
	fprintf(f,
"usage: nusimctl [--url URL] [--token TOKEN] [--json] [--timeout S] COMMAND ...\n"
"\n"
"The operator's command line of the nusimd REST API (/api/v1).\n"
"\n"
"Global options:\n"
"  --url URL      the API's base address (env NUSIMCTL_URL, default\n"
"                 http://127.0.0.1:8080)\n"
"  --token TOKEN  a bearer token from `nusimd token create` (env\n"
"                 NUSIMCTL_TOKEN); prefer the environment: flags show in ps\n"
"  --json         print the server's JSON compact, as is\n"
"  --timeout S    give up on a call after S seconds (default 60; 0 = never)\n"
"  -h, --help     this text; `nusimctl COMMAND --help` for a command\n"
"\n"
"Commands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f,
"\n"
"Exit status: 0 done, 1 the server refused or failed (its reason on\n"
"stderr), 2 usage error, 3 the server could not be reached.\n");
}

int ctl_wants_help(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

/* from is at least 1 (argv[0] is the command), so 0 never names one. */
int ctl_options(int argc, char **argv, int from, const char *const *keys,
                const char **vals, int n)
{
	for (int i = from; i < argc; i++) {
		int hit = 0;
		for (int k = 0; k < n; k++)
			if (i + 1 < argc && !strncmp(argv[i], "--", 2) &&
			    !strcmp(argv[i] + 2, keys[k])) {
				vals[k] = argv[++i];
				hit = 1;
				break;
			}
		if (!hit)
			return i;
	}
	return 0;
}

void ctl_usage(const ctl_cmd *cmd, FILE *f)
{
	fprintf(f, "%s", cmd->usage);
}

int ctl_main(int argc, char **argv)
{
	ctl c = { 0 };
	c.url = getenv("NUSIMCTL_URL");
	c.token = getenv("NUSIMCTL_TOKEN");
	c.timeout_s = 60;
	if (!c.url || !*c.url)
		c.url = "http://127.0.0.1:8080";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *v = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return CTL_OK;
		}
		if (!strcmp(a, "--json")) {
			c.json = 1;
			continue;
		}
		if (!strcmp(a, "--url") || !strcmp(a, "--token") ||
		    !strcmp(a, "--timeout")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "nusimctl: %s needs a value\n", a);
				return CTL_USAGE;
			}
			v = argv[++i];
		} else if (!strncmp(a, "--url=", 6) || !strncmp(a, "--token=", 8) ||
		           !strncmp(a, "--timeout=", 10)) {
			v = strchr(a, '=') + 1;
		} else {
			fprintf(stderr, "nusimctl: unknown option %s (see --help)\n", a);
			return CTL_USAGE;
		}
		if (!strncmp(a, "--url", 5))
			c.url = v;
		else if (!strncmp(a, "--token", 7))
			c.token = v;
		else {
			char *end;
			long t = strtol(v, &end, 10);
			if (*end || end == v || t < 0) {
				fprintf(stderr, "nusimctl: --timeout: not a number of seconds: %s\n", v);
				return CTL_USAGE;
			}
			c.timeout_s = t;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return CTL_OK;
	}
	for (size_t k = 0; k < NCMDS; k++)
		if (!strcmp(cmds[k]->name, argv[i]))
			return cmds[k]->run(&c, argc - i, argv + i);
	fprintf(stderr, "nusimctl: unknown command \"%s\" (see --help)\n", argv[i]);
	return CTL_USAGE;
}
