/*
 * test_server_crypto_pool.c: the crypto worker pool (server/crypto_pool.h):
 * work runs off the loop thread, every done runs on it exactly once, a
 * full queue refuses, and freeing the pool cancels what never ran.
 */
#include <pthread.h>
#include "tests/unit/unit.h"
#include "server/crypto_pool.h"

struct job {
	pthread_t worker;
	int done, cancelled;
	unsigned long long sum;
};

static pthread_t loop_thread;
static int ndone, want;
static loop *L;

static void work(void *arg)
{
	struct job *j = arg;
	j->worker = pthread_self();
	for (unsigned i = 0; i < 100000; i++)
		j->sum += i;
}

static void done(void *arg, int cancelled)
{
	struct job *j = arg;
	j->done++;
	j->cancelled = cancelled;
	if (!cancelled && pthread_equal(pthread_self(), loop_thread))
		ndone++;
	if (ndone == want)
		loop_stop(L);
}

static void give_up(void *arg)
{
	loop_stop(arg);
}

TEST(tasks_run_on_workers_done_on_loop)
{
	struct job jobs[50];
	memset(jobs, 0, sizeof jobs);
	loop_thread = pthread_self();
	L = loop_new();
	CHECK(L);
	cpool *p = cpool_new(L, 2, 0);
	CHECK(p);
	ndone = 0;
	want = 50;
	for (int i = 0; i < 50; i++)
		CHECK_EQ_INT(cpool_submit(p, work, done, &jobs[i]), 0);
	loop_timer_add(L, 10000, give_up, L);
	loop_run(L);
	CHECK_EQ_INT(ndone, 50);
	for (int i = 0; i < 50; i++) {
		CHECK_EQ_INT(jobs[i].done, 1);
		CHECK(!pthread_equal(jobs[i].worker, loop_thread));
		CHECK_EQ_INT(jobs[i].sum, 4999950000ULL);
	}
	CHECK_EQ_INT(cpool_pending(p), 0);
	CHECK_EQ_INT(cpool_completed(p), 50);
	cpool_free(p);
	loop_free(L);
}

TEST(full_queue_refuses_and_free_cancels)
{
	struct job jobs[4];
	memset(jobs, 0, sizeof jobs);
	L = loop_new();
	CHECK(L);
	cpool *p = cpool_new(L, 1, 3);
	CHECK(p);
	ndone = 0;
	want = -1;
	for (int i = 0; i < 3; i++)
		CHECK_EQ_INT(cpool_submit(p, work, done, &jobs[i]), 0);
	CHECK_EQ_INT(cpool_submit(p, work, done, &jobs[3]), -1);
	cpool_free(p);   /* without running the loop: nothing delivered */
	for (int i = 0; i < 3; i++) {
		CHECK_EQ_INT(jobs[i].done, 1);
		CHECK_EQ_INT(jobs[i].cancelled, 1);
	}
	CHECK_EQ_INT(jobs[3].done, 0);
	CHECK(cpool_new(L, 0, 0) == NULL);
	loop_free(L);
}

UNIT_MAIN
