/*
 * codec.c: lwm2m_encode / lwm2m_decode, the dispatch by content format, and
 * the guarantees every format shares: size bounds, records within base, and
 * a failed decode leaving the caller's records as they were.
 */
#include <stdlib.h>
#include <string.h>

#include "lwm2m/internal.h"

static const struct {
	lwm2m_format f;
	const char *name;
} formats[] = {
	{ LWM2M_CF_TLV, "tlv" },
	{ LWM2M_CF_SENML_JSON, "senml-json" },
	{ LWM2M_CF_SENML_CBOR, "senml-cbor" },
	{ LWM2M_CF_LWM2M_JSON, "lwm2m-json" },
	{ LWM2M_CF_TEXT, "text" },
	{ LWM2M_CF_OPAQUE, "opaque" },
	{ LWM2M_CF_LINK, "link" },
	{ LWM2M_CF_CBOR, "cbor" },
};
#define NFORMATS (sizeof formats / sizeof formats[0])

lwm2m_format lwm2m_format_from_name(const char *s)
{
	for (size_t i = 0; s && i < NFORMATS; i++)
		if (!strcmp(s, formats[i].name))
			return formats[i].f;
	return LWM2M_CF_NONE;
}

const char *lwm2m_format_name(lwm2m_format f)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (formats[i].f == f)
			return formats[i].name;
	return "none";
}

static lwm2m_err opaque_encode(const lwm2m_path *base, const lwm2m_records *in,
                               lwm2m_buf *out)
{
	if (in->n != 1)
		return LWM2M_ERR_UNSUPPORTED;
	if (base->len < 3 || lwm2m_path_cmp(base, &in->rec[0].path))
		return LWM2M_ERR_PATH;
	if (in->rec[0].value.type != LWM2M_T_OPAQUE)
		return LWM2M_ERR_TYPE;
	return lwm2m_buf_put(out, in->rec[0].value.data, in->rec[0].value.len);
}

static lwm2m_err opaque_decode(const lwm2m_path *base, const uint8_t *in,
                               size_t n, lwm2m_records *out)
{
	if (base->len < 3)
		return LWM2M_ERR_PATH;
	return lwm2m_records_add_opaque(out, base, in, n);
}

lwm2m_err lwm2m_encode(lwm2m_format f, const lwm2m_path *base,
                       const lwm2m_records *in, uint8_t **out, size_t *outlen)
{
	lwm2m_buf b;
	lwm2m_err rc;

	if (in->n > LWM2M_MAX_RECORDS)
		return LWM2M_ERR_TOO_LARGE;
	for (size_t i = 0; i < in->n; i++)
		if (!lwm2m_path_within(base, &in->rec[i].path))
			return LWM2M_ERR_PATH;
	lwm2m_buf_init(&b, LWM2M_MAX_PAYLOAD);
	switch (f) {
	case LWM2M_CF_TLV: rc = lwm2m_tlv_encode(base, in, &b); break;
	case LWM2M_CF_SENML_JSON: rc = lwm2m_senml_json_encode(base, in, &b); break;
	case LWM2M_CF_SENML_CBOR: rc = lwm2m_senml_cbor_encode(base, in, &b); break;
	case LWM2M_CF_TEXT: rc = lwm2m_text_encode(base, in, &b); break;
	case LWM2M_CF_OPAQUE: rc = opaque_encode(base, in, &b); break;
	case LWM2M_CF_CBOR: rc = lwm2m_cbor_encode(base, in, &b); break;
	default: rc = LWM2M_ERR_UNSUPPORTED; break;
	}
	if (rc) {
		lwm2m_buf_free(&b);
		return rc;
	}
	return lwm2m_buf_finish(&b, out, outlen);
}

lwm2m_err lwm2m_decode(lwm2m_format f, const lwm2m_path *base,
                       const uint8_t *in, size_t inlen, lwm2m_records *out)
{
	size_t n0 = out->n;
	lwm2m_err rc;

	if (inlen > LWM2M_MAX_PAYLOAD)
		return LWM2M_ERR_TOO_LARGE;
	if (!in && inlen)
		return LWM2M_ERR_MALFORMED;
	if (!in)
		in = (const uint8_t *)"";
	switch (f) {
	case LWM2M_CF_TLV: rc = lwm2m_tlv_decode(base, in, inlen, out); break;
	case LWM2M_CF_SENML_JSON: rc = lwm2m_senml_json_decode(base, in, inlen, out); break;
	case LWM2M_CF_SENML_CBOR: rc = lwm2m_senml_cbor_decode(base, in, inlen, out); break;
	case LWM2M_CF_LWM2M_JSON: rc = lwm2m_lwm2m_json_decode(base, in, inlen, out); break;
	case LWM2M_CF_TEXT: rc = lwm2m_text_decode(base, in, inlen, out); break;
	case LWM2M_CF_OPAQUE: rc = opaque_decode(base, in, inlen, out); break;
	case LWM2M_CF_CBOR: rc = lwm2m_cbor_decode(base, in, inlen, out); break;
	default: rc = LWM2M_ERR_UNSUPPORTED; break;
	}
	if (!rc && out->n - n0 > LWM2M_MAX_RECORDS)
		rc = LWM2M_ERR_TOO_LARGE;
	for (size_t i = n0; !rc && i < out->n; i++)
		if (!lwm2m_path_within(base, &out->rec[i].path))
			rc = LWM2M_ERR_PATH;
	if (rc)
		lwm2m_records_truncate(out, n0);
	return rc;
}
