/*
 * cerr.c: crypto error codes to text, and OpenSSL's thread-local error
 * queue turned into one log-safe line.
 */
#include "crypto/cerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static const char *const texts[] = {
	[CR_OK] = "ok",
	[CR_EINVAL] = "invalid argument",
	[CR_ENOMEM] = "out of memory",
	[CR_EOPENSSL] = "OpenSSL error",
	[CR_EIO] = "I/O error",
	[CR_EEXIST] = "file exists",
	[CR_EPERM] = "file permissions too open",
	[CR_EPARSE] = "malformed input",
	[CR_EPROFILE] = "invalid profile container",
	[CR_ECURVE] = "unsupported curve or key type",
	[CR_EPOINT] = "point not on the curve",
	[CR_ECERT_PARSE] = "certificate does not parse",
	[CR_ECERT_UNTRUSTED] = "certificate not issued by a trusted CM root",
	[CR_ECERT_EXPIRED] = "certificate expired",
	[CR_ECERT_NOTYET] = "certificate not yet valid",
	[CR_ECERT_SELFSIGNED] = "self-signed certificate is not a CM root",
	[CR_ECERT_SIGNATURE] = "certificate signature invalid",
	[CR_ECERT_INVALID] = "certificate chain invalid",
	[CR_ECERT_EID] = "certificate serialNumber is not the EID",
	[CR_EEID] = "EID is not 32 digits",
	[CR_ESIGN] = "signature malformed",
};

const char *crypto_strerror(int rc)
{
	if (rc < 0 || (size_t)rc >= sizeof texts / sizeof texts[0] || !texts[rc])
		return "unknown crypto error";
	return texts[rc];
}

int crypto_ossl_err(char *err, size_t errlen, const char *what)
{
	/* The last queued error is the most specific one. */
	unsigned long e, last = 0;
	while ((e = ERR_get_error()) != 0)
		last = e;
	if (!err || !errlen)
		return CR_EOPENSSL;
	if (last) {
		const char *r = ERR_reason_error_string(last);
		char buf[256];
		if (!r) {
			ERR_error_string_n(last, buf, sizeof buf);
			r = buf;
		}
		snprintf(err, errlen, "%s: %s", what, r);
	} else {
		snprintf(err, errlen, "%s", what);
	}
	return CR_EOPENSSL;
}

int crypto_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	ERR_clear_error();
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}
