/*
 * coap_guard.h: a filter in front of libcoap's UDP parser for the
 * Block1 requests libcoap 4.3.1 mishandles (see coap_guard.c for which
 * and why). The filter sits in an interposed recvmsg and looks only at
 * the socket given to coap_guard_watch.
 */
#ifndef SERVER_COAP_GUARD_H
#define SERVER_COAP_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* Filters datagrams read from fd (the plain UDP endpoint socket); one
 * socket at a time. unwatch stops it if fd is the one watched. */
void coap_guard_watch(int fd);
void coap_guard_unwatch(int fd);

/* Why the datagram p[0..n) is refused, NULL when it may pass; *code gets
 * the CoAP response code (0x80 4.00 or 0x8d 4.13) when refused. */
const char *coap_guard_check(const uint8_t *p, size_t n, int *code);

/* Datagrams refused since start-up. */
unsigned long coap_guard_refused(void);

#endif
