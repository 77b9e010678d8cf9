/*
 * config.h: nusimd settings (DESIGN §10). Every key is settable in a
 * `key = value` file (-c FILE), as a long flag and as an NUSIMD_*
 * environment variable; precedence flag > environment > file > default.
 * `nusimd --help` prints the table (config_usage).
 */
#ifndef SERVER_CONFIG_H
#define SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_PATH_MAX 1024
#define CONFIG_ADDR_MAX 128

typedef struct {
	char config_file[CONFIG_PATH_MAX];   /* "" if none */
	char db_path[CONFIG_PATH_MAX];
	char coap_listen[CONFIG_ADDR_MAX];   /* "HOST:PORT" or "off" */
	char coaps_listen[CONFIG_ADDR_MAX];
	char http_listen[CONFIG_ADDR_MAX];
	int allow_nosec;
	int log_level;                       /* NLOG_* (server/log.h) */
	char master_key_file[CONFIG_PATH_MAX]; /* "" = "<db_path>.key" */
	int64_t session_idle_timeout_s;
	int64_t max_idle_sessions;           /* 0 = no limit */
	int64_t max_handshakes;              /* DTLS handshakes at once */
	int64_t request_timeout_ms;          /* DM: one request on the wire */
	int64_t queue_ttl_s;                 /* DM: queued request lifetime */
	int64_t session_hold_s;              /* DM: binding U session hold, 0 = always */
	int64_t awake_ms;                    /* DM: queue-mode awake window */
	int64_t expiry_interval_ms;          /* registration expiry scan */
	int64_t reg_write_batch_ms;          /* group commit of registrations */
	int64_t coap_socket_buffer;          /* SO_RCVBUF/SO_SNDBUF, bytes */
	int64_t api_max_body;                /* bytes */
	int64_t api_timeout_ms;              /* default ?timeout= */
	int64_t api_max_timeout_ms;
	/* the carrier switch (server/switch.h) */
	char pki_dir[CONFIG_PATH_MAX];       /* "" = switching refused */
	int64_t crypto_workers;              /* package-building threads */
	int64_t switch_reattach_timeout_s;   /* awaiting_reattach deadline */
	int64_t switch_wait_online_s;        /* a sleeping device's grace */
	int64_t switch_result_timeout_ms;    /* wait for the 508/6 notification */
	int64_t switch_max_retries;
	int64_t switch_retry_backoff_ms;
	char test_pause_at[32];              /* test hook: a state name or "" */
	/* campaigns (server/campaign.h) */
	int64_t campaign_tick_ms;            /* scheduler period */
	int64_t campaign_progress_ms;        /* least time between progress events */
} server_config;

void config_defaults(server_config *c);

/* Applies one setting by key name (as in the file); 0, or -1 with
 * "key: reason" in err. */
int config_set(server_config *c, const char *key, const char *value,
               char *err, size_t errlen);

/* Reads a key = value file: '#' comments, blank lines, optional quotes
 * around the value. Unknown keys and bad values fail, naming the key and
 * the line. */
int config_load_file(server_config *c, const char *path, char *err,
                     size_t errlen);

/* Applies every NUSIMD_* variable of the table that is set. */
int config_load_env(server_config *c, char *err, size_t errlen);

/* Extra per-command options, parsed by config_parse_args beside the
 * table's flags. *val points into argv; is_bool options get "true". */
typedef struct {
	const char *flag;    /* without the leading "--" */
	int is_bool;
	const char **val;
} config_opt;

/* Parses argv[from..argc) as --flag VALUE / --flag=VALUE / -c FILE: the
 * table's flags go into c, `extra` options into their pointers. Positional
 * arguments and unknown flags fail. */
int config_parse_args(server_config *c, int argc, char **argv, int from,
                      const config_opt *extra, size_t nextra,
                      char *err, size_t errlen);

/* The whole precedence chain: defaults, then the -c file (from argv, else
 * NUSIMD_CONFIG), then the environment, then the flags. */
int config_build(server_config *c, int argc, char **argv, int from,
                 const config_opt *extra, size_t nextra,
                 char *err, size_t errlen);

/* The master key file actually used: master_key_file, else "<db>.key". */
void config_key_path(const server_config *c, char *out, size_t outlen);
/* 1 if the key file was named (file, env or flag), 0 if defaulted. */
int config_key_path_explicit(const server_config *c);

/* Splits "HOST:PORT" or "[V6]:PORT" (port 0..65535); 0, or -1 if malformed. */
int config_split_hostport(const char *s, char *host, size_t hostlen,
                          unsigned *port);

/* One line per key: flag, environment variable, default, meaning. */
void config_usage(FILE *f);

/* ---- the key table, for tests and the SIGHUP reload (added) ---------- */

enum { CONFIG_T_STR, CONFIG_T_ADDR, CONFIG_T_ADDR_OFF, CONFIG_T_BOOL,
       CONFIG_T_LEVEL, CONFIG_T_INT };

typedef struct {
	const char *name, *flag, *env, *def;
	int type;             /* CONFIG_T_* */
	int64_t min, max;     /* CONFIG_T_INT bounds; STR: min 1 = non-empty */
} config_key_desc;

/* How many keys the table has. */
size_t config_key_count(void);
/* Key i of the table; -1 past the end. */
int config_key_describe(size_t i, config_key_desc *out);
/* 1 if key i holds different values in a and b. */
int config_key_differs(const server_config *a, const server_config *b,
                       size_t i);
/* Key i's value in c, written as the file would hold it. */
void config_key_value(const server_config *c, size_t i, char *buf,
                      size_t len);

#endif
