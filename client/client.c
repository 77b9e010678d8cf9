/*
 * client.c: the nusim-client runtime (see client.h): the libcoap context,
 * its response/NACK/event handlers routed to devices through the session's
 * app data, and the poll loop over the libcoap fd and the control fd.
 */
#include "client/client.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "client/device.h"
#include "client/log.h"
#include "client/serve.h"

struct client {
	coap_context_t *ctx;
	device **dev;
	size_t n, cap;
	int kicked;
	int stopping;
	uint64_t stop_deadline;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

uint64_t client_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void client_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent,
                                   const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	device *d = coap_session_get_app_data(s);
	if (d)
		device_on_response(d, sent, rcvd);
	return COAP_RESPONSE_OK;
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	device *d = coap_session_get_app_data(s);
	if (d)
		device_on_nack(d, sent, reason);
}

static int on_event(coap_session_t *s, const coap_event_t ev)
{
	device *d = s ? coap_session_get_app_data(s) : NULL;
	if (d)
		device_on_event(d, ev);
	return 0;
}

/* libcoap's own log goes through ours, at debug level only. */
static void on_coap_log(coap_log_t level, const char *message)
{
	if (!clog_enabled(CLOG_DEBUG))
		return;
	size_t n = strlen(message);
	while (n && (message[n - 1] == '\n' || message[n - 1] == '\r'))
		n--;
	clog_msg(CLOG_DEBUG, "libcoap", "text=\"%.*s\"", (int)n, message);
}

client *client_new(char *err, size_t errlen)
{
	client *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	coap_startup();
	coap_set_log_handler(on_coap_log);
	coap_set_log_level(clog_enabled(CLOG_DEBUG) ? LOG_DEBUG : LOG_WARNING);
	coap_dtls_set_log_level(clog_enabled(CLOG_DEBUG) ? LOG_DEBUG : LOG_ERR);
	c->ctx = coap_new_context(NULL);
	if (!c->ctx) {
		snprintf(err, errlen, "cannot create the CoAP context");
		free(c);
		return NULL;
	}
	/* Before any session: each session copies the mode (NOTES §2.1). */
	coap_context_set_block_mode(c->ctx,
	                            COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_register_response_handler(c->ctx, on_response);
	coap_register_nack_handler(c->ctx, on_nack);
	coap_register_event_handler(c->ctx, on_event);
	if (serve_install(c->ctx) != 0) {
		snprintf(err, errlen, "cannot install the CoAP resources");
		coap_free_context(c->ctx);
		free(c);
		return NULL;
	}
	return c;
}

void client_free(client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		device_free(c->dev[i]);
	free(c->dev);
	coap_free_context(c->ctx);
	coap_cleanup();
	free(c);
}

coap_context_t *client_coap(client *c)
{
	return c->ctx;
}

int client_add(client *c, device *d)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		device **n = realloc(c->dev, cap * sizeof *n);
		if (!n)
			return -1;
		c->dev = n;
		c->cap = cap;
	}
	c->dev[c->n++] = d;
	return 0;
}

size_t client_count(const client *c)
{
	return c->n;
}

device *client_device(const client *c, size_t i)
{
	return i < c->n ? c->dev[i] : NULL;
}

void client_kick(client *c)
{
	c->kicked = 1;
}

void client_stop(client *c)
{
	if (c->stopping)
		return;
	c->stopping = 1;
	/* De-registers wait for their answers, but not for ever. */
	c->stop_deadline = client_now_ms() + 5000;
	for (size_t i = 0; i < c->n; i++)
		device_shutdown(c->dev[i]);
	c->kicked = 1;
}

int client_stopping(const client *c)
{
	return c->stopping;
}

/* Reads what is there on the control fd and hands over whole lines. */
static int read_control(int fd, char *buf, size_t *len, size_t cap,
                        client_line_fn on_line, void *arg)
{
	ssize_t r = read(fd, buf + *len, cap - *len - 1);
	if (r < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0)
		return -1;
	*len += (size_t)r;
	char *start = buf, *nl;
	while ((nl = memchr(start, '\n', (size_t)(buf + *len - start)))) {
		*nl = 0;
		if (nl > start && nl[-1] == '\r')
			nl[-1] = 0;
		on_line(arg, start);
		start = nl + 1;
	}
	*len = (size_t)(buf + *len - start);
	memmove(buf, start, *len);
	if (*len == cap - 1) {
		/* An over-long line is dropped with an answer, not buffered. */
		printf("error line too long\n");
		fflush(stdout);
		*len = 0;
	}
	return 0;
}

int client_run(client *c, int control_fd, client_line_fn on_line,
               client_tick_fn tick, void *arg)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	char line[4096];
	size_t linelen = 0;
	int coap_fd = coap_context_get_coap_fd(c->ctx);
	uint64_t next_dev = 0;
	for (;;) {
		uint64_t now = client_now_ms();
		if (got_signal) {
			clog_msg(CLOG_INFO, "stopping", "signal=%d", (int)got_signal);
			got_signal = 0;
			client_stop(c);
		}
		int64_t wait = 1000;
		if (tick) {
			int64_t t = tick(arg, now);
			if (t >= 0 && t < wait)
				wait = t;
		}
		if (c->kicked || now >= next_dev) {
			c->kicked = 0;
			int64_t soonest = 1000;
			for (size_t i = 0; i < c->n; i++) {
				int64_t t = device_tick(c->dev[i], now);
				if (t >= 0 && t < soonest)
					soonest = t;
			}
			next_dev = now + (uint64_t)soonest;
		}
		if (c->stopping) {
			size_t busy = 0;
			for (size_t i = 0; i < c->n; i++)
				busy += device_busy(c->dev[i]);
			if (!busy || now >= c->stop_deadline)
				break;
		}
		int64_t dwait = (int64_t)(next_dev > now ? next_dev - now : 0);
		if (dwait < wait)
			wait = dwait;
		coap_tick_t ticks;
		coap_ticks(&ticks);
		unsigned int cw = coap_io_prepare_epoll(c->ctx, ticks);
		if (cw > 0 && (int64_t)cw < wait)
			wait = cw;
		if (c->kicked)
			wait = 0;
		struct pollfd pfd[2] = {
			{ .fd = coap_fd, .events = POLLIN },
			{ .fd = control_fd, .events = POLLIN },
		};
		int n = poll(pfd, control_fd >= 0 ? 2 : 1, (int)wait);
		if (n < 0 && errno != EINTR) {
			clog_msg(CLOG_ERROR, "poll-failed", "error=\"%s\"", strerror(errno));
			return -1;
		}
		coap_io_process(c->ctx, COAP_IO_NO_WAIT);
		if (n > 0 && control_fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			if (read_control(control_fd, line, &linelen, sizeof line,
			                 on_line, arg) < 0) {
				/* stdin closed: stop reading it, keep running. */
				control_fd = -1;
			}
		}
	}
	return 0;
}
