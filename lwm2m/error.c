/*
 * error.c: the library's error strings, one per lwm2m_err.
 */
#include "lwm2m/lwm2m.h"

static const char *const messages[] = {
	[LWM2M_OK] = "ok",
	[LWM2M_ERR_NOMEM] = "out of memory",
	[LWM2M_ERR_MALFORMED] = "malformed input",
	[LWM2M_ERR_TOO_LARGE] = "input or output too large",
	[LWM2M_ERR_TYPE] = "value of the wrong type",
	[LWM2M_ERR_PATH] = "bad path or path outside the base",
	[LWM2M_ERR_UNSUPPORTED] = "unsupported content format or operation",
	[LWM2M_ERR_NOT_FOUND] = "no such object, instance or resource",
};

const char *lwm2m_strerror(lwm2m_err e)
{
	if ((unsigned)e < sizeof messages / sizeof messages[0] && messages[e])
		return messages[e];
	return "unknown error";
}
