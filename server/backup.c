/*
 * backup.c: `nusimd backup --db PATH --to FILE [--force]`, an online copy
 * of the SQLite database through SQLite's backup API, safe while nusimd
 * runs: in WAL mode the copy reads one consistent snapshot and never
 * blocks the daemon's writer. The copy goes to FILE.tmp, is checked,
 * fsync'ed and renamed over FILE, so FILE is either absent, the old copy
 * or a whole new one, never half of one.
 */
#include "server/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The copy runs as one sqlite3_backup_step(-1): a copy made in several
 * steps restarts whenever another connection (the daemon) writes between
 * them, while one step reads a single WAL snapshot and the daemon keeps
 * writing meanwhile. The busy timeout covers the short locks a WAL reader
 * still takes (opening the snapshot, a checkpoint in progress). */
#define BACKUP_BUSY_MS 10000

static int fsync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int backup_run(const char *src_path, const char *dst_path, int force,
               char *err, size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *b = NULL;
	char tmp[4096], dirbuf[4096];
	struct stat stt;
	int rc = -1, src_rc;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", dst_path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "--to: path too long");
		return -1;
	}
	if (!force && stat(dst_path, &stt) == 0) {
		snprintf(err, errlen, "%s exists (use --force to replace it)", dst_path);
		return -1;
	}
	if (stat(src_path, &stt) < 0) {
		snprintf(err, errlen, "%s: %s", src_path, strerror(errno));
		return -1;
	}
	/* Read-write so the WAL index can be used while nusimd runs; the copy
	 * itself only reads. No CREATE: a wrong path must not make a file. */
	if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", src_path,
		         src ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(src, BACKUP_BUSY_MS);
	unlink(tmp);   /* a left-over of an interrupted run */
	{
		/* The copy holds token hashes and sealed keys: owner only. */
		int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		close(fd);
	}
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", tmp,
		         dst ? sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	do {
		src_rc = sqlite3_backup_step(b, -1);
		if (src_rc == SQLITE_BUSY || src_rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (src_rc == SQLITE_OK || src_rc == SQLITE_BUSY ||
	         src_rc == SQLITE_LOCKED);
	if (src_rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(src_rc));
		goto out;
	}
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		b = NULL;
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	b = NULL;
	/* The copy keeps the source's journal mode bits; a standalone file is
	 * more useful with a plain rollback journal, and then nothing of it
	 * sits in a -wal beside it. */
	sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	{
		sqlite3_stmt *st = NULL;
		int ok = 0;
		if (sqlite3_prepare_v2(dst, "PRAGMA quick_check", -1, &st, NULL) ==
		    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			ok = t && !strcmp((const char *)t, "ok");
		}
		sqlite3_finalize(st);
		if (!ok) {
			snprintf(err, errlen, "backup: the copy fails its integrity check");
			goto out;
		}
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		snprintf(err, errlen, "%s: close failed", tmp);
		dst = NULL;
		goto out;
	}
	dst = NULL;
	if (fsync_path(tmp, 0) < 0) {
		snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, dst_path) < 0) {
		snprintf(err, errlen, "%s: %s", dst_path, strerror(errno));
		goto out;
	}
	snprintf(dirbuf, sizeof dirbuf, "%s", dst_path);
	fsync_path(dirname(dirbuf), 1);   /* the rename itself */
	rc = 0;
out:
	if (b)
		sqlite3_backup_finish(b);
	if (dst)
		sqlite3_close(dst);
	if (src)
		sqlite3_close(src);
	if (rc < 0)
		unlink(tmp);
	return rc;
}
