/*
 * test_db_switch.c: the inventory invariants of DESIGN §7 as the storage
 * layer enforces them (db/db_switch.h, schema/002_switch.sql): a profile is
 * reserved for one device at most, a loaded profile never returns to the
 * pool, one running job per device, staged instances one per carrier.
 */
#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"
#include "db/db_switch.h"

static const uint8_t blob[] = { 1, 2, 3, 4 };

static int add(db *d, const char *iccid, const char *carrier)
{
	db_profile p;
	memset(&p, 0, sizeof p);
	snprintf(p.iccid, sizeof p.iccid, "%s", iccid);
	snprintf(p.imsi, sizeof p.imsi, "001010000000001");
	snprintf(p.carrier, sizeof p.carrier, "%s", carrier);
	p.sealed = (uint8_t *)blob;
	p.sealed_len = sizeof blob;
	return db_profile_add(d, &p);
}

static int64_t job(db *d, const char *ep)
{
	db_job j;
	memset(&j, 0, sizeof j);
	snprintf(j.kind, sizeof j.kind, "switch");
	snprintf(j.endpoint, sizeof j.endpoint, "%s", ep);
	snprintf(j.carrier, sizeof j.carrier, "B");
	snprintf(j.state, sizeof j.state, "queued");
	return db_job_add(d, &j) == DB_OK ? j.id : -1;
}

TEST(profile_add_and_duplicate)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(add(d, "8988247000000000018", "B"), DB_OK);
	CHECK_EQ_INT(add(d, "8988247000000000018", "B"), DB_CONFLICT);
	db_profile p;
	CHECK_EQ_INT(db_profile_get(d, "8988247000000000018", &p), DB_OK);
	CHECK_EQ_STR(p.state, "available");
	CHECK_EQ_INT(p.sealed_len, sizeof blob);
	db_profile_clear(&p);
	CHECK_EQ_INT(db_carrier_known(d, "B"), DB_OK);
	CHECK_EQ_INT(db_carrier_known(d, "Z"), DB_NOT_FOUND);
}

TEST(reserve_takes_each_profile_once)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(add(d, "8988247000000000018", "B"), DB_OK);
	CHECK_EQ_INT(add(d, "8988247000000000026", "B"), DB_OK);
	db_profile a, b, c;
	CHECK_EQ_INT(db_profile_reserve(d, "B", NULL, "ep1", 1, &a), DB_OK);
	CHECK_EQ_INT(db_profile_reserve(d, "B", NULL, "ep2", 2, &b), DB_OK);
	CHECK(strcmp(a.iccid, b.iccid) != 0);
	CHECK_EQ_STR(a.state, "reserved");
	CHECK_EQ_STR(a.endpoint, "ep1");
	CHECK_EQ_INT(db_profile_reserve(d, "B", NULL, "ep3", 3, &c), DB_NOT_FOUND);
	/* asking for a reserved ICCID by name does not steal it */
	CHECK_EQ_INT(db_profile_reserve(d, "", a.iccid, "ep3", 3, &c),
	             DB_NOT_FOUND);
	db_pool *pl;
	size_t n;
	CHECK_EQ_INT(db_pool_list(d, &pl, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(pl[0].reserved, 2);
	CHECK_EQ_INT(pl[0].available, 0);
	free(pl);
	db_profile_clear(&a);
	db_profile_clear(&b);
}

TEST(loaded_profile_never_returns_to_pool)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(add(d, "8988247000000000018", "B"), DB_OK);
	db_profile a;
	CHECK_EQ_INT(db_profile_reserve(d, "B", NULL, "ep1", 1, &a), DB_OK);
	db_profile_clear(&a);
	CHECK_EQ_INT(db_profile_mark_loaded(d, "8988247000000000018"), DB_OK);
	CHECK_EQ_INT(db_profile_move(d, "8988247000000000018", "reserved",
	                             "available"), DB_CONFLICT);
	CHECK_EQ_INT(db_profile_move(d, "8988247000000000018", "reserved",
	                             "quarantined"), DB_OK);
	CHECK_EQ_INT(db_profile_move(d, "8988247000000000018", "quarantined",
	                             "reserved"), DB_CONFLICT);
	CHECK_EQ_INT(db_profile_reserve(d, "B", NULL, "ep2", 2, &a), DB_NOT_FOUND);
}

TEST(unloaded_profile_returns_to_pool)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(add(d, "8988247000000000018", "B"), DB_OK);
	db_profile a;
	CHECK_EQ_INT(db_profile_reserve(d, "B", NULL, "ep1", 1, &a), DB_OK);
	db_profile_clear(&a);
	CHECK_EQ_INT(db_profile_move(d, a.iccid, "installed", "available"),
	             DB_CONFLICT);   /* not in that state */
	CHECK_EQ_INT(db_profile_move(d, a.iccid, "reserved", "available"), DB_OK);
	char iccid[21];
	snprintf(iccid, sizeof iccid, "%s", a.iccid);
	CHECK_EQ_INT(db_profile_get(d, iccid, &a), DB_OK);
	CHECK_EQ_STR(a.endpoint, "");
	db_profile_clear(&a);
	CHECK_EQ_INT(db_profile_reserve(d, "B", NULL, "ep2", 2, &a), DB_OK);
	CHECK_EQ_STR(a.endpoint, "ep2");
	db_profile_clear(&a);
}

TEST(one_running_job_per_device)
{
	db *d = fx_open();
	CHECK(d);
	int64_t id = job(d, "ep1");
	CHECK(id > 0);
	CHECK_EQ_INT(job(d, "ep1"), -1);
	CHECK(job(d, "ep2") > 0);
	db_job j;
	CHECK_EQ_INT(db_job_active(d, "ep1", &j), DB_OK);
	CHECK_EQ_INT(j.id, id);
	snprintf(j.state, sizeof j.state, "loading");
	j.load_sent = 1;
	CHECK_EQ_INT(db_job_save(d, &j, 1, "sent"), DB_OK);
	j.load_sent = 0;
	CHECK_EQ_INT(db_job_save(d, &j, 0, NULL), DB_CONFLICT);
	j.load_sent = 1;
	snprintf(j.state, sizeof j.state, "done");
	j.final = 1;
	CHECK_EQ_INT(db_job_save(d, &j, 1, NULL), DB_OK);
	/* an ended job stays ended */
	snprintf(j.state, sizeof j.state, "queued");
	j.final = 0;
	CHECK(db_job_save(d, &j, 1, NULL) != DB_OK);
	CHECK(job(d, "ep1") > 0);
	db_transition *t;
	size_t n;
	CHECK_EQ_INT(db_job_transitions(d, id, &t, &n), DB_OK);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(t[0].state, "queued");
	CHECK_EQ_STR(t[1].state, "loading");
	CHECK_EQ_STR(t[2].state, "done");
	free(t);
	db_job *l;
	CHECK_EQ_INT(db_job_unfinished(d, &l, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	free(l);
}

TEST(instances_one_device_one_staged_per_carrier)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(add(d, "8988247000000000018", "B"), DB_OK);
	CHECK_EQ_INT(add(d, "8988247000000000026", "B"), DB_OK);
	db_instance in = { .endpoint = "ep1", .instance = 1,
	                   .iccid = "8988247000000000018", .carrier = "B",
	                   .role = "staged", .job_id = 1 };
	CHECK_EQ_INT(db_inst_put(d, &in), DB_OK);
	db_instance other = in;
	snprintf(other.endpoint, sizeof other.endpoint, "ep2");
	CHECK_EQ_INT(db_inst_put(d, &other), DB_CONFLICT);  /* same ICCID */
	other = in;
	other.instance = 2;
	snprintf(other.iccid, sizeof other.iccid, "8988247000000000026");
	CHECK_EQ_INT(db_inst_put(d, &other), DB_CONFLICT);  /* 2nd staged for B */
	snprintf(other.role, sizeof other.role, "active");
	CHECK_EQ_INT(db_inst_put(d, &other), DB_OK);
	CHECK_EQ_INT(db_inst_set_role(d, "ep1", 1, "active"), DB_CONFLICT);
	db_instance s;
	CHECK_EQ_INT(db_inst_staged(d, "ep1", "B", &s), DB_OK);
	CHECK_EQ_INT(s.instance, 1);
	CHECK_EQ_INT(db_inst_delete(d, "ep1", 1), DB_OK);
	CHECK_EQ_INT(db_inst_staged(d, "ep1", "B", &s), DB_NOT_FOUND);
}

TEST(audit_and_events_in_order)
{
	db *d = fx_open();
	CHECK(d);
	CHECK_EQ_INT(db_audit_add(d, "alice", "switch", "ep1", "to B"), DB_OK);
	CHECK_EQ_INT(db_audit_add(d, "nusimd", "job done", "job 1", ""), DB_OK);
	db_audit *a;
	size_t n;
	CHECK_EQ_INT(db_audit_list(d, 0, 10, &a, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(a[0].actor, "alice");
	int64_t first = a[0].id;
	free(a);
	CHECK_EQ_INT(db_audit_list(d, first, 10, &a, &n), DB_OK);
	CHECK_EQ_INT(n, 1);
	free(a);
	int64_t id = 0;
	for (int i = 0; i < 5; i++)
		CHECK_EQ_INT(db_event_add(d, 1000 + i, "registered", "{}", &id),
		             DB_OK);
	CHECK_EQ_INT(db_event_prune(d, 2), DB_OK);
	db_event *e;
	CHECK_EQ_INT(db_event_list(d, 0, 10, &e, &n), DB_OK);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(e[1].id, id);
	db_event_list_free(e, n);
	int64_t last;
	CHECK_EQ_INT(db_event_last_id(d, &last), DB_OK);
	CHECK_EQ_INT(last, id);
}

UNIT_MAIN
