/*
 * test_server_registration.c: the registration interface on loopback,
 * in-process: a libcoap client context and the server's endpoint share
 * one loop. Register / Update / De-register, NoSec refusal, the PSK
 * identity bound to its endpoint, bad queries and payloads, retransmission
 * answered from the cache, lifetime expiry. Runs without the DM engine.
 */
#include "tests/unit/unit.h"
#include "server/coap_endpoint.h"
#include "server/registration.h"
#include "server/provision.h"
#include "server/psk.h"
#include "server/config.h"
#include "server/log.h"

#include <sys/epoll.h>
#include <unistd.h>

struct fx {
	char dir[64], dbpath[96];
	loop *l;
	db *d;
	seal_key *k;
	psk_ctx psk;
	coap_ep *ep;
	registration *reg;
	coap_context_t *cli;
	unsigned port_udp, port_dtls;
	/* last response */
	int code;
	char loc[2][40];
	int nloc;
	char diag[128];
	int done;
	int64_t wait_ms;   /* how long fx_send waits for an answer */
};

static struct fx *cur;

static coap_response_t cli_response(coap_session_t *s, const coap_pdu_t *sent,
                                    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	coap_opt_iterator_t it;
	coap_opt_t *o;
	size_t len;
	const uint8_t *data;
	cur->code = COAP_RESPONSE_CLASS(coap_pdu_get_code(rcvd)) * 100 +
	            (coap_pdu_get_code(rcvd) & 0x1f);
	cur->nloc = 0;
	coap_option_iterator_init(rcvd, &it, COAP_OPT_ALL);
	while ((o = coap_option_next(&it)))
		if (it.number == COAP_OPTION_LOCATION_PATH && cur->nloc < 2) {
			size_t n = coap_opt_length(o) < 39 ? coap_opt_length(o) : 39;
			memcpy(cur->loc[cur->nloc], coap_opt_value(o), n);
			cur->loc[cur->nloc++][n] = 0;
		}
	cur->diag[0] = 0;
	if (coap_get_data(rcvd, &len, &data) && len < sizeof cur->diag) {
		memcpy(cur->diag, data, len);
		cur->diag[len] = 0;
	}
	cur->done = 1;
	loop_stop(cur->l);
	return COAP_RESPONSE_OK;
}

static void cli_readable(void *arg, uint32_t ev)
{
	coap_io_process(arg, COAP_IO_NO_WAIT);
}

static void give_up(void *arg)
{
	loop_stop(arg);
}

static int fx_init(struct fx *f, int allow_nosec)
{
	char err[256];
	uint8_t key[32] = { 1, 2, 3 };
	unsigned p;
	char host[64];
	coap_ep_config cc = { .coap_listen = "127.0.0.1:0",
	                      .coaps_listen = "127.0.0.1:0",
	                      .session_timeout_s = 300, .max_handshakes = 100,
	                      .psk_cb = psk_lookup };
	reg_config rc;

	memset(f, 0, sizeof *f);
	cur = f;
	log_set_level(getenv("UNIT_DEBUG") ? NLOG_DEBUG : NLOG_ERROR);
	log_attach_libcoap();
	snprintf(f->dir, sizeof f->dir, "/tmp/nusimd-reg-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->dbpath, sizeof f->dbpath, "%s/t.db", f->dir);
	if (db_open(f->dbpath, &f->d, err, sizeof err) != DB_OK ||
	    seal_key_from_bytes(key, &f->k) < 0)
		return -1;
	/* "dev1" speaks DTLS as identity "id1" with key "secret1". */
	if (provision_device(f->d, f->k, "dev1", "id1", "73656372657431", err,
	                     sizeof err) != PROVISION_OK)
		return -1;
	f->l = loop_new();
	f->psk = (psk_ctx){ f->d, f->k };
	cc.psk_arg = &f->psk;
	f->ep = coap_ep_new(f->l, &cc, err, sizeof err);
	if (!f->ep)
		return -1;
	loop_add_check(f->l, psk_wipe, NULL);
	rc = (reg_config){ .l = f->l, .db = f->d, .ctx = coap_ep_context(f->ep),
	                   .allow_nosec = allow_nosec,
	                   .expiry_interval_ms = 60000 };
	f->reg = reg_new(&rc, err, sizeof err);
	coap_ep_on_session_end(f->ep, reg_session_gone, f->reg);
	config_split_hostport(coap_ep_bound(f->ep, 0), host, sizeof host, &p);
	f->port_udp = p;
	config_split_hostport(coap_ep_bound(f->ep, 1), host, sizeof host, &p);
	f->port_dtls = p;
	f->cli = coap_new_context(NULL);
	coap_register_response_handler(f->cli, cli_response);
	loop_add_fd(f->l, coap_context_get_coap_fd(f->cli), EPOLLIN, cli_readable,
	            f->cli);
	return f->reg ? 0 : -1;
}

static void fx_free(struct fx *f)
{
	char cmd[160];
	loop_del_fd(f->l, coap_context_get_coap_fd(f->cli));
	coap_free_context(f->cli);
	reg_free(f->reg);
	coap_ep_free(f->ep);
	loop_free(f->l);
	seal_key_free(f->k);
	db_close(f->d);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", f->dir);
}

static coap_session_t *fx_session(struct fx *f, int dtls, const char *id,
                                  const char *key)
{
	coap_address_t a;
	coap_address_init(&a);
	a.addr.sin.sin_family = AF_INET;
	a.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.addr.sin.sin_port = htons(dtls ? f->port_dtls : f->port_udp);
	a.size = sizeof a.addr.sin;
	if (!dtls)
		return coap_new_client_session(f->cli, NULL, &a, COAP_PROTO_UDP);
	coap_dtls_cpsk_t cp;
	memset(&cp, 0, sizeof cp);
	cp.version = COAP_DTLS_CPSK_SETUP_VERSION;
	cp.psk_info.identity.s = (const uint8_t *)id;
	cp.psk_info.identity.length = strlen(id);
	cp.psk_info.key.s = (const uint8_t *)key;
	cp.psk_info.key.length = strlen(key);
	return coap_new_client_session_psk2(f->cli, NULL, &a, COAP_PROTO_DTLS, &cp);
}

/* Sends a request: method, path segments split on '/', query options
 * split on '&', payload; fixed MID when mid >= 0. Waits for the answer. */
static int fx_send(struct fx *f, coap_session_t *s, coap_pdu_code_t method,
                   const char *path, const char *query, const char *payload,
                   int mid)
{
	coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, method,
	                                mid >= 0 ? (coap_mid_t)mid :
	                                coap_new_message_id(s),
	                                coap_session_max_pdu_size(s));
	char buf[256], *save, *tok;
	uint8_t cf[4];
	loop_timer *t;

	coap_add_token(pdu, 2, (const uint8_t *)"tk");
	snprintf(buf, sizeof buf, "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
		coap_add_option(pdu, COAP_OPTION_URI_PATH, strlen(tok),
		                (const uint8_t *)tok);
	if (payload)
		coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
		                coap_encode_var_safe(cf, sizeof cf, 40), cf);
	if (query) {
		snprintf(buf, sizeof buf, "%s", query);
		for (tok = strtok_r(buf, "&", &save); tok;
		     tok = strtok_r(NULL, "&", &save))
			coap_add_option(pdu, COAP_OPTION_URI_QUERY, strlen(tok),
			                (const uint8_t *)tok);
	}
	if (payload)
		coap_add_data(pdu, strlen(payload), (const uint8_t *)payload);
	f->done = 0;
	f->code = 0;
	if (coap_send(s, pdu) == COAP_INVALID_MID)
		return -1;
	t = loop_timer_add(f->l, f->wait_ms ? f->wait_ms : 5000, give_up, f->l);
	loop_run(f->l);
	if (f->done)
		loop_timer_cancel(f->l, t);
	return f->done ? f->code : -1;
}

TEST(nosec_refused_unless_allowed)
{
	struct fx f;
	coap_session_t *s;
	CHECK_EQ_INT(fx_init(&f, 0), 0);
	s = fx_session(&f, 0, NULL, NULL);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=x1&lt=60&lwm2m=1.1", "</3/0>", -1), 403);
	CHECK(strstr(f.diag, "NoSec") != NULL);
	coap_session_release(s);
	fx_free(&f);
}

TEST(register_update_deregister_udp)
{
	struct fx f;
	coap_session_t *s;
	db_registration r;
	char path[64];
	CHECK_EQ_INT(fx_init(&f, 1), 0);
	s = fx_session(&f, 0, NULL, NULL);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=x1&lt=60&lwm2m=1.1&b=U", "</3/0>,</1/0>", -1), 201);
	CHECK_EQ_INT(f.nloc, 2);
	CHECK_EQ_STR(f.loc[0], "rd");
	CHECK_EQ_INT(strlen(f.loc[1]), 32);
	CHECK_EQ_INT(db_reg_get(f.d, "x1", &r), DB_OK);
	CHECK_EQ_STR(r.reg_id, f.loc[1]);
	CHECK_EQ_INT(r.lifetime, 60);
	CHECK_EQ_STR(r.transport, "udp");
	CHECK_EQ_STR(r.links, "</3/0>,</1/0>");
	db_registration_clear(&r);

	snprintf(path, sizeof path, "rd/%s", f.loc[1]);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, path, "lt=120",
	                     "</3/0>", -1), 204);
	CHECK_EQ_INT(db_reg_get(f.d, "x1", &r), DB_OK);
	CHECK_EQ_INT(r.lifetime, 120);
	CHECK_EQ_STR(r.links, "</3/0>");
	db_registration_clear(&r);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST,
	                     "rd/00000000000000000000000000000000", NULL, NULL,
	                     -1), 404);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_DELETE, "rd/bogus", NULL,
	                     NULL, -1), 404);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_DELETE, path, NULL, NULL,
	                     -1), 202);
	CHECK_EQ_INT(db_reg_get(f.d, "x1", &r), DB_NOT_FOUND);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_DELETE, path, NULL, NULL,
	                     -1), 404);
	coap_session_release(s);
	fx_free(&f);
}

TEST(bad_register_requests_get_400_with_reason)
{
	struct fx f;
	coap_session_t *s;
	int64_t n = -1;
	CHECK_EQ_INT(fx_init(&f, 1), 0);
	s = fx_session(&f, 0, NULL, NULL);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "lt=60&lwm2m=1.1", "</3/0>", -1), 400);
	CHECK(strstr(f.diag, "ep") != NULL);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=a&lwm2m=9.9", "</3/0>", -1), 400);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=a&lt=0", "</3/0>", -1), 400);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=a&lt=60", "</3/0", -1), 400);
	CHECK(strstr(f.diag, "link") != NULL);
	CHECK_EQ_INT(db_reg_count(f.d, &n), DB_OK);
	CHECK_EQ_INT(n, 0);                       /* nothing stored */
	coap_session_release(s);
	fx_free(&f);
}

TEST(nosec_cannot_take_over_psk_endpoint)
{
	struct fx f;
	coap_session_t *s;
	CHECK_EQ_INT(fx_init(&f, 1), 0);
	s = fx_session(&f, 0, NULL, NULL);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=dev1&lt=60&lwm2m=1.1", "</3/0>", -1), 403);
	coap_session_release(s);
	fx_free(&f);
}

TEST(dtls_identity_bound_to_endpoint)
{
	struct fx f;
	coap_session_t *s;
	db_registration r;
	CHECK_EQ_INT(fx_init(&f, 0), 0);
	s = fx_session(&f, 1, "id1", "secret1");
	CHECK(s != NULL);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=other&lt=60&lwm2m=1.1", "</3/0>", -1), 403);
	CHECK_EQ_INT(db_reg_get(f.d, "other", &r), DB_NOT_FOUND);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=dev1&lt=60&lwm2m=1.2", "</3/0>", -1), 201);
	CHECK_EQ_INT(db_reg_get(f.d, "dev1", &r), DB_OK);
	CHECK_EQ_STR(r.transport, "dtls");
	CHECK_EQ_STR(r.psk_identity, "id1");
	db_registration_clear(&r);
	coap_session_release(s);
	fx_free(&f);
}

/* A raw CON POST /rd?ep=r1&lt=60 with a given MID, as a device that
 * lost our ACK would send it again. */
static size_t raw_register(uint8_t *b, uint16_t mid)
{
	static const uint8_t tail[] = {
		0xb2, 'r', 'd',                       /* Uri-Path (11) "rd" */
		0x11, 0x28,                           /* Content-Format 40 */
		0x35, 'e', 'p', '=', 'r', '1',        /* Uri-Query (15) */
		0x05, 'l', 't', '=', '6', '0',
		0xff, '<', '/', '3', '/', '0', '>',
	};
	b[0] = 0x42;                              /* ver 1, CON, TKL 2 */
	b[1] = 0x02;                              /* POST */
	b[2] = (uint8_t)(mid >> 8);
	b[3] = (uint8_t)mid;
	b[4] = 'r';
	b[5] = 't';
	memcpy(b + 6, tail, sizeof tail);
	return 6 + sizeof tail;
}

/* Sends pkt from fd and runs the loop until the answer is readable. */
static ssize_t raw_exchange(struct fx *f, int fd, const uint8_t *pkt,
                            size_t n, uint8_t *resp, size_t cap)
{
	struct sockaddr_in a = { 0 };
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(f->port_udp);
	if (sendto(fd, pkt, n, 0, (struct sockaddr *)&a, sizeof a) != (ssize_t)n)
		return -1;
	for (int i = 0; i < 200; i++) {
		ssize_t r = recv(fd, resp, cap, MSG_DONTWAIT);
		if (r > 0)
			return r;
		loop_timer_add(f->l, 5, give_up, f->l);
		loop_run(f->l);
	}
	return -1;
}

TEST(retransmitted_register_gets_same_location)
{
	struct fx f;
	uint8_t pkt[64], r1[128], r2[128], r3[128];
	ssize_t n1, n2, n3;
	size_t n;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int64_t count = 0;
	CHECK(fd >= 0);
	CHECK_EQ_INT(fx_init(&f, 1), 0);
	n = raw_register(pkt, 0x4242);
	n1 = raw_exchange(&f, fd, pkt, n, r1, sizeof r1);
	n2 = raw_exchange(&f, fd, pkt, n, r2, sizeof r2);
	CHECK(n1 > 6);
	CHECK_EQ_INT(r1[1], 0x41);                /* 2.01 */
	CHECK_EQ_INT(n1, n2);
	CHECK_EQ_MEM(r1, r2, (size_t)n1);        /* same location, same id */
	CHECK_EQ_INT(db_reg_count(f.d, &count), DB_OK);
	CHECK_EQ_INT(count, 1);
	n = raw_register(pkt, 0x4243);            /* a new Register replaces */
	n3 = raw_exchange(&f, fd, pkt, n, r3, sizeof r3);
	CHECK_EQ_INT(n3, n1);
	CHECK_EQ_INT(r3[1], 0x41);
	CHECK(memcmp(r3 + 6, r1 + 6, (size_t)n1 - 6) != 0);
	close(fd);
	fx_free(&f);
}

TEST(update_from_new_port_moves_registration)
{
	struct fx f;
	coap_session_t *a, *b;
	db_registration r;
	char path[64], addr1[64];
	CHECK_EQ_INT(fx_init(&f, 1), 0);
	a = fx_session(&f, 0, NULL, NULL);
	b = fx_session(&f, 0, NULL, NULL);       /* another source port */
	CHECK_EQ_INT(fx_send(&f, a, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=m1&lt=60&b=UQ", "</3/0>", -1), 201);
	snprintf(path, sizeof path, "rd/%s", f.loc[1]);
	CHECK_EQ_INT(db_reg_get(f.d, "m1", &r), DB_OK);
	CHECK_EQ_INT(r.queue_mode, 1);
	snprintf(addr1, sizeof addr1, "%s", r.addr);
	db_registration_clear(&r);
	CHECK_EQ_INT(fx_send(&f, b, COAP_REQUEST_CODE_POST, path, NULL, NULL, -1),
	             204);
	CHECK_EQ_INT(db_reg_get(f.d, "m1", &r), DB_OK);
	CHECK(strcmp(r.addr, addr1) != 0);
	CHECK_EQ_STR(r.links, "</3/0>");         /* no payload keeps the links */
	db_registration_clear(&r);
	coap_session_release(a);
	coap_session_release(b);
	fx_free(&f);
}

TEST(dtls_device_on_new_session_closes_the_old_one)
{
	struct fx f;
	coap_session_t *a, *b;
	db_registration r;
	char path[64];
	CHECK_EQ_INT(fx_init(&f, 0), 0);
	a = fx_session(&f, 1, "id1", "secret1");
	CHECK_EQ_INT(fx_send(&f, a, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=dev1&lt=60", "</3/0>", -1), 201);
	snprintf(path, sizeof path, "rd/%s", f.loc[1]);
	b = fx_session(&f, 1, "id1", "secret1");  /* e.g. after a NAT rebind */
	CHECK_EQ_INT(fx_send(&f, b, COAP_REQUEST_CODE_POST, path, "lt=90", NULL,
	                     -1), 204);
	CHECK_EQ_INT(db_reg_get(f.d, "dev1", &r), DB_OK);
	CHECK_EQ_INT(r.lifetime, 90);
	db_registration_clear(&r);
	/* Let the 0 ms timer run: the server closes the old DTLS session
	 * (close_notify), and the device can handshake again at once from
	 * the same address and port instead of being locked out. */
	f.wait_ms = 300;
	fx_send(&f, b, COAP_REQUEST_CODE_POST, path, NULL, NULL, -1);
	CHECK(coap_session_get_state(a) != COAP_SESSION_STATE_ESTABLISHED);
	f.wait_ms = 0;
	CHECK_EQ_INT(fx_send(&f, a, COAP_REQUEST_CODE_POST, path, NULL, NULL, -1),
	             204);
	coap_session_release(a);
	coap_session_release(b);
	fx_free(&f);
}

TEST(lifetime_expiry_removes_registration)
{
	struct fx f;
	coap_session_t *s;
	db_registration r;
	CHECK_EQ_INT(fx_init(&f, 1), 0);
	s = fx_session(&f, 0, NULL, NULL);
	CHECK_EQ_INT(fx_send(&f, s, COAP_REQUEST_CODE_POST, "rd",
	                     "ep=e1&lt=1", "</3/0>", -1), 201);
	CHECK_EQ_INT(reg_expire_now(f.reg), 0);
	sleep(2);
	CHECK_EQ_INT(reg_expire_now(f.reg), 1);
	CHECK_EQ_INT(db_reg_get(f.d, "e1", &r), DB_NOT_FOUND);
	coap_session_release(s);
	fx_free(&f);
}

UNIT_MAIN
