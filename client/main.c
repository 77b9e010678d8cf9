/*
 * main.c: nusim-client, the reference LwM2M client with a simulated nuSIM.
 * Only argument parsing here; the work is in device.c, fleet.c, client.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "client/carrier.h"
#include "client/client.h"
#include "client/config.h"
#include "client/control.h"
#include "client/device.h"
#include "client/fleet.h"
#include "client/log.h"

static const char usage[] =
"usage: nusim-client --server URI --endpoint EP [options]\n"
"       nusim-client fleet --server URI --count N [options]\n"
"       nusim-client fleet-credentials --count N [--prefix P] --psk-key-base HEX\n"
"\n"
"A reference LwM2M client (objects 0, 1, 3, 4, 507 nuSIM Profile, 508 nuSIM)\n"
"that registers with an LwM2M server, keeps the registration alive with\n"
"Updates and answers Read, Write, Execute, Create, Delete, Discover,\n"
"Write-Attributes and Observe (TLV, SenML JSON/CBOR, text, opaque).\n"
"\n"
"Device options:\n"
"  --server URI          coap://HOST:PORT (NoSec) or coaps://HOST:PORT (DTLS PSK)\n"
"  --endpoint EP         endpoint name (ep= of the Register)\n"
"  --psk-identity ID     DTLS PSK identity (needed for coaps)\n"
"  --psk-key HEX         DTLS PSK key in hex (needed for coaps)\n"
"  --bind ADDR           source address of the socket (default any)\n"
"  --lifetime S          registration lifetime in seconds (default 300)\n"
"  --update-interval S   send an Update every S seconds (default lifetime/2)\n"
"  --queue               queue mode (b=UQ for LwM2M 1.0, Q for 1.1+)\n"
"  --awake S             queue mode: sleep after S idle seconds (default 10;\n"
"                        not with --control, where sleep/wake are commands)\n"
"  --wake-every S        queue mode: wake with an Update every S seconds\n"
"                        (default lifetime/2)\n"
"  --lwm2m VER           LwM2M version 1.0, 1.1 or 1.2 (default 1.1)\n"
"  --iccid ICCID         ICCID of the loaded profile, 508/1 (default derived\n"
"                        from the endpoint, 8988247..., Luhn-valid)\n"
"  --eid EID             32-digit EID, 508/0 (default derived from the\n"
"                        endpoint: 89049032 + 22 digits + MOD 97-10 check)\n"
"  --nusim-dir DIR       the simulated nuSIM's keys from `nusimd pki init` /\n"
"                        `nusimd pki device --dir DIR --eid EID`: its key\n"
"                        devices/EID.key.pem, its certificate (508/3) and\n"
"                        the CI key it trusts (ci.pub.pem); give --eid too.\n"
"                        With it, Load Profile (508/5) opens the 507 package\n"
"                        508/4 points at, installs the profile (508/1 = its\n"
"                        ICCID, 508/6 = 0), answers, and then re-attaches on\n"
"                        the profile's carrier: a new source address from\n"
"                        that carrier's --carrier range, a new session and a\n"
"                        new Register. Without it Load Profile reports 1\n"
"  --no-cert-resource    the nuSIM does not expose 508/3 nuSIM Cert (it is\n"
"                        optional): the server must get the certificate\n"
"                        from the operator (POST /api/v1/certificates)\n"
"  --carrier NAME=A-B    carrier NAME's source addresses, e.g.\n"
"                        A=127.0.1.1-127.0.1.254 (repeat for each carrier;\n"
"                        NAME is the carrier name inside the profile)\n"
"  --home-carrier NAME   carrier of the initial profile (default: the first\n"
"                        --carrier); its range gives the first address\n"
"  --no-coverage NAME    carrier NAME has no coverage: Register attempts on\n"
"                        it fail at once (repeatable; control: coverage)\n"
"  --attach-timeout S    after a Load Profile, fall back to the previous\n"
"                        profile (508/1 back to its ICCID) and register on\n"
"                        its carrier when not registered on the new carrier\n"
"                        within S seconds (default 30)\n"
"  --fault FAULT         test faults: corrupt-mac (the MAC check fails:\n"
"                        result 5), refuse=N (answer result N), never-return\n"
"                        (after install never registers again), late=S\n"
"                        (registers again only after S seconds),\n"
"                        crash-after-install (exits with status 3 after\n"
"                        installing, before registering again), none\n"
"  --state-file F        keep the loaded profile, its backup and the 507\n"
"                        instances in F (written atomically, mode 0600, no\n"
"                        secrets), so a restarted client keeps its profile\n"
"  --control             read commands on stdin, one a line, answering\n"
"                        'ok ...' or 'error ...' on stdout: update, register,\n"
"                        deregister, sleep, wake, rebind ADDR, set PATH VALUE,\n"
"                        get PATH, status, nusim, coverage NAME on|off,\n"
"                        fault FAULT, help, quit (opaque VALUEs are\n"
"                        base64, objlnk values OBJ:INST)\n"
"  --log-level LEVEL     debug, info (default), warn, error\n"
"  -h, --help            this text\n"
"\n"
"Fleet options (nusim-client fleet ...; device options above apply to all):\n"
"  --count N             number of devices\n"
"  --prefix P            endpoint names P-000001, P-000002, ... (default nusim)\n"
"  --bind-range A-B      cycle the source address over A..B, e.g.\n"
"                        127.0.1.1-127.0.1.254 (IPv4)\n"
"  --psk-key-base HEX    DTLS: device i uses identity = its endpoint name and\n"
"                        key = first 16 bytes of HMAC-SHA256(key = the\n"
"                        psk-key-base bytes, message = the endpoint name);\n"
"                        'fleet-credentials' prints them as CSV\n"
"  --rate R              start at most R registrations a second (default 100)\n"
"  --progress S          seconds between fleet-progress log lines (default 5)\n"
"  --pki-dir D           the demo PKI of `nusimd pki init --dir D`: each\n"
"                        device gets a nuSIM key (brainpoolP256r1) and\n"
"                        certificate made in memory at start, signed by the\n"
"                        CM key in D (as a chip maker would), trusting\n"
"                        D/ci.pub.pem; its EID is 89049032, the device\n"
"                        index as 22 digits, then 2 MOD 97-10 check digits\n"
"                        (device 1: 89049032000000000000000000000163)\n"
"  --fault-every K=FAULT every K-th device (index divisible by K) gets\n"
"                        --fault FAULT, e.g. --fault-every 10=corrupt-mac\n"
"  Fleet devices take --carrier ranges as well: a device whose carrier has\n"
"  a range binds to it (over --bind/--bind-range), device i starting at\n"
"  address i-1 and moving one on at each carrier change (cycling).\n"
"  --state-file is for one device only.\n"
"\n"
"Log lines (logfmt on stderr): msg=registered, updated, deregistered,\n"
"register-failed (code= or reason=timeout|tls-failed|...), sleeping, awake,\n"
"request (method= path= code=), load-profile (result=), carrier-switch,\n"
"attached (fallback=0|1), fallback, fault-*, fleet-registered,\n"
"fleet-progress. SIGTERM, SIGINT or 'quit' de-register, then exit.\n";

enum {
	O_SERVER = 256, O_ENDPOINT, O_PSK_ID, O_PSK_KEY, O_BIND, O_LIFETIME,
	O_UPDATE, O_QUEUE, O_AWAKE, O_WAKE, O_LWM2M, O_ICCID, O_EID, O_CONTROL,
	O_LOG, O_NUSIM_DIR, O_CARRIER, O_HOME, O_NOCOV, O_ATTACH, O_FAULT,
	O_STATE, O_NO_CERT, O_PKI_DIR, O_FAULT_EVERY, O_COUNT, O_PREFIX, O_RANGE, O_KEYBASE, O_RATE, O_PROGRESS,
};

static const struct option opts[] = {
	{ "server", required_argument, NULL, O_SERVER },
	{ "endpoint", required_argument, NULL, O_ENDPOINT },
	{ "psk-identity", required_argument, NULL, O_PSK_ID },
	{ "psk-key", required_argument, NULL, O_PSK_KEY },
	{ "bind", required_argument, NULL, O_BIND },
	{ "lifetime", required_argument, NULL, O_LIFETIME },
	{ "update-interval", required_argument, NULL, O_UPDATE },
	{ "queue", no_argument, NULL, O_QUEUE },
	{ "awake", required_argument, NULL, O_AWAKE },
	{ "wake-every", required_argument, NULL, O_WAKE },
	{ "lwm2m", required_argument, NULL, O_LWM2M },
	{ "iccid", required_argument, NULL, O_ICCID },
	{ "eid", required_argument, NULL, O_EID },
	{ "control", no_argument, NULL, O_CONTROL },
	{ "log-level", required_argument, NULL, O_LOG },
	{ "nusim-dir", required_argument, NULL, O_NUSIM_DIR },
	{ "carrier", required_argument, NULL, O_CARRIER },
	{ "home-carrier", required_argument, NULL, O_HOME },
	{ "no-cert-resource", no_argument, NULL, O_NO_CERT },
	{ "no-coverage", required_argument, NULL, O_NOCOV },
	{ "attach-timeout", required_argument, NULL, O_ATTACH },
	{ "fault", required_argument, NULL, O_FAULT },
	{ "state-file", required_argument, NULL, O_STATE },
	{ "pki-dir", required_argument, NULL, O_PKI_DIR },
	{ "fault-every", required_argument, NULL, O_FAULT_EVERY },
	{ "count", required_argument, NULL, O_COUNT },
	{ "prefix", required_argument, NULL, O_PREFIX },
	{ "bind-range", required_argument, NULL, O_RANGE },
	{ "psk-key-base", required_argument, NULL, O_KEYBASE },
	{ "rate", required_argument, NULL, O_RATE },
	{ "progress", required_argument, NULL, O_PROGRESS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int fail(const char *what)
{
	fprintf(stderr, "nusim-client: %s (see --help)\n", what);
	return 2;
}

/* A whole number in [lo, hi]; -1 otherwise. */
static long number(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);
	return (end == s || *end || v < lo || v > hi) ? -1 : v;
}

int main(int argc, char **argv)
{
	enum { SINGLE, FLEET, CREDENTIALS } mode = SINGLE;
	if (argc > 1 && !strcmp(argv[1], "fleet"))
		mode = FLEET;
	else if (argc > 1 && !strcmp(argv[1], "fleet-credentials"))
		mode = CREDENTIALS;
	if (mode != SINGLE) {
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	static carrier_map carriers;
	fleet_cfg f;
	fleet_cfg_defaults(&f);
	device_cfg *c = &f.base;
	c->carriers = &carriers;
	int o;
	long v;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case O_SERVER: c->server_uri = optarg; break;
		case O_ENDPOINT: c->endpoint = optarg; break;
		case O_PSK_ID: c->psk_identity = optarg; break;
		case O_PSK_KEY:
			if (device_cfg_set_key_hex(c, optarg))
				return fail("--psk-key must be hex, at most 64 bytes");
			break;
		case O_BIND: c->bind_addr = optarg; break;
		case O_LIFETIME:
			if ((v = number(optarg, 1, 0x7fffffff)) < 0)
				return fail("--lifetime must be a positive number");
			c->lifetime = (int)v;
			break;
		case O_UPDATE:
			if ((v = number(optarg, 1, 0x7fffffff)) < 0)
				return fail("--update-interval must be a positive number");
			c->update_interval = (int)v;
			break;
		case O_QUEUE: c->queue = 1; break;
		case O_AWAKE:
			if ((v = number(optarg, 1, 0x7fffffff)) < 0)
				return fail("--awake must be a positive number");
			c->awake = (int)v;
			break;
		case O_WAKE:
			if ((v = number(optarg, 1, 0x7fffffff)) < 0)
				return fail("--wake-every must be a positive number");
			c->wake_every = (int)v;
			break;
		case O_LWM2M: c->lwm2m_version = optarg; break;
		case O_ICCID: c->iccid = optarg; break;
		case O_EID: c->eid = optarg; break;
		case O_NUSIM_DIR: c->nusim_dir = optarg; break;
		case O_CARRIER:
			if (carrier_parse(&carriers, optarg))
				return fail("--carrier must be NAME=A.B.C.D-E.F.G.H, each "
				            "NAME once");
			break;
		case O_HOME: c->home_carrier = optarg; break;
		case O_NOCOV:
			if (carrier_set_coverage(&carriers, optarg, 0))
				return fail("--no-coverage: bad carrier name or too many");
			break;
		case O_ATTACH:
			if ((v = number(optarg, 1, 86400)) < 0)
				return fail("--attach-timeout must be 1 to 86400 seconds");
			c->attach_timeout = (int)v;
			break;
		case O_FAULT:
			if (nusim_fault_parse(optarg, &c->fault))
				return fail("--fault: corrupt-mac, refuse=N (1..255), "
				            "never-return, late=S, crash-after-install");
			break;
		case O_STATE: c->state_file = optarg; break;
		case O_NO_CERT: c->no_cert_resource = 1; break;
		case O_PKI_DIR: f.pki_dir = optarg; break;
		case O_FAULT_EVERY: {
			char *end;
			long k = strtol(optarg, &end, 10);
			if (end == optarg || *end != '=' || k < 1 || k > FLEET_MAX_COUNT ||
			    nusim_fault_parse(end + 1, &f.every_fault))
				return fail("--fault-every must be K=FAULT");
			f.fault_every = (unsigned)k;
			break;
		}
		case O_CONTROL: c->control = 1; break;
		case O_LOG:
			if ((v = clog_level_parse(optarg)) < 0)
				return fail("--log-level must be debug, info, warn or error");
			clog_set_level((clog_level)v);
			break;
		case O_COUNT:
			if ((v = number(optarg, 1, FLEET_MAX_COUNT)) < 0)
				return fail("--count must be 1 to 1000000");
			f.count = (unsigned)v;
			break;
		case O_PREFIX: f.prefix = optarg; break;
		case O_RANGE:
			if (fleet_parse_range(optarg, &f.bind_lo, &f.bind_hi))
				return fail("--bind-range must be A.B.C.D-E.F.G.H (IPv4)");
			break;
		case O_KEYBASE: {
			device_cfg tmp;
			if (device_cfg_set_key_hex(&tmp, optarg))
				return fail("--psk-key-base must be hex, at most 64 bytes");
			memcpy(f.key_base, tmp.psk_key, tmp.psk_key_len);
			f.key_base_len = tmp.psk_key_len;
			break;
		}
		case O_RATE: {
			char *end;
			f.rate = strtod(optarg, &end);
			if (end == optarg || *end || !(f.rate > 0))
				return fail("--rate must be a positive number");
			break;
		}
		case O_PROGRESS:
			if ((v = number(optarg, 1, 3600)) < 0)
				return fail("--progress must be 1 to 3600 seconds");
			f.progress_every = (int)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return fail("unknown option");
		}
	}
	if (optind < argc)
		return fail("unexpected argument");
	if (mode == CREDENTIALS) {
		if (!f.count || !f.key_base_len)
			return fail("fleet-credentials needs --count and --psk-key-base");
		return fleet_credentials(&f, stdout) ? 1 : 0;
	}
	if (!c->server_uri)
		return fail("--server is required");
	if (mode == FLEET) {
		if (!f.count)
			return fail("fleet needs --count");
		if (c->endpoint || c->psk_identity || c->psk_key_len || c->control)
			return fail("fleet derives endpoints and keys: use --prefix "
			            "and --psk-key-base");
		if (c->state_file || c->nusim_dir || c->eid || c->iccid)
			return fail("fleet derives EIDs, ICCIDs and nuSIM keys: no "
			            "--state-file, --nusim-dir, --eid or --iccid");
		return fleet_run(&f);
	}
	if (!c->endpoint)
		return fail("--endpoint is required");
	if (f.pki_dir || f.fault_every)
		return fail("--pki-dir and --fault-every are fleet options");
	if (!!c->psk_identity != !!c->psk_key_len)
		return fail("--psk-identity and --psk-key go together");

	char err[256];
	client *cl = client_new(err, sizeof err);
	if (!cl) {
		clog_msg(CLOG_ERROR, "start-failed", "error=\"%s\"", err);
		return 1;
	}
	device *d = device_new(cl, c, err, sizeof err);
	OPENSSL_cleanse(c->psk_key, sizeof c->psk_key); /* the device has a copy */
	if (!d || client_add(cl, d)) {
		clog_msg(CLOG_ERROR, "start-failed", "ep=%s error=\"%s\"", c->endpoint,
		         d ? "out of memory" : err);
		device_free(d);
		client_free(cl);
		return d ? 1 : 2;
	}
	device_start(d);
	int rc = client_run(cl, c->control ? STDIN_FILENO : -1,
	                    c->control ? control_line : NULL, NULL, cl);
	client_free(cl);
	return rc == 0 ? 0 : 1;
}
