/*
 * reload.h: SIGHUP. The settings are built again from the same sources
 * (the -c file, the environment, the flags) and the keys that can change
 * while running are applied; the others are logged as needing a restart.
 */
#ifndef SERVER_RELOAD_H
#define SERVER_RELOAD_H

#include <stddef.h>

struct server;

/* Re-reads and applies; a file that does not parse changes nothing and
 * the error is logged. Returns how many keys changed, or -1. */
int server_reload(struct server *sv);

/* 1 if `key` (a file key name) is applied by a reload. */
int server_reload_is_live(const char *key);

#endif
