/*
 * events.c: the event bus (server/events.h). An event becomes one JSON
 * object, is stored (its row id is the SSE id), then handed to every
 * subscriber. Storing happens first so a client reading /events after a
 * restart sees the same ids as one that was connected.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "server/events.h"
#include "server/log.h"
#include "db/db_switch.h"

#define PRUNE_EVERY 1000

struct sub {
	ev_cb cb;
	void *arg;
};

struct evbus {
	db *d;
	int64_t keep;
	struct sub *sub;
	size_t nsub, cap;
	int64_t since_prune;
	int publishing;
};

static const char *const names[] = {
	[EV_REGISTERED] = "registered", [EV_UPDATED] = "updated",
	[EV_DEREGISTERED] = "deregistered", [EV_EXPIRED] = "expired",
	[EV_JOB] = "job", [EV_CAMPAIGN] = "campaign",
};

const char *ev_kind_name(int kind)
{
	if (kind < EV_REGISTERED || kind > EV_CAMPAIGN)
		return "unknown";
	return names[kind];
}

evbus *evbus_new(db *d, int64_t keep)
{
	evbus *b = calloc(1, sizeof *b);
	if (b) {
		b->d = d;
		b->keep = keep > 0 ? keep : 100000;
	}
	return b;
}

void evbus_free(evbus *b)
{
	if (!b)
		return;
	free(b->sub);
	free(b);
}

int evbus_subscribe(evbus *b, ev_cb cb, void *arg)
{
	if (!b || !cb)
		return -1;
	if (b->nsub == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4;
		struct sub *s = realloc(b->sub, cap * sizeof *s);
		if (!s)
			return -1;
		b->sub = s;
		b->cap = cap;
	}
	b->sub[b->nsub++] = (struct sub){ cb, arg };
	return 0;
}

void evbus_unsubscribe(evbus *b, ev_cb cb, void *arg)
{
	for (size_t i = 0; b && i < b->nsub; i++)
		if (b->sub[i].cb == cb && b->sub[i].arg == arg) {
			memmove(&b->sub[i], &b->sub[i + 1],
			        (b->nsub - i - 1) * sizeof *b->sub);
			b->nsub--;
			return;
		}
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stores j (stolen) and fans it out as e. */
static void publish(evbus *b, json_t *j, ev_event *e)
{
	if (!j)
		return;
	int64_t at = wall_ms();
	json_object_set_new(j, "type", json_string(ev_kind_name(e->kind)));
	json_object_set_new(j, "at_ms", json_integer(at));
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return;
	if (b->d) {
		if (db_event_add(b->d, at, ev_kind_name(e->kind), s, &e->id) != DB_OK)
			log_kv(NLOG_WARN, "event not stored", "error",
			       db_errmsg(b->d), NULL);
		if (++b->since_prune >= PRUNE_EVERY) {
			b->since_prune = 0;
			db_event_prune(b->d, b->keep);
		}
	}
	e->json = s;
	if (!b->publishing) {
		/* A subscriber may not publish from its callback; if one
		 * does, the event is stored but not fanned out again. */
		b->publishing = 1;
		for (size_t i = 0; i < b->nsub; i++)
			b->sub[i].cb(b->sub[i].arg, e);
		b->publishing = 0;
	}
	free(s);
}

void evbus_device(evbus *b, int kind, const char *ep, const char *addr,
                  const char *transport)
{
	if (!b || !ep)
		return;
	json_t *j = json_pack("{ss}", "endpoint", ep);
	if (j && addr)
		json_object_set_new(j, "addr", json_string(addr));
	if (j && transport)
		json_object_set_new(j, "transport", json_string(transport));
	ev_event e = { .kind = kind, .ep = ep, .addr = addr,
	               .transport = transport };
	publish(b, j, &e);
}

void evbus_job(evbus *b, int64_t job_id, const char *ep, const char *state,
               const char *extra_json)
{
	if (!b || !ep || !state)
		return;
	json_t *j = json_pack("{sIssss}", "job_id", (json_int_t)job_id,
	                      "endpoint", ep, "state", state);
	if (j && extra_json) {
		json_t *x = json_loads(extra_json, 0, NULL);
		if (json_is_object(x))
			json_object_update_missing(j, x);
		json_decref(x);
	}
	ev_event e = { .kind = EV_JOB, .ep = ep, .job_id = job_id,
	               .state = state };
	publish(b, j, &e);
}

void evbus_campaign(evbus *b, int64_t campaign_id, const char *state,
                    json_t *fields)
{
	if (!b || !state) {
		json_decref(fields);
		return;
	}
	json_t *j = json_pack("{sIss}", "campaign_id", (json_int_t)campaign_id,
	                      "state", state);
	if (j && json_is_object(fields))
		json_object_update_missing(j, fields);
	json_decref(fields);
	ev_event e = { .kind = EV_CAMPAIGN, .campaign_id = campaign_id,
	               .state = state };
	publish(b, j, &e);
}
