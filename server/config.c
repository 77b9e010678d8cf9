/*
 * config.c: the settings table and its three sources (server/config.h).
 * One table row per key gives its file name, flag, environment variable,
 * type, bounds, default and help, so the file parser, the flag parser, the
 * environment reader, `check` and --help cannot disagree.
 */
#include "server/config.h"
#include "server/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum ctype { C_STR, C_ADDR, C_ADDR_OFF, C_BOOL, C_LEVEL, C_INT };

struct key {
	const char *name, *flag, *env;
	enum ctype type;
	size_t off, size;
	int64_t min, max;
	const char *def;
	const char *help;
};

#define F(field) offsetof(server_config, field), sizeof(((server_config *)0)->field)

static const struct key keys[] = {
	{ "db", "db", "NUSIMD_DB", C_STR, F(db_path), 1, 0, "nusimd.db",
	  "SQLite database file" },
	{ "coap_listen", "coap", "NUSIMD_COAP", C_ADDR_OFF, F(coap_listen), 0, 0,
	  "0.0.0.0:5683", "CoAP/UDP (NoSec) address, port 0 = any free, or off" },
	{ "coaps_listen", "coaps", "NUSIMD_COAPS", C_ADDR_OFF, F(coaps_listen), 0, 0,
	  "0.0.0.0:5684", "CoAP/DTLS (PSK) address, port 0 = any free, or off" },
	{ "http_listen", "http", "NUSIMD_HTTP", C_ADDR, F(http_listen), 0, 0,
	  "127.0.0.1:8080", "REST API address, port 0 = any free" },
	{ "allow_nosec", "allow-nosec", "NUSIMD_ALLOW_NOSEC", C_BOOL, F(allow_nosec),
	  0, 1, "false", "accept devices without DTLS on the CoAP port" },
	{ "log_level", "log-level", "NUSIMD_LOG_LEVEL", C_LEVEL, F(log_level), 0, 0,
	  "info", "error, warn, info or debug (SIGHUP re-reads it)" },
	{ "master_key_file", "master-key", "NUSIMD_MASTER_KEY_FILE", C_STR,
	  F(master_key_file), 0, 0, "",
	  "master key file (default <db>.key; or 64 hex in NUSIMD_MASTER_KEY)" },
	{ "session_idle_timeout", "session-idle-timeout",
	  "NUSIMD_SESSION_IDLE_TIMEOUT", C_INT, F(session_idle_timeout_s), 1,
	  86400, "300", "seconds before an unused CoAP session is freed" },
	{ "max_idle_sessions", "max-idle-sessions", "NUSIMD_MAX_IDLE_SESSIONS",
	  C_INT, F(max_idle_sessions), 0, 10000000, "0",
	  "idle sessions kept before the oldest is freed, 0 = no limit" },
	{ "max_handshakes", "max-handshakes", "NUSIMD_MAX_HANDSHAKES", C_INT,
	  F(max_handshakes), 1, 100000, "100", "DTLS handshakes in progress at once" },
	{ "request_timeout_ms", "request-timeout", "NUSIMD_REQUEST_TIMEOUT", C_INT,
	  F(request_timeout_ms), 100, 3600000, "60000",
	  "ms a device has to answer one request" },
	{ "queue_ttl", "queue-ttl", "NUSIMD_QUEUE_TTL", C_INT, F(queue_ttl_s), 1,
	  31536000, "86400", "default seconds a request waits for a sleeping device" },
	{ "awake_ms", "awake-time", "NUSIMD_AWAKE_TIME", C_INT, F(awake_ms), 100,
	  3600000, "93000", "ms a queue-mode device stays reachable after Register/Update" },
	{ "session_hold", "session-hold", "NUSIMD_SESSION_HOLD", C_INT,
	  F(session_hold_s), 0, 31536000, "0",
	  "seconds an always-on device's session is held after its last exchange; "
	  "past it the device is reached on its next Update (0 = while registered)" },
	{ "expiry_interval_ms", "expiry-interval", "NUSIMD_EXPIRY_INTERVAL", C_INT,
	  F(expiry_interval_ms), 10, 3600000, "1000",
	  "ms between scans for expired registrations" },
	{ "reg_write_batch_ms", "reg-write-batch", "NUSIMD_REG_WRITE_BATCH",
	  C_INT, F(reg_write_batch_ms), 0, 1000, "10",
	  "ms a Register/Update write may wait to be committed with others, 0 = each commits" },
	{ "coap_socket_buffer", "coap-socket-buffer", "NUSIMD_COAP_SOCKET_BUFFER",
	  C_INT, F(coap_socket_buffer), 0, 268435456, "4194304",
	  "receive/send buffer of the CoAP sockets, bytes, 0 = the system's" },
	{ "api_max_body", "api-max-body", "NUSIMD_API_MAX_BODY", C_INT,
	  F(api_max_body), 1024, 1073741824, "16777216", "largest REST request body, bytes" },
	{ "api_timeout_ms", "api-timeout", "NUSIMD_API_TIMEOUT", C_INT,
	  F(api_timeout_ms), 0, 3600000, "30000",
	  "default ms a REST call waits for a device" },
	{ "api_max_timeout_ms", "api-max-timeout", "NUSIMD_API_MAX_TIMEOUT", C_INT,
	  F(api_max_timeout_ms), 0, 86400000, "300000", "largest ?timeout= accepted, ms" },
	{ "pki_dir", "pki-dir", "NUSIMD_PKI_DIR", C_STR, F(pki_dir), 0, 0, "",
	  "directory of `nusimd pki init` (DP key, KpubCI, SigKpubDP, CM roots); "
	  "empty = no switching" },
	{ "crypto_workers", "crypto-workers", "NUSIMD_CRYPTO_WORKERS", C_INT,
	  F(crypto_workers), 1, 64, "2", "threads that build profile packages" },
	{ "switch_reattach_timeout_s", "switch-reattach-timeout",
	  "NUSIMD_SWITCH_REATTACH_TIMEOUT", C_INT, F(switch_reattach_timeout_s),
	  1, 86400, "300",
	  "s a device has to come back after Load Profile before timed_out" },
	{ "switch_wait_online_s", "switch-wait-online", "NUSIMD_SWITCH_WAIT_ONLINE",
	  C_INT, F(switch_wait_online_s), 1, 31536000, "86400",
	  "s a switch waits for a sleeping device before it fails" },
	{ "switch_result_timeout_ms", "switch-result-timeout",
	  "NUSIMD_SWITCH_RESULT_TIMEOUT", C_INT, F(switch_result_timeout_ms), 10,
	  3600000, "30000", "ms to wait for the 508/6 notification before reading it" },
	{ "switch_max_retries", "switch-max-retries", "NUSIMD_SWITCH_MAX_RETRIES",
	  C_INT, F(switch_max_retries), 0, 100, "3",
	  "retries of a retryable step (nuSIM busy, transport timeout)" },
	{ "switch_retry_backoff_ms", "switch-retry-backoff",
	  "NUSIMD_SWITCH_RETRY_BACKOFF", C_INT, F(switch_retry_backoff_ms), 1,
	  3600000, "2000", "ms before the first retry, doubled for each next one" },
	{ "test_pause_at", "test-pause-at", "NUSIMD_TEST_PAUSE_AT", C_STR,
	  F(test_pause_at), 0, 0, "",
	  "TEST HOOK: switch jobs stop before leaving this state (for kill -9 tests)" },
	{ "campaign_tick_ms", "campaign-tick", "NUSIMD_CAMPAIGN_TICK", C_INT,
	  F(campaign_tick_ms), 5, 10000, "50",
	  "ms between two rounds of the campaign scheduler" },
	{ "campaign_progress_ms", "campaign-progress", "NUSIMD_CAMPAIGN_PROGRESS",
	  C_INT, F(campaign_progress_ms), 10, 60000, "250",
	  "least ms between two campaign progress events on /events" },
};
#define NKEYS (sizeof keys / sizeof keys[0])

static const struct key *find(const char *name, int by_flag)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(by_flag ? keys[i].flag : keys[i].name, name))
			return &keys[i];
	return NULL;
}

int config_split_hostport(const char *s, char *host, size_t hostlen,
                          unsigned *port)
{
	const char *colon, *h = s, *hend;
	char *end;
	unsigned long p;

	if (*s == '[') {
		hend = strchr(s, ']');
		if (!hend || hend[1] != ':')
			return -1;
		h = s + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -1;   /* bare IPv6 needs brackets */
		hend = colon;
	}
	if (hend == h || (size_t)(hend - h) >= hostlen)
		return -1;
	for (const char *q = h; q < hend; q++)
		if (!isalnum((unsigned char)*q) && !strchr(".-:_", *q))
			return -1;
	if (!isdigit((unsigned char)colon[1]))
		return -1;
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || p > 65535)
		return -1;
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = 0;
	*port = (unsigned)p;
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const t[] = { "true", "yes", "on", "1" };
	static const char *const f[] = { "false", "no", "off", "0" };
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, t[i])) { *out = 1; return 0; }
		if (!strcasecmp(v, f[i])) { *out = 0; return 0; }
	}
	return -1;
}

static int apply(server_config *c, const struct key *k, const char *v,
                 char *err, size_t errlen)
{
	char *dst = (char *)c + k->off;
	char host[CONFIG_ADDR_MAX];
	unsigned port;

	switch (k->type) {
	case C_ADDR_OFF:
		if (!strcmp(v, "off"))
			goto copy;
		/* fall through */
	case C_ADDR:
		if (config_split_hostport(v, host, sizeof host, &port) < 0) {
			snprintf(err, errlen, "%s: want HOST:PORT%s, got \"%.64s\"",
			         k->name, k->type == C_ADDR_OFF ? " or off" : "", v);
			return -1;
		}
		/* fall through */
	case C_STR:
		if (k->min && !*v) {
			snprintf(err, errlen, "%s: must not be empty", k->name);
			return -1;
		}
	copy:
		if (strlen(v) >= k->size) {
			snprintf(err, errlen, "%s: longer than %zu bytes", k->name,
			         k->size - 1);
			return -1;
		}
		memcpy(dst, v, strlen(v) + 1);
		return 0;
	case C_BOOL: {
		int b;
		if (parse_bool(v, &b) < 0) {
			snprintf(err, errlen, "%s: want true or false, got \"%.64s\"",
			         k->name, v);
			return -1;
		}
		*(int *)(void *)dst = b;
		return 0;
	}
	case C_LEVEL: {
		int lv = log_level_from_name(v);
		if (lv < 0) {
			snprintf(err, errlen,
			         "%s: want error, warn, info or debug, got \"%.64s\"",
			         k->name, v);
			return -1;
		}
		*(int *)(void *)dst = lv;
		return 0;
	}
	case C_INT: {
		char *end;
		long long n;
		errno = 0;
		n = strtoll(v, &end, 10);
		if (!*v || errno || *end || n < k->min || n > k->max) {
			snprintf(err, errlen,
			         "%s: want an integer in %lld..%lld, got \"%.64s\"",
			         k->name, (long long)k->min, (long long)k->max, v);
			return -1;
		}
		*(int64_t *)(void *)dst = n;
		return 0;
	}
	}
	return -1;
}

void config_defaults(server_config *c)
{
	char err[64];
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < NKEYS; i++)
		apply(c, &keys[i], keys[i].def, err, sizeof err);
}

int config_set(server_config *c, const char *key, const char *value,
               char *err, size_t errlen)
{
	const struct key *k = find(key, 0);
	if (!k) {
		snprintf(err, errlen, "%.64s: unknown key", key);
		return -1;
	}
	return apply(c, k, value, err, errlen);
}

static char *trim(char *s)
{
	char *e;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int config_load_file(server_config *c, const char *path, char *err,
                     size_t errlen)
{
	FILE *f = fopen(path, "r");
	char line[4096], why[256];
	int lineno = 0, rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *s, *eq, *key, *val;
		size_t n = strlen(line);
		lineno++;
		if (n == sizeof line - 1 && line[n - 1] != '\n') {
			snprintf(err, errlen, "%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: want key = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = 0;
		key = trim(s);
		val = trim(eq + 1);
		n = strlen(val);
		if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
			val[n - 1] = 0;
			val++;
		}
		if (config_set(c, key, val, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			rc = -1;
			break;
		}
	}
	if (!rc && ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}

int config_load_env(server_config *c, char *err, size_t errlen)
{
	char why[256];
	for (size_t i = 0; i < NKEYS; i++) {
		const char *v = getenv(keys[i].env);
		if (!v)
			continue;
		if (apply(c, &keys[i], v, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s (from %s)", why, keys[i].env);
			return -1;
		}
	}
	return 0;
}

/* Returns how many argv slots the option used (1 or 2), or -1. */
static int one_arg(server_config *c, int argc, char **argv, int i,
                   const config_opt *extra, size_t nextra, char *err,
                   size_t errlen)
{
	const char *a = argv[i], *val = NULL;
	char name[64];
	const struct key *k = NULL;
	const config_opt *x = NULL;
	int is_bool, used = 1;
	size_t n;

	if (!strcmp(a, "-c")) {
		a = "--config";
	}
	if (strncmp(a, "--", 2) || !a[2]) {
		snprintf(err, errlen, "unexpected argument \"%.64s\"", argv[i]);
		return -1;
	}
	a += 2;
	n = strcspn(a, "=");
	if (n >= sizeof name) {
		snprintf(err, errlen, "unknown option --%.64s", a);
		return -1;
	}
	memcpy(name, a, n);
	name[n] = 0;
	if (a[n] == '=')
		val = a + n + 1;
	for (size_t j = 0; j < nextra; j++)
		if (!strcmp(extra[j].flag, name))
			x = &extra[j];
	if (!x && strcmp(name, "config") && !(k = find(name, 1))) {
		snprintf(err, errlen, "unknown option --%s", name);
		return -1;
	}
	is_bool = x ? x->is_bool : k ? k->type == C_BOOL : 0;
	if (!val) {
		if (is_bool) {
			val = "true";
		} else if (i + 1 < argc) {
			val = argv[i + 1];
			used = 2;
		} else {
			snprintf(err, errlen, "--%s needs a value", name);
			return -1;
		}
	}
	if (x) {
		*x->val = val;
		return used;
	}
	if (!k) {   /* --config / -c */
		if (strlen(val) >= sizeof c->config_file) {
			snprintf(err, errlen, "config: path too long");
			return -1;
		}
		strcpy(c->config_file, val);
		return used;
	}
	if (apply(c, k, val, err, errlen) < 0) {
		char why[256];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "%s (from --%s)", why, k->flag);
		return -1;
	}
	return used;
}

int config_parse_args(server_config *c, int argc, char **argv, int from,
                      const config_opt *extra, size_t nextra,
                      char *err, size_t errlen)
{
	for (int i = from; i < argc;) {
		int used = one_arg(c, argc, argv, i, extra, nextra, err, errlen);
		if (used < 0)
			return -1;
		i += used;
	}
	return 0;
}

/* The -c file must be known before the flags are applied (flags win over
 * it), so it is looked up first on its own. */
static const char *find_config_arg(int argc, char **argv, int from)
{
	const char *found = NULL;
	for (int i = from; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) &&
		    i + 1 < argc)
			found = argv[++i];
		else if (!strncmp(argv[i], "--config=", 9))
			found = argv[i] + 9;
	}
	return found;
}

int config_build(server_config *c, int argc, char **argv, int from,
                 const config_opt *extra, size_t nextra,
                 char *err, size_t errlen)
{
	const char *file = find_config_arg(argc, argv, from);
	config_defaults(c);
	if (!file)
		file = getenv("NUSIMD_CONFIG");
	if (file && *file) {
		if (strlen(file) >= sizeof c->config_file) {
			snprintf(err, errlen, "config: path too long");
			return -1;
		}
		strcpy(c->config_file, file);
		if (config_load_file(c, file, err, errlen) < 0)
			return -1;
	}
	if (config_load_env(c, err, errlen) < 0)
		return -1;
	return config_parse_args(c, argc, argv, from, extra, nextra, err, errlen);
}

void config_key_path(const server_config *c, char *out, size_t outlen)
{
	if (c->master_key_file[0])
		snprintf(out, outlen, "%s", c->master_key_file);
	else
		snprintf(out, outlen, "%s.key", c->db_path);
}

int config_key_path_explicit(const server_config *c)
{
	return c->master_key_file[0] != 0;
}

void config_usage(FILE *f)
{
	fprintf(f, "  -c, --config FILE  key = value settings file (or NUSIMD_CONFIG)\n");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		char flag[64];
		snprintf(flag, sizeof flag, "--%s%s", k->flag,
		         k->type == C_BOOL ? "" : " V");
		fprintf(f, "  %-27s %s\n  %-27s key %s, env %s, default \"%s\"\n",
		        flag, k->help, "", k->name, k->env, k->def);
	}
}

/* ---- the key table, for tests and the SIGHUP reload --------------------- */

size_t config_key_count(void)
{
	return NKEYS;
}

int config_key_describe(size_t i, config_key_desc *out)
{
	static const int types[] = {
		[C_STR] = CONFIG_T_STR, [C_ADDR] = CONFIG_T_ADDR,
		[C_ADDR_OFF] = CONFIG_T_ADDR_OFF, [C_BOOL] = CONFIG_T_BOOL,
		[C_LEVEL] = CONFIG_T_LEVEL, [C_INT] = CONFIG_T_INT,
	};
	if (i >= NKEYS)
		return -1;
	*out = (config_key_desc){ keys[i].name, keys[i].flag, keys[i].env,
	                          keys[i].def, types[keys[i].type], keys[i].min,
	                          keys[i].max };
	return 0;
}

int config_key_differs(const server_config *a, const server_config *b,
                       size_t i)
{
	const struct key *k;
	const char *pa, *pb;
	if (i >= NKEYS)
		return 0;
	k = &keys[i];
	pa = (const char *)a + k->off;
	pb = (const char *)b + k->off;
	switch (k->type) {
	case C_STR:
	case C_ADDR:
	case C_ADDR_OFF:
		return strcmp(pa, pb) != 0;   /* bytes past the NUL may differ */
	default:
		return memcmp(pa, pb, k->size) != 0;
	}
}

void config_key_value(const server_config *c, size_t i, char *buf,
                      size_t len)
{
	const struct key *k;
	const char *p;
	if (!len)
		return;
	buf[0] = 0;
	if (i >= NKEYS)
		return;
	k = &keys[i];
	p = (const char *)c + k->off;
	switch (k->type) {
	case C_STR:
	case C_ADDR:
	case C_ADDR_OFF:
		snprintf(buf, len, "%s", p);
		break;
	case C_BOOL:
		snprintf(buf, len, "%s", *(const int *)(const void *)p ? "true" : "false");
		break;
	case C_LEVEL:
		snprintf(buf, len, "%s", log_level_name(*(const int *)(const void *)p));
		break;
	case C_INT:
		snprintf(buf, len, "%lld", (long long)*(const int64_t *)(const void *)p);
		break;
	}
}
