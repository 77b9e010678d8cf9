/*
 * coap_endpoint.c: libcoap context, endpoints and loop integration
 * (server/coap_endpoint.h). The block mode is set before any endpoint
 * exists because each session copies it when created (NOTES §2.1).
 *
 * Driving libcoap: coap_io_process() runs coap_io_prepare_epoll() twice per
 * call, and that walks every session of every endpoint (idle expiry,
 * block-wise expiry, retransmissions): with 10,000 devices it was over half
 * of the CPU, once per datagram. So the loop takes the events of libcoap's
 * epoll fd itself and hands them to coap_io_do_epoll(), which reads one
 * datagram per endpoint event and then runs the walk once; the UDP
 * endpoint's event is repeated once per datagram queued on its socket
 * (server/coap_sock.c counts them), so one walk serves a whole batch. What
 * else coap_io_process() does (the proxy cache and coap_async expiry) is
 * not used by nusimd. coap_io_prepare_epoll() itself runs from the prepare
 * hook only when its last deadline is due or 100 ms have passed; libcoap
 * re-arms its own timerfd (inside its epoll fd) when it queues a CON.
 */
#include "server/coap_endpoint.h"
#include "server/coap_guard.h"
#include "server/coap_sock.h"
#include "server/config.h"
#include "server/dm_engine.h"
#include "server/log.h"
#include "server/metrics.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define EP_EVENTS 16         /* events taken from libcoap's epoll fd at once */
#define EP_BATCH 128         /* datagrams of the UDP endpoint per call */
#define EP_ROUNDS 4          /* calls per wake-up before other fds' turn */
#define PREPARE_MAX_MS 100   /* coap_io_prepare_epoll at least this often */
#define TRIM_AFTER 1000      /* freed sessions before memory goes back */
#define TRIM_EVERY_MS 1000

struct coap_ep {
	loop *l;
	coap_context_t *ctx;
	int fd;
	int sock[2];                 /* UDP and DTLS endpoint sockets, or -1 */
	int guard_fd;                /* UDP socket under coap_guard, or -1 */
	int64_t prepare_due;         /* loop_now_ms of the next prepare */
	unsigned freed;              /* sessions freed since the last trim */
	int64_t trimmed_at;
	dm *dm;
	coap_ep_session_cb session_end;
	void *session_end_arg;
	char bound[2][CONFIG_ADDR_MAX];
};

static coap_ep *ep_of(coap_session_t *s)
{
	return coap_get_app_data(coap_session_get_context(s));
}

static coap_response_t on_response(coap_session_t *s, const coap_pdu_t *sent,
                                   const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	coap_ep *e = ep_of(s);
	if (!e || !e->dm)
		return COAP_RESPONSE_OK;
	return dm_on_response(e->dm, s, sent, rcvd, mid);
}

static void on_nack(coap_session_t *s, const coap_pdu_t *sent,
                    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	coap_ep *e = ep_of(s);
	if (e && e->dm)
		dm_on_nack(e->dm, s, sent, reason, mid);
}

static int on_event(coap_session_t *s, const coap_event_t event)
{
	coap_ep *e = ep_of(s);
	char peer[80], code[16];

	if (!e)
		return 0;
	coap_ep_peer_str(s, peer, sizeof peer);
	snprintf(code, sizeof code, "0x%04x", (unsigned)event);
	switch (event) {
	case COAP_EVENT_DTLS_CONNECTED:
		log_kv(NLOG_DEBUG, "dtls connected", "peer", peer, NULL);
		break;
	case COAP_EVENT_DTLS_ERROR:
		log_kv(NLOG_INFO, "dtls error", "peer", peer, NULL);
		goto ended;
	case COAP_EVENT_DTLS_CLOSED:
	case COAP_EVENT_SESSION_CLOSED:
	case COAP_EVENT_SERVER_SESSION_DEL:
		if (event == COAP_EVENT_SERVER_SESSION_DEL) {
			e->freed++;
			metrics_coap_session(-1);
		}
		log_kv(NLOG_DEBUG, "session ended", "peer", peer, "event", code, NULL);
	ended:
		if (e->dm)
			dm_session_gone(e->dm, s);
		if (e->session_end)
			e->session_end(e->session_end_arg, s);
		break;
	case COAP_EVENT_SERVER_SESSION_NEW:
		metrics_coap_session(1);
		log_kv(NLOG_DEBUG, "coap event", "peer", peer, "event", code, NULL);
		break;
	default:
		log_kv(NLOG_DEBUG, "coap event", "peer", peer, "event", code, NULL);
		break;
	}
	return 0;
}

/* libcoap stores its coap_socket_t * in the epoll data, and that struct
 * starts with the fd (coap_io_internal.h, every libcoap 4.x; checked in
 * 4.3.1's coap_io_do_epoll). The value is only compared with the fd that
 * coap_sock_find found by address: a libcoap laid out otherwise never
 * matches, and each event then reads one datagram, as coap_io_process did. */
static int event_fd(const struct epoll_event *ev)
{
	return ev->data.ptr ? *(const int *)ev->data.ptr : -1;
}

static void on_readable(void *arg, uint32_t events)
{
	coap_ep *e = arg;
	struct epoll_event got[EP_EVENTS], batch[EP_EVENTS + EP_BATCH];
	(void)events;

	for (int round = 0; round < EP_ROUNDS; round++) {
		int n = epoll_wait(e->fd, got, EP_EVENTS, 0);
		size_t m = 0;
		int udp = 0;
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			int k = 1;
			if (e->sock[0] >= 0 && (got[i].events & EPOLLIN) &&
			    event_fd(&got[i]) == e->sock[0]) {
				/* Never more reads than datagrams: a read of
				 * an empty socket makes libcoap log warnings. */
				k = coap_sock_pending(e->sock[0], EP_BATCH);
				if (k < 1)
					k = 1;
				udp = k;
			}
			for (int j = 0; j < k; j++)
				batch[m++] = got[i];
		}
		coap_io_do_epoll(e->ctx, batch, m);
		/* do_epoll ended with coap_io_prepare_epoll. */
		e->prepare_due = loop_now_ms() + PREPARE_MAX_MS;
		if (udp < 2)
			break;   /* a trickle: back to the loop */
	}
}

/* libcoap's retransmissions and session expiry need a wake-up even when
 * nothing arrives. Its timerfd (inside its epoll fd) wakes the loop for
 * what it knows; the walk here is run only when the deadline it last gave
 * is due, or PREPARE_MAX_MS passed, never on every loop turn. */
static int64_t prepare(void *arg)
{
	coap_ep *e = arg;
	int64_t now = loop_now_ms();
	if (now >= e->prepare_due) {
		coap_tick_t t;
		unsigned ms;
		coap_ticks(&t);
		ms = coap_io_prepare_epoll(e->ctx, t);
		e->prepare_due = now + (ms && ms < PREPARE_MAX_MS ? (int64_t)ms
		                                                  : PREPARE_MAX_MS);
	}
	/* Sessions idling out by the thousand leave holes in the heap that
	 * glibc keeps; hand those pages back, so an idle fleet costs its
	 * database rows, not its past sessions (~2.5 MB per 10,000). */
	if (e->freed >= TRIM_AFTER && now - e->trimmed_at >= TRIM_EVERY_MS) {
		e->freed = 0;
		e->trimmed_at = now;
		malloc_trim(0);
	}
	return e->prepare_due - now;
}

/* Finds the endpoint's socket and sizes its buffers: a burst of 10,000
 * devices overflows the default ~200 KB receive buffer, and every drop is
 * a device retransmitting a second later. Batched reads need the fd too. */
static void tune_socket(coap_ep *e, int idx, coap_endpoint_t *ep,
                        const coap_ep_config *cfg)
{
	int fd = coap_sock_find(ep, e->sock, 2), rcv = 0, snd = 0;
	char fds[16], rs[24], ss[24];

	if (fd < 0) {
		log_kv(NLOG_WARN, "coap socket not found: default buffers, one "
		       "datagram per event", "endpoint", e->bound[idx], NULL);
		return;
	}
	/* Block1 requests that crash libcoap 4.3.1 stop here (coap_guard.c). */
	if (idx == 0) {
		coap_guard_watch(fd);
		e->guard_fd = fd;
	}
	if (cfg->socket_buffer > 0 &&
	    coap_sock_set_buffers(fd, (int)cfg->socket_buffer, &rcv, &snd) < 0)
		log_kv(NLOG_WARN, "cannot size the coap socket buffers",
		       "endpoint", e->bound[idx], NULL);
	/* Only the UDP endpoint is read in batches: DTLS records go one by
	 * one through OpenSSL, and gain little. */
	if (idx == 0 && coap_sock_prepare_peek(fd) < 0) {
		log_kv(NLOG_WARN, "no SO_PEEK_OFF: one datagram per event",
		       "endpoint", e->bound[idx], NULL);
		return;
	}
	e->sock[idx] = fd;
	snprintf(fds, sizeof fds, "%d", fd);
	snprintf(rs, sizeof rs, "%d", rcv);
	snprintf(ss, sizeof ss, "%d", snd);
	log_kv(NLOG_DEBUG, "coap socket", "endpoint", e->bound[idx], "fd", fds,
	       "rcvbuf", rs, "sndbuf", ss, NULL);
}

static int resolve(const char *hostport, coap_address_t *out, char *err,
                   size_t errlen)
{
	char host[CONFIG_ADDR_MAX], port_s[8];
	unsigned port;
	struct addrinfo hints = { 0 }, *res = NULL;
	int rc;

	if (config_split_hostport(hostport, host, sizeof host, &port) < 0) {
		snprintf(err, errlen, "bad address \"%s\"", hostport);
		return -1;
	}
	snprintf(port_s, sizeof port_s, "%u", port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port_s, &hints, &res);
	if (rc || !res || res->ai_addrlen > sizeof out->addr) {
		snprintf(err, errlen, "cannot resolve \"%s\": %s", hostport,
		         rc ? gai_strerror(rc) : "no address");
		if (res)
			freeaddrinfo(res);
		return -1;
	}
	coap_address_init(out);
	memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
	out->size = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* coap_endpoint_str() prints the address as bound ("127.0.0.1:40000 UDP"),
 * so port 0 comes back as the real port without a bind race. */
static void bound_str(coap_endpoint_t *ep, char *out, size_t outlen)
{
	const char *s = coap_endpoint_str(ep);
	size_t n = strcspn(s, " ");
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, s, n);
	out[n] = 0;
}

static int add_endpoint(coap_ep *e, const coap_ep_config *cfg,
                        const char *listen, coap_proto_t proto,
                        char *out, char *err, size_t errlen)
{
	coap_address_t a;
	coap_endpoint_t *ep;
	char why[192];

	if (!strcmp(listen, "off")) {
		strcpy(out, "off");
		return 0;
	}
	if (resolve(listen, &a, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s", proto == COAP_PROTO_DTLS ?
		         "coaps_listen" : "coap_listen", why);
		return -1;
	}
	ep = coap_new_endpoint(e->ctx, &a, proto);
	if (!ep) {
		snprintf(err, errlen, "%s: cannot bind %s (in use or not local?)",
		         proto == COAP_PROTO_DTLS ? "coaps_listen" : "coap_listen",
		         listen);
		return -1;
	}
	bound_str(ep, out, CONFIG_ADDR_MAX);
	tune_socket(e, proto == COAP_PROTO_DTLS, ep, cfg);
	return 0;
}

coap_ep *coap_ep_new(loop *l, const coap_ep_config *cfg, char *err,
                     size_t errlen)
{
	coap_ep *e = calloc(1, sizeof *e);
	coap_dtls_spsk_t sp;

	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->l = l;
	e->fd = -1;
	e->sock[0] = e->sock[1] = -1;
	e->guard_fd = -1;
	coap_startup();
	e->ctx = coap_new_context(NULL);
	if (!e->ctx) {
		snprintf(err, errlen, "cannot create the libcoap context");
		goto fail;
	}
	coap_set_app_data(e->ctx, e);
	coap_context_set_block_mode(e->ctx,
	                            COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
	coap_context_set_session_timeout(e->ctx, (unsigned)cfg->session_timeout_s);
	if (cfg->max_idle_sessions > 0)
		coap_context_set_max_idle_sessions(e->ctx,
		                                   (unsigned)cfg->max_idle_sessions);
	coap_context_set_max_handshake_sessions(e->ctx,
	                                        (unsigned)cfg->max_handshakes);
	coap_register_response_handler(e->ctx, on_response);
	coap_register_nack_handler(e->ctx, on_nack);
	coap_register_event_handler(e->ctx, on_event);

	if (strcmp(cfg->coaps_listen, "off")) {
		if (!coap_dtls_is_supported()) {
			snprintf(err, errlen, "coaps_listen: libcoap has no DTLS");
			goto fail;
		}
		memset(&sp, 0, sizeof sp);
		sp.version = COAP_DTLS_SPSK_SETUP_VERSION;
		sp.validate_id_call_back = cfg->psk_cb;
		sp.id_call_back_arg = cfg->psk_arg;
		if (!coap_context_set_psk2(e->ctx, &sp)) {
			snprintf(err, errlen, "coaps_listen: cannot set up DTLS PSK");
			goto fail;
		}
	}
	if (add_endpoint(e, cfg, cfg->coap_listen, COAP_PROTO_UDP, e->bound[0],
	                 err, errlen) < 0 ||
	    add_endpoint(e, cfg, cfg->coaps_listen, COAP_PROTO_DTLS, e->bound[1],
	                 err, errlen) < 0)
		goto fail;

	e->fd = coap_context_get_coap_fd(e->ctx);
	if (e->fd < 0) {
		snprintf(err, errlen, "libcoap was built without epoll");
		goto fail;
	}
	if (loop_add_fd(l, e->fd, EPOLLIN, on_readable, e) < 0 ||
	    loop_add_prepare(l, prepare, e) < 0) {
		snprintf(err, errlen, "cannot add the CoAP fd to the loop");
		e->fd = -1;
		goto fail;
	}
	return e;
fail:
	coap_ep_free(e);
	return NULL;
}

void coap_ep_free(coap_ep *e)
{
	if (!e)
		return;
	if (e->fd >= 0)
		loop_del_fd(e->l, e->fd);
	/* The prepare hook stays registered on the loop; the loop is freed
	 * right after this at shutdown, and the hook is not run again. */
	coap_guard_unwatch(e->guard_fd);
	if (e->ctx) {
		coap_set_app_data(e->ctx, NULL);
		coap_free_context(e->ctx);
	}
	free(e);
}

coap_context_t *coap_ep_context(coap_ep *e)
{
	return e->ctx;
}

void coap_ep_set_dm(coap_ep *e, dm *d)
{
	e->dm = d;
}

void coap_ep_on_session_end(coap_ep *e, coap_ep_session_cb cb, void *arg)
{
	e->session_end = cb;
	e->session_end_arg = arg;
}

const char *coap_ep_bound(const coap_ep *e, int dtls)
{
	return e->bound[dtls ? 1 : 0];
}

void coap_ep_peer_str(const coap_session_t *s, char *out, size_t outlen)
{
	const coap_address_t *a = coap_session_get_addr_remote(s);
	char host[INET6_ADDRSTRLEN + 2], port[8];

	/* IPv4, the common case, without getnameinfo's generality: this runs
	 * for every Update. IPv6 keeps it for the scope id (fe80::1%eth0). */
	if (a && a->addr.sa.sa_family == AF_INET &&
	    inet_ntop(AF_INET, &a->addr.sin.sin_addr, host, sizeof host)) {
		snprintf(out, outlen, "%s:%u", host,
		         (unsigned)ntohs(a->addr.sin.sin_port));
		return;
	}
	if (!a || getnameinfo(&a->addr.sa, a->size, host, sizeof host, port,
	                      sizeof port, NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(out, outlen, "?");
		return;
	}
	if (a->addr.sa.sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", host, port);
	else
		snprintf(out, outlen, "%s:%s", host, port);
}
