/*
 * log.h: logfmt lines on stderr for nusim-client, one event a line:
 *   level=info msg=registered ep=dev1 location=/rd/3Xk9
 * The msg values are an interface: tests and operators grep for them.
 */
#ifndef CLIENT_LOG_H
#define CLIENT_LOG_H

typedef enum { CLOG_DEBUG = 0, CLOG_INFO, CLOG_WARN, CLOG_ERROR } clog_level;

/* "debug", "info", "warn"/"warning", "error"; -1 if unknown. */
int clog_level_parse(const char *s);
void clog_set_level(clog_level l);
int clog_enabled(clog_level l);

/* Writes "level=L msg=MSG " then the formatted key=value pairs. */
void clog_msg(clog_level l, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
