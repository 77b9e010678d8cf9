/*
 * crypto_pool.c: worker threads with one job queue and one result queue
 * (server/crypto_pool.h). A worker takes a task, runs it, moves it to the
 * result queue and writes the eventfd; the loop drains the result queue
 * and calls each task's done. One mutex guards both queues: tasks take
 * about a millisecond, so the lock is never the bottleneck.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "server/crypto_pool.h"
#include "server/log.h"

#define MAX_WORKERS 64

struct task {
	cpool_work_fn work;
	cpool_done_fn done;
	void *arg;
	struct task *next;
};

struct tq {
	struct task *head, *tail;
};

struct cpool {
	loop *l;
	int efd;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tq todo, results;
	size_t queued, max_queue;   /* queued = todo + running + results */
	unsigned long long completed;
	int stopping;
	int nthreads;
	pthread_t th[MAX_WORKERS];
};

static void tq_push(struct tq *q, struct task *t)
{
	t->next = NULL;
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

static struct task *tq_take_all(struct tq *q)
{
	struct task *t = q->head;
	q->head = q->tail = NULL;
	return t;
}

static void *worker(void *arg)
{
	cpool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->todo.head && !p->stopping)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stopping)
			break;
		struct task *t = p->todo.head;
		p->todo.head = t->next;
		if (!p->todo.head)
			p->todo.tail = NULL;
		pthread_mutex_unlock(&p->mu);
		t->work(t->arg);
		pthread_mutex_lock(&p->mu);
		tq_push(&p->results, t);
		uint64_t one = 1;
		/* A full counter (never, at 2^64-1) only delays the wake-up. */
		if (write(p->efd, &one, sizeof one) < 0 && errno != EAGAIN)
			log_kv(NLOG_WARN, "crypto pool wake-up failed", NULL);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Loop side: deliver every finished task. */
static void on_results(void *arg, uint32_t events)
{
	cpool *p = arg;
	uint64_t n;
	(void)events;
	if (read(p->efd, &n, sizeof n) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&p->mu);
	struct task *t = tq_take_all(&p->results);
	pthread_mutex_unlock(&p->mu);
	while (t) {
		struct task *next = t->next;
		pthread_mutex_lock(&p->mu);
		p->queued--;
		p->completed++;
		pthread_mutex_unlock(&p->mu);
		t->done(t->arg, 0);
		free(t);
		t = next;
	}
}

cpool *cpool_new(loop *l, int nworkers, size_t max_queue)
{
	if (!l || nworkers < 1 || nworkers > MAX_WORKERS)
		return NULL;
	cpool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->l = l;
	p->max_queue = max_queue ? max_queue : 100000;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0 || loop_add_fd(l, p->efd, EPOLLIN, on_results, p) < 0)
		goto fail;
	for (int i = 0; i < nworkers; i++) {
		if (pthread_create(&p->th[i], NULL, worker, p))
			goto fail;
		p->nthreads++;
	}
	return p;
fail:
	cpool_free(p);
	return NULL;
}

static void cancel_list(struct task *t)
{
	while (t) {
		struct task *next = t->next;
		t->done(t->arg, 1);
		free(t);
		t = next;
	}
}

void cpool_free(cpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->th[i], NULL);
	/* Finished but undelivered tasks ran: their done still tells the
	 * caller "cancelled", because the loop is going away. */
	cancel_list(tq_take_all(&p->results));
	cancel_list(tq_take_all(&p->todo));
	if (p->efd >= 0) {
		loop_del_fd(p->l, p->efd);
		close(p->efd);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int cpool_submit(cpool *p, cpool_work_fn work, cpool_done_fn done, void *arg)
{
	if (!p || !work || !done)
		return -1;
	struct task *t = malloc(sizeof *t);
	if (!t)
		return -1;
	*t = (struct task){ work, done, arg, NULL };
	pthread_mutex_lock(&p->mu);
	if (p->queued >= p->max_queue || p->stopping) {
		pthread_mutex_unlock(&p->mu);
		free(t);
		return -1;
	}
	tq_push(&p->todo, t);
	p->queued++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

size_t cpool_pending(cpool *p)
{
	pthread_mutex_lock(&p->mu);
	size_t n = p->queued;
	pthread_mutex_unlock(&p->mu);
	return n;
}

unsigned long long cpool_completed(cpool *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned long long n = p->completed;
	pthread_mutex_unlock(&p->mu);
	return n;
}
