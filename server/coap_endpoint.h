/*
 * coap_endpoint.h: the libcoap side of nusimd. One libcoap context with a
 * CoAP/UDP and a CoAP/DTLS (PSK) endpoint, driven by the loop (the context
 * fd on EPOLLIN: coap_io_do_epoll on its events, every queued datagram of
 * the UDP endpoint in one call; coap_io_prepare_epoll when due). libcoap's response,
 * NACK and session events are forwarded to the DM engine and to whoever
 * registered for session ends (the registration interface).
 */
#ifndef SERVER_COAP_ENDPOINT_H
#define SERVER_COAP_ENDPOINT_H

#include <coap3/coap.h>
#include <stddef.h>
#include <stdint.h>
#include "server/loop.h"
#include "server/dm.h"

typedef struct coap_ep coap_ep;

typedef struct {
	const char *coap_listen;     /* "HOST:PORT" or "off" */
	const char *coaps_listen;    /* "HOST:PORT" or "off" */
	int64_t session_timeout_s;   /* idle unreferenced sessions are freed */
	int64_t max_idle_sessions;   /* 0 = libcoap's default (no limit) */
	int64_t max_handshakes;      /* DTLS handshakes at once */
	coap_dtls_id_callback_t psk_cb;  /* identity -> key (server/psk.c) */
	void *psk_arg;
	int64_t socket_buffer;       /* SO_RCVBUF/SO_SNDBUF bytes, 0 = leave */
} coap_ep_config;

/* Called when libcoap ends a session (deleted, DTLS closed or failed). */
typedef void (*coap_ep_session_cb)(void *arg, coap_session_t *s);

/* Creates the context and binds the endpoints; NULL with err on failure. */
coap_ep *coap_ep_new(loop *l, const coap_ep_config *cfg, char *err,
                     size_t errlen);
void coap_ep_free(coap_ep *e);
coap_context_t *coap_ep_context(coap_ep *e);
/* Where responses and NACKs go from now on (NULL: dropped). */
void coap_ep_set_dm(coap_ep *e, dm *d);
void coap_ep_on_session_end(coap_ep *e, coap_ep_session_cb cb, void *arg);
/* The bound "HOST:PORT" (the real port when 0 was asked), or "off". */
const char *coap_ep_bound(const coap_ep *e, int dtls);

/* "ip:port" of a session's peer, for logs and the registration record. */
void coap_ep_peer_str(const coap_session_t *s, char *out, size_t outlen);

#endif
