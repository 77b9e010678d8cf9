/*
 * db_int.h: what the SQLite backend's files share and nobody else sees: the
 * db struct, the prepared-statement cache and the error and copy helpers.
 */
#ifndef DB_DB_INT_H
#define DB_DB_INT_H

#include <sqlite3.h>

#include "db/db.h"

/* One slot per call site: each statement is prepared once, on first use,
 * with SQLITE_PREPARE_PERSISTENT, and finalized by db_close. */
enum db_stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_META_GET,
	ST_META_SET,

	ST_TOKEN_CREATE,
	ST_TOKEN_FIND,
	ST_TOKEN_TOUCH,
	ST_TOKEN_LIST,
	ST_TOKEN_DELETE,

	ST_DEVICE_PUT,
	ST_DEVICE_GET,
	ST_DEVICE_BY_IDENTITY,
	ST_DEVICE_LIST,
	ST_DEVICE_COUNT,
	ST_DEVICE_DELETE,

	ST_REG_PUT,
	ST_REG_GET,
	ST_REG_BY_ID,
	ST_REG_UPDATE_BY_ID,
	ST_REG_UPDATE_BY_EP,
	ST_REG_DELETE,
	ST_REG_LIST,
	ST_REG_COUNT,
	ST_REG_EXPIRED,

	ST_REQ_ADD,
	ST_REQ_UPDATE,
	ST_REQ_GET,
	ST_REQ_QUEUED,
	ST_REQ_REQUEUE_SENT,
	ST_REQ_EXPIRE,
	ST_REQ_COUNT_STATE,

	ST_OBS_PUT,
	ST_OBS_BY_TOKEN,
	ST_OBS_GET,
	ST_OBS_NOTIFY,
	ST_OBS_SET_ACTIVE,
	ST_OBS_LIST_EP,
	ST_OBS_LIST_ALL,
	ST_OBS_DELETE,

	/* db_switch.h (profiles.c, instances.c, jobs.c,
	 * audit.c, events.c) */
	ST_PROF_ADD,
	ST_PROF_GET,
	ST_PROF_LIST,
	ST_PROF_PICK,
	ST_PROF_RESERVE,
	ST_PROF_MOVE,
	ST_PROF_RELEASE,
	ST_PROF_LOADED,
	ST_POOL_LIST,
	ST_CARRIER_KNOWN,
	ST_INST_PUT,
	ST_INST_LIST,
	ST_INST_BY_ICCID,
	ST_INST_STAGED,
	ST_INST_ROLE,
	ST_INST_DELETE,
	ST_JOB_ADD,
	ST_JOB_GET,
	ST_JOB_ACTIVE,
	ST_JOB_SAVE,
	ST_JOB_TRANS_ADD,
	ST_JOB_LIST,
	ST_JOB_UNFINISHED,
	ST_JOB_COUNT_STATE,
	ST_JOB_TRANSITIONS,
	ST_AUDIT_ADD,
	ST_AUDIT_LIST,
	ST_EVENT_ADD,
	ST_EVENT_LIST,
	ST_EVENT_LAST,
	ST_EVENT_PRUNE,

	/* campaigns.c */
	ST_CAMP_STAGE_ROW,
	ST_CAMP_GET,
	ST_CAMP_LIST,
	ST_CAMP_PENDING,
	ST_CAMP_STARTED,
	ST_CAMP_ROW_START,
	ST_CAMP_ROW_REFUSE,
	ST_CAMP_ROW_BY_JOB,
	ST_CAMP_ROW_FINISH,
	ST_CAMP_COUNT_MOVE,
	ST_CAMP_ROWS,

	ST_COUNT
};

struct db {
	sqlite3 *h;
	int depth;                 /* db_begin nesting */
	int version;               /* PRAGMA user_version after migration */
	char err[256];
	sqlite3_stmt *st[ST_COUNT];
	/* The write-behind batch (db.c, "batching"). */
	int batch_on;              /* db_batch_enable */
	int batch_open;            /* its transaction is open */
	int batch_joining;         /* the statement now running belongs to it */
	size_t batch_n;            /* writes waiting in it */
	uint64_t batch_lost;       /* writes rolled back by a failed flush */
};

/* Largest blob (payload, response, sealed key) one row takes; a bound on
 * what a caller can make the database hold. */
#define DB_MAX_BLOB (1024 * 1024)
/* Longest `after` cursor of a list. It is only compared, never copied, so
 * it may be longer than any endpoint (then the page is empty or starts
 * after it), but it comes from a URL query and stays bounded. */
#define DB_MAX_CURSOR 1024

/* The cached statement of `id`, prepared from `sql` on first use; NULL with
 * db_errmsg set when it does not prepare. Give it back with db_done. */
sqlite3_stmt *db_stmt(db *d, enum db_stmt_id id, const char *sql);
/* Resets st and clears its bindings, so no snapshot stays pinned. */
void db_done(sqlite3_stmt *st);

/* Records an SQLite failure as "what: message" and maps rc to a db_rc:
 * BUSY/LOCKED -> DB_BUSY, UNIQUE/PRIMARYKEY -> DB_CONFLICT, else DB_ERROR. */
db_rc db_sqlfail(db *d, int rc, const char *what);
/* Records a message of our own; returns rc. */
db_rc db_fail(db *d, db_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Checks that the C string s fits a char[cap] array (with its NUL) and, when
 * nonempty is set, that it is not empty; DB_ERROR naming `what` if not. */
db_rc db_check_str(db *d, const char *s, size_t cap, int nonempty,
                   const char *what);
/* Checks a lookup key: NULL or empty is DB_ERROR; one that does not fit
 * char[cap] matches no row (nothing that long is ever stored), so it is
 * DB_NOT_FOUND, which callers turn into "no such thing". */
db_rc db_check_key(db *d, const char *s, size_t cap, const char *what);
/* Copies text column col of st into dst[cap]; DB_ERROR when it does not
 * fit (never a silent cut) or holds a NUL. NULL reads as "". */
db_rc db_col_str(db *d, sqlite3_stmt *st, int col, char *dst, size_t cap,
                 const char *what);
/* A malloc'ed copy of text column col, NULL when the column is NULL. */
db_rc db_col_strdup(db *d, sqlite3_stmt *st, int col, char **out);
/* A malloc'ed copy of blob column col (NULL and 0 when empty or NULL). */
db_rc db_col_blob(db *d, sqlite3_stmt *st, int col, uint8_t **out,
                  size_t *len);
/* Binds a blob (NULL when len is 0) after checking it against DB_MAX_BLOB. */
db_rc db_bind_blob(db *d, sqlite3_stmt *st, int idx, const uint8_t *p,
                   size_t len, const char *what);
/* Steps st to its end (a write), then resets it; DB_OK when done. */
db_rc db_run(db *d, sqlite3_stmt *st, const char *what);
/* Reports a failed sqlite3_bind_* (brc != SQLITE_OK) after resetting st. */
db_rc db_bindfail(db *d, sqlite3_stmt *st, const char *what);
/* Reads one row into *elem; on failure leaves *elem owning nothing. */
typedef db_rc (*db_row_fn)(db *d, sqlite3_stmt *st, void *elem);
/* Frees the heap fields of one element. */
typedef void (*db_clear_fn)(void *elem);
/* Steps the bound st to its end, reading each row with `row` into a
 * malloc'ed array of `size`-byte elements (*out, *n; NULL and 0 when no
 * row), then resets st. On failure frees everything, *out stays NULL. */
db_rc db_collect(db *d, sqlite3_stmt *st, size_t size, db_row_fn row,
                 db_clear_fn clear, void **out, size_t *n, const char *what);
/* Checks a list limit: positive. */
db_rc db_check_limit(db *d, int limit);

/* A page of the cached statement `id` (prepared from sql on first use),
 * whose ?1 is the cursor and ?2 the limit: checks the limit (and the text
 * cursor's length; NULL reads as ""), binds, and collects the rows as
 * db_collect does, naming `what` in errors. *out and *n start at NULL, 0. */
db_rc db_page_text(db *d, enum db_stmt_id id, const char *sql,
                   const char *after, int limit, size_t size, db_row_fn row,
                   db_clear_fn clear, void **out, size_t *n, const char *what);
db_rc db_page_int(db *d, enum db_stmt_id id, const char *sql, int64_t after,
                  int limit, size_t size, db_row_fn row, db_clear_fn clear,
                  void **out, size_t *n, const char *what);
/* Steps the bound st for the integer in column 0 of its row (a count),
 * then resets it; no row is a failure named `what`. */
db_rc db_step_int64(db *d, sqlite3_stmt *st, int64_t *out, const char *what);

/* A write that may ride in the write-behind batch (db.h, db_batch_enable)
 * calls db_batch_join before it takes its statement and db_batch_leave
 * after it ran, whatever happened: with batching on and no explicit
 * transaction open, join opens the batch transaction if needed and marks
 * the statement as part of it, so db_stmt does not flush for it. */
db_rc db_batch_join(db *d);
void db_batch_leave(db *d, db_rc rc);

#endif
