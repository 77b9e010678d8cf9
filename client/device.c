/*
 * device.c: one simulated LwM2M device (see device.h).
 *
 * The registration interface as a small state machine with one request in
 * flight at a time. Every request carries 8 random token bytes (libcoap's
 * session token counter restarts per session, NOTES §1.4), and the answer
 * is matched on the received token. A failed Register or Update drops the
 * session, so the next attempt comes from a fresh ephemeral port (NOTES §5:
 * a DTLS server ignores a new handshake on the old IP:port).
 */
#include "client/device.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <openssl/crypto.h>

#include "client/carrier.h"
#include "client/defaults.h"
#include "client/log.h"
#include "client/nusim.h"
#include "client/serve.h"
#include "crypto/package.h"
#include "crypto/pki.h"

/* Longest wait for an answer libcoap might never give (NOTES §1.4). */
#define OP_DEADLINE_MS (120 * 1000)
#define BACKOFF_MIN_MS 2000
#define BACKOFF_MAX_MS (60 * 1000)

typedef enum { OP_NONE = 0, OP_REGISTER, OP_UPDATE, OP_DEREGISTER } dev_op;

/* After a Load Profile the device moves to the new carrier; when it cannot
 * register there in time it loads the backup and goes back. */
enum { ATTACH_NONE = 0, ATTACH_NEW, ATTACH_FALLBACK };
/* The 2.04 of the Execute and the 508/6 notification leave first. */
#define LEAVE_DELAY_MS 500

static const char *const op_names[] = { "none", "register", "update",
                                        "deregister" };

struct device {
	client *cl;
	device_cfg cfg;             /* strings below are our own copies */
	char *server_uri, *endpoint, *identity, *bind, *version;
	coap_address_t server;
	coap_proto_t proto;
	coap_session_t *sess;
	objstore *store;
	dedup *dd;                  /* created on the first served request */
	block1_state *b1;           /* created on the first Block1 request */
	pkg_sim *sim;               /* the nuSIM's keys, with --nusim-dir */
	nusim ns;                   /* loaded profile, backup, busy, fault */
	carrier_map *carriers;      /* shared with the other devices */
	char *state_file;
	uint64_t leave_at;          /* after a Load Profile: leave the carrier */
	uint64_t attach_deadline;   /* fall back when not attached by then */
	int attach_phase;           /* ATTACH_* */
	unsigned attaches;          /* carrier changes so far: next address */

	dev_state state;
	dev_op op;
	uint8_t tok[8];
	uint64_t op_deadline;
	char location[64];          /* "/rd/abc" */

	uint64_t next_update, retry_at, last_traffic, next_wake;
	unsigned backoff;           /* consecutive failures */
	unsigned failures;          /* total failed attempts */
	int lifetime;               /* current 1/0/1 */

	unsigned asleep : 1;
	unsigned want_update : 1;
	unsigned want_register : 1;
	unsigned want_wake : 1;
	unsigned want_sleep : 1;
	unsigned links_dirty : 1;
	unsigned lt_dirty : 1;
	unsigned session_dead : 1;
	unsigned shutting_down : 1;
	unsigned want_deregister : 1;
	unsigned state_dirty : 1;   /* --state-file needs writing */
};

static uint64_t now_ms(void)
{
	return client_now_ms();
}

/* ---- small helpers --------------------------------------------------- */

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int resolve(const char *host, unsigned port, coap_address_t *out)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_family = AF_UNSPEC;
	snprintf(portstr, sizeof portstr, "%u", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res)
		return -1;
	coap_address_init(out);
	out->size = res->ai_addrlen;
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Splits coap://HOST:PORT / coaps://HOST:PORT into an address and proto. */
static int parse_server(device *d, char *err, size_t errlen)
{
	coap_uri_t uri;
	const char *s = d->server_uri;
	if (!s || coap_split_uri((const uint8_t *)s, strlen(s), &uri) < 0) {
		snprintf(err, errlen, "bad server URI (want coap://HOST:PORT)");
		return -1;
	}
	if (uri.scheme == COAP_URI_SCHEME_COAPS) {
		d->proto = COAP_PROTO_DTLS;
		if (!coap_dtls_is_supported()) {
			snprintf(err, errlen, "DTLS not supported by libcoap");
			return -1;
		}
		if (!d->identity || !d->cfg.psk_key_len) {
			snprintf(err, errlen, "coaps needs --psk-identity and --psk-key");
			return -1;
		}
	} else if (uri.scheme == COAP_URI_SCHEME_COAP) {
		d->proto = COAP_PROTO_UDP;
	} else {
		snprintf(err, errlen, "unsupported URI scheme (coap or coaps)");
		return -1;
	}
	char host[256];
	if (uri.host.length == 0 || uri.host.length >= sizeof host) {
		snprintf(err, errlen, "bad host in server URI");
		return -1;
	}
	memcpy(host, uri.host.s, uri.host.length);
	host[uri.host.length] = 0;
	if (resolve(host, uri.port, &d->server) < 0) {
		snprintf(err, errlen, "cannot resolve %s", host);
		return -1;
	}
	return 0;
}

static void next_token(device *d)
{
	if (getrandom(d->tok, sizeof d->tok, 0) != (ssize_t)sizeof d->tok)
		coap_prng(d->tok, sizeof d->tok);
}

static int update_interval_ms(const device *d)
{
	int s = d->cfg.update_interval > 0 ? d->cfg.update_interval
	                                   : d->lifetime / 2;
	return (s < 1 ? 1 : s) * 1000;
}

static int wake_every_ms(const device *d)
{
	int s = d->cfg.wake_every > 0 ? d->cfg.wake_every : d->lifetime / 2;
	return (s < 1 ? 1 : s) * 1000;
}

/* Exponential backoff with jitter, so a fleet does not retry in lockstep. */
static uint64_t backoff_ms(device *d)
{
	uint64_t ms = BACKOFF_MIN_MS;
	for (unsigned i = 1; i < d->backoff && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS;
	uint32_t r = 0;
	coap_prng(&r, sizeof r);
	return ms / 2 + r % (ms / 2 + 1);
}

/* ---- store changes --------------------------------------------------- */

static void on_store_change(void *arg, const lwm2m_path *p)
{
	device *d = arg;
	coap_context_t *ctx = client_coap(d->cl);
	if (p->len >= 3)
		serve_ensure_resource(ctx, p); /* a resource that is new */
	/* The path and its parents, each as its own attributes allow. */
	uint64_t now = now_ms();
	lwm2m_path q = *p;
	if (q.len > 3)
		q.len = 3;
	for (; q.len > 0; q.len--) {
		if (objstore_notify_policy(d->store, &q, now)) {
			objstore_notified(d->store, &q, now);
			serve_notify_one(ctx, &q);
		}
	}
	client_kick(d->cl); /* a deferred notification needs a timer */
	if (p->id[0] == 507 && d->state_file)
		d->state_dirty = 1; /* a package staged, changed or deleted */
	if (p->len == 1) {
		/* Instances came or went: serve them and tell the server. */
		serve_sync_resources(ctx, d->store);
		d->links_dirty = 1;
		client_kick(d->cl);
	}
	if (p->len == 3 && p->id[0] == 1 && p->id[1] == 0 && p->id[2] == 1) {
		lwm2m_path lp = *p;
		const lwm2m_value *v = objstore_get(d->store, &lp);
		if (v && v->type == LWM2M_T_INTEGER && v->v.i > 0 &&
		    v->v.i <= 0x7fffffff && v->v.i != d->lifetime) {
			d->lifetime = (int)v->v.i;
			d->lt_dirty = 1;
			client_kick(d->cl);
		}
	}
}

/* ---- the nuSIM's profile and carrier ------------------------------------ */

/* Moves the source address to one of `carrier`'s range (the next one each
 * time, so every attach comes from a new address). 0, or -1 when the
 * carrier has no range (the address stays). */
static int bind_to_carrier(device *d, const char *name)
{
	char addr[INET_ADDRSTRLEN];
	const carrier *c = carrier_find(d->carriers, name);
	if (carrier_addr(c, d->cfg.slot + d->attaches, addr, sizeof addr) < 0)
		return -1;
	char *n = strdup(addr);
	if (!n)
		return -1;
	free(d->bind);
	d->bind = n;
	d->cfg.bind_addr = n;
	/* 4/0/4 IP Addresses shows what the server sees. */
	lwm2m_path ip = { { 4, 0, 4, 0 }, 4 };
	if (d->store)
		objstore_set_string(d->store, &ip, n);
	return 0;
}

static void save_state(device *d)
{
	char err[256];
	d->state_dirty = 0;
	if (d->state_file && nusim_state_save(d->state_file, &d->ns, d->store,
	                                      err, sizeof err) < 0)
		clog_msg(CLOG_ERROR, "state-save-failed", "ep=%s error=\"%s\"",
		         d->endpoint, err);
}

/* The nuSIM's start: the initial profile on the home carrier, or what the
 * --state-file kept; the source address from that carrier's range. */
static int nusim_setup(device *d, const char *iccid, char *err, size_t errlen)
{
	const carrier_map *m = d->cfg.carriers;
	const char *home = d->cfg.home_carrier ? d->cfg.home_carrier
	                   : m && m->n ? m->c[0].name : "";
	d->carriers = d->cfg.carriers;
	d->ns.fault = d->cfg.fault;
	snprintf(d->ns.cur.iccid, sizeof d->ns.cur.iccid, "%.*s", NUSIM_ICCID_MAX,
	         iccid);
	snprintf(d->ns.cur.carrier, sizeof d->ns.cur.carrier, "%s", home);
	if (d->cfg.state_file) {
		if (!(d->state_file = strdup(d->cfg.state_file))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		d->cfg.state_file = d->state_file;
		int rc = nusim_state_load(d->state_file, &d->ns, d->store, err,
		                          errlen);
		if (rc < 0)
			return -1;
		if (rc == 0)
			clog_msg(CLOG_INFO, "state-loaded", "ep=%s iccid=%s carrier=\"%s\"",
			         d->endpoint, d->ns.cur.iccid, d->ns.cur.carrier);
	}
	if (d->carriers && carrier_find(d->carriers, d->ns.cur.carrier))
		bind_to_carrier(d, d->ns.cur.carrier);
	return 0;
}

/* ---- lifecycle ------------------------------------------------------- */

device *device_new(client *cl, const device_cfg *cfg, char *err, size_t errlen)
{
	device *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->cl = cl;
	d->cfg = *cfg;
	d->sim = cfg->sim; /* fleet mode: made in memory, ours now */
	d->cfg.sim = NULL;
	d->server_uri = dupstr(cfg->server_uri);
	d->endpoint = dupstr(cfg->endpoint);
	d->identity = dupstr(cfg->psk_identity);
	d->bind = dupstr(cfg->bind_addr);
	d->version = dupstr(cfg->lwm2m_version ? cfg->lwm2m_version : "1.1");
	d->cfg.server_uri = d->server_uri;
	d->cfg.endpoint = d->endpoint;
	d->cfg.psk_identity = d->identity;
	d->cfg.bind_addr = d->bind;
	d->cfg.lwm2m_version = d->version;
	d->cfg.iccid = d->cfg.eid = NULL; /* used only below */
	d->lifetime = cfg->lifetime > 0 ? cfg->lifetime : 300;
	if (!d->server_uri || !d->endpoint || !d->version ||
	    (cfg->psk_identity && !d->identity) || (cfg->bind_addr && !d->bind)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!*d->endpoint || strlen(d->endpoint) > LWM2M_MAX_EP) {
		snprintf(err, errlen, "endpoint name empty or over %d bytes",
		         LWM2M_MAX_EP);
		goto fail;
	}
	if (strcmp(d->version, "1.0") && strcmp(d->version, "1.1") &&
	    strcmp(d->version, "1.2")) {
		snprintf(err, errlen, "--lwm2m must be 1.0, 1.1 or 1.2");
		goto fail;
	}
	if (parse_server(d, err, errlen) < 0)
		goto fail;

	char eid[NUSIM_EID_LEN + 1], iccid[24];
	if (cfg->eid) {
		size_t n = strlen(cfg->eid);
		if (n != NUSIM_EID_LEN || strspn(cfg->eid, "0123456789") != n) {
			snprintf(err, errlen, "--eid must be 32 digits");
			goto fail;
		}
		if (!nusim_eid_valid(cfg->eid))
			clog_msg(CLOG_WARN, "eid-check-digits", "ep=%s eid=%s "
			         "reason=\"check digits do not verify (mod 97 != 1)\"",
			         d->endpoint, cfg->eid);
		snprintf(eid, sizeof eid, "%s", cfg->eid);
	} else {
		nusim_eid_from_endpoint(d->endpoint, eid);
	}
	if (cfg->iccid) {
		if (!nusim_iccid_valid(cfg->iccid)) {
			snprintf(err, errlen, "--iccid must be 18 to 22 digits "
			         "starting with 89");
			goto fail;
		}
		snprintf(iccid, sizeof iccid, "%s", cfg->iccid);
	} else {
		nusim_iccid_from_endpoint(d->endpoint, iccid);
	}
	uint8_t *cert = NULL;
	size_t certlen = 0;
	if (cfg->nusim_dir && !d->sim &&
	    pki_load_sim(cfg->nusim_dir, eid, &d->sim, &cert, &certlen, err,
	                 errlen)) {
		size_t n = strlen(err);
		snprintf(err + n, errlen - n, " (--nusim-dir %s, EID %s)",
		         cfg->nusim_dir, eid);
		goto fail;
	}
	d->store = objstore_new();
	/* --no-cert-resource: a nuSIM without 508/3 (DESIGN §6 step 1). */
	const uint8_t *cder = cfg->no_cert_resource ? NULL
	                      : cert ? cert : cfg->cert_der;
	size_t clen = cder == cert ? certlen : cfg->cert_len;
	int irc = d->store ? (int)defaults_install(d->store, &d->cfg, eid, iccid,
	                                           cder, clen)
	                   : -1;
	free(cert);
	d->cfg.cert_der = NULL;
	if (irc) {
		snprintf(err, errlen, "cannot build the object store");
		goto fail;
	}
	if (nusim_setup(d, iccid, err, errlen) < 0)
		goto fail;
	if (serve_sync_resources(client_coap(cl), d->store) != 0) {
		snprintf(err, errlen, "cannot create the CoAP resources");
		goto fail;
	}
	objstore_on_change(d->store, on_store_change, d);
	return d;
fail:
	device_free(d);
	return NULL;
}

static void close_session(device *d)
{
	if (!d->sess)
		return;
	/* Detach first: releasing can fire NACKs and DTLS events. */
	coap_session_set_app_data(d->sess, NULL);
	/* The server's observations (508/6 during a switch) hold references
	 * to the session, so a plain release leaves it alive. libcoap then
	 * builds notifications on it with our handler, which finds no device
	 * and answers 4.04; libcoap 4.3.1 frees the subscription (and with
	 * its last reference the session and its SSL) while still using it:
	 * a fleet re-attaching over DTLS died in coap_dtls_send. Disconnecting
	 * drops the observations, the queued messages and the DTLS state
	 * (close_notify tells the server) at once, so the release frees it. */
	coap_session_disconnected(d->sess, COAP_NACK_NOT_DELIVERABLE);
	coap_session_release(d->sess);
	d->sess = NULL;
	d->session_dead = 0;
}

void device_free(device *d)
{
	if (!d)
		return;
	close_session(d);
	objstore_free(d->store);
	dedup_free(d->dd);
	block1_free(d->b1);
	pkg_sim_free(d->sim);
	free(d->state_file);
	OPENSSL_cleanse(d->cfg.psk_key, sizeof d->cfg.psk_key);
	free(d->server_uri);
	free(d->endpoint);
	free(d->identity);
	free(d->bind);
	free(d->version);
	free(d);
}

static int open_session(device *d)
{
	coap_address_t local, *lp = NULL;
	if (d->bind) {
		if (resolve(d->bind, 0, &local) < 0) {
			clog_msg(CLOG_ERROR, "bind-failed", "ep=%s addr=%s", d->endpoint,
			     d->bind);
			return -1;
		}
		lp = &local;
	}
	coap_context_t *ctx = client_coap(d->cl);
	if (d->proto == COAP_PROTO_DTLS) {
		coap_dtls_cpsk_t setup;
		memset(&setup, 0, sizeof setup);
		setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
		setup.psk_info.identity.s = (const uint8_t *)d->identity;
		setup.psk_info.identity.length = strlen(d->identity);
		setup.psk_info.key.s = d->cfg.psk_key;
		setup.psk_info.key.length = d->cfg.psk_key_len;
		d->sess = coap_new_client_session_psk2(ctx, lp, &d->server,
		                                       COAP_PROTO_DTLS, &setup);
	} else {
		d->sess = coap_new_client_session(ctx, lp, &d->server,
		                                  COAP_PROTO_UDP);
	}
	if (!d->sess) {
		clog_msg(CLOG_ERROR, "session-failed", "ep=%s bind=%s", d->endpoint,
		     d->bind ? d->bind : "any");
		return -1;
	}
	coap_session_set_app_data(d->sess, d);
	d->session_dead = 0;
	return 0;
}

/* ---- requests -------------------------------------------------------- */

static void add_uint_option(coap_pdu_t *pdu, uint16_t opt, unsigned v)
{
	uint8_t buf[4];
	coap_add_option(pdu, opt, coap_encode_var_safe(buf, sizeof buf, v), buf);
}

static void add_query(coap_pdu_t *pdu, const char *fmt, const char *v)
{
	char q[256];
	int n = snprintf(q, sizeof q, fmt, v);
	if (n > 0 && (size_t)n < sizeof q)
		coap_add_option(pdu, COAP_OPTION_URI_QUERY, (size_t)n,
		                (const uint8_t *)q);
}

static void add_location(coap_pdu_t *pdu, const char *loc)
{
	const char *p = loc;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n)
			coap_add_option(pdu, COAP_OPTION_URI_PATH, n,
			                (const uint8_t *)p);
		p += n;
	}
}

static void release_payload(coap_session_t *s, void *ptr)
{
	free(ptr);
}

/* Sends the request of `op`; 0 when it went out. */
static int send_op(device *d, dev_op op)
{
	uint64_t now = now_ms();
	if (d->session_dead)
		close_session(d);
	if (!d->sess && open_session(d) < 0)
		return -1;
	coap_session_t *s = d->sess;
	coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON,
	                                op == OP_DEREGISTER ? COAP_REQUEST_CODE_DELETE
	                                                    : COAP_REQUEST_CODE_POST,
	                                coap_new_message_id(s),
	                                coap_session_max_pdu_size(s));
	if (!pdu)
		return -1;
	next_token(d);
	coap_add_token(pdu, sizeof d->tok, d->tok);
	char *links = NULL;
	size_t nlinks = 0;
	int with_links = op == OP_REGISTER || (op == OP_UPDATE && d->links_dirty);
	if (op == OP_REGISTER)
		coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"rd");
	else
		add_location(pdu, d->location);
	if (with_links)
		add_uint_option(pdu, COAP_OPTION_CONTENT_FORMAT,
		                COAP_MEDIATYPE_APPLICATION_LINK_FORMAT);
	char lt[16];
	snprintf(lt, sizeof lt, "%d", d->lifetime);
	if (op == OP_REGISTER) {
		add_query(pdu, "ep=%s", d->endpoint);
		add_query(pdu, "lt=%s", lt);
		add_query(pdu, "lwm2m=%s", d->version);
		add_query(pdu, "b=%s", defaults_binding(&d->cfg));
		if (d->cfg.queue && strcmp(d->version, "1.0"))
			add_query(pdu, "%s", "Q");
	} else if (op == OP_UPDATE && d->lt_dirty) {
		add_query(pdu, "lt=%s", lt);
	}
	if (with_links) {
		if (objstore_register_links(d->store, LWM2M_CF_LWM2M_JSON, &links,
		                            &nlinks) != OBJ_OK) {
			coap_delete_pdu(pdu);
			return -1;
		}
		if (!coap_add_data_large_request(s, pdu, nlinks,
		                                 (const uint8_t *)links,
		                                 release_payload, links)) {
			free(links);
			coap_delete_pdu(pdu);
			return -1;
		}
	}
	if (coap_send(s, pdu) == COAP_INVALID_MID) {
		/* coap_send frees the PDU, and the payload via release_payload */
		d->session_dead = 1;
		return -1;
	}
	if (op == OP_UPDATE) {
		d->links_dirty = 0;
		d->lt_dirty = 0;
	}
	d->op = op;
	d->op_deadline = now + OP_DEADLINE_MS;
	clog_msg(CLOG_DEBUG, "request-sent", "ep=%s op=%s", d->endpoint, op_names[op]);
	return 0;
}

static void schedule_retry(device *d)
{
	d->backoff++;
	d->failures++;
	d->state = DEV_RETRY;
	d->retry_at = now_ms() + backoff_ms(d);
	d->session_dead = 1;
}

static void start_register(device *d)
{
	d->want_register = 0;
	d->asleep = 0;
	d->state = DEV_REGISTERING;
	/* A fresh registration states everything again. */
	d->links_dirty = 0;
	d->lt_dirty = 0;
	if (!carrier_has_coverage(d->carriers, d->ns.cur.carrier)) {
		/* No network: the Register never leaves the device. */
		clog_msg(CLOG_WARN, "register-failed", "ep=%s reason=no-coverage "
		         "carrier=\"%s\"", d->endpoint, d->ns.cur.carrier);
		close_session(d);
		schedule_retry(d);
		return;
	}
	if (send_op(d, OP_REGISTER) < 0) {
		clog_msg(CLOG_WARN, "register-failed", "ep=%s reason=send-failed",
		     d->endpoint);
		schedule_retry(d);
	}
}

static void start_update(device *d)
{
	d->want_update = 0;
	if (send_op(d, OP_UPDATE) < 0) {
		clog_msg(CLOG_WARN, "update-failed", "ep=%s reason=send-failed",
		     d->endpoint);
		d->session_dead = 1;
		d->want_register = 1;
	}
}

static void go_to_sleep(device *d)
{
	d->asleep = 1;
	d->want_wake = 0;
	close_session(d);
	d->next_wake = now_ms() + (uint64_t)wake_every_ms(d);
	clog_msg(CLOG_INFO, "sleeping", "ep=%s", d->endpoint);
}

static void wake_up(device *d)
{
	d->asleep = 0;
	d->want_wake = 0;
	d->last_traffic = now_ms();
	clog_msg(CLOG_INFO, "awake", "ep=%s", d->endpoint);
	start_update(d);
}

void device_start(device *d)
{
	if (d->state == DEV_NEW || d->state == DEV_DEREGISTERED) {
		d->state = DEV_RETRY;
		d->retry_at = 0;
		client_kick(d->cl);
	}
}

static int64_t until(uint64_t t, uint64_t now)
{
	return t > now ? (int64_t)(t - now) : 0;
}

static void fire_notify(void *arg, const lwm2m_path *p)
{
	device *d = arg;
	serve_notify_one(client_coap(d->cl), p);
}

static int64_t tick_min(int64_t a, int64_t b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

static int64_t device_tick_reg(device *d, uint64_t now);

/* The device leaves its carrier after a Load Profile: the session and the
 * registration there are gone; it attaches on the new profile's carrier
 * from an address of that carrier's range and registers again, as a real
 * device that changed its SIM profile boots its LwM2M client again. */
static void leave_carrier(device *d, uint64_t now)
{
	if (d->ns.fault.kind == NUSIM_FAULT_CRASH) {
		clog_msg(CLOG_WARN, "fault-crash", "ep=%s iccid=%s", d->endpoint,
		         d->ns.cur.iccid);
		fflush(NULL);
		_exit(3);
	}
	d->op = OP_NONE;
	close_session(d);
	d->asleep = 0;
	d->want_update = d->want_register = d->want_sleep = d->want_wake = 0;
	d->location[0] = 0;
	d->attaches++;
	if (bind_to_carrier(d, d->ns.cur.carrier) < 0)
		clog_msg(CLOG_WARN, "carrier-unknown", "ep=%s carrier=\"%s\" "
		         "reason=\"no --carrier range: the address stays\"",
		         d->endpoint, d->ns.cur.carrier);
	if (d->ns.fault.kind == NUSIM_FAULT_NEVER_RETURN) {
		clog_msg(CLOG_WARN, "fault-never-return", "ep=%s iccid=%s",
		         d->endpoint, d->ns.cur.iccid);
		d->state = DEV_DEREGISTERED;
		return;
	}
	uint64_t delay = d->ns.fault.kind == NUSIM_FAULT_LATE
	                 ? (uint64_t)d->ns.fault.arg * 1000u : 0;
	d->state = DEV_RETRY;
	d->retry_at = now + delay;
	d->backoff = 0;
	d->attach_phase = ATTACH_NEW;
	d->attach_deadline = now + delay + (uint64_t)d->cfg.attach_timeout * 1000u;
	clog_msg(CLOG_INFO, "carrier-switch", "ep=%s carrier=\"%s\" iccid=%s "
	         "bind=%s delay_ms=%llu", d->endpoint, d->ns.cur.carrier,
	         d->ns.cur.iccid, d->bind ? d->bind : "any",
	         (unsigned long long)delay);
}

/* Not attached on the new carrier in time: load the backup profile again
 * and register on its carrier, from that carrier's range. */
static void fall_back(device *d, uint64_t now)
{
	char failed[NUSIM_ICCID_MAX + 1];
	snprintf(failed, sizeof failed, "%s", d->ns.cur.iccid);
	d->op = OP_NONE;
	close_session(d);
	d->attach_deadline = 0;
	if (nusim_fallback(d->store, &d->ns) < 0) {
		/* Nothing to go back to: keep trying where we are. */
		d->attach_phase = ATTACH_NONE;
		d->ns.busy = 0;
		return;
	}
	clog_msg(CLOG_WARN, "fallback", "ep=%s from=%s iccid=%s carrier=\"%s\"",
	         d->endpoint, failed, d->ns.cur.iccid, d->ns.cur.carrier);
	save_state(d);
	d->attaches++;
	bind_to_carrier(d, d->ns.cur.carrier);
	d->attach_phase = ATTACH_FALLBACK;
	d->state = DEV_RETRY;
	d->retry_at = now;
	d->backoff = 0;
}

static int64_t nusim_tick(device *d, uint64_t now)
{
	if (d->shutting_down)
		return -1;
	if (d->state_dirty)
		save_state(d);
	if (d->leave_at) {
		if (now < d->leave_at)
			return until(d->leave_at, now);
		d->leave_at = 0;
		leave_carrier(d, now);
		return 0;
	}
	if (d->attach_phase == ATTACH_NEW && d->state != DEV_REGISTERED) {
		if (now < d->attach_deadline)
			return until(d->attach_deadline, now);
		fall_back(d, now);
		return 0;
	}
	return -1;
}

int64_t device_tick(device *d, uint64_t now)
{
	int64_t n = tick_min(nusim_tick(d, now), device_tick_reg(d, now));
	/* pmin/pmax of Write-Attributes, only while the server can hear us. */
	if (d->state == DEV_REGISTERED && !d->asleep)
		n = tick_min(n, objstore_notify_due(d->store, now, fire_notify, d));
	return n;
}

static int64_t device_tick_reg(device *d, uint64_t now)
{
	if (d->state == DEV_NEW)
		return -1;
	if (d->session_dead && d->op == OP_NONE)
		close_session(d);
	if (d->op != OP_NONE) {
		if (now < d->op_deadline)
			return until(d->op_deadline, now);
		/* libcoap gave neither answer nor NACK: count it as a timeout. */
		device_on_nack(d, NULL, COAP_NACK_TOO_MANY_RETRIES);
	}
	if (d->shutting_down) {
		if (d->state == DEV_REGISTERED && d->want_deregister) {
			d->want_deregister = 0;
			if (send_op(d, OP_DEREGISTER) < 0) {
				d->state = DEV_DEREGISTERED;
				clog_msg(CLOG_INFO, "deregistered", "ep=%s reason=send-failed",
				     d->endpoint);
			}
		}
		return -1;
	}
	if (d->want_deregister) {
		d->want_deregister = 0;
		if (d->state == DEV_REGISTERED && send_op(d, OP_DEREGISTER) == 0)
			return until(d->op_deadline, now);
		d->state = DEV_DEREGISTERED;
		return -1;
	}
	switch (d->state) {
	case DEV_RETRY:
		if (now < d->retry_at)
			return until(d->retry_at, now);
		start_register(d);
		return d->op ? until(d->op_deadline, now) : until(d->retry_at, now);
	case DEV_REGISTERED:
		break;
	default:
		return -1;
	}
	if (d->want_register) {
		start_register(d);
		return 0;
	}
	if (d->want_sleep && !d->asleep) {
		d->want_sleep = 0;
		go_to_sleep(d);
	}
	if (d->asleep) {
		if (d->want_wake || d->want_update ||
		    (!d->cfg.control && now >= d->next_wake)) {
			wake_up(d);
			return 0;
		}
		return d->cfg.control ? -1 : until(d->next_wake, now);
	}
	if (d->want_update || d->links_dirty || d->lt_dirty ||
	    now >= d->next_update) {
		start_update(d);
		return 0;
	}
	int64_t next = until(d->next_update, now);
	if (d->cfg.queue && !d->cfg.control) {
		uint64_t sleep_at = d->last_traffic + (uint64_t)d->cfg.awake * 1000u;
		if (now >= sleep_at) {
			go_to_sleep(d);
			return until(d->next_wake, now);
		}
		if (until(sleep_at, now) < next)
			next = until(sleep_at, now);
	}
	return next;
}

void device_shutdown(device *d)
{
	d->shutting_down = 1;
	if (d->state == DEV_REGISTERED) {
		d->op = OP_NONE; /* an Update in flight no longer matters */
		d->want_deregister = 1;
	}
}

int device_busy(const device *d)
{
	return d->op != OP_NONE || (d->shutting_down && d->want_deregister);
}

dev_state device_state(const device *d) { return d->state; }
int device_asleep(const device *d) { return d->asleep; }
unsigned device_failures(const device *d) { return d->failures; }
const char *device_endpoint(const device *d) { return d->endpoint; }
const char *device_location(const device *d) { return d->location; }
objstore *device_store(device *d) { return d->store; }
int device_quiet(const device *d) { return d->cfg.quiet_requests; }

dedup *device_dedup(device *d)
{
	if (!d->dd)
		d->dd = dedup_new();
	return d->dd;
}

block1_state **device_block1(device *d)
{
	return &d->b1;
}

void device_touch(device *d)
{
	d->last_traffic = now_ms();
}

void device_exec_update_trigger(device *d)
{
	d->want_update = 1;
	client_kick(d->cl);
}

const struct pkg_sim *device_sim(const device *d)
{
	return d->sim;
}

void device_exec_load_profile(device *d)
{
	int result = nusim_load(d->store, d->sim, &d->ns);
	clog_msg(CLOG_INFO, "load-profile", "ep=%s result=%d iccid=%s "
	         "carrier=\"%s\"", d->endpoint, result, d->ns.cur.iccid,
	         d->ns.cur.carrier);
	if (result != NUSIM_RESULT_OK)
		return;
	d->ns.busy = 1;
	save_state(d); /* the installed profile survives a crash */
	/* Answer first (the 2.04 and the 508/6 notification), then leave. */
	d->leave_at = now_ms() + LEAVE_DELAY_MS;
	client_kick(d->cl);
}

nusim *device_nusim(device *d)
{
	return &d->ns;
}

struct carrier_map *device_carriers(device *d)
{
	return d->carriers;
}

int device_cmd_fault(device *d, const char *fault, char *err, size_t errlen)
{
	if (nusim_fault_parse(fault, &d->ns.fault) < 0) {
		snprintf(err, errlen, "fault: none, corrupt-mac, refuse=N, "
		         "never-return, late=S, crash-after-install");
		return -1;
	}
	return 0;
}

void device_exec_reboot(device *d)
{
	clog_msg(CLOG_INFO, "reboot", "ep=%s", d->endpoint);
	/* After a reboot a device comes back from a new port and registers. */
	d->session_dead = 1;
	d->want_register = 1;
	client_kick(d->cl);
}

/* ---- control commands ------------------------------------------------ */

static int need_registered(device *d, char *err, size_t errlen)
{
	if (d->state != DEV_REGISTERED) {
		snprintf(err, errlen, "not registered");
		return -1;
	}
	return 0;
}

int device_cmd_update(device *d, char *err, size_t errlen)
{
	if (need_registered(d, err, errlen))
		return -1;
	if (d->asleep)
		d->want_wake = 1;
	else
		d->want_update = 1;
	client_kick(d->cl);
	return 0;
}

int device_cmd_register(device *d, char *err, size_t errlen)
{
	if (d->state == DEV_REGISTERED) {
		d->want_register = 1;
	} else {
		d->state = DEV_RETRY;
		d->retry_at = 0;
		d->backoff = 0;
	}
	client_kick(d->cl);
	return 0;
}

int device_cmd_deregister(device *d, char *err, size_t errlen)
{
	if (need_registered(d, err, errlen))
		return -1;
	d->op = OP_NONE;
	d->want_deregister = 1;
	client_kick(d->cl);
	return 0;
}

int device_cmd_sleep(device *d, char *err, size_t errlen)
{
	if (need_registered(d, err, errlen))
		return -1;
	/* Sleep once the request in flight (if any) has its answer. */
	if (!d->asleep) {
		d->want_sleep = 1;
		d->want_wake = 0;
		client_kick(d->cl);
	}
	return 0;
}

int device_cmd_wake(device *d, char *err, size_t errlen)
{
	if (need_registered(d, err, errlen))
		return -1;
	d->want_sleep = 0;
	if (d->asleep)
		d->want_wake = 1;
	else
		d->want_update = 1;
	client_kick(d->cl);
	return 0;
}

int device_cmd_rebind(device *d, const char *addr, char *err, size_t errlen)
{
	coap_address_t a;
	if (resolve(addr, 0, &a) < 0) {
		snprintf(err, errlen, "bad address %s", addr);
		return -1;
	}
	char *n = strdup(addr);
	if (!n) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(d->bind);
	d->bind = n;
	d->cfg.bind_addr = n;
	d->op = OP_NONE;
	d->session_dead = 1;
	d->asleep = 0;
	if (d->state == DEV_REGISTERED)
		d->want_update = 1;
	client_kick(d->cl);
	return 0;
}

/* ---- libcoap events -------------------------------------------------- */

static void code_str(uint8_t code, char out[8])
{
	snprintf(out, 8, "%u.%02u", code >> 5, code & 0x1F);
}

/* Location-Path options joined: "/rd/abc". */
static void read_location(const coap_pdu_t *pdu, char *out, size_t cap)
{
	coap_opt_iterator_t it;
	coap_opt_t *opt;
	size_t n = 0;
	out[0] = 0;
	coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
	while ((opt = coap_option_next(&it))) {
		if (it.number != COAP_OPTION_LOCATION_PATH)
			continue;
		size_t len = coap_opt_length(opt);
		if (n + 1 + len + 1 > cap)
			break;
		out[n++] = '/';
		memcpy(out + n, coap_opt_value(opt), len);
		n += len;
		out[n] = 0;
	}
}

void device_on_response(device *d, const coap_pdu_t *sent,
                        const coap_pdu_t *rcvd)
{
	coap_bin_const_t tok = coap_pdu_get_token(rcvd);
	if (d->op == OP_NONE || tok.length != sizeof d->tok ||
	    memcmp(tok.s, d->tok, sizeof d->tok))
		return;
	uint8_t code = (uint8_t)coap_pdu_get_code(rcvd);
	char cs[8];
	code_str(code, cs);
	dev_op op = d->op;
	uint64_t now = now_ms();
	d->op = OP_NONE;
	d->last_traffic = now;
	client_kick(d->cl);
	switch (op) {
	case OP_REGISTER:
		if (code == COAP_RESPONSE_CODE_CREATED) {
			char loc[sizeof d->location];
			read_location(rcvd, loc, sizeof loc);
			if (!loc[0]) {
				clog_msg(CLOG_WARN, "register-failed",
				     "ep=%s code=%s reason=no-location", d->endpoint, cs);
				schedule_retry(d);
				return;
			}
			memcpy(d->location, loc, sizeof loc);
			d->state = DEV_REGISTERED;
			d->backoff = 0;
			if (d->shutting_down)
				d->want_deregister = 1; /* stopping: leave at once */
			d->next_update = now + (uint64_t)update_interval_ms(d);
			clog_msg(CLOG_INFO, "registered", "ep=%s location=%s", d->endpoint,
			     d->location);
			if (d->attach_phase != ATTACH_NONE) {
				clog_msg(CLOG_INFO, "attached", "ep=%s iccid=%s carrier=\"%s\" "
				         "bind=%s fallback=%d", d->endpoint, d->ns.cur.iccid,
				         d->ns.cur.carrier, d->bind ? d->bind : "any",
				         d->attach_phase == ATTACH_FALLBACK);
				d->attach_phase = ATTACH_NONE;
				d->ns.busy = 0;
			}
		} else {
			clog_msg(CLOG_WARN, "register-failed", "ep=%s code=%s",
			     d->endpoint, cs);
			schedule_retry(d);
		}
		break;
	case OP_UPDATE:
		if (code == COAP_RESPONSE_CODE_CHANGED) {
			d->next_update = now + (uint64_t)update_interval_ms(d);
			/* Fleets update often: one line per device per lifetime/2
			 * would drown everything else. */
			clog_msg(d->cfg.quiet_requests ? CLOG_DEBUG : CLOG_INFO,
			         "updated", "ep=%s", d->endpoint);
		} else {
			/* The registration is gone (4.04) or refused: start over. */
			clog_msg(CLOG_WARN, "update-failed", "ep=%s code=%s", d->endpoint,
			     cs);
			d->want_register = 1;
		}
		break;
	case OP_DEREGISTER:
		d->state = DEV_DEREGISTERED;
		d->location[0] = 0;
		if (code == COAP_RESPONSE_CODE_DELETED)
			clog_msg(CLOG_INFO, "deregistered", "ep=%s", d->endpoint);
		else
			clog_msg(CLOG_WARN, "deregistered", "ep=%s code=%s", d->endpoint,
			     cs);
		break;
	default:
		break;
	}
}

static const char *nack_reason(coap_nack_reason_t r)
{
	switch (r) {
	case COAP_NACK_TOO_MANY_RETRIES: return "timeout";
	case COAP_NACK_TLS_FAILED: return "tls-failed";
	case COAP_NACK_RST: return "reset";
	case COAP_NACK_ICMP_ISSUE: return "unreachable";
	default: return "not-deliverable";
	}
}

void device_on_nack(device *d, const coap_pdu_t *sent,
                    coap_nack_reason_t reason)
{
	if (d->op == OP_NONE)
		return;
	/* Only our own requests are POST or DELETE; the token may be libcoap's
	 * internal one under block-wise (NOTES §1.4), so match on the code. */
	if (sent && reason != COAP_NACK_TLS_FAILED) {
		coap_pdu_code_t c = coap_pdu_get_code(sent);
		if (c != COAP_REQUEST_CODE_POST && c != COAP_REQUEST_CODE_DELETE)
			return;
	}
	dev_op op = d->op;
	const char *why = nack_reason(reason);
	d->op = OP_NONE;
	d->session_dead = 1;
	client_kick(d->cl);
	switch (op) {
	case OP_REGISTER:
		clog_msg(CLOG_WARN, "register-failed", "ep=%s reason=%s", d->endpoint,
		     why);
		schedule_retry(d);
		break;
	case OP_UPDATE:
		clog_msg(CLOG_WARN, "update-failed", "ep=%s reason=%s", d->endpoint, why);
		d->want_register = 1;
		break;
	case OP_DEREGISTER:
		d->state = DEV_DEREGISTERED;
		clog_msg(CLOG_WARN, "deregistered", "ep=%s reason=%s", d->endpoint, why);
		break;
	default:
		break;
	}
}

void device_on_event(device *d, coap_event_t ev)
{
	switch (ev) {
	case COAP_EVENT_DTLS_CONNECTED:
		clog_msg(CLOG_DEBUG, "dtls-connected", "ep=%s", d->endpoint);
		break;
	case COAP_EVENT_DTLS_CLOSED:
	case COAP_EVENT_DTLS_ERROR:
	case COAP_EVENT_SESSION_FAILED:
		clog_msg(CLOG_DEBUG, "session-closed", "ep=%s event=0x%x", d->endpoint,
		     (unsigned)ev);
		/* The server dropped the session: the next Update (or Register)
		 * comes on a new one. Not at once: a server that closes idle
		 * sessions would otherwise get an Update storm from a fleet, and
		 * DESIGN §4 treats a device without a session like a sleeping one. */
		d->session_dead = 1;
		client_kick(d->cl);
		break;
	default:
		break;
	}
}
