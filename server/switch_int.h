/*
 * switch_int.h: what the files of the switch engine (switch.c: the state
 * table, transitions, inventory and the public calls; switch_steps.c: the
 * LwM2M requests of each state) share and nobody else sees.
 */
#ifndef SERVER_SWITCH_INT_H
#define SERVER_SWITCH_INT_H

#include "server/switch.h"
#include "server/crypto_pool.h"
#include "crypto/package.h"
#include "db/db_switch.h"

enum sw_state {
	S_QUEUED, S_WAITING_ONLINE, S_PREPARING, S_WRITING_507, S_LINKING,
	S_LOADING, S_AWAITING_RESULT, S_AWAITING_REATTACH, S_VERIFYING,
	S_DONE, S_FAILED, S_ROLLED_BACK, S_TIMED_OUT, S_CANCELLED, S_N
};

/* What the outstanding DM request of a job is for. */
enum sw_req {
	R_NONE, R_READ508, R_CREATE, R_WRITE507, R_LINK, R_OBSERVE, R_EXECUTE,
	R_READ_RESULT, R_READ_ICCID,
};

typedef struct sw_job sw_job;

struct sw_job {
	sw *s;
	db_job r;                /* the stored row, kept in step with it */
	int st;                  /* enum sw_state of r.state */
	int64_t req;             /* outstanding DM request id, 0 if none */
	int req_kind;            /* enum sw_req */
	loop_timer *timer;       /* retry backoff or deadline */
	int resumed;             /* re-entered after a restart: be careful */
	int observing;           /* 508/6 observed for this load */
	int pending_result;      /* a 508/6 notification that came early, -1 */
	int verify_event;        /* verifying because the device re-registered */
	int crypto_busy;         /* a package build is on the pool */
	int dead;                /* ended while crypto_busy: free when it returns */
	int paused;              /* the test hook stopped it */
	int busy_wait;           /* waiting to retry after 508/6 = 9 */
	int wait_reg;            /* waiting for the device to register */
	int have_pkg;
	pkg_507 pkg;
	uint8_t *cert;           /* 508/3 as DER */
	size_t cert_len;
	char load_addr[64];      /* where the device was when loading */
	sw_job *next;
};

struct sw {
	sw_config cfg;
	char pki_dir[1024];
	char pause_at[24];
	pkg_dp *dp;
	cpool *pool;
	sw_job *jobs;            /* running jobs */
	sw_stats st;
};

/* switch.c */
const char *sw_state_name(int st);
int sw_state_from_name(const char *s);
/* Moves j to `next` (persisted with the inventory change, published,
 * audited when final) and runs next's action. detail may be NULL. Returns
 * 0, or -1 when j stopped (paused, or the write failed). j may be freed
 * when next is final. */
int sw_go(sw_job *j, int next, const char *detail);
/* Ends j as failed with the reason; retryable tells the operator. */
void sw_fail(sw_job *j, int code, int retryable, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A transport failure in a state before loading: retry after the backoff
 * while attempts remain, else fail (retryable). */
void sw_retry_or_fail(sw_job *j, const char *why);
sw_job *sw_job_by_ep(sw *s, const char *ep);
/* Saves j's fields without a transition. */
int sw_save(sw_job *j);

/* switch_steps.c: the action of each state (enter) and its handlers. */
void sw_enter(sw_job *j);
void sw_on_notify(sw *s, sw_job *j, int value);
void sw_on_device_event(sw *s, sw_job *j, int kind, const char *addr);
void sw_detach(sw_job *j);
/* Fire and forget: Delete /507/inst on the device (persisted DM request). */
void sw_delete_instance(sw *s, const char *ep, int inst);

#endif
