/*
 * progress.h: the text of `nusimctl campaign watch`: one progress line
 * drawn from a campaign's counters, as a bar for a terminal or as a plain
 * line for logs and pipes. Pure formatting, so tests can check it.
 */
#ifndef CTL_PROGRESS_H
#define CTL_PROGRESS_H

#include <stddef.h>
#include <jansson.h>

typedef struct {
	long long id;
	char state[16];
	long long total, pending, in_flight, succeeded, failed, skipped;
	double rate;            /* rows finished per second */
	long long eta_s;        /* -1 unknown */
} ctl_progress;

/* Reads the counters of a campaign object (GET /campaigns/{id}) or of a
 * "campaign" event; 0, or -1 when j has none. */
int ctl_progress_from_json(json_t *j, ctl_progress *p);
/* bar: the terminal form ("[####....]  45% ..."), else the plain form. */
void ctl_progress_line(const ctl_progress *p, int bar, char *out, size_t size);
/* 1 when the state is completed, cancelled or aborted. */
int ctl_progress_final(const ctl_progress *p);

#endif
