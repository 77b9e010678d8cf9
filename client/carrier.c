/*
 * carrier.c: the simulated carriers' address ranges and coverage (see
 * carrier.h).
 */
#include "client/carrier.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "client/fleet.h"

static int name_ok(const char *s, size_t n)
{
	if (n == 0 || n > CARRIER_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

int carrier_parse(carrier_map *m, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || !name_ok(arg, (size_t)(eq - arg)))
		return -1;
	char name[CARRIER_NAME_MAX + 1];
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = 0;
	uint32_t lo, hi;
	if (fleet_parse_range(eq + 1, &lo, &hi) || lo == 0)
		return -1;
	carrier *c = carrier_find(m, name);
	if (c && c->lo)
		return -1; /* given twice */
	if (!c) {
		if (m->n >= CARRIER_MAX)
			return -1;
		c = &m->c[m->n++];
		memset(c, 0, sizeof *c);
		snprintf(c->name, sizeof c->name, "%s", name);
	}
	c->lo = lo;
	c->hi = hi;
	return 0;
}

carrier *carrier_find(carrier_map *m, const char *name)
{
	for (size_t i = 0; m && name && i < m->n; i++)
		if (!strcmp(m->c[i].name, name))
			return &m->c[i];
	return NULL;
}

int carrier_set_coverage(carrier_map *m, const char *name, int on)
{
	carrier *c = carrier_find(m, name);
	if (!c) {
		if (!name_ok(name, strlen(name)) || m->n >= CARRIER_MAX)
			return -1;
		c = &m->c[m->n++];
		memset(c, 0, sizeof *c);
		snprintf(c->name, sizeof c->name, "%s", name);
	}
	c->no_coverage = !on;
	return 0;
}

int carrier_has_coverage(carrier_map *m, const char *name)
{
	const carrier *c = carrier_find(m, name);
	return !c || !c->no_coverage;
}

int carrier_addr(const carrier *c, unsigned slot, char *buf, size_t cap)
{
	if (!c || !c->lo)
		return -1;
	struct in_addr a;
	a.s_addr = htonl(c->lo + slot % (c->hi - c->lo + 1));
	return inet_ntop(AF_INET, &a, buf, (socklen_t)cap) ? 0 : -1;
}
