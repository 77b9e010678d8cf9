/*
 * loop.c: the epoll loop of nusimd (server/loop.h).
 *
 * fds: a table indexed by fd number; each registration carries a
 * generation number in its epoll data, so an event that was already in the
 * batch when its fd was removed (or removed and re-added) is dropped.
 * Timers: a binary min-heap ordered by (deadline, sequence), so timers with
 * the same deadline fire in the order they were added. Each timer knows its
 * heap slot, so cancel is O(log n).
 */
#include "server/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct loop_timer {
	int64_t due;        /* monotonic ms */
	uint64_t seq;
	size_t slot;        /* index in the heap */
	loop_timer_cb cb;
	void *arg;
};

struct fd_entry {
	loop_fd_cb cb;
	void *arg;
	uint32_t gen;       /* 0 = free slot */
};

struct hook {
	void *cb;
	void *arg;
};

struct loop {
	int ep;
	int wake_fd;
	int stop;
	struct fd_entry *fds;
	size_t nfds;
	uint32_t next_gen;
	loop_timer **heap;
	size_t nheap, capheap;
	uint64_t next_seq;
	struct hook *prep, *check;
	size_t nprep, ncheck;
};

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_wall_s(void)
{
	return (int64_t)time(NULL);
}

static void wake_cb(void *arg, uint32_t events)
{
	loop *l = arg;
	uint64_t v;
	(void)events;
	while (read(l->wake_fd, &v, sizeof v) == (ssize_t)sizeof v)
		;
}

loop *loop_new(void)
{
	loop *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->ep < 0 || l->wake_fd < 0 ||
	    loop_add_fd(l, l->wake_fd, EPOLLIN, wake_cb, l) < 0) {
		loop_free(l);
		return NULL;
	}
	return l;
}

void loop_free(loop *l)
{
	if (!l)
		return;
	if (l->ep >= 0)
		close(l->ep);
	if (l->wake_fd >= 0)
		close(l->wake_fd);
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->fds);
	free(l->prep);
	free(l->check);
	free(l);
}

/* ---- fds ---------------------------------------------------------------- */

static int fds_reserve(loop *l, int fd)
{
	size_t want = (size_t)fd + 1, n;
	struct fd_entry *nf;
	if (want <= l->nfds)
		return 0;
	n = l->nfds ? l->nfds : 16;
	while (n < want)
		n *= 2;
	nf = realloc(l->fds, n * sizeof *nf);
	if (!nf)
		return -1;
	memset(nf + l->nfds, 0, (n - l->nfds) * sizeof *nf);
	l->fds = nf;
	l->nfds = n;
	return 0;
}

int loop_add_fd(loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event ev = { 0 };
	if (fd < 0 || !cb || fds_reserve(l, fd) < 0)
		return -1;
	if (l->fds[fd].gen) {
		errno = EEXIST;
		return -1;
	}
	if (++l->next_gen == 0)
		l->next_gen = 1;
	ev.events = events;
	ev.data.u64 = ((uint64_t)l->next_gen << 32) | (uint32_t)fd;
	if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	l->fds[fd] = (struct fd_entry){ cb, arg, l->next_gen };
	return 0;
}

int loop_mod_fd(loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { 0 };
	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].gen)
		return -1;
	ev.events = events;
	ev.data.u64 = ((uint64_t)l->fds[fd].gen << 32) | (uint32_t)fd;
	return epoll_ctl(l->ep, EPOLL_CTL_MOD, fd, &ev);
}

int loop_del_fd(loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nfds || !l->fds[fd].gen)
		return -1;
	l->fds[fd].gen = 0;
	/* ENOENT/EBADF: the fd was closed first; the table entry is what counts. */
	epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
	return 0;
}

/* ---- timers --------------------------------------------------------------- */

static int before(const loop_timer *a, const loop_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(loop *l, size_t i, loop_timer *t)
{
	l->heap[i] = t;
	t->slot = i;
}

static void sift_up(loop *l, size_t i)
{
	loop_timer *t = l->heap[i];
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(t, l->heap[p]))
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void sift_down(loop *l, size_t i)
{
	loop_timer *t = l->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(loop *l, size_t i)
{
	loop_timer *last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	heap_set(l, i, last);
	sift_down(l, i);
	sift_up(l, last->slot);
}

loop_timer *loop_timer_add(loop *l, int64_t ms, loop_timer_cb cb, void *arg)
{
	loop_timer *t;
	if (!cb)
		return NULL;
	if (l->nheap == l->capheap) {
		size_t n = l->capheap ? l->capheap * 2 : 64;
		loop_timer **nh = realloc(l->heap, n * sizeof *nh);
		if (!nh)
			return NULL;
		l->heap = nh;
		l->capheap = n;
	}
	t = malloc(sizeof *t);
	if (!t)
		return NULL;
	t->due = loop_now_ms() + (ms > 0 ? ms : 0);
	t->seq = l->next_seq++;
	t->cb = cb;
	t->arg = arg;
	l->heap[l->nheap++] = t;
	sift_up(l, l->nheap - 1);
	return t;
}

void loop_timer_cancel(loop *l, loop_timer *t)
{
	if (!t || t->slot >= l->nheap || l->heap[t->slot] != t)
		return;
	heap_remove(l, t->slot);
	free(t);
}

/* Fires due timers. Only those added before this round started run, so a
 * callback that re-arms itself with 0 ms cannot starve the fds. */
static void run_timers(loop *l)
{
	int64_t now = loop_now_ms();
	uint64_t limit = l->next_seq;
	while (l->nheap && !l->stop) {
		loop_timer *t = l->heap[0];
		if (t->due > now || t->seq >= limit)
			break;
		heap_remove(l, 0);
		loop_timer_cb cb = t->cb;
		void *arg = t->arg;
		free(t);
		cb(arg);
	}
}

/* ---- hooks ---------------------------------------------------------------- */

static int hook_add(struct hook **v, size_t *n, void *cb, void *arg)
{
	struct hook *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	nv[*n] = (struct hook){ cb, arg };
	*v = nv;
	(*n)++;
	return 0;
}

int loop_add_prepare(loop *l, loop_prepare_cb cb, void *arg)
{
	return cb ? hook_add(&l->prep, &l->nprep, (void *)cb, arg) : -1;
}

int loop_add_check(loop *l, loop_check_cb cb, void *arg)
{
	return cb ? hook_add(&l->check, &l->ncheck, (void *)cb, arg) : -1;
}

/* ---- run ------------------------------------------------------------------ */

static int wait_ms(loop *l)
{
	int64_t best = -1;
	for (size_t i = 0; i < l->nprep; i++) {
		int64_t ms = ((loop_prepare_cb)l->prep[i].cb)(l->prep[i].arg);
		if (ms >= 0 && (best < 0 || ms < best))
			best = ms;
	}
	if (l->nheap) {
		int64_t ms = l->heap[0]->due - loop_now_ms();
		if (ms < 0)
			ms = 0;
		if (best < 0 || ms < best)
			best = ms;
	}
	if (best > 60000)
		best = 60000;   /* a bounded sleep keeps clock jumps harmless */
	return (int)best;
}

int loop_run(loop *l)
{
	struct epoll_event evs[64];
	l->stop = 0;
	while (!l->stop) {
		int timeout = wait_ms(l);
		if (l->stop)
			break;
		int n = epoll_wait(l->ep, evs, 64, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			uint32_t fd = (uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
			if (fd >= l->nfds || l->fds[fd].gen != gen)
				continue;
			l->fds[fd].cb(l->fds[fd].arg, evs[i].events);
		}
		if (!l->stop)
			run_timers(l);
		for (size_t i = 0; i < l->ncheck && !l->stop; i++)
			((loop_check_cb)l->check[i].cb)(l->check[i].arg);
	}
	return 0;
}

void loop_stop(loop *l)
{
	l->stop = 1;
	loop_wake(l);
}

void loop_wake(loop *l)
{
	uint64_t one = 1;
	ssize_t w = write(l->wake_fd, &one, sizeof one);
	(void)w;   /* EAGAIN: the counter is already non-zero, a wake is pending */
}
