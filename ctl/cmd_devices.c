/*
 * cmd_devices.c: `nusimctl devices list|show|add`, the provisioned devices
 * and their registrations (GET/POST /api/v1/devices).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

static const char usage[] =
"usage: nusimctl devices list [--limit N] [--after EP]\n"
"       nusimctl devices show EP\n"
"       nusimctl devices add --endpoint EP [--psk-identity ID --psk-key HEX]\n"
"\n"
"list   one line per provisioned device: endpoint, PSK identity, whether it\n"
"       is registered, its address and transport\n"
"show   the device, its registration and the profiles nusimd wrote to it (JSON)\n"
"add    provisions a device's credentials (a NoSec device needs none);\n"
"       the key is sealed by nusimd and never shown again\n";

static int list(const ctl *c, int argc, char **argv)
{
	static const char *const k[2] = { "limit", "after" };
	const char *v[2] = { "100", NULL };
	int bad = ctl_options(argc, argv, 2, k, v, 2);
	if (bad) {
		fprintf(stderr, "nusimctl devices list: unexpected %s\n", argv[bad]);
		return CTL_USAGE;
	}
	char path[512] = "/api/v1/devices";
	ctl_query(path, sizeof path, k, v, 2);
	if (c->json)
		return ctl_call_print(c, "GET", path, NULL, NULL, "devices list");
	json_t *j;
	int rc = ctl_get_json(c, path, "devices list", &j);
	if (rc)
		return rc;
	printf("%-32s %-24s %-10s %-22s %s\n", "ENDPOINT", "PSK IDENTITY",
	       "REGISTERED", "ADDRESS", "TRANSPORT");
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(j, "items"), i, d) {
		char b1[160], b2[160], b3[64], b4[16];
		json_t *reg = json_object_get(d, "registration");
		printf("%-32s %-24s %-10s %-22s %s\n",
		       ctl_str(json_object_get(d, "endpoint"), b1, sizeof b1),
		       json_string_length(json_object_get(d, "psk_identity"))
		       ? ctl_str(json_object_get(d, "psk_identity"), b2, sizeof b2) : "-",
		       json_is_true(json_object_get(d, "registered")) ? "yes" : "no",
		       ctl_str(json_object_get(reg, "addr"), b3, sizeof b3),
		       ctl_str(json_object_get(reg, "transport"), b4, sizeof b4));
	}
	ctl_print_more(j);
	json_decref(j);
	return CTL_OK;
}

static int show(const ctl *c, int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "%s", usage);
		return CTL_USAGE;
	}
	char *ep = ctl_escape(argv[2]), path[512];
	snprintf(path, sizeof path, "/api/v1/devices/%s", ep ? ep : "");
	free(ep);
	return ctl_call_print(c, "GET", path, NULL, NULL, "devices show");
}

static int add(const ctl *c, int argc, char **argv)
{
	const char *ep = NULL, *id = NULL, *key = NULL;
	for (int i = 2; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--endpoint"))
			ep = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--psk-identity"))
			id = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--psk-key"))
			key = argv[++i];
		else {
			fprintf(stderr, "nusimctl devices add: unexpected %s\n%s", argv[i], usage);
			return CTL_USAGE;
		}
	}
	if (!ep || (!id != !key)) {
		fprintf(stderr, "nusimctl devices add: --endpoint is needed, and "
		        "--psk-identity goes with --psk-key\n");
		return CTL_USAGE;
	}
	json_t *b = json_pack("{ss}", "endpoint", ep);
	if (id) {
		json_object_set_new(b, "psk_identity", json_string(id));
		json_object_set_new(b, "psk_key", json_string(key));
	}
	char *body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	int rc = ctl_call_print(c, "POST", "/api/v1/devices", "application/json",
	                        body, "devices add");
	free(body);
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
	if (!strcmp(argv[1], "show"))
		return show(c, argc, argv);
	if (!strcmp(argv[1], "add"))
		return add(c, argc, argv);
	fprintf(stderr, "nusimctl devices: unknown subcommand %s\n%s", argv[1], usage);
	return CTL_USAGE;
}

const ctl_cmd ctl_cmd_devices = {
	"devices", "list, show or add devices (credentials and registrations)",
	usage, run,
};
