/*
 * control.h: the line protocol on stdin that tests use to drive a single
 * device (--control). One command a line; each gets one answer line on
 * stdout, "ok ..." or "error REASON":
 *   update | register | deregister | sleep | wake | rebind ADDR | quit
 *   set PATH VALUE | get PATH | status | help
 */
#ifndef CLIENT_CONTROL_H
#define CLIENT_CONTROL_H

#include "client/client.h"

/* A client_line_fn: `arg` is the client; commands go to its device 0. */
void control_line(void *arg, const char *line);

#endif
