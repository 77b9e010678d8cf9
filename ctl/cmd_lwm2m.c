/*
 * cmd_lwm2m.c: `nusimctl read EP PATH` and `nusimctl write EP PATH VALUE`,
 * the generic LwM2M Read and Write of /devices/{ep}/lwm2m/{path}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

static const char read_usage[] =
"usage: nusimctl read EP PATH [--format F] [--wait MS]\n"
"\n"
"Reads PATH (e.g. 3/0 or /508/0/1) from device EP and prints the decoded\n"
"values. A sleeping device's read is queued: the answer then names the\n"
"request to follow. --format: tlv, senml-json, senml-cbor, text, opaque.\n";

static const char write_usage[] =
"usage: nusimctl write EP PATH VALUE [--type T] [--wait MS]\n"
"\n"
"Writes VALUE to the resource PATH of device EP. A VALUE that reads as a\n"
"JSON number or true/false is sent as one, anything else as a string;\n"
"--type (string, integer, unsigned, float, boolean, opaque, time, objlnk)\n"
"says exactly.\n";

/* "/api/v1/devices/EP/lwm2m/PATH?..." into buf. */
static int lw_path(char *buf, size_t size, const char *ep, const char *path,
                   const char *query)
{
	char *e = ctl_escape(ep);
	while (*path == '/')
		path++;
	for (const char *p = path; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '/')) {
			free(e);
			fprintf(stderr, "nusimctl: \"%s\" is not an LwM2M path "
			        "(obj[/inst[/res[/ri]]])\n", path);
			return -1;
		}
	snprintf(buf, size, "/api/v1/devices/%s/lwm2m/%s%s", e ? e : "", path,
	         query);
	free(e);
	return 0;
}

static int run_read(const ctl *c, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv, 1)) {
		printf("%s", read_usage);
		return CTL_OK;
	}
	const char *pos[2] = { 0 }, *fmt = NULL, *wait = NULL;
	int np = 0;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--format"))
			fmt = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--wait"))
			wait = argv[++i];
		else if (np < 2 && argv[i][0] != '-')
			pos[np++] = argv[i];
		else {
			fprintf(stderr, "nusimctl read: unexpected %s\n%s", argv[i], read_usage);
			return CTL_USAGE;
		}
	}
	if (np != 2) {
		fprintf(stderr, "%s", read_usage);
		return CTL_USAGE;
	}
	char q[128] = "", path[1024];
	if (fmt || wait)
		snprintf(q, sizeof q, "?%s%.32s%s%s%.16s", fmt ? "format=" : "",
		         fmt ? fmt : "", fmt && wait ? "&" : "", wait ? "timeout=" : "",
		         wait ? wait : "");
	if (lw_path(path, sizeof path, pos[0], pos[1], q))
		return CTL_USAGE;
	return ctl_call_print(c, "GET", path, NULL, NULL, "read");
}

static int run_write(const ctl *c, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv, 1)) {
		printf("%s", write_usage);
		return CTL_OK;
	}
	const char *pos[3] = { 0 }, *type = NULL, *wait = NULL;
	int np = 0;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--type"))
			type = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--wait"))
			wait = argv[++i];
		else if (np < 3 && (argv[i][0] != '-' || np == 2))
			pos[np++] = argv[i];
		else {
			fprintf(stderr, "nusimctl write: unexpected %s\n%s", argv[i],
			        write_usage);
			return CTL_USAGE;
		}
	}
	if (np != 3) {
		fprintf(stderr, "%s", write_usage);
		return CTL_USAGE;
	}
	json_t *v = json_loads(pos[2], JSON_DECODE_ANY, NULL);
	if (!v || !(json_is_number(v) || json_is_boolean(v))) {
		json_decref(v);
		v = json_string(pos[2]);
	}
	json_t *b = type ? json_pack("[{s:s,s:o,s:s}]", "path", pos[1], "value", v,
	                             "type", type)
	                 : v;
	char *body = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(b);
	char q[48] = "", path[1024];
	if (wait)
		snprintf(q, sizeof q, "?timeout=%.16s", wait);
	int rc = CTL_USAGE;
	if (!lw_path(path, sizeof path, pos[0], pos[1], q))
		rc = ctl_call_print(c, "PUT", path, "application/json", body, "write");
	free(body);
	return rc;
}

const ctl_cmd ctl_cmd_read = {
	"read", "read an LwM2M object, instance or resource of a device",
	read_usage, run_read,
};
const ctl_cmd ctl_cmd_write = {
	"write", "write an LwM2M resource of a device", write_usage, run_write,
};
