/*
 * registrations.c: the LwM2M registrations, one per endpoint. The hot
 * paths are indexed: Update and De-register by reg_id (unique index), the
 * lifetime expiry scan by expires_at, pages by endpoint (primary key).
 * There is no foreign key to devices: NoSec devices have no devices row.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

#define REG_COLS "endpoint, reg_id, version, binding, queue_mode, lifetime, " \
	"links, addr, transport, psk_identity, registered_at, updated_at, " \
	"expires_at"

/* Largest link-format payload kept; LwM2M Register payloads are a few KiB
 * even for rich clients, block-wise ones up to 64 KiB. */
#define DB_MAX_LINKS (256 * 1024)

static db_rc reg_row(db *d, sqlite3_stmt *st, void *elem)
{
	db_registration *r = elem;
	memset(r, 0, sizeof *r);
	db_rc rc;
	if ((rc = db_col_str(d, st, 0, r->endpoint, sizeof r->endpoint,
	                     "endpoint")) ||
	    (rc = db_col_str(d, st, 1, r->reg_id, sizeof r->reg_id, "reg_id")) ||
	    (rc = db_col_str(d, st, 2, r->version, sizeof r->version,
	                     "version")) ||
	    (rc = db_col_str(d, st, 3, r->binding, sizeof r->binding,
	                     "binding")) ||
	    (rc = db_col_str(d, st, 7, r->addr, sizeof r->addr, "addr")) ||
	    (rc = db_col_str(d, st, 8, r->transport, sizeof r->transport,
	                     "transport")) ||
	    (rc = db_col_str(d, st, 9, r->psk_identity, sizeof r->psk_identity,
	                     "psk identity")) ||
	    (rc = db_col_strdup(d, st, 6, &r->links)))
		return rc;
	r->queue_mode = sqlite3_column_int(st, 4);
	r->lifetime = sqlite3_column_int64(st, 5);
	r->registered_at = sqlite3_column_int64(st, 10);
	r->updated_at = sqlite3_column_int64(st, 11);
	r->expires_at = sqlite3_column_int64(st, 12);
	return DB_OK;
}

static void reg_clear_any(void *elem)
{
	db_registration_clear(elem);
}

/* Checks the fields an Update writes (the arrays must hold a NUL). */
static db_rc check_update_fields(db *d, const db_registration *r)
{
	db_rc rc;
	if ((rc = db_check_str(d, r->binding, sizeof r->binding, 0,
	                       "binding")) ||
	    (rc = db_check_str(d, r->addr, sizeof r->addr, 0, "addr")) ||
	    (rc = db_check_str(d, r->transport, sizeof r->transport, 0,
	                       "transport")))
		return rc;
	if (r->links && strnlen(r->links, DB_MAX_LINKS + 1) > DB_MAX_LINKS)
		return db_fail(d, DB_ERROR, "links: longer than %d bytes",
		               DB_MAX_LINKS);
	if (r->lifetime < 0)
		return db_fail(d, DB_ERROR, "lifetime %lld: negative",
		               (long long)r->lifetime);
	return DB_OK;
}

static db_rc check_reg(db *d, const db_registration *r)
{
	db_rc rc;
	if ((rc = db_check_str(d, r->endpoint, sizeof r->endpoint, 1,
	                       "endpoint")) ||
	    (rc = db_check_str(d, r->reg_id, sizeof r->reg_id, 1, "reg_id")) ||
	    (rc = db_check_str(d, r->version, sizeof r->version, 0,
	                       "version")) ||
	    (rc = db_check_str(d, r->psk_identity, sizeof r->psk_identity, 0,
	                       "psk identity")))
		return rc;
	return check_update_fields(d, r);
}

/* Single-row SELECT of REG_COLS, bound; reads into out. */
static db_rc reg_one(db *d, sqlite3_stmt *st, db_registration *out,
                     const char *what, const char *key)
{
	db_rc r;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = reg_row(d, st, out);
	else if (rc == SQLITE_DONE)
		r = db_fail(d, DB_NOT_FOUND, "%s %s: not found", what, key);
	else
		r = db_sqlfail(d, rc, what);
	db_done(st);
	return r;
}

static db_rc reg_put(db *d, const db_registration *r);
static db_rc reg_update(db *d, const db_registration *r, int by_id);
static db_rc reg_delete(db *d, const char *endpoint);

/* The three writes below join the write-behind batch when it is on
 * (db_batch_enable): losing the newest of them to an OS crash is harmless,
 * the device registers again (docs/design.md §7). */
db_rc db_reg_put(db *d, const db_registration *r)
{
	db_rc rc = check_reg(d, r);
	if (rc || (rc = db_batch_join(d)))
		return rc;
	rc = reg_put(d, r);
	db_batch_leave(d, rc);
	return rc;
}

static db_rc reg_put(db *d, const db_registration *r)
{
	db_rc rc;
	/* An upsert keyed by endpoint: a reg_id held by another endpoint is a
	 * conflict, where INSERT OR REPLACE would silently drop that row. */
	sqlite3_stmt *st = db_stmt(d, ST_REG_PUT,
		"INSERT INTO registrations (" REG_COLS ") VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
		"ON CONFLICT (endpoint) DO UPDATE SET "
		"reg_id = excluded.reg_id, version = excluded.version, "
		"binding = excluded.binding, queue_mode = excluded.queue_mode, "
		"lifetime = excluded.lifetime, links = excluded.links, "
		"addr = excluded.addr, transport = excluded.transport, "
		"psk_identity = excluded.psk_identity, "
		"registered_at = excluded.registered_at, "
		"updated_at = excluded.updated_at, "
		"expires_at = excluded.expires_at");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, r->endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->reg_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, r->version, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, r->binding, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 5, r->queue_mode ? 1 : 0) ||
	    sqlite3_bind_int64(st, 6, r->lifetime) ||
	    (r->links ? sqlite3_bind_text(st, 7, r->links, -1, SQLITE_STATIC)
	              : sqlite3_bind_null(st, 7)) ||
	    sqlite3_bind_text(st, 8, r->addr, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 9, r->transport, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 10, r->psk_identity, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 11, r->registered_at) ||
	    sqlite3_bind_int64(st, 12, r->updated_at) ||
	    sqlite3_bind_int64(st, 13, r->expires_at))
		return db_bindfail(d, st, "registration put");
	rc = db_run(d, st, "registration put");
	if (rc == DB_CONFLICT)
		db_fail(d, rc, "reg_id %s is already used by another endpoint",
		        r->reg_id);
	return rc;
}

db_rc db_reg_get(db *d, const char *endpoint, db_registration *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = db_check_key(d, endpoint, sizeof out->endpoint, "endpoint");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_REG_GET,
		"SELECT " REG_COLS " FROM registrations WHERE endpoint = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "registration get");
	return reg_one(d, st, out, "registration of", endpoint);
}

db_rc db_reg_by_id(db *d, const char *reg_id, db_registration *out)
{
	memset(out, 0, sizeof *out);
	db_rc r = db_check_key(d, reg_id, sizeof out->reg_id, "reg_id");
	if (r)
		return r;
	sqlite3_stmt *st = db_stmt(d, ST_REG_BY_ID,
		"SELECT " REG_COLS " FROM registrations WHERE reg_id = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, reg_id, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "registration by id");
	return reg_one(d, st, out, "registration", reg_id);
}

/* The Update is keyed by reg_id (what /rd/<id> names) when it is set, and
 * then must also match the endpoint when that is set; by endpoint alone
 * otherwise. */
db_rc db_reg_update(db *d, const db_registration *r)
{
	db_rc rc = check_update_fields(d, r);
	if (rc ||
	    (rc = db_check_str(d, r->reg_id, sizeof r->reg_id, 0, "reg_id")) ||
	    (rc = db_check_str(d, r->endpoint, sizeof r->endpoint, 0,
	                       "endpoint")))
		return rc;
	int by_id = r->reg_id[0] != '\0';
	if (!by_id && !r->endpoint[0])
		return db_fail(d, DB_ERROR, "registration update: no reg_id "
		               "and no endpoint");
	if ((rc = db_batch_join(d)))
		return rc;
	rc = reg_update(d, r, by_id);
	db_batch_leave(d, rc);
	return rc;
}

static db_rc reg_update(db *d, const db_registration *r, int by_id)
{
	db_rc rc;
#define REG_SET "UPDATE registrations SET updated_at = ?3, " \
	"expires_at = ?4, lifetime = ?5, binding = ?6, queue_mode = ?7, " \
	"addr = ?8, transport = ?9, links = coalesce(?10, links) "
	sqlite3_stmt *st = by_id
		? db_stmt(d, ST_REG_UPDATE_BY_ID, REG_SET
		          "WHERE reg_id = ?1 AND (?2 = '' OR endpoint = ?2)")
		: db_stmt(d, ST_REG_UPDATE_BY_EP, REG_SET
		          "WHERE endpoint = ?2 AND ?1 = ''");
#undef REG_SET
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, r->reg_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->endpoint, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, r->updated_at) ||
	    sqlite3_bind_int64(st, 4, r->expires_at) ||
	    sqlite3_bind_int64(st, 5, r->lifetime) ||
	    sqlite3_bind_text(st, 6, r->binding, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 7, r->queue_mode ? 1 : 0) ||
	    sqlite3_bind_text(st, 8, r->addr, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 9, r->transport, -1, SQLITE_STATIC) ||
	    (r->links ? sqlite3_bind_text(st, 10, r->links, -1, SQLITE_STATIC)
	              : sqlite3_bind_null(st, 10)))
		return db_bindfail(d, st, "registration update");
	rc = db_run(d, st, "registration update");
	if (rc == DB_OK && sqlite3_changes(d->h) == 0)
		rc = db_fail(d, DB_NOT_FOUND, "registration %s: not found",
		             by_id ? r->reg_id : r->endpoint);
	return rc;
}

db_rc db_reg_delete(db *d, const char *endpoint)
{
	db_registration probe;
	db_rc r = db_check_key(d, endpoint, sizeof probe.endpoint, "endpoint");
	if (r || (r = db_batch_join(d)))
		return r;
	r = reg_delete(d, endpoint);
	db_batch_leave(d, r);
	return r;
}

static db_rc reg_delete(db *d, const char *endpoint)
{
	db_rc r;
	sqlite3_stmt *st = db_stmt(d, ST_REG_DELETE,
		"DELETE FROM registrations WHERE endpoint = ?1");
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC))
		return db_bindfail(d, st, "registration delete");
	r = db_run(d, st, "registration delete");
	if (r == DB_OK && sqlite3_changes(d->h) == 0)
		r = db_fail(d, DB_NOT_FOUND, "registration of %s: not found",
		            endpoint);
	return r;
}

db_rc db_reg_list(db *d, const char *after, int limit,
                  db_registration **out, size_t *n)
{
	return db_page_text(d, ST_REG_LIST,
		"SELECT " REG_COLS " FROM registrations WHERE endpoint > ?1 "
		"ORDER BY endpoint LIMIT ?2", after, limit, sizeof **out,
		reg_row, reg_clear_any, (void **)out, n, "registration list");
}

db_rc db_reg_count(db *d, int64_t *n)
{
	*n = 0;
	sqlite3_stmt *st = db_stmt(d, ST_REG_COUNT,
		"SELECT count(*) FROM registrations");
	if (!st)
		return DB_ERROR;
	return db_step_int64(d, st, n, "registration count");
}

static db_rc endpoint_row(db *d, sqlite3_stmt *st, void *elem)
{
	char **s = elem;
	db_rc r = db_col_strdup(d, st, 0, s);
	if (r == DB_OK && !*s)
		r = db_fail(d, DB_ERROR, "expired scan: NULL endpoint");
	return r;
}

static void string_clear_any(void *elem)
{
	free(*(char **)elem);
}

db_rc db_reg_expired(db *d, int64_t now, int limit, char ***out, size_t *n)
{
	return db_page_int(d, ST_REG_EXPIRED,
		"SELECT endpoint FROM registrations WHERE expires_at <= ?1 "
		"ORDER BY expires_at LIMIT ?2", now, limit, sizeof **out,
		endpoint_row, string_clear_any, (void **)out, n, "expired scan");
}

void db_registration_clear(db_registration *r)
{
	if (!r)
		return;
	free(r->links);
	r->links = NULL;
}

void db_reg_list_free(db_registration *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		db_registration_clear(&list[i]);
	free(list);
}

void db_strings_free(char **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}
