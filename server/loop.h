/*
 * loop.h: the one event loop of nusimd (DESIGN §3).
 *
 * One thread, one epoll set. File descriptors (libcoap's, libmicrohttpd's,
 * the signalfd, the crypto pool's eventfd) get a callback each; one-shot
 * timers are kept in a heap and drive the epoll timeout. Nothing here is
 * thread-safe except loop_wake(): everything else runs on the loop thread.
 */
#ifndef SERVER_LOOP_H
#define SERVER_LOOP_H

#include <stdint.h>

typedef struct loop loop;
typedef struct loop_timer loop_timer;

typedef void (*loop_fd_cb)(void *arg, uint32_t events);
typedef void (*loop_timer_cb)(void *arg);
/* Called before each wait: returns the longest the loop may sleep, in ms,
 * or -1 for no limit. */
typedef int64_t (*loop_prepare_cb)(void *arg);
/* Called after each wake-up, events or not (libmicrohttpd's MHD_run). */
typedef void (*loop_check_cb)(void *arg);

loop *loop_new(void);
void loop_free(loop *l);

/* Monotonic milliseconds. */
int64_t loop_now_ms(void);
/* Wall-clock seconds since the epoch (what the database stores). */
int64_t loop_wall_s(void);

/* events: EPOLLIN / EPOLLOUT / ...; one registration per fd. */
int loop_add_fd(loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg);
int loop_mod_fd(loop *l, int fd, uint32_t events);
int loop_del_fd(loop *l, int fd);

/* One-shot timer after `ms`; the handle stays valid until it fires or is
 * cancelled (cancel it at most once, never after it fired). */
loop_timer *loop_timer_add(loop *l, int64_t ms, loop_timer_cb cb, void *arg);
void loop_timer_cancel(loop *l, loop_timer *t);

int loop_add_prepare(loop *l, loop_prepare_cb cb, void *arg);
int loop_add_check(loop *l, loop_check_cb cb, void *arg);

/* Runs until loop_stop(); returns 0, or -1 if epoll failed. */
int loop_run(loop *l);
void loop_stop(loop *l);
/* Wakes a loop_run blocked in epoll_wait; safe from any thread (an
 * eventfd write). Added: the comment above promised it. */
void loop_wake(loop *l);

#endif
