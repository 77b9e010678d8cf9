/*
 * db.h: the storage layer of nusimd (DESIGN §11).
 *
 * This header is the storage interface. The embedded SQLite backend
 * implements it in the .c files of db/, one file per table family; a
 * PostgreSQL backend would implement the same functions in its own files
 * and be chosen at link time, without touching the engine. All calls run
 * on the loop thread.
 *
 * Every function returns a db_rc (0 = OK). Structs filled by *_get / *_list
 * own their heap fields; free them with the matching *_clear / *_free.
 * Strings are NUL-terminated. Times are wall-clock seconds since the epoch.
 */
#ifndef DB_DB_H
#define DB_DB_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	DB_OK = 0,
	DB_NOT_FOUND,   /* no such row */
	DB_CONFLICT,    /* a uniqueness rule would break (e.g. identity bound elsewhere) */
	DB_BUSY,        /* locked by another process past the busy timeout */
	DB_ERROR,       /* anything else; the message is in db_errmsg() */
} db_rc;

typedef struct db db;

/* Opens (creating if needed) the database at `path`, sets WAL mode,
 * synchronous=FULL, foreign keys and a busy timeout, and applies every
 * migration of schema/ not yet applied (PRAGMA user_version). On failure
 * *out is NULL and err says why. */
db_rc db_open(const char *path, db **out, char *err, size_t errlen);
void db_close(db *d);
const char *db_errmsg(db *d);
/* The schema version (the number of the last applied migration). */
int db_schema_version(db *d);
/* The highest migration this build carries. */
int db_schema_latest(void);

/* Explicit transactions (BEGIN IMMEDIATE); calls nest by counting, only the
 * outermost commits. */
db_rc db_begin(db *d);
db_rc db_commit(db *d);
db_rc db_rollback(db *d);

/* Write-behind batching (group commit), off by default. When on, the
 * registration writes (db_reg_put, db_reg_update, db_reg_delete) made
 * outside an explicit transaction join one open transaction instead of
 * each committing (one fsync each); db_batch_flush commits it with one
 * fsync. Losing the newest of those writes to an OS crash is harmless (see
 * docs/design.md §7). Every other write, and db_begin, flushes the batch
 * first, so a state written "before the request is sent" (DESIGN §7) is
 * durable when its call returns. Reads on this connection see the batch at
 * once; other processes see it after the flush. db_close flushes too.
 * The caller flushes within a few ms (server/registration.c, a timer). */
void db_batch_enable(db *d, int on);      /* off flushes what is pending */
db_rc db_batch_flush(db *d);              /* DB_OK when nothing is pending */
size_t db_batch_pending(const db *d);     /* writes waiting in the batch */
uint64_t db_batch_lost(const db *d);      /* writes lost to failed flushes */

/* A small key-value table for the server's own settings (e.g. the check
 * value of the master key). *val is malloc'ed. */
db_rc db_meta_get(db *d, const char *key, char **val);
db_rc db_meta_set(db *d, const char *key, const char *val);

/* ---- API tokens (only a SHA-256 of the token is stored) -------------- */

typedef enum { DB_ROLE_VIEWER = 1, DB_ROLE_OPERATOR = 2, DB_ROLE_ADMIN = 3 } db_role;
const char *db_role_name(int role);      /* "viewer", ... */
int db_role_from_name(const char *s);    /* 0 if unknown */

typedef struct {
	int64_t id;
	char name[65];
	int role;
	int64_t created_at;
	int64_t last_used_at;  /* 0 if never */
} db_token;

db_rc db_token_create(db *d, const char *name, int role,
                      const uint8_t hash[32], int64_t *id);
db_rc db_token_find(db *d, const uint8_t hash[32], db_token *out);
db_rc db_token_touch(db *d, int64_t id, int64_t now);
/* *out is a malloc'ed array of *n tokens, by id. */
db_rc db_token_list(db *d, db_token **out, size_t *n);
db_rc db_token_delete(db *d, int64_t id);

/* ---- devices: the credentials an operator provisions ------------------ */

#define DB_MAX_EP 128
#define DB_MAX_IDENTITY 256

typedef struct {
	char endpoint[DB_MAX_EP + 1];
	char psk_identity[DB_MAX_IDENTITY + 1];  /* "" for a NoSec device */
	uint8_t *psk_sealed;    /* the PSK key sealed (crypto/seal.h); NULL if none */
	size_t psk_sealed_len;
	int64_t created_at;
	int64_t updated_at;
} db_device;

/* Inserts or replaces the device `endpoint`. DB_CONFLICT when the identity
 * is already bound to another endpoint (one identity, one endpoint). */
db_rc db_device_put(db *d, const char *endpoint, const char *psk_identity,
                    const uint8_t *psk_sealed, size_t psk_sealed_len);
db_rc db_device_get(db *d, const char *endpoint, db_device *out);
db_rc db_device_by_identity(db *d, const char *identity, db_device *out);
/* Devices with endpoint > after (after NULL or "" = from the start), in
 * endpoint order, at most `limit`. *out is malloc'ed; free with
 * db_device_list_free. */
db_rc db_device_list(db *d, const char *after, int limit,
                     db_device **out, size_t *n);
db_rc db_device_count(db *d, int64_t *n);
db_rc db_device_delete(db *d, const char *endpoint);
void db_device_clear(db_device *dev);
void db_device_list_free(db_device *list, size_t n);

/* ---- registrations ------------------------------------------------------ */

typedef struct {
	char endpoint[DB_MAX_EP + 1];
	char reg_id[33];          /* the Location-Path id: random, unguessable */
	char version[8];          /* "1.0", "1.1", "1.2" */
	char binding[8];
	int queue_mode;
	int64_t lifetime;         /* seconds */
	char *links;              /* the Register payload (link format) */
	char addr[64];            /* last source address, "ip:port" */
	char transport[8];        /* "udp" or "dtls" */
	char psk_identity[DB_MAX_IDENTITY + 1]; /* "" on NoSec */
	int64_t registered_at;
	int64_t updated_at;
	int64_t expires_at;       /* updated_at + lifetime */
} db_registration;

/* Inserts or replaces the registration of r->endpoint (a new Register for a
 * known endpoint replaces it). */
db_rc db_reg_put(db *d, const db_registration *r);
db_rc db_reg_get(db *d, const char *endpoint, db_registration *out);
db_rc db_reg_by_id(db *d, const char *reg_id, db_registration *out);
/* Writes back an Update: updated_at, expires_at, lifetime, binding,
 * queue_mode, addr, transport, and links when r->links is not NULL. */
db_rc db_reg_update(db *d, const db_registration *r);
db_rc db_reg_delete(db *d, const char *endpoint);
db_rc db_reg_list(db *d, const char *after, int limit,
                  db_registration **out, size_t *n);
db_rc db_reg_count(db *d, int64_t *n);
/* Endpoints whose expires_at <= now; *out is a malloc'ed array of
 * malloc'ed strings (free with db_strings_free). */
db_rc db_reg_expired(db *d, int64_t now, int limit, char ***out, size_t *n);
void db_registration_clear(db_registration *r);
void db_reg_list_free(db_registration *list, size_t n);
void db_strings_free(char **s, size_t n);

/* ---- device-management requests (and the per-device queue) ------------ */

/* Request states; the numbers are stored. */
typedef enum {
	DB_REQ_QUEUED = 0,     /* waiting for the device to be reachable */
	DB_REQ_SENT = 1,       /* on the wire, no answer yet */
	DB_REQ_DONE = 2,       /* the device answered (any CoAP code) */
	DB_REQ_FAILED = 3,     /* transport failure (timeout, reset, ...) */
	DB_REQ_EXPIRED = 4,    /* its time to live ran out in the queue */
	DB_REQ_CANCELLED = 5,
} db_req_state;
const char *db_req_state_name(int state);

#define DB_MAX_PATH 64

typedef struct {
	int64_t id;
	char endpoint[DB_MAX_EP + 1];
	int op;                   /* dm_op (server/dm.h) */
	char path[DB_MAX_PATH];   /* "/3/0/1" */
	int format;               /* content format of payload, -1 if none */
	int accept;               /* wanted response format, -1 if any */
	uint8_t *payload;         /* request body (write, create, execute args) */
	size_t payload_len;
	char *query;              /* Write-Attributes query, NULL if none */
	int state;                /* db_req_state */
	int64_t created_at;
	int64_t expires_at;       /* queue deadline */
	int64_t sent_at;          /* 0 until sent */
	int64_t done_at;          /* 0 until finished */
	int coap_code;            /* e.g. 205, 404; 0 if none */
	int resp_format;          /* -1 if none */
	uint8_t *resp;            /* response payload */
	size_t resp_len;
	char error[128];          /* why it failed, "" if it did not */
	char origin[65];          /* who asked (token name), "" if internal */
} db_request;

/* Inserts r (id ignored) and sets r->id. */
db_rc db_request_add(db *d, db_request *r);
/* Writes back state, sent_at, done_at, coap_code, resp_format, resp,
 * error of r->id. */
db_rc db_request_update(db *d, const db_request *r);
db_rc db_request_get(db *d, int64_t id, db_request *out);
/* The device's QUEUED requests, oldest first, at most limit. */
db_rc db_request_queued(db *d, const char *endpoint, int limit,
                        db_request **out, size_t *n);
/* Marks SENT requests (left over from a previous run) QUEUED again so they
 * are re-sent; returns how many in *n. */
db_rc db_request_requeue_sent(db *d, int64_t *n);
/* Moves QUEUED requests with expires_at <= now to EXPIRED (expires_at 0
 * means no deadline). */
db_rc db_request_expire(db *d, int64_t now, int64_t *n);
db_rc db_request_count_state(db *d, int state, int64_t *n);
void db_request_clear(db_request *r);
void db_request_list_free(db_request *list, size_t n);

/* ---- observations ------------------------------------------------------- */

typedef struct {
	int64_t id;
	char endpoint[DB_MAX_EP + 1];
	char path[DB_MAX_PATH];
	uint8_t token[8];         /* the CoAP token of the observe request */
	size_t token_len;
	int active;               /* 0 once cancelled or ended */
	int format;               /* content format of the last value, -1 if none */
	uint8_t *last;            /* the last notified payload */
	size_t last_len;
	int64_t notifications;    /* how many arrived */
	int64_t started_at;
	int64_t updated_at;
} db_observation;

/* Inserts or replaces the observation of (endpoint, path), sets o->id. */
db_rc db_obs_put(db *d, db_observation *o);
db_rc db_obs_by_token(db *d, const uint8_t *token, size_t token_len,
                      db_observation *out);
db_rc db_obs_get(db *d, const char *endpoint, const char *path,
                 db_observation *out);
/* Stores a notification: last value, format, count + 1, updated_at. */
db_rc db_obs_notify(db *d, int64_t id, int format, const uint8_t *payload,
                    size_t len, int64_t now);
db_rc db_obs_set_active(db *d, int64_t id, int active);
/* All observations of a device (endpoint NULL = all devices). */
db_rc db_obs_list(db *d, const char *endpoint, db_observation **out,
                  size_t *n);
db_rc db_obs_delete(db *d, int64_t id);
void db_observation_clear(db_observation *o);
void db_obs_list_free(db_observation *list, size_t n);

#endif
