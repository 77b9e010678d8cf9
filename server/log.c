/*
 * log.c: logfmt lines on stderr. Each line is built in one buffer and
 * written with one write(2), so lines from a crashing process stay whole.
 */
#include "server/log.h"

#include <coap3/coap.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static int log_level = NLOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_level_from_name(const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, level_names[i]))
			return i;
	if (!strcmp(s, "warning"))
		return NLOG_WARN;
	return -1;
}

const char *log_level_name(int level)
{
	return level >= 0 && level <= NLOG_DEBUG ? level_names[level] : "info";
}

void log_set_level(int level)
{
	if (level >= NLOG_ERROR && level <= NLOG_DEBUG)
		log_level = level;
}

int log_get_level(void)
{
	return log_level;
}

int log_enabled(int level)
{
	return level <= log_level;
}

struct line {
	char buf[LOG_LINE_MAX];
	size_t n;
	int full;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (l->full || n > sizeof l->buf - 2 - l->n) {
		l->full = 1;   /* truncated; the newline is still added */
		return;
	}
	memcpy(l->buf + l->n, s, n);
	l->n += n;
}

static void putc_(struct line *l, char c)
{
	put(l, &c, 1);
}

static int needs_quotes(const char *v)
{
	if (!*v)
		return 0;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f)
			return 1;
	return 0;
}

/* Writes v, quoting and escaping it when it could break the line apart. */
static void put_value(struct line *l, const char *v)
{
	if (!v)
		v = "";
	if (!needs_quotes(v)) {
		put(l, v, strlen(v));
		return;
	}
	putc_(l, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		char esc[8];
		switch (*p) {
		case '"': put(l, "\\\"", 2); break;
		case '\\': put(l, "\\\\", 2); break;
		case '\n': put(l, "\\n", 2); break;
		case '\r': put(l, "\\r", 2); break;
		case '\t': put(l, "\\t", 2); break;
		default:
			if (*p < ' ' || *p == 0x7f) {
				snprintf(esc, sizeof esc, "\\x%02x", *p);
				put(l, esc, strlen(esc));
			} else {
				putc_(l, (char)*p);  /* UTF-8 passes through */
			}
		}
	}
	putc_(l, '"');
}

/* Keys come from our code, but keep them to [a-z0-9_.-] anyway. */
static void put_key(struct line *l, const char *k)
{
	for (; *k; k++) {
		char c = *k;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		putc_(l, ok ? c : '_');
	}
}

void log_kvv(int level, const char *msg, va_list ap)
{
	struct line l;
	struct timespec ts;
	struct tm tm;
	char tbuf[96];

	if (!log_enabled(level))
		return;
	l.n = 0;
	l.full = 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(tbuf, sizeof tbuf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	put(&l, "ts=", 3);
	put(&l, tbuf, strlen(tbuf));
	put(&l, " level=", 7);
	put(&l, log_level_name(level), strlen(log_level_name(level)));
	put(&l, " msg=", 5);
	put_value(&l, msg);
	for (;;) {
		const char *k = va_arg(ap, const char *);
		const char *v;
		if (!k)
			break;
		v = va_arg(ap, const char *);
		putc_(&l, ' ');
		put_key(&l, k);
		putc_(&l, '=');
		put_value(&l, v);
	}
	l.buf[l.n++] = '\n';
	{
		const char *p = l.buf;
		size_t left = l.n;
		while (left) {
			ssize_t w = write(STDERR_FILENO, p, left);
			if (w <= 0)
				break;
			p += w;
			left -= (size_t)w;
		}
	}
}

void log_kv(int level, const char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	log_kvv(level, msg, ap);
	va_end(ap);
}

/* libcoap hands us its own formatted text; it becomes the detail value. */
static void coap_log_cb(coap_log_t level, const char *message)
{
	char text[1024];
	size_t n = strlen(message);
	int ours;

	if (n >= sizeof text)
		n = sizeof text - 1;
	memcpy(text, message, n);
	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	text[n] = 0;
	if (level <= LOG_ERR)
		ours = NLOG_ERROR;
	else if (level == LOG_WARNING)
		ours = NLOG_WARN;
	else
		ours = NLOG_DEBUG;  /* libcoap's info/notice are chatty */
	log_kv(ours, "libcoap", "detail", text, NULL);
}

void log_attach_libcoap(void)
{
	coap_set_log_handler(coap_log_cb);
	/* Only ask libcoap for debug text when we will print it. */
	coap_set_log_level(log_level >= NLOG_DEBUG ? LOG_INFO : LOG_WARNING);
}
