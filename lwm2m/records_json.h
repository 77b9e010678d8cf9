/*
 * records_json.h: LwM2M records <-> the JSON the REST API shows operators.
 *
 * A record is {"path": "/3/0/0", "type": "string", "value": "..."}.
 * Values: string, corelnk -> JSON string; integer, unsigned, time -> JSON
 * integer; float -> JSON real; boolean -> true/false; opaque -> standard
 * base64 string; objlnk -> "3:0".
 */
#ifndef LWM2M_RECORDS_JSON_H
#define LWM2M_RECORDS_JSON_H

#include <jansson.h>
#include "lwm2m/lwm2m.h"

/* New reference to a JSON array of records; NULL on allocation failure. */
json_t *lwm2m_records_to_json(const lwm2m_records *r);

/*
 * Reads what an operator writes, relative to the request path `base`:
 *  - an array of {"path", "value", optional "type"} (path absolute, or
 *    relative to base like "14" or "6/0");
 *  - an object {"14": "+02:00", "/3/0/15": "Europe/Paris"} (keys are paths);
 *  - for a base that is a single resource, a bare JSON value.
 * The type comes from "type", else from the object model, else from the JSON
 * value (string -> string, integer -> integer, real -> float, boolean ->
 * boolean). Bad input fails with LWM2M_ERR_MALFORMED / _TYPE / _PATH and a
 * one-line reason in err; `out` is left as it was.
 */
lwm2m_err lwm2m_records_from_json(const json_t *j, const lwm2m_path *base,
                                  lwm2m_records *out, char *err, size_t errlen);

#endif
