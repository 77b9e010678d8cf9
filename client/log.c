/*
 * log.c: logfmt logging to stderr (see log.h). One fprintf per line so
 * lines from one process never interleave.
 */
#include "client/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static clog_level cur = CLOG_INFO;
static const char *const names[] = { "debug", "info", "warn", "error" };

int clog_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	if (!strcmp(s, "warning"))
		return CLOG_WARN;
	return -1;
}

void clog_set_level(clog_level l)
{
	cur = l;
}

int clog_enabled(clog_level l)
{
	return l >= cur;
}

void clog_msg(clog_level l, const char *msg, const char *fmt, ...)
{
	if (!clog_enabled(l))
		return;
	char line[1024];
	int n = snprintf(line, sizeof line, "level=%s msg=%s", names[l], msg);
	if (n < 0)
		return;
	if ((size_t)n < sizeof line - 2 && fmt && *fmt) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if ((size_t)n > sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
}
