/*
 * bench_coap_load.c: a CoAP load generator for `make bench`.
 *
 * Simulates N devices, each with its own UDP socket bound to an address of a
 * range (127.0.1.1-...), and measures how fast a server answers:
 *   register  each device sends Register (POST /rd?ep=...), once
 *   update    then each device sends Update (POST /rd/<id>) over and over
 *   get       (for a bare CoAP server) each device sends GET /<path>
 * At most `window` requests are outstanding at once; a request unanswered
 * for a second is sent again (same MID) and counted as a retransmission.
 * It writes raw CoAP (RFC 7252) itself so the load generator costs little
 * next to the server under test. Prints one logfmt line per phase.
 *
 * usage: bench_coap_load --server HOST:PORT --devices N [--mode register-update|get]
 *        [--seconds S] [--window W] [--bind-base 127.0.1.1] [--prefix P] [--path P]
 *        [--binding B]    (b= of the Register, default U; UQ for queue mode)
 *        [--wait-stdin]   (after registering, wait for a line on stdin)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
	int fd;
	uint16_t mid;
	uint8_t token[4];
	char loc[64];       /* registration id from Location-Path */
	double sent_at;     /* 0 = nothing outstanding */
	int acked;          /* an empty ACK came: wait, do not retransmit */
	uint8_t pkt[512];
	size_t pktlen;
} device;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Appends one option (number delta encoding per RFC 7252 §3.1). */
static size_t put_option(uint8_t *p, unsigned *last, unsigned num,
                         const void *val, size_t len)
{
	size_t n = 0;
	unsigned delta = num - *last;
	uint8_t *hdr = p + n++;
	unsigned dn = delta < 13 ? delta : delta < 269 ? 13 : 14;
	unsigned ln = len < 13 ? len : len < 269 ? 13 : 14;
	*hdr = (uint8_t)(dn << 4 | ln);
	if (dn == 13) p[n++] = (uint8_t)(delta - 13);
	if (dn == 14) { p[n++] = (uint8_t)((delta - 269) >> 8); p[n++] = (uint8_t)(delta - 269); }
	if (ln == 13) p[n++] = (uint8_t)(len - 13);
	if (ln == 14) { p[n++] = (uint8_t)((len - 269) >> 8); p[n++] = (uint8_t)(len - 269); }
	memcpy(p + n, val, len);
	*last = num;
	return n + len;
}

static size_t build(device *d, int code, const char *const *path, size_t npath,
                    const char *const *query, size_t nquery,
                    const char *payload)
{
	uint8_t *p = d->pkt;
	size_t n = 0;
	unsigned last = 0;
	d->mid++;
	p[n++] = 0x40 | 4; /* ver 1, CON, token length 4 */
	p[n++] = (uint8_t)code;
	p[n++] = (uint8_t)(d->mid >> 8);
	p[n++] = (uint8_t)d->mid;
	memcpy(p + n, d->token, 4);
	n += 4;
	for (size_t i = 0; i < npath; i++)
		n += put_option(p + n, &last, 11, path[i], strlen(path[i]));
	if (payload) {
		uint8_t cf = 40; /* application/link-format */
		n += put_option(p + n, &last, 12, &cf, 1);
	}
	for (size_t i = 0; i < nquery; i++)
		n += put_option(p + n, &last, 15, query[i], strlen(query[i]));
	if (payload) {
		p[n++] = 0xff;
		memcpy(p + n, payload, strlen(payload));
		n += strlen(payload);
	}
	d->pktlen = n;
	return n;
}

/* Parses a response: returns its code, or -1; copies Location-Path's second
 * segment into loc. Only the header fields this tool needs are checked. */
static int parse(const uint8_t *p, size_t n, uint16_t *mid, int *type,
                 uint8_t token[4], char *loc, size_t locsize)
{
	if (n < 4 || (p[0] >> 6) != 1)
		return -1;
	size_t tkl = p[0] & 0x0f, i = 4 + tkl;
	int code = p[1];
	unsigned num = 0, seg = 0;
	if (tkl > 8 || i > n)
		return -1;
	*mid = (uint16_t)(p[2] << 8 | p[3]);
	*type = (p[0] >> 4) & 3;
	memset(token, 0, 4);
	if (tkl == 4)
		memcpy(token, p + 4, 4);
	while (i < n && p[i] != 0xff) {
		unsigned delta = p[i] >> 4, len = p[i] & 0x0f;
		i++;
		if (delta == 13) { if (i >= n) return -1; delta = 13 + p[i++]; }
		else if (delta == 14) { if (i + 1 >= n) return -1; delta = 269 + (p[i] << 8 | p[i + 1]); i += 2; }
		if (len == 13) { if (i >= n) return -1; len = 13 + p[i++]; }
		else if (len == 14) { if (i + 1 >= n) return -1; len = 269 + (p[i] << 8 | p[i + 1]); i += 2; }
		if (delta == 15 || len == 15 || i + len > n)
			return -1;
		num += delta;
		if (num == 8 && loc && len < locsize) {
			/* "rd" then the id; some servers send one "rd/<id>" segment */
			if (seg == 1) {
				memcpy(loc, p + i, len);
				loc[len] = 0;
			} else if (seg == 0 && len > 3 && !memcmp(p + i, "rd/", 3)) {
				memcpy(loc, p + i + 3, len - 3);
				loc[len - 3] = 0;
			}
			seg++;
		}
		i += len;
	}
	return code;
}

static const char *arg(int argc, char **argv, const char *name, const char *def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name))
			return argv[i + 1];
	return def;
}

int main(int argc, char **argv)
{
	const char *server = arg(argc, argv, "--server", NULL);
	int ndev = atoi(arg(argc, argv, "--devices", "1000"));
	double seconds = atof(arg(argc, argv, "--seconds", "5"));
	int window = atoi(arg(argc, argv, "--window", "256"));
	const char *mode = arg(argc, argv, "--mode", "register-update");
	const char *base = arg(argc, argv, "--bind-base", "127.0.1.1");
	const char *prefix = arg(argc, argv, "--prefix", "bench");
	const char *getpath = arg(argc, argv, "--path", "");
	const char *binding = arg(argc, argv, "--binding", "U");
	char bq[32];
	snprintf(bq, sizeof bq, "b=%s", binding);
	int wait_stdin = 0;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--wait-stdin"))
			wait_stdin = 1;
	if (!server || ndev <= 0 || window <= 0) {
		fprintf(stderr, "usage: %s --server HOST:PORT --devices N [--mode register-update|get] "
		        "[--seconds S] [--window W] [--bind-base ADDR] [--prefix P] [--path P]\n", argv[0]);
		return 2;
	}
	char host[64];
	const char *colon = strrchr(server, ':');
	if (!colon || (size_t)(colon - server) >= sizeof host)
		return 2;
	memcpy(host, server, colon - server);
	host[colon - server] = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
	inet_pton(AF_INET, host, &sa.sin_addr);

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);

	struct in_addr b0;
	inet_pton(AF_INET, base, &b0);
	device *dev = calloc(ndev, sizeof *dev);
	int ep = epoll_create1(0);
	for (int i = 0; i < ndev; i++) {
		device *d = &dev[i];
		d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (d->fd < 0) { perror("socket"); return 1; }
		/* Spread devices over 250 addresses of the range, like a carrier's. */
		struct sockaddr_in me = { .sin_family = AF_INET };
		me.sin_addr.s_addr = htonl(ntohl(b0.s_addr) + (uint32_t)(i % 250));
		if (bind(d->fd, (struct sockaddr *)&me, sizeof me) < 0) { perror("bind"); return 1; }
		if (connect(d->fd, (struct sockaddr *)&sa, sizeof sa) < 0) { perror("connect"); return 1; }
		d->mid = (uint16_t)(i * 7919);
		uint32_t t = (uint32_t)i;
		memcpy(d->token, &t, 4);
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		epoll_ctl(ep, EPOLL_CTL_ADD, d->fd, &ev);
	}

	int is_get = !strcmp(mode, "get");
	/* Phase 1 (register) runs until every device is registered; phase 2
	 * (update, or get) runs for `seconds`. */
	for (int phase = is_get ? 2 : 1; phase <= 2; phase++) {
		long done = 0, retrans = 0, errors = 0;
		int outstanding = 0, next = 0;
		double t0 = now_s(), end = t0 + seconds;
		for (;;) {
			double t = now_s();
			if (phase == 1 && done >= ndev)
				break;
			if (phase == 2 && t >= end)
				break;
			if (phase == 1 && t - t0 > 120) {
				fprintf(stderr, "bench: registration did not finish\n");
				return 1;
			}
			/* Fill the window: phase 1 walks the devices once, phase 2 round-robin. */
			while (outstanding < window && (phase == 2 || next < ndev)) {
				device *d = &dev[next % ndev];
				if (d->sent_at == 0) {
					if (phase == 1) {
						char q[96];
						snprintf(q, sizeof q, "ep=%s-%06d", prefix, next + 1);
						const char *path[] = { "rd" };
						const char *qs[] = { q, "lt=86400", "lwm2m=1.1", bq };
						build(d, 2, path, 1, qs, 4, "</1/0>,</3/0>,</4/0>,</507>;ver=1.0,</508/0>");
					} else if (is_get) {
						const char *path[] = { getpath };
						build(d, 1, path, *getpath ? 1 : 0, NULL, 0, NULL);
					} else {
						const char *path[] = { "rd", d->loc };
						build(d, 2, path, 2, NULL, 0, NULL);
					}
					send(d->fd, d->pkt, d->pktlen, 0);
					d->sent_at = t;
					outstanding++;
				}
				next++;
				if (phase == 2 && next % ndev == 0 && outstanding >= ndev)
					break;
			}
			struct epoll_event evs[256];
			int n = epoll_wait(ep, evs, 256, 10);
			for (int k = 0; k < n; k++) {
				device *d = &dev[evs[k].data.u32];
				uint8_t buf[1500];
				ssize_t r;
				while ((r = recv(d->fd, buf, sizeof buf, 0)) > 0) {
					uint16_t mid;
					int type;
					uint8_t tok[4];
					int code = parse(buf, (size_t)r, &mid, &type, tok, phase == 1 ? d->loc : NULL, sizeof d->loc);
					if (code < 0)
						continue;
					if (code == 0 && type == 2 && mid == d->mid && d->sent_at) {
						/* empty ACK: a separate response follows */
						d->acked = 1;
						continue;
					}
					if (type == 0) {
						/* a CON (separate) response: ACK it */
						uint8_t ack[4] = { 0x60, 0, (uint8_t)(mid >> 8), (uint8_t)mid };
						send(d->fd, ack, 4, 0);
					}
					if (memcmp(tok, d->token, 4) || d->sent_at == 0)
						continue; /* stray or duplicate answer */
					d->acked = 0;
					d->sent_at = 0;
					outstanding--;
					int want = phase == 1 ? 0x41 : is_get ? 0x45 : 0x44;
					if (code == want)
						done++;
					else
						errors++;
				}
			}
			/* Retransmit what has waited a second (same MID: a duplicate). */
			t = now_s();
			static double last_scan;
			if (t - last_scan > 0.2) {
				last_scan = t;
				for (int i = 0; i < ndev; i++)
					if (dev[i].sent_at && !dev[i].acked && t - dev[i].sent_at > 1.0) {
						send(dev[i].fd, dev[i].pkt, dev[i].pktlen, 0);
						dev[i].sent_at = t;
						retrans++;
					}
			}
		}
		double el = now_s() - t0;
		const char *name = phase == 1 ? "register" : is_get ? "get" : "update";
		printf("phase=%s devices=%d ok=%ld errors=%ld retransmissions=%ld seconds=%.3f per_s=%.0f\n",
		       name, ndev, done, errors, retrans, el, done / el);
		fflush(stdout);
		/* Drain what is still outstanding before the next phase. */
		double until = now_s() + 2;
		while (outstanding > 0 && now_s() < until) {
			struct epoll_event evs[256];
			int n = epoll_wait(ep, evs, 256, 50);
			for (int k = 0; k < n; k++) {
				device *d = &dev[evs[k].data.u32];
				uint8_t buf[1500];
				ssize_t r;
				while ((r = recv(d->fd, buf, sizeof buf, 0)) > 0) {
					uint16_t mid;
					int type;
					uint8_t tok[4];
					if (parse(buf, (size_t)r, &mid, &type, tok, NULL, 0) > 0 && !memcmp(tok, d->token, 4) && d->sent_at) {
						d->sent_at = 0;
						outstanding--;
					}
				}
			}
		}
		if (phase == 1 && done < ndev)
			return 1;
		/* --wait-stdin: hold the registrations until a line arrives, so
		 * the caller can measure the server at rest. */
		if (phase == 1 && wait_stdin) {
			char line[16];
			if (!fgets(line, sizeof line, stdin))
				return 0;
		}
	}
	return 0;
}
