/*
 * carrier.h: the simulated mobile networks of nusim-client. Each carrier
 * (--carrier NAME=A-B) is a range of loopback source addresses: a device
 * attached on carrier NAME registers from an address in that range, so the
 * server sees it change address when it changes carrier, as real devices
 * do. A carrier can lose coverage (--no-coverage NAME, control command
 * `coverage NAME off`): a device cannot register from it, and its Register
 * attempts fail at once.
 *
 * One map is shared by every device of the process (fleet mode too), on
 * the loop thread only.
 */
#ifndef CLIENT_CARRIER_H
#define CLIENT_CARRIER_H

#include <stddef.h>
#include <stdint.h>

#define CARRIER_MAX 16
#define CARRIER_NAME_MAX 64

typedef struct {
	char name[CARRIER_NAME_MAX + 1];
	uint32_t lo, hi;      /* IPv4, host order; 0 = no range known */
	int no_coverage;
} carrier;

typedef struct carrier_map {
	carrier c[CARRIER_MAX];
	size_t n;
} carrier_map;

/* Adds "NAME=A.B.C.D-E.F.G.H" (or NAME=ADDR); -1 if malformed, the name
 * is taken or the map is full. */
int carrier_parse(carrier_map *m, const char *arg);
/* The carrier called `name`, or NULL. */
carrier *carrier_find(carrier_map *m, const char *name);
/* Coverage on or off for `name`; a carrier not in the map is added without
 * a range. -1 when the map is full or the name is bad. */
int carrier_set_coverage(carrier_map *m, const char *name, int on);
/* 1 when a device can register on `name` (unknown carriers have coverage). */
int carrier_has_coverage(carrier_map *m, const char *name);
/* The source address number `slot` of the carrier's range (cycling), as
 * text into buf; -1 when it has no range. */
int carrier_addr(const carrier *c, unsigned slot, char *buf, size_t cap);

#endif
