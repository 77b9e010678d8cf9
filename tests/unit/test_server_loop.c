/*
 * test_server_loop.c: the event loop: timer order, cancel, fd callbacks,
 * prepare/check hooks, stop from a callback.
 */
#include "tests/unit/unit.h"
#include "server/loop.h"

#include <sys/epoll.h>
#include <unistd.h>

static int order[16];
static int norder;

struct tctx { loop *l; int id; };

static void record(void *arg)
{
	struct tctx *c = arg;
	if (norder < 16)
		order[norder++] = c->id;
}

static void stop_cb(void *arg)
{
	loop_stop(arg);
}

TEST(timers_fire_in_deadline_order)
{
	loop *l = loop_new();
	struct tctx c[4] = { { l, 1 }, { l, 2 }, { l, 3 }, { l, 4 } };
	CHECK(l);
	norder = 0;
	loop_timer_add(l, 30, record, &c[2]);
	loop_timer_add(l, 10, record, &c[0]);
	loop_timer_add(l, 20, record, &c[1]);
	loop_timer_add(l, 20, record, &c[3]);  /* same deadline: after 2 */
	loop_timer_add(l, 50, stop_cb, l);
	CHECK_EQ_INT(loop_run(l), 0);
	CHECK_EQ_INT(norder, 4);
	CHECK_EQ_INT(order[0], 1);
	CHECK_EQ_INT(order[1], 2);
	CHECK_EQ_INT(order[2], 4);
	CHECK_EQ_INT(order[3], 3);
	loop_free(l);
}

TEST(timer_cancel_prevents_firing)
{
	loop *l = loop_new();
	struct tctx c[3] = { { l, 1 }, { l, 2 }, { l, 3 } };
	loop_timer *t[3];
	norder = 0;
	for (int i = 0; i < 3; i++)
		t[i] = loop_timer_add(l, 5 + i, record, &c[i]);
	loop_timer_cancel(l, t[1]);
	loop_timer_cancel(l, t[0]);
	loop_timer_add(l, 30, stop_cb, l);
	loop_run(l);
	CHECK_EQ_INT(norder, 1);
	CHECK_EQ_INT(order[0], 3);
	loop_free(l);
}

static int many_fired;
static void count_cb(void *arg)
{
	(void)arg;
	many_fired++;
}

TEST(many_timers_with_random_cancels)
{
	loop *l = loop_new();
	loop_timer *t[1000];
	many_fired = 0;
	for (int i = 0; i < 1000; i++)
		t[i] = loop_timer_add(l, (i * 7919) % 40, count_cb, NULL);
	for (int i = 0; i < 1000; i += 3)
		loop_timer_cancel(l, t[i]);
	loop_timer_add(l, 60, stop_cb, l);
	loop_run(l);
	CHECK_EQ_INT(many_fired, 1000 - 334);
	loop_free(l);
}

struct fdctx { loop *l; int fd; int hits; char got; };

static void fd_cb(void *arg, uint32_t ev)
{
	struct fdctx *c = arg;
	if (ev & EPOLLIN) {
		CHECK(read(c->fd, &c->got, 1) == 1);
		c->hits++;
		loop_stop(c->l);
	}
}

static void write_cb(void *arg)
{
	int *fd = arg;
	CHECK(write(*fd, "x", 1) == 1);
}

TEST(fd_callback_runs_on_readable)
{
	loop *l = loop_new();
	int p[2];
	struct fdctx c;
	CHECK(pipe(p) == 0);
	c = (struct fdctx){ l, p[0], 0, 0 };
	CHECK_EQ_INT(loop_add_fd(l, p[0], EPOLLIN, fd_cb, &c), 0);
	CHECK(loop_add_fd(l, p[0], EPOLLIN, fd_cb, &c) < 0); /* one per fd */
	loop_timer_add(l, 5, write_cb, &p[1]);
	loop_timer_add(l, 2000, stop_cb, l);  /* safety net */
	loop_run(l);
	CHECK_EQ_INT(c.hits, 1);
	CHECK_EQ_INT(c.got, 'x');
	CHECK_EQ_INT(loop_del_fd(l, p[0]), 0);
	CHECK(loop_del_fd(l, p[0]) < 0);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

static int prep_calls, check_calls;
static int64_t prep_cb(void *arg)
{
	(void)arg;
	prep_calls++;
	return 5;
}
static void check_cb(void *arg)
{
	if (++check_calls >= 3)
		loop_stop(arg);
}

TEST(prepare_bounds_wait_and_check_runs_each_round)
{
	loop *l = loop_new();
	int64_t t0 = loop_now_ms();
	prep_calls = check_calls = 0;
	loop_add_prepare(l, prep_cb, NULL);
	loop_add_check(l, check_cb, l);
	loop_run(l);
	CHECK_EQ_INT(check_calls, 3);
	CHECK(prep_calls >= 3);
	CHECK(loop_now_ms() - t0 < 1000);  /* woke by the 5 ms hint, not -1 */
	loop_free(l);
}

static void rearm_cb(void *arg)
{
	struct tctx *c = arg;
	if (++c->id < 100)
		loop_timer_add(c->l, 0, rearm_cb, c);
	else
		loop_stop(c->l);
}

TEST(zero_ms_rearm_terminates)
{
	loop *l = loop_new();
	struct tctx c = { l, 0 };
	loop_timer_add(l, 0, rearm_cb, &c);
	loop_run(l);
	CHECK_EQ_INT(c.id, 100);
	loop_free(l);
}

UNIT_MAIN
