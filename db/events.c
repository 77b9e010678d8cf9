/*
 * events.c: the event log behind GET /api/v1/events (db/db_switch.h). The
 * row id is the SSE event id, so a client that reconnects with
 * Last-Event-ID gets what it missed from here; the oldest rows are pruned.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"
#include "db/db_switch.h"

/* An event's JSON stays small: it describes, it does not carry payloads. */
#define DB_MAX_EVENT 8192

static db_rc event_insert(db *d, int64_t at_ms, const char *type,
                          const char *data, int64_t *id);

/* The events that describe a registration write ride in the write-behind
 * batch with it (db.h, db_batch_enable): one per Update, and a commit of
 * their own each would cost the fsync the batch saves. Losing the newest
 * with their registration rows is harmless (docs/design.md §7). */
static int rides_with_registration(const char *type)
{
	return !strcmp(type, "registered") || !strcmp(type, "updated") ||
	       !strcmp(type, "deregistered") || !strcmp(type, "expired");
}

db_rc db_event_add(db *d, int64_t at_ms, const char *type, const char *data,
                   int64_t *id)
{
	db_event probe;
	db_rc r;
	if ((r = db_check_str(d, type, sizeof probe.type, 1, "event type")) ||
	    (r = db_check_str(d, data, DB_MAX_EVENT + 1, 1, "event data")))
		return r;
	if (!rides_with_registration(type))
		return event_insert(d, at_ms, type, data, id);
	if ((r = db_batch_join(d)))
		return r;
	r = event_insert(d, at_ms, type, data, id);
	db_batch_leave(d, r);
	return r;
}

static db_rc event_insert(db *d, int64_t at_ms, const char *type,
                          const char *data, int64_t *id)
{
	db_rc r;
	sqlite3_stmt *st = db_stmt(d, ST_EVENT_ADD,
		"INSERT INTO events (at_ms, type, data) VALUES (?1, ?2, ?3)");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, at_ms) ||
	    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, data, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "event add");
	r = db_run(d, st, "event add");
	if (r == DB_OK && id)
		*id = sqlite3_last_insert_rowid(d->h);
	return r;
}

static db_rc event_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_event *e = elem;
	memset(e, 0, sizeof *e);
	e->id = sqlite3_column_int64(st, 0);
	e->at_ms = sqlite3_column_int64(st, 1);
	db_rc rc = db_col_str(d, st, 2, e->type, sizeof e->type, "type");
	if (rc == DB_OK)
		rc = db_col_strdup(d, st, 3, &e->data);
	if (rc == DB_OK && !e->data)
		rc = db_fail(d, DB_ERROR, "event %lld: no data", (long long)e->id);
	return rc;
}

static void event_clear_any(void *elem)
{
	free(((db_event *)elem)->data);
}

db_rc db_event_list(db *d, int64_t after, int limit, db_event **out,
                    size_t *n)
{
	return db_page_int(d, ST_EVENT_LIST,
		"SELECT id, at_ms, type, data FROM events WHERE id > ?1 "
		"ORDER BY id LIMIT ?2", after, limit, sizeof **out, event_row,
		event_clear_any, (void **)out, n, "event list");
}

db_rc db_event_last_id(db *d, int64_t *id)
{
	*id = 0;
	sqlite3_stmt *st = db_stmt(d, ST_EVENT_LAST,
		"SELECT coalesce(max(id), 0) FROM events");
	if (!st)
		return DB_ERROR;
	return db_step_int64(d, st, id, "event last id");
}

db_rc db_event_prune(db *d, int64_t keep)
{
	sqlite3_stmt *st = db_stmt(d, ST_EVENT_PRUNE,
		"DELETE FROM events WHERE id <= (SELECT coalesce(max(id), 0) "
		"FROM events) - ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, keep < 0 ? 0 : keep))
		return db_bindfail(d, st, "event prune");
	return db_run(d, st, "event prune");
}

void db_event_list_free(db_event *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i].data);
	free(list);
}
