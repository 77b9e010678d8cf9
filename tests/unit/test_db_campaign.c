/*
 * test_db_campaign.c: campaign storage: staging and its validation (each
 * reason on its own line), commit as a whole, the row moves and their
 * counters, and that a reopened database resumes where it was.
 */
#include "tests/unit/unit.h"
#include "tests/unit/db_fixture.h"
#include "db/db_campaign.h"
#include "db/db_switch.h"

static int add_profile(db *d, const char *iccid, const char *carrier)
{
	static const uint8_t sealed[4] = { 1, 2, 3, 4 };
	db_profile p;
	memset(&p, 0, sizeof p);
	snprintf(p.iccid, sizeof p.iccid, "%s", iccid);
	snprintf(p.imsi, sizeof p.imsi, "001010000000001");
	snprintf(p.carrier, sizeof p.carrier, "%s", carrier);
	p.sealed = (uint8_t *)sealed;
	p.sealed_len = sizeof sealed;
	return db_profile_add(d, &p);
}

static db_camp_settings settings(void)
{
	db_camp_settings s;
	memset(&s, 0, sizeof s);
	snprintf(s.name, sizeof s.name, "t");
	s.max_in_flight = 10;
	s.max_starts_per_s = 5;
	s.failure_threshold_pct = 50;
	s.failure_min_sample = 10;
	return s;
}

/* The error of staged line `line`, "" if valid, "?" if absent. */
static const char *err_of(db *d, int64_t imp, int64_t line)
{
	static char buf[DB_MAX_CAMP_ERROR + 1];
	db_camp_row *rows;
	size_t n;
	if (db_camp_stage_errors(d, imp, 1000, &rows, &n))
		return "?";
	buf[0] = 0;
	for (size_t i = 0; i < n; i++)
		if (rows[i].line == line)
			snprintf(buf, sizeof buf, "%s", rows[i].error);
	free(rows);
	return buf;
}

TEST(stage_validates_each_reason)
{
	db *d = fx_open();
	CHECK(d);
	for (int i = 1; i <= 6; i++) {
		char ep[16];
		snprintf(ep, sizeof ep, "dev-%d", i);
		CHECK_EQ_INT(db_device_put(d, ep, "", NULL, 0), DB_OK);
	}
	CHECK_EQ_INT(add_profile(d, "8988247000000000011", "B"), DB_OK);
	CHECK_EQ_INT(add_profile(d, "8988247000000000029", "B"), DB_OK);
	CHECK_EQ_INT(add_profile(d, "8988247000000000037", "C"), DB_OK);
	db_job j;
	memset(&j, 0, sizeof j);
	snprintf(j.kind, sizeof j.kind, "switch");
	snprintf(j.endpoint, sizeof j.endpoint, "dev-6");
	snprintf(j.carrier, sizeof j.carrier, "B");
	snprintf(j.state, sizeof j.state, "queued");
	j.instance = -1;
	j.result_code = -1;
	CHECK_EQ_INT(db_job_add(d, &j), DB_OK);

	int64_t imp;
	CHECK_EQ_INT(db_camp_stage_new(d, &imp), DB_OK);
	CHECK_EQ_INT(db_begin(d), DB_OK);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 2, "dev-1", "", 0, "B", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 3, "nosuch", "", 0, "B", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 4, "dev-1", "", 0, "B", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 5, "dev-2", "", 0, "Z", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 6, "dev-3", "", 0, "B", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 7, "dev-4", "", 0, "B", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 8, "dev-5", "", 1,
	                               "8988247000000000037", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 9, "dev-6", "", 0, "C", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 10, "", "", 0, "",
	                               "wrong column count: 3, want 2"), 0);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 11, "", "89049032000000000000000000000001",
	                               0, "C", NULL), 0);
	CHECK_EQ_INT(db_commit(d), DB_OK);
	CHECK_EQ_INT(db_camp_stage_check(d, imp), DB_OK);

	CHECK_EQ_STR(err_of(d, imp, 2), "");
	CHECK_EQ_STR(err_of(d, imp, 3), "unknown device: nosuch");
	CHECK(strstr(err_of(d, imp, 4), "duplicate row"));
	CHECK(strstr(err_of(d, imp, 4), "line 2"));
	CHECK_EQ_STR(err_of(d, imp, 5), "unknown carrier: Z");
	CHECK_EQ_STR(err_of(d, imp, 6), "");
	CHECK(strstr(err_of(d, imp, 7), "not enough profiles"));
	CHECK_EQ_STR(err_of(d, imp, 8), "");
	CHECK(strstr(err_of(d, imp, 9), "active job"));
	CHECK(strstr(err_of(d, imp, 10), "column count"));
	CHECK(strstr(err_of(d, imp, 11), "no device with EID"));
	int64_t valid, bad;
	CHECK_EQ_INT(db_camp_stage_counts(d, imp, &valid, &bad), DB_OK);
	CHECK_EQ_INT(valid, 3);
	CHECK_EQ_INT(bad, 7);

	/* skip_invalid: only the valid rows become the campaign. */
	db_camp_settings s = settings();
	int64_t id;
	CHECK_EQ_INT(db_camp_stage_commit(d, imp, &s, "tester", "w1", 100, &id),
	             DB_OK);
	db_campaign c;
	CHECK_EQ_INT(db_camp_get(d, id, &c), DB_OK);
	CHECK_EQ_INT(c.total, 3);
	CHECK_EQ_INT(c.pending, 3);
	CHECK_EQ_INT(c.state, DB_CAMP_DRAFT);
	CHECK_EQ_STR(c.warnings, "w1");
	db_campaign_clear(&c);
	CHECK_EQ_INT(db_camp_stage_counts(d, imp, &valid, &bad), DB_OK);
	CHECK_EQ_INT(valid + bad, 0);

	/* The same devices again: now they are in an unfinished campaign. */
	CHECK_EQ_INT(db_camp_stage_new(d, &imp), DB_OK);
	CHECK_EQ_INT(db_camp_stage_row(d, imp, 2, "dev-1", "", 0, "C", NULL), 0);
	CHECK_EQ_INT(db_camp_stage_check(d, imp), DB_OK);
	CHECK(strstr(err_of(d, imp, 2), "already in campaign"));
	CHECK_EQ_INT(db_camp_stage_discard(d, imp), DB_OK);
	CHECK_EQ_INT(db_camp_stage_counts(d, imp, &valid, &bad), DB_OK);
	CHECK_EQ_INT(valid + bad, 0);
}

TEST(rows_move_once_and_survive_reopen)
{
	db *d = fx_open();
	CHECK(d);
	int64_t imp, id, n;
	CHECK_EQ_INT(db_camp_stage_new(d, &imp), DB_OK);
	CHECK_EQ_INT(db_begin(d), DB_OK);
	for (int i = 0; i < 2500; i++) {
		char ep[16];
		snprintf(ep, sizeof ep, "e%d", i);
		CHECK_EQ_INT(db_camp_stage_row(d, imp, i + 2, ep, "", 0, "B", NULL), 0);
	}
	CHECK_EQ_INT(db_commit(d), DB_OK);
	db_camp_settings s = settings();
	CHECK_EQ_INT(db_camp_stage_commit(d, imp, &s, "", "", 1, &id), DB_OK);
	CHECK_EQ_INT(db_camp_set_state(d, id, DB_CAMP_RUNNING, NULL, 5), DB_OK);

	db_camp_row *rows;
	size_t nr;
	CHECK_EQ_INT(db_camp_pending(d, id, 3, &rows, &nr), DB_OK);
	CHECK_EQ_INT(nr, 3);
	CHECK_EQ_INT(rows[0].line, 2);
	CHECK_EQ_INT(db_camp_row_start(d, id, rows[0].line, 77, 6), DB_OK);
	CHECK_EQ_INT(db_camp_row_start(d, id, rows[0].line, 78, 6), DB_NOT_FOUND);
	CHECK_EQ_INT(db_camp_row_start(d, id, rows[1].line, 79, 6), DB_OK);
	CHECK_EQ_INT(db_camp_row_refuse(d, id, rows[2].line, "empty pool", 6), DB_OK);
	free(rows);

	d = fx_reopen();
	CHECK(d);
	int64_t *ids;
	size_t nids;
	CHECK_EQ_INT(db_camp_active_ids(d, &ids, &nids), DB_OK);
	CHECK_EQ_INT(nids, 1);
	CHECK_EQ_INT(ids[0], id);
	free(ids);
	CHECK_EQ_INT(db_camp_started(d, id, &rows, &nr), DB_OK);
	CHECK_EQ_INT(nr, 2);
	free(rows);

	db_camp_row r;
	CHECK_EQ_INT(db_camp_row_by_job(d, 77, &r), DB_OK);
	CHECK_EQ_STR(r.endpoint, "e0");
	snprintf(r.outcome, sizeof r.outcome, "done");
	snprintf(r.to_iccid, sizeof r.to_iccid, "8988247000000000011");
	r.result_code = 0;
	CHECK_EQ_INT(db_camp_row_finish(d, &r, 1, 9), DB_OK);
	CHECK_EQ_INT(db_camp_row_finish(d, &r, 1, 9), DB_NOT_FOUND);
	CHECK_EQ_INT(db_camp_row_by_job(d, 79, &r), DB_OK);
	snprintf(r.outcome, sizeof r.outcome, "rolled_back");
	snprintf(r.error, sizeof r.error, "device fell back");
	CHECK_EQ_INT(db_camp_row_finish(d, &r, 0, 9), DB_OK);
	CHECK_EQ_INT(db_camp_row_by_job(d, 12345, &r), DB_NOT_FOUND);

	CHECK_EQ_INT(db_camp_skip_pending(d, id, "cancelled", 10, &n), DB_OK);
	CHECK_EQ_INT(n, 2497);
	db_campaign c;
	CHECK_EQ_INT(db_camp_get(d, id, &c), DB_OK);
	CHECK_EQ_INT(c.pending, 0);
	CHECK_EQ_INT(c.started, 0);
	CHECK_EQ_INT(c.succeeded, 1);
	CHECK_EQ_INT(c.failed, 2);
	CHECK_EQ_INT(c.skipped, 2497);
	CHECK_EQ_INT(c.started_at, 5);
	db_campaign_clear(&c);
	CHECK_EQ_INT(db_camp_set_state(d, id, DB_CAMP_CANCELLED, "by op", 11), DB_OK);
	CHECK_EQ_INT(db_camp_get(d, id, &c), DB_OK);
	CHECK_EQ_STR(c.end_reason, "by op");
	CHECK_EQ_INT(c.ended_at, 11);
	db_campaign_clear(&c);

	CHECK_EQ_INT(db_camp_rows(d, id, 0, 10, &rows, &nr), DB_OK);
	CHECK_EQ_INT(nr, 10);
	CHECK_EQ_STR(db_crow_state_name(rows[0].state), "succeeded");
	CHECK_EQ_STR(rows[1].outcome, "rolled_back");
	CHECK_EQ_STR(rows[2].outcome, "refused");
	CHECK_EQ_STR(rows[3].outcome, "skipped");
	free(rows);
	CHECK_EQ_INT(db_camp_rows(d, id, 2000, 1000, &rows, &nr), DB_OK);
	CHECK_EQ_INT(nr, 501);
	free(rows);

	db_campaign *list;
	size_t nl;
	CHECK_EQ_INT(db_camp_list(d, 0, 10, &list, &nl), DB_OK);
	CHECK_EQ_INT(nl, 1);
	db_camp_list_free(list, nl);
}

UNIT_MAIN
