/*
 * db_switch.h: the storage interface of the carrier switch (DESIGN §7),
 * beside db/db.h and in its style: the profile inventory, the 507
 * instances nusimd wrote to each device, switch/stage jobs and their
 * transitions, the audit trail and the event log of /events.
 *
 * The inventory invariants hold in SQL (schema/002_switch.sql): a profile
 * names at most one device, a loaded profile never returns to the pool,
 * one running job per device. Calls that would break one fail with
 * DB_CONFLICT (or DB_ERROR naming the rule) and change nothing.
 */
#ifndef DB_DB_SWITCH_H
#define DB_DB_SWITCH_H

#include "db/db.h"

#define DB_MAX_ICCID 20
#define DB_MAX_CARRIER 64
#define DB_MAX_STATE 20

/* ---- profiles ------------------------------------------------------------ */

typedef struct {
	char iccid[DB_MAX_ICCID + 1];
	char imsi[16];
	char carrier[DB_MAX_CARRIER + 1];
	char state[DB_MAX_STATE];     /* available reserved installed quarantined retired */
	char endpoint[DB_MAX_EP + 1]; /* "" when available */
	int64_t job_id;               /* the job that reserved it, 0 if none */
	int loaded;                   /* a Load Profile was sent with it */
	uint8_t *sealed;              /* the sealed container; NULL in lists */
	size_t sealed_len;
	int64_t created_at, updated_at;
} db_profile;

/* Adds an available profile. DB_CONFLICT when the ICCID exists. */
db_rc db_profile_add(db *d, const db_profile *p);
/* With the sealed container. */
db_rc db_profile_get(db *d, const char *iccid, db_profile *out);
/* carrier/state NULL or "" = any; ICCIDs > after, in ICCID order. No
 * sealed containers. Free with db_profile_list_free. */
db_rc db_profile_list(db *d, const char *carrier, const char *state,
                      const char *after, int limit, db_profile **out,
                      size_t *n);
/* Reserves one available profile of `carrier` (or exactly `iccid` when
 * not NULL/"", which must then be available) for endpoint and job, and
 * fills *out (with the sealed container). DB_NOT_FOUND: pool empty or no
 * such available ICCID. */
db_rc db_profile_reserve(db *d, const char *carrier, const char *iccid,
                         const char *endpoint, int64_t job_id,
                         db_profile *out);
/* Moves iccid from state `from` to `to` (endpoint unchanged; "available"
 * also clears endpoint and job). DB_CONFLICT when it is not in `from`, or
 * a rule refuses (e.g. a loaded profile to available). */
db_rc db_profile_move(db *d, const char *iccid, const char *from,
                      const char *to);
/* Marks the profile as sent in a Load Profile (it never returns to the pool). */
db_rc db_profile_mark_loaded(db *d, const char *iccid);
void db_profile_clear(db_profile *p);
void db_profile_list_free(db_profile *list, size_t n);

typedef struct {
	char carrier[DB_MAX_CARRIER + 1];
	int64_t available, reserved, installed, quarantined, retired;
} db_pool;
/* One row per carrier that has any profile, by name. */
db_rc db_pool_list(db *d, db_pool **out, size_t *n);
/* DB_OK if any profile of that carrier exists, else DB_NOT_FOUND. */
db_rc db_carrier_known(db *d, const char *carrier);

/* ---- the 507 instances of a device ---------------------------------------- */

typedef struct {
	char endpoint[DB_MAX_EP + 1];
	int instance;
	char iccid[DB_MAX_ICCID + 1];
	char carrier[DB_MAX_CARRIER + 1];
	char role[12];                /* staged active fallback */
	int64_t job_id;
	int64_t created_at;
} db_instance;

/* Inserts or replaces (endpoint, instance). DB_CONFLICT: the ICCID sits in
 * another instance, or a second staged one for the carrier, or a second
 * active one. */
db_rc db_inst_put(db *d, const db_instance *in);
db_rc db_inst_list(db *d, const char *endpoint, db_instance **out, size_t *n);
db_rc db_inst_by_iccid(db *d, const char *iccid, db_instance *out);
db_rc db_inst_staged(db *d, const char *endpoint, const char *carrier,
                     db_instance *out);
db_rc db_inst_set_role(db *d, const char *endpoint, int instance,
                       const char *role);
db_rc db_inst_delete(db *d, const char *endpoint, int instance);

/* ---- jobs ------------------------------------------------------------------- */

typedef struct {
	int64_t id;
	char kind[8];                 /* switch stage */
	char endpoint[DB_MAX_EP + 1];
	char carrier[DB_MAX_CARRIER + 1];
	char want_iccid[DB_MAX_ICCID + 1]; /* asked for by the operator */
	char to_iccid[DB_MAX_ICCID + 1];   /* reserved for the job */
	char from_iccid[DB_MAX_ICCID + 1]; /* what 508/1 said before */
	char eid[33];
	int instance;                 /* the 507 instance, -1 until chosen */
	char state[DB_MAX_STATE];
	int final;
	int attempts;
	int result_code;              /* 508/6, -1 if none */
	char error[256];
	int retryable;
	int load_sent;
	int64_t deadline;             /* wall seconds, 0 = none */
	char origin[65];              /* token name or "campaign:N" */
	int64_t campaign_id;
	int64_t created_at, updated_at;
} db_job;

/* Inserts j (id ignored) and sets j->id and a first transition.
 * DB_CONFLICT when the endpoint has a running job. */
db_rc db_job_add(db *d, db_job *j);
db_rc db_job_get(db *d, int64_t id, db_job *out);
/* The running job of endpoint, DB_NOT_FOUND if none. */
db_rc db_job_active(db *d, const char *endpoint, db_job *out);
/* Writes every mutable field of j; when state_changed, adds a transition
 * row (detail may be NULL). Wrap it with the inventory change in one
 * db_begin/db_commit. */
db_rc db_job_save(db *d, const db_job *j, int state_changed,
                  const char *detail);
/* state/endpoint NULL or "" = any; ids < before (0 = from the newest),
 * newest first. */
db_rc db_job_list(db *d, const char *state, const char *endpoint,
                  int64_t before, int limit, db_job **out, size_t *n);
/* Every job not final, oldest first (start-up). */
db_rc db_job_unfinished(db *d, db_job **out, size_t *n);
db_rc db_job_count_state(db *d, const char *state, int64_t *n);

typedef struct {
	char state[DB_MAX_STATE];
	int64_t at_ms;
	char detail[256];
} db_transition;
db_rc db_job_transitions(db *d, int64_t job_id, db_transition **out,
                         size_t *n);

/* ---- audit ------------------------------------------------------------------ */

typedef struct {
	int64_t id;
	int64_t at;
	char actor[65];
	char action[48];
	char target[160];
	char detail[512];
} db_audit;

/* Long target/detail are cut (at a character boundary is not promised). */
db_rc db_audit_add(db *d, const char *actor, const char *action,
                   const char *target, const char *detail);
/* ids > after, oldest first. */
db_rc db_audit_list(db *d, int64_t after, int limit, db_audit **out,
                    size_t *n);

/* ---- events (SSE) ----------------------------------------------------------- */

typedef struct {
	int64_t id;
	int64_t at_ms;
	char type[32];
	char *data;                   /* JSON text, malloc'ed */
} db_event;

db_rc db_event_add(db *d, int64_t at_ms, const char *type, const char *data,
                   int64_t *id);
/* ids > after, oldest first. Free with db_event_list_free. */
db_rc db_event_list(db *d, int64_t after, int limit, db_event **out,
                    size_t *n);
db_rc db_event_last_id(db *d, int64_t *id);
/* Deletes all but the newest `keep` events. */
db_rc db_event_prune(db *d, int64_t keep);
void db_event_list_free(db_event *list, size_t n);

#endif
