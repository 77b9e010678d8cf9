/*
 * dtls_ciphers.c: the DTLS PSK cipher suites nusimd accepts.
 *
 * libcoap 4.3.1 hard-codes its OpenSSL cipher list ("TLSv1.3:TLSv1.2:!NULL")
 * and offers no API to change it. That list has the suite LwM2M mandates
 * (TLS_PSK_WITH_AES_128_CCM_8) and the AES-GCM/CCM ones, but not the CBC
 * suites many deployed LwM2M devices still use (PSK-AES128-CBC-SHA256 is
 * the mandatory suite of CoAP, RFC 7252 §9.1.3.1, for devices without
 * CCM). OpenSSL reports "no shared cipher" for them (NOTES-libs §4.4).
 *
 * So nusimd interposes the two OpenSSL calls libcoap makes: a definition in
 * the executable comes before libssl's in the dynamic linker's search
 * order, and the real function is found with dlsym(RTLD_NEXT). Each list
 * libcoap sets gets the PSK CBC suites appended; nothing else changes. The
 * e2e test test_dtls_ciphers.py checks the CBC, CCM8 and GCM suites with
 * openssl s_client, so a libcoap or OpenSSL update that breaks this is seen
 * at once.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "server/log.h"

/* Appended to libcoap's list. CBC with SHA-256/384 and SHA-1 for old
 * devices, with and without ECDHE. */
#define EXTRA_PSK_CIPHERS                                                 \
	"PSK-AES128-CBC-SHA256:PSK-AES256-CBC-SHA384:"                    \
	"ECDHE-PSK-AES128-CBC-SHA256:ECDHE-PSK-AES256-CBC-SHA384:"        \
	"PSK-AES128-CBC-SHA:PSK-AES256-CBC-SHA"

/* Builds "<list>:<extra>" in buf; returns buf, or `list` if it would not
 * fit (then nothing is added, and the DTLS default still works). */
static const char *with_extra(const char *list, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s:%s", list ? list : "", EXTRA_PSK_CIPHERS);
	return n > 0 && (size_t)n < size ? buf : list;
}

typedef int (*ctx_set_fn)(SSL_CTX *, const char *);
typedef int (*ssl_set_fn)(SSL *, const char *);

int SSL_CTX_set_cipher_list(SSL_CTX *ctx, const char *str)
{
	static ctx_set_fn real;
	char buf[512];
	if (!real)
		real = (ctx_set_fn)dlsym(RTLD_NEXT, "SSL_CTX_set_cipher_list");
	if (!real)
		return 0;
	return real(ctx, with_extra(str, buf, sizeof buf));
}

int SSL_set_cipher_list(SSL *ssl, const char *str)
{
	static ssl_set_fn real;
	char buf[512];
	if (!real)
		real = (ssl_set_fn)dlsym(RTLD_NEXT, "SSL_set_cipher_list");
	if (!real)
		return 0;
	return real(ssl, with_extra(str, buf, sizeof buf));
}
