/*
 * test_crypto_pki.c: the demo PKI on disk (crypto/pki.h): the files and
 * their modes, no overwriting, the device certificate's subject and issuer,
 * the loaders (and their refusal of open key files), and the output of the
 * `pki init` / `pki device` subcommands.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/cerr.h"
#include "crypto/codec.h"
#include "crypto/eck.h"
#include "crypto/pki.h"
#include "tests/unit/tmpdir_fixture.h"
#include "tests/unit/unit.h"

#define EID "89049032000001000000000000000042"

static const char *const files[] = { "ci.key.pem", "ci.cert.pem", "ci.pub.pem",
                                     "dp.key.pem", "dp.cert.pem", "dp.sig.b64",
                                     "cm.key.pem", "cm.cert.pem" };

static void new_dir(char *d, size_t n)
{
	snprintf(d, n, "/tmp/test_pki_XXXXXX");
	if (!mkdtemp(d))
		abort();
	remove_at_exit(d);
}

static mode_t mode_of(const char *d, const char *name)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", d, name);
	return stat(p, &st) == 0 ? (st.st_mode & 07777) : (mode_t)-1;
}

TEST(pki_init_files_and_modes)
{
	char d[64], err[256];
	new_dir(d, sizeof d);
	CHECK_EQ_INT(pki_init(d, err, sizeof err), CR_OK);
	for (size_t i = 0; i < 8; i++) {
		mode_t m = mode_of(d, files[i]);
		if (strstr(files[i], ".key."))
			CHECK_EQ_INT(m, 0600);
		else
			CHECK(m != (mode_t)-1 && !(m & 022));
	}
}

TEST(pki_init_refuses_overwrite)
{
	char d[64], err[256] = "", p[256], *before, *after;
	size_t bl, al;
	new_dir(d, sizeof d);
	CHECK_EQ_INT(pki_init(d, err, sizeof err), CR_OK);
	snprintf(p, sizeof p, "%s/ci.key.pem", d);
	CHECK_EQ_INT(pki_read_file(p, 65536, &before, &bl, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pki_init(d, err, sizeof err), CR_EEXIST);
	CHECK(strstr(err, "overwrite") != NULL);
	CHECK_EQ_INT(pki_read_file(p, 65536, &after, &al, err, sizeof err), CR_OK);
	CHECK_EQ_INT(al, bl);
	CHECK_EQ_MEM(after, before, bl);
	free(before);
	free(after);
	/* One file present is enough to refuse, and nothing else is created. */
	char d2[64];
	new_dir(d2, sizeof d2);
	snprintf(p, sizeof p, "%s/cm.cert.pem", d2);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	close(fd);
	CHECK_EQ_INT(pki_init(d2, err, sizeof err), CR_EEXIST);
	CHECK_EQ_INT(mode_of(d2, "ci.key.pem"), (mode_t)-1);
}

TEST(pki_sig_kpubdp_verifies)
{
	char d[64], err[256], p[256], *sig, *pem;
	size_t sl, pl;
	uint8_t raw[64], kpubdp[65];
	new_dir(d, sizeof d);
	CHECK_EQ_INT(pki_init(d, err, sizeof err), CR_OK);
	snprintf(p, sizeof p, "%s/dp.sig.b64", d);
	CHECK_EQ_INT(pki_read_file(p, 256, &sig, &sl, err, sizeof err), CR_OK);
	CHECK_EQ_INT(sl, 89);
	CHECK_EQ_INT(crypto_b64_decode(sig, 88, raw, sizeof raw), 64);
	snprintf(p, sizeof p, "%s/dp.cert.pem", d);
	CHECK_EQ_INT(pki_read_file(p, 65536, &pem, &pl, err, sizeof err), CR_OK);
	BIO *b = BIO_new_mem_buf(pem, (int)pl);
	X509 *dpc = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	CHECK(dpc != NULL);
	CHECK_EQ_INT(eck_pub_to_raw(X509_get0_pubkey(dpc), kpubdp), CR_OK);
	snprintf(p, sizeof p, "%s/ci.pub.pem", d);
	FILE *f = fopen(p, "r");
	EVP_PKEY *ci = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	CHECK(ci != NULL);
	char curve[32];
	CHECK_EQ_INT(eck_key_curve(ci, curve, sizeof curve), CR_OK);
	CHECK_EQ_STR(curve, "brainpoolP256r1");
	CHECK_EQ_INT(eck_verify_raw(ci, kpubdp, 65, raw), CR_OK);
	/* The DP certificate is issued by the CI. */
	CHECK_EQ_INT(X509_verify(dpc, ci), 1);
	EVP_PKEY_free(ci);
	X509_free(dpc);
	free(sig);
	free(pem);
}

TEST(pki_device_cert_fields)
{
	char d[64], err[256], kp[256], cp[256];
	new_dir(d, sizeof d);
	CHECK_EQ_INT(pki_init(d, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pki_device(d, EID, NULL, kp, sizeof kp, cp, sizeof cp, err,
	                        sizeof err), CR_OK);
	CHECK_EQ_INT(mode_of(d, "devices/" EID ".key.pem"), 0600);
	FILE *f = fopen(cp, "r");
	CHECK(f != NULL);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	CHECK(x != NULL);
	char buf[128];
	CHECK(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	                                buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, "nuSIM " EID);
	CHECK(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_serialNumber,
	                                buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, EID);
	CHECK(X509_NAME_get_text_by_NID(X509_get_issuer_name(x), NID_commonName,
	                                buf, sizeof buf) > 0);
	CHECK_EQ_STR(buf, "nusimd demo CM root");
	char curve[32];
	CHECK_EQ_INT(eck_key_curve(X509_get0_pubkey(x), curve, sizeof curve), CR_OK);
	CHECK_EQ_STR(curve, "brainpoolP256r1");
	/* Valid now, for a few years. */
	time_t in4y = time(NULL) + 4 * 365 * 86400L;
	CHECK(X509_cmp_time(X509_get0_notBefore(x), NULL) < 0);
	CHECK(X509_cmp_time(X509_get0_notAfter(x), &in4y) > 0);
	X509_free(x);
	/* Not twice. */
	CHECK_EQ_INT(pki_device(d, EID, NULL, NULL, 0, NULL, 0, err, sizeof err),
	             CR_EEXIST);
	/* Bad EIDs. */
	CHECK_EQ_INT(pki_device(d, "8904", NULL, NULL, 0, NULL, 0, err, sizeof err),
	             CR_EEID);
	CHECK_EQ_INT(pki_device(d, "8904903200000100000000000000004x", NULL, NULL,
	                        0, NULL, 0, err, sizeof err), CR_EEID);
	CHECK_EQ_INT(pki_device(d, "../../../../../../../../etc/pass", NULL, NULL,
	                        0, NULL, 0, err, sizeof err), CR_EEID);
	/* Without a PKI. */
	char empty[64];
	new_dir(empty, sizeof empty);
	CHECK_EQ_INT(pki_device(empty, EID, NULL, NULL, 0, NULL, 0, err, sizeof err),
	             CR_EIO);
	CHECK(strstr(err, "cm.key.pem") != NULL);
}

TEST(pki_loaders)
{
	char d[64], err[256];
	pkg_dp *dp;
	pkg_sim *sim;
	uint8_t *der;
	size_t n;
	new_dir(d, sizeof d);
	CHECK_EQ_INT(pki_init(d, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pki_device(d, EID, "prime256v1", NULL, 0, NULL, 0, err,
	                        sizeof err), CR_OK);
	CHECK_EQ_INT(pki_load_dp(d, &dp, err, sizeof err), CR_OK);
	CHECK_EQ_INT(pki_load_sim(d, EID, &sim, &der, &n, err, sizeof err), CR_OK);
	CHECK(n > 100 && der[0] == 0x30);
	CHECK_EQ_INT(pkg_cert_check(dp, der, n, EID, err, sizeof err), CR_OK);
	free(der);
	pkg_sim_free(sim);
	pkg_dp_free(dp);
	CHECK_EQ_INT(pki_load_sim(d, "89049032000001000000000000000043", &sim, NULL,
	                          NULL, err, sizeof err), CR_EIO);
}

TEST(pki_loader_refuses_open_key_file)
{
	char d[64], err[256] = "", p[256];
	pkg_dp *dp;
	new_dir(d, sizeof d);
	CHECK_EQ_INT(pki_init(d, err, sizeof err), CR_OK);
	snprintf(p, sizeof p, "%s/dp.key.pem", d);
	CHECK_EQ_INT(chmod(p, 0644), 0);
	CHECK_EQ_INT(pki_load_dp(d, &dp, err, sizeof err), CR_EPERM);
	CHECK(strstr(err, "dp.key.pem") != NULL && strstr(err, "0644") != NULL);
}

TEST(pki_loader_refuses_bad_sig)
{
	char d[64], err[256] = "", p[256];
	pkg_dp *dp;
	new_dir(d, sizeof d);
	CHECK_EQ_INT(pki_init(d, err, sizeof err), CR_OK);
	snprintf(p, sizeof p, "%s/dp.sig.b64", d);
	unlink(p);
	FILE *f = fopen(p, "w");
	/* 64 bytes of base64 that are no signature. */
	char zeros[90];
	memset(zeros, 'A', 86);
	strcpy(zeros + 86, "==");
	fprintf(f, "%s\n", zeros);
	fclose(f);
	CHECK_EQ_INT(pki_load_dp(d, &dp, err, sizeof err), CR_ESIGN);
	CHECK(strstr(err, "SigKpubDP") != NULL);
}

/* Runs fn with stdout sent to a file; returns what it printed. */
static int capture(int (*fn)(const char *, const char *, char *, size_t),
                   const char *a, const char *b, char *out, size_t cap)
{
	char tmpl[] = "/tmp/test_pki_out_XXXXXX", err[256];
	int fd = mkstemp(tmpl), saved = dup(1);
	fflush(stdout);
	dup2(fd, 1);
	int rc = fn(a, b, err, sizeof err);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	ssize_t n = read(fd, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(tmpl);
	return rc;
}

static int run_init(const char *d, const char *unused, char *err, size_t el)
{
	(void)unused;
	return pki_cmd_init(d, err, el);
}

TEST(pki_cmd_prints_paths)
{
	char d[64], out[4096], line[300], err[256];
	new_dir(d, sizeof d);
	CHECK_EQ_INT(capture(run_init, d, NULL, out, sizeof out), 0);
	for (size_t i = 0; i < 8; i++) {
		snprintf(line, sizeof line, "%s/%s\n", d, files[i]);
		CHECK(strstr(out, line) != NULL);
	}
	CHECK_EQ_INT(capture(pki_cmd_device, d, EID, out, sizeof out), 0);
	snprintf(line, sizeof line, "%s/devices/%s.key.pem\n%s/devices/%s.cert.pem\n",
	         d, EID, d, EID);
	CHECK(strcmp(out, line) == 0);
	CHECK_EQ_INT(pki_cmd_init(d, err, sizeof err), -1);
	CHECK_EQ_INT(pki_cmd_device(d, EID, err, sizeof err), -1);
}

UNIT_MAIN
