/*
 * reload.c: what SIGHUP changes (server/reload.h). One table row per key
 * that can change live, with the function that hands the new value to its
 * engine; every other key that differs is reported as needing a restart,
 * because the socket, database, key or thread it configures exists once.
 */
#include "server/reload.h"
#include "server/server.h"
#include "server/dm_engine.h"
#include "server/log.h"

#include <stdio.h>
#include <string.h>

typedef void (*apply_fn)(struct server *sv);

static void apply_log(struct server *sv)
{
	log_set_level(sv->cfg.log_level);
	log_attach_libcoap();   /* libcoap's own level follows ours */
}

static void apply_dm(struct server *sv)
{
	dm_config dc = {
		.request_timeout_ms = sv->cfg.request_timeout_ms,
		.queue_ttl_s = sv->cfg.queue_ttl_s,
		.awake_ms = sv->cfg.awake_ms,
		.hold_ms = sv->cfg.session_hold_s * 1000,
	};
	dm_set_config(sv->dm, &dc);
}

static void apply_coap(struct server *sv)
{
	coap_context_t *ctx = sv->coap ? coap_ep_context(sv->coap) : NULL;
	if (!ctx)
		return;
	coap_context_set_session_timeout(ctx, (unsigned)sv->cfg.session_idle_timeout_s);
	coap_context_set_max_idle_sessions(ctx, (unsigned)sv->cfg.max_idle_sessions);
	coap_context_set_max_handshake_sessions(ctx, (unsigned)sv->cfg.max_handshakes);
}

static void apply_api(struct server *sv)
{
	api_config ac = {
		.listen = sv->cfg.http_listen,
		.max_body = (size_t)sv->cfg.api_max_body,
		.default_timeout_ms = (int)sv->cfg.api_timeout_ms,
		.max_timeout_ms = (int)sv->cfg.api_max_timeout_ms,
	};
	api_set_limits(sv->api, &ac);
}

static void apply_reg(struct server *sv)
{
	reg_set_write_batch(sv->reg, sv->cfg.reg_write_batch_ms);
}

static const struct {
	const char *key;
	apply_fn apply;
} live[] = {
	{ "log_level", apply_log },
	{ "request_timeout_ms", apply_dm },
	{ "queue_ttl", apply_dm },
	{ "awake_ms", apply_dm },
	{ "session_hold", apply_dm },
	{ "session_idle_timeout", apply_coap },
	{ "max_idle_sessions", apply_coap },
	{ "max_handshakes", apply_coap },
	{ "api_max_body", apply_api },
	{ "api_timeout_ms", apply_api },
	{ "api_max_timeout_ms", apply_api },
	{ "reg_write_batch_ms", apply_reg },
};
#define NLIVE (sizeof live / sizeof live[0])

static int live_index(const char *key)
{
	for (size_t i = 0; i < NLIVE; i++)
		if (!strcmp(live[i].key, key))
			return (int)i;
	return -1;
}

int server_reload_is_live(const char *key)
{
	return live_index(key) >= 0;
}

int server_reload(struct server *sv)
{
	server_config c;
	char err[512], changed[1024] = "", val[CONFIG_PATH_MAX];
	int due[NLIVE] = { 0 }, nchanged = 0;
	size_t used = 0;

	if (config_build(&c, sv->argc, sv->argv, sv->argfrom, NULL, 0, err,
	                 sizeof err) < 0) {
		log_kv(NLOG_ERROR, "reload failed", "error", err,
		       "detail", "nothing changed", NULL);
		return -1;
	}
	for (size_t i = 0; i < config_key_count(); i++) {
		config_key_desc k;
		char why[256];
		int li;
		if (config_key_describe(i, &k) < 0 ||
		    !config_key_differs(&sv->cfg, &c, i))
			continue;
		li = live_index(k.name);
		if (li < 0) {
			log_kv(NLOG_WARN, "reload ignored", "key", k.name,
			       "reason", "needs a restart", NULL);
			continue;
		}
		/* Copied through its text form, so the table's own parser
		 * stays the only writer of a field. */
		config_key_value(&c, i, val, sizeof val);
		if (config_set(&sv->cfg, k.name, val, why, sizeof why) < 0) {
			log_kv(NLOG_ERROR, "reload failed", "key", k.name, "error",
			       why, NULL);
			continue;
		}
		due[li] = 1;
		nchanged++;
		int w = snprintf(changed + used, sizeof changed - used, "%s%s",
		                 used ? "," : "", k.name);
		if (w > 0 && (size_t)w < sizeof changed - used)
			used += (size_t)w;
	}
	/* Each engine once, with every new value of its group; the log level
	 * last, so the line below shows even when the level goes down. */
	for (size_t i = 0; i < NLIVE; i++) {
		if (!due[i] || live[i].apply == apply_log)
			continue;
		for (size_t j = i + 1; j < NLIVE; j++)
			if (live[j].apply == live[i].apply)
				due[j] = 0;
		live[i].apply(sv);
	}
	log_kv(NLOG_INFO, "reloaded", "changed", changed, "log_level",
	       log_level_name(sv->cfg.log_level), NULL);
	apply_log(sv);
	return nchanged;
}
