/*
 * log.h: the daemon's log, one logfmt line per event on stderr:
 *   ts=2024-05-01T12:00:00.123Z level=info msg=registered ep=dev1 lt=60
 * Values with spaces, quotes, '=' or control bytes are quoted and escaped,
 * so a device cannot forge keys or lines. Never pass secrets here.
 */
#ifndef SERVER_LOG_H
#define SERVER_LOG_H

#include <stdarg.h>

/* NLOG_, not LOG_: <syslog.h> (pulled in by libcoap) owns LOG_INFO etc. */
enum { NLOG_ERROR = 0, NLOG_WARN = 1, NLOG_INFO = 2, NLOG_DEBUG = 3 };

/* "error", "warn", "info", "debug" (also "warning"); -1 if unknown. */
int log_level_from_name(const char *s);
const char *log_level_name(int level);
void log_set_level(int level);
int log_get_level(void);
int log_enabled(int level);

/* Key/value pairs of strings after msg, ended by NULL:
 *   log_kv(NLOG_INFO, "registered", "ep", ep, "lt", lt_str, NULL);
 * A NULL value is written as an empty string. */
void log_kv(int level, const char *msg, ...);
void log_kvv(int level, const char *msg, va_list ap);

/* Routes libcoap's own log lines into this log (level debug/warn/error). */
void log_attach_libcoap(void);

#endif
