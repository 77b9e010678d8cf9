/*
 * switch.h: the carrier-switch engine (DESIGN §7). A job moves a device
 * to a profile of another carrier through the persisted state machine
 * queued → waiting_online → preparing → writing_507 → linking → loading →
 * awaiting_result → awaiting_reattach → verifying → done, or ends failed,
 * rolled_back, timed_out or cancelled. A stage job stops after writing_507:
 * the package waits on the device as a spare 507 instance, and a later
 * switch to that carrier only links and loads.
 *
 * Every state is written to SQLite (with the transition and the inventory
 * change, in one transaction) before the request that leaves it is sent;
 * sw_new re-enters the state of every unfinished job, so a crash never
 * reserves a second profile nor sends a second Load Profile.
 * Loop thread only; package crypto runs on the crypto pool.
 */
#ifndef SERVER_SWITCH_H
#define SERVER_SWITCH_H

#include <stddef.h>
#include <stdint.h>
#include "server/loop.h"
#include "server/dm.h"
#include "server/events.h"
#include "db/db.h"
#include "crypto/seal.h"

typedef struct sw sw;

typedef struct {
	loop *l;
	db *db;
	dm *dm;
	evbus *bus;                  /* registration events in, transitions out */
	const seal_key *key;         /* opens the sealed profiles */
	const char *pki_dir;         /* "" or NULL: switching is refused */
	int crypto_workers;
	int64_t reattach_timeout_s;  /* awaiting_reattach deadline */
	int64_t wait_online_s;       /* how long requests wait for a sleeping device */
	int64_t result_timeout_ms;   /* awaiting_result: wait for the notification */
	int max_retries;             /* retryable failures: busy, transport */
	int64_t retry_backoff_ms;    /* first backoff, doubled each retry */
	const char *pause_at;        /* test hook: stop before leaving this state */
} sw_config;

enum sw_rc {
	SW_OK = 0,
	SW_ERR_NO_DEVICE,       /* endpoint unknown (no registration, no device) */
	SW_ERR_ACTIVE,          /* the device has a running job (its id is returned) */
	SW_ERR_UNKNOWN_CARRIER,
	SW_ERR_EMPTY_POOL,      /* no available profile of that carrier / ICCID */
	SW_ERR_BAD,             /* bad argument */
	SW_ERR_NO_PKI,          /* no pki_dir configured or it did not load */
	SW_ERR_NOT_FOUND,       /* no such job / staged profile */
	SW_ERR_FINAL,           /* the job has ended already */
	SW_ERR_STAGED,          /* that carrier is staged on the device already */
	SW_ERR_STORAGE,
};

/* Creates the engine and resumes unfinished jobs. A missing or unloadable
 * PKI is not fatal (logged; switches then fail with SW_ERR_NO_PKI). */
sw *sw_new(const sw_config *c, char *err, size_t errlen);
void sw_free(sw *s);
/* 1 when the PKI is loaded. */
int sw_ready(const sw *s);

/* Starts a job: kind "switch" or "stage", to `carrier` or to exactly
 * `iccid` (one of them, the other NULL or ""). origin: who asked (token
 * name, "campaign:N"). On SW_OK or SW_ERR_ACTIVE *job_id is set. */
int sw_start(sw *s, const char *kind, const char *ep, const char *carrier,
             const char *iccid, const char *origin, int64_t campaign_id,
             int64_t *job_id, char *err, size_t errlen);
/* Cancels a running job; the inventory follows DESIGN §7 (a profile that
 * went into a Load Profile is quarantined, else it returns to the pool). */
int sw_cancel(sw *s, int64_t job_id, const char *origin, char *err,
              size_t errlen);
/* Deletes the staged 507 instance of `carrier` on the device and returns
 * its profile to the pool. */
int sw_unstage(sw *s, const char *ep, const char *carrier,
               const char *origin, char *err, size_t errlen);

/* DESIGN §6 step 1 for a certificate the operator imports (devices
 * without 508/3): the DER chains to a CM root of the loaded PKI, is valid
 * now, and names `eid` as subject serialNumber. SW_OK, SW_ERR_NO_PKI, or
 * SW_ERR_BAD with the reason in err (server/switch_certs.c). */
int sw_cert_check(sw *s, const uint8_t *der, size_t n, const char *eid,
                  char *err, size_t errlen);

/* State names, in machine order; 1 if final. */
int sw_state_valid(const char *state);
int sw_state_final(const char *state);

/* Counters for tests and /metrics. */
typedef struct {
	int64_t running, done, failed, packages_built;
} sw_stats;
void sw_get_stats(sw *s, sw_stats *out);

#endif
