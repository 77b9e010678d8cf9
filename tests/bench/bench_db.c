/*
 * bench_db.c: how many LwM2M Updates per second the storage layer takes
 * (db_reg_update by reg_id, synchronous=FULL) with 10,000 registrations,
 * one commit per Update and grouped 100 per commit (one loop tick).
 *
 *   bench_db [DIR]     DIR holds the scratch database (default /tmp)
 *
 * Prints "bench db reg_update_per_s=N" and
 * "bench db reg_update_grouped_per_s=N". Bounded: at most 10,000 Updates
 * or about 3 s per figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"

#define NREG 10000
#define MAX_SECONDS 3.0

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(db_registration *r, int i, int64_t t)
{
	memset(r, 0, sizeof *r);
	snprintf(r->endpoint, sizeof r->endpoint, "bench-ep-%06d", i);
	snprintf(r->reg_id, sizeof r->reg_id, "%08x%08x", (unsigned)i * 2654435761u,
	         (unsigned)i);
	snprintf(r->version, sizeof r->version, "1.1");
	snprintf(r->binding, sizeof r->binding, "U");
	snprintf(r->addr, sizeof r->addr, "127.0.%d.%d:%d", (i >> 8) & 255,
	         i & 255, 40000 + i % 20000);
	snprintf(r->transport, sizeof r->transport, "udp");
	r->links = "</1/0>,</3/0>,</4/0>,</507>,</508/0>";
	r->lifetime = 300;
	r->registered_at = r->updated_at = t;
	r->expires_at = t + r->lifetime;
}

/* Runs Updates round-robin over the registrations, `group` per commit;
 * returns Updates per second, or -1 on error. */
static double run(db *d, int group)
{
	db_registration r;
	int done = 0;
	double t0 = now_s(), el = 0;
	while (done < NREG && el < MAX_SECONDS) {
		if (group > 1 && db_begin(d) != DB_OK)
			return -1;
		for (int k = 0; k < group && done < NREG; k++, done++) {
			fill(&r, done % NREG, 2000 + done);
			r.links = NULL;   /* an Update without payload */
			if (db_reg_update(d, &r) != DB_OK) {
				fprintf(stderr, "update: %s\n", db_errmsg(d));
				return -1;
			}
		}
		if (group > 1 && db_commit(d) != DB_OK)
			return -1;
		el = now_s() - t0;
	}
	return el > 0 ? done / el : 0;
}

int main(int argc, char **argv)
{
	char dir[256], path[300], err[256];
	snprintf(dir, sizeof dir, "%s/nusimd-bench-XXXXXX",
	         argc > 1 ? argv[1] : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/bench.db", dir);
	db *d = NULL;
	int rc = 1;
	if (db_open(path, &d, err, sizeof err) != DB_OK) {
		fprintf(stderr, "db_open: %s\n", err);
		goto out;
	}
	db_registration r;
	if (db_begin(d) != DB_OK)
		goto out;
	for (int i = 0; i < NREG; i++) {
		fill(&r, i, 1000);
		if (db_reg_put(d, &r) != DB_OK) {
			fprintf(stderr, "put: %s\n", db_errmsg(d));
			goto out;
		}
	}
	if (db_commit(d) != DB_OK)
		goto out;
	double single = run(d, 1), grouped = run(d, 100);
	if (single < 0 || grouped < 0)
		goto out;
	printf("bench db reg_update_per_s=%.0f\n", single);
	printf("bench db reg_update_grouped_per_s=%.0f\n", grouped);
	rc = 0;
out:
	if (rc && d)
		fprintf(stderr, "bench_db: %s\n", db_errmsg(d));
	db_close(d);
	static const char *const sfx[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		char p[320];
		snprintf(p, sizeof p, "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
	return rc;
}
