/*
 * dm_map.h: a small chained hash map from byte strings to pointers, used by
 * the DM engine for tokens, endpoints, sessions and request IDs. Keys are
 * copied; values are the caller's. Not thread-safe (loop thread only).
 */
#ifndef SERVER_DM_MAP_H
#define SERVER_DM_MAP_H

#include <stddef.h>

typedef struct dm_map_ent dm_map_ent;

typedef struct {
	dm_map_ent **b;
	size_t nb;   /* buckets, a power of two (0 before the first put) */
	size_t n;    /* entries */
} dm_map;

/* Inserts or replaces; returns 0, or -1 when out of memory. */
int dm_map_put(dm_map *m, const void *key, size_t klen, void *val);
void *dm_map_get(const dm_map *m, const void *key, size_t klen);
/* Removes the entry and returns its value (NULL if absent). */
void *dm_map_del(dm_map *m, const void *key, size_t klen);
/* Calls fn for each entry; fn must not change the map. */
void dm_map_each(const dm_map *m,
                 void (*fn)(void *arg, const void *key, size_t klen, void *val),
                 void *arg);
/* Frees the map's own memory (not the values). */
void dm_map_clear(dm_map *m);

#endif
