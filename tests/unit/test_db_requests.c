/*
 * test_db_requests.c: the request lifecycle (queued -> sent -> done with a
 * response), the per-device queue in order, requeue after a restart,
 * expiry by time to live, counts and bounds.
 */
#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"

static db_request mkreq(const char *ep, const char *path, int64_t now,
                        int64_t ttl)
{
	db_request r;
	memset(&r, 0, sizeof r);
	snprintf(r.endpoint, sizeof r.endpoint, "%s", ep);
	snprintf(r.path, sizeof r.path, "%s", path);
	r.op = 1;
	r.format = -1;
	r.accept = 11542;
	r.resp_format = -1;
	r.state = DB_REQ_QUEUED;
	r.created_at = now;
	r.expires_at = ttl ? now + ttl : 0;
	return r;
}

TEST(state_names)
{
	CHECK_EQ_STR(db_req_state_name(DB_REQ_QUEUED), "queued");
	CHECK_EQ_STR(db_req_state_name(DB_REQ_CANCELLED), "cancelled");
	CHECK_EQ_STR(db_req_state_name(42), "unknown");
}

TEST(lifecycle_queued_sent_done)
{
	db *d = fx_open();
	CHECK(d);
	static const uint8_t body[] = { 0xc8, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	db_request r = mkreq("ep1", "/508/0/4", 1000, 300);
	r.op = 3;
	r.format = 11542;
	r.payload = (uint8_t *)body;
	r.payload_len = sizeof body;
	snprintf(r.origin, sizeof r.origin, "ops-token");
	CHECK_EQ_INT(db_request_add(d, &r), DB_OK);
	CHECK(r.id > 0);

	db_request g;
	CHECK_EQ_INT(db_request_get(d, r.id, &g), DB_OK);
	CHECK_EQ_INT(g.state, DB_REQ_QUEUED);
	CHECK_EQ_STR(g.endpoint, "ep1");
	CHECK_EQ_STR(g.path, "/508/0/4");
	CHECK_EQ_INT(g.op, 3);
	CHECK_EQ_INT(g.format, 11542);
	CHECK_EQ_INT(g.accept, 11542);
	CHECK_EQ_INT(g.payload_len, sizeof body);
	CHECK_EQ_MEM(g.payload, body, sizeof body);
	CHECK(g.query == NULL);
	CHECK(g.resp == NULL);
	CHECK_EQ_INT(g.expires_at, 1300);
	CHECK_EQ_STR(g.origin, "ops-token");

	g.state = DB_REQ_SENT;
	g.sent_at = 1010;
	CHECK_EQ_INT(db_request_update(d, &g), DB_OK);
	int64_t n = 0;
	CHECK_EQ_INT(db_request_count_state(d, DB_REQ_SENT, &n), DB_OK);
	CHECK_EQ_INT(n, 1);

	static const uint8_t resp[] = { 0xe4, 0x16, 0x33, 1, 2 };
	g.state = DB_REQ_DONE;
	g.done_at = 1011;
	g.coap_code = 204;
	g.resp_format = 11542;
	free(g.resp);
	g.resp = malloc(sizeof resp);
	CHECK(g.resp);
	memcpy(g.resp, resp, sizeof resp);
	g.resp_len = sizeof resp;
	CHECK_EQ_INT(db_request_update(d, &g), DB_OK);
	db_request_clear(&g);

	CHECK_EQ_INT(db_request_get(d, r.id, &g), DB_OK);
	CHECK_EQ_INT(g.state, DB_REQ_DONE);
	CHECK_EQ_INT(g.sent_at, 1010);
	CHECK_EQ_INT(g.done_at, 1011);
	CHECK_EQ_INT(g.coap_code, 204);
	CHECK_EQ_INT(g.resp_format, 11542);
	CHECK_EQ_INT(g.resp_len, sizeof resp);
	CHECK_EQ_MEM(g.resp, resp, sizeof resp);
	CHECK_EQ_MEM(g.payload, body, sizeof body);   /* untouched */
	db_request_clear(&g);
	CHECK(g.payload == NULL && g.resp == NULL);

	CHECK_EQ_INT(db_request_count_state(d, DB_REQ_DONE, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(db_request_get(d, r.id + 1, &g), DB_NOT_FOUND);
	g.id = 999;
	CHECK_EQ_INT(db_request_update(d, &g), DB_NOT_FOUND);
}

TEST(failed_request_keeps_its_reason)
{
	db *d = fx_open();
	CHECK(d);
	db_request r = mkreq("ep1", "/3/0", 1000, 0);
	r.query = "pmin=10&pmax=60";
	CHECK_EQ_INT(db_request_add(d, &r), DB_OK);
	r.state = DB_REQ_FAILED;
	r.done_at = 1100;
	snprintf(r.error, sizeof r.error, "timeout after 93 s");
	CHECK_EQ_INT(db_request_update(d, &r), DB_OK);
	db_request g;
	CHECK_EQ_INT(db_request_get(d, r.id, &g), DB_OK);
	CHECK_EQ_STR(g.error, "timeout after 93 s");
	CHECK_EQ_STR(g.query, "pmin=10&pmax=60");
	db_request_clear(&g);
	r.state = 77;
	CHECK_EQ_INT(db_request_update(d, &r), DB_ERROR);
}

TEST(queue_of_one_device_oldest_first)
{
	db *d = fx_open();
	CHECK(d);
	int64_t ids[4];
	const char *eps[4] = { "a", "b", "a", "a" };
	for (int i = 0; i < 4; i++) {
		db_request r = mkreq(eps[i], "/3/0/0", 1000 + i, 600);
		CHECK_EQ_INT(db_request_add(d, &r), DB_OK);
		ids[i] = r.id;
	}
	/* One of a's is already sent: not in the queue. */
	db_request s;
	CHECK_EQ_INT(db_request_get(d, ids[2], &s), DB_OK);
	s.state = DB_REQ_SENT;
	s.sent_at = 1100;
	CHECK_EQ_INT(db_request_update(d, &s), DB_OK);
	db_request_clear(&s);

	db_request *q = NULL;
	size_t n = 0;
	CHECK_EQ_INT(db_request_queued(d, "a", 10, &q, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(q[0].id, ids[0]);
	CHECK_EQ_INT(q[1].id, ids[3]);
	db_request_list_free(q, n);
	CHECK_EQ_INT(db_request_queued(d, "a", 1, &q, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(q[0].id, ids[0]);
	db_request_list_free(q, n);
	CHECK_EQ_INT(db_request_queued(d, "zzz", 10, &q, &n), DB_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(db_request_queued(d, "a", 0, &q, &n), DB_ERROR);
}

TEST(requeue_sent_after_restart)
{
	db *d = fx_open();
	CHECK(d);
	for (int i = 0; i < 3; i++) {
		db_request r = mkreq("ep1", "/3/0/0", 1000, 600);
		if (i < 2) {
			r.state = DB_REQ_SENT;
			r.sent_at = 1001;
		}
		CHECK_EQ_INT(db_request_add(d, &r), DB_OK);
	}
	d = fx_reopen();
	CHECK(d);
	int64_t n = 0;
	CHECK_EQ_INT(db_request_requeue_sent(d, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(db_request_count_state(d, DB_REQ_QUEUED, &n), DB_OK);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(db_request_count_state(d, DB_REQ_SENT, &n), DB_OK);
	CHECK_EQ_INT(n, 0);
	db_request *q = NULL;
	size_t len = 0;
	CHECK_EQ_INT(db_request_queued(d, "ep1", 10, &q, &len), DB_OK);
	CHECK_EQ_INT(len, 3);
	CHECK_EQ_INT(q[0].sent_at, 0);
	db_request_list_free(q, len);
	CHECK_EQ_INT(db_request_requeue_sent(d, &n), DB_OK);
	CHECK_EQ_INT(n, 0);
}

TEST(expire_by_time_to_live)
{
	db *d = fx_open();
	CHECK(d);
	db_request a = mkreq("ep1", "/3/0/0", 1000, 60);    /* 1060 */
	db_request b = mkreq("ep1", "/3/0/1", 1000, 600);   /* 1600 */
	db_request c = mkreq("ep1", "/3/0/2", 1000, 0);     /* no deadline */
	db_request s = mkreq("ep1", "/3/0/3", 1000, 10);    /* sent: stays */
	s.state = DB_REQ_SENT;
	CHECK_EQ_INT(db_request_add(d, &a), DB_OK);
	CHECK_EQ_INT(db_request_add(d, &b), DB_OK);
	CHECK_EQ_INT(db_request_add(d, &c), DB_OK);
	CHECK_EQ_INT(db_request_add(d, &s), DB_OK);
	int64_t n = -1;
	CHECK_EQ_INT(db_request_expire(d, 1059, &n), DB_OK);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(db_request_expire(d, 1060, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	db_request g;
	CHECK_EQ_INT(db_request_get(d, a.id, &g), DB_OK);
	CHECK_EQ_INT(g.state, DB_REQ_EXPIRED);
	CHECK_EQ_INT(g.done_at, 1060);
	CHECK(g.error[0] != '\0');
	db_request_clear(&g);
	CHECK_EQ_INT(db_request_expire(d, 100000, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(db_request_count_state(d, DB_REQ_EXPIRED, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(db_request_get(d, c.id, &g), DB_OK);
	CHECK_EQ_INT(g.state, DB_REQ_QUEUED);
	db_request_clear(&g);
	CHECK_EQ_INT(db_request_get(d, s.id, &g), DB_OK);
	CHECK_EQ_INT(g.state, DB_REQ_SENT);
	db_request_clear(&g);
}

TEST(request_bounds)
{
	db *d = fx_open();
	CHECK(d);
	db_request r = mkreq("ep1", "/3/0/0", 1000, 60);
	memset(r.path, '1', sizeof r.path);   /* no NUL */
	CHECK_EQ_INT(db_request_add(d, &r), DB_ERROR);
	CHECK(strstr(db_errmsg(d), "path") != NULL);
	r = mkreq("", "/3", 1000, 60);
	CHECK_EQ_INT(db_request_add(d, &r), DB_ERROR);
	r = mkreq("ep1", "/3", 1000, 60);
	r.payload_len = 2u * 1024 * 1024;
	r.payload = malloc(r.payload_len);
	CHECK(r.payload);
	db_rc rc = db_request_add(d, &r);
	free(r.payload);
	CHECK_EQ_INT(rc, DB_ERROR);
	CHECK(strstr(db_errmsg(d), "payload") != NULL);
	/* 64 KiB (a block-wise 507 write) is fine. */
	r = mkreq("ep1", "/507/1/0", 1000, 60);
	r.payload_len = 64 * 1024;
	r.payload = calloc(1, r.payload_len);
	CHECK(r.payload);
	rc = db_request_add(d, &r);
	free(r.payload);
	CHECK_EQ_INT(rc, DB_OK);
	db_request g;
	CHECK_EQ_INT(db_request_get(d, r.id, &g), DB_OK);
	CHECK_EQ_INT(g.payload_len, 64 * 1024);
	db_request_clear(&g);
}

UNIT_MAIN
