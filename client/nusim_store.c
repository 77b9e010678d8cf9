/*
 * nusim_store.c: the simulated nuSIM's --state-file (see nusim.h), so a
 * restarted client (or one that crashed right after installing a profile)
 * comes back with the profile it had, its backup and the staged 507
 * packages. A small line format, one item a line:
 *
 *   nusim-state 1
 *   iccid 89882470000000000051
 *   carrier Carrier B              (the rest of the line; may be empty)
 *   backup-iccid 8988247...
 *   backup-carrier Carrier A
 *   link 507 4                     (508/4, when it points at a 507)
 *   507 INST RES VALUE             (RES 0..6; VALUE base64 or hex)
 *
 * The packages hold only ciphertext, signatures and public keys, and the
 * profile's Ki and OPc are never written: the file holds no secret. It is
 * still written 0600 and replaced atomically (temporary file, fsync,
 * rename), and read with every line and the whole file bounded.
 */
#include "client/nusim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/package.h"

#define STATE_MAX_LINE 12288        /* a 2 KiB profile's encP is ~2.8 KB */
#define STATE_MAX_FILE (1u << 20)
#define STATE_MAX_ITEMS 4096

typedef struct {
	uint16_t inst, res;
	char *value;
} staged;

static int put_line(FILE *f, const char *key, const char *val)
{
	return fprintf(f, "%s%s%s\n", key, val[0] ? " " : "", val) < 0 ? -1 : 0;
}

int nusim_state_save(const char *path, const nusim *n, const objstore *s,
                     char *err, size_t errlen)
{
	char tmp[4096];
	lwm2m_path *paths = NULL;
	size_t np = 0;
	FILE *f = NULL;
	int rc = -1, fd = -1;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		snprintf(err, errlen, "state file path too long");
		return -1;
	}
	if (objstore_paths(s, &paths, &np) != OBJ_OK) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1; /* the FILE owns it */
	int bad = fprintf(f, "nusim-state 1\n") < 0 ||
	          put_line(f, "iccid", n->cur.iccid) ||
	          put_line(f, "carrier", n->cur.carrier) ||
	          put_line(f, "backup-iccid", n->backup.iccid) ||
	          put_line(f, "backup-carrier", n->backup.carrier);
	lwm2m_path lp = { { 508, 0, 4, 0 }, 3 };
	const lwm2m_value *lnk = objstore_get(s, &lp);
	if (!bad && lnk && lnk->type == LWM2M_T_OBJLNK && lnk->v.lnk.obj == 507)
		bad = fprintf(f, "link 507 %u\n", lnk->v.lnk.inst) < 0;
	for (size_t i = 0; i < np && !bad; i++) {
		if (paths[i].len != 2 || paths[i].id[0] != 507)
			continue;
		for (uint16_t r = 0; r < PKG_NRES && !bad; r++) {
			lwm2m_path p = { { 507, paths[i].id[1], r, 0 }, 3 };
			const lwm2m_value *v = objstore_get(s, &p);
			if (v && v->type == LWM2M_T_STRING && v->len && v->data &&
			    !memchr(v->data, '\n', v->len))
				bad = fprintf(f, "507 %u %u %.*s\n", paths[i].id[1], r,
				              (int)v->len, (const char *)v->data) < 0;
		}
	}
	if (bad || fflush(f) || fsync(fileno(f))) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fclose(f)) {
		f = NULL;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path)) {
		snprintf(err, errlen, "rename to %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	free(paths);
	return rc;
}

static int digits_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	return n <= max && strspn(s, "0123456789") == n;
}

static int text_ok(const char *s, size_t max)
{
	if (strlen(s) > max)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int parse_u16(const char *s, char **end, long max)
{
	long v = strtol(s, end, 10);
	return (*end == s || v < 0 || v > max) ? -1 : (int)v;
}

/* One "507 INST RES VALUE" line into *it; 0 or -1. */
static int parse_staged(char *rest, staged *it)
{
	char *end;
	int inst = parse_u16(rest, &end, 65534);
	if (inst < 0 || *end != ' ')
		return -1;
	int res = parse_u16(end + 1, &end, PKG_NRES - 1);
	if (res < 0 || *end != ' ' || !end[1])
		return -1;
	for (const char *c = end + 1; *c; c++)
		if (*c <= ' ' || *c > '~')
			return -1;
	it->inst = (uint16_t)inst;
	it->res = (uint16_t)res;
	it->value = strdup(end + 1);
	return it->value ? 0 : -1;
}

int nusim_state_load(const char *path, nusim *n, objstore *s, char *err,
                     size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	staged *items = NULL;
	size_t nitems = 0, total = 0;
	unsigned lineno = 0;
	nusim_slot cur, backup;
	int rc = -1, link = -1;

	if (!f) {
		if (errno == ENOENT)
			return 1;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	memset(&cur, 0, sizeof cur);
	memset(&backup, 0, sizeof backup);
	if (!(line = malloc(STATE_MAX_LINE + 2)) ||
	    !(items = calloc(STATE_MAX_ITEMS, sizeof *items))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (fgets(line, STATE_MAX_LINE + 2, f)) {
		size_t len = strlen(line);
		lineno++;
		total += len;
		if (total > STATE_MAX_FILE) {
			snprintf(err, errlen, "%s: larger than %u bytes", path,
			         STATE_MAX_FILE);
			goto out;
		}
		if (len == 0 || line[len - 1] != '\n') {
			snprintf(err, errlen, "%s:%u: line too long or unterminated",
			         path, lineno);
			goto out;
		}
		line[--len] = 0;
		char *sp = strchr(line, ' ');
		const char *val = sp ? sp + 1 : "";
		if (sp)
			*sp = 0;
		int ok;
		if (lineno == 1)
			ok = !strcmp(line, "nusim-state") && !strcmp(val, "1");
		else if (!strcmp(line, "iccid"))
			ok = digits_ok(val, NUSIM_ICCID_MAX) &&
			     snprintf(cur.iccid, sizeof cur.iccid, "%s", val) >= 0;
		else if (!strcmp(line, "carrier"))
			ok = text_ok(val, NUSIM_CARRIER_MAX) &&
			     snprintf(cur.carrier, sizeof cur.carrier, "%s", val) >= 0;
		else if (!strcmp(line, "backup-iccid"))
			ok = digits_ok(val, NUSIM_ICCID_MAX) &&
			     snprintf(backup.iccid, sizeof backup.iccid, "%s", val) >= 0;
		else if (!strcmp(line, "backup-carrier"))
			ok = text_ok(val, NUSIM_CARRIER_MAX) &&
			     snprintf(backup.carrier, sizeof backup.carrier, "%s",
			              val) >= 0;
		else if (!strcmp(line, "link")) {
			char *end;
			ok = !strncmp(val, "507 ", 4) &&
			     (link = parse_u16(val + 4, &end, 65534)) >= 0 && !*end;
		} else if (!strcmp(line, "507"))
			ok = nitems < STATE_MAX_ITEMS &&
			     parse_staged((char *)val, &items[nitems]) == 0 &&
			     ++nitems;
		else
			ok = 0;
		if (!ok) {
			snprintf(err, errlen, "%s:%u: malformed line", path, lineno);
			goto out;
		}
	}
	if (ferror(f) || lineno == 0 || !cur.iccid[0]) {
		snprintf(err, errlen, "%s: %s", path,
		         ferror(f) ? strerror(errno) : "no loaded profile in it");
		goto out;
	}
	/* All parsed: apply. */
	lwm2m_path ip = { { 508, 0, 1, 0 }, 3 };
	if (objstore_set_string(s, &ip, cur.iccid) != OBJ_OK) {
		snprintf(err, errlen, "cannot set 508/1");
		goto out;
	}
	for (size_t i = 0; i < nitems; i++) {
		lwm2m_path p = { { 507, items[i].inst, items[i].res, 0 }, 3 };
		if (!objstore_has_instance(s, 507, items[i].inst) &&
		    objstore_add_instance(s, 507, items[i].inst) != OBJ_OK) {
			snprintf(err, errlen, "cannot create /507/%u", items[i].inst);
			goto out;
		}
		if (objstore_set_string(s, &p, items[i].value) != OBJ_OK) {
			snprintf(err, errlen, "cannot set /507/%u/%u", items[i].inst,
			         items[i].res);
			goto out;
		}
	}
	if (link >= 0) {
		lwm2m_path lp = { { 508, 0, 4, 0 }, 3 };
		lwm2m_value v = { .type = LWM2M_T_OBJLNK };
		v.v.lnk.obj = 507;
		v.v.lnk.inst = (uint16_t)link;
		if (objstore_set(s, &lp, &v) != OBJ_OK) {
			snprintf(err, errlen, "cannot set 508/4");
			goto out;
		}
	}
	n->cur = cur;
	n->backup = backup;
	rc = 0;
out:
	for (size_t i = 0; items && i < nitems; i++)
		free(items[i].value);
	free(items);
	free(line);
	fclose(f);
	return rc;
}
