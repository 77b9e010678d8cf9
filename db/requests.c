/*
 * requests.c: device-management requests and the per-device queue of
 * sleeping devices (DESIGN §4). A request is written before it is sent and
 * every state change after, so nothing is lost or done twice across a
 * restart. Indexes: (endpoint, state, id) for one device's queue in order,
 * (state, expires_at) for the expiry scan, the requeue and the counts.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db_int.h"

#define REQ_COLS "id, endpoint, op, path, format, accept, payload, query, " \
	"state, created_at, expires_at, sent_at, done_at, coap_code, " \
	"resp_format, resp, error, origin"

/* A Write-Attributes query is a handful of pmin/pmax/gt/lt/st pairs. */
#define DB_MAX_QUERY 1024

static const char *const state_names[] = {
	[DB_REQ_QUEUED] = "queued",
	[DB_REQ_SENT] = "sent",
	[DB_REQ_DONE] = "done",
	[DB_REQ_FAILED] = "failed",
	[DB_REQ_EXPIRED] = "expired",
	[DB_REQ_CANCELLED] = "cancelled",
};

const char *db_req_state_name(int state)
{
	if (state < DB_REQ_QUEUED || state > DB_REQ_CANCELLED)
		return "unknown";
	return state_names[state];
}

static int state_valid(int s)
{
	return s >= DB_REQ_QUEUED && s <= DB_REQ_CANCELLED;
}

static db_rc req_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_request *r = elem;
	memset(r, 0, sizeof *r);
	db_rc rc;
	if ((rc = db_col_str(d, st, 1, r->endpoint, sizeof r->endpoint,
	                     "endpoint")) ||
	    (rc = db_col_str(d, st, 3, r->path, sizeof r->path, "path")) ||
	    (rc = db_col_str(d, st, 16, r->error, sizeof r->error, "error")) ||
	    (rc = db_col_str(d, st, 17, r->origin, sizeof r->origin,
	                     "origin")) ||
	    (rc = db_col_blob(d, st, 6, &r->payload, &r->payload_len)) ||
	    (rc = db_col_strdup(d, st, 7, &r->query)) ||
	    (rc = db_col_blob(d, st, 15, &r->resp, &r->resp_len))) {
		db_request_clear(r);
		return rc;
	}
	r->id = sqlite3_column_int64(st, 0);
	r->op = sqlite3_column_int(st, 2);
	r->format = sqlite3_column_int(st, 4);
	r->accept = sqlite3_column_int(st, 5);
	r->state = sqlite3_column_int(st, 8);
	r->created_at = sqlite3_column_int64(st, 9);
	r->expires_at = sqlite3_column_int64(st, 10);
	r->sent_at = sqlite3_column_int64(st, 11);
	r->done_at = sqlite3_column_int64(st, 12);
	r->coap_code = sqlite3_column_int(st, 13);
	r->resp_format = sqlite3_column_int(st, 14);
	return DB_OK;
}

static void req_clear_any(void *elem)
{
	db_request_clear(elem);
}

db_rc db_request_add(db *d, db_request *r)
{
	db_rc rc;
	if ((rc = db_check_str(d, r->endpoint, sizeof r->endpoint, 1,
	                       "endpoint")) ||
	    (rc = db_check_str(d, r->path, sizeof r->path, 1, "path")) ||
	    (rc = db_check_str(d, r->error, sizeof r->error, 0, "error")) ||
	    (rc = db_check_str(d, r->origin, sizeof r->origin, 0, "origin")))
		return rc;
	if (r->query && strnlen(r->query, DB_MAX_QUERY + 1) > DB_MAX_QUERY)
		return db_fail(d, DB_ERROR, "query: longer than %d bytes",
		               DB_MAX_QUERY);
	if (!state_valid(r->state))
		return db_fail(d, DB_ERROR, "request state %d: unknown", r->state);
	int64_t created = r->created_at ? r->created_at : (int64_t)time(NULL);
	sqlite3_stmt *st = db_stmt(d, ST_REQ_ADD,
		"INSERT INTO requests (endpoint, op, path, format, accept, "
		"payload, query, state, created_at, expires_at, sent_at, done_at, "
		"coap_code, resp_format, resp, error, origin) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
		"?15, ?16, ?17)");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, r->endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, r->op) ||
	    sqlite3_bind_text(st, 3, r->path, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 4, r->format) ||
	    sqlite3_bind_int(st, 5, r->accept) ||
	    (r->query ? sqlite3_bind_text(st, 7, r->query, -1, SQLITE_STATIC)
	              : sqlite3_bind_null(st, 7)) ||
	    sqlite3_bind_int(st, 8, r->state) ||
	    sqlite3_bind_int64(st, 9, created) ||
	    sqlite3_bind_int64(st, 10, r->expires_at) ||
	    sqlite3_bind_int64(st, 11, r->sent_at) ||
	    sqlite3_bind_int64(st, 12, r->done_at) ||
	    sqlite3_bind_int(st, 13, r->coap_code) ||
	    sqlite3_bind_int(st, 14, r->resp_format) ||
	    sqlite3_bind_text(st, 16, r->error, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 17, r->origin, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "request add");
	if ((rc = db_bind_blob(d, st, 6, r->payload, r->payload_len,
	                       "payload")) ||
	    (rc = db_bind_blob(d, st, 15, r->resp, r->resp_len, "response"))) {
		db_done(st);
		return rc;
	}
	rc = db_run(d, st, "request add");
	if (rc == DB_OK) {
		r->id = sqlite3_last_insert_rowid(d->h);
		r->created_at = created;
	}
	return rc;
}

db_rc db_request_update(db *d, const db_request *r)
{
	db_rc rc = db_check_str(d, r->error, sizeof r->error, 0, "error");
	if (rc)
		return rc;
	if (!state_valid(r->state))
		return db_fail(d, DB_ERROR, "request state %d: unknown", r->state);
	sqlite3_stmt *st = db_stmt(d, ST_REQ_UPDATE,
		"UPDATE requests SET state = ?2, sent_at = ?3, done_at = ?4, "
		"coap_code = ?5, resp_format = ?6, resp = ?7, error = ?8 "
		"WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, r->id) ||
	    sqlite3_bind_int(st, 2, r->state) ||
	    sqlite3_bind_int64(st, 3, r->sent_at) ||
	    sqlite3_bind_int64(st, 4, r->done_at) ||
	    sqlite3_bind_int(st, 5, r->coap_code) ||
	    sqlite3_bind_int(st, 6, r->resp_format) ||
	    sqlite3_bind_text(st, 8, r->error, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "request update");
	if ((rc = db_bind_blob(d, st, 7, r->resp, r->resp_len, "response"))) {
		db_done(st);
		return rc;
	}
	rc = db_run(d, st, "request update");
	if (rc == DB_OK && sqlite3_changes(d->h) == 0)
		rc = db_fail(d, DB_NOT_FOUND, "request %lld: not found",
		             (long long)r->id);
	return rc;
}

db_rc db_request_get(db *d, int64_t id, db_request *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = db_stmt(d, ST_REQ_GET,
		"SELECT " REQ_COLS " FROM requests WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, id))
		return db_bindfail(d, st, "request get");
	db_rc r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = req_row(d, st, out);
	else if (rc == SQLITE_DONE)
		r = db_fail(d, DB_NOT_FOUND, "request %lld: not found",
		            (long long)id);
	else
		r = db_sqlfail(d, rc, "request get");
	db_done(st);
	return r;
}

db_rc db_request_queued(db *d, const char *endpoint, int limit,
                        db_request **out, size_t *n)
{
	db_request probe;
	*out = NULL;
	*n = 0;
	db_rc r = db_check_limit(d, limit);
	if (r || (r = db_check_key(d, endpoint, sizeof probe.endpoint,
	                           "endpoint"))) {
		/* Nothing that long is queued: an empty queue. */
		return r == DB_NOT_FOUND ? DB_OK : r;
	}
	sqlite3_stmt *st = db_stmt(d, ST_REQ_QUEUED,
		"SELECT " REQ_COLS " FROM requests "
		"WHERE endpoint = ?1 AND state = 0 ORDER BY id LIMIT ?2");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, limit))
		return db_bindfail(d, st, "queued requests");
	return db_collect(d, st, sizeof **out, req_row, req_clear_any,
	                  (void **)out, n, "queued requests");
}

db_rc db_request_requeue_sent(db *d, int64_t *n)
{
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_REQ_REQUEUE_SENT,
		"UPDATE requests SET state = 0, sent_at = 0 WHERE state = 1");
	if (!st)
		return DB_ERROR;
	db_rc r = db_run(d, st, "requeue sent");
	if (r == DB_OK)
		*n = sqlite3_changes64(d->h);
	return r;
}

/* expires_at 0 means no deadline: such a request waits until the device
 * comes back or it is cancelled. */
db_rc db_request_expire(db *d, int64_t now, int64_t *n)
{
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_REQ_EXPIRE,
		"UPDATE requests SET state = 4, done_at = ?1, "
		"error = 'time to live ran out in the queue' "
		"WHERE state = 0 AND expires_at > 0 AND expires_at <= ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int64(st, 1, now))
		return db_bindfail(d, st, "request expire");
	db_rc r = db_run(d, st, "request expire");
	if (r == DB_OK)
		*n = sqlite3_changes64(d->h);
	return r;
}

db_rc db_request_count_state(db *d, int state, int64_t *n)
{
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_REQ_COUNT_STATE,
		"SELECT count(*) FROM requests WHERE state = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_int(st, 1, state))
		return db_bindfail(d, st, "request count");
	return db_step_int64(d, st, n, "request count");
}

void db_request_clear(db_request *r)
{
	if (!r)
		return;
	free(r->payload);
	free(r->query);
	free(r->resp);
	r->payload = r->resp = NULL;
	r->query = NULL;
	r->payload_len = r->resp_len = 0;
}

void db_request_list_free(db_request *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		db_request_clear(&list[i]);
	free(list);
}
