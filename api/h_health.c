/*
 * h_health.c: GET /healthz (the process answers and the database runs a
 * query) and GET /readyz (the server can do its work: the database takes
 * a write, the CoAP and HTTP sockets are bound). No authentication, so
 * load balancers, orchestrators and probes can use them.
 */
#include <sys/socket.h>

#include "api/api_int.h"
#include "db/db_ops.h"
#include "server/metrics.h"

/* How long /readyz waits for another process's write lock: the probe runs
 * on the loop thread, so it must stay short. */
#define READYZ_BUSY_MS 200

void h_healthz(api_call *c)
{
	int64_t n = 0;
	if (db_device_count(c->a->d, &n) != DB_OK) {
		api_problem(c, 503, "unavailable", NULL, "the database does not answer: %s",
		            db_errmsg(c->a->d));
		return;
	}
	api_reply_json(c, 200, json_pack("{ss}", "status", "ok"));
}

static int http_bound(api *a, char *why, size_t whylen)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	info = a->mhd ? MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_LISTEN_FD) : NULL;
	if (!info || info->listen_fd < 0 ||
	    getsockname(info->listen_fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(why, whylen, "the HTTP socket is not bound");
		return -1;
	}
	return 0;
}

void h_readyz(api_call *c)
{
	api *a = c->a;
	char why[256], first[300] = "";
	json_t *checks = json_object();
	int ok = 1;

	if (a->stopping) {
		json_decref(checks);
		api_problem(c, 503, "unavailable", NULL, "the server is shutting down");
		return;
	}
	db_rc r = db_probe_write(a->d, READYZ_BUSY_MS);
	if (r != DB_OK) {
		snprintf(why, sizeof why, "%s: %s",
		         r == DB_BUSY ? "locked by another process" : "write failed",
		         db_errmsg(a->d));
		json_object_set_new(checks, "database", json_string(why));
		snprintf(first, sizeof first, "database: %s", why);
		ok = 0;
	} else {
		json_object_set_new(checks, "database", json_string("ok"));
	}
	int cr = metrics_coap_ready(why, sizeof why);
	if (cr < 0) {
		json_object_set_new(checks, "coap", json_string(why));
		if (ok)
			snprintf(first, sizeof first, "coap: %s", why);
		ok = 0;
	} else {
		json_object_set_new(checks, "coap", json_string(cr ? why : "ok"));
	}
	if (http_bound(a, why, sizeof why) < 0) {
		json_object_set_new(checks, "http", json_string(why));
		if (ok)
			snprintf(first, sizeof first, "http: %s", why);
		ok = 0;
	} else {
		json_object_set_new(checks, "http", json_string("ok"));
	}
	if (!ok) {
		api_problem(c, 503, "not-ready", json_pack("{so}", "checks", checks),
		            "not ready: %s", first);
		return;
	}
	api_reply_json(c, 200, json_pack("{ssso}", "status", "ready", "checks", checks));
}
