/*
 * control.c: the --control line protocol (see control.h). A table of
 * commands; each handler writes its answer into `out`.
 */
#include "client/control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/carrier.h"
#include "client/device.h"
#include "client/log.h"

#define MAX_ARGS 3

typedef int (*cmd_fn)(device *d, char **argv, char *out, size_t outlen);

/* Parses a VALUE for PATH the way the model types it: opaque as standard
 * base64, objlnk as "OBJ:INST", anything else as LwM2M plain text. */
static int parse_value(const lwm2m_path *p, const char *s, lwm2m_records *out,
                       char *err, size_t errlen)
{
	lwm2m_type t = lwm2m_model_type(p);
	if (t == LWM2M_T_OPAQUE) {
		uint8_t *bin;
		size_t n;
		if (lwm2m_base64_decode(s, strlen(s), 0, &bin, &n) != LWM2M_OK) {
			snprintf(err, errlen, "opaque values are standard base64");
			return -1;
		}
		lwm2m_err e = lwm2m_records_add_opaque(out, p, bin, n);
		free(bin);
		return e ? -1 : 0;
	}
	lwm2m_err e = lwm2m_decode(LWM2M_CF_TEXT, p, (const uint8_t *)s,
	                           strlen(s), out);
	if (e) {
		snprintf(err, errlen, "bad value for %s: %s", lwm2m_type_name(t),
		         lwm2m_strerror(e));
		return -1;
	}
	return 0;
}

static int cmd_set(device *d, char **argv, char *out, size_t outlen)
{
	lwm2m_path p;
	if (lwm2m_path_parse(argv[1], strlen(argv[1]), &p) || p.len < 3) {
		snprintf(out, outlen, "set needs a resource path");
		return -1;
	}
	lwm2m_records r;
	lwm2m_records_init(&r);
	int rc = parse_value(&p, argv[2], &r, out, outlen);
	objstore *st = device_store(d);
	if (!rc && r.n != 1) {
		snprintf(out, outlen, "bad value");
		rc = -1;
	}
	int created = 0;
	if (!rc && !objstore_has_instance(st, p.id[0], p.id[1])) {
		/* Tests stage a spare 507 instance this way. */
		if (objstore_add_instance(st, p.id[0], p.id[1]) != OBJ_OK) {
			snprintf(out, outlen, "cannot create /%u/%u", p.id[0], p.id[1]);
			rc = -1;
		}
		created = 1;
	}
	if (!rc) {
		obj_rc o = objstore_set(st, &p, &r.rec[0].value);
		if (o) {
			snprintf(out, outlen, "%s", obj_strerror(o));
			rc = -1;
		} else if (created) {
			/* A new instance is served and announced in an Update. */
			lwm2m_path op = { { p.id[0], 0, 0, 0 }, 1 };
			objstore_changed(st, &op);
		}
	}
	lwm2m_records_free(&r);
	return rc;
}

static int cmd_get(device *d, char **argv, char *out, size_t outlen)
{
	lwm2m_path p;
	if (lwm2m_path_parse(argv[1], strlen(argv[1]), &p) || p.len == 0) {
		snprintf(out, outlen, "bad path");
		return -1;
	}
	objstore *st = device_store(d);
	const lwm2m_value *v = p.len >= 3 ? objstore_get(st, &p) : NULL;
	uint8_t *enc = NULL;
	size_t n = 0;
	obj_rc rc;
	if (v && v->type == LWM2M_T_OPAQUE) {
		char *b64;
		if (lwm2m_base64_encode(v->data, v->len, 0, &b64, &n)) {
			snprintf(out, outlen, "out of memory");
			return -1;
		}
		enc = (uint8_t *)b64;
		rc = OBJ_OK;
	} else {
		rc = objstore_read_encoded(st, &p, v ? LWM2M_CF_TEXT
		                                     : LWM2M_CF_SENML_JSON, &enc, &n);
	}
	if (rc) {
		snprintf(out, outlen, "%s", obj_strerror(rc));
		return -1;
	}
	/* One answer line: newlines in a value would break the protocol. */
	snprintf(out, outlen, "%.*s", (int)n, (const char *)enc);
	for (char *c = out; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	free(enc);
	return 0;
}

static int cmd_update(device *d, char **argv, char *out, size_t outlen)
{
	return device_cmd_update(d, out, outlen);
}

static int cmd_register(device *d, char **argv, char *out, size_t outlen)
{
	return device_cmd_register(d, out, outlen);
}

static int cmd_deregister(device *d, char **argv, char *out, size_t outlen)
{
	return device_cmd_deregister(d, out, outlen);
}

static int cmd_sleep(device *d, char **argv, char *out, size_t outlen)
{
	return device_cmd_sleep(d, out, outlen);
}

static int cmd_wake(device *d, char **argv, char *out, size_t outlen)
{
	return device_cmd_wake(d, out, outlen);
}

static int cmd_rebind(device *d, char **argv, char *out, size_t outlen)
{
	return device_cmd_rebind(d, argv[1], out, outlen);
}

/* coverage NAME on|off: the carrier is shared by every device. */
static int cmd_coverage(device *d, char **argv, char *out, size_t outlen)
{
	int on = !strcmp(argv[2], "on");
	if (!on && strcmp(argv[2], "off")) {
		snprintf(out, outlen, "usage: coverage NAME on|off");
		return -1;
	}
	if (!device_carriers(d) ||
	    carrier_set_coverage(device_carriers(d), argv[1], on)) {
		snprintf(out, outlen, "bad carrier name or too many carriers");
		return -1;
	}
	snprintf(out, outlen, "carrier=%s coverage=%s", argv[1], argv[2]);
	return 0;
}

static int cmd_fault(device *d, char **argv, char *out, size_t outlen)
{
	return device_cmd_fault(d, argv[1], out, outlen);
}

static int cmd_nusim(device *d, char **argv, char *out, size_t outlen)
{
	const nusim *n = device_nusim(d);
	char f[32];
	snprintf(out, outlen, "iccid=%s carrier=\"%s\" backup=%s "
	         "backup_carrier=\"%s\" busy=%d fault=%s",
	         n->cur.iccid, n->cur.carrier,
	         n->backup.iccid[0] ? n->backup.iccid : "-", n->backup.carrier,
	         n->busy, nusim_fault_str(&n->fault, f, sizeof f));
	return 0;
}

static const char *const state_names[] = {
	[DEV_NEW] = "new", [DEV_REGISTERING] = "registering",
	[DEV_REGISTERED] = "registered", [DEV_RETRY] = "retrying",
	[DEV_DEREGISTERED] = "deregistered",
};

static int cmd_status(device *d, char **argv, char *out, size_t outlen)
{
	snprintf(out, outlen, "ep=%s state=%s location=%s asleep=%d failures=%u",
	         device_endpoint(d), state_names[device_state(d)],
	         device_location(d)[0] ? device_location(d) : "-",
	         device_asleep(d), device_failures(d));
	return 0;
}

static const struct {
	const char *name;
	int nargs;
	cmd_fn fn;
	const char *usage;
} commands[] = {
	{ "update", 0, cmd_update, "update" },
	{ "register", 0, cmd_register, "register" },
	{ "deregister", 0, cmd_deregister, "deregister" },
	{ "sleep", 0, cmd_sleep, "sleep" },
	{ "wake", 0, cmd_wake, "wake" },
	{ "rebind", 1, cmd_rebind, "rebind ADDR" },
	{ "set", 2, cmd_set, "set PATH VALUE" },
	{ "get", 1, cmd_get, "get PATH" },
	{ "status", 0, cmd_status, "status" },
	{ "nusim", 0, cmd_nusim, "nusim" },
	{ "coverage", 2, cmd_coverage, "coverage NAME on|off" },
	{ "fault", 1, cmd_fault, "fault FAULT" },
};

static void answer(int ok, const char *text)
{
	printf("%s%s%s\n", ok ? "ok" : "error", text[0] ? " " : "", text);
	fflush(stdout);
}

void control_line(void *arg, const char *line)
{
	client *c = arg;
	device *d = client_device(c, 0);
	char buf[4096], out[2048] = "";
	char *argv[MAX_ARGS] = { 0 };
	int argc = 0;
	snprintf(buf, sizeof buf, "%s", line);
	/* The last argument (a VALUE) keeps its spaces. */
	char *p = buf;
	while (*p && argc < MAX_ARGS) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		argv[argc++] = p;
		if (argc == MAX_ARGS)
			break;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = 0;
	}
	if (argc == 0)
		return;
	if (!strcmp(argv[0], "quit")) {
		answer(1, "");
		client_stop(c);
		return;
	}
	if (!strcmp(argv[0], "help")) {
		char list[512] = "";
		for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
			strncat(list, commands[i].usage, sizeof list - strlen(list) - 1);
			strncat(list, ", ", sizeof list - strlen(list) - 1);
		}
		strncat(list, "quit", sizeof list - strlen(list) - 1);
		answer(1, list);
		return;
	}
	if (!d) {
		answer(0, "no device");
		return;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[0], commands[i].name))
			continue;
		if (argc - 1 != commands[i].nargs) {
			char u[80];
			snprintf(u, sizeof u, "usage: %s", commands[i].usage);
			answer(0, u);
			return;
		}
		int rc = commands[i].fn(d, argv, out, sizeof out);
		answer(rc == 0, out);
		return;
	}
	answer(0, "unknown command (try help)");
}
