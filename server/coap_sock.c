/*
 * coap_sock.c: libcoap's endpoint sockets seen from the kernel side
 * (server/coap_sock.h).
 *
 * libcoap 4.3.1 keeps an endpoint's socket private (coap_context_get_coap_fd
 * is its epoll fd). The clean way in is the kernel's: the socket is one of
 * this process's fds, a datagram socket bound to exactly the address that
 * coap_endpoint_str() reports, so a walk over /proc/self/fd finds it with
 * public calls only, once, at start-up.
 *
 * Counting queued datagrams: FIONREAD tells only the size of the first one.
 * With SO_PEEK_OFF set, each MSG_PEEK read starts where the previous peek
 * ended, so one recvmmsg(MSG_PEEK) returns one entry per queued datagram
 * (Linux >= 4.11 for UDP); resetting the offset to 0 first makes every
 * count start at the head. Plain reads (libcoap's) are not affected: the
 * kernel moves the offset back by what they consume.
 */
#include "server/coap_sock.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PEEK_MAX 256
/* A peek copies the whole datagram (a shorter buffer would make the
 * offset stop inside it and count it twice): one buffer as large as any
 * UDP datagram, shared by every entry because the bytes are not used. */
#define PEEK_BUF 65536

/* "ADDR:PORT" of a socket's local address, written like coap_endpoint_str
 * writes the endpoint's (coap_print_addr). */
static int local_str(int fd, char *out, size_t outlen)
{
	coap_address_t a;
	size_t n;
	coap_address_init(&a);
	a.size = sizeof a.addr;
	if (getsockname(fd, &a.addr.sa, &a.size) < 0)
		return -1;
	n = coap_print_addr(&a, (unsigned char *)out, outlen - 1);
	out[n] = 0;
	return n ? 0 : -1;
}

int coap_sock_find(const coap_endpoint_t *ep, const int *skip, size_t nskip)
{
	const char *want = coap_endpoint_str(ep);
	size_t wlen = strcspn(want, " ");   /* "127.0.0.1:5683 UDP" */
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int found = -1;

	if (!dir)
		return -1;
	while (found < 0 && (de = readdir(dir))) {
		char *end, have[96];
		long fd = strtol(de->d_name, &end, 10);
		struct stat st;
		int type = 0, taken = 0;
		socklen_t tl = sizeof type;

		if (*end || end == de->d_name || fd < 0 || fd == dirfd(dir))
			continue;
		for (size_t i = 0; i < nskip; i++)
			taken |= skip[i] == fd;
		if (taken || fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
		    getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
		    type != SOCK_DGRAM || local_str((int)fd, have, sizeof have) < 0)
			continue;
		if (strlen(have) == wlen && !memcmp(have, want, wlen))
			found = (int)fd;
	}
	closedir(dir);
	return found;
}

static int set_one(int fd, int force, int plain, int bytes, int *got)
{
	socklen_t l = sizeof *got;
	/* FORCE needs CAP_NET_ADMIN; without it the plain option is capped
	 * at net.core.[rw]mem_max. */
	if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) < 0 &&
	    setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof bytes) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, plain, got, &l) < 0)
		return -1;
	*got /= 2;   /* the kernel doubles it for its bookkeeping */
	return 0;
}

int coap_sock_set_buffers(int fd, int bytes, int *rcv, int *snd)
{
	*rcv = *snd = 0;
	if (set_one(fd, SO_RCVBUFFORCE, SO_RCVBUF, bytes, rcv) < 0 ||
	    set_one(fd, SO_SNDBUFFORCE, SO_SNDBUF, bytes, snd) < 0)
		return -1;
	return 0;
}

int coap_sock_prepare_peek(int fd)
{
	int off = 0;
	return setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off);
}

int coap_sock_pending(int fd, int max)
{
	static unsigned char buf[PEEK_BUF];
	static struct iovec iov[PEEK_MAX];
	static struct mmsghdr mm[PEEK_MAX];
	int off = 0, n;

	if (max > PEEK_MAX)
		max = PEEK_MAX;
	if (max <= 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &off, sizeof off) < 0)
		return 0;
	for (int i = 0; i < max; i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = sizeof buf;
		memset(&mm[i].msg_hdr, 0, sizeof mm[i].msg_hdr);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(fd, mm, (unsigned)max, MSG_PEEK | MSG_DONTWAIT, NULL);
	return n > 0 ? n : 0;
}
