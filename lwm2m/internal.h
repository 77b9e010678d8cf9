/*
 * internal.h: what the files of lwm2m/ share and nobody else should use.
 *
 * A bounded growable byte buffer for the encoders, and the per-format
 * encode/decode entry points that codec.c dispatches to. The decoders append
 * to `out`; codec.c undoes a failed decode so callers see `out` unchanged.
 */
#ifndef LWM2M_INTERNAL_H
#define LWM2M_INTERNAL_H

#include "lwm2m/lwm2m.h"

/* Growable buffer; writes past `max` fail with LWM2M_ERR_TOO_LARGE. */
typedef struct {
	uint8_t *p;
	size_t n, cap, max;
	lwm2m_err err; /* first error; later writes are no-ops */
} lwm2m_buf;

void lwm2m_buf_init(lwm2m_buf *b, size_t max);
void lwm2m_buf_free(lwm2m_buf *b);
lwm2m_err lwm2m_buf_put(lwm2m_buf *b, const void *d, size_t n);
lwm2m_err lwm2m_buf_byte(lwm2m_buf *b, uint8_t c);
lwm2m_err lwm2m_buf_str(lwm2m_buf *b, const char *s);
/* Hands the bytes (NUL-terminated, not counted) to the caller. */
lwm2m_err lwm2m_buf_finish(lwm2m_buf *b, uint8_t **out, size_t *outlen);

/* Drops records [n0, r->n), freeing their values. */
void lwm2m_records_truncate(lwm2m_records *r, size_t n0);
/* Appends a record taking ownership of v's data (v is zeroed). */
lwm2m_err lwm2m_records_take(lwm2m_records *r, const lwm2m_path *p,
                             lwm2m_value *v);

/* Strict decimal parsers for a whole span (no sign/space surprises). */
lwm2m_err lwm2m_parse_i64(const char *s, size_t n, int64_t *out);
lwm2m_err lwm2m_parse_u64(const char *s, size_t n, uint64_t *out);
lwm2m_err lwm2m_parse_double(const char *s, size_t n, double *out);
/* "3:0" → obj, inst (each 0..65535). */
lwm2m_err lwm2m_parse_objlnk(const char *s, size_t n, uint16_t *obj,
                             uint16_t *inst);
/* Shortest decimal text that reads back as the same double. */
int lwm2m_format_double(double f, char *buf, size_t size);

/* UTF-8: 1 if s[0..n) is valid; a copy with U+FFFD for each bad byte
 * (malloc'ed, NUL-terminated; NULL when out of memory). */
int lwm2m_utf8_valid(const uint8_t *s, size_t n);
char *lwm2m_utf8_sanitize(const uint8_t *s, size_t n, size_t *outlen);

/* Types a numeric SenML/JSON value for path p: `isint` says the wire value
 * was an integer (i or u exact), else f. Applies the model rule of
 * lwm2m_decode. */
lwm2m_err lwm2m_number_value(const lwm2m_path *p, int isint, int neg,
                             int64_t i, uint64_t u, double f,
                             lwm2m_value *out);
/* Checks a wire value kind against the model type of p (LWM2M_ERR_TYPE on
 * mismatch); `kind` is the type the wire value carries. */
lwm2m_err lwm2m_model_check(const lwm2m_path *p, lwm2m_type kind);

/* Resolves a SenML/LwM2M-JSON name: prefix + name must be a resource or
 * resource instance within base. */
lwm2m_err lwm2m_resolve_name(const char *prefix, size_t plen, const char *name,
                             size_t nlen, const lwm2m_path *base,
                             lwm2m_path *out);

/* CBOR items (cbor_io.c). Text and bytes point into the input. */
enum { I_BAD, I_UINT, I_NEGINT, I_FLOAT, I_TEXT, I_BYTES, I_BOOL, I_ARRAY,
       I_MAP };
typedef struct {
	int kind;
	uint64_t u;      /* UINT value, NEGINT n (value -1-n), ARRAY/MAP count */
	double f;
	const uint8_t *d;
	size_t len;
} lwm2m_cbor_item;
typedef struct {
	const uint8_t *p;
	size_t n, pos;
} lwm2m_cbor_reader;
void lwm2m_cbor_reader_init(lwm2m_cbor_reader *r, const uint8_t *p, size_t n);
/* The next item; LWM2M_ERR_MALFORMED at the end, on bad or refused items,
 * and for containers that cannot fit in the remaining bytes. */
lwm2m_err lwm2m_cbor_next(lwm2m_cbor_reader *r, lwm2m_cbor_item *it);
lwm2m_err lwm2m_cbor_put_item(lwm2m_buf *b, size_t w, const uint8_t *tmp);
lwm2m_err lwm2m_cbor_put_uint(lwm2m_buf *b, uint64_t u);
lwm2m_err lwm2m_cbor_put_int(lwm2m_buf *b, int64_t i);
lwm2m_err lwm2m_cbor_put_text(lwm2m_buf *b, const void *s, size_t n,
                              int bytes);
/* One value as its CBOR item (objlnk as text "3:0"). */
lwm2m_err lwm2m_cbor_put_value(lwm2m_buf *b, const lwm2m_value *v);

lwm2m_err lwm2m_tlv_encode(const lwm2m_path *base, const lwm2m_records *in,
                           lwm2m_buf *out);
lwm2m_err lwm2m_tlv_decode(const lwm2m_path *base, const uint8_t *in,
                           size_t n, lwm2m_records *out);
lwm2m_err lwm2m_text_encode(const lwm2m_path *base, const lwm2m_records *in,
                            lwm2m_buf *out);
lwm2m_err lwm2m_text_decode(const lwm2m_path *base, const uint8_t *in,
                            size_t n, lwm2m_records *out);
lwm2m_err lwm2m_senml_json_encode(const lwm2m_path *base,
                                  const lwm2m_records *in, lwm2m_buf *out);
lwm2m_err lwm2m_senml_json_decode(const lwm2m_path *base, const uint8_t *in,
                                  size_t n, lwm2m_records *out);
lwm2m_err lwm2m_senml_cbor_encode(const lwm2m_path *base,
                                  const lwm2m_records *in, lwm2m_buf *out);
lwm2m_err lwm2m_senml_cbor_decode(const lwm2m_path *base, const uint8_t *in,
                                  size_t n, lwm2m_records *out);
lwm2m_err lwm2m_cbor_encode(const lwm2m_path *base, const lwm2m_records *in,
                            lwm2m_buf *out);
lwm2m_err lwm2m_cbor_decode(const lwm2m_path *base, const uint8_t *in,
                            size_t n, lwm2m_records *out);
lwm2m_err lwm2m_lwm2m_json_decode(const lwm2m_path *base, const uint8_t *in,
                                  size_t n, lwm2m_records *out);

#endif
