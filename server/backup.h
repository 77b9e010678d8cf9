/*
 * backup.h: the online backup of the SQLite database (`nusimd backup`).
 */
#ifndef SERVER_BACKUP_H
#define SERVER_BACKUP_H

#include <stddef.h>

/* Copies the database at src_path into dst_path with SQLite's backup API,
 * through dst_path.tmp (mode 0600), checked, fsync'ed and renamed. Refuses
 * an existing dst_path unless force. 0, or -1 with err. Runs in its own
 * process beside a running nusimd. */
int backup_run(const char *src_path, const char *dst_path, int force,
               char *err, size_t errlen);

#endif
