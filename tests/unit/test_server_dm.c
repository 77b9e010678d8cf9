/*
 * test_server_dm.c: the DM engine against real libcoap on loopback. One
 * process holds a server context (the engine's side: an "rd" resource that
 * hands over the server session, response and NACK handlers forwarding to
 * the engine) and a client context playing the device (unknown-resource
 * handlers answering GET/PUT/POST/DELETE, one observable resource), both
 * driven by the real event loop, with a real SQLite file.
 */
#include <sys/epoll.h>

#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"

#include "server/dm_engine.h"
#include "server/log.h"
#include "server/loop.h"

/* ---- the device side --------------------------------------------------- */

static struct {
	int requests;            /* requests that reached the device */
	coap_pdu_code_t method;
	char path[64];
	char query[256];
	int nquery;              /* Uri-Query options */
	int format;
	int accept;
	uint8_t body[70000];
	size_t body_len;
	int value;               /* of the observable resource */
	uint8_t token[8];        /* of the last request */
	size_t toklen;
} dev;

static void dev_note(const coap_pdu_t *req, const coap_string_t *query)
{
	dev.requests++;
	dev.method = coap_pdu_get_code(req);
	coap_bin_const_t t = coap_pdu_get_token(req);
	dev.toklen = t.length < sizeof dev.token ? t.length : sizeof dev.token;
	memcpy(dev.token, t.s, dev.toklen);
	coap_string_t *p = coap_get_uri_path(req);
	snprintf(dev.path, sizeof dev.path, "%.*s", p ? (int)p->length : 0,
	         p ? (const char *)p->s : "");
	coap_delete_string(p);
	snprintf(dev.query, sizeof dev.query, "%.*s",
	         query ? (int)query->length : 0,
	         query ? (const char *)query->s : "");
	coap_opt_iterator_t it;
	coap_opt_t *o;
	dev.nquery = 0;
	coap_option_iterator_init(req, &it, COAP_OPT_ALL);
	while ((o = coap_option_next(&it)))
		if (it.number == COAP_OPTION_URI_QUERY)
			dev.nquery++;
	o = coap_check_option(req, COAP_OPTION_CONTENT_FORMAT, &it);
	dev.format = o ? (int)coap_decode_var_bytes(coap_opt_value(o),
	                                             coap_opt_length(o)) : -1;
	o = coap_check_option(req, COAP_OPTION_ACCEPT, &it);
	dev.accept = o ? (int)coap_decode_var_bytes(coap_opt_value(o),
	                                             coap_opt_length(o)) : -1;
	size_t len = 0, off = 0, total = 0;
	const uint8_t *data = NULL;
	dev.body_len = 0;
	if (coap_get_data_large(req, &len, &data, &off, &total) &&
	    len <= sizeof dev.body) {
		memcpy(dev.body, data, len);
		dev.body_len = len;
	}
}

static void reply_text(coap_pdu_t *resp, int code, int cf, const char *text)
{
	uint8_t buf[4];
	coap_pdu_set_code(resp, (coap_pdu_code_t)COAP_RESPONSE_CODE(code));
	if (text) {
		coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
		                coap_encode_var_safe(buf, sizeof buf, (unsigned)cf),
		                buf);
		coap_add_data(resp, strlen(text), (const uint8_t *)text);
	}
}

static void dev_get(coap_resource_t *r, coap_session_t *s,
                    const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp)
{
	dev_note(req, q);
	if (dev.accept == 40)
		reply_text(resp, 205, 40, "</3/0/1>,</3/0/13>");
	else
		reply_text(resp, 205, 0, "hello");
}

static void dev_put(coap_resource_t *r, coap_session_t *s,
                    const coap_pdu_t *req, const coap_string_t *q,
                    coap_pdu_t *resp)
{
	dev_note(req, q);
	reply_text(resp, 204, 0, NULL);
}

static void dev_post(coap_resource_t *r, coap_session_t *s,
                     const coap_pdu_t *req, const coap_string_t *q,
                     coap_pdu_t *resp)
{
	dev_note(req, q);
	reply_text(resp, strchr(dev.path, '/') ? 204 : 201, 0, NULL);
}

static void dev_delete(coap_resource_t *r, coap_session_t *s,
                       const coap_pdu_t *req, const coap_string_t *q,
                       coap_pdu_t *resp)
{
	dev_note(req, q);
	reply_text(resp, 202, 0, NULL);
}

static void dev_observed(coap_resource_t *r, coap_session_t *s,
                         const coap_pdu_t *req, const coap_string_t *q,
                         coap_pdu_t *resp)
{
	char v[16];
	if (req)
		dev_note(req, q);
	snprintf(v, sizeof v, "%d", dev.value);
	reply_text(resp, 205, 0, v);
}

/* ---- the harness -------------------------------------------------------- */

static struct {
	loop *l;
	db *d;
	dm *e;
	coap_context_t *sctx, *cctx;
	coap_session_t *csess;   /* the device's client session */
	coap_session_t *ssess;   /* the server-side session, referenced */
	coap_resource_t *obsres;
	int cfd, device_io;      /* device fd in the loop */
	int sfd;                 /* server fd */
	unsigned sport;          /* server port */
	int dtls;                /* CoAP over DTLS with a PSK */
	int reuse_local;         /* the device comes back on the same port */
	coap_address_t local;
	/* results */
	int ncb;
	dm_result last;
	uint8_t last_payload[70000];
	char last_error[128];
	int nnotify;
	char notify_payload[64];
	int64_t submit_in_cb;    /* re-entrancy check */
	int64_t order[16];       /* request IDs in callback order */
} h;

static coap_response_t srv_response(coap_session_t *s, const coap_pdu_t *sent,
                                    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	return dm_on_response(h.e, s, sent, rcvd, mid);
}

static void srv_nack(coap_session_t *s, const coap_pdu_t *sent,
                     const coap_nack_reason_t reason, const coap_mid_t mid)
{
	dm_on_nack(h.e, s, sent, reason, mid);
}

static void srv_rd(coap_resource_t *r, coap_session_t *s,
                   const coap_pdu_t *req, const coap_string_t *q,
                   coap_pdu_t *resp)
{
	if (h.ssess != s) {
		if (h.ssess)
			coap_session_release(h.ssess);
		h.ssess = coap_session_reference(s);
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CREATED);
}

static void io_cb(void *arg, uint32_t events)
{
	coap_io_process(arg, COAP_IO_NO_WAIT);
}

static int *wait_flag;
static int64_t wait_until;

static void tick(void *arg)
{
	if ((wait_flag && *wait_flag) || loop_now_ms() >= wait_until) {
		loop_stop(h.l);
		return;
	}
	loop_timer_add(h.l, 5, tick, NULL);
}

/* Runs the loop until *flag is non-zero (or for ms when flag is NULL). */
static int run_until(int *flag, int64_t ms)
{
	wait_flag = flag;
	wait_until = loop_now_ms() + ms;
	loop_timer_add(h.l, 0, tick, NULL);
	loop_run(h.l);
	return flag ? *flag : 1;
}

static void on_result(void *arg, const dm_result *r)
{
	if (h.ncb < 16)
		h.order[h.ncb] = r->id;
	h.ncb++;
	h.last = *r;
	if (r->len)
		memcpy(h.last_payload, r->payload, r->len < sizeof h.last_payload
		                                   ? r->len : sizeof h.last_payload);
	snprintf(h.last_error, sizeof h.last_error, "%s", r->error);
	h.last.payload = h.last_payload;
	h.last.error = h.last_error;
}

static void on_notify(void *arg, const char *ep, const char *path, int code,
                      int active, lwm2m_format f, const uint8_t *p, size_t n)
{
	h.nnotify++;
	snprintf(h.notify_payload, sizeof h.notify_payload, "%.*s", (int)n,
	         (const char *)p);
}

static int add_reg(const char *ep)
{
	db_registration r;
	memset(&r, 0, sizeof r);
	snprintf(r.endpoint, sizeof r.endpoint, "%s", ep);
	snprintf(r.reg_id, sizeof r.reg_id, "id%s", ep);
	snprintf(r.version, sizeof r.version, "1.1");
	snprintf(r.binding, sizeof r.binding, "U");
	r.lifetime = 600;
	r.links = "</3/0>";
	snprintf(r.addr, sizeof r.addr, "127.0.0.1:1");
	snprintf(r.transport, sizeof r.transport, "udp");
	r.registered_at = r.updated_at = loop_wall_s();
	r.expires_at = r.updated_at + r.lifetime;
	return db_reg_put(h.d, &r) == DB_OK ? 0 : -1;
}

static void new_engine(int64_t timeout_ms, int64_t awake_ms)
{
	dm_config cfg = { .request_timeout_ms = timeout_ms, .queue_ttl_s = 60,
	                  .awake_ms = awake_ms };
	h.e = dm_new(h.l, h.d, h.sctx, &cfg);
	dm_set_notify_cb(h.e, on_notify, NULL);
}

static void loopback(coap_address_t *a, unsigned port)
{
	coap_address_init(a);
	a->addr.sin.sin_family = AF_INET;
	a->addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->addr.sin.sin_port = htons((uint16_t)port);
	a->size = sizeof a->addr.sin;
}

/* The server's context on 127.0.0.1:port (0 = any); returns the port. */
static unsigned make_server(unsigned port)
{
	coap_address_t a;
	loopback(&a, port);
	h.sctx = coap_new_context(NULL);
	coap_context_set_block_mode(h.sctx, COAP_BLOCK_USE_LIBCOAP |
	                                    COAP_BLOCK_SINGLE_BODY);
	if (h.dtls) {
		coap_dtls_spsk_t sp;
		memset(&sp, 0, sizeof sp);
		sp.version = COAP_DTLS_SPSK_SETUP_VERSION;
		sp.psk_info.key.s = (const uint8_t *)"0123456789abcdef";
		sp.psk_info.key.length = 16;
		if (!coap_context_set_psk2(h.sctx, &sp))
			return 0;
	}
	coap_endpoint_t *ep = coap_new_endpoint(h.sctx, &a, h.dtls ?
	                                        COAP_PROTO_DTLS : COAP_PROTO_UDP);
	if (!ep)
		return 0;
	coap_register_response_handler(h.sctx, srv_response);
	coap_register_nack_handler(h.sctx, srv_nack);
	coap_resource_t *rd = coap_resource_init(coap_make_str_const("rd"), 0);
	coap_register_request_handler(rd, COAP_REQUEST_POST, srv_rd);
	coap_add_resource(h.sctx, rd);
	const char *bs = strrchr(coap_endpoint_str(ep), ':');
	if (!bs || sscanf(bs + 1, "%u", &port) != 1)
		return 0;
	h.sport = port;
	h.sfd = coap_context_get_coap_fd(h.sctx);
	loop_add_fd(h.l, h.sfd, EPOLLIN, io_cb, h.sctx);
	return port;
}

/* The device's client session toward the server, from an ephemeral port. */
static int device_session(void)
{
	coap_address_t a, *local = h.reuse_local ? &h.local : NULL;
	loopback(&a, h.sport);
	if (h.dtls) {
		coap_dtls_cpsk_t cp;
		memset(&cp, 0, sizeof cp);
		cp.version = COAP_DTLS_CPSK_SETUP_VERSION;
		cp.psk_info.identity.s = (const uint8_t *)"ep1";
		cp.psk_info.identity.length = 3;
		cp.psk_info.key.s = (const uint8_t *)"0123456789abcdef";
		cp.psk_info.key.length = 16;
		h.csess = coap_new_client_session_psk2(h.cctx, local, &a,
		                                       COAP_PROTO_DTLS, &cp);
	} else {
		h.csess = coap_new_client_session(h.cctx, local, &a,
		                                  COAP_PROTO_UDP);
	}
	return h.csess ? 0 : -1;
}

/* The device's POST /rd: gives the server its session (h.ssess). */
static int device_register(void)
{
	coap_session_t *before = h.ssess;
	coap_pdu_t *reg = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST,
	                                coap_new_message_id(h.csess),
	                                coap_session_max_pdu_size(h.csess));
	coap_add_option(reg, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"rd");
	coap_send(h.csess, reg);
	for (int i = 0; i < 200 && (!h.ssess || h.ssess == before); i++)
		run_until(NULL, 10);
	return h.ssess && h.ssess != before ? 0 : -1;
}

/* A fresh database, both contexts, the device "registered" (its POST /rd
 * reached the server, whose session we hold), a new engine. */
static int setup_proto(int64_t timeout_ms, int64_t awake_ms, int dtls)
{
	memset(&h, 0, sizeof h);
	h.dtls = dtls;
	memset(&dev, 0, sizeof dev);
	log_set_level(getenv("DM_DEBUG") ? NLOG_DEBUG : NLOG_ERROR);
	h.l = loop_new();
	h.d = fx_open();
	if (!h.l || !h.d || add_reg("ep1") < 0)
		return -1;

	unsigned port = make_server(0);
	if (!port)
		return -1;
	coap_address_t a;
	loopback(&a, 0);

	h.cctx = coap_new_context(NULL);
	coap_context_set_block_mode(h.cctx, COAP_BLOCK_USE_LIBCOAP |
	                                    COAP_BLOCK_SINGLE_BODY);
	coap_resource_t *u = coap_resource_unknown_init2(dev_put, 0);
	coap_register_request_handler(u, COAP_REQUEST_GET, dev_get);
	coap_register_request_handler(u, COAP_REQUEST_POST, dev_post);
	coap_register_request_handler(u, COAP_REQUEST_DELETE, dev_delete);
	coap_add_resource(h.cctx, u);
	h.obsres = coap_resource_init(coap_make_str_const("3/0/13"), 0);
	coap_register_request_handler(h.obsres, COAP_REQUEST_GET, dev_observed);
	coap_resource_set_get_observable(h.obsres, 1);
	coap_add_resource(h.cctx, h.obsres);

	h.sport = port;
	if (device_session() < 0)
		return -1;

	h.cfd = coap_context_get_coap_fd(h.cctx);
	loop_add_fd(h.l, h.cfd, EPOLLIN, io_cb, h.cctx);
	h.device_io = 1;

	if (device_register() < 0)
		return -1;
	new_engine(timeout_ms, awake_ms);
	return h.e ? 0 : -1;
}

static int setup(int64_t timeout_ms, int64_t awake_ms)
{
	return setup_proto(timeout_ms, awake_ms, 0);
}

static void device_deaf(void)
{
	if (h.device_io)
		loop_del_fd(h.l, h.cfd);
	h.device_io = 0;
}

static void teardown(void)
{
	dm_free(h.e);
	h.e = NULL;
	if (h.ssess)
		coap_session_release(h.ssess);
	if (h.csess)
		coap_session_release(h.csess);
	if (h.cctx)
		coap_free_context(h.cctx);
	if (h.sctx)
		coap_free_context(h.sctx);
	loop_free(h.l);
	fx_cleanup();
}

static dm_request req_of(dm_op op, const char *path)
{
	dm_request r;
	memset(&r, 0, sizeof r);
	r.op = op;
	lwm2m_path_parse(path, strlen(path), &r.path);
	r.format = LWM2M_CF_NONE;
	r.accept = LWM2M_CF_NONE;
	return r;
}

/* ---- cases ---------------------------------------------------------------- */

TEST(read_gets_205_and_payload)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t id = 0;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.id, id);
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	CHECK_EQ_INT(h.last.coap_code, 205);
	CHECK_EQ_INT(h.last.format, LWM2M_CF_TEXT);
	CHECK_EQ_INT(h.last.len, 5);
	CHECK_EQ_MEM(h.last.payload, "hello", 5);
	CHECK_EQ_STR(dev.path, "3/0/1");
	CHECK_EQ_INT(dev.method, COAP_REQUEST_CODE_GET);
	db_request row;
	memset(&row, 0, sizeof row);
	CHECK(db_request_get(h.d, id, &row) == DB_OK);
	CHECK_EQ_INT(row.state, DB_REQ_DONE);
	CHECK_EQ_INT(row.coap_code, 205);
	CHECK_EQ_INT(row.resp_len, 5);
	db_request_clear(&row);
	/* The callback fired once, even with more loop turns. */
	run_until(NULL, 100);
	CHECK_EQ_INT(h.ncb, 1);
	dm_stats st;
	dm_get_stats(h.e, &st);
	CHECK_EQ_INT(st.sent, 1);
	CHECK_EQ_INT(st.answered, 1);
	CHECK_EQ_INT(st.in_flight, 0);
	teardown();
}

TEST(op_table_rejects_bad_requests)
{
	CHECK(setup(2000, 5000) == 0);
	int64_t id = 0;
	dm_request r = req_of(DM_READ, "/3/0/1");
	CHECK_EQ_INT(dm_submit(h.e, "nobody", &r, NULL, NULL, &id),
	             DM_SUBMIT_NO_DEVICE);
	r = req_of(DM_EXECUTE, "/3/0");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	r = req_of(DM_CREATE, "/3/0");
	r.payload = (const uint8_t *)"x";
	r.len = 1;
	r.format = LWM2M_CF_TLV;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	r = req_of(DM_DELETE, "/3");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	r = req_of(DM_WRITE_ATTRIBUTES, "/3/0/1");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	r.query = "pmin=1&&pmax=2";
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	r = req_of(DM_WRITE, "/3/0/1");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	static uint8_t big[LWM2M_MAX_PAYLOAD + 1];
	r.payload = big;
	r.len = sizeof big;
	r.format = LWM2M_CF_OPAQUE;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	r.len = 4;
	r.format = LWM2M_CF_NONE;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	r = req_of(DM_READ, "/");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_BAD);
	CHECK_EQ_STR(dm_op_name(DM_WRITE_ATTRIBUTES), "write-attributes");
	/* Nothing was stored. */
	int64_t n = -1;
	CHECK(db_request_count_state(h.d, DB_REQ_QUEUED, &n) == DB_OK);
	CHECK_EQ_INT(n, 0);
	teardown();
}

TEST(queued_until_awake_then_sent)
{
	CHECK(setup(2000, 5000) == 0);
	dm_request r = req_of(DM_READ, "/3/0/2");
	int64_t id = 0;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_QUEUED);
	run_until(NULL, 200);
	CHECK_EQ_INT(h.ncb, 0);
	CHECK_EQ_INT(dev.requests, 0);
	db_request row;
	memset(&row, 0, sizeof row);
	CHECK(db_request_get(h.d, id, &row) == DB_OK);
	CHECK_EQ_INT(row.state, DB_REQ_QUEUED);
	db_request_clear(&row);
	dm_device_awake(h.e, "ep1", h.ssess, 1);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.id, id);
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	CHECK_EQ_STR(dev.path, "3/0/2");
	teardown();
}

TEST(requests_go_one_at_a_time_in_order)
{
	CHECK(setup(2000, 5000) == 0);
	int64_t ids[3];
	const char *paths[3] = { "/3/0/1", "/3/0/2", "/3/0/3" };
	for (int i = 0; i < 3; i++) {
		dm_request r = req_of(DM_READ, paths[i]);
		CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &ids[i]),
		             DM_SUBMIT_QUEUED);
	}
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	dm_stats st;
	dm_get_stats(h.e, &st);
	CHECK_EQ_INT(st.in_flight, 1);
	for (int t = 0; t < 300 && h.ncb < 3; t++)
		run_until(NULL, 10);
	CHECK_EQ_INT(h.ncb, 3);
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(h.order[i], ids[i]);
	CHECK_EQ_INT(dev.requests, 3);
	CHECK_EQ_STR(dev.path, "3/0/3");
	teardown();
}

TEST(timeout_fails_request)
{
	CHECK(setup(800, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	device_deaf();
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t id = 0;
	int64_t t0 = loop_now_ms();
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK(loop_now_ms() - t0 >= 700);
	CHECK_EQ_INT(h.last.state, DB_REQ_FAILED);
	CHECK_EQ_STR(h.last.error, "timeout");
	db_request row;
	memset(&row, 0, sizeof row);
	CHECK(db_request_get(h.d, id, &row) == DB_OK);
	CHECK_EQ_INT(row.state, DB_REQ_FAILED);
	CHECK_EQ_STR(row.error, "timeout");
	db_request_clear(&row);
	teardown();
}

TEST(write_3k_goes_blockwise)
{
	CHECK(setup(3000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	static uint8_t body[3072];
	for (size_t i = 0; i < sizeof body; i++)
		body[i] = (uint8_t)(i * 7 + 3);
	dm_request r = req_of(DM_WRITE, "/507/0/0");
	r.payload = body;
	r.len = sizeof body;
	r.format = LWM2M_CF_OPAQUE;
	int64_t id = 0;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 4000));
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	CHECK_EQ_INT(h.last.coap_code, 204);
	CHECK_EQ_INT(dev.method, COAP_REQUEST_CODE_PUT);
	CHECK_EQ_INT(dev.format, LWM2M_CF_OPAQUE);
	CHECK_EQ_INT(dev.body_len, sizeof body);
	CHECK_EQ_MEM(dev.body, body, sizeof body);
	/* One request at the device: the blocks were reassembled. */
	CHECK_EQ_INT(dev.requests, 1);
	teardown();
}

TEST(methods_options_and_queries)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	int64_t id;
	dm_request r = req_of(DM_WRITE_ATTRIBUTES, "/3/0/14");
	r.query = "pmin=10&pmax=60";
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.coap_code, 204);
	CHECK_EQ_INT(dev.method, COAP_REQUEST_CODE_PUT);
	CHECK_EQ_INT(dev.nquery, 2);
	CHECK_EQ_STR(dev.query, "pmin=10&pmax=60");
	CHECK_EQ_INT(dev.body_len, 0);

	h.ncb = 0;
	r = req_of(DM_DISCOVER, "/3/0");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(dev.accept, 40);
	CHECK_EQ_INT(h.last.format, LWM2M_CF_LINK);

	h.ncb = 0;
	r = req_of(DM_EXECUTE, "/508/0/5");
	r.payload = (const uint8_t *)"0='x'";
	r.len = 5;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(dev.method, COAP_REQUEST_CODE_POST);
	CHECK_EQ_STR(dev.path, "508/0/5");
	CHECK_EQ_INT(dev.body_len, 5);
	CHECK_EQ_INT(h.last.coap_code, 204);

	h.ncb = 0;
	r = req_of(DM_CREATE, "/507");
	r.payload = (const uint8_t *)"\x08\x00\x00";
	r.len = 3;
	r.format = LWM2M_CF_TLV;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(dev.method, COAP_REQUEST_CODE_POST);
	CHECK_EQ_INT(dev.format, LWM2M_CF_TLV);
	CHECK_EQ_INT(h.last.coap_code, 201);

	h.ncb = 0;
	r = req_of(DM_DELETE, "/507/1");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(dev.method, COAP_REQUEST_CODE_DELETE);
	CHECK_EQ_INT(h.last.coap_code, 202);
	teardown();
}

TEST(observe_notify_cancel_and_restart)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	dev.value = 7;
	dm_request r = req_of(DM_OBSERVE, "/3/0/13");
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	CHECK_EQ_INT(h.last.coap_code, 205);
	CHECK_EQ_MEM(h.last.payload, "7", 1);
	db_observation o;
	memset(&o, 0, sizeof o);
	CHECK(db_obs_get(h.d, "ep1", "/3/0/13", &o) == DB_OK);
	CHECK_EQ_INT(o.active, 1);
	CHECK_EQ_INT(o.token_len, 8);
	db_observation_clear(&o);

	dev.value = 8;
	coap_resource_notify_observers(h.obsres, NULL);
	CHECK(run_until(&h.nnotify, 3000));
	CHECK_EQ_STR(h.notify_payload, "8");
	memset(&o, 0, sizeof o);
	CHECK(db_obs_get(h.d, "ep1", "/3/0/13", &o) == DB_OK);
	CHECK_EQ_INT(o.notifications, 1);
	CHECK_EQ_INT(o.last_len, 1);
	CHECK_EQ_MEM(o.last, "8", 1);
	db_observation_clear(&o);

	/* Restart: a new engine on the same database still takes the
	 * notifications of the old observation. */
	dm_free(h.e);
	new_engine(2000, 5000);
	CHECK(dm_restore(h.e) == 0);
	h.nnotify = 0;
	dev.value = 9;
	coap_resource_notify_observers(h.obsres, NULL);
	CHECK(run_until(&h.nnotify, 3000));
	CHECK_EQ_STR(h.notify_payload, "9");
	memset(&o, 0, sizeof o);
	CHECK(db_obs_get(h.d, "ep1", "/3/0/13", &o) == DB_OK);
	CHECK_EQ_INT(o.notifications, 2);
	db_observation_clear(&o);

	/* Cancel with the observation's token ends it at both ends. */
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	h.ncb = 0;
	r = req_of(DM_OBSERVE_CANCEL, "/3/0/13");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	CHECK_EQ_INT(h.last.coap_code, 205);
	memset(&o, 0, sizeof o);
	CHECK(db_obs_get(h.d, "ep1", "/3/0/13", &o) == DB_OK);
	CHECK_EQ_INT(o.active, 0);
	db_observation_clear(&o);
	/* The device dropped its observer: nothing more is sent. */
	h.nnotify = 0;
	int before = dev.requests;
	coap_resource_notify_observers(h.obsres, NULL);
	run_until(NULL, 300);
	CHECK_EQ_INT(h.nnotify, 0);
	CHECK_EQ_INT(dev.requests, before);
	teardown();
}

TEST(detach_suppresses_callback)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t a, b;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &a),
	             DM_SUBMIT_SENT);
	dm_detach(h.e, a);
	r = req_of(DM_READ, "/3/0/2");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &b),
	             DM_SUBMIT_QUEUED);
	CHECK(run_until(&h.ncb, 3000));
	run_until(NULL, 100);
	CHECK_EQ_INT(h.ncb, 1);
	CHECK_EQ_INT(h.last.id, b);
	db_request row;
	memset(&row, 0, sizeof row);
	CHECK(db_request_get(h.d, a, &row) == DB_OK);
	CHECK_EQ_INT(row.state, DB_REQ_DONE);
	db_request_clear(&row);
	teardown();
}

TEST(cancel_and_expiry_of_queued)
{
	CHECK(setup(2000, 5000) == 0);
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t a, b;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &a),
	             DM_SUBMIT_QUEUED);
	CHECK_EQ_INT(dm_cancel(h.e, a), 0);
	CHECK_EQ_INT(dm_cancel(h.e, a), -1);
	CHECK(run_until(&h.ncb, 1000));
	CHECK_EQ_INT(h.last.state, DB_REQ_CANCELLED);
	h.ncb = 0;
	r.ttl_s = 1;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &b),
	             DM_SUBMIT_QUEUED);
	CHECK(run_until(&h.ncb, 4000));
	CHECK_EQ_INT(h.last.id, b);
	CHECK_EQ_INT(h.last.state, DB_REQ_EXPIRED);
	/* An expired request is not sent when the device wakes. */
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	run_until(NULL, 200);
	CHECK_EQ_INT(dev.requests, 0);
	CHECK_EQ_INT(h.ncb, 1);
	teardown();
}

TEST(queue_mode_device_falls_asleep)
{
	CHECK(setup(2000, 300) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 1);
	run_until(NULL, 500);
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_QUEUED);
	run_until(NULL, 200);
	CHECK_EQ_INT(dev.requests, 0);
	dm_device_awake(h.e, "ep1", h.ssess, 1);   /* its next Update */
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	teardown();
}

TEST(device_gone_requeues_reads_fails_executes)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	device_deaf();
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t a, b;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &a),
	             DM_SUBMIT_SENT);
	dm_device_gone(h.e, "ep1");
	db_request row;
	memset(&row, 0, sizeof row);
	CHECK(db_request_get(h.d, a, &row) == DB_OK);
	CHECK_EQ_INT(row.state, DB_REQ_QUEUED);
	db_request_clear(&row);

	dm_cancel(h.e, a);
	run_until(&h.ncb, 500);
	h.ncb = 0;
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	r = req_of(DM_EXECUTE, "/508/0/5");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &b),
	             DM_SUBMIT_SENT);
	dm_session_gone(h.e, h.ssess);
	CHECK(run_until(&h.ncb, 1000));
	CHECK_EQ_INT(h.last.id, b);
	CHECK_EQ_INT(h.last.state, DB_REQ_FAILED);
	CHECK_EQ_STR(h.last.error, "not deliverable");
	teardown();
}

TEST(restart_requeues_sent)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	device_deaf();
	dm_request r = req_of(DM_READ, "/3/0/4");
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, NULL, NULL, &id), DM_SUBMIT_SENT);
	dm_free(h.e);                     /* nusimd dies with it on the wire */
	new_engine(2000, 5000);
	CHECK(dm_restore(h.e) == 0);
	db_request row;
	memset(&row, 0, sizeof row);
	CHECK(db_request_get(h.d, id, &row) == DB_OK);
	CHECK_EQ_INT(row.state, DB_REQ_QUEUED);
	db_request_clear(&row);
	/* The device's next Register gets it sent again, and answered. */
	loop_add_fd(h.l, h.cfd, EPOLLIN, io_cb, h.cctx);
	h.device_io = 1;
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	for (int t = 0; t < 300; t++) {
		memset(&row, 0, sizeof row);
		int done = db_request_get(h.d, id, &row) == DB_OK &&
		           row.state == DB_REQ_DONE;
		db_request_clear(&row);
		if (done)
			break;
		run_until(NULL, 10);
	}
	memset(&row, 0, sizeof row);
	CHECK(db_request_get(h.d, id, &row) == DB_OK);
	CHECK_EQ_INT(row.state, DB_REQ_DONE);
	CHECK_EQ_INT(row.coap_code, 205);
	db_request_clear(&row);
	teardown();
}

static void resubmit_cb(void *arg, const dm_result *res)
{
	on_result(arg, res);
	if (h.ncb == 1) {
		dm_request r = req_of(DM_READ, "/3/0/9");
		dm_submit(h.e, "ep1", &r, on_result, NULL, &h.submit_in_cb);
		dm_detach(h.e, res->id);   /* harmless: it already ended */
	}
}

TEST(callback_may_submit)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, resubmit_cb, NULL, &id),
	             DM_SUBMIT_SENT);
	for (int t = 0; t < 300 && h.ncb < 2; t++)
		run_until(NULL, 10);
	CHECK_EQ_INT(h.ncb, 2);
	CHECK_EQ_INT(h.last.id, h.submit_in_cb);
	CHECK_EQ_STR(dev.path, "3/0/9");
	teardown();
}

TEST(duplicate_response_does_not_complete_twice)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(dev.toklen, 8);
	/* The same answer again, as a retransmitted separate response. */
	coap_pdu_t *dup = coap_pdu_init(COAP_MESSAGE_CON,
	                                COAP_RESPONSE_CODE_CONTENT, 77, 1152);
	coap_add_token(dup, dev.toklen, dev.token);
	coap_add_data(dup, 5, (const uint8_t *)"again");
	CHECK_EQ_INT(dm_on_response(h.e, h.ssess, NULL, dup, 77),
	             COAP_RESPONSE_FAIL);
	coap_delete_pdu(dup);
	run_until(NULL, 100);
	CHECK_EQ_INT(h.ncb, 1);
	db_request row;
	memset(&row, 0, sizeof row);
	CHECK(db_request_get(h.d, id, &row) == DB_OK);
	CHECK_EQ_INT(row.resp_len, 5);
	CHECK_EQ_MEM(row.resp, "hello", 5);
	db_request_clear(&row);
	teardown();
}

TEST(nack_with_internal_token_fails_the_request_in_flight)
{
	CHECK(setup(5000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	device_deaf();
	dm_request r = req_of(DM_WRITE, "/3/0/1");
	r.payload = (const uint8_t *)"x";
	r.len = 1;
	r.format = LWM2M_CF_TEXT;
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	/* What libcoap 4.3.1 hands over under block-wise (NOTES §1.4). */
	coap_pdu_t *sent = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_PUT,
	                                 5, 1152);
	coap_add_token(sent, 7, (const uint8_t *)"\x02\0\0\0\0\0\x08");
	dm_on_nack(h.e, h.ssess, sent, COAP_NACK_RST, 5);
	CHECK(run_until(&h.ncb, 1000));
	CHECK_EQ_INT(h.last.id, id);
	CHECK_EQ_INT(h.last.state, DB_REQ_FAILED);
	CHECK_EQ_STR(h.last.error, "reset");
	/* With nothing in flight, a NACK is ignored. */
	dm_on_nack(h.e, h.ssess, sent, COAP_NACK_TLS_FAILED, 5);
	run_until(NULL, 50);
	CHECK_EQ_INT(h.ncb, 1);
	h.ncb = 0;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	dm_on_nack(h.e, h.ssess, sent, COAP_NACK_TLS_FAILED, 5);
	CHECK(run_until(&h.ncb, 1000));
	CHECK_EQ_STR(h.last.error, "tls failed");
	coap_delete_pdu(sent);
	teardown();
}

/* nusimd stops and starts again: the observation is not cancelled on the
 * way out, and keeps delivering to the new engine. */
TEST(observation_survives_a_graceful_restart)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	dm_request r = req_of(DM_OBSERVE, "/3/0/13");
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.coap_code, 205);
	uint8_t otok[8];
	memcpy(otok, dev.token, 8);

	db_observation o;

	/* The server dies and comes back on the same port. */
	unsigned port = h.sport;
	dm_free(h.e);
	h.e = NULL;
	coap_session_release(h.ssess);
	h.ssess = NULL;
	loop_del_fd(h.l, h.sfd);
	coap_free_context(h.sctx);
	h.sctx = NULL;
	CHECK(make_server(port) == port);
	new_engine(2000, 5000);
	CHECK(dm_restore(h.e) == 0);

	/* The engine told libcoap not to cancel the observation when the
	 * old context was freed (coap_session_set_no_observe_cancel), so the
	 * device still notifies with the old token and the new engine takes
	 * it from the database. */
	h.nnotify = 0;
	dev.value = 21;
	coap_resource_notify_observers(h.obsres, NULL);
	CHECK(run_until(&h.nnotify, 3000));
	CHECK_EQ_STR(h.notify_payload, "21");
	memset(&o, 0, sizeof o);
	CHECK(db_obs_get(h.d, "ep1", "/3/0/13", &o) == DB_OK);
	CHECK_EQ_INT(o.notifications, 1);
	CHECK_EQ_INT(o.active, 1);
	db_observation_clear(&o);
	CHECK_EQ_INT(dev.toklen, 8);
	CHECK_EQ_MEM(dev.token, otok, 8);

	CHECK(device_register() == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	h.ncb = 0;
	r = req_of(DM_OBSERVE_CANCEL, "/3/0/13");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	CHECK_EQ_INT(dev.toklen, 8);
	CHECK_EQ_MEM(dev.token, otok, 8);
	memset(&o, 0, sizeof o);
	CHECK(db_obs_get(h.d, "ep1", "/3/0/13", &o) == DB_OK);
	CHECK_EQ_INT(o.active, 0);
	db_observation_clear(&o);
	h.nnotify = 0;
	int before = dev.requests;
	coap_resource_notify_observers(h.obsres, NULL);
	run_until(NULL, 300);
	CHECK_EQ_INT(h.nnotify, 0);
	CHECK_EQ_INT(dev.requests, before);
	teardown();
}

/* nusimd crashes (its libcoap state vanishes without a word) and a new
 * one binds the same port: notifications with the old token land, and
 * Cancel goes out with the stored token on a context that never saw it. */
TEST(observation_survives_a_crash)
{
	CHECK(setup(2000, 5000) == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	dm_request r = req_of(DM_OBSERVE, "/3/0/13");
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.coap_code, 205);
	uint8_t otok[8];
	memcpy(otok, dev.token, 8);

	unsigned port = h.sport;
	coap_context_t *dead = h.sctx;
	dm_free(h.e);
	h.e = NULL;
	coap_session_release(h.ssess);
	h.ssess = NULL;
	loop_del_fd(h.l, h.sfd);          /* the old process is gone */
	h.sctx = NULL;
	CHECK(make_server(port) == port); /* SO_REUSEADDR: the newest wins */
	new_engine(2000, 5000);
	CHECK(dm_restore(h.e) == 0);

	h.nnotify = 0;
	dev.value = 31;
	coap_resource_notify_observers(h.obsres, NULL);
	CHECK(run_until(&h.nnotify, 3000));
	CHECK_EQ_STR(h.notify_payload, "31");
	db_observation o;
	memset(&o, 0, sizeof o);
	CHECK(db_obs_get(h.d, "ep1", "/3/0/13", &o) == DB_OK);
	CHECK_EQ_INT(o.active, 1);
	CHECK_EQ_INT(o.notifications, 1);
	db_observation_clear(&o);

	CHECK(device_register() == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	h.ncb = 0;
	r = req_of(DM_OBSERVE_CANCEL, "/3/0/13");
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	CHECK_EQ_INT(dev.toklen, 8);
	CHECK_EQ_MEM(dev.token, otok, 8);
	memset(&o, 0, sizeof o);
	CHECK(db_obs_get(h.d, "ep1", "/3/0/13", &o) == DB_OK);
	CHECK_EQ_INT(o.active, 0);
	db_observation_clear(&o);
	h.nnotify = 0;
	int before = dev.requests;
	coap_resource_notify_observers(h.obsres, NULL);
	run_until(NULL, 300);
	CHECK_EQ_INT(h.nnotify, 0);
	CHECK_EQ_INT(dev.requests, before);
	coap_free_context(dead);
	teardown();
}

/* A DTLS device that stops answering: the request fails "timeout" and
 * its session is disconnected so the device can handshake again (NOTES
 * §1.3); nothing more is sent until it does. */
TEST(dtls_timeout_recycles_session)
{
	if (!coap_dtls_is_supported())
		return;
	CHECK(setup_proto(800, 5000, 1) == 0);
	CHECK_EQ_INT(coap_session_get_proto(h.ssess), COAP_PROTO_DTLS);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	/* Like the core: its own reference goes once the engine has one. */
	coap_session_release(h.ssess);
	h.ssess = NULL;
	device_deaf();
	dm_request r = req_of(DM_READ, "/3/0/1");
	int64_t id;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_SENT);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.state, DB_REQ_FAILED);
	CHECK_EQ_STR(h.last.error, "timeout");
	h.ncb = 0;
	CHECK_EQ_INT(dm_submit(h.e, "ep1", &r, on_result, NULL, &id),
	             DM_SUBMIT_QUEUED);

	/* The device reboots onto the same address and port, handshakes
	 * again (the old session would swallow that, NOTES §1.3) and gets
	 * the queue. */
	loop_add_fd(h.l, h.cfd, EPOLLIN, io_cb, h.cctx);
	h.device_io = 1;
	coap_address_copy(&h.local, coap_session_get_addr_local(h.csess));
	h.reuse_local = 1;
	coap_session_release(h.csess);
	CHECK(device_session() == 0);
	CHECK_EQ_INT(coap_session_get_addr_local(h.csess)->addr.sin.sin_port,
	             h.local.addr.sin.sin_port);
	CHECK(device_register() == 0);
	dm_device_awake(h.e, "ep1", h.ssess, 0);
	CHECK(run_until(&h.ncb, 3000));
	CHECK_EQ_INT(h.last.id, id);
	CHECK_EQ_INT(h.last.state, DB_REQ_DONE);
	CHECK_EQ_INT(h.last.coap_code, 205);
	teardown();
}

UNIT_MAIN
