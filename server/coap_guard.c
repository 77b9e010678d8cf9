/*
 * coap_guard.c: turns away, before libcoap parses them, the Block1
 * requests that crash libcoap 4.3.1 (server/coap_guard.h).
 *
 * Found by tests/fuzz/fuzz_coap_rd.py: a Block1 request whose first block
 * has no Size1, followed by one with an empty payload (two datagrams, no
 * authentication) makes coap_handle_request_put_block dereference a NULL
 * body (coap_block_build_body returns NULL for an empty payload or an
 * unknown total, and a later block reads p->body_data->s). Debian's
 * 4.3.1-1 has none of the upstream block-size fixes (NOTES-libs §1.5).
 * libcoap offers no hook between the socket and its parser, so, like
 * dtls_ciphers.c, nusimd interposes the one call libcoap reads datagrams
 * with (recvmsg, coap_socket_recv) and looks at what came in on the plain
 * UDP endpoint socket only (DTLS records are ciphertext here; their
 * senders are authenticated devices).
 *
 * Refused (a CON gets an ACK with 4.00 or 4.13 and a short diagnostic, a
 * NON nothing), each breaking RFC 7959 or this server's bounds:
 *  - Block1 with an empty payload, or reserved SZX 7;
 *  - Block1 with M=1 whose payload is not exactly the block size;
 *  - the first block (NUM 0, M=1) without a non-zero Size1: libcoap then
 *    hands the handler a partial body instead of reassembling;
 *  - a block ending beyond, or a Size1 over, GUARD_MAX_BODY.
 * libcoap then sees a zero-length read, which it ignores.
 */
#include "server/coap_guard.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "server/log.h"

#define OPT_BLOCK1 27
#define OPT_SIZE1 60

/* Register payloads are bounded at 16 KiB of link format
 * (LWM2M_MAX_LINK_PAYLOAD); anything block-wise beyond 64 KiB is refused. */
#define GUARD_MAX_BODY (64 * 1024)

static int watched = -1;
static unsigned long refused;

void coap_guard_watch(int fd)
{
	watched = fd;
}

void coap_guard_unwatch(int fd)
{
	if (watched == fd)
		watched = -1;
}

unsigned long coap_guard_refused(void)
{
	return refused;
}

/* Reads an option's extended delta or length (RFC 7252 §3.1). */
static int ext(unsigned nib, const uint8_t *p, size_t n, size_t *i,
               uint32_t *out)
{
	if (nib < 13) {
		*out = nib;
	} else if (nib == 13) {
		if (*i + 1 > n)
			return -1;
		*out = 13u + p[(*i)++];
	} else if (nib == 14) {
		if (*i + 2 > n)
			return -1;
		*out = 269u + ((uint32_t)p[*i] << 8 | p[*i + 1]);
		*i += 2;
	} else {
		return -1;
	}
	return 0;
}

static uint32_t uint_val(const uint8_t *v, uint32_t len)
{
	uint32_t x = 0;
	for (uint32_t k = 0; k < len; k++)
		x = x << 8 | v[k];
	return x;
}

const char *coap_guard_check(const uint8_t *p, size_t n, int *code)
{
	size_t i;
	uint32_t number = 0, payload = 0;
	int has_b1 = 0, has_size1 = 0;
	uint32_t b1 = 0, size1 = 0;

	/* Only well-formed requests: libcoap discards the rest itself. */
	if (n < 4 || p[0] >> 6 != 1 || (p[0] & 0x0f) > 8 || p[1] == 0 ||
	    p[1] >> 5 != 0)
		return NULL;
	i = 4 + (p[0] & 0x0f);
	if (i > n)
		return NULL;
	while (i < n) {
		uint8_t b = p[i++];
		uint32_t delta, len;
		if (b == 0xff) {
			payload = (uint32_t)(n - i);
			break;
		}
		if (ext(b >> 4, p, n, &i, &delta) || ext(b & 0x0f, p, n, &i, &len) ||
		    len > n - i)
			return NULL;
		number += delta;
		if (number > 0xffff)
			return NULL;
		/* libcoap discards a Block1 over 3 bytes and reads the first
		 * of repeated options: so does this. A Size1 over 4 bytes
		 * counts as too large. */
		if (number == OPT_BLOCK1 && len > 3)
			return NULL;
		if (number == OPT_BLOCK1 && !has_b1) {
			has_b1 = 1;
			b1 = uint_val(p + i, len);
		} else if (number == OPT_SIZE1 && !has_size1) {
			has_size1 = 1;
			size1 = len > 4 ? UINT32_MAX : uint_val(p + i, len);
		}
		i += len;
	}
	if (!has_b1)
		return NULL;

	uint32_t szx = b1 & 7, more = b1 >> 3 & 1, num = b1 >> 4;
	uint64_t bsize = 1u << (szx + 4), end;
	*code = 0x80; /* 4.00 */
	if (szx == 7)
		return "Block1 SZX 7 is reserved";
	if (payload == 0)
		return "Block1 without payload";
	if (more && payload != bsize)
		return "Block1 M=1 payload is not the block size";
	if (num == 0 && more && (!has_size1 || size1 == 0))
		return "Block1 needs Size1 on its first block";
	end = (uint64_t)num * bsize + payload;
	*code = 0x8d; /* 4.13 */
	if (end > GUARD_MAX_BODY || (has_size1 && size1 > GUARD_MAX_BODY))
		return "request body too large";
	return NULL;
}

/* The ACK with `code` and the diagnostic for a refused CON request. */
static void answer(int fd, const uint8_t *req, size_t n, int code,
                   const char *why, const struct msghdr *msg)
{
	uint8_t out[4 + 8 + 1 + 64];
	size_t tkl = req[0] & 0x0f, wl = strlen(why), o;
	if ((req[0] >> 4 & 3) != 0 || n < 4 + tkl)
		return; /* NON: no answer (RFC 7252 §4.3 allows silence) */
	if (wl > 64)
		wl = 64;
	out[0] = (uint8_t)(0x60 | tkl); /* ver 1, ACK */
	out[1] = (uint8_t)code;
	out[2] = req[2];
	out[3] = req[3];
	memcpy(out + 4, req + 4, tkl);
	o = 4 + tkl;
	out[o++] = 0xff;
	memcpy(out + o, why, wl);
	o += wl;
	(void)sendto(fd, out, o, MSG_DONTWAIT, msg->msg_name, msg->msg_namelen);
}

typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	static recvmsg_fn real;
	if (!real)
		real = (recvmsg_fn)dlsym(RTLD_NEXT, "recvmsg");
	if (!real)
		return -1;
	ssize_t n = real(fd, msg, flags);
	if (n <= 0 || fd != watched || watched < 0 || (flags & MSG_PEEK) ||
	    msg->msg_iovlen < 1 || msg->msg_iov[0].iov_len < (size_t)n)
		return n;
	const uint8_t *p = msg->msg_iov[0].iov_base;
	int code = 0;
	const char *why = coap_guard_check(p, (size_t)n, &code);
	if (!why)
		return n;
	refused++;
	answer(fd, p, (size_t)n, code, why, msg);
	/* a flood must not become a flood of log lines: 1, 2, 4, 8, ... */
	if ((refused & (refused - 1)) == 0) {
		char cnt[24];
		snprintf(cnt, sizeof cnt, "%lu", refused);
		log_kv(NLOG_INFO, "coap request refused", "reason", why,
		       "refused", cnt, NULL);
	}
	return 0; /* libcoap ignores an empty read */
}
