/*
 * test_db_observations.c: observations found by token (the notification
 * path), notify counts and last values, replace of (endpoint, path),
 * cancel, list, delete, bounds, survival across a reopen.
 */
#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"

static db_observation mkobs(const char *ep, const char *path, uint8_t tok0)
{
	db_observation o;
	memset(&o, 0, sizeof o);
	snprintf(o.endpoint, sizeof o.endpoint, "%s", ep);
	snprintf(o.path, sizeof o.path, "%s", path);
	for (int i = 0; i < 8; i++)
		o.token[i] = (uint8_t)(tok0 + i);
	o.token_len = 8;
	o.active = 1;
	o.format = -1;
	o.started_at = 1000;
	o.updated_at = 1000;
	return o;
}

TEST(obs_by_token_and_notify_count)
{
	db *d = fx_open();
	CHECK(d);
	db_observation o = mkobs("ep1", "/508/0/6", 0xa0);
	CHECK_EQ_INT(db_obs_put(d, &o), DB_OK);
	CHECK(o.id > 0);

	db_observation g;
	CHECK_EQ_INT(db_obs_by_token(d, o.token, o.token_len, &g), DB_OK);
	CHECK_EQ_INT(g.id, o.id);
	CHECK_EQ_STR(g.endpoint, "ep1");
	CHECK_EQ_STR(g.path, "/508/0/6");
	CHECK_EQ_INT(g.active, 1);
	CHECK_EQ_INT(g.notifications, 0);
	CHECK(g.last == NULL);
	db_observation_clear(&g);

	CHECK_EQ_INT(db_obs_notify(d, o.id, 0, (const uint8_t *)"0", 1, 1010),
	             DB_OK);
	CHECK_EQ_INT(db_obs_notify(d, o.id, 0, (const uint8_t *)"5", 1, 1020),
	             DB_OK);
	CHECK_EQ_INT(db_obs_get(d, "ep1", "/508/0/6", &g), DB_OK);
	CHECK_EQ_INT(g.notifications, 2);
	CHECK_EQ_INT(g.format, 0);
	CHECK_EQ_INT(g.last_len, 1);
	CHECK_EQ_MEM(g.last, "5", 1);
	CHECK_EQ_INT(g.updated_at, 1020);
	CHECK_EQ_INT(g.started_at, 1000);
	db_observation_clear(&g);

	/* A shorter token is another token. */
	CHECK_EQ_INT(db_obs_by_token(d, o.token, 4, &g), DB_NOT_FOUND);
	CHECK_EQ_INT(db_obs_notify(d, o.id + 100, 0, NULL, 0, 1), DB_NOT_FOUND);
}

TEST(obs_put_replaces_same_path_keeps_id)
{
	db *d = fx_open();
	CHECK(d);
	db_observation o = mkobs("ep1", "/3/0/9", 0x10);
	CHECK_EQ_INT(db_obs_put(d, &o), DB_OK);
	int64_t id = o.id;
	CHECK_EQ_INT(db_obs_notify(d, id, 0, (const uint8_t *)"88", 2, 1001),
	             DB_OK);
	db_observation n = mkobs("ep1", "/3/0/9", 0x20);
	CHECK_EQ_INT(db_obs_put(d, &n), DB_OK);
	CHECK_EQ_INT(n.id, id);
	db_observation g;
	CHECK_EQ_INT(db_obs_by_token(d, o.token, 8, &g), DB_NOT_FOUND);
	CHECK_EQ_INT(db_obs_by_token(d, n.token, 8, &g), DB_OK);
	CHECK_EQ_INT(g.notifications, 0);
	CHECK(g.last == NULL);
	db_observation_clear(&g);

	/* The same token on another path conflicts, and loses nothing. */
	db_observation x = mkobs("ep1", "/3/0/7", 0x20);
	CHECK_EQ_INT(db_obs_put(d, &x), DB_CONFLICT);
	CHECK_EQ_INT(db_obs_get(d, "ep1", "/3/0/9", &g), DB_OK);
	db_observation_clear(&g);
}

TEST(obs_cancel_list_delete)
{
	db *d = fx_open();
	CHECK(d);
	db_observation a = mkobs("ep1", "/3/0/9", 0x01);
	db_observation b = mkobs("ep1", "/508/0/6", 0x11);
	db_observation c = mkobs("ep2", "/3/0/9", 0x21);
	c.token_len = 2;
	CHECK_EQ_INT(db_obs_put(d, &a), DB_OK);
	CHECK_EQ_INT(db_obs_put(d, &b), DB_OK);
	CHECK_EQ_INT(db_obs_put(d, &c), DB_OK);

	CHECK_EQ_INT(db_obs_set_active(d, a.id, 0), DB_OK);
	db_observation *list = NULL;
	size_t n = 0;
	CHECK_EQ_INT(db_obs_list(d, "ep1", &list, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(list[0].id, a.id);
	CHECK_EQ_INT(list[0].active, 0);
	CHECK_EQ_INT(list[1].active, 1);
	db_obs_list_free(list, n);
	CHECK_EQ_INT(db_obs_list(d, NULL, &list, &n), DB_OK);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(list[2].token_len, 2);
	CHECK_EQ_MEM(list[2].token, c.token, 2);
	db_obs_list_free(list, n);

	CHECK_EQ_INT(db_obs_delete(d, b.id), DB_OK);
	CHECK_EQ_INT(db_obs_delete(d, b.id), DB_NOT_FOUND);
	CHECK_EQ_INT(db_obs_set_active(d, b.id, 1), DB_NOT_FOUND);
	CHECK_EQ_INT(db_obs_list(d, "ep1", &list, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	db_obs_list_free(list, n);
}

TEST(obs_bounds)
{
	db *d = fx_open();
	CHECK(d);
	db_observation o = mkobs("ep1", "/3/0/9", 1);
	o.token_len = 0;
	CHECK_EQ_INT(db_obs_put(d, &o), DB_ERROR);
	o.token_len = 9;
	CHECK_EQ_INT(db_obs_put(d, &o), DB_ERROR);
	o = mkobs("ep1", "/3/0/9", 1);
	memset(o.path, '/', sizeof o.path);
	CHECK_EQ_INT(db_obs_put(d, &o), DB_ERROR);
	CHECK(strstr(db_errmsg(d), "path") != NULL);
	db_observation g;
	CHECK_EQ_INT(db_obs_by_token(d, o.token, 0, &g), DB_ERROR);
}

TEST(observations_survive_a_restart)
{
	db *d = fx_open();
	CHECK(d);
	db_observation o = mkobs("ep1", "/508/0/6", 0x55);
	CHECK_EQ_INT(db_obs_put(d, &o), DB_OK);
	d = fx_reopen();
	CHECK(d);
	db_observation g;
	CHECK_EQ_INT(db_obs_by_token(d, o.token, 8, &g), DB_OK);
	CHECK_EQ_STR(g.path, "/508/0/6");
	db_observation_clear(&g);
}

UNIT_MAIN
