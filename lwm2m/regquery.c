/*
 * regquery.c: the Uri-Query options of Register and Update
 * (ep, lt, lwm2m, b, sms, Q), one option per string as CoAP carries them.
 */
#include <stdio.h>
#include <string.h>

#include "lwm2m/internal.h"

enum { P_EP, P_LT, P_VER, P_B, P_SMS, P_Q, P_COUNT };

static const char *const names[P_COUNT] = { "ep", "lt", "lwm2m", "b", "sms",
                                            "Q" };

static lwm2m_err fail(char *err, size_t errlen, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	return LWM2M_ERR_MALFORMED;
}

lwm2m_err lwm2m_reg_query_parse(const char *const *opts, const size_t *lens,
                                size_t nopts, lwm2m_reg_query *out,
                                char *err, size_t errlen)
{
	lwm2m_reg_query q = { .lifetime = -1 };
	int seen[P_COUNT] = { 0 };
	char why[96];

	for (size_t i = 0; i < nopts; i++) {
		const char *o = opts[i], *eq = memchr(o, '=', lens[i]);
		size_t klen = eq ? (size_t)(eq - o) : lens[i];
		const char *v = eq ? eq + 1 : NULL;
		size_t vlen = eq ? lens[i] - klen - 1 : 0;
		int p = -1;

		if (klen == 0)
			return fail(err, errlen, "empty query parameter name");
		for (int k = 0; k < P_COUNT; k++)
			if (strlen(names[k]) == klen && !memcmp(o, names[k], klen))
				p = k;
		if (p < 0)
			continue; /* extensions are allowed */
		if (seen[p]++) {
			snprintf(why, sizeof why, "repeated parameter %s", names[p]);
			return fail(err, errlen, why);
		}
		if (p == P_Q) {
			if (eq)
				return fail(err, errlen, "Q takes no value");
			q.queue_mode = 1;
			continue;
		}
		if (!eq || vlen == 0) {
			snprintf(why, sizeof why, "%s needs a value", names[p]);
			return fail(err, errlen, why);
		}
		switch (p) {
		case P_EP:
			if (vlen > LWM2M_MAX_EP)
				return fail(err, errlen, "endpoint name too long");
			for (size_t k = 0; k < vlen; k++)
				if ((unsigned char)v[k] < 0x20 || v[k] == 0x7f)
					return fail(err, errlen,
					            "control character in endpoint name");
			memcpy(q.endpoint, v, vlen);
			q.endpoint[vlen] = 0;
			q.has_endpoint = 1;
			break;
		case P_LT: {
			int64_t lt;
			if (lwm2m_parse_i64(v, vlen, &lt) || v[0] == '-' || lt <= 0 ||
			    lt > 0xffffffffLL)
				return fail(err, errlen,
				            "lifetime is not a positive integer");
			q.lifetime = lt;
			break;
		}
		case P_VER:
			if (vlen != 3 || (memcmp(v, "1.0", 3) && memcmp(v, "1.1", 3) &&
			                  memcmp(v, "1.2", 3)))
				return fail(err, errlen,
				            "unsupported LwM2M version (1.0, 1.1, 1.2)");
			memcpy(q.version, v, 3);
			q.version[3] = 0;
			break;
		case P_B:
			if (vlen >= sizeof q.binding)
				return fail(err, errlen, "binding too long");
			for (size_t k = 0; k < vlen; k++)
				if (!strchr("USNTQ", v[k]) || !v[k] ||
				    memchr(v, v[k], k))
					return fail(err, errlen,
					            "binding letters are U, S, N, T, Q");
			memcpy(q.binding, v, vlen);
			q.binding[vlen] = 0;
			break;
		case P_SMS:
			if (vlen >= sizeof q.sms)
				return fail(err, errlen, "sms number too long");
			for (size_t k = 0; k < vlen; k++)
				if (!((v[k] >= '0' && v[k] <= '9') ||
				      (k == 0 && v[k] == '+')))
					return fail(err, errlen,
					            "sms is not an MSISDN");
			memcpy(q.sms, v, vlen);
			q.sms[vlen] = 0;
			q.has_sms = 1;
			break;
		}
	}
	/* queue mode: b=UQ in LwM2M 1.0, the bare Q option from 1.1 on; a
	 * 1.1 device sending the 1.0 form is understood too */
	if (strchr(q.binding, 'Q'))
		q.queue_mode = 1;
	*out = q;
	if (err && errlen)
		err[0] = 0;
	return LWM2M_OK;
}
