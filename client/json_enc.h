/*
 * json_enc.h: encoding records as LwM2M JSON (application/vnd.oma.lwm2m
 * +json, 11543, LwM2M 1.0 §6.4.4), which lwm2m/ decodes but does not encode
 * (DESIGN §4); the client announces ct=11543 at Register, so it answers in
 * it. {"bn":"/3/0/","e":[{"n":"0","sv":"..."},{"n":"7/0","v":3800}]}.
 */
#ifndef CLIENT_JSON_ENC_H
#define CLIENT_JSON_ENC_H

#include "lwm2m/lwm2m.h"

/* Records below `base`; *out malloc'ed (not NUL-terminated in *outlen). */
lwm2m_err json_enc_lwm2m(const lwm2m_path *base, const lwm2m_records *in,
                         uint8_t **out, size_t *outlen);

#endif
