/*
 * h_devices.c: reading devices and registrations: GET /devices,
 * GET /registrations, GET /devices/{ep}, GET /devices/{ep}/observations,
 * and DELETE /devices/{ep}. A device's key is never shown, only has_psk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"

/* The paths of a Register payload's links, without the root "</>". */
static json_t *objects_json(const char *links)
{
	json_t *arr = json_array();
	lwm2m_links l;
	if (!arr || !links)
		return arr;
	lwm2m_links_init(&l);
	if (lwm2m_links_parse(links, strlen(links), &l) == LWM2M_OK) {
		for (size_t i = 0; i < l.n; i++) {
			char p[64];
			if (!l.link[i].is_path || l.link[i].path.len == 0)
				continue;
			if (lwm2m_path_format(&l.link[i].path, p, sizeof p) > 0)
				json_array_append_new(arr, json_string(p));
		}
	}
	lwm2m_links_free(&l);
	return arr;
}

static json_t *reg_json(const db_registration *r, int with_objects)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:b,s:I,s:s,s:s,s:s,s:I,s:I,s:I}",
		"endpoint", r->endpoint, "reg_id", r->reg_id,
		"version", r->version, "binding", r->binding,
		"queue_mode", r->queue_mode != 0, "lifetime", (json_int_t)r->lifetime,
		"addr", r->addr, "transport", r->transport,
		"psk_identity", r->psk_identity,
		"registered_at", (json_int_t)r->registered_at,
		"updated_at", (json_int_t)r->updated_at,
		"expires_at", (json_int_t)r->expires_at);
	if (j && with_objects)
		json_object_set_new(j, "objects", objects_json(r->links));
	return j;
}

/* dev or reg may be NULL (not both). */
static json_t *device_json(const char *ep, const db_device *dev,
                           const db_registration *reg, int with_objects)
{
	json_t *j = json_pack("{sssbsssbsoso}", "endpoint", ep,
		"provisioned", dev != NULL,
		"psk_identity", dev ? dev->psk_identity : "",
		"has_psk", dev && dev->psk_sealed && dev->psk_sealed_len > 0,
		"created_at", api_time(dev ? dev->created_at : 0),
		"updated_at", api_time(dev ? dev->updated_at : 0));
	if (!j)
		return NULL;
	json_object_set_new(j, "registered", json_boolean(reg != NULL));
	json_object_set_new(j, "registration", reg ? reg_json(reg, with_objects) : json_null());
	return j;
}

json_t *api_observation_json(const db_observation *o)
{
	json_t *j = json_pack("{sIsssbsIsoso}", "id", (json_int_t)o->id,
		"path", o->path, "active", o->active != 0,
		"notifications", (json_int_t)o->notifications,
		"started_at", api_time(o->started_at),
		"updated_at", api_time(o->updated_at));
	if (j)
		api_add_payload(j, DM_READ, o->path, o->last_len ? o->format : -1,
		                o->last, o->last_len);
	return j;
}

static json_t *observations_json(db *d, const char *ep)
{
	db_observation *o = NULL;
	size_t n = 0;
	json_t *arr = json_array();
	if (db_obs_list(d, ep, &o, &n) != DB_OK)
		return arr;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, api_observation_json(&o[i]));
	db_obs_list_free(o, n);
	return arr;
}

static json_t *page(json_t *items, int more, const char *last)
{
	return json_pack("{soso}", "items", items, "next",
	                 more && last ? json_string(last) : json_null());
}

void h_devices_list(api_call *c)
{
	db_device *dev = NULL;
	size_t n = 0;
	int limit = api_limit(c);
	if (limit < 0)
		return;
	/* One extra row tells whether there is a next page. */
	if (db_device_list(c->a->d, api_query(c, "after"), limit + 1, &dev, &n) != DB_OK) {
		api_problem(c, 500, "internal", NULL, "cannot list devices: %s",
		            db_errmsg(c->a->d));
		return;
	}
	int more = n > (size_t)limit;
	if (more)
		n = (size_t)limit;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		db_registration r;
		memset(&r, 0, sizeof r);
		int has = db_reg_get(c->a->d, dev[i].endpoint, &r) == DB_OK;
		json_array_append_new(items, device_json(dev[i].endpoint, &dev[i],
		                                         has ? &r : NULL, 0));
		if (has)
			db_registration_clear(&r);
	}
	api_reply_json(c, 200, page(items, more, n ? dev[n - 1].endpoint : NULL));
	db_device_list_free(dev, more ? n + 1 : n);
}

void h_registrations_list(api_call *c)
{
	db_registration *r = NULL;
	size_t n = 0;
	int limit = api_limit(c);
	if (limit < 0)
		return;
	if (db_reg_list(c->a->d, api_query(c, "after"), limit + 1, &r, &n) != DB_OK) {
		api_problem(c, 500, "internal", NULL, "cannot list registrations: %s",
		            db_errmsg(c->a->d));
		return;
	}
	size_t total = n;
	int more = n > (size_t)limit;
	if (more)
		n = (size_t)limit;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		db_device dv;
		memset(&dv, 0, sizeof dv);
		int has = db_device_get(c->a->d, r[i].endpoint, &dv) == DB_OK;
		json_t *j = reg_json(&r[i], 1);
		if (j)
			json_object_set_new(j, "provisioned", json_boolean(has));
		json_array_append_new(items, j);
		if (has)
			db_device_clear(&dv);
	}
	api_reply_json(c, 200, page(items, more, n ? r[n - 1].endpoint : NULL));
	db_reg_list_free(r, total);
}

void h_device_get(api_call *c)
{
	const char *ep = api_param(c, "ep");
	db_device dv;
	db_registration r;
	memset(&dv, 0, sizeof dv);
	memset(&r, 0, sizeof r);
	db_rc drc = db_device_get(c->a->d, ep, &dv);
	db_rc rrc = db_reg_get(c->a->d, ep, &r);
	if ((drc != DB_OK && drc != DB_NOT_FOUND) || (rrc != DB_OK && rrc != DB_NOT_FOUND)) {
		api_problem(c, 500, "internal", NULL, "cannot read the device: %s",
		            db_errmsg(c->a->d));
		goto out;
	}
	if (drc != DB_OK && rrc != DB_OK) {
		api_problem(c, 404, "not-found", NULL,
		            "no device or registration for endpoint \"%s\"", ep);
		goto out;
	}
	json_t *j = device_json(ep, drc == DB_OK ? &dv : NULL,
	                        rrc == DB_OK ? &r : NULL, 1);
	if (j)
		json_object_set_new(j, "observations", observations_json(c->a->d, ep));
	if (j)   /* the 507 instances nusimd wrote: staged, active, fallback */
		json_object_set_new(j, "profiles", api_staged_json(c->a->d, ep));
	api_reply_json(c, 200, j);
out:
	if (drc == DB_OK)
		db_device_clear(&dv);
	if (rrc == DB_OK)
		db_registration_clear(&r);
}

void h_observations_list(api_call *c)
{
	const char *ep = api_param(c, "ep");
	db_device dv;
	db_registration r;
	memset(&dv, 0, sizeof dv);
	memset(&r, 0, sizeof r);
	int hd = db_device_get(c->a->d, ep, &dv) == DB_OK;
	int hr = db_reg_get(c->a->d, ep, &r) == DB_OK;
	if (hd)
		db_device_clear(&dv);
	if (hr)
		db_registration_clear(&r);
	if (!hd && !hr) {
		api_problem(c, 404, "not-found", NULL,
		            "no device or registration for endpoint \"%s\"", ep);
		return;
	}
	api_reply_json(c, 200, page(observations_json(c->a->d, ep), 0, NULL));
}

void h_device_delete(api_call *c)
{
	const char *ep = api_param(c, "ep");
	db_rc rc = db_device_delete(c->a->d, ep);
	if (rc == DB_NOT_FOUND)
		api_problem(c, 404, "not-found", NULL, "no device \"%s\"", ep);
	else if (rc != DB_OK)
		api_problem(c, 500, "internal", NULL, "cannot delete the device: %s",
		            db_errmsg(c->a->d));
	else
		api_reply_empty(c, 204);
}
