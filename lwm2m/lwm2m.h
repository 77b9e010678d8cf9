/*
 * lwm2m.h: the LwM2M protocol library shared by nusimd and nusim-client.
 *
 * Paths, typed values, the object model (0, 1, 3, 4, 507, 508; any other
 * object is handled without a model), the content codecs, CoRE link format
 * and registration query parsing. No I/O here: callers hand in bytes and get
 * bytes or records back. Every decoder is bounded by the length it is given
 * and fails with LWM2M_ERR_MALFORMED rather than read past it.
 *
 * Ownership: functions that fill an lwm2m_records or lwm2m_links append to
 * it; the caller frees it with lwm2m_records_free / lwm2m_links_free. Output
 * buffers returned through uint8_t ** are malloc'ed and the caller's to free.
 */
#ifndef LWM2M_LWM2M_H
#define LWM2M_LWM2M_H

#include <stddef.h>
#include <stdint.h>

/* One error enum for the library, 0 = OK. */
typedef enum {
	LWM2M_OK = 0,
	LWM2M_ERR_NOMEM,       /* allocation failed */
	LWM2M_ERR_MALFORMED,   /* input does not parse */
	LWM2M_ERR_TOO_LARGE,   /* input or output over a documented bound */
	LWM2M_ERR_TYPE,        /* a value of the wrong type for its resource */
	LWM2M_ERR_PATH,        /* bad path, or a record outside the base path */
	LWM2M_ERR_UNSUPPORTED, /* content format or operation not supported */
	LWM2M_ERR_NOT_FOUND,   /* no such object, instance or resource */
} lwm2m_err;

const char *lwm2m_strerror(lwm2m_err e);

/* ---- paths ----------------------------------------------------------- */

#define LWM2M_MAX_ID 65534 /* 65535 is reserved by the spec */

/* /obj/inst/res/resinst; len says how many ids are set (0 = root "/"). */
typedef struct {
	uint16_t id[4];
	uint8_t len;
} lwm2m_path;

/* Parses "/3/0/1", "3/0/1", "/3/0/" (trailing slash allowed), "/" or "".
 * n is the length of s (s need not be NUL-terminated). */
lwm2m_err lwm2m_path_parse(const char *s, size_t n, lwm2m_path *out);
/* Writes "/3/0/1" ("/" for the root); returns the length, or -1 if buf is
 * too small. */
int lwm2m_path_format(const lwm2m_path *p, char *buf, size_t size);
/* 1 if `inner` equals `outer` or lies below it. */
int lwm2m_path_within(const lwm2m_path *outer, const lwm2m_path *inner);
int lwm2m_path_cmp(const lwm2m_path *a, const lwm2m_path *b);

/* ---- values and records --------------------------------------------- */

typedef enum {
	LWM2M_T_NONE = 0,
	LWM2M_T_STRING,
	LWM2M_T_INTEGER,
	LWM2M_T_UNSIGNED,
	LWM2M_T_FLOAT,
	LWM2M_T_BOOLEAN,
	LWM2M_T_OPAQUE,
	LWM2M_T_TIME,    /* seconds since the epoch, kept in v.i */
	LWM2M_T_OBJLNK,
	LWM2M_T_CORELNK, /* link-format text, kept in data/len */
} lwm2m_type;

const char *lwm2m_type_name(lwm2m_type t); /* "string", "integer", ... */
/* Parses a type name as lwm2m_type_name writes it; LWM2M_T_NONE if unknown. */
lwm2m_type lwm2m_type_from_name(const char *s);

/* A typed value. STRING, OPAQUE and CORELNK own `data` (malloc'ed, len
 * bytes, with one extra NUL byte after them so strings can be printed). */
typedef struct {
	lwm2m_type type;
	union {
		int64_t i;   /* INTEGER, TIME */
		uint64_t u;  /* UNSIGNED */
		double f;    /* FLOAT */
		int b;       /* BOOLEAN: 0 or 1 */
		struct {
			uint16_t obj, inst;
		} lnk;       /* OBJLNK */
	} v;
	uint8_t *data;
	size_t len;
} lwm2m_value;

/* A resource (path len 3) or resource instance (len 4) with its value. */
typedef struct {
	lwm2m_path path;
	lwm2m_value value;
} lwm2m_record;

typedef struct {
	lwm2m_record *rec;
	size_t n, cap;
} lwm2m_records;

void lwm2m_records_init(lwm2m_records *r);
void lwm2m_records_free(lwm2m_records *r);
/* Appends a record; the value's data is copied. */
lwm2m_err lwm2m_records_add(lwm2m_records *r, const lwm2m_path *p,
                            const lwm2m_value *v);
/* Convenience appenders; `s` is copied. */
lwm2m_err lwm2m_records_add_string(lwm2m_records *r, const lwm2m_path *p,
                                   const char *s, size_t n);
lwm2m_err lwm2m_records_add_opaque(lwm2m_records *r, const lwm2m_path *p,
                                   const uint8_t *d, size_t n);
lwm2m_err lwm2m_records_add_int(lwm2m_records *r, const lwm2m_path *p,
                                int64_t i);
/* Sorts by path, so encoders can group instances and multiple resources. */
void lwm2m_records_sort(lwm2m_records *r);
void lwm2m_value_free(lwm2m_value *v);

/* Converts a value to `want` where the conversion is exact: OPAQUE (how TLV
 * hands over values it cannot type) to any type using the TLV rules for
 * integer, float, boolean, objlnk and time widths; INTEGER to UNSIGNED and
 * back when in range; a whole FLOAT to INTEGER. */
lwm2m_err lwm2m_value_convert(lwm2m_value *v, lwm2m_type want);

/* ---- the object model ----------------------------------------------- */

enum { LWM2M_OP_R = 1, LWM2M_OP_W = 2, LWM2M_OP_E = 4 };

typedef struct {
	uint16_t id;
	const char *name;
	lwm2m_type type;      /* LWM2M_T_NONE for executable resources */
	uint8_t ops;          /* LWM2M_OP_* bits */
	uint8_t multiple;     /* multiple-instance resource */
	uint8_t mandatory;
} lwm2m_resource_def;

typedef struct {
	uint16_t id;
	const char *name;
	const char *version;  /* object version, e.g. "1.0" */
	uint8_t multiple;     /* multiple-instance object */
	uint8_t mandatory;
	size_t nres;
	const lwm2m_resource_def *res;
} lwm2m_object_def;

/* The built-in definitions of objects 0, 1, 3, 4, 507 and 508; NULL for any
 * other object or resource (callers then treat values as opaque/untyped). */
const lwm2m_object_def *lwm2m_model_object(uint16_t obj);
const lwm2m_resource_def *lwm2m_model_resource(uint16_t obj, uint16_t res);
/* The type the model gives a path's resource, LWM2M_T_NONE if unknown. */
lwm2m_type lwm2m_model_type(const lwm2m_path *p);

/* ---- content formats ------------------------------------------------- */

/* CoAP Content-Format numbers. */
typedef enum {
	LWM2M_CF_TEXT = 0,
	LWM2M_CF_LINK = 40,
	LWM2M_CF_OPAQUE = 42,
	LWM2M_CF_CBOR = 60,
	LWM2M_CF_SENML_JSON = 110,
	LWM2M_CF_SENML_CBOR = 112,
	LWM2M_CF_TLV = 11542,
	LWM2M_CF_LWM2M_JSON = 11543,
	LWM2M_CF_NONE = -1,
} lwm2m_format;

/* "tlv", "senml-json", "senml-cbor", "lwm2m-json", "text", "opaque",
 * "link", "cbor"; LWM2M_CF_NONE for anything else. */
lwm2m_format lwm2m_format_from_name(const char *s);
const char *lwm2m_format_name(lwm2m_format f);

/* Bound on what a codec will decode or encode: 64 KiB payloads (block-wise
 * transfers up to that size) and at most this many records. */
#define LWM2M_MAX_PAYLOAD (64 * 1024)
#define LWM2M_MAX_RECORDS 4096

/*
 * Encodes records below `base` (the request path: an object, instance,
 * resource or resource instance) in format `f`.
 *  - TLV: relative to base as the spec's examples do it: a Read of /3/0 is a
 *    list of resource TLVs; a base of /3 (or a Create on /507) wraps each
 *    instance in an object-instance TLV; multiple resources become a
 *    multiple-resource TLV of resource-instance TLVs; a single resource base
 *    (/3/0/0) encodes that resource alone. Typed values use the shortest
 *    integer width, 4- or 8-byte floats (4 when exact), 1-byte booleans,
 *    4-byte objlnk (obj, inst big-endian).
 *  - SenML JSON / SenML CBOR: one record each, bn = the base path with a
 *    trailing "/" on the first record, n relative to it; v, vs, vb, vd, vlo
 *    by type.
 *  - TEXT and OPAQUE: exactly one record whose path equals base (a single
 *    resource or resource instance); OPAQUE only for OPAQUE values.
 *  - CBOR (60): like TEXT, the one value as a plain CBOR item (objlnk as
 *    text "3:0"); decoded by the model's type, else by the item's kind.
 *  - LWM2M JSON: LWM2M_ERR_UNSUPPORTED (decode only, as in DESIGN §4).
 * Every record must lie within base (LWM2M_ERR_PATH otherwise).
 */
lwm2m_err lwm2m_encode(lwm2m_format f, const lwm2m_path *base,
                       const lwm2m_records *in, uint8_t **out, size_t *outlen);

/*
 * Decodes a payload of format `f` that answers a request on `base`, and
 * appends its records with full paths. Types: SenML and LwM2M JSON carry
 * their own (v → FLOAT unless the model says INTEGER/UNSIGNED/TIME and the
 * value is whole, vs → STRING, vb → BOOLEAN, vd → OPAQUE, vlo → OBJLNK); TLV
 * and TEXT carry none, so the model's type for the path is applied (TEXT is
 * parsed as that type; TLV bytes converted by lwm2m_value_convert), and a
 * path the model does not know stays OPAQUE (TLV) or STRING (TEXT).
 * Records outside base are rejected (LWM2M_ERR_PATH). Payloads over
 * LWM2M_MAX_PAYLOAD, or with more than LWM2M_MAX_RECORDS records, are
 * LWM2M_ERR_TOO_LARGE. On error `out` is left as it was.
 */
lwm2m_err lwm2m_decode(lwm2m_format f, const lwm2m_path *base,
                       const uint8_t *in, size_t inlen, lwm2m_records *out);

/* ---- CoRE link format (RFC 6690) ------------------------------------ */

typedef struct {
	char *name;   /* attribute name, e.g. "ver", "rt", "ct", "pmin" */
	char *value;  /* unquoted value, or NULL for a bare attribute */
} lwm2m_link_attr;

typedef struct {
	char *target;       /* what stands between < and >, e.g. "/3/0" */
	lwm2m_path path;    /* target parsed as a path; len 0 if it is not one */
	int is_path;        /* 1 if target parsed as an LwM2M path */
	size_t nattr;
	lwm2m_link_attr *attr;
} lwm2m_link;

typedef struct {
	lwm2m_link *link;
	size_t n, cap;
} lwm2m_links;

#define LWM2M_MAX_LINKS 1024
#define LWM2M_MAX_LINK_PAYLOAD (16 * 1024)

void lwm2m_links_init(lwm2m_links *l);
void lwm2m_links_free(lwm2m_links *l);
/* Parses `</1/0>,</3/0>;ver=1.1,</>;rt="oma.lwm2m";ct=11543`. Bounded by
 * LWM2M_MAX_LINK_PAYLOAD and LWM2M_MAX_LINKS (LWM2M_ERR_TOO_LARGE). */
lwm2m_err lwm2m_links_parse(const char *in, size_t n, lwm2m_links *out);
/* Value of attribute `name` on a link, NULL if absent (or bare). */
const char *lwm2m_link_attr_get(const lwm2m_link *l, const char *name);
/* Writes the links back out in link format (malloc'ed, NUL-terminated). */
lwm2m_err lwm2m_links_format(const lwm2m_links *l, char **out, size_t *outlen);
/* Appends a link; target and attribute strings are copied. */
lwm2m_err lwm2m_links_add(lwm2m_links *l, const char *target,
                          const lwm2m_link_attr *attr, size_t nattr);

/* ---- registration query (LwM2M Register / Update) -------------------- */

#define LWM2M_MAX_EP 128

typedef struct {
	char endpoint[LWM2M_MAX_EP + 1]; /* ep= (Register only) */
	int has_endpoint;
	int64_t lifetime;                /* lt=, seconds; -1 if absent */
	char version[8];                 /* lwm2m=, e.g. "1.1"; "" if absent */
	char binding[8];                 /* b=, e.g. "U", "UQ"; "" if absent */
	int queue_mode;                  /* b contains Q (1.0), or the Q option (1.1+) */
	char sms[32];                    /* sms= MSISDN; "" if absent */
	int has_sms;
} lwm2m_reg_query;

/*
 * Parses the Uri-Query options of a Register or Update, one option a
 * string (as CoAP carries them, so `&` inside a value is no problem).
 * Rejects: an unknown version (only 1.0, 1.1, 1.2), a lifetime that is not
 * a positive integer, an endpoint name over LWM2M_MAX_EP or with control
 * characters, a binding with letters other than U, S, N, T, Q, a repeated
 * parameter. Unknown parameters are ignored (the spec allows extensions).
 * `err` gets a short reason on failure.
 */
lwm2m_err lwm2m_reg_query_parse(const char *const *opts, const size_t *lens,
                                size_t nopts, lwm2m_reg_query *out,
                                char *err, size_t errlen);

/* ---- base64 (standard with padding, and base64url without) ------------ */

/* Output is malloc'ed and NUL-terminated. decode rejects bad characters,
 * bad padding and (for standard) missing padding. */
lwm2m_err lwm2m_base64_encode(const uint8_t *in, size_t n, int url,
                              char **out, size_t *outlen);
lwm2m_err lwm2m_base64_decode(const char *in, size_t n, int url,
                              uint8_t **out, size_t *outlen);

#endif
