/*
 * tmpdir_fixture.h: temporary directory trees a test makes (mkdtemp) and
 * wants gone when it exits, pass or fail: remove_at_exit(dir) registers
 * one, and an atexit handler removes each tree, deepest entries first.
 */
#ifndef TESTS_TMPDIR_FIXTURE_H
#define TESTS_TMPDIR_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Removes one entry of a tree being walked by cleanup(). */
static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static char *cleanup_dirs[16];
static int ncleanup;

static void cleanup(void)
{
	for (int i = 0; i < ncleanup; i++) {
		nftw(cleanup_dirs[i], rm_one, 8, FTW_DEPTH | FTW_PHYS);
		free(cleanup_dirs[i]);
	}
}

/* Registers directory d (copied) for removal at exit; at most 16 trees. */
static void remove_at_exit(const char *d)
{
	if (ncleanup == 0)
		atexit(cleanup);
	if (ncleanup < 16)
		cleanup_dirs[ncleanup++] = strdup(d);
}

#endif
