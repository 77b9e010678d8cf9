/*
 * pki.c: the demo CI / DP / CM hierarchy and simulated nuSIM certificates on
 * disk (pki.h), and the loaders nusimd and the simulated nuSIM use. Key
 * files are created O_EXCL with mode 0600 and written from OpenSSL secure
 * memory BIOs, so no private key text stays behind in freed memory.
 */
#include "crypto/pki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "crypto/cerr.h"
#include "crypto/codec.h"
#include "crypto/eck.h"

#define DAY (24L * 3600)
#define YEAR (365L * DAY)
#define PEM_MAX (64 * 1024)
#define ROOTS_MAX (1024 * 1024)

/* File names inside the PKI directory (docs/profile-package.md). */
#define F_CI_KEY "ci.key.pem"
#define F_CI_CERT "ci.cert.pem"
#define F_CI_PUB "ci.pub.pem"
#define F_DP_KEY "dp.key.pem"
#define F_DP_CERT "dp.cert.pem"
#define F_DP_SIG "dp.sig.b64"
#define F_CM_KEY "cm.key.pem"
#define F_CM_CERT "cm.cert.pem"
#define D_DEVICES "devices"

static int join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int pki_read_file(const char *path, size_t max, char **out, size_t *len,
                  char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	*out = NULL;
	*len = 0;
	if (fd < 0)
		return crypto_err(err, errlen, CR_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return crypto_err(err, errlen, CR_EIO,
		                  "%s: not a regular file of at most %zu bytes", path, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return crypto_err(err, errlen, CR_ENOMEM, "%s: out of memory", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			OPENSSL_cleanse(buf, (size_t)st.st_size + 1);
			free(buf);
			close(fd);
			return crypto_err(err, errlen, CR_EIO, "%s: %s", path, strerror(e));
		}
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return CR_OK;
}

/* Reads a private key file, refusing one that group or others can access. */
static int read_key_file(const char *path, char **out, size_t *len, char *err,
                         size_t errlen)
{
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		return crypto_err(err, errlen, CR_EPERM,
		                  "private key file %s has mode %04o: it must not be "
		                  "accessible by group or others (chmod 600 %s)", path,
		                  (unsigned)(st.st_mode & 07777), path);
	return pki_read_file(path, PEM_MAX, out, len, err, errlen);
}

static void free_secret(char *p, size_t n)
{
	if (p) {
		OPENSSL_cleanse(p, n);
		free(p);
	}
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *val)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, val);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

int pki_make_cert(EVP_PKEY *subject_key, const char *cn, const char *serial,
                  EVP_PKEY *issuer_key, X509 *issuer_cert, int ca,
                  long not_before_s, long not_after_s, X509 **out, char *err,
                  size_t errlen)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;
	BIGNUM *bn = NULL;
	uint8_t sn[16];
	*out = NULL;
	if (!x)
		return crypto_ossl_err(err, errlen, "certificate");
	/* A positive 128-bit random serial (RFC 5280 §4.1.2.2). */
	if (RAND_bytes(sn, sizeof sn) != 1)
		goto fail;
	sn[0] = (uint8_t)((sn[0] & 0x7f) | 0x40);
	name = X509_get_subject_name(x);
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !(bn = BN_bin2bn(sn, sizeof sn, NULL)) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), not_before_s) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), not_after_s) ||
	    !X509_set_pubkey(x, subject_key) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	                                (const unsigned char *)"nusimd demo", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                                (const unsigned char *)cn, -1, -1, 0) ||
	    (serial && !X509_NAME_add_entry_by_NID(name, NID_serialNumber,
	                                           MBSTRING_ASC,
	                                           (const unsigned char *)serial,
	                                           -1, -1, 0)) ||
	    !X509_set_issuer_name(x, issuer_cert ? X509_get_subject_name(issuer_cert)
	                                         : name))
		goto fail;
	X509V3_set_ctx(&v3, issuer_cert ? issuer_cert : x, x, NULL, NULL, 0);
	if (add_ext(x, &v3, NID_basic_constraints,
	            ca ? "critical,CA:TRUE" : "critical,CA:FALSE") ||
	    add_ext(x, &v3, NID_key_usage,
	            ca ? "critical,keyCertSign,cRLSign"
	               : "critical,digitalSignature,keyAgreement") ||
	    add_ext(x, &v3, NID_subject_key_identifier, "hash") ||
	    add_ext(x, &v3, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	if (!X509_sign(x, issuer_key, EVP_sha256()))
		goto fail;
	BN_free(bn);
	*out = x;
	return CR_OK;
fail:
	BN_free(bn);
	X509_free(x);
	return crypto_ossl_err(err, errlen, "certificate");
}

/* A PEM object rendered in secure memory, then written O_EXCL. */
struct outfile {
	char path[4096];
	mode_t mode;
	BIO *bio;
	int created;
};

static int out_new(struct outfile *f, const char *dir, const char *name,
                   mode_t mode)
{
	f->bio = BIO_new(BIO_s_secmem());
	f->mode = mode;
	f->created = 0;
	return f->bio && join(f->path, sizeof f->path, dir, name) == 0 ? 0 : -1;
}

static int out_write(struct outfile *f, char *err, size_t errlen)
{
	char *data;
	long n = BIO_get_mem_data(f->bio, &data);
	int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	              f->mode);
	if (fd < 0)
		return crypto_err(err, errlen, errno == EEXIST ? CR_EEXIST : CR_EIO,
		                  "%s: %s%s", f->path, strerror(errno),
		                  errno == EEXIST ? " (refusing to overwrite)" : "");
	f->created = 1;
	if (fchmod(fd, f->mode) < 0 || n < 0 || write(fd, data, (size_t)n) != n ||
	    fsync(fd) < 0) {
		int e = errno;
		close(fd);
		return crypto_err(err, errlen, CR_EIO, "%s: %s", f->path, strerror(e));
	}
	if (close(fd) < 0)
		return crypto_err(err, errlen, CR_EIO, "%s: %s", f->path, strerror(errno));
	return CR_OK;
}

/* Writes all files, or none: any failure removes what this call created. */
static int out_commit(struct outfile *f, int n, char *err, size_t errlen)
{
	int rc = CR_OK;
	struct stat st;
	for (int i = 0; i < n; i++)
		if (lstat(f[i].path, &st) == 0)
			return crypto_err(err, errlen, CR_EEXIST,
			                  "%s exists: refusing to overwrite", f[i].path);
	for (int i = 0; i < n && rc == CR_OK; i++)
		rc = out_write(&f[i], err, errlen);
	if (rc)
		for (int i = 0; i < n; i++)
			if (f[i].created)
				unlink(f[i].path);
	return rc;
}

static void out_free(struct outfile *f, int n)
{
	for (int i = 0; i < n; i++)
		BIO_free(f[i].bio); /* secmem: cleared on free */
}

static int ensure_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return crypto_err(err, errlen, CR_EIO, "%s: %s", dir, strerror(errno));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return crypto_err(err, errlen, CR_EIO, "%s is not a directory", dir);
	return CR_OK;
}

int pki_init(const char *dir, char *err, size_t errlen)
{
	EVP_PKEY *ci = NULL, *dp = NULL, *cm = NULL;
	X509 *ci_cert = NULL, *dp_cert = NULL, *cm_cert = NULL;
	struct outfile f[8];
	uint8_t kpubdp[ECK_POINT_LEN], sig[ECK_SIG_LEN];
	char sig_b64[96];
	int rc, nf = 0;
	if (!dir || !*dir)
		return crypto_err(err, errlen, CR_EINVAL, "pki init: no directory");
	if ((rc = ensure_dir(dir, err, errlen)))
		return rc;
	if ((rc = eck_generate(ECK_CURVE_DEFAULT, &ci, err, errlen)) ||
	    (rc = eck_generate(ECK_CURVE_DEFAULT, &dp, err, errlen)) ||
	    (rc = eck_generate(ECK_CURVE_DEFAULT, &cm, err, errlen)))
		goto out;
	if ((rc = pki_make_cert(ci, "nusimd demo CI", NULL, ci, NULL, 1, -60,
	                        20 * YEAR, &ci_cert, err, errlen)) ||
	    (rc = pki_make_cert(dp, "nusimd demo DP", NULL, ci, ci_cert, 0, -60,
	                        10 * YEAR, &dp_cert, err, errlen)) ||
	    (rc = pki_make_cert(cm, "nusimd demo CM root", NULL, cm, NULL, 1, -60,
	                        20 * YEAR, &cm_cert, err, errlen)))
		goto out;
	/* SigKpubDP: the CI's raw ECDSA-SHA256 over the 65-byte KpubDP. */
	if ((rc = eck_pub_to_raw(dp, kpubdp)) ||
	    (rc = eck_sign_raw(ci, kpubdp, sizeof kpubdp, sig, err, errlen)))
		goto out;
	crypto_b64_encode(sig, sizeof sig, sig_b64);
	static const struct { const char *name; mode_t mode; } files[8] = {
		{ F_CI_KEY, 0600 }, { F_CI_CERT, 0644 }, { F_CI_PUB, 0644 },
		{ F_DP_KEY, 0600 }, { F_DP_CERT, 0644 }, { F_DP_SIG, 0644 },
		{ F_CM_KEY, 0600 }, { F_CM_CERT, 0644 },
	};
	for (nf = 0; nf < 8; nf++)
		if (out_new(&f[nf], dir, files[nf].name, files[nf].mode) < 0) {
			rc = crypto_err(err, errlen, CR_ENOMEM, "pki init: out of memory");
			nf++;
			goto out;
		}
	if (!PEM_write_bio_PrivateKey(f[0].bio, ci, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(f[1].bio, ci_cert) ||
	    !PEM_write_bio_PUBKEY(f[2].bio, ci) ||
	    !PEM_write_bio_PrivateKey(f[3].bio, dp, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(f[4].bio, dp_cert) ||
	    BIO_printf(f[5].bio, "%s\n", sig_b64) <= 0 ||
	    !PEM_write_bio_PrivateKey(f[6].bio, cm, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(f[7].bio, cm_cert)) {
		rc = crypto_ossl_err(err, errlen, "pki init: PEM");
		goto out;
	}
	rc = out_commit(f, 8, err, errlen);
out:
	out_free(f, nf);
	EVP_PKEY_free(ci);
	EVP_PKEY_free(dp);
	EVP_PKEY_free(cm);
	X509_free(ci_cert);
	X509_free(dp_cert);
	X509_free(cm_cert);
	return rc;
}

static X509 *x509_from_pem(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	return x;
}

static EVP_PKEY *key_from_pem(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	BIO_free(b);
	return k;
}

int pki_device(const char *dir, const char *eid, const char *curve,
               char *key_path, size_t key_cap, char *cert_path,
               size_t cert_cap, char *err, size_t errlen)
{
	char path[4096], name[64], *kpem = NULL, *cpem = NULL;
	size_t klen = 0, clen = 0;
	EVP_PKEY *cm = NULL, *dev = NULL;
	X509 *cm_cert = NULL, *cert = NULL;
	struct outfile f[2];
	int rc = CR_OK, nf = 0;
	char cn[64];
	if (!dir || !*dir)
		return crypto_err(err, errlen, CR_EINVAL, "pki device: no directory");
	if (!pkg_eid_valid(eid))
		return crypto_err(err, errlen, CR_EEID,
		                  "pki device: EID must be 32 digits");
	if (!curve)
		curve = ECK_CURVE_DEFAULT;
	if (join(path, sizeof path, dir, F_CM_KEY) ||
	    (rc = read_key_file(path, &kpem, &klen, err, errlen)))
		return rc ? rc : crypto_err(err, errlen, CR_EINVAL, "path too long");
	if (join(path, sizeof path, dir, F_CM_CERT) ||
	    (rc = pki_read_file(path, PEM_MAX, &cpem, &clen, err, errlen))) {
		rc = rc ? rc : crypto_err(err, errlen, CR_EINVAL, "path too long");
		goto out;
	}
	cm = key_from_pem(kpem, klen);
	cm_cert = x509_from_pem(cpem, clen);
	if (!cm || !cm_cert) {
		crypto_ossl_err(err, errlen, "pki device: CM root key or certificate");
		rc = CR_EPARSE;
		goto out;
	}
	snprintf(cn, sizeof cn, "nuSIM %s", eid);
	if ((rc = eck_generate(curve, &dev, err, errlen)) ||
	    (rc = pki_make_cert(dev, cn, eid, cm, cm_cert, 0, -60, 5 * YEAR, &cert,
	                        err, errlen)))
		goto out;
	if (join(path, sizeof path, dir, D_DEVICES) ||
	    (rc = ensure_dir(path, err, errlen))) {
		rc = rc ? rc : crypto_err(err, errlen, CR_EINVAL, "path too long");
		goto out;
	}
	snprintf(name, sizeof name, "%s.key.pem", eid);
	if (out_new(&f[nf++], path, name, 0600) < 0) {
		rc = crypto_err(err, errlen, CR_ENOMEM, "pki device: out of memory");
		goto out;
	}
	snprintf(name, sizeof name, "%s.cert.pem", eid);
	if (out_new(&f[nf++], path, name, 0644) < 0) {
		rc = crypto_err(err, errlen, CR_ENOMEM, "pki device: out of memory");
		goto out;
	}
	if (!PEM_write_bio_PrivateKey(f[0].bio, dev, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(f[1].bio, cert)) {
		rc = crypto_ossl_err(err, errlen, "pki device: PEM");
		goto out;
	}
	if ((rc = out_commit(f, 2, err, errlen)))
		goto out;
	if (key_path && snprintf(key_path, key_cap, "%s", f[0].path) >= (int)key_cap)
		rc = crypto_err(err, errlen, CR_EINVAL, "key path buffer too small");
	if (cert_path && snprintf(cert_path, cert_cap, "%s", f[1].path) >= (int)cert_cap)
		rc = crypto_err(err, errlen, CR_EINVAL, "cert path buffer too small");
out:
	out_free(f, nf);
	free_secret(kpem, klen);
	free(cpem);
	EVP_PKEY_free(cm);
	EVP_PKEY_free(dev);
	X509_free(cm_cert);
	X509_free(cert);
	return rc;
}

int pki_cmd_init(const char *dir, char *err, size_t errlen)
{
	static const char *const names[] = { F_CI_KEY, F_CI_CERT, F_CI_PUB,
	                                     F_DP_KEY, F_DP_CERT, F_DP_SIG,
	                                     F_CM_KEY, F_CM_CERT };
	if (pki_init(dir, err, errlen))
		return -1;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		printf("%s/%s\n", dir, names[i]);
	fflush(stdout);
	return 0;
}

int pki_cmd_device(const char *dir, const char *eid, char *err, size_t errlen)
{
	char kp[4096], cp[4096];
	if (pki_device(dir, eid, NULL, kp, sizeof kp, cp, sizeof cp, err, errlen))
		return -1;
	printf("%s\n%s\n", kp, cp);
	fflush(stdout);
	return 0;
}

int pki_load_dp(const char *dir, pkg_dp **out, char *err, size_t errlen)
{
	char path[4096], *key = NULL, *ci = NULL, *sig = NULL, *roots = NULL;
	size_t klen = 0, clen, slen, rlen;
	int rc;
	*out = NULL;
	if ((rc = join(path, sizeof path, dir, F_DP_KEY) ? CR_EINVAL : CR_OK) ||
	    (rc = read_key_file(path, &key, &klen, err, errlen)))
		goto out;
	if ((rc = join(path, sizeof path, dir, F_CI_PUB) ? CR_EINVAL : CR_OK) ||
	    (rc = pki_read_file(path, PEM_MAX, &ci, &clen, err, errlen)))
		goto out;
	if ((rc = join(path, sizeof path, dir, F_DP_SIG) ? CR_EINVAL : CR_OK) ||
	    (rc = pki_read_file(path, 256, &sig, &slen, err, errlen)))
		goto out;
	if ((rc = join(path, sizeof path, dir, F_CM_CERT) ? CR_EINVAL : CR_OK) ||
	    (rc = pki_read_file(path, ROOTS_MAX, &roots, &rlen, err, errlen)))
		goto out;
	rc = pkg_dp_from_pem(key, klen, ci, clen, sig, roots, rlen, out, err, errlen);
out:
	if (rc == CR_EINVAL)
		crypto_err(err, errlen, rc, "pki: path too long");
	free_secret(key, klen);
	free(ci);
	free(sig);
	free(roots);
	return rc;
}

/* PEM certificate text to malloc'ed DER. */
static int pem_to_der(const char *pem, size_t len, uint8_t **der, size_t *dlen,
                      char *err, size_t errlen)
{
	X509 *x = x509_from_pem(pem, len);
	unsigned char *p = NULL;
	int n;
	if (!x)
		return crypto_err(err, errlen, CR_EPARSE, "nuSIM certificate PEM");
	n = i2d_X509(x, &p);
	X509_free(x);
	if (n <= 0)
		return crypto_ossl_err(err, errlen, "nuSIM certificate DER");
	*der = malloc((size_t)n);
	if (!*der) {
		OPENSSL_free(p);
		return crypto_err(err, errlen, CR_ENOMEM, "out of memory");
	}
	memcpy(*der, p, (size_t)n);
	OPENSSL_free(p);
	*dlen = (size_t)n;
	return CR_OK;
}

int pki_load_sim(const char *dir, const char *eid, pkg_sim **out,
                 uint8_t **cert_der, size_t *cert_len, char *err,
                 size_t errlen)
{
	char path[4096], name[64], *key = NULL, *ci = NULL, *cert = NULL;
	size_t klen = 0, clen, xlen;
	int rc;
	*out = NULL;
	if (cert_der)
		*cert_der = NULL;
	if (!pkg_eid_valid(eid))
		return crypto_err(err, errlen, CR_EEID, "EID must be 32 digits");
	snprintf(name, sizeof name, D_DEVICES "/%s.key.pem", eid);
	if ((rc = join(path, sizeof path, dir, name) ? CR_EINVAL : CR_OK) ||
	    (rc = read_key_file(path, &key, &klen, err, errlen)))
		goto out;
	if ((rc = join(path, sizeof path, dir, F_CI_PUB) ? CR_EINVAL : CR_OK) ||
	    (rc = pki_read_file(path, PEM_MAX, &ci, &clen, err, errlen)))
		goto out;
	if ((rc = pkg_sim_from_pem(key, klen, ci, clen, eid, out, err, errlen)))
		goto out;
	if (cert_der) {
		snprintf(name, sizeof name, D_DEVICES "/%s.cert.pem", eid);
		if ((rc = join(path, sizeof path, dir, name) ? CR_EINVAL : CR_OK) ||
		    (rc = pki_read_file(path, PEM_MAX, &cert, &xlen, err, errlen)) ||
		    (rc = pem_to_der(cert, xlen, cert_der, cert_len, err, errlen))) {
			pkg_sim_free(*out);
			*out = NULL;
		}
	}
out:
	if (rc == CR_EINVAL)
		crypto_err(err, errlen, rc, "pki: path too long");
	free_secret(key, klen);
	free(ci);
	free(cert);
	return rc;
}
