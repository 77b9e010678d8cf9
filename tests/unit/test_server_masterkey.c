/*
 * test_server_masterkey.c: the start-up rules of the master key: created
 * with a new database, required and checked afterwards, the environment
 * variable as an alternative, a wrong key refused with a clear error.
 */
#include "tests/unit/unit.h"
#include "server/server.h"

#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(server_config *c, db **d)
{
	char err[256];
	snprintf(dir, sizeof dir, "/tmp/nusimd-mk-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	config_defaults(c);
	snprintf(c->db_path, sizeof c->db_path, "%s/t.db", dir);
	unsetenv("NUSIMD_MASTER_KEY");
	return db_open(c->db_path, d, err, sizeof err) == DB_OK ? 0 : -1;
}

static void teardown(db *d)
{
	char cmd[160];
	db_close(d);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup failed\n");
	unsetenv("NUSIMD_MASTER_KEY");
}

TEST(new_database_creates_key_then_requires_it)
{
	server_config c;
	db *d;
	seal_key *k = NULL;
	char err[256], keypath[1100];
	struct stat st;
	CHECK_EQ_INT(setup(&c, &d), 0);
	CHECK_EQ_INT(server_master_key(d, &c, &k, err, sizeof err), 0);
	seal_key_free(k);
	snprintf(keypath, sizeof keypath, "%s.key", c.db_path);
	CHECK_EQ_INT(stat(keypath, &st), 0);
	CHECK_EQ_INT(st.st_mode & 077, 0);        /* 0600 */
	/* Second start: same key, accepted. */
	CHECK_EQ_INT(server_master_key(d, &c, &k, err, sizeof err), 0);
	seal_key_free(k);
	/* Key file gone: refused, not silently re-created. */
	CHECK_EQ_INT(unlink(keypath), 0);
	CHECK(server_master_key(d, &c, &k, err, sizeof err) < 0);
	CHECK(k == NULL);
	CHECK(access(keypath, F_OK) < 0);
	teardown(d);
}

TEST(wrong_key_is_refused)
{
	server_config c;
	db *d;
	seal_key *k = NULL;
	char err[256];
	CHECK_EQ_INT(setup(&c, &d), 0);
	setenv("NUSIMD_MASTER_KEY",
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
	CHECK_EQ_INT(server_master_key(d, &c, &k, err, sizeof err), 0);
	seal_key_free(k);
	CHECK_EQ_INT(server_master_key(d, &c, &k, err, sizeof err), 0);
	seal_key_free(k);
	setenv("NUSIMD_MASTER_KEY",
	       "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 1);
	CHECK(server_master_key(d, &c, &k, err, sizeof err) < 0);
	CHECK(strstr(err, "not the key") != NULL);
	CHECK(k == NULL);
	teardown(d);
}

UNIT_MAIN
