/*
 * test_db_registrations.c: Register (put/replace), Update by reg_id (the
 * address moves, the registration stays), De-register, pagination, the
 * lifetime expiry scan, bounds, and survival across a reopen.
 */
#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"

static db_registration mkreg(const char *ep, const char *id, int64_t now,
                             int64_t lifetime)
{
	db_registration r;
	memset(&r, 0, sizeof r);
	snprintf(r.endpoint, sizeof r.endpoint, "%s", ep);
	snprintf(r.reg_id, sizeof r.reg_id, "%s", id);
	snprintf(r.version, sizeof r.version, "1.1");
	snprintf(r.binding, sizeof r.binding, "U");
	snprintf(r.addr, sizeof r.addr, "127.0.0.1:40001");
	snprintf(r.transport, sizeof r.transport, "udp");
	r.links = "</1/0>,</3/0>,</507>,</508/0>";
	r.lifetime = lifetime;
	r.registered_at = r.updated_at = now;
	r.expires_at = now + lifetime;
	return r;
}

TEST(reg_put_get_by_id)
{
	db *d = fx_open();
	CHECK(d);
	db_registration r = mkreg("ep1", "a1b2c3", 1000, 60);
	snprintf(r.psk_identity, sizeof r.psk_identity, "id-ep1");
	r.queue_mode = 1;
	snprintf(r.transport, sizeof r.transport, "dtls");
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	db_registration g;
	CHECK_EQ_INT(db_reg_get(d, "ep1", &g), DB_OK);
	CHECK_EQ_STR(g.reg_id, "a1b2c3");
	CHECK_EQ_STR(g.version, "1.1");
	CHECK_EQ_STR(g.binding, "U");
	CHECK_EQ_INT(g.queue_mode, 1);
	CHECK_EQ_INT(g.lifetime, 60);
	CHECK_EQ_STR(g.links, r.links);
	CHECK_EQ_STR(g.addr, "127.0.0.1:40001");
	CHECK_EQ_STR(g.transport, "dtls");
	CHECK_EQ_STR(g.psk_identity, "id-ep1");
	CHECK_EQ_INT(g.registered_at, 1000);
	CHECK_EQ_INT(g.expires_at, 1060);
	db_registration_clear(&g);
	CHECK_EQ_INT(db_reg_by_id(d, "a1b2c3", &g), DB_OK);
	CHECK_EQ_STR(g.endpoint, "ep1");
	db_registration_clear(&g);
	CHECK_EQ_INT(db_reg_by_id(d, "nope", &g), DB_NOT_FOUND);
	CHECK_EQ_INT(db_reg_get(d, "nope", &g), DB_NOT_FOUND);
}

TEST(new_register_replaces_the_old_one)
{
	db *d = fx_open();
	CHECK(d);
	db_registration r = mkreg("ep1", "old", 1000, 60);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	r = mkreg("ep1", "new", 2000, 300);
	r.links = NULL;
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	db_registration g;
	CHECK_EQ_INT(db_reg_by_id(d, "old", &g), DB_NOT_FOUND);
	CHECK_EQ_INT(db_reg_get(d, "ep1", &g), DB_OK);
	CHECK_EQ_STR(g.reg_id, "new");
	CHECK(g.links == NULL);
	CHECK_EQ_INT(g.expires_at, 2300);
	db_registration_clear(&g);
	int64_t n = 0;
	CHECK_EQ_INT(db_reg_count(d, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
}

TEST(reg_id_of_another_endpoint_conflicts)
{
	db *d = fx_open();
	CHECK(d);
	db_registration r = mkreg("ep1", "same", 1000, 60);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	r = mkreg("ep2", "same", 1000, 60);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_CONFLICT);
	db_registration g;
	CHECK_EQ_INT(db_reg_get(d, "ep1", &g), DB_OK);   /* not lost */
	db_registration_clear(&g);
}

TEST(update_by_reg_id_keeps_registration_and_moves_addr)
{
	db *d = fx_open();
	CHECK(d);
	db_registration r = mkreg("ep1", "rid1", 1000, 60);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);

	/* An Update without payload from a new address (the carrier changed). */
	db_registration u;
	CHECK_EQ_INT(db_reg_by_id(d, "rid1", &u), DB_OK);
	free(u.links);
	u.links = NULL;
	snprintf(u.addr, sizeof u.addr, "127.0.0.2:50002");
	u.updated_at = 1030;
	u.lifetime = 120;
	u.expires_at = 1150;
	CHECK_EQ_INT(db_reg_update(d, &u), DB_OK);

	db_registration g;
	CHECK_EQ_INT(db_reg_get(d, "ep1", &g), DB_OK);
	CHECK_EQ_STR(g.reg_id, "rid1");
	CHECK_EQ_STR(g.addr, "127.0.0.2:50002");
	CHECK_EQ_INT(g.lifetime, 120);
	CHECK_EQ_INT(g.expires_at, 1150);
	CHECK_EQ_INT(g.registered_at, 1000);
	CHECK_EQ_STR(g.links, "</1/0>,</3/0>,</507>,</508/0>");  /* kept */
	db_registration_clear(&g);

	/* With a payload the links are replaced. */
	u.links = "</3/0>";
	CHECK_EQ_INT(db_reg_update(d, &u), DB_OK);
	CHECK_EQ_INT(db_reg_get(d, "ep1", &g), DB_OK);
	CHECK_EQ_STR(g.links, "</3/0>");
	db_registration_clear(&g);

	/* Keyed by endpoint alone. */
	u.reg_id[0] = '\0';
	u.links = NULL;
	snprintf(u.binding, sizeof u.binding, "UQ");
	CHECK_EQ_INT(db_reg_update(d, &u), DB_OK);
	CHECK_EQ_INT(db_reg_get(d, "ep1", &g), DB_OK);
	CHECK_EQ_STR(g.binding, "UQ");
	db_registration_clear(&g);

	/* An unknown id, or an id of another endpoint, updates nothing. */
	db_registration x = mkreg("ep1", "bogus", 1, 1);
	CHECK_EQ_INT(db_reg_update(d, &x), DB_NOT_FOUND);
	x = mkreg("ep2", "rid1", 1, 1);
	CHECK_EQ_INT(db_reg_update(d, &x), DB_NOT_FOUND);
	x = mkreg("", "", 1, 1);
	CHECK_EQ_INT(db_reg_update(d, &x), DB_ERROR);
}

TEST(reg_delete)
{
	db *d = fx_open();
	CHECK(d);
	db_registration r = mkreg("ep1", "rid1", 1000, 60);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	CHECK_EQ_INT(db_reg_delete(d, "ep1"), DB_OK);
	CHECK_EQ_INT(db_reg_delete(d, "ep1"), DB_NOT_FOUND);
	db_registration g;
	CHECK_EQ_INT(db_reg_by_id(d, "rid1", &g), DB_NOT_FOUND);
}

TEST(reg_pagination_by_after)
{
	db *d = fx_open();
	CHECK(d);
	char ep[16], id[16];
	CHECK_EQ_INT(db_begin(d), DB_OK);
	for (int i = 0; i < 23; i++) {
		snprintf(ep, sizeof ep, "dev%03d", i);
		snprintf(id, sizeof id, "r%03d", i);
		db_registration r = mkreg(ep, id, 1000, 60);
		CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	}
	CHECK_EQ_INT(db_commit(d), DB_OK);
	db_registration *page = NULL;
	size_t n = 0, seen = 0;
	char after[DB_MAX_EP + 1] = "";
	for (int pages = 0; pages < 10; pages++) {
		CHECK_EQ_INT(db_reg_list(d, after, 5, &page, &n), DB_OK);
		if (n == 0)
			break;
		CHECK(n <= 5);
		for (size_t i = 0; i < n; i++) {
			snprintf(ep, sizeof ep, "dev%03zu", seen + i);
			CHECK_EQ_STR(page[i].endpoint, ep);
			CHECK(page[i].links != NULL);
		}
		seen += n;
		snprintf(after, sizeof after, "%s", page[n - 1].endpoint);
		db_reg_list_free(page, n);
	}
	CHECK_EQ_INT(seen, 23);
	int64_t c = 0;
	CHECK_EQ_INT(db_reg_count(d, &c), DB_OK);
	CHECK_EQ_INT(c, 23);
}

TEST(expired_scan)
{
	db *d = fx_open();
	CHECK(d);
	db_registration r = mkreg("late", "r1", 1000, 500);   /* 1500 */
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	r = mkreg("early", "r2", 1000, 100);                 /* 1100 */
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	r = mkreg("mid", "r3", 1000, 200);                   /* 1200 */
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	char **eps = NULL;
	size_t n = 9;
	CHECK_EQ_INT(db_reg_expired(d, 1099, 10, &eps, &n), DB_OK);
	CHECK_EQ_INT(n, 0);
	CHECK(eps == NULL);
	CHECK_EQ_INT(db_reg_expired(d, 1200, 10, &eps, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(eps[0], "early");   /* soonest first */
	CHECK_EQ_STR(eps[1], "mid");
	db_strings_free(eps, n);
	CHECK_EQ_INT(db_reg_expired(d, 9999, 1, &eps, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	db_strings_free(eps, n);
	CHECK_EQ_INT(db_reg_expired(d, 9999, 0, &eps, &n), DB_ERROR);
}

TEST(reg_strings_over_size_rejected)
{
	db *d = fx_open();
	CHECK(d);
	db_registration r = mkreg("ep1", "rid", 1000, 60);
	/* A caller that filled an array to the brim, without its NUL. */
	memset(r.version, '9', sizeof r.version);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_ERROR);
	CHECK(strstr(db_errmsg(d), "version") != NULL);
	r = mkreg("ep1", "rid", 1000, 60);
	memset(r.addr, '1', sizeof r.addr);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_ERROR);
	CHECK(strstr(db_errmsg(d), "addr") != NULL);
	r = mkreg("ep1", "rid", 1000, 60);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	memset(r.transport, 'x', sizeof r.transport);
	CHECK_EQ_INT(db_reg_update(d, &r), DB_ERROR);
	r = mkreg("ep1", "", 1000, 60);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_ERROR);   /* reg_id required */
	/* Lookups of keys too long to be stored find nothing. */
	char big[200];
	memset(big, 'k', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	db_registration g;
	CHECK_EQ_INT(db_reg_get(d, big, &g), DB_NOT_FOUND);
	CHECK_EQ_INT(db_reg_by_id(d, big, &g), DB_NOT_FOUND);
	CHECK_EQ_INT(db_reg_delete(d, big), DB_NOT_FOUND);
	CHECK_EQ_INT(db_reg_get(d, "", &g), DB_ERROR);
}

TEST(registrations_survive_a_restart)
{
	db *d = fx_open();
	CHECK(d);
	db_registration r = mkreg("ep1", "rid1", 1000, 60);
	CHECK_EQ_INT(db_reg_put(d, &r), DB_OK);
	d = fx_reopen();
	CHECK(d);
	db_registration g;
	CHECK_EQ_INT(db_reg_by_id(d, "rid1", &g), DB_OK);
	CHECK_EQ_STR(g.endpoint, "ep1");
	db_registration_clear(&g);
}

UNIT_MAIN
