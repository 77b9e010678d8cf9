/*
 * objects.h: the object store of one simulated device.
 *
 * Holds the instances and resource values of the objects a device exposes
 * (0, 1, 3, 4, 507, 508 and any other) and performs the LwM2M operations of
 * the device-management interface against them: Read, Write (replace and
 * partial update), Create, Delete, Discover and Write-Attributes. Payloads
 * are decoded and encoded with the codecs of lwm2m/lwm2m.h. No I/O and no
 * CoAP here: the serving layer (serve.c) translates obj_rc to CoAP codes.
 *
 * Values live as a sorted array of lwm2m_record (path len 3 for a single
 * resource, len 4 for an instance of a multiple resource). Executable
 * resources carry no value: the object model says which ones exist.
 */
#ifndef CLIENT_OBJECTS_H
#define CLIENT_OBJECTS_H

#include <stddef.h>
#include <stdint.h>
#include "lwm2m/lwm2m.h"

/* Results of store operations, 0 = OK; serve.c maps them to CoAP codes. */
typedef enum {
	OBJ_OK = 0,
	OBJ_ERR_NOT_FOUND,       /* 4.04 */
	OBJ_ERR_NOT_ALLOWED,     /* 4.05: operation not allowed on the path */
	OBJ_ERR_BAD_REQUEST,     /* 4.00: payload does not parse, bad value */
	OBJ_ERR_FORMAT,          /* 4.15: content format not supported */
	OBJ_ERR_NOT_ACCEPTABLE,  /* 4.06: cannot answer in the asked format */
	OBJ_ERR_TOO_LARGE,       /* 4.13 */
	OBJ_ERR_NOMEM,           /* 5.00 */
} obj_rc;

const char *obj_strerror(obj_rc rc);

typedef struct objstore objstore;

/* Called after every change of a value, instance or the instance list, with
 * the path that changed (an object path when instances were added/removed). */
typedef void (*objstore_change_fn)(void *arg, const lwm2m_path *changed);

objstore *objstore_new(void);
void objstore_free(objstore *s);
void objstore_on_change(objstore *s, objstore_change_fn fn, void *arg);
/* Fires the change callback for `p` (after changes made behind its back,
 * such as objstore_add_instance). */
void objstore_changed(objstore *s, const lwm2m_path *p);

/* Declares an object the device supports (listed at Register even when it has
 * no instance); `ver` may be NULL for the model's version. */
obj_rc objstore_add_object(objstore *s, uint16_t obj, const char *ver);
obj_rc objstore_add_instance(objstore *s, uint16_t obj, uint16_t inst);
int objstore_has_object(const objstore *s, uint16_t obj);
int objstore_has_instance(const objstore *s, uint16_t obj, uint16_t inst);
/* Lowest free instance id of `obj`, or -1. */
int objstore_free_instance_id(const objstore *s, uint16_t obj);

/* Sets one resource (path len 3) or resource instance (len 4) of an existing
 * instance; the value is copied. Replaces an existing value. A len-3 set of a
 * resource that has instances drops them. Fires the change callback. */
obj_rc objstore_set(objstore *s, const lwm2m_path *p, const lwm2m_value *v);
obj_rc objstore_set_string(objstore *s, const lwm2m_path *p, const char *str);
obj_rc objstore_set_int(objstore *s, const lwm2m_path *p, lwm2m_type t,
                        int64_t i);
obj_rc objstore_set_opaque(objstore *s, const lwm2m_path *p,
                           const uint8_t *d, size_t n);
/* The stored value of a single resource or resource instance; NULL if none.
 * The pointer is valid until the next change of the store. */
const lwm2m_value *objstore_get(const objstore *s, const lwm2m_path *p);
/* Removes one resource (with its instances) or resource instance. */
obj_rc objstore_unset(objstore *s, const lwm2m_path *p);

/* Appends copies of every record at or below `p` to `out`. NOT_FOUND when
 * the path names nothing that exists. */
obj_rc objstore_read(const objstore *s, const lwm2m_path *p,
                     lwm2m_records *out);
/* Read and encode in one step (malloc'ed *out). */
obj_rc objstore_read_encoded(const objstore *s, const lwm2m_path *p,
                             lwm2m_format f, uint8_t **out, size_t *outlen);

/* Server writes. `replace` = PUT (a resource named in the payload is
 * replaced whole, an instance PUT drops writable resources it does not
 * name); otherwise POST partial update (resource instances merged). Every
 * record is checked (path within `p`, instance exists, resource writable)
 * before anything changes, so a bad write changes nothing. */
obj_rc objstore_write(objstore *s, const lwm2m_path *p, lwm2m_format f,
                      const uint8_t *in, size_t inlen, int replace);
/* Applies already-decoded records with the same checks. */
obj_rc objstore_write_records(objstore *s, const lwm2m_path *p,
                              const lwm2m_records *recs, int replace);

/* Create on an object path: the payload may name the instance (TLV
 * object-instance wrapper, SenML names with an instance id) or not, then the
 * lowest free id is taken. *new_inst gets the instance id. */
obj_rc objstore_create(objstore *s, uint16_t obj, lwm2m_format f,
                       const uint8_t *in, size_t inlen, uint16_t *new_inst);
/* Delete of an object instance (len 2) or a resource instance (len 4). */
obj_rc objstore_delete(objstore *s, const lwm2m_path *p);

/* Whether `p` (len 3) names an executable resource of an existing instance:
 * OBJ_OK, NOT_FOUND, or NOT_ALLOWED (exists but is not executable). */
obj_rc objstore_check_execute(const objstore *s, const lwm2m_path *p);

/* ---- attributes (Write-Attributes / Discover / notifications) --------- */

typedef struct {
	int32_t pmin, pmax;   /* seconds, -1 if unset */
	double gt, lt, st;    /* valid when the has_ bit is set */
	uint8_t has_gt, has_lt, has_st;
} obj_attrs;

/* Parses a Write-Attributes query ("pmin=10&pmax=60&gt=3.5", a bare name
 * clears that attribute) and stores the attributes on `p`. BAD_REQUEST for an
 * unknown attribute, a bad number or pmax < pmin. */
obj_rc objstore_write_attrs(objstore *s, const lwm2m_path *p,
                            const char *query, size_t qlen);
/* The attributes in force for `p`: its own, inherited from the instance and
 * the object level where unset. */
obj_attrs objstore_attrs(const objstore *s, const lwm2m_path *p);

/* Notification policy of the attributes a path has itself (inherited
 * attributes change nothing here). A change of `p` at `now`: 1 = notify
 * now; 0 = not now (gt/lt/st not met, or pmin not yet over, in which case
 * it is sent when pmin ends). Call objstore_notified after notifying. */
int objstore_notify_policy(objstore *s, const lwm2m_path *p, uint64_t now);
void objstore_notified(objstore *s, const lwm2m_path *p, uint64_t now);
/* Fires `fire` for every path whose pmax elapsed or whose deferred change
 * is due, and marks it notified. Returns ms until the next one, -1 none. */
int64_t objstore_notify_due(objstore *s, uint64_t now,
                            void (*fire)(void *arg, const lwm2m_path *p),
                            void *arg);

/* Discover: the link format of `p` (object, instance or resource), with the
 * attributes attached at each level. Malloc'ed, NUL-terminated. */
obj_rc objstore_discover(const objstore *s, const lwm2m_path *p,
                         char **out, size_t *outlen);

/* The Register/Update payload: `</>;rt="oma.lwm2m";ct=CF,</1/0>,</3/0>,
 * </507>;ver=1.0,...`. Object 0 (Security) is never listed (LwM2M 1.1
 * §6.2.1). `ct` may be LWM2M_CF_NONE to leave out the root link. */
obj_rc objstore_register_links(const objstore *s, lwm2m_format ct,
                               char **out, size_t *outlen);

/* Every path that exists: objects, instances and resources (len 1..3), for
 * serve.c to make observable resources of; the caller frees *out. */
obj_rc objstore_paths(const objstore *s, lwm2m_path **out, size_t *n);

/* Value helpers. */
obj_rc obj_value_copy(lwm2m_value *dst, const lwm2m_value *src);

#endif
