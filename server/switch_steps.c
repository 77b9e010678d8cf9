/*
 * switch_steps.c: what each state of the switch machine does on the wire
 * (server/switch_int.h): the action run on entering a state (sw_enter),
 * the handler of each request's result, the 508/6 notifications and the
 * device's registrations. Transitions go through sw_go (switch.c), which
 * persists them first.
 *
 * Every request carries origin "switch:<job id>", so after a restart the
 * leftovers of a job can be found and cancelled; each re-entered state
 * acts idempotently (reads again, Writes instead of a second Create, never
 * a second Execute once loading was recorded).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/switch_int.h"
#include "server/log.h"
#include "crypto/seal.h"
#include "crypto/cerr.h"
#include "db/db_certs.h"

static void on_result(void *arg, const dm_result *r);
static void step_prepare(sw_job *j);
static void step_write(sw_job *j);

static void jlog(int level, const char *msg, const sw_job *j, const char *k,
                 const char *v)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)j->r.id);
	log_kv(level, msg, "job", id, "ep", j->r.endpoint, "state",
	       sw_state_name(j->st), k, v, NULL);
}

/* Sends one request of the job; returns the DM_SUBMIT_* code. */
static int submit(sw_job *j, int kind, int op, const char *path, int fmt,
                  const uint8_t *payload, size_t len)
{
	sw *s = j->s;
	char origin[40];
	dm_request rq;
	memset(&rq, 0, sizeof rq);
	snprintf(origin, sizeof origin, "switch:%lld", (long long)j->r.id);
	if (lwm2m_path_parse(path, strlen(path), &rq.path) != LWM2M_OK)
		return DM_SUBMIT_BAD;
	rq.op = (dm_op)op;
	rq.format = (lwm2m_format)fmt;
	rq.accept = op == DM_READ || op == DM_OBSERVE ? LWM2M_CF_TLV
	                                              : LWM2M_CF_NONE;
	rq.payload = payload;
	rq.len = len;
	rq.ttl_s = s->cfg.wait_online_s;
	rq.origin = origin;
	int64_t id = 0;
	int rc = dm_submit(s->cfg.dm, j->r.endpoint, &rq, on_result, j, &id);
	if (rc >= 0) {
		j->req = id;
		j->req_kind = kind;
	}
	return rc;
}

void sw_detach(sw_job *j)
{
	if (!j->req)
		return;
	dm_detach(j->s->cfg.dm, j->req);
	dm_cancel(j->s->cfg.dm, j->req);   /* only if still queued */
	j->req = 0;
	j->req_kind = R_NONE;
}

void sw_delete_instance(sw *s, const char *ep, int inst)
{
	char path[24];
	dm_request rq;
	memset(&rq, 0, sizeof rq);
	snprintf(path, sizeof path, "/507/%d", inst);
	if (inst < 0 || lwm2m_path_parse(path, strlen(path), &rq.path))
		return;
	rq.op = DM_DELETE;
	rq.format = rq.accept = LWM2M_CF_NONE;
	rq.ttl_s = s->cfg.wait_online_s;
	rq.origin = "switch-cleanup";
	int64_t id;
	int rc = dm_submit(s->cfg.dm, ep, &rq, NULL, NULL, &id);
	log_kv(NLOG_INFO, "507 instance cleanup", "ep", ep, "path", path,
	       "submitted", rc >= 0 ? "yes" : "no", NULL);
}

/* A submit that did not make it: the device is not registered (wait for
 * it) or the request is bad (fail). */
static void not_registered_cb(void *arg)
{
	sw_job *j = arg;
	j->timer = NULL;
	j->wait_reg = 0;
	if (!j->paused)
		sw_fail(j, -1, 1, "the device did not register within %lld s",
		        (long long)j->s->cfg.wait_online_s);
}

static void submit_failed(sw_job *j, int rc, const char *what)
{
	if (rc == DM_SUBMIT_NO_DEVICE) {
		/* Its next Register re-enters the state (sw_on_device_event);
		 * the wait is bounded like a queued request's. */
		jlog(NLOG_INFO, "device not registered: waiting", j, "for", what);
		if (!j->timer) {
			j->wait_reg = 1;
			j->timer = loop_timer_add(j->s->cfg.l,
			                          j->s->cfg.wait_online_s * 1000,
			                          not_registered_cb, j);
		}
		return;
	}
	sw_fail(j, -1, rc == DM_SUBMIT_ERROR, "cannot send %s (%s)", what,
	        rc == DM_SUBMIT_ERROR ? "storage error" : "bad request");
}

/* ---- the 507 package: read 508, reserve, build on the pool ----------- */

static const lwm2m_record *find(const lwm2m_records *rs, int res)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rec[i].path.len == 3 && rs->rec[i].path.id[2] == res)
			return &rs->rec[i];
	return NULL;
}

/* Reads EID, ICCID, capabilities and certificate out of a Read of /508/0. */
static int parse_508(sw_job *j, const dm_result *r, char *why, size_t n)
{
	lwm2m_path base;
	lwm2m_records rs;
	int rc = -1;
	lwm2m_records_init(&rs);
	lwm2m_path_parse("/508/0", 6, &base);
	if (lwm2m_decode(r->format, &base, r->payload, r->len, &rs) != LWM2M_OK) {
		snprintf(why, n, "508/0 does not decode");
		goto out;
	}
	const lwm2m_record *eid = find(&rs, 0), *iccid = find(&rs, 1),
	                   *caps = find(&rs, 2), *cert = find(&rs, 3);
	if (!eid || eid->value.type != LWM2M_T_STRING ||
	    !pkg_eid_valid((const char *)eid->value.data)) {
		snprintf(why, n, "508/0 has no valid EID (32 digits)");
		goto out;
	}
	if (caps && caps->value.type == LWM2M_T_OPAQUE && caps->value.len >= 2 &&
	    !(caps->value.data[1] & 1)) {
		snprintf(why, n, "the nuSIM does not support DP authentication "
		         "(508/2 flags %02x)", caps->value.data[1]);
		goto out;
	}
	uint8_t *der = NULL;
	size_t derlen = 0;
	if (!cert || !cert->value.len) {
		/* 508/3 is optional (DESIGN §6 step 1): the operator imported the
		 * chip maker's certificate of this EID, or nobody has one. */
		db_cert ic;
		db_rc crc = db_cert_get(j->s->cfg.db, (const char *)eid->value.data,
		                        &ic);
		if (crc != DB_OK) {
			snprintf(why, n, crc == DB_NOT_FOUND
			         ? "no certificate for EID %s: the device exposes no "
			           "508/3 and none was imported (POST /api/v1/certificates)"
			         : "cannot read the imported certificate of EID %s",
			         (const char *)eid->value.data);
			goto out;
		}
		der = ic.der;
		derlen = ic.der_len;
		ic.der = NULL;
	} else if (cert->value.type != LWM2M_T_STRING ||
	           lwm2m_base64_decode((const char *)cert->value.data,
	                               cert->value.len, 0, &der, &derlen)
	           != LWM2M_OK) {
		snprintf(why, n, "508/3 is not base64");
		goto out;
	}
	free(j->cert);
	j->cert = der;
	j->cert_len = derlen;
	snprintf(j->r.eid, sizeof j->r.eid, "%s", (const char *)eid->value.data);
	/* The ICCID before the switch is taken once: after a Load Profile a
	 * re-read would show the new one. */
	if (!j->r.from_iccid[0] && iccid && iccid->value.type == LWM2M_T_STRING &&
	    iccid->value.len <= DB_MAX_ICCID)
		snprintf(j->r.from_iccid, sizeof j->r.from_iccid, "%s",
		         (const char *)iccid->value.data);
	rc = 0;
out:
	lwm2m_records_free(&rs);
	return rc;
}

/* The lowest 507 instance id neither the device lists nor we wrote. */
static int choose_instance(sw *s, const sw_job *j)
{
	static unsigned char used[8192];
	memset(used, 0, sizeof used);
	db_instance *il = NULL;
	size_t n = 0;
	if (db_inst_list(s->cfg.db, j->r.endpoint, &il, &n) == DB_OK)
		for (size_t i = 0; i < n; i++)
			if (il[i].instance >= 0 && il[i].instance < (int)sizeof used)
				used[il[i].instance] = 1;
	free(il);
	db_registration reg;
	memset(&reg, 0, sizeof reg);
	if (db_reg_get(s->cfg.db, j->r.endpoint, &reg) == DB_OK && reg.links) {
		lwm2m_links l;
		lwm2m_links_init(&l);
		if (lwm2m_links_parse(reg.links, strlen(reg.links), &l) == LWM2M_OK)
			for (size_t i = 0; i < l.n; i++)
				if (l.link[i].is_path && l.link[i].path.len >= 2 &&
				    l.link[i].path.id[0] == 507 &&
				    l.link[i].path.id[1] < sizeof used)
					used[l.link[i].path.id[1]] = 1;
		lwm2m_links_free(&l);
	}
	db_registration_clear(&reg);
	for (int i = 0; i < (int)sizeof used; i++)
		if (!used[i])
			return i;
	return -1;
}

struct build {
	sw_job *j;
	const pkg_dp *dp;
	uint8_t *cert;
	size_t cert_len;
	char eid[33];
	uint8_t *prof;
	size_t prof_len;
	pkg_507 out;
	int rc;
	char err[256];
};

static void build_work(void *arg)
{
	struct build *b = arg;
	b->rc = pkg_build(b->dp, b->cert, b->cert_len, b->eid, b->prof,
	                  b->prof_len, &b->out, b->err, sizeof b->err);
}

static void build_free(struct build *b)
{
	seal_wipe_free(b->prof, b->prof_len);
	free(b->cert);
	free(b);
}

static void build_done(void *arg, int cancelled)
{
	struct build *b = arg;
	sw_job *j = b->j;
	j->crypto_busy = 0;
	if (j->dead || cancelled) {
		if (b->rc == CR_OK)
			pkg_507_free(&b->out);
		build_free(b);
		if (j->dead) {
			if (j->have_pkg)
				pkg_507_free(&j->pkg);
			free(j->cert);
			free(j);
		}
		return;
	}
	if (b->rc != CR_OK) {
		char why[300];
		snprintf(why, sizeof why, "%s", b->err);
		build_free(b);
		sw_fail(j, -1, 0, "cannot build the package: %s", why);
		return;
	}
	j->s->st.packages_built++;
	if (j->have_pkg)
		pkg_507_free(&j->pkg);
	j->pkg = b->out;
	j->have_pkg = 1;
	build_free(b);
	if (j->paused)
		return;
	if (j->st == S_PREPARING)
		sw_go(j, S_WRITING_507, "package built");
	else if (j->st == S_WRITING_507)
		step_write(j);
}

/* Unseals the reserved profile and hands the build to the pool. */
static void start_build(sw_job *j)
{
	sw *s = j->s;
	db_profile p;
	char aad[32];
	struct build *b = calloc(1, sizeof *b);
	if (!b) {
		sw_fail(j, -1, 1, "out of memory");
		return;
	}
	if (db_profile_get(s->cfg.db, j->r.to_iccid, &p) != DB_OK) {
		free(b);
		sw_fail(j, -1, 0, "reserved profile %s is gone", j->r.to_iccid);
		return;
	}
	snprintf(aad, sizeof aad, "profile:%s", j->r.to_iccid);
	int urc = unseal(s->cfg.key, aad, p.sealed, p.sealed_len, &b->prof,
	                 &b->prof_len);
	db_profile_clear(&p);
	if (urc < 0) {
		free(b);
		sw_fail(j, -1, 0, "profile %s does not unseal (wrong master key?)",
		        j->r.to_iccid);
		return;
	}
	b->j = j;
	b->dp = s->dp;
	b->cert = malloc(j->cert_len);
	if (!b->cert) {
		build_free(b);
		sw_fail(j, -1, 1, "out of memory");
		return;
	}
	memcpy(b->cert, j->cert, j->cert_len);
	b->cert_len = j->cert_len;
	snprintf(b->eid, sizeof b->eid, "%s", j->r.eid);
	j->crypto_busy = 1;
	if (cpool_submit(s->pool, build_work, build_done, b) < 0) {
		j->crypto_busy = 0;
		build_free(b);
		sw_retry_or_fail(j, "the crypto queue is full");
	}
}

/* After 508 was read in preparing: a staged package short-cuts to linking;
 * else reserve (once: a resumed job has its profile already), pick the
 * instance, build. */
static void step_prepare(sw_job *j)
{
	sw *s = j->s;
	db *d = s->cfg.db;
	if (!strcmp(j->r.kind, "switch")) {
		db_instance in;
		int got = j->r.want_iccid[0]
		          ? db_inst_by_iccid(d, j->r.want_iccid, &in) == DB_OK &&
		            !strcmp(in.endpoint, j->r.endpoint) &&
		            !strcmp(in.role, "staged")
		          : db_inst_staged(d, j->r.endpoint, j->r.carrier, &in) == DB_OK;
		if (got) {
			snprintf(j->r.to_iccid, sizeof j->r.to_iccid, "%s", in.iccid);
			j->r.instance = in.instance;
			char det[48];
			snprintf(det, sizeof det, "staged in /507/%d", in.instance);
			sw_go(j, S_LINKING, det);
			return;
		}
	}
	if (!j->r.to_iccid[0]) {
		db_profile p;
		db_rc rc = db_begin(d);
		if (!rc) {
			rc = db_profile_reserve(d, j->r.want_iccid[0] ? "" : j->r.carrier,
			                        j->r.want_iccid, j->r.endpoint, j->r.id,
			                        &p);
			if (!rc) {
				snprintf(j->r.to_iccid, sizeof j->r.to_iccid, "%s", p.iccid);
				db_profile_clear(&p);
				rc = db_job_save(d, &j->r, 0, NULL);
			}
			if (rc)
				db_rollback(d);
			else
				rc = db_commit(d);
		}
		if (rc) {
			j->r.to_iccid[0] = 0;
			if (rc == DB_NOT_FOUND)
				sw_fail(j, -1, 0, "%s", db_errmsg(d));
			else
				sw_fail(j, -1, 1, "cannot reserve a profile: %s",
				        db_errmsg(d));
			return;
		}
	}
	if (j->r.instance < 0) {
		j->r.instance = choose_instance(s, j);
		if (j->r.instance < 0) {
			sw_fail(j, -1, 0, "no free 507 instance id on the device");
			return;
		}
		sw_save(j);
	}
	start_build(j);
}

/* ---- writing_507, linking, loading ------------------------------------- */

static int encode_507(sw_job *j, int create, uint8_t **out, size_t *len)
{
	lwm2m_records rs;
	lwm2m_path base, p;
	char bp[24];
	lwm2m_records_init(&rs);
	snprintf(bp, sizeof bp, create ? "/507" : "/507/%d", j->r.instance);
	lwm2m_path_parse(bp, strlen(bp), &base);
	p.len = 3;
	p.id[0] = 507;
	p.id[1] = (uint16_t)j->r.instance;
	for (int i = 0; i < PKG_NRES; i++) {
		p.id[2] = (uint16_t)i;
		if (lwm2m_records_add_string(&rs, &p, j->pkg.res[i],
		                             strlen(j->pkg.res[i])) != LWM2M_OK) {
			lwm2m_records_free(&rs);
			return -1;
		}
	}
	lwm2m_err e = lwm2m_encode(LWM2M_CF_TLV, &base, &rs, out, len);
	lwm2m_records_free(&rs);
	return e == LWM2M_OK ? 0 : -1;
}

/* Create, or (after a restart, or when Create says the instance is
 * there) Write-replace the instance. */
static void step_write(sw_job *j)
{
	uint8_t *pl = NULL;
	size_t n = 0;
	int create = !j->resumed;
	char path[24];
	if (encode_507(j, create, &pl, &n) < 0) {
		sw_fail(j, -1, 0, "cannot encode the 507 instance");
		return;
	}
	snprintf(path, sizeof path, create ? "/507" : "/507/%d", j->r.instance);
	int rc = submit(j, create ? R_CREATE : R_WRITE507,
	                create ? DM_CREATE : DM_WRITE, path, LWM2M_CF_TLV, pl, n);
	free(pl);
	if (rc < 0)
		submit_failed(j, rc, "the 507 instance");
}

static void after_write(sw_job *j)
{
	char det[32];
	snprintf(det, sizeof det, "/507/%d written", j->r.instance);
	sw_go(j, strcmp(j->r.kind, "stage") ? S_LINKING : S_DONE, det);
}

static void step_link(sw_job *j)
{
	lwm2m_records rs;
	lwm2m_path p;
	lwm2m_value v = { .type = LWM2M_T_OBJLNK };
	uint8_t *pl = NULL;
	size_t n = 0;
	v.v.lnk.obj = 507;
	v.v.lnk.inst = (uint16_t)j->r.instance;
	lwm2m_records_init(&rs);
	lwm2m_path_parse("/508/0/4", 8, &p);
	if (lwm2m_records_add(&rs, &p, &v) != LWM2M_OK ||
	    lwm2m_encode(LWM2M_CF_TLV, &p, &rs, &pl, &n) != LWM2M_OK) {
		lwm2m_records_free(&rs);
		sw_fail(j, -1, 0, "cannot encode 508/4");
		return;
	}
	lwm2m_records_free(&rs);
	int rc = submit(j, R_LINK, DM_WRITE, "/508/0/4", LWM2M_CF_TLV, pl, n);
	free(pl);
	if (rc < 0)
		submit_failed(j, rc, "508/4");
}

static void step_execute(sw_job *j)
{
	db_registration reg;
	memset(&reg, 0, sizeof reg);
	if (db_reg_get(j->s->cfg.db, j->r.endpoint, &reg) == DB_OK)
		snprintf(j->load_addr, sizeof j->load_addr, "%s", reg.addr);
	db_registration_clear(&reg);
	j->pending_result = -1;
	int rc = submit(j, R_EXECUTE, DM_EXECUTE, "/508/0/5", LWM2M_CF_NONE,
	                NULL, 0);
	if (rc < 0) {
		/* Not on the wire; loading is recorded, so it is never sent
		 * again: find out what the device did instead. */
		sw_go(j, S_AWAITING_RESULT, "Load Profile not sent");
	}
}

/* ---- results --------------------------------------------------------- */

static void busy_retry_cb(void *arg)
{
	sw_job *j = arg;
	j->timer = NULL;
	j->busy_wait = 0;
	if (!j->paused && j->st == S_AWAITING_RESULT)
		sw_go(j, S_LINKING, "retry after busy");
}

static void handle_result(sw_job *j, int v)
{
	char det[64];
	sw *s = j->s;
	j->r.result_code = v;
	snprintf(det, sizeof det, "508/6 = %d", v);
	if (v == PKG_OK) {
		sw_go(j, S_AWAITING_REATTACH, det);
		return;
	}
	if (v == PKG_BUSY && j->r.attempts < s->cfg.max_retries) {
		int64_t ms = s->cfg.retry_backoff_ms << (j->r.attempts < 10 ? j->r.attempts : 10);
		j->r.attempts++;
		snprintf(j->r.error, sizeof j->r.error, "nuSIM busy: retrying");
		sw_save(j);
		jlog(NLOG_INFO, "nuSIM busy, retrying", j, "result", "9");
		j->busy_wait = 1;
		j->timer = loop_timer_add(s->cfg.l, ms, busy_retry_cb, j);
		return;
	}
	sw_fail(j, v, v == PKG_BUSY, "Load Profile result %d: %s", v,
	        pkg_result_str(v));
}

static void read_result(sw_job *j)
{
	int rc = submit(j, R_READ_RESULT, DM_READ, "/508/0/6", LWM2M_CF_NONE,
	                NULL, 0);
	if (rc < 0)
		submit_failed(j, rc, "508/6");
}

static void result_timeout_cb(void *arg)
{
	sw_job *j = arg;
	j->timer = NULL;
	if (!j->paused && j->st == S_AWAITING_RESULT && !j->req)
		read_result(j);
}

/* 1 if the device registered again at or after the job last changed state
 * (the job is in awaiting_reattach, so after its Load Profile). */
static int reattached_since(sw_job *j)
{
	db_registration reg;
	memset(&reg, 0, sizeof reg);
	int back = db_reg_get(j->s->cfg.db, j->r.endpoint, &reg) == DB_OK &&
	           reg.registered_at >= j->r.updated_at;
	db_registration_clear(&reg);
	return back;
}

static void reattach_deadline_cb(void *arg)
{
	sw_job *j = arg;
	char det[64];
	j->timer = NULL;
	if (j->paused)
		return;
	sw_detach(j);
	snprintf(det, sizeof det, "the device did not come back within %lld s",
	         (long long)j->s->cfg.reattach_timeout_s);
	snprintf(j->r.error, sizeof j->r.error, "%s", det);
	sw_go(j, S_TIMED_OUT, det);
}

static int int_value(const dm_result *r, const char *path, int64_t *out)
{
	lwm2m_path p;
	lwm2m_records rs;
	int rc = -1;
	lwm2m_records_init(&rs);
	lwm2m_path_parse(path, strlen(path), &p);
	if (lwm2m_decode(r->format, &p, r->payload, r->len, &rs) == LWM2M_OK &&
	    rs.n == 1 && (rs.rec[0].value.type == LWM2M_T_INTEGER ||
	                  lwm2m_value_convert(&rs.rec[0].value,
	                                      LWM2M_T_INTEGER) == LWM2M_OK)) {
		*out = rs.rec[0].value.v.i;
		rc = 0;
	}
	lwm2m_records_free(&rs);
	return rc;
}

static int str_value(const dm_result *r, const char *path, char *out,
                     size_t cap)
{
	lwm2m_path p;
	lwm2m_records rs;
	int rc = -1;
	lwm2m_records_init(&rs);
	lwm2m_path_parse(path, strlen(path), &p);
	if (lwm2m_decode(r->format, &p, r->payload, r->len, &rs) == LWM2M_OK &&
	    rs.n == 1 && (rs.rec[0].value.type == LWM2M_T_STRING ||
	                  lwm2m_value_convert(&rs.rec[0].value,
	                                      LWM2M_T_STRING) == LWM2M_OK) &&
	    rs.rec[0].value.len < cap) {
		snprintf(out, cap, "%s", (const char *)rs.rec[0].value.data);
		rc = 0;
	}
	lwm2m_records_free(&rs);
	return rc;
}

static void on_verify(sw_job *j, const dm_result *r, int ok)
{
	char iccid[32] = "";
	if (!ok || str_value(r, "/508/0/1", iccid, sizeof iccid) < 0) {
		if (j->st == S_VERIFYING)
			sw_go(j, S_AWAITING_REATTACH, "508/1 not read: waiting");
		return;
	}
	if (j->st == S_AWAITING_REATTACH) {
		/* A check after a restart: move on only when it shows the new
		 * profile; else the device's re-attach will tell. */
		if (!strcmp(iccid, j->r.to_iccid)) {
			j->verify_event = 1;
			sw_go(j, S_VERIFYING, "508/1 shows the new profile");
		}
		return;
	}
	char det[64];
	snprintf(det, sizeof det, "508/1 = %s", iccid);
	if (!strcmp(iccid, j->r.to_iccid)) {
		sw_go(j, S_DONE, det);
	} else if (j->r.from_iccid[0] && !strcmp(iccid, j->r.from_iccid)) {
		if (j->verify_event) {
			snprintf(j->r.error, sizeof j->r.error, "the device fell back "
			         "to its previous profile %s", iccid);
			sw_go(j, S_ROLLED_BACK, det);
		} else {
			sw_go(j, S_AWAITING_REATTACH, det);
		}
	} else {
		sw_fail(j, j->r.result_code, 0, "after the switch 508/1 is %s, "
		        "neither %s nor %s", iccid, j->r.to_iccid, j->r.from_iccid);
	}
}

static int transport_failed(const dm_result *r)
{
	return r->state != DB_REQ_DONE;
}

static void on_result(void *arg, const dm_result *r)
{
	sw_job *j = arg;
	int kind = j->req_kind;
	char why[160];
	j->req = 0;
	j->req_kind = R_NONE;
	if (j->paused)
		return;
	if (r->state == DB_REQ_EXPIRED) {
		sw_fail(j, -1, 1, "the device did not come online within %lld s",
		        (long long)j->s->cfg.wait_online_s);
		return;
	}
	if (r->state == DB_REQ_CANCELLED)
		return;
	snprintf(why, sizeof why, "%s%s%d.%02d", r->error[0] ? r->error : "",
	         r->error[0] ? ", CoAP " : "CoAP ", r->coap_code / 100,
	         r->coap_code % 100);
	switch (kind) {
	case R_READ508:
		if (transport_failed(r)) {
			sw_retry_or_fail(j, r->error);
		} else if (r->coap_code != 205) {
			sw_fail(j, -1, 0, "reading 508/0 failed: %s", why);
		} else {
			char e[256];
			if (parse_508(j, r, e, sizeof e) < 0) {
				sw_fail(j, -1, 0, "%s", e);
			} else if (j->st == S_WAITING_ONLINE) {
				sw_go(j, S_PREPARING, "508 read");
			} else if (j->st == S_PREPARING) {
				step_prepare(j);
			} else if (j->st == S_WRITING_507) {
				start_build(j);   /* resumed: rebuild, then write */
			}
		}
		break;
	case R_CREATE:
	case R_WRITE507:
		if (transport_failed(r)) {
			sw_retry_or_fail(j, r->error);
		} else if (r->coap_code == 201 || r->coap_code == 204) {
			after_write(j);
		} else if (kind == R_CREATE && !j->resumed) {
			/* The instance exists (an earlier try): replace it. */
			j->resumed = 1;
			step_write(j);
		} else if (kind == R_WRITE507 && r->coap_code == 404 && j->resumed) {
			j->resumed = 0;
			step_write(j);
		} else {
			sw_fail(j, -1, 0, "writing /507/%d failed: %s",
			        j->r.instance, why);
		}
		break;
	case R_LINK:
		if (transport_failed(r))
			sw_retry_or_fail(j, r->error);
		else if (r->coap_code != 204)
			sw_fail(j, -1, 0, "writing 508/4 failed: %s", why);
		else if (submit(j, R_OBSERVE, DM_OBSERVE, "/508/0/6",
		                LWM2M_CF_NONE, NULL, 0) < 0)
			sw_go(j, S_LOADING, "508/4 linked, 508/6 not observed");
		break;
	case R_OBSERVE:
		j->observing = !transport_failed(r) && r->coap_code == 205;
		sw_go(j, S_LOADING, j->observing ? "508/4 linked, 508/6 observed"
		                                 : "508/4 linked, no observe");
		break;
	case R_EXECUTE:
		if (transport_failed(r)) {
			sw_go(j, S_AWAITING_RESULT, "no answer to Load Profile");
		} else if (r->coap_code != 204) {
			sw_fail(j, -1, 0, "the device refused Load Profile: %s", why);
		} else {
			sw_go(j, S_AWAITING_RESULT, "Load Profile executed");
		}
		break;
	case R_READ_RESULT: {
		int64_t v;
		if (!transport_failed(r) && r->coap_code == 205 &&
		    int_value(r, "/508/0/6", &v) == 0)
			handle_result(j, (int)v);
		else
			sw_go(j, S_AWAITING_REATTACH, "508/6 not read: the device "
			      "may be re-attaching");
		break;
	}
	case R_READ_ICCID:
		on_verify(j, r, !transport_failed(r) && r->coap_code == 205);
		break;
	default:
		break;
	}
}

/* ---- the actions ------------------------------------------------------- */

static void read_508(sw_job *j)
{
	int rc = submit(j, R_READ508, DM_READ, "/508/0", LWM2M_CF_NONE, NULL, 0);
	if (rc < 0) {
		submit_failed(j, rc, "the 508 read");
	} else if (rc == DM_SUBMIT_QUEUED && j->st == S_WAITING_ONLINE) {
		jlog(NLOG_INFO, "waiting for the device", j, NULL, NULL);
	}
}

static void read_iccid(sw_job *j)
{
	int rc = submit(j, R_READ_ICCID, DM_READ, "/508/0/1", LWM2M_CF_NONE,
	                NULL, 0);
	if (rc < 0)
		submit_failed(j, rc, "508/1");
}

void sw_enter(sw_job *j)
{
	sw *s = j->s;
	if (j->paused)
		return;
	switch (j->st) {
	case S_QUEUED:
		sw_go(j, S_WAITING_ONLINE, NULL);
		break;
	case S_WAITING_ONLINE:
		if (!j->req)
			read_508(j);
		break;
	case S_PREPARING:
		if (j->req_kind == R_READ508)
			break;                /* the read of waiting_online */
		if (j->cert && j->r.eid[0])
			step_prepare(j);
		else
			read_508(j);
		break;
	case S_WRITING_507:
		if (j->have_pkg)
			step_write(j);
		else
			read_508(j);          /* resumed: the package is rebuilt */
		break;
	case S_LINKING:
		step_link(j);
		break;
	case S_LOADING:
		if (j->resumed)
			sw_go(j, S_AWAITING_RESULT, "resumed after a restart: Load "
			      "Profile is not sent again");
		else
			step_execute(j);
		break;
	case S_AWAITING_RESULT:
		if (j->pending_result >= 0) {
			int v = j->pending_result;
			j->pending_result = -1;
			handle_result(j, v);
		} else if (j->observing && !j->resumed) {
			j->timer = loop_timer_add(s->cfg.l, s->cfg.result_timeout_ms,
			                          result_timeout_cb, j);
		} else {
			read_result(j);
		}
		break;
	case S_AWAITING_REATTACH: {
		/* Resumed after a crash: the device may have come back while
		 * the old process was dying, and will not register again soon.
		 * Its registration row says so (written before that process
		 * could act on it): verify, waiting for it as long as it takes,
		 * instead of timing out. */
		if (j->resumed && !j->verify_event && reattached_since(j)) {
			j->verify_event = 1;
			sw_go(j, S_VERIFYING, "the device re-attached (before the restart)");
			break;
		}
		int64_t left = j->r.deadline - loop_wall_s();
		j->timer = loop_timer_add(s->cfg.l, left > 0 ? left * 1000 : 0,
		                          reattach_deadline_cb, j);
		if (j->verify_event)
			sw_go(j, S_VERIFYING, "the device re-attached");
		else if (j->resumed)
			read_iccid(j);
		break;
	}
	case S_VERIFYING:
		read_iccid(j);
		break;
	default:
		break;
	}
}

void sw_on_notify(sw *s, sw_job *j, int value)
{
	(void)s;
	if (j->st == S_LOADING) {
		j->pending_result = value;   /* before Execute's own answer */
	} else if (j->st == S_AWAITING_RESULT && !j->busy_wait) {
		if (j->timer) {
			loop_timer_cancel(j->s->cfg.l, j->timer);
			j->timer = NULL;
		}
		sw_detach(j);
		handle_result(j, value);
	}
}

void sw_on_device_event(sw *s, sw_job *j, int kind, const char *addr)
{
	(void)s;
	if (j->wait_reg && (kind == EV_REGISTERED || kind == EV_UPDATED)) {
		j->wait_reg = 0;
		if (j->timer) {
			loop_timer_cancel(j->s->cfg.l, j->timer);
			j->timer = NULL;
		}
		sw_enter(j);
		return;
	}
	int back = kind == EV_REGISTERED ||
	           (kind == EV_UPDATED && addr && j->load_addr[0] &&
	            strcmp(addr, j->load_addr)) ||
	           (kind == EV_UPDATED && !j->load_addr[0]);
	switch (j->st) {
	case S_WAITING_ONLINE:
	case S_PREPARING:
	case S_WRITING_507:
	case S_LINKING:
		/* Waiting because the device was not registered: go on. */
		if ((kind == EV_REGISTERED || kind == EV_UPDATED) && !j->req &&
		    !j->crypto_busy && !j->timer)
			sw_enter(j);
		break;
	case S_AWAITING_RESULT:
		if (back && !j->busy_wait) {
			sw_detach(j);
			j->verify_event = 1;
			sw_go(j, S_AWAITING_REATTACH, "the device re-attached");
		}
		break;
	case S_AWAITING_REATTACH:
		if (back) {
			sw_detach(j);
			j->verify_event = 1;
			sw_go(j, S_VERIFYING, "the device re-attached");
		}
		break;
	case S_VERIFYING:
		if (back)
			j->verify_event = 1;
		break;
	default:
		break;
	}
}
