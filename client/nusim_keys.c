/*
 * nusim_keys.c: nuSIM keys and certificates for fleet devices (see
 * nusim_keys.h). The private key never leaves memory; its PEM form exists
 * only for the moment pkg_sim_from_pem reads it, and is wiped.
 */
#include "client/nusim_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/eck.h"
#include "crypto/package.h"
#include "crypto/pki.h"
#include "crypto/seal.h"

#define PEM_MAX 65536
#define CERT_DAYS (5 * 365)

struct nusim_maker {
	EVP_PKEY *cm_key;
	X509 *cm_cert;
	char *ci_pem;
	size_t ci_len;
};

static unsigned mod97(const char *digits, size_t n)
{
	unsigned r = 0;
	for (size_t i = 0; i < n; i++)
		r = (r * 10 + (unsigned)(digits[i] - '0')) % 97;
	return r;
}

void nusim_eid_from_index(unsigned i, char eid[NUSIM_EID_LEN + 1])
{
	snprintf(eid, NUSIM_EID_LEN + 1, "89049032%022u00", i);
	unsigned check = 98 - mod97(eid, NUSIM_EID_LEN);
	eid[30] = (char)('0' + check / 10);
	eid[31] = (char)('0' + check % 10);
}

static int read_in(const char *dir, const char *name, char **out, size_t *len,
                   char *err, size_t errlen)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
		snprintf(err, errlen, "--pki-dir path too long");
		return -1;
	}
	return pki_read_file(path, PEM_MAX, out, len, err, errlen) ? -1 : 0;
}

nusim_maker *nusim_maker_load(const char *dir, char *err, size_t errlen)
{
	nusim_maker *m = calloc(1, sizeof *m);
	char *kpem = NULL, *cpem = NULL;
	size_t klen = 0, clen = 0;
	BIO *b = NULL;
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (read_in(dir, "cm.key.pem", &kpem, &klen, err, errlen) ||
	    read_in(dir, "cm.cert.pem", &cpem, &clen, err, errlen) ||
	    read_in(dir, "ci.pub.pem", &m->ci_pem, &m->ci_len, err, errlen))
		goto fail;
	if (!(b = BIO_new_mem_buf(kpem, (int)klen)) ||
	    !(m->cm_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL))) {
		snprintf(err, errlen, "%s/cm.key.pem: not a PEM private key", dir);
		goto fail;
	}
	BIO_free(b);
	if (!(b = BIO_new_mem_buf(cpem, (int)clen)) ||
	    !(m->cm_cert = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		snprintf(err, errlen, "%s/cm.cert.pem: not a PEM certificate", dir);
		goto fail;
	}
	BIO_free(b);
	seal_wipe_free(kpem, klen);
	free(cpem);
	return m;
fail:
	BIO_free(b);
	if (kpem)
		seal_wipe_free(kpem, klen);
	free(cpem);
	nusim_maker_free(m);
	return NULL;
}

void nusim_maker_free(nusim_maker *m)
{
	if (!m)
		return;
	EVP_PKEY_free(m->cm_key);
	X509_free(m->cm_cert);
	free(m->ci_pem);
	free(m);
}

int nusim_maker_make(const nusim_maker *m, const char *eid,
                     struct pkg_sim **sim, uint8_t **cert, size_t *cert_len,
                     char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *b = NULL;
	unsigned char *der = NULL;
	char cn[64];
	int rc = -1, n;
	*sim = NULL;
	*cert = NULL;
	snprintf(cn, sizeof cn, "nuSIM %s", eid);
	if (eck_generate(ECK_CURVE_DEFAULT, &key, err, errlen) ||
	    pki_make_cert(key, cn, eid, m->cm_key, m->cm_cert, 0, -60,
	                  (long)CERT_DAYS * 86400, &x, err, errlen))
		goto out;
	if ((n = i2d_X509(x, &der)) <= 0) {
		snprintf(err, errlen, "certificate encoding failed");
		goto out;
	}
	char *pem;
	long plen;
	if (!(b = BIO_new(BIO_s_secmem())) ||
	    !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) ||
	    (plen = BIO_get_mem_data(b, &pem)) <= 0) {
		snprintf(err, errlen, "key encoding failed");
		goto out;
	}
	if (pkg_sim_from_pem(pem, (size_t)plen, m->ci_pem, m->ci_len, eid, sim,
	                     err, errlen))
		goto out;
	if (!(*cert = malloc((size_t)n))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(*cert, der, (size_t)n);
	*cert_len = (size_t)n;
	rc = 0;
out:
	if (rc) {
		pkg_sim_free(*sim);
		*sim = NULL;
	}
	BIO_free(b); /* secure memory: cleansed on free */
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}
