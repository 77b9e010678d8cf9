/*
 * test_server_dm_map.c: the DM engine's hash map: put, replace, get,
 * delete, growth past many buckets, byte keys with NULs.
 */
#include "tests/unit/unit.h"

#include "server/dm_map.h"

static void count(void *arg, const void *k, size_t kl, void *v)
{
	(*(int *)arg)++;
}

TEST(map_put_get_replace_delete)
{
	dm_map m = { 0 };
	int a = 1, b = 2;
	CHECK(dm_map_get(&m, "x", 1) == NULL);
	CHECK(dm_map_del(&m, "x", 1) == NULL);
	CHECK_EQ_INT(dm_map_put(&m, "x", 1, &a), 0);
	CHECK(dm_map_get(&m, "x", 1) == &a);
	CHECK_EQ_INT(dm_map_put(&m, "x", 1, &b), 0);
	CHECK_EQ_INT(m.n, 1);
	CHECK(dm_map_get(&m, "x", 1) == &b);
	CHECK(dm_map_get(&m, "xy", 2) == NULL);
	CHECK(dm_map_del(&m, "x", 1) == &b);
	CHECK_EQ_INT(m.n, 0);
	CHECK(dm_map_get(&m, "x", 1) == NULL);
	dm_map_clear(&m);
}

TEST(map_grows_and_keeps_binary_keys)
{
	dm_map m = { 0 };
	static int vals[5000];
	for (int i = 0; i < 5000; i++) {
		unsigned char key[8] = { 0 };
		memcpy(key, &i, sizeof i);
		CHECK_EQ_INT(dm_map_put(&m, key, sizeof key, &vals[i]), 0);
	}
	CHECK_EQ_INT(m.n, 5000);
	CHECK(m.nb >= 5000);
	int seen = 0;
	dm_map_each(&m, count, &seen);
	CHECK_EQ_INT(seen, 5000);
	for (int i = 0; i < 5000; i += 2) {
		unsigned char key[8] = { 0 };
		memcpy(key, &i, sizeof i);
		CHECK(dm_map_del(&m, key, sizeof key) == &vals[i]);
	}
	for (int i = 0; i < 5000; i++) {
		unsigned char key[8] = { 0 };
		memcpy(key, &i, sizeof i);
		CHECK(dm_map_get(&m, key, sizeof key) == (i % 2 ? &vals[i] : NULL));
	}
	dm_map_clear(&m);
	CHECK_EQ_INT(m.n, 0);
	CHECK(dm_map_get(&m, "a", 1) == NULL);
}

UNIT_MAIN
