/*
 * ctl.h: what the files of nusimctl share: the connection settings, the
 * HTTP calls (http.c, libcurl), the output helpers (out.c) and the command
 * table each cmd_*.c contributes to.
 *
 * Exit codes: 0 done, 1 the server refused or failed (its problem detail
 * goes to stderr), 2 usage error, 3 the server could not be reached.
 */
#ifndef CTL_CTL_H
#define CTL_CTL_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2
#define CTL_UNREACHABLE 3

typedef struct {
	const char *url;        /* "http://127.0.0.1:8080" (no /api/v1) */
	const char *token;      /* NULL: no Authorization header */
	int json;               /* --json: print the server's JSON as is */
	long timeout_s;         /* whole-call timeout, 0 = none */
} ctl;

/* ---- http.c ----------------------------------------------------------- */

typedef struct {
	long status;            /* 0 when the server was not reached */
	char *body;             /* NUL-terminated, malloc'ed */
	size_t len;
	char ctype[128];
	char error[256];        /* transport error when status is 0 */
} ctl_resp;

/* One call. path starts with "/api/v1/..."; body may be NULL. A body_file
 * (instead of body) is streamed from disk, never read whole. */
int ctl_call(const ctl *c, const char *method, const char *path,
             const char *ctype, const char *body, size_t len,
             const char *body_file, ctl_resp *out);
void ctl_resp_free(ctl_resp *r);
/* Percent-encodes s for a path segment or a query value (malloc'ed). */
char *ctl_escape(const char *s);
/* Appends "?key=value" (then "&key=value") to path[size] for each of the n
 * keys whose value is set, the value percent-encoded; cut at size. */
void ctl_query(char *path, size_t size, const char *const *keys,
               const char *const *vals, int n);

/* A server-sent event stream (GET path): calls fn for each event with its
 * data (the "data:" lines joined); fn returns nonzero to stop. tick is
 * called about every 200 ms even without events and may stop too.
 * Returns the HTTP status (0 unreachable; 200 after a stop). */
typedef int (*ctl_sse_fn)(void *arg, const char *event, const char *data);
typedef int (*ctl_tick_fn)(void *arg);
long ctl_sse(const ctl *c, const char *path, ctl_sse_fn fn, ctl_tick_fn tick,
             void *arg, char *err, size_t errlen);

/* ---- out.c ------------------------------------------------------------ */

/* Turns a response into the exit code: prints the problem's detail (or the
 * transport error) on stderr unless it is a 2xx. */
int ctl_check(const ctl_resp *r, const char *what);
/* Parses a 2xx JSON body; NULL (and a message) if it is not JSON. */
json_t *ctl_json(const ctl_resp *r);
/* Prints j indented (or compact with --json). */
void ctl_print_json(const ctl *c, json_t *j);
/* A call whose JSON answer is printed as is: the common case. */
int ctl_call_print(const ctl *c, const char *method, const char *path,
                   const char *ctype, const char *body, const char *what);
/* A JSON value as display text ("-" for null), into buf. */
const char *ctl_str(json_t *v, char *buf, size_t size);
/* GETs path and parses its 2xx JSON answer into *out (the caller's, NULL
 * on failure); returns the exit code, CTL_FAIL when it is not JSON. */
int ctl_get_json(const ctl *c, const char *path, const char *what,
                 json_t **out);
/* Under a listed page: how to ask for the next one, when there is one. */
void ctl_print_more(json_t *page);

/* ---- commands --------------------------------------------------------- */

typedef struct {
	const char *name;       /* "devices", "campaign", ... */
	const char *summary;    /* one line for the top-level --help */
	const char *usage;      /* the command's --help text */
	int (*run)(const ctl *c, int argc, char **argv);  /* argv[0] = name */
} ctl_cmd;

extern const ctl_cmd ctl_cmd_devices, ctl_cmd_profiles, ctl_cmd_carriers,
	ctl_cmd_switch, ctl_cmd_jobs, ctl_cmd_read, ctl_cmd_write,
	ctl_cmd_campaign;

/* 1 if argv has -h or --help at argv[from..]. */
int ctl_wants_help(int argc, char **argv, int from);
/* Reads the "--KEY VALUE" options of argv[from..] into vals, by the index
 * of KEY among the n keys (a value left unset keeps what vals held).
 * Returns 0, or the index in argv of the first argument that is none. */
int ctl_options(int argc, char **argv, int from, const char *const *keys,
                const char **vals, int n);
/* Prints the usage of cmd on f. */
void ctl_usage(const ctl_cmd *cmd, FILE *f);

/* The whole program (main.c calls it). */
int ctl_main(int argc, char **argv);

#endif
