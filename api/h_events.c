/*
 * h_events.c: GET /api/v1/events, server-sent events (NOTES-libs §6): the
 * registrations, updates, de-registrations and job transitions of the
 * event bus (server/events.h), each with its stored id, so a client that
 * reconnects with Last-Event-ID (or ?last_event_id=) gets what it missed
 * from the events table. Without one a stream starts with what happens
 * next.
 *
 * The content reader sends what the table holds past the stream's last
 * id; with nothing to send it suspends the connection, and the bus (or the
 * 15 s ping timer) resumes it. A client that left is noticed at the next
 * write, which the ping makes happen. Streams are capped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "server/events.h"
#include "db/db_switch.h"

#define SSE_MAX_CLIENTS 32
#define SSE_PING_MS 15000
#define SSE_BATCH 64

typedef struct sse_stream sse_stream;

struct sse_stream {
	api *a;
	struct MHD_Connection *conn;
	int64_t last_id;
	char *buf;
	size_t len, off, cap;
	int suspended, ping_due, closing;
	sse_stream *prev, *next;
};

struct api_sse {
	sse_stream *head;
	int n;
	loop_timer *ping;
	int subscribed;
};

static void wake(sse_stream *st)
{
	if (!st->suspended)
		return;
	st->suspended = 0;
	MHD_resume_connection(st->conn);
	st->a->need_run = 1;
}

static void wake_all(api *a)
{
	for (sse_stream *st = a->sse ? a->sse->head : NULL; st; st = st->next)
		wake(st);
}

static void on_bus(void *arg, const ev_event *e)
{
	(void)e;   /* the reader takes it from the table, with its id */
	wake_all(arg);
}

static void ping_cb(void *arg)
{
	api *a = arg;
	a->sse->ping = loop_timer_add(a->l, SSE_PING_MS, ping_cb, a);
	for (sse_stream *st = a->sse->head; st; st = st->next)
		st->ping_due = 1;
	wake_all(a);
}

void api_events_attach(api *a)
{
	if (!a->sse)
		a->sse = calloc(1, sizeof *a->sse);
	if (!a->sse || !a->bus || a->sse->subscribed)
		return;
	if (evbus_subscribe(a->bus, on_bus, a) == 0)
		a->sse->subscribed = 1;
	a->sse->ping = loop_timer_add(a->l, SSE_PING_MS, ping_cb, a);
}

void api_events_stop(api *a)
{
	if (!a->sse)
		return;
	if (a->sse->subscribed)
		evbus_unsubscribe(a->bus, on_bus, a);
	a->sse->subscribed = 0;
	if (a->sse->ping)
		loop_timer_cancel(a->l, a->sse->ping);
	a->sse->ping = NULL;
	for (sse_stream *st = a->sse->head; st; st = st->next)
		st->closing = 1;
	wake_all(a);
}

void api_events_free(api *a)
{
	if (!a->sse)
		return;
	/* Streams still listed were never handed to MHD's free callback. */
	for (sse_stream *st = a->sse->head; st; st = st->next)
		st->a = NULL;
	free(a->sse);
	a->sse = NULL;
}

static int append(sse_stream *st, const char *s, size_t n)
{
	if (st->len + n > st->cap) {
		size_t cap = st->cap ? st->cap : 4096;
		while (cap < st->len + n)
			cap *= 2;
		char *b = realloc(st->buf, cap);
		if (!b)
			return -1;
		st->buf = b;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, s, n);
	st->len += n;
	return 0;
}

static void fill(sse_stream *st)
{
	db_event *ev = NULL;
	size_t n = 0;
	if (db_event_list(st->a->d, st->last_id, SSE_BATCH, &ev, &n) == DB_OK) {
		for (size_t i = 0; i < n; i++) {
			char head[96];
			int hl = snprintf(head, sizeof head, "id: %lld\nevent: %s\ndata: ",
			                  (long long)ev[i].id, ev[i].type);
			/* The data is compact JSON: it holds no newline. */
			if (append(st, head, (size_t)hl) ||
			    append(st, ev[i].data, strlen(ev[i].data)) ||
			    append(st, "\n\n", 2))
				break;
			st->last_id = ev[i].id;
		}
		db_event_list_free(ev, n);
	}
	if (st->len == 0 && st->ping_due)
		append(st, ": ping\n\n", 8);
	st->ping_due = 0;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	sse_stream *st = cls;
	(void)pos;
	if (!st->a || st->closing)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (st->off == st->len) {
		st->off = st->len = 0;
		fill(st);
	}
	if (st->off < st->len) {
		size_t n = st->len - st->off;
		if (n > max)
			n = max;
		memcpy(buf, st->buf + st->off, n);
		st->off += n;
		return (ssize_t)n;
	}
	st->suspended = 1;
	MHD_suspend_connection(st->conn);
	return 0;
}

static void stream_free(void *cls)
{
	sse_stream *st = cls;
	if (st->a && st->a->sse) {
		struct api_sse *s = st->a->sse;
		if (st->prev)
			st->prev->next = st->next;
		else if (s->head == st)
			s->head = st->next;
		if (st->next)
			st->next->prev = st->prev;
		s->n--;
	}
	free(st->buf);
	free(st);
}

void h_events(api_call *c)
{
	api *a = c->a;
	int64_t last = -1;
	if (!a->bus || !a->sse) {
		api_problem(c, 503, "unavailable", NULL, "the event bus is not running");
		return;
	}
	if (a->sse->n >= SSE_MAX_CLIENTS) {
		api_problem(c, 503, "unavailable", NULL, "too many event streams "
		            "(at most %d)", SSE_MAX_CLIENTS);
		return;
	}
	const char *h = api_header(c, "Last-Event-ID");
	if (!h)
		h = api_query(c, "last_event_id");
	if (h) {
		char *end;
		errno = 0;
		long long v = strtoll(h, &end, 10);
		if (errno || end == h || *end || v < 0) {
			api_problem(c, 400, "bad-request", NULL,
			            "Last-Event-ID must be an event id, not \"%s\"", h);
			return;
		}
		last = v;
	} else if (db_event_last_id(a->d, &last) != DB_OK) {
		api_problem(c, 500, "internal", NULL, "cannot read the events: %s",
		            db_errmsg(a->d));
		return;
	}
	sse_stream *st = calloc(1, sizeof *st);
	if (!st) {
		api_problem(c, 500, "internal", NULL, "out of memory");
		return;
	}
	st->a = a;
	st->conn = c->conn;
	st->last_id = last;
	/* Sent at once, so the client sees the headers before any event. */
	append(st, "retry: 2000\n: connected\n\n", 26);
	st->next = a->sse->head;
	if (a->sse->head)
		a->sse->head->prev = st;
	a->sse->head = st;
	a->sse->n++;
	c->reader = reader;
	c->reader_cls = st;
	c->reader_free = stream_free;
	api_reply_empty(c, 200);
	c->ctype = "text/event-stream";
}
