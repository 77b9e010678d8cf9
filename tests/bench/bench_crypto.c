/*
 * bench_crypto.c: profile packages built per second on one core, for each
 * supported curve, on a demo PKI in a temporary directory, along the two
 * paths (no assertions):
 *   bench crypto curve=NAME dp_curve=NAME path=build packages_per_s=N
 *       pkg_build: the certificate chain checked on every call
 *   bench crypto curve=NAME dp_curve=NAME path=build_for packages_per_s=N
 *       pkg_build_for: the server's path, the nuSIM checked once
 *       (pkg_nusim_from_cert) while preparing, then packages built
 * dp_curve is the DP key's curve, on which SigEKpubDP is made: a P-256
 * nuSIM's package still carries a signature on the CI's curve.
 * Also times pkg_nusim_from_cert (path=nusim_from_cert checks_per_s=N) and
 * opening (opens_per_s=N), what the simulated nuSIM does.
 * usage: bench_crypto [SECONDS per measurement, default 2]
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
	const char *dp_curve = pkg_dp_curve(dp);
	memset(&p, 0, sizeof p);
	strcpy(p.iccid, "8949020000123456788");
	strcpy(p.imsi, "262011234567890");
	strcpy(p.carrier, "Telekom");
	if (profile_encode(&p, prof, sizeof prof, &plen, err, sizeof err))
		return 1;
	for (int c = 0; c < 2; c++) {
		pkg_sim *sim;
		pkg_nusim *nu;
		uint8_t *cert;
		size_t cl;
		long n = 0, opened = 0;
		double t0, t1;
		if (pki_device(dir, eids[c], curves[c], NULL, 0, NULL, 0, err, sizeof err) ||
		    pki_load_sim(dir, eids[c], &sim, &cert, &cl, err, sizeof err)) {
			fprintf(stderr, "bench crypto: %s\n", err);
			return 1;
		}
		t0 = now();
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
		printf("bench crypto curve=%s dp_curve=%s path=build packages_per_s=%.0f\n",
		       curves[c], dp_curve, (double)n / (t1 - t0));
		fflush(stdout);
		n = 0;
		t0 = now();
		do {
			if (pkg_nusim_from_cert(dp, cert, cl, eids[c], &nu, err, sizeof err)) {
				fprintf(stderr, "bench crypto: %s\n", err);
				return 1;
			}
			pkg_nusim_free(nu);
			n++;
		} while ((t1 = now()) - t0 < secs / 2);
		printf("bench crypto curve=%s path=nusim_from_cert checks_per_s=%.0f\n",
		       curves[c], (double)n / (t1 - t0));
		if (pkg_nusim_from_cert(dp, cert, cl, eids[c], &nu, err, sizeof err)) {
			fprintf(stderr, "bench crypto: %s\n", err);
			return 1;
		}
		n = 0;
		t0 = now();
		do {
			pkg_507 pkg;
			if (pkg_build_for(dp, nu, prof, plen, &pkg, err, sizeof err)) {
				fprintf(stderr, "bench crypto: %s\n", err);
				return 1;
			}
			pkg_507_free(&pkg);
			n++;
		} while ((t1 = now()) - t0 < secs);
		printf("bench crypto curve=%s dp_curve=%s path=build_for packages_per_s=%.0f\n",
		       curves[c], dp_curve, (double)n / (t1 - t0));
		fflush(stdout);
		pkg_507 pkg;
		if (pkg_build_for(dp, nu, prof, plen, &pkg, err, sizeof err)) {
			fprintf(stderr, "bench crypto: %s\n", err);
			return 1;
		}
		t0 = now();
		do {
			struct profile out;
			if (pkg_open(sim, (const char *const *)pkg.res, &out, err,
			             sizeof err) != PKG_OK) {
				fprintf(stderr, "bench crypto: open: %s\n", err);
				return 1;
			}
			profile_clear(&out);
			opened++;
		} while ((t1 = now()) - t0 < secs / 2);
		printf("bench crypto curve=%s opens_per_s=%.0f\n", curves[c],
		       (double)opened / (t1 - t0));
		pkg_507_free(&pkg);
		pkg_nusim_free(nu);
		pkg_sim_free(sim);
		free(cert);
	}
	pkg_dp_free(dp);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
