/*
 * bench_crypto.c: profile packages built per second on one core, for each
 * supported curve, on a demo PKI in a temporary directory. Prints one line
 * per curve:  bench crypto curve=NAME packages_per_s=N  (no assertions).
 * Also times opening, what the simulated nuSIM does.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/package.h"
#include "crypto/pki.h"
#include "crypto/profile.h"

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char *const curves[] = { "brainpoolP256r1", "prime256v1" };
	static const char *const eids[] = { "89049032000001000000000000000001",
	                                    "89049032000001000000000000000002" };
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	char dir[] = "/tmp/bench_crypto_XXXXXX", err[256];
	struct profile p;
	uint8_t prof[PROFILE_MAX];
	size_t plen;
	pkg_dp *dp;
	if (!mkdtemp(dir) || pki_init(dir, err, sizeof err) ||
	    pki_load_dp(dir, &dp, err, sizeof err)) {
		fprintf(stderr, "bench crypto: %s\n", err);
		return 1;
	}
	memset(&p, 0, sizeof p);
	strcpy(p.iccid, "8949020000123456788");
	strcpy(p.imsi, "262011234567890");
	strcpy(p.carrier, "Telekom");
	if (profile_encode(&p, prof, sizeof prof, &plen, err, sizeof err))
		return 1;
	for (int c = 0; c < 2; c++) {
		pkg_sim *sim;
		uint8_t *cert;
		size_t cl;
		long n = 0, opened = 0;
		if (pki_device(dir, eids[c], curves[c], NULL, 0, NULL, 0, err, sizeof err) ||
		    pki_load_sim(dir, eids[c], &sim, &cert, &cl, err, sizeof err)) {
			fprintf(stderr, "bench crypto: %s\n", err);
			return 1;
		}
		double t0 = now(), t1;
		do {
			pkg_507 pkg;
			if (pkg_build(dp, cert, cl, eids[c], prof, plen, &pkg, err,
			              sizeof err)) {
				fprintf(stderr, "bench crypto: %s\n", err);
				return 1;
			}
			pkg_507_free(&pkg);
			n++;
		} while ((t1 = now()) - t0 < secs);
		printf("bench crypto curve=%s packages_per_s=%.0f\n", curves[c],
		       (double)n / (t1 - t0));
		pkg_507 pkg;
		pkg_build(dp, cert, cl, eids[c], prof, plen, &pkg, err, sizeof err);
		t0 = now();
		do {
			struct profile out;
			if (pkg_open(sim, (const char *const *)pkg.res, &out, err,
			             sizeof err) != PKG_OK)
				return 1;
			opened++;
		} while ((t1 = now()) - t0 < secs / 2);
		printf("bench crypto curve=%s opens_per_s=%.0f\n", curves[c],
		       (double)opened / (t1 - t0));
		pkg_507_free(&pkg);
		pkg_sim_free(sim);
		free(cert);
	}
	pkg_dp_free(dp);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
