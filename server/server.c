/*
 * server.c: start-up, the signal handling and the orderly stop of the
 * daemon (server/server.h). Everything is bound before the "listening"
 * line is logged, because tests and scripts wait for that line.
 */
#include "server/server.h"
#include "server/dm_engine.h"
#include "server/log.h"
#include "server/campaign.h"
#include "server/metrics.h"
#include "server/reload.h"
#include "db/db_ops.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void on_signal(void *arg, uint32_t events)
{
	server *sv = arg;
	struct signalfd_siginfo si;
	(void)events;
	while (read(sv->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			server_reload(sv);   /* server/reload.c */
		} else {
			log_kv(NLOG_INFO, "stopping", "signal",
			       si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM", NULL);
			loop_stop(sv->loop);
		}
	}
}

static int setup_signals(server *sv, char *err, size_t errlen)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sv->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    loop_add_fd(sv->loop, sv->sig_fd, EPOLLIN, on_signal, sv) < 0) {
		snprintf(err, errlen, "cannot set up the signal fd");
		return -1;
	}
	return 0;
}

static void teardown(server *sv)
{
	metrics_attach_coap(NULL);
	db_set_timing_hook(NULL);
	if (sv->api)
		api_stop(sv->api);
	campaigns_free(sv->camp);   /* it starts jobs on the switch engine */
	sw_free(sv->sw);   /* before the DM engine it has requests with */
	if (sv->coap)
		coap_ep_set_dm(sv->coap, NULL);
	if (sv->dm)
		dm_free(sv->dm);
	if (sv->coap)
		coap_ep_on_session_end(sv->coap, NULL, NULL);
	reg_free(sv->reg);
	evbus_free(sv->bus);
	coap_ep_free(sv->coap);
	psk_wipe(NULL);
	if (sv->sig_fd >= 0)
		close(sv->sig_fd);
	loop_free(sv->loop);
	seal_key_free(sv->key);
	db_close(sv->db);
}

int server_run(const server_config *cfg, int argc, char **argv, int from)
{
	server sv;
	char err[512];
	int rc = 1;

	memset(&sv, 0, sizeof sv);
	sv.cfg = *cfg;
	sv.argc = argc;
	sv.argv = argv;
	sv.argfrom = from;
	sv.sig_fd = -1;
	log_set_level(cfg->log_level);
	log_attach_libcoap();

	if (db_open(cfg->db_path, &sv.db, err, sizeof err) != DB_OK) {
		log_kv(NLOG_ERROR, "cannot open the database", "db", cfg->db_path,
		       "error", err, NULL);
		goto out;
	}
	if (server_master_key(sv.db, cfg, &sv.key, err, sizeof err) < 0) {
		log_kv(NLOG_ERROR, "cannot start", "error", err, NULL);
		goto out;
	}
	sv.loop = loop_new();
	if (!sv.loop) {
		log_kv(NLOG_ERROR, "cannot create the event loop", NULL);
		goto out;
	}
	if (setup_signals(&sv, err, sizeof err) < 0)
		goto fail;

	sv.psk = (psk_ctx){ sv.db, sv.key };
	{
		coap_ep_config cc = {
			.coap_listen = cfg->coap_listen,
			.coaps_listen = cfg->coaps_listen,
			.session_timeout_s = cfg->session_idle_timeout_s,
			.max_idle_sessions = cfg->max_idle_sessions,
			.max_handshakes = cfg->max_handshakes,
			.socket_buffer = cfg->coap_socket_buffer,
			.psk_cb = psk_lookup,
			.psk_arg = &sv.psk,
		};
		sv.coap = coap_ep_new(sv.loop, &cc, err, sizeof err);
		if (!sv.coap)
			goto fail;
	}
	loop_add_check(sv.loop, psk_wipe, NULL);

	{
		dm_config dc = {
			.request_timeout_ms = cfg->request_timeout_ms,
			.queue_ttl_s = cfg->queue_ttl_s,
			.awake_ms = cfg->awake_ms,
			.hold_ms = cfg->session_hold_s * 1000,
		};
		sv.dm = dm_new(sv.loop, sv.db, coap_ep_context(sv.coap), &dc);
		if (!sv.dm) {
			snprintf(err, sizeof err, "cannot create the DM engine");
			goto fail;
		}
		coap_ep_set_dm(sv.coap, sv.dm);
		if (dm_restore(sv.dm) < 0) {
			snprintf(err, sizeof err, "cannot restore queued requests");
			goto fail;
		}
	}
	sv.bus = evbus_new(sv.db, 100000);
	if (!sv.bus) {
		snprintf(err, sizeof err, "out of memory");
		goto fail;
	}
	{
		reg_config rc_ = {
			.l = sv.loop,
			.db = sv.db,
			.dm = sv.dm,
			.ctx = coap_ep_context(sv.coap),
			.allow_nosec = cfg->allow_nosec,
			.expiry_interval_ms = cfg->expiry_interval_ms,
			.write_batch_ms = cfg->reg_write_batch_ms,
			.bus = sv.bus,
		};
		sv.reg = reg_new(&rc_, err, sizeof err);
		if (!sv.reg)
			goto fail;
		coap_ep_on_session_end(sv.coap, reg_session_gone, sv.reg);
	}
	{
		sw_config sc = {
			.l = sv.loop, .db = sv.db, .dm = sv.dm, .bus = sv.bus,
			.key = sv.key, .pki_dir = cfg->pki_dir,
			.crypto_workers = (int)cfg->crypto_workers,
			.reattach_timeout_s = cfg->switch_reattach_timeout_s,
			.wait_online_s = cfg->switch_wait_online_s,
			.result_timeout_ms = cfg->switch_result_timeout_ms,
			.max_retries = (int)cfg->switch_max_retries,
			.retry_backoff_ms = cfg->switch_retry_backoff_ms,
			.pause_at = cfg->test_pause_at,
		};
		sv.sw = sw_new(&sc, err, sizeof err);
		if (!sv.sw)
			goto fail;
	}
	{
		campaigns_config cc = {
			.l = sv.loop, .db = sv.db, .sw = sv.sw, .bus = sv.bus,
			.tick_ms = cfg->campaign_tick_ms,
			.progress_ms = cfg->campaign_progress_ms,
		};
		sv.camp = campaigns_new(&cc, err, sizeof err);
		if (!sv.camp)
			goto fail;
	}
	{
		api_config ac = {
			.listen = cfg->http_listen,
			.max_body = (size_t)cfg->api_max_body,
			.default_timeout_ms = (int)cfg->api_timeout_ms,
			.max_timeout_ms = (int)cfg->api_max_timeout_ms,
		};
		char why[256];
		sv.api = api_start(sv.loop, sv.db, sv.dm, sv.key, &ac, sv.http_bound,
		                   sizeof sv.http_bound, why, sizeof why);
		if (!sv.api) {
			snprintf(err, sizeof err, "http_listen: %s", why);
			goto fail;
		}
		api_set_switch(sv.api, sv.sw, sv.bus);
		api_set_campaigns(sv.api, sv.camp);
	}

	metrics_attach_coap(sv.coap);
	db_set_timing_hook(metrics_db_statement);
	log_kv(NLOG_INFO, "listening", "coap", coap_ep_bound(sv.coap, 0),
	       "coaps", coap_ep_bound(sv.coap, 1), "http", sv.http_bound, NULL);
	if (loop_run(sv.loop) < 0) {
		log_kv(NLOG_ERROR, "event loop failed", NULL);
		goto out;
	}
	log_kv(NLOG_INFO, "stopped", NULL);
	rc = 0;
	goto out;
fail:
	log_kv(NLOG_ERROR, "cannot start", "error", err, NULL);
out:
	teardown(&sv);
	return rc;
}
