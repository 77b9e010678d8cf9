/*
 * campaign_import.h: turning an uploaded campaign CSV into a campaign
 * (DESIGN §8) while it streams in: the header picks the columns, every
 * row is checked on its own (column count, field syntax) and staged in
 * the database in batches of CIMP_BATCH rows per transaction; at the end
 * the staged rows are validated as a whole (db_camp_stage_check) and
 * become one campaign, or are dropped. Memory stays bounded whatever the
 * size of the file.
 */
#ifndef API_CAMPAIGN_IMPORT_H
#define API_CAMPAIGN_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "db/db.h"
#include "db/db_campaign.h"

#define CIMP_BATCH 1000
#define CIMP_MAX_ERRORS 1000    /* bad rows listed in a reply */

typedef struct camp_import camp_import;

camp_import *camp_import_new(db *d, int64_t max_rows);
/* Frees the import; staged rows not committed are dropped. */
void camp_import_free(camp_import *im);
/* 0, or -1 when the file cannot be imported at all (bad header, storage
 * failure, too many rows): camp_import_error says why, and the rest of
 * the body is ignored. */
int camp_import_feed(camp_import *im, const char *data, size_t n);
const char *camp_import_error(const camp_import *im);
/* 1 if the failure was the server's (storage), not the file's. */
int camp_import_internal(const camp_import *im);

typedef struct {
	int64_t id;            /* the new campaign; 0 if none was created */
	int64_t imported;      /* rows in it */
	int64_t invalid;       /* bad rows (skipped, or the reason for refusal) */
	json_t *errors;        /* [{line, reason}], the first CIMP_MAX_ERRORS */
	json_t *warnings;      /* [string] */
} camp_import_result;

/* Ends the input and validates. With skip_invalid the valid rows become
 * the campaign even when some are bad; without it any bad row refuses the
 * whole file. 0 when a campaign was created; 1 when refused for bad rows
 * (res->errors lists them); -1 on a fatal error (camp_import_error). The
 * caller owns res->errors and res->warnings (json_decref). */
int camp_import_finish(camp_import *im, const db_camp_settings *s,
                       int skip_invalid, const char *created_by,
                       camp_import_result *res);

#endif
