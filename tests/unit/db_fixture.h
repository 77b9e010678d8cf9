/*
 * db_fixture.h: a fresh SQLite file under a mkdtemp directory in /tmp for
 * each db test, removed afterwards. A failed CHECK leaves the test early,
 * so the previous fixture is cleaned when the next opens and at exit.
 */
#ifndef TESTS_DB_FIXTURE_H
#define TESTS_DB_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db/db.h"

static char fx_dir[64];
static char fx_path[128];
static db *fx_db;

static inline void fx_cleanup(void)
{
	char p[160];
	if (fx_db)
		db_close(fx_db);
	fx_db = NULL;
	if (!fx_dir[0])
		return;
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
		snprintf(p, sizeof p, "%s%s", fx_path, sfx[i]);
		unlink(p);
	}
	rmdir(fx_dir);
	fx_dir[0] = '\0';
}

/* Makes a new directory and opens a new database in it; NULL on failure
 * (printed). The fixture owns the handle. */
static inline db *fx_open(void)
{
	static int registered;
	char err[256];
	if (!registered && atexit(fx_cleanup) == 0)
		registered = 1;
	fx_cleanup();
	snprintf(fx_dir, sizeof fx_dir, "/tmp/nusimd-dbtest-XXXXXX");
	if (!mkdtemp(fx_dir)) {
		perror("mkdtemp");
		fx_dir[0] = '\0';
		return NULL;
	}
	snprintf(fx_path, sizeof fx_path, "%s/test.db", fx_dir);
	if (db_open(fx_path, &fx_db, err, sizeof err) != DB_OK) {
		fprintf(stderr, "db_open: %s\n", err);
		return NULL;
	}
	return fx_db;
}

/* Closes and reopens the fixture's file (a restart of nusimd). */
static inline db *fx_reopen(void)
{
	char err[256];
	db_close(fx_db);
	fx_db = NULL;
	if (db_open(fx_path, &fx_db, err, sizeof err) != DB_OK) {
		fprintf(stderr, "db_open: %s\n", err);
		return NULL;
	}
	return fx_db;
}

#endif
