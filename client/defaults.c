/*
 * defaults.c: the initial object store of a simulated device (defaults.h).
 */
#include "client/defaults.h"

#include <string.h>
#include <time.h>
#include "client/nusim.h"

const char *defaults_binding(const device_cfg *c)
{
	/* LwM2M 1.0 spells queue mode in the binding; 1.1+ has the Q option. */
	if (c->queue && c->lwm2m_version && !strcmp(c->lwm2m_version, "1.0"))
		return "UQ";
	return "U";
}

static lwm2m_path P(uint16_t o, uint16_t i, uint16_t r)
{
	lwm2m_path p = { { o, i, r, 0 }, 3 };
	return p;
}

static lwm2m_path PI(uint16_t o, uint16_t i, uint16_t r, uint16_t ri)
{
	lwm2m_path p = { { o, i, r, ri }, 4 };
	return p;
}

/* One row of the initial store: a path and a value of the given kind. */
typedef struct {
	lwm2m_path path;
	lwm2m_type type;
	const char *s;
	int64_t i;
} def_row;

obj_rc defaults_install(objstore *s, const device_cfg *c, const char *eid,
                        const char *iccid, const uint8_t *cert_der,
                        size_t cert_len)
{
	int nosec = c->psk_identity == NULL;
	const char *ver = c->lwm2m_version ? c->lwm2m_version : "1.1";
	int v10 = !strcmp(ver, "1.0");
	const char *ip = c->bind_addr ? c->bind_addr : "0.0.0.0";
	const def_row rows[] = {
		/* Security: the one LwM2M server this device talks to. */
		{ P(0, 0, 0), LWM2M_T_STRING, c->server_uri, 0 },
		{ P(0, 0, 1), LWM2M_T_BOOLEAN, NULL, 0 },
		{ P(0, 0, 2), LWM2M_T_INTEGER, NULL, nosec ? 3 : 0 },
		{ P(0, 0, 3), LWM2M_T_OPAQUE, nosec ? "" : c->psk_identity, 0 },
		{ P(0, 0, 10), LWM2M_T_INTEGER, NULL, 1 },
		/* Server. */
		{ P(1, 0, 0), LWM2M_T_INTEGER, NULL, 1 },
		{ P(1, 0, 1), LWM2M_T_INTEGER, NULL, c->lifetime },
		{ P(1, 0, 6), LWM2M_T_BOOLEAN, NULL, 1 },
		{ P(1, 0, 7), LWM2M_T_STRING, defaults_binding(c), 0 },
		/* Device. */
		{ P(3, 0, 0), LWM2M_T_STRING, "nusimd project", 0 },
		{ P(3, 0, 1), LWM2M_T_STRING, "nusim-client", 0 },
		{ P(3, 0, 2), LWM2M_T_STRING, c->endpoint, 0 },
		{ P(3, 0, 3), LWM2M_T_STRING, "1.0", 0 },
		{ PI(3, 0, 6, 0), LWM2M_T_INTEGER, NULL, 1 },
		{ PI(3, 0, 7, 0), LWM2M_T_INTEGER, NULL, 3800 },
		{ P(3, 0, 9), LWM2M_T_INTEGER, NULL, 100 },
		{ P(3, 0, 10), LWM2M_T_INTEGER, NULL, 1024 },
		{ PI(3, 0, 11, 0), LWM2M_T_INTEGER, NULL, 0 },
		{ P(3, 0, 13), LWM2M_T_TIME, NULL, (int64_t)time(NULL) },
		{ P(3, 0, 14), LWM2M_T_STRING, "+00:00", 0 },
		{ P(3, 0, 15), LWM2M_T_STRING, "Etc/UTC", 0 },
		{ P(3, 0, 16), LWM2M_T_STRING, c->queue && v10 ? "UQ" : "U", 0 },
		{ P(3, 0, 17), LWM2M_T_STRING, "nuSIM IoT device", 0 },
		{ P(3, 0, 18), LWM2M_T_STRING, "1.0", 0 },
		{ P(3, 0, 19), LWM2M_T_STRING, "1.0", 0 },
		/* Connectivity Monitoring: an NB-IoT bearer (7). */
		{ P(4, 0, 0), LWM2M_T_INTEGER, NULL, 7 },
		{ PI(4, 0, 1, 0), LWM2M_T_INTEGER, NULL, 7 },
		{ P(4, 0, 2), LWM2M_T_INTEGER, NULL, -85 },
		{ P(4, 0, 3), LWM2M_T_INTEGER, NULL, 60 },
		{ PI(4, 0, 4, 0), LWM2M_T_STRING, ip, 0 },
		{ PI(4, 0, 7, 0), LWM2M_T_STRING, "iot.nusim", 0 },
		{ P(4, 0, 8), LWM2M_T_INTEGER, NULL, 1 },
	};
	static const uint16_t objs[][2] = { { 0, 0 }, { 1, 0 }, { 3, 0 }, { 4, 0 } };
	obj_rc rc = OBJ_OK;
	/* The resources used here are all in the 1.0 versions of the objects,
	 * so no ver= is needed at Register. */
	for (size_t i = 0; i < sizeof objs / sizeof objs[0] && !rc; i++) {
		rc = objstore_add_object(s, objs[i][0], "1.0");
		if (!rc)
			rc = objstore_add_instance(s, objs[i][0], objs[i][1]);
	}
	for (size_t i = 0; i < sizeof rows / sizeof rows[0] && !rc; i++) {
		const def_row *r = &rows[i];
		if (r->type == LWM2M_T_STRING)
			rc = objstore_set_string(s, &r->path, r->s ? r->s : "");
		else if (r->type == LWM2M_T_OPAQUE)
			rc = objstore_set_opaque(s, &r->path, (const uint8_t *)r->s,
			                         strlen(r->s));
		else
			rc = objstore_set_int(s, &r->path, r->type, r->i);
	}
	if (!rc)
		rc = nusim_install(s, eid, iccid, cert_der, cert_len);
	return rc;
}
