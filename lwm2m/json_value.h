/*
 * json_value.h: the typed reading of one JSON value that the JSON content
 * formats share (SenML JSON, LwM2M JSON): each checks the JSON kind and the
 * object model's type of path p, then fills v (memset by the caller).
 * LWM2M_ERR_TYPE when either does not fit; v's data is the caller's.
 */
#ifndef LWM2M_JSON_VALUE_H
#define LWM2M_JSON_VALUE_H

#include <jansson.h>

#include "lwm2m/internal.h"

/* The one key of keys[0..n) that object obj holds: its index, with *val
 * its value; -1 when it holds none of them, or more than one. */
int lwm2m_json_pick(json_t *obj, const char *const *keys, int n,
                    json_t **val);
/* A JSON integer or real, typed by the model (lwm2m_number_value). */
lwm2m_err lwm2m_json_number(const lwm2m_path *p, json_t *j, lwm2m_value *v);
/* A JSON string: a string, or a corelnk where the model says so. */
lwm2m_err lwm2m_json_string(const lwm2m_path *p, json_t *j, lwm2m_value *v);
/* A JSON string of base64 (base64url without padding when url is set). */
lwm2m_err lwm2m_json_opaque(const lwm2m_path *p, json_t *j, int url,
                            lwm2m_value *v);
lwm2m_err lwm2m_json_boolean(const lwm2m_path *p, json_t *j, lwm2m_value *v);
/* A JSON string "obj:inst". */
lwm2m_err lwm2m_json_objlnk(const lwm2m_path *p, json_t *j, lwm2m_value *v);

#endif
