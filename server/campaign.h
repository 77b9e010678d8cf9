/*
 * campaign.h: the campaign engine (DESIGN §8). It runs the rows of the
 * running campaigns as switch jobs, at most max_in_flight at once and at
 * most max_starts_per_s starts a second (a token bucket), only inside the
 * window, and aborts a campaign whose failures cross its threshold
 * (running jobs finish and are recorded). Every row's state is in SQLite
 * (db/db_campaign.h): a row becomes "started" in the same transaction as
 * its job's creation, so after a kill -9 nothing is started twice and
 * nothing is lost; campaign_new picks up where the last run stopped.
 *
 * Operator actions go through one transition table:
 *   draft   --start-->  running      running --pause-->  paused
 *   paused  --resume--> running      draft|running|paused --cancel--> cancelled
 * and the engine's own: running -> completed (no row left), running|paused
 * -> aborted (failure threshold). Each transition and the progress (at most
 * every progress_ms) are published on the event bus as "campaign" events.
 * Loop thread only.
 */
#ifndef SERVER_CAMPAIGN_H
#define SERVER_CAMPAIGN_H

#include <stddef.h>
#include <stdint.h>

#include "server/loop.h"
#include "server/events.h"
#include "server/switch.h"
#include "db/db.h"
#include "db/db_campaign.h"

typedef struct campaigns campaigns;

typedef struct {
	loop *l;
	db *db;
	sw *sw;                 /* may be NULL: every start is refused */
	evbus *bus;
	int64_t tick_ms;        /* scheduler period (default 50) */
	int64_t progress_ms;    /* least time between progress events (default 250) */
} campaigns_config;

/* Subscribes to the bus, purges half-done uploads, reconciles the rows
 * left started by a previous run with their jobs, and resumes. */
campaigns *campaigns_new(const campaigns_config *c, char *err, size_t errlen);
void campaigns_free(campaigns *e);

enum camp_rc {
	CAMP_OK = 0,
	CAMP_NOT_FOUND,
	CAMP_BAD_STATE,         /* the action is not allowed in this state */
	CAMP_BAD_ACTION,
	CAMP_STORAGE,
};

/* action: "start", "pause", "resume", "cancel". actor: who asked (audit).
 * On failure err says why. */
int campaigns_action(campaigns *e, int64_t id, const char *action,
                     const char *actor, char *err, size_t errlen);

/* A new campaign was created (draft): publishes it. */
void campaigns_created(campaigns *e, int64_t id);

/* Throughput (rows finished per second, over the last minute while the
 * campaign runs here, else over its whole run) and the estimated seconds
 * left (-1 when unknown). */
void campaigns_rate(campaigns *e, const db_campaign *c, int64_t now,
                    double *rate, double *eta_s);

#endif
