/*
 * switch_certs.c: the switch engine's check of an imported nuSIM
 * certificate (switch.h, sw_cert_check). The same pkg_cert_check that
 * vets a 508/3 before every package, so a certificate that would fail
 * the switch is refused at import, where the operator can still act.
 */
#include <stdio.h>

#include "server/switch_int.h"
#include "crypto/cerr.h"

int sw_cert_check(sw *s, const uint8_t *der, size_t n, const char *eid,
                  char *err, size_t errlen)
{
	if (!s || !s->dp) {
		snprintf(err, errlen, "no PKI is loaded (--pki-dir): certificates "
		         "cannot be checked against the CM roots");
		return SW_ERR_NO_PKI;
	}
	if (!der || !n || !eid) {
		snprintf(err, errlen, "no certificate");
		return SW_ERR_BAD;
	}
	return pkg_cert_check(s->dp, der, n, eid, err, errlen) == CR_OK
	       ? SW_OK : SW_ERR_BAD;
}
