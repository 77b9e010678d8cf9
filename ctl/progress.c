/*
 * progress.c: formatting the progress of a campaign (ctl/progress.h).
 * "done" counts every row with an outcome (succeeded, failed, skipped), so
 * the bar reaches 100 % exactly when the campaign has nothing left.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/progress.h"

#define BAR_WIDTH 30

static long long num(json_t *o, const char *k, long long def)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

int ctl_progress_from_json(json_t *j, ctl_progress *p)
{
	memset(p, 0, sizeof *p);
	p->eta_s = -1;
	if (!json_is_object(j))
		return -1;
	/* A campaign object keeps the counters under "counts"; an event
	 * carries them at the top. */
	json_t *c = json_object_get(j, "counts");
	if (!json_is_object(c))
		c = j;
	if (!json_is_integer(json_object_get(c, "total")))
		return -1;
	p->id = num(j, "id", num(j, "campaign_id", 0));
	const char *st = json_string_value(json_object_get(j, "state"));
	snprintf(p->state, sizeof p->state, "%s", st ? st : "?");
	p->total = num(c, "total", 0);
	p->pending = num(c, "pending", 0);
	p->in_flight = num(c, "in_flight", 0);
	p->succeeded = num(c, "succeeded", 0);
	p->failed = num(c, "failed", 0);
	p->skipped = num(c, "skipped", 0);
	json_t *r = json_object_get(j, "throughput_per_s");
	if (!r)
		r = json_object_get(j, "rate");
	p->rate = json_is_number(r) ? json_number_value(r) : 0;
	p->eta_s = num(j, "eta_s", -1);
	return 0;
}

int ctl_progress_final(const ctl_progress *p)
{
	return !strcmp(p->state, "completed") || !strcmp(p->state, "cancelled") ||
	       !strcmp(p->state, "aborted");
}

static void eta_text(long long s, char *out, size_t size)
{
	if (s < 0)
		snprintf(out, size, "--:--");
	else if (s >= 3600)
		snprintf(out, size, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, size, "%lld:%02lld", s / 60, s % 60);
}

void ctl_progress_line(const ctl_progress *p, int bar, char *out, size_t size)
{
	long long done = p->succeeded + p->failed + p->skipped;
	int pct = p->total ? (int)(done * 100 / p->total) : 100;
	char eta[32];
	eta_text(p->eta_s, eta, sizeof eta);
	if (bar) {
		char b[BAR_WIDTH + 1];
		int fill = p->total ? (int)(done * BAR_WIDTH / p->total) : BAR_WIDTH;
		for (int i = 0; i < BAR_WIDTH; i++)
			b[i] = i < fill ? '#' : '.';
		b[BAR_WIDTH] = 0;
		snprintf(out, size, "[%s] %3d%% %lld/%lld done  %lld failed  %lld in "
		         "flight  %.1f/s  left %s  %s", b, pct, done, p->total,
		         p->failed, p->in_flight, p->rate, eta, p->state);
	} else {
		snprintf(out, size, "campaign %lld %s: %lld/%lld done (%d%%), %lld "
		         "succeeded, %lld failed, %lld skipped, %lld in flight, "
		         "%.1f/s, time left %s", p->id, p->state, done, p->total, pct,
		         p->succeeded, p->failed, p->skipped, p->in_flight, p->rate, eta);
	}
}
