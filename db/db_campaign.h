/*
 * db_campaign.h: storage of bulk carrier-switch campaigns (DESIGN §8),
 * part of the storage interface of db/db.h (same rules: db_rc results,
 * loop thread only, wall-clock seconds).
 *
 * An upload streams into a staging area (db_camp_stage_*), is validated
 * there as a whole and then becomes a campaign in one transaction, or is
 * dropped. A campaign row moves pending -> started (with its job id) ->
 * succeeded | failed, or pending -> skipped; each move updates the
 * campaign's counters in the same statement group, so callers wrap a move
 * and the job's creation in one db_begin/db_commit.
 */
#ifndef DB_DB_CAMPAIGN_H
#define DB_DB_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

#define DB_MAX_CAMP_NAME 128
#define DB_MAX_TARGET 64        /* carrier name or ICCID */
#define DB_MAX_EID 32
#define DB_MAX_ICCID 20        /* as in db/db_switch.h */
#define DB_MAX_CAMP_ERROR 255

/* Campaign states; the numbers are stored. */
typedef enum {
	DB_CAMP_DRAFT = 0,
	DB_CAMP_RUNNING = 1,
	DB_CAMP_PAUSED = 2,
	DB_CAMP_COMPLETED = 3,
	DB_CAMP_CANCELLED = 4,
	DB_CAMP_ABORTED = 5,
} db_camp_state;
const char *db_camp_state_name(int state);
int db_camp_state_final(int state);   /* completed, cancelled, aborted */

/* Row states; the numbers are stored. */
typedef enum {
	DB_CROW_PENDING = 0,
	DB_CROW_STARTED = 1,
	DB_CROW_SUCCEEDED = 2,
	DB_CROW_FAILED = 3,
	DB_CROW_SKIPPED = 4,
} db_crow_state;
const char *db_crow_state_name(int state);

enum { DB_TARGET_CARRIER = 0, DB_TARGET_ICCID = 1 };

typedef struct {
	char name[DB_MAX_CAMP_NAME + 1];
	int64_t max_in_flight;
	double max_starts_per_s;
	double failure_threshold_pct;   /* abort when failed > pct % of finished */
	int64_t failure_min_sample;     /* ... once at least this many finished */
	int64_t window_start;           /* 0 = from now */
	int64_t window_end;             /* 0 = no end */
} db_camp_settings;

typedef struct {
	int64_t id;
	db_camp_settings set;
	int state;
	int64_t total, pending, started, succeeded, failed, skipped;
	int64_t created_at, started_at, ended_at, updated_at;
	char end_reason[DB_MAX_CAMP_ERROR + 1];
	char created_by[65];
	char *warnings;                 /* malloc'ed, lines; NULL if none */
} db_campaign;

typedef struct {
	int64_t campaign_id;
	int64_t line;
	char endpoint[DB_MAX_EP + 1];
	char eid[DB_MAX_EID + 1];
	int target_kind;
	char target[DB_MAX_TARGET + 1];
	int state;
	int64_t job_id;                 /* 0 if never started */
	char outcome[32];               /* "done", "failed", "rolled_back", ... */
	char from_iccid[DB_MAX_ICCID + 1];
	char to_iccid[DB_MAX_ICCID + 1];
	int result_code;                /* Load Profile Result, -1 if none */
	char error[DB_MAX_CAMP_ERROR + 1];
	int64_t started_at, ended_at;
} db_camp_row;

/* ---- staging (uploads) ------------------------------------------------- */

/* A fresh import id, unused in the staging table. */
db_rc db_camp_stage_new(db *d, int64_t *import_id);
/* Stages one CSV line. endpoint/eid may be "" (one of them is set for a
 * valid row); error NULL for a row that parsed, else why it is bad (the
 * text is cut to DB_MAX_CAMP_ERROR). Long fields are cut too: a row
 * carrying one already has an error. */
db_rc db_camp_stage_row(db *d, int64_t import_id, int64_t line,
                        const char *endpoint, const char *eid, int target_kind,
                        const char *target, const char *error);
/* Validates the rows still valid, as a whole, first reason wins: EID
 * unknown (nusimd learns EIDs from 508/0 in jobs), unknown device (neither
 * provisioned nor registered), duplicate device (a later line repeats an
 * earlier one), device pending or started in another unfinished campaign,
 * device already in an active job, unknown carrier, ICCID not an
 * available profile or asked twice, and not enough available profiles in
 * a carrier's pool for the rows asking for it (the rows past the pool's
 * size are the bad ones). */
db_rc db_camp_stage_check(db *d, int64_t import_id);
/* Counts of valid and bad rows. */
db_rc db_camp_stage_counts(db *d, int64_t import_id, int64_t *valid,
                           int64_t *bad);
/* The first `limit` bad rows by line: *out malloc'ed (line, error set). */
db_rc db_camp_stage_errors(db *d, int64_t import_id, int limit,
                           db_camp_row **out, size_t *n);
/* Creates the campaign (state draft) from the valid rows, in one
 * transaction that also drops the staged rows; *id is the new campaign. */
db_rc db_camp_stage_commit(db *d, int64_t import_id,
                           const db_camp_settings *s, const char *created_by,
                           const char *warnings, int64_t now, int64_t *id);
/* Drops the staged rows of one import (0: of every import). */
db_rc db_camp_stage_discard(db *d, int64_t import_id);

/* ---- campaigns ----------------------------------------------------------- */

db_rc db_camp_get(db *d, int64_t id, db_campaign *out);
/* Campaigns with id > after, by id, at most limit. */
db_rc db_camp_list(db *d, int64_t after, int limit, db_campaign **out,
                   size_t *n);
/* Ids of campaigns the engine must follow: running or paused, or final
 * with rows still started. *out malloc'ed. */
db_rc db_camp_active_ids(db *d, int64_t **out, size_t *n);
/* Writes the state (and started_at on the first run, ended_at and
 * end_reason on a final state). */
db_rc db_camp_set_state(db *d, int64_t id, int state, const char *reason,
                        int64_t now);
void db_campaign_clear(db_campaign *c);
void db_camp_list_free(db_campaign *list, size_t n);

/* ---- rows ---------------------------------------------------------------- */

/* The first `limit` pending rows by line. */
db_rc db_camp_pending(db *d, int64_t id, int limit, db_camp_row **out,
                      size_t *n);
/* The started rows (to reconcile after a restart). */
db_rc db_camp_started(db *d, int64_t id, db_camp_row **out, size_t *n);
/* pending -> started with job_id. DB_NOT_FOUND if the row is not pending. */
db_rc db_camp_row_start(db *d, int64_t id, int64_t line, int64_t job_id,
                        int64_t now);
/* pending -> failed without a job (the switch refused it). */
db_rc db_camp_row_refuse(db *d, int64_t id, int64_t line, const char *error,
                         int64_t now);
/* The row of job_id; DB_NOT_FOUND if the job is no campaign's. */
db_rc db_camp_row_by_job(db *d, int64_t job_id, db_camp_row *out);
/* started -> succeeded (ok) or failed, with the job's outcome.
 * DB_NOT_FOUND if the row is not started (already recorded). */
db_rc db_camp_row_finish(db *d, const db_camp_row *r, int ok, int64_t now);
/* Every pending row -> skipped with `error`; *n how many. */
db_rc db_camp_skip_pending(db *d, int64_t id, const char *error, int64_t now,
                           int64_t *n);
/* Rows with line > after, by line, at most limit (the report). */
db_rc db_camp_rows(db *d, int64_t id, int64_t after, int limit,
                   db_camp_row **out, size_t *n);

#endif
