/*
 * crypto_pool.h: the worker threads of DESIGN §3 for CPU-heavy crypto
 * (building profile packages: key generation, ECDH, ECDSA). A task's
 * `work` runs on a worker; its `done` runs afterwards on the loop thread,
 * woken through an eventfd. Workers touch nothing but the task's own
 * memory and thread-safe crypto handles: no libcoap, no SQLite, no loop.
 */
#ifndef SERVER_CRYPTO_POOL_H
#define SERVER_CRYPTO_POOL_H

#include <stddef.h>
#include "server/loop.h"

typedef struct cpool cpool;

/* Runs on a worker thread. */
typedef void (*cpool_work_fn)(void *arg);
/* Runs on the loop thread after work; cancelled = 1 when the pool is
 * being freed and the task never ran (free arg then). */
typedef void (*cpool_done_fn)(void *arg, int cancelled);

/* nworkers 1..64. NULL on failure. */
cpool *cpool_new(loop *l, int nworkers, size_t max_queue);
/* Stops the workers (a task in progress finishes), then calls done with
 * cancelled = 1 for every task not delivered. */
void cpool_free(cpool *p);
/* 0, or -1 when the queue is full or out of memory (done is not called). */
int cpool_submit(cpool *p, cpool_work_fn work, cpool_done_fn done, void *arg);
/* Tasks queued or running, and done so far (for /metrics and tests). */
size_t cpool_pending(cpool *p);
unsigned long long cpool_completed(cpool *p);

#endif
