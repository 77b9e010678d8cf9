/*
 * cerr.h: the error codes of the crypto library (profile container, package,
 * PKI) and how OpenSSL failures become them. Every call that can fail returns
 * one of these codes (0 = OK) and, where it takes `err`/`errlen`, leaves a
 * one-line reason there that is safe to log: it names what failed and, for
 * OpenSSL failures, OpenSSL's own reason text. It never contains a secret.
 */
#ifndef CRYPTO_CERR_H
#define CRYPTO_CERR_H

#include <stddef.h>

enum crypto_rc {
	CR_OK = 0,
	CR_EINVAL,          /* bad argument from the caller */
	CR_ENOMEM,
	CR_EOPENSSL,        /* OpenSSL failed; reason text in err */
	CR_EIO,             /* file could not be read or written */
	CR_EEXIST,          /* refusing to overwrite */
	CR_EPERM,           /* file mode too open */
	CR_EPARSE,          /* malformed input (PEM, DER, base64, hex, TLV) */
	CR_EPROFILE,        /* profile container invalid */
	CR_ECURVE,          /* unsupported curve or key type */
	CR_EPOINT,          /* point not on the curve / wrong size */
	/* certificate checks (DESIGN §6 step 1) */
	CR_ECERT_PARSE,     /* nuSIM certificate is not DER X.509 */
	CR_ECERT_UNTRUSTED, /* no chain to a configured CM root */
	CR_ECERT_EXPIRED,   /* a certificate of the chain has expired */
	CR_ECERT_NOTYET,    /* a certificate of the chain is not yet valid */
	CR_ECERT_SELFSIGNED,/* a self-signed certificate that is not a CM root */
	CR_ECERT_SIGNATURE, /* a signature of the chain does not verify */
	CR_ECERT_INVALID,   /* other chain failure (strict checks, purpose) */
	CR_ECERT_EID,       /* subject serialNumber is not the EID */
	CR_EEID,            /* EID is not 32 digits */
	CR_ESIGN,           /* a signature we made or were given is malformed */
};

/* Short fixed text of a code ("certificate expired"). Never NULL. */
const char *crypto_strerror(int rc);

/* Fills err with "what: <OpenSSL reason>" (or just "what" when OpenSSL
 * queued nothing) and empties this thread's OpenSSL error queue. err may be
 * NULL. Returns CR_EOPENSSL so callers can `return crypto_ossl_err(...)`. */
int crypto_ossl_err(char *err, size_t errlen, const char *what);

/* printf-style err filler; returns rc. Also empties the OpenSSL queue, so a
 * stale OpenSSL error never leaks into a later message. */
int crypto_err(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
