/*
 * objects.c: the object store of one simulated device (see objects.h).
 *
 * Three sorted arrays: supported objects, existing instances, and resource
 * values as lwm2m_record. A device has some tens of values, so linear scans
 * are both simple and fast enough, also for fleets of 10,000 devices.
 */
#include "client/objects.h"
#include "client/json_enc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	uint16_t id;
	char ver[8];
} obj_entry;

typedef struct {
	uint16_t obj, inst;
} inst_entry;

typedef struct {
	lwm2m_path path;
	obj_attrs a;
	uint64_t last_ms;     /* last notification (or when attributes came) */
	double last_v;        /* numeric value at the last notification */
	uint8_t has_last_v;
	uint8_t pending;      /* a change waits for pmin */
} attr_entry;

struct objstore {
	obj_entry *objs;
	size_t nobjs;
	inst_entry *insts;
	size_t ninsts;
	lwm2m_record *rec;    /* sorted by path_order */
	size_t nrec, caprec;
	attr_entry *attrs;
	size_t nattrs;
	objstore_change_fn change;
	void *change_arg;
};

static const char *const obj_errs[] = {
	[OBJ_OK] = "ok",
	[OBJ_ERR_NOT_FOUND] = "not found",
	[OBJ_ERR_NOT_ALLOWED] = "operation not allowed",
	[OBJ_ERR_BAD_REQUEST] = "bad request",
	[OBJ_ERR_FORMAT] = "unsupported content format",
	[OBJ_ERR_NOT_ACCEPTABLE] = "not acceptable",
	[OBJ_ERR_TOO_LARGE] = "too large",
	[OBJ_ERR_NOMEM] = "out of memory",
};

const char *obj_strerror(obj_rc rc)
{
	if ((unsigned)rc < sizeof obj_errs / sizeof obj_errs[0])
		return obj_errs[rc];
	return "unknown error";
}

/* Parents sort before children, siblings by id: the order encoders want. */
static int path_order(const lwm2m_path *a, const lwm2m_path *b)
{
	uint8_t n = a->len < b->len ? a->len : b->len;
	for (uint8_t i = 0; i < n; i++)
		if (a->id[i] != b->id[i])
			return a->id[i] < b->id[i] ? -1 : 1;
	return (int)a->len - (int)b->len;
}

/* 1 if `in` equals `out` or lies below it. */
static int path_under(const lwm2m_path *out, const lwm2m_path *in)
{
	if (in->len < out->len)
		return 0;
	for (uint8_t i = 0; i < out->len; i++)
		if (in->id[i] != out->id[i])
			return 0;
	return 1;
}

static lwm2m_path mkpath(uint8_t len, uint16_t a, uint16_t b, uint16_t c,
                         uint16_t d)
{
	lwm2m_path p = { { a, b, c, d }, len };
	return p;
}

static void notify(objstore *s, const lwm2m_path *p)
{
	if (s->change)
		s->change(s->change_arg, p);
}

obj_rc obj_value_copy(lwm2m_value *dst, const lwm2m_value *src)
{
	*dst = *src;
	dst->data = NULL;
	if (src->type == LWM2M_T_STRING || src->type == LWM2M_T_OPAQUE ||
	    src->type == LWM2M_T_CORELNK || src->data) {
		dst->data = malloc(src->len + 1);
		if (!dst->data)
			return OBJ_ERR_NOMEM;
		if (src->len)
			memcpy(dst->data, src->data, src->len);
		dst->data[src->len] = 0;
	}
	return OBJ_OK;
}

static void value_clear(lwm2m_value *v)
{
	free(v->data);
	memset(v, 0, sizeof *v);
}

objstore *objstore_new(void)
{
	return calloc(1, sizeof(objstore));
}

void objstore_free(objstore *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrec; i++)
		value_clear(&s->rec[i].value);
	free(s->rec);
	free(s->objs);
	free(s->insts);
	free(s->attrs);
	free(s);
}

void objstore_on_change(objstore *s, objstore_change_fn fn, void *arg)
{
	s->change = fn;
	s->change_arg = arg;
}

void objstore_changed(objstore *s, const lwm2m_path *p)
{
	notify(s, p);
}

/* ---- objects and instances ------------------------------------------ */

obj_rc objstore_add_object(objstore *s, uint16_t obj, const char *ver)
{
	size_t i = 0;
	while (i < s->nobjs && s->objs[i].id < obj)
		i++;
	if (i < s->nobjs && s->objs[i].id == obj)
		return OBJ_OK;
	obj_entry *n = realloc(s->objs, (s->nobjs + 1) * sizeof *n);
	if (!n)
		return OBJ_ERR_NOMEM;
	s->objs = n;
	memmove(&n[i + 1], &n[i], (s->nobjs - i) * sizeof *n);
	memset(&n[i], 0, sizeof n[i]);
	n[i].id = obj;
	if (!ver) {
		const lwm2m_object_def *d = lwm2m_model_object(obj);
		ver = d && d->version ? d->version : "";
	}
	snprintf(n[i].ver, sizeof n[i].ver, "%s", ver);
	s->nobjs++;
	return OBJ_OK;
}

int objstore_has_object(const objstore *s, uint16_t obj)
{
	for (size_t i = 0; i < s->nobjs; i++)
		if (s->objs[i].id == obj)
			return 1;
	return 0;
}

int objstore_has_instance(const objstore *s, uint16_t obj, uint16_t inst)
{
	for (size_t i = 0; i < s->ninsts; i++)
		if (s->insts[i].obj == obj && s->insts[i].inst == inst)
			return 1;
	return 0;
}

static size_t count_instances(const objstore *s, uint16_t obj)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ninsts; i++)
		n += s->insts[i].obj == obj;
	return n;
}

obj_rc objstore_add_instance(objstore *s, uint16_t obj, uint16_t inst)
{
	if (inst > LWM2M_MAX_ID)
		return OBJ_ERR_BAD_REQUEST;
	obj_rc rc = objstore_add_object(s, obj, NULL);
	if (rc)
		return rc;
	size_t i = 0;
	while (i < s->ninsts && (s->insts[i].obj < obj ||
	       (s->insts[i].obj == obj && s->insts[i].inst < inst)))
		i++;
	if (i < s->ninsts && s->insts[i].obj == obj && s->insts[i].inst == inst)
		return OBJ_OK;
	inst_entry *n = realloc(s->insts, (s->ninsts + 1) * sizeof *n);
	if (!n)
		return OBJ_ERR_NOMEM;
	s->insts = n;
	memmove(&n[i + 1], &n[i], (s->ninsts - i) * sizeof *n);
	n[i].obj = obj;
	n[i].inst = inst;
	s->ninsts++;
	return OBJ_OK;
}

int objstore_free_instance_id(const objstore *s, uint16_t obj)
{
	for (uint32_t id = 0; id <= LWM2M_MAX_ID; id++)
		if (!objstore_has_instance(s, obj, (uint16_t)id))
			return (int)id;
	return -1;
}

/* ---- values ---------------------------------------------------------- */

/* Index of the record with exactly path p, or where it would go (*found 0). */
static size_t rec_find(const objstore *s, const lwm2m_path *p, int *found)
{
	size_t lo = 0, hi = s->nrec;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = path_order(&s->rec[mid].path, p);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

static void rec_remove_at(objstore *s, size_t i)
{
	value_clear(&s->rec[i].value);
	memmove(&s->rec[i], &s->rec[i + 1], (s->nrec - i - 1) * sizeof s->rec[0]);
	s->nrec--;
}

/* Removes every record at or below p; returns how many. */
static size_t rec_remove_under(objstore *s, const lwm2m_path *p)
{
	size_t removed = 0;
	for (size_t i = 0; i < s->nrec;) {
		if (path_under(p, &s->rec[i].path)) {
			rec_remove_at(s, i);
			removed++;
		} else {
			i++;
		}
	}
	return removed;
}

static obj_rc set_nonotify(objstore *s, const lwm2m_path *p,
                           const lwm2m_value *v)
{
	if (p->len < 3 || !objstore_has_instance(s, p->id[0], p->id[1]))
		return OBJ_ERR_NOT_FOUND;
	lwm2m_value copy;
	obj_rc rc = obj_value_copy(&copy, v);
	if (rc)
		return rc;
	if (p->len == 3) {
		/* A single value replaces any instances of the resource. */
		lwm2m_path res = *p;
		int found;
		size_t i = rec_find(s, p, &found);
		if (found) {
			value_clear(&s->rec[i].value);
			s->rec[i].value = copy;
			return OBJ_OK;
		}
		rec_remove_under(s, &res);
	} else {
		/* A resource instance replaces a single value of the resource. */
		lwm2m_path res = *p;
		res.len = 3;
		int found;
		size_t i = rec_find(s, &res, &found);
		if (found)
			rec_remove_at(s, i);
	}
	int found;
	size_t i = rec_find(s, p, &found);
	if (found) {
		value_clear(&s->rec[i].value);
		s->rec[i].value = copy;
		return OBJ_OK;
	}
	if (s->nrec == s->caprec) {
		size_t cap = s->caprec ? s->caprec * 2 : 32;
		lwm2m_record *n = realloc(s->rec, cap * sizeof *n);
		if (!n) {
			value_clear(&copy);
			return OBJ_ERR_NOMEM;
		}
		s->rec = n;
		s->caprec = cap;
	}
	memmove(&s->rec[i + 1], &s->rec[i], (s->nrec - i) * sizeof s->rec[0]);
	s->rec[i].path = *p;
	s->rec[i].value = copy;
	s->nrec++;
	return OBJ_OK;
}

obj_rc objstore_set(objstore *s, const lwm2m_path *p, const lwm2m_value *v)
{
	obj_rc rc = set_nonotify(s, p, v);
	if (rc == OBJ_OK)
		notify(s, p);
	return rc;
}

obj_rc objstore_set_string(objstore *s, const lwm2m_path *p, const char *str)
{
	lwm2m_value v = { .type = LWM2M_T_STRING, .data = (uint8_t *)str,
	                  .len = strlen(str) };
	return objstore_set(s, p, &v);
}

obj_rc objstore_set_int(objstore *s, const lwm2m_path *p, lwm2m_type t,
                        int64_t i)
{
	lwm2m_value v = { .type = t };
	switch (t) {
	case LWM2M_T_UNSIGNED: v.v.u = (uint64_t)i; break;
	case LWM2M_T_BOOLEAN: v.v.b = i != 0; break;
	case LWM2M_T_FLOAT: v.v.f = (double)i; break;
	default: v.v.i = i; break;
	}
	return objstore_set(s, p, &v);
}

obj_rc objstore_set_opaque(objstore *s, const lwm2m_path *p,
                           const uint8_t *d, size_t n)
{
	lwm2m_value v = { .type = LWM2M_T_OPAQUE, .data = (uint8_t *)d, .len = n };
	return objstore_set(s, p, &v);
}

const lwm2m_value *objstore_get(const objstore *s, const lwm2m_path *p)
{
	int found;
	size_t i = rec_find(s, p, &found);
	return found ? &s->rec[i].value : NULL;
}

obj_rc objstore_unset(objstore *s, const lwm2m_path *p)
{
	if (p->len < 3)
		return OBJ_ERR_NOT_ALLOWED;
	if (!rec_remove_under(s, p))
		return OBJ_ERR_NOT_FOUND;
	notify(s, p);
	return OBJ_OK;
}

/* ---- read ------------------------------------------------------------- */

/* Whether p names something that exists (for Read, Observe, attributes). */
static obj_rc path_exists(const objstore *s, const lwm2m_path *p)
{
	if (p->len == 0)
		return OBJ_ERR_NOT_ALLOWED;
	if (!objstore_has_object(s, p->id[0]))
		return OBJ_ERR_NOT_FOUND;
	if (p->len == 1)
		return OBJ_OK;
	if (!objstore_has_instance(s, p->id[0], p->id[1]))
		return OBJ_ERR_NOT_FOUND;
	if (p->len == 2)
		return OBJ_OK;
	for (size_t i = 0; i < s->nrec; i++)
		if (path_under(p, &s->rec[i].path))
			return OBJ_OK;
	if (p->len == 3) {
		const lwm2m_resource_def *d = lwm2m_model_resource(p->id[0], p->id[2]);
		if (d && (d->ops & LWM2M_OP_E))
			return OBJ_ERR_NOT_ALLOWED;
		/* A multiple resource with no instances still exists. */
		if (d && d->multiple)
			return OBJ_OK;
	}
	return OBJ_ERR_NOT_FOUND;
}

obj_rc objstore_read(const objstore *s, const lwm2m_path *p,
                     lwm2m_records *out)
{
	obj_rc rc = path_exists(s, p);
	if (rc)
		return rc;
	for (size_t i = 0; i < s->nrec; i++) {
		if (!path_under(p, &s->rec[i].path))
			continue;
		if (lwm2m_records_add(out, &s->rec[i].path, &s->rec[i].value))
			return OBJ_ERR_NOMEM;
	}
	return OBJ_OK;
}

static obj_rc map_codec_err(lwm2m_err e, int decoding)
{
	switch (e) {
	case LWM2M_OK: return OBJ_OK;
	case LWM2M_ERR_NOMEM: return OBJ_ERR_NOMEM;
	case LWM2M_ERR_TOO_LARGE: return OBJ_ERR_TOO_LARGE;
	case LWM2M_ERR_UNSUPPORTED:
		return decoding ? OBJ_ERR_FORMAT : OBJ_ERR_NOT_ACCEPTABLE;
	case LWM2M_ERR_NOT_FOUND: return OBJ_ERR_NOT_FOUND;
	default:
		return decoding ? OBJ_ERR_BAD_REQUEST : OBJ_ERR_NOT_ACCEPTABLE;
	}
}

obj_rc objstore_read_encoded(const objstore *s, const lwm2m_path *p,
                             lwm2m_format f, uint8_t **out, size_t *outlen)
{
	lwm2m_records r;
	lwm2m_records_init(&r);
	obj_rc rc = objstore_read(s, p, &r);
	if (rc)
		goto out;
	if (f == LWM2M_CF_TEXT || f == LWM2M_CF_OPAQUE) {
		/* Plain formats carry exactly one value, and opaque only bytes. */
		if (r.n != 1 || path_order(&r.rec[0].path, p) != 0 ||
		    (f == LWM2M_CF_OPAQUE &&
		     r.rec[0].value.type != LWM2M_T_OPAQUE)) {
			rc = OBJ_ERR_NOT_ACCEPTABLE;
			goto out;
		}
	}
	if (f == LWM2M_CF_LWM2M_JSON)
		rc = map_codec_err(json_enc_lwm2m(p, &r, out, outlen), 0);
	else
		rc = map_codec_err(lwm2m_encode(f, p, &r, out, outlen), 0);
out:
	lwm2m_records_free(&r);
	return rc;
}

/* ---- write, create, delete ------------------------------------------ */

/* Checks one record of a server write and gives it the model's type. */
static obj_rc check_record(const objstore *s, const lwm2m_path *base,
                           lwm2m_record *r, int creating)
{
	if (r->path.len < 3 || !path_under(base, &r->path))
		return OBJ_ERR_BAD_REQUEST;
	if (!creating && !objstore_has_instance(s, r->path.id[0], r->path.id[1]))
		return OBJ_ERR_NOT_FOUND;
	const lwm2m_resource_def *d =
		lwm2m_model_resource(r->path.id[0], r->path.id[2]);
	if (!d)
		return OBJ_OK; /* no model: keep whatever the server sent */
	if (!creating && !(d->ops & LWM2M_OP_W))
		return OBJ_ERR_NOT_ALLOWED;
	if (creating && (d->ops & LWM2M_OP_E))
		return OBJ_ERR_BAD_REQUEST;
	if (d->multiple != (r->path.len == 4))
		return OBJ_ERR_BAD_REQUEST;
	if (d->type != LWM2M_T_NONE && r->value.type != d->type &&
	    lwm2m_value_convert(&r->value, d->type) != LWM2M_OK)
		return OBJ_ERR_BAD_REQUEST;
	return OBJ_OK;
}

static int records_name_resource(const lwm2m_records *recs, uint16_t obj,
                                 uint16_t inst, uint16_t res)
{
	for (size_t i = 0; i < recs->n; i++) {
		const lwm2m_path *q = &recs->rec[i].path;
		if (q->id[0] == obj && q->id[1] == inst && q->id[2] == res)
			return 1;
	}
	return 0;
}

/* Applies checked records; the only failure left is running out of memory. */
static obj_rc apply_records(objstore *s, const lwm2m_path *p,
                            const lwm2m_records *recs, int replace)
{
	if (replace && p->len == 2) {
		/* Replace of an instance: writable resources it omits go. */
		for (size_t i = 0; i < s->nrec;) {
			lwm2m_path *q = &s->rec[i].path;
			const lwm2m_resource_def *d =
				lwm2m_model_resource(q->id[0], q->id[2]);
			if (path_under(p, q) && (!d || (d->ops & LWM2M_OP_W)) &&
			    !records_name_resource(recs, q->id[0], q->id[1],
			                           q->id[2]))
				rec_remove_at(s, i);
			else
				i++;
		}
	}
	if (replace) {
		/* A resource named in a replace loses its old instances. */
		for (size_t i = 0; i < recs->n; i++) {
			lwm2m_path res = recs->rec[i].path;
			res.len = 3;
			int seen = 0;
			for (size_t j = 0; j < i; j++) {
				lwm2m_path pj = recs->rec[j].path;
				pj.len = 3;
				seen |= path_order(&pj, &res) == 0;
			}
			if (!seen)
				rec_remove_under(s, &res);
		}
	}
	for (size_t i = 0; i < recs->n; i++) {
		obj_rc rc = set_nonotify(s, &recs->rec[i].path, &recs->rec[i].value);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < recs->n; i++)
		notify(s, &recs->rec[i].path);
	if (replace && p->len == 2)
		notify(s, p);
	return OBJ_OK;
}

obj_rc objstore_write_records(objstore *s, const lwm2m_path *p,
                              const lwm2m_records *in, int replace)
{
	if (p->len < 2)
		return OBJ_ERR_NOT_ALLOWED;
	if (!objstore_has_instance(s, p->id[0], p->id[1]))
		return OBJ_ERR_NOT_FOUND;
	if (p->len >= 3) {
		const lwm2m_resource_def *d = lwm2m_model_resource(p->id[0], p->id[2]);
		if (d && !(d->ops & LWM2M_OP_W))
			return OBJ_ERR_NOT_ALLOWED;
	}
	if (in->n == 0)
		return p->len >= 3 ? OBJ_ERR_BAD_REQUEST : OBJ_OK;
	/* Work on a copy so type conversions never touch the caller's records. */
	lwm2m_records recs;
	lwm2m_records_init(&recs);
	obj_rc rc = OBJ_OK;
	for (size_t i = 0; i < in->n && !rc; i++)
		if (lwm2m_records_add(&recs, &in->rec[i].path, &in->rec[i].value))
			rc = OBJ_ERR_NOMEM;
	for (size_t i = 0; i < recs.n && !rc; i++)
		rc = check_record(s, p, &recs.rec[i], 0);
	if (!rc)
		rc = apply_records(s, p, &recs, replace);
	lwm2m_records_free(&recs);
	return rc;
}

obj_rc objstore_write(objstore *s, const lwm2m_path *p, lwm2m_format f,
                      const uint8_t *in, size_t inlen, int replace)
{
	if (p->len < 2)
		return OBJ_ERR_NOT_ALLOWED;
	if (!objstore_has_instance(s, p->id[0], p->id[1]))
		return OBJ_ERR_NOT_FOUND;
	lwm2m_records recs;
	lwm2m_records_init(&recs);
	obj_rc rc = map_codec_err(lwm2m_decode(f, p, in, inlen, &recs), 1);
	if (!rc)
		rc = objstore_write_records(s, p, &recs, replace);
	lwm2m_records_free(&recs);
	return rc;
}

obj_rc objstore_create(objstore *s, uint16_t obj, lwm2m_format f,
                       const uint8_t *in, size_t inlen, uint16_t *new_inst)
{
	if (!objstore_has_object(s, obj))
		return OBJ_ERR_NOT_FOUND;
	const lwm2m_object_def *od = lwm2m_model_object(obj);
	if (obj == 0 || obj == 1 || (od && !od->multiple && count_instances(s, obj)))
		return OBJ_ERR_NOT_ALLOWED;
	lwm2m_path base = mkpath(1, obj, 0, 0, 0);
	lwm2m_records recs;
	lwm2m_records_init(&recs);
	obj_rc rc = OBJ_OK;
	int inst = -1;
	/* First as a payload that names its instance ... */
	if (inlen && lwm2m_decode(f, &base, in, inlen, &recs) == LWM2M_OK &&
	    recs.n) {
		inst = recs.rec[0].path.len >= 2 ? recs.rec[0].path.id[1] : -1;
		for (size_t i = 0; i < recs.n; i++)
			if (recs.rec[i].path.len < 3 ||
			    recs.rec[i].path.id[1] != inst)
				inst = -1;
		if (inst < 0) {
			lwm2m_records_free(&recs);
			lwm2m_records_init(&recs);
		}
	}
	/* ... else as the resources of a new instance with a free id. */
	if (inst < 0) {
		inst = objstore_free_instance_id(s, obj);
		if (inst < 0) {
			rc = OBJ_ERR_NOMEM;
			goto out;
		}
		base = mkpath(2, obj, (uint16_t)inst, 0, 0);
		if (inlen) {
			rc = map_codec_err(lwm2m_decode(f, &base, in, inlen, &recs), 1);
			if (rc)
				goto out;
		}
	}
	if (objstore_has_instance(s, obj, (uint16_t)inst)) {
		rc = OBJ_ERR_BAD_REQUEST;
		goto out;
	}
	lwm2m_path ip = mkpath(2, obj, (uint16_t)inst, 0, 0);
	for (size_t i = 0; i < recs.n && !rc; i++)
		rc = check_record(s, &ip, &recs.rec[i], 1);
	if (rc)
		goto out;
	rc = objstore_add_instance(s, obj, (uint16_t)inst);
	for (size_t i = 0; i < recs.n && !rc; i++)
		rc = set_nonotify(s, &recs.rec[i].path, &recs.rec[i].value);
	if (rc) {
		objstore_delete(s, &ip);
		goto out;
	}
	*new_inst = (uint16_t)inst;
	lwm2m_path op = mkpath(1, obj, 0, 0, 0);
	notify(s, &op);
out:
	lwm2m_records_free(&recs);
	return rc;
}

obj_rc objstore_delete(objstore *s, const lwm2m_path *p)
{
	if (p->len == 4) {
		if (!objstore_get(s, p))
			return OBJ_ERR_NOT_FOUND;
		return objstore_unset(s, p);
	}
	if (p->len != 2)
		return OBJ_ERR_NOT_ALLOWED;
	if (!objstore_has_instance(s, p->id[0], p->id[1]))
		return OBJ_ERR_NOT_FOUND;
	const lwm2m_object_def *od = lwm2m_model_object(p->id[0]);
	/* The device needs its Security, Server and single-instance objects. */
	if (p->id[0] == 0 || p->id[0] == 1 || p->id[0] == 3 ||
	    (od && !od->multiple))
		return OBJ_ERR_NOT_ALLOWED;
	rec_remove_under(s, p);
	for (size_t i = 0; i < s->nattrs;) {
		if (path_under(p, &s->attrs[i].path)) {
			memmove(&s->attrs[i], &s->attrs[i + 1],
			        (s->nattrs - i - 1) * sizeof s->attrs[0]);
			s->nattrs--;
		} else {
			i++;
		}
	}
	for (size_t i = 0; i < s->ninsts; i++) {
		if (s->insts[i].obj == p->id[0] && s->insts[i].inst == p->id[1]) {
			memmove(&s->insts[i], &s->insts[i + 1],
			        (s->ninsts - i - 1) * sizeof s->insts[0]);
			s->ninsts--;
			break;
		}
	}
	lwm2m_path op = mkpath(1, p->id[0], 0, 0, 0);
	notify(s, &op);
	return OBJ_OK;
}

obj_rc objstore_check_execute(const objstore *s, const lwm2m_path *p)
{
	if (p->len != 3)
		return OBJ_ERR_NOT_ALLOWED;
	if (!objstore_has_instance(s, p->id[0], p->id[1]))
		return OBJ_ERR_NOT_FOUND;
	const lwm2m_resource_def *d = lwm2m_model_resource(p->id[0], p->id[2]);
	if (d)
		return (d->ops & LWM2M_OP_E) ? OBJ_OK : OBJ_ERR_NOT_ALLOWED;
	lwm2m_path q = *p;
	for (size_t i = 0; i < s->nrec; i++)
		if (path_under(&q, &s->rec[i].path))
			return OBJ_ERR_NOT_ALLOWED;
	return OBJ_ERR_NOT_FOUND;
}

/* ---- attributes ------------------------------------------------------ */

static attr_entry *attr_find(const objstore *s, const lwm2m_path *p)
{
	for (size_t i = 0; i < s->nattrs; i++)
		if (path_order(&s->attrs[i].path, p) == 0)
			return &s->attrs[i];
	return NULL;
}

static obj_attrs attrs_unset(void)
{
	obj_attrs a = { .pmin = -1, .pmax = -1 };
	return a;
}

static int parse_i32(const char *v, int32_t *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 0 || n > INT32_MAX)
		return -1;
	*out = (int32_t)n;
	return 0;
}

static int parse_dbl(const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

obj_rc objstore_write_attrs(objstore *s, const lwm2m_path *p,
                            const char *query, size_t qlen)
{
	obj_rc rc = path_exists(s, p);
	if (rc)
		return rc;
	attr_entry *e = attr_find(s, p);
	obj_attrs a = e ? e->a : attrs_unset();
	size_t pos = 0;
	while (pos < qlen) {
		char tok[64];
		size_t end = pos;
		while (end < qlen && query[end] != '&')
			end++;
		if (end - pos >= sizeof tok || end == pos)
			return OBJ_ERR_BAD_REQUEST;
		memcpy(tok, query + pos, end - pos);
		tok[end - pos] = 0;
		pos = end + 1;
		char *val = strchr(tok, '=');
		if (val)
			*val++ = 0;
		if (!strcmp(tok, "pmin") || !strcmp(tok, "pmax")) {
			int32_t *dst = tok[1] == 'm' && tok[2] == 'i' ? &a.pmin : &a.pmax;
			if (!val)
				*dst = -1;
			else if (parse_i32(val, dst))
				return OBJ_ERR_BAD_REQUEST;
		} else if (!strcmp(tok, "gt") || !strcmp(tok, "lt") ||
		           !strcmp(tok, "st")) {
			double *dst = tok[0] == 'g' ? &a.gt : tok[0] == 'l' ? &a.lt : &a.st;
			uint8_t *has = tok[0] == 'g' ? &a.has_gt :
			               tok[0] == 'l' ? &a.has_lt : &a.has_st;
			if (p->len < 3)
				return OBJ_ERR_BAD_REQUEST; /* only on resources */
			if (!val) {
				*has = 0;
			} else {
				if (parse_dbl(val, dst))
					return OBJ_ERR_BAD_REQUEST;
				*has = 1;
			}
		} else if (!strcmp(tok, "epmin") || !strcmp(tok, "epmax")) {
			int32_t ignored;
			if (val && parse_i32(val, &ignored))
				return OBJ_ERR_BAD_REQUEST;
		} else {
			return OBJ_ERR_BAD_REQUEST;
		}
	}
	if (a.pmin >= 0 && a.pmax >= 0 && a.pmax < a.pmin)
		return OBJ_ERR_BAD_REQUEST;
	if (a.has_lt && a.has_gt && a.lt >= a.gt && a.has_st &&
	    a.lt + 2 * a.st >= a.gt)
		return OBJ_ERR_BAD_REQUEST; /* LwM2M 1.1 §5.1.2 */
	if (!e) {
		attr_entry *n = realloc(s->attrs, (s->nattrs + 1) * sizeof *n);
		if (!n)
			return OBJ_ERR_NOMEM;
		s->attrs = n;
		e = &n[s->nattrs++];
		e->path = *p;
	}
	e->a = a;
	e->last_ms = 0; /* the first notification decides */
	e->pending = 0;
	e->has_last_v = 0;
	return OBJ_OK;
}

/* The numeric value of a resource, for gt/lt/st; 0 if not numeric. */
static int numeric_value(const objstore *s, const lwm2m_path *p, double *out)
{
	const lwm2m_value *v = p->len >= 3 ? objstore_get(s, p) : NULL;
	if (!v)
		return 0;
	switch (v->type) {
	case LWM2M_T_INTEGER: *out = (double)v->v.i; return 1;
	case LWM2M_T_UNSIGNED: *out = (double)v->v.u; return 1;
	case LWM2M_T_FLOAT: *out = v->v.f; return 1;
	default: return 0;
	}
}

int objstore_notify_policy(objstore *s, const lwm2m_path *p, uint64_t now)
{
	attr_entry *e = attr_find(s, p);
	if (!e)
		return 1;
	double v;
	if ((e->a.has_gt || e->a.has_lt || e->a.has_st) && e->has_last_v &&
	    numeric_value(s, p, &v)) {
		double o = e->last_v;
		int cross_gt = e->a.has_gt && ((o <= e->a.gt) != (v <= e->a.gt));
		int cross_lt = e->a.has_lt && ((o < e->a.lt) != (v < e->a.lt));
		int step = e->a.has_st && fabs(v - o) >= e->a.st;
		if (!cross_gt && !cross_lt && !step)
			return 0;
	}
	if (e->a.pmin > 0 && e->last_ms &&
	    now < e->last_ms + (uint64_t)e->a.pmin * 1000u) {
		e->pending = 1;
		return 0;
	}
	return 1;
}

void objstore_notified(objstore *s, const lwm2m_path *p, uint64_t now)
{
	attr_entry *e = attr_find(s, p);
	if (!e)
		return;
	e->last_ms = now;
	e->pending = 0;
	e->has_last_v = (uint8_t)numeric_value(s, p, &e->last_v);
}

int64_t objstore_notify_due(objstore *s, uint64_t now,
                            void (*fire)(void *arg, const lwm2m_path *p),
                            void *arg)
{
	int64_t next = -1;
	for (size_t i = 0; i < s->nattrs; i++) {
		attr_entry *e = &s->attrs[i];
		if (!e->last_ms)
			e->last_ms = now; /* timers start when first seen */
		uint64_t due = UINT64_MAX;
		if (e->pending)
			due = e->last_ms + (uint64_t)(e->a.pmin > 0 ? e->a.pmin : 0) * 1000u;
		if (e->a.pmax > 0) {
			uint64_t d = e->last_ms + (uint64_t)e->a.pmax * 1000u;
			if (d < due)
				due = d;
		}
		if (due == UINT64_MAX)
			continue;
		if (due <= now) {
			lwm2m_path p = e->path;
			objstore_notified(s, &p, now);
			fire(arg, &p);
			e = &s->attrs[i]; /* fire may not change attrs, but be safe */
			due = e->a.pmax > 0 ? now + (uint64_t)e->a.pmax * 1000u
			                    : UINT64_MAX;
			if (due == UINT64_MAX)
				continue;
		}
		int64_t in = (int64_t)(due - now);
		if (next < 0 || in < next)
			next = in;
	}
	return next;
}

obj_attrs objstore_attrs(const objstore *s, const lwm2m_path *p)
{
	obj_attrs out = attrs_unset();
	lwm2m_path q = *p;
	for (int first = 1; q.len > 0; q.len--, first = 0) {
		const attr_entry *e = attr_find(s, &q);
		if (!e)
			continue;
		if (out.pmin < 0)
			out.pmin = e->a.pmin;
		if (out.pmax < 0)
			out.pmax = e->a.pmax;
		if (first) {
			out.gt = e->a.gt; out.has_gt = e->a.has_gt;
			out.lt = e->a.lt; out.has_lt = e->a.has_lt;
			out.st = e->a.st; out.has_st = e->a.has_st;
		}
	}
	return out;
}

/* ---- link format ----------------------------------------------------- */

typedef struct {
	char *buf;
	size_t len, cap;
	int oom;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(strbuf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->buf ? b->buf + b->len : NULL,
		                  b->buf ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->buf && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap : 256);
		while (cap <= b->len + (size_t)n)
			cap *= 2;
		char *nb = realloc(b->buf, cap);
		if (!nb) {
			b->oom = 1;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
}

static void sb_link(strbuf *b, const lwm2m_path *p)
{
	char tmp[32];
	if (lwm2m_path_format(p, tmp, sizeof tmp) < 0)
		snprintf(tmp, sizeof tmp, "/");
	sb_printf(b, "%s<%s>", b->len ? "," : "", tmp);
}

static void sb_attrs(strbuf *b, const objstore *s, const lwm2m_path *p)
{
	const attr_entry *e = attr_find(s, p);
	if (!e)
		return;
	if (e->a.pmin >= 0)
		sb_printf(b, ";pmin=%d", (int)e->a.pmin);
	if (e->a.pmax >= 0)
		sb_printf(b, ";pmax=%d", (int)e->a.pmax);
	if (e->a.has_gt)
		sb_printf(b, ";gt=%.15g", e->a.gt);
	if (e->a.has_lt)
		sb_printf(b, ";lt=%.15g", e->a.lt);
	if (e->a.has_st)
		sb_printf(b, ";st=%.15g", e->a.st);
}

static obj_rc sb_finish(strbuf *b, char **out, size_t *outlen)
{
	if (!b->oom && !b->buf)
		sb_printf(b, "%s", "");
	if (b->oom) {
		free(b->buf);
		return OBJ_ERR_NOMEM;
	}
	*out = b->buf;
	*outlen = b->len;
	return OBJ_OK;
}

/* Resource ids of an instance: stored ones plus the model's executables. */
static void discover_resource(strbuf *b, const objstore *s,
                              const lwm2m_path *rp)
{
	size_t dim = 0;
	for (size_t i = 0; i < s->nrec; i++)
		if (s->rec[i].path.len == 4 && path_under(rp, &s->rec[i].path))
			dim++;
	const lwm2m_resource_def *d = lwm2m_model_resource(rp->id[0], rp->id[2]);
	sb_link(b, rp);
	if (dim || (d && d->multiple))
		sb_printf(b, ";dim=%zu", dim);
	sb_attrs(b, s, rp);
}

static void discover_instance(strbuf *b, const objstore *s,
                              const lwm2m_path *ip)
{
	sb_link(b, ip);
	sb_attrs(b, s, ip);
	const lwm2m_object_def *od = lwm2m_model_object(ip->id[0]);
	int last = -1;
	size_t mi = 0;
	/* Merge the stored resource ids with the model's executable ones. */
	for (;;) {
		int next = -1;
		for (size_t i = 0; i < s->nrec; i++) {
			const lwm2m_path *q = &s->rec[i].path;
			if (path_under(ip, q) && q->id[2] > last &&
			    (next < 0 || q->id[2] < next))
				next = q->id[2];
		}
		for (mi = 0; od && mi < od->nres; mi++) {
			const lwm2m_resource_def *d = &od->res[mi];
			if ((d->ops & LWM2M_OP_E) && d->id > last &&
			    (next < 0 || d->id < next))
				next = d->id;
		}
		if (next < 0)
			break;
		lwm2m_path rp = { { ip->id[0], ip->id[1], (uint16_t)next, 0 }, 3 };
		discover_resource(b, s, &rp);
		last = next;
	}
}

obj_rc objstore_discover(const objstore *s, const lwm2m_path *p,
                         char **out, size_t *outlen)
{
	strbuf b = { 0 };
	if (p->len == 0 || p->len > 3)
		return OBJ_ERR_NOT_ALLOWED;
	if (p->len == 3) {
		obj_rc rc = path_exists(s, p);
		if (rc && rc != OBJ_ERR_NOT_ALLOWED) /* executables are listed */
			return rc;
		discover_resource(&b, s, p);
		return sb_finish(&b, out, outlen);
	}
	obj_rc rc = path_exists(s, p);
	if (rc)
		return rc;
	if (p->len == 2) {
		discover_instance(&b, s, p);
		return sb_finish(&b, out, outlen);
	}
	sb_link(&b, p);
	for (size_t i = 0; i < s->nobjs; i++)
		if (s->objs[i].id == p->id[0] && s->objs[i].ver[0])
			sb_printf(&b, ";ver=%s", s->objs[i].ver);
	sb_attrs(&b, s, p);
	for (size_t i = 0; i < s->ninsts; i++) {
		if (s->insts[i].obj != p->id[0])
			continue;
		lwm2m_path ip = mkpath(2, s->insts[i].obj, s->insts[i].inst, 0, 0);
		discover_instance(&b, s, &ip);
	}
	return sb_finish(&b, out, outlen);
}

obj_rc objstore_register_links(const objstore *s, lwm2m_format ct,
                               char **out, size_t *outlen)
{
	strbuf b = { 0 };
	if (ct != LWM2M_CF_NONE)
		sb_printf(&b, "</>;rt=\"oma.lwm2m\";ct=%d", (int)ct);
	for (size_t i = 0; i < s->nobjs; i++) {
		const obj_entry *o = &s->objs[i];
		if (o->id == 0)
			continue;
		lwm2m_path op = mkpath(1, o->id, 0, 0, 0);
		size_t n = count_instances(s, o->id);
		if (n == 0 || (o->ver[0] && strcmp(o->ver, "1.0"))) {
			sb_link(&b, &op);
			if (o->ver[0])
				sb_printf(&b, ";ver=%s", o->ver);
		}
		for (size_t j = 0; j < s->ninsts; j++) {
			if (s->insts[j].obj != o->id)
				continue;
			lwm2m_path ip = mkpath(2, o->id, s->insts[j].inst, 0, 0);
			sb_link(&b, &ip);
		}
	}
	return sb_finish(&b, out, outlen);
}

obj_rc objstore_paths(const objstore *s, lwm2m_path **out, size_t *n)
{
	size_t cap = s->nobjs + s->ninsts + s->nrec + 1, k = 0;
	lwm2m_path *v = malloc(cap * sizeof *v);
	if (!v)
		return OBJ_ERR_NOMEM;
	for (size_t i = 0; i < s->nobjs; i++)
		v[k++] = mkpath(1, s->objs[i].id, 0, 0, 0);
	for (size_t i = 0; i < s->ninsts; i++)
		v[k++] = mkpath(2, s->insts[i].obj, s->insts[i].inst, 0, 0);
	for (size_t i = 0; i < s->nrec; i++) {
		lwm2m_path r = s->rec[i].path;
		r.len = 3;
		if (k && path_order(&v[k - 1], &r) == 0)
			continue;
		v[k++] = r;
	}
	*out = v;
	*n = k;
	return OBJ_OK;
}
