/*
 * masterkey.c: finding, creating and checking the master key at start-up
 * (server/server.h). The database stores only a check value of the key
 * (meta "master_key_check"), so a wrong key is caught before any sealed
 * secret is touched, and a lost key is reported, never silently replaced.
 */
#include "server/server.h"
#include "server/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_KEY "master_key_check"

int server_master_key(db *d, const server_config *c, seal_key **out,
                      char *err, size_t errlen)
{
	char path[CONFIG_PATH_MAX + 8], why[256], cv[65];
	char *stored = NULL;
	const char *env = getenv("NUSIMD_MASTER_KEY");
	int fresh, use_env, rc = -1;
	db_rc drc;

	*out = NULL;
	config_key_path(c, path, sizeof path);
	drc = db_meta_get(d, CHECK_KEY, &stored);
	if (drc != DB_OK && drc != DB_NOT_FOUND) {
		snprintf(err, errlen, "database: %s", db_errmsg(d));
		return -1;
	}
	fresh = drc == DB_NOT_FOUND;
	use_env = !config_key_path_explicit(c) && env && *env;

	if (!use_env && fresh && !config_key_path_explicit(c) &&
	    access(path, F_OK) < 0 && errno == ENOENT) {
		if (seal_key_generate(path, why, sizeof why) < 0) {
			snprintf(err, errlen, "master key: cannot create %s: %s",
			         path, why);
			goto out;
		}
		log_kv(NLOG_INFO, "master key created", "path", path, NULL);
	}
	if (seal_key_load(use_env ? NULL : path, out, why, sizeof why) < 0) {
		snprintf(err, errlen, "master key (%s): %s",
		         use_env ? "NUSIMD_MASTER_KEY" : path, why);
		goto out;
	}
	seal_key_check_value(*out, cv);
	if (fresh) {
		if (db_meta_set(d, CHECK_KEY, cv) != DB_OK) {
			snprintf(err, errlen, "database: %s", db_errmsg(d));
			goto out;
		}
	} else if (strcmp(cv, stored)) {
		snprintf(err, errlen,
		         "master key (%s) is not the key this database was "
		         "created with", use_env ? "NUSIMD_MASTER_KEY" : path);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && *out) {
		seal_key_free(*out);
		*out = NULL;
	}
	free(stored);
	return rc;
}
