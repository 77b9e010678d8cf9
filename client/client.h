/*
 * client.h: the runtime of nusim-client: one libcoap context, the devices
 * that live in it (one for a single device, N for a fleet), and the loop
 * that drives them on one thread (libcoap 4.3.1 is not thread-safe).
 */
#ifndef CLIENT_CLIENT_H
#define CLIENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <coap3/coap.h>

typedef struct client client;
typedef struct device device;

/* Called once a loop iteration; returns ms until it wants to run again. */
typedef int64_t (*client_tick_fn)(void *arg, uint64_t now);
/* One complete line from the control fd (without the newline). */
typedef void (*client_line_fn)(void *arg, const char *line);

/* Creates the libcoap context with block-wise mode set, the handlers and
 * the generic resource installed. NULL with a reason in err. */
client *client_new(char *err, size_t errlen);
/* Frees the devices, then the context. */
void client_free(client *c);
coap_context_t *client_coap(client *c);

/* The client takes ownership of the device. */
int client_add(client *c, device *d);
size_t client_count(const client *c);
device *client_device(const client *c, size_t i);

/* Asks the loop to wake up and re-run device timers (state changed). */
void client_kick(client *c);
/* Graceful stop: every device de-registers, then client_run returns. */
void client_stop(client *c);
int client_stopping(const client *c);

/* Runs until stopped (SIGTERM/SIGINT, `quit`). control_fd < 0 for none.
 * Returns 0 on a clean stop. */
int client_run(client *c, int control_fd, client_line_fn on_line,
               client_tick_fn tick, void *arg);

/* Milliseconds on the monotonic clock. */
uint64_t client_now_ms(void);
/* Raises RLIMIT_NOFILE to the hard limit (fleets open a socket a device). */
void client_raise_nofile(void);

#endif
