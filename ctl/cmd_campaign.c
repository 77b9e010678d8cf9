/*
 * cmd_campaign.c: `nusimctl campaign ...`: create a campaign from a CSV
 * file (streamed up, never read whole), start, pause, resume, cancel,
 * show, list, report, and watch, which follows the campaign's events on
 * /api/v1/events and draws its progress until it ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/progress.h"

static const char usage[] =
"usage: nusimctl campaign create FILE.csv [--name NAME] [--max-in-flight N]\n"
"           [--max-starts-per-s R] [--failure-threshold-pct P]\n"
"           [--failure-min-sample N] [--window-start T] [--window-end T]\n"
"           [--skip-invalid] [--start] [--quiet]\n"
"       nusimctl campaign start|pause|resume|cancel ID\n"
"       nusimctl campaign show ID\n"
"       nusimctl campaign list [--limit N] [--after ID]\n"
"       nusimctl campaign report ID [--output FILE]\n"
"       nusimctl campaign watch ID\n"
"\n"
"create  uploads FILE.csv (header: endpoint or eid, and carrier or iccid;\n"
"        RFC 4180) as a new campaign in state draft. Every row is checked;\n"
"        with a bad row nothing is imported and each bad line is listed,\n"
"        unless --skip-invalid. T is RFC 3339 (2026-01-31T22:00:00Z).\n"
"        --start starts it at once; --quiet prints only its id.\n"
"start   runs a draft campaign; pause/resume hold and continue it (running\n"
"        switches finish); cancel ends it (rows not started are skipped)\n"
"show    counts per state, throughput and time left (JSON)\n"
"report  the CSV of every row's outcome: endpoint, job, outcome, from and\n"
"        to ICCID, result code, error, start and end\n"
"watch   a live progress line (done / failed / in flight, rate, time left),\n"
"        redrawn in place on a terminal, one plain line per change (at most\n"
"        one a second) otherwise; exits 0 when the campaign completed, 1\n"
"        when it was aborted or cancelled\n";

static int bad_usage(const char *what)
{
	fprintf(stderr, "nusimctl campaign: %s\n%s", what, usage);
	return CTL_USAGE;
}

static int fetch(const ctl *c, const char *id, json_t **out)
{
	char *e = ctl_escape(id), path[256];
	snprintf(path, sizeof path, "/api/v1/campaigns/%s", e ? e : "");
	free(e);
	return ctl_get_json(c, path, "campaign show", out);
}

static void summary(json_t *j, const char *verb)
{
	ctl_progress p;
	if (ctl_progress_from_json(j, &p))
		return;
	const char *name = json_string_value(json_object_get(j, "name"));
	printf("campaign %lld \"%s\" %s: %lld rows, state %s\n", p.id,
	       name ? name : "", verb, p.total, p.state);
}

/* ---- create ------------------------------------------------------------------ */

static int create(const ctl *c, int argc, char **argv)
{
	static const struct { const char *flag, *key; } opts[] = {
		{ "--name", "name" }, { "--max-in-flight", "max_in_flight" },
		{ "--max-starts-per-s", "max_starts_per_s" },
		{ "--failure-threshold-pct", "failure_threshold_pct" },
		{ "--failure-min-sample", "failure_min_sample" },
		{ "--window-start", "window_start" }, { "--window-end", "window_end" },
	};
	const char *file = NULL;
	int start = 0, quiet = 0;
	char q[2048] = "";
	for (int i = 2; i < argc; i++) {
		size_t k, n = sizeof opts / sizeof opts[0];
		for (k = 0; k < n; k++)
			if (!strcmp(argv[i], opts[k].flag))
				break;
		if (k < n) {
			if (i + 1 >= argc)
				return bad_usage("an option needs a value");
			char *e = ctl_escape(argv[++i]);
			size_t l = strlen(q);
			snprintf(q + l, sizeof q - l, "%c%s=%s", l ? '&' : '?', opts[k].key,
			         e ? e : "");
			free(e);
		} else if (!strcmp(argv[i], "--skip-invalid")) {
			size_t l = strlen(q);
			snprintf(q + l, sizeof q - l, "%cskip_invalid=true", l ? '&' : '?');
		} else if (!strcmp(argv[i], "--start")) {
			start = 1;
		} else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if (!file && argv[i][0] != '-') {
			file = argv[i];
		} else {
			return bad_usage("unexpected argument");
		}
	}
	if (!file)
		return bad_usage("create needs FILE.csv");
	if (access(file, R_OK)) {
		fprintf(stderr, "nusimctl campaign create: cannot read %s\n", file);
		return CTL_USAGE;
	}
	char path[2200];
	snprintf(path, sizeof path, "/api/v1/campaigns%s", q);
	ctl_resp r;
	ctl c2 = *c;
	c2.timeout_s = 0;   /* a million rows take a while to check */
	ctl_call(&c2, "POST", path, "text/csv", NULL, 0, file, &r);
	int rc = ctl_check(&r, "campaign create");
	json_t *j = rc ? NULL : ctl_json(&r);
	ctl_resp_free(&r);
	if (rc || !j)
		return rc ? rc : CTL_FAIL;
	json_int_t id = json_integer_value(json_object_get(j, "id"));
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(j, "warnings"), i, w)
		fprintf(stderr, "warning: %s\n", json_string_value(w));
	json_array_foreach(json_object_get(j, "skipped_rows"), i, w)
		fprintf(stderr, "skipped line %lld: %s\n",
		        (long long)json_integer_value(json_object_get(w, "line")),
		        json_string_value(json_object_get(w, "reason")));
	if (start) {
		char sp[96];
		snprintf(sp, sizeof sp, "/api/v1/campaigns/%lld/start", (long long)id);
		ctl_call(c, "POST", sp, NULL, NULL, 0, NULL, &r);
		rc = ctl_check(&r, "campaign start");
		if (!rc) {
			json_t *j2 = ctl_json(&r);
			if (j2) {
				json_decref(j);
				j = j2;
			}
		}
		ctl_resp_free(&r);
	}
	if (quiet)
		printf("%lld\n", (long long)id);
	else if (c->json)
		ctl_print_json(c, j);
	else
		summary(j, start ? "created and started" : "created");
	json_decref(j);
	return rc;
}

/* ---- actions, show, list, report ----------------------------------------------------- */

static int action(const ctl *c, int argc, char **argv)
{
	if (argc != 3)
		return bad_usage("an action takes one campaign id");
	char *e = ctl_escape(argv[2]), path[256];
	snprintf(path, sizeof path, "/api/v1/campaigns/%s/%s", e ? e : "", argv[1]);
	free(e);
	ctl_resp r;
	ctl_call(c, "POST", path, NULL, NULL, 0, NULL, &r);
	char what[48];
	snprintf(what, sizeof what, "campaign %s", argv[1]);
	int rc = ctl_check(&r, what);
	json_t *j = rc ? NULL : ctl_json(&r);
	ctl_resp_free(&r);
	if (j) {
		if (c->json)
			ctl_print_json(c, j);
		else
			summary(j, !strcmp(argv[1], "start") ? "started"
			           : !strcmp(argv[1], "pause") ? "paused"
			           : !strcmp(argv[1], "resume") ? "resumed" : "cancelled");
	}
	json_decref(j);
	return rc;
}

static int list(const ctl *c, int argc, char **argv)
{
	static const char *const k[2] = { "limit", "after" };
	const char *v[2] = { "100", NULL };
	if (ctl_options(argc, argv, 2, k, v, 2))
		return bad_usage("unexpected argument");
	char path[256] = "/api/v1/campaigns";
	ctl_query(path, sizeof path, k, v, 2);
	if (c->json)
		return ctl_call_print(c, "GET", path, NULL, NULL, "campaign list");
	json_t *j;
	int rc = ctl_get_json(c, path, "campaign list", &j);
	if (rc)
		return rc;
	printf("%-6s %-24s %-10s %8s %8s %8s %8s %8s\n", "ID", "NAME", "STATE",
	       "TOTAL", "PENDING", "INFLIGHT", "OK", "FAILED");
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(j, "items"), i, o) {
		ctl_progress p;
		if (ctl_progress_from_json(o, &p))
			continue;
		const char *name = json_string_value(json_object_get(o, "name"));
		printf("%-6lld %-24.24s %-10s %8lld %8lld %8lld %8lld %8lld\n", p.id,
		       name ? name : "", p.state, p.total, p.pending, p.in_flight,
		       p.succeeded, p.failed);
	}
	json_decref(j);
	return CTL_OK;
}

static int report(const ctl *c, int argc, char **argv)
{
	const char *id = NULL, *outf = NULL;
	for (int i = 2; i < argc; i++) {
		if (i + 1 < argc && (!strcmp(argv[i], "--output") || !strcmp(argv[i], "-o")))
			outf = argv[++i];
		else if (!id && argv[i][0] != '-')
			id = argv[i];
		else
			return bad_usage("unexpected argument");
	}
	if (!id)
		return bad_usage("report takes a campaign id");
	char *e = ctl_escape(id), path[256];
	snprintf(path, sizeof path, "/api/v1/campaigns/%s/report", e ? e : "");
	free(e);
	ctl_resp r;
	ctl c2 = *c;
	c2.timeout_s = 0;
	ctl_call(&c2, "GET", path, NULL, NULL, 0, NULL, &r);
	int rc = ctl_check(&r, "campaign report");
	if (!rc) {
		FILE *f = outf ? fopen(outf, "w") : stdout;
		if (!f) {
			perror(outf);
			rc = CTL_FAIL;
		} else {
			if (fwrite(r.body, 1, r.len, f) != r.len)
				rc = CTL_FAIL;
			if (outf && fclose(f))
				rc = CTL_FAIL;
		}
	}
	ctl_resp_free(&r);
	return rc;
}

/* ---- watch ---------------------------------------------------------------------------------- */

typedef struct {
	const ctl *c;
	const char *id_arg;
	long long id;
	int tty;
	ctl_progress p;
	int changed, final;
	double last_print, last_poll;
	int drawn;              /* a bar is on the line (tty) */
} watch;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void draw(watch *w)
{
	char line[512];
	ctl_progress_line(&w->p, w->tty, line, sizeof line);
	if (w->tty) {
		printf("\r%s\033[K", line);
		w->drawn = 1;
	} else {
		printf("%s\n", line);
	}
	fflush(stdout);
	w->changed = 0;
	w->last_print = now_s();
}

static void update(watch *w, const ctl_progress *p)
{
	if (memcmp(p, &w->p, sizeof *p)) {
		w->p = *p;
		w->changed = 1;
	}
	if (ctl_progress_final(p))
		w->final = 1;
}

/* Re-reads the campaign (at start, as a resync, and when events fail). */
static int poll_once(watch *w)
{
	json_t *j = NULL;
	int rc = fetch(w->c, w->id_arg, &j);
	if (rc)
		return rc;
	ctl_progress p;
	if (!ctl_progress_from_json(j, &p)) {
		w->id = p.id;
		update(w, &p);
	}
	json_decref(j);
	w->last_poll = now_s();
	return CTL_OK;
}

static int on_event(void *arg, const char *event, const char *data)
{
	watch *w = arg;
	json_t *j = json_loads(data, 0, NULL);
	const char *type = json_string_value(json_object_get(j, "type"));
	json_t *cid = json_object_get(j, "campaign_id");
	if ((type && !strcmp(type, "campaign")) || !strcmp(event, "campaign")) {
		if (json_is_integer(cid) && json_integer_value(cid) == w->id) {
			ctl_progress p;
			if (!ctl_progress_from_json(j, &p)) {
				p.id = w->id;
				update(w, &p);
			}
		}
	}
	json_decref(j);
	if (w->changed && (w->final || now_s() - w->last_print >= (w->tty ? 0.1 : 1.0)))
		draw(w);
	return w->final;
}

static int on_tick(void *arg)
{
	watch *w = arg;
	double t = now_s();
	/* Events say everything; a periodic read covers any missed. */
	if (t - w->last_poll >= 5.0 && poll_once(w) == CTL_UNREACHABLE)
		return 1;
	if (w->changed && (w->final || t - w->last_print >= (w->tty ? 0.1 : 1.0)))
		draw(w);
	return w->final;
}

static int run_watch(const ctl *c, int argc, char **argv)
{
	if (argc != 3)
		return bad_usage("watch takes one campaign id");
	watch w = { .c = c, .id_arg = argv[2], .tty = isatty(STDOUT_FILENO) };
	int rc = poll_once(&w);
	if (rc)
		return rc;
	draw(&w);
	int misses = 0;
	while (!w.final) {
		char err[256];
		ctl c2 = *c;
		c2.timeout_s = 0;
		long st = ctl_sse(&c2, "/api/v1/events", on_event, on_tick, &w, err,
		                  sizeof err);
		if (w.final)
			break;
		/* The stream ended or never came (no /events, server restart):
		 * read the campaign every second until it is back. */
		sleep(1);
		rc = poll_once(&w);
		if (w.changed)
			draw(&w);
		if (rc == CTL_UNREACHABLE || (st != 200 && st != 0)) {
			if (++misses > 120) {
				fprintf(stderr, "\nnusimctl campaign watch: giving up: %s\n",
				        st ? "no event stream" : err);
				return CTL_UNREACHABLE;
			}
		} else {
			misses = 0;
		}
	}
	if (w.changed)
		draw(&w);
	if (w.tty && w.drawn)
		printf("\n");
	printf("campaign %lld %s: %lld succeeded, %lld failed, %lld skipped of %lld; "
	       "report: nusimctl campaign report %lld\n", w.id, w.p.state,
	       w.p.succeeded, w.p.failed, w.p.skipped, w.p.total, w.id);
	fflush(stdout);
	return strcmp(w.p.state, "completed") ? CTL_FAIL : CTL_OK;
}

static int run(const ctl *c, int argc, char **argv)
{
	if (argc < 2 || ctl_wants_help(argc, argv, 1)) {
		fprintf(argc < 2 ? stderr : stdout, "%s", usage);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	const char *s = argv[1];
	if (!strcmp(s, "create"))
		return create(c, argc, argv);
	if (!strcmp(s, "start") || !strcmp(s, "pause") || !strcmp(s, "resume") ||
	    !strcmp(s, "cancel"))
		return action(c, argc, argv);
	if (!strcmp(s, "show")) {
		if (argc != 3)
			return bad_usage("show takes one campaign id");
		json_t *j = NULL;
		int rc = fetch(c, argv[2], &j);
		if (j)
			ctl_print_json(c, j);
		json_decref(j);
		return rc;
	}
	if (!strcmp(s, "list"))
		return list(c, argc, argv);
	if (!strcmp(s, "report"))
		return report(c, argc, argv);
	if (!strcmp(s, "watch"))
		return run_watch(c, argc, argv);
	return bad_usage("unknown subcommand");
}

const ctl_cmd ctl_cmd_campaign = {
	"campaign", "bulk switches from a CSV file: create, start, watch, report",
	usage, run,
};
