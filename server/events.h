/*
 * events.h: the server's event bus. Whoever sees something happen
 * (registration.c: Register, Update, De-register, expiry; the switch
 * engine: job transitions) publishes it here; the switch engine and the
 * SSE endpoint (api/h_events.c) subscribe. Each event is written to the
 * events table first (db/db_switch.h), so its id is the SSE event id and
 * a client resumes from the database with Last-Event-ID.
 *
 * Loop thread only. Subscribers run synchronously inside evbus_publish:
 * they must not publish from inside their callback or free the bus.
 */
#ifndef SERVER_EVENTS_H
#define SERVER_EVENTS_H

#include <stdint.h>
#include <jansson.h>
#include "db/db.h"

typedef struct evbus evbus;

typedef enum {
	EV_REGISTERED = 1,
	EV_UPDATED,
	EV_DEREGISTERED,
	EV_EXPIRED,
	EV_JOB,            /* a job entered a state */
	EV_CAMPAIGN,       /* a campaign changed state or made progress */
} ev_kind;

const char *ev_kind_name(int kind);   /* "registered", ..., "job" */

typedef struct {
	int kind;
	int64_t id;          /* the stored event id; 0 if it was not stored */
	const char *ep;
	const char *addr;    /* registration events: "ip:port"; may be NULL */
	const char *transport;
	int64_t job_id;      /* EV_JOB */
	const char *state;   /* EV_JOB: the state entered */
	const char *json;    /* the event as stored (JSON text) */
	int64_t campaign_id; /* EV_CAMPAIGN */
} ev_event;

typedef void (*ev_cb)(void *arg, const ev_event *e);

/* d may be NULL (nothing is stored, ids stay 0). keep = how many events
 * the table holds before the oldest are pruned. */
evbus *evbus_new(db *d, int64_t keep);
void evbus_free(evbus *b);
/* 0, or -1 when out of memory. */
int evbus_subscribe(evbus *b, ev_cb cb, void *arg);
void evbus_unsubscribe(evbus *b, ev_cb cb, void *arg);

/* A registration event (kind EV_REGISTERED..EV_EXPIRED). b may be NULL. */
void evbus_device(evbus *b, int kind, const char *ep, const char *addr,
                  const char *transport);
/* A job transition; extra_json (may be NULL) is a JSON object whose
 * members are added to the event. */
void evbus_job(evbus *b, int64_t job_id, const char *ep, const char *state,
               const char *extra_json);
/* A campaign event (server/campaign.c): its state, and the counters in
 * `fields` (a JSON object, stolen; may be NULL). */
void evbus_campaign(evbus *b, int64_t campaign_id, const char *state,
                    json_t *fields);

#endif
