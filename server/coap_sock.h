/*
 * coap_sock.h: what nusimd does to libcoap's endpoint sockets that
 * libcoap 4.3.1 has no API for: find the socket of an endpoint, size its
 * kernel buffers, and count the datagrams waiting on it, so that one
 * coap_io_do_epoll call can read them all (server/coap_endpoint.c).
 */
#ifndef SERVER_COAP_SOCK_H
#define SERVER_COAP_SOCK_H

#include <coap3/coap.h>
#include <stddef.h>

/* The fd of the UDP socket libcoap bound for ep, found among this
 * process's descriptors by its local address; -1 if none matches. `skip`
 * lists fds already claimed by other endpoints (n of them). */
int coap_sock_find(const coap_endpoint_t *ep, const int *skip, size_t n);

/* Sets SO_RCVBUF and SO_SNDBUF to bytes (SO_*BUFFORCE first, which passes
 * the net.core.*mem_max cap when the process may); stores what the kernel
 * granted (its doubled figure halved, so comparable to bytes). 0 or -1. */
int coap_sock_set_buffers(int fd, int bytes, int *rcv, int *snd);

/* Turns on the peek offset that coap_sock_pending needs; 0 or -1. */
int coap_sock_prepare_peek(int fd);

/* How many datagrams are queued on fd, counting at most max (0 when none
 * or on error). Peeks without consuming anything. */
int coap_sock_pending(int fd, int max);

#endif
