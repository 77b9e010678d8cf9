/*
 * test_server_metrics.c: the histograms and labelled counters behind
 * /metrics, their text exposition (every line a comment or
 * `name{labels} value`, cumulative buckets ending in +Inf), and the
 * statement-timing hook of the storage layer.
 */
#include "tests/unit/unit.h"
#include "server/metrics.h"
#include "db/db.h"
#include "db/db_ops.h"

#include <regex.h>
#include <unistd.h>

static const double le3[] = { 0.1, 1, 10 };

TEST(histogram_buckets_are_upper_bounds)
{
	metrics_hist h;
	metrics_hist_init(&h, le3, 3);
	metrics_hist_observe(&h, 0.05);
	metrics_hist_observe(&h, 0.1);    /* le is inclusive */
	metrics_hist_observe(&h, 0.5);
	metrics_hist_observe(&h, 100);
	CHECK_EQ_INT(h.bucket[0], 2);
	CHECK_EQ_INT(h.bucket[1], 1);
	CHECK_EQ_INT(h.bucket[2], 0);
	CHECK_EQ_INT(h.bucket[3], 1);
	CHECK_EQ_INT(h.count, 4);
	CHECK(h.sum > 100.64 && h.sum < 100.66);
}

TEST(histogram_text_is_cumulative)
{
	metrics_hist h;
	metrics_text t = { 0 };
	metrics_hist_init(&h, le3, 3);
	metrics_hist_observe(&h, 0.05);
	metrics_hist_observe(&h, 5);
	metrics_hist_write(&t, "x_seconds", "op=\"a\"", &h);
	CHECK(!t.oom);
	CHECK(strstr(t.b, "x_seconds_bucket{op=\"a\",le=\"0.1\"} 1\n"));
	CHECK(strstr(t.b, "x_seconds_bucket{op=\"a\",le=\"1\"} 1\n"));
	CHECK(strstr(t.b, "x_seconds_bucket{op=\"a\",le=\"10\"} 2\n"));
	CHECK(strstr(t.b, "x_seconds_bucket{op=\"a\",le=\"+Inf\"} 2\n"));
	CHECK(strstr(t.b, "x_seconds_count{op=\"a\"} 2\n"));
	CHECK(strstr(t.b, "x_seconds_sum{op=\"a\"} 5.05"));
	free(t.b);
}

TEST(label_values_are_escaped)
{
	metrics_text t = { 0 };
	metrics_label_value(&t, "a\"b\\c\nd");
	CHECK_EQ_STR(t.b, "a\\\"b\\\\c\\nd");
	free(t.b);
}

/* Every line of the exposition is a comment or `name{labels} value`. */
static int strict_lines(const char *text, char *bad, size_t badlen)
{
	regex_t sample, comment;
	int ok = 1;
	regcomp(&sample, "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*="
	        "\"([^\"\\\\]|\\\\.)*\",?)*\\})? (-?[0-9.e+-]+|\\+Inf|NaN)$",
	        REG_EXTENDED | REG_NOSUB);
	regcomp(&comment, "^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$",
	        REG_EXTENDED | REG_NOSUB);
	const char *p = text;
	while (*p && ok) {
		const char *e = strchr(p, '\n');
		char line[512];
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (!e || n >= sizeof line) {
			ok = 0;   /* every line ends with a newline, and is short */
			snprintf(bad, badlen, "%.80s", p);
			break;
		}
		memcpy(line, p, n);
		line[n] = 0;
		if (regexec(&sample, line, 0, NULL, 0) &&
		    regexec(&comment, line, 0, NULL, 0)) {
			ok = 0;
			snprintf(bad, badlen, "%.100s", line);
		}
		p = e + 1;
	}
	regfree(&sample);
	regfree(&comment);
	return ok;
}

TEST(server_families_parse_strictly)
{
	metrics_text t = { 0 };
	char bad[128] = "";
	metrics_reset();
	metrics_coap_request("register", 201, 0.0004);
	metrics_coap_request("register", 201, 0.002);
	metrics_coap_request("update", 404, 0.001);
	metrics_http_request("GET", 200, 0.01);
	metrics_http_request("BREW\"", 418, 0.01);   /* unknown method: OTHER */
	metrics_dm_request("read", "done");
	metrics_db_statement(0.00002);
	metrics_coap_session(1);
	metrics_coap_session(1);
	metrics_coap_session(-1);
	metrics_write(&t);
	CHECK(!t.oom);
	if (!strict_lines(t.b, bad, sizeof bad))
		UNIT_FAIL("not a sample or comment line: %.100s", bad);
	CHECK(strstr(t.b, "nusimd_coap_requests_total{op=\"register\",code=\"2.01\"} 2\n"));
	CHECK(strstr(t.b, "nusimd_coap_requests_total{op=\"update\",code=\"4.04\"} 1\n"));
	CHECK(strstr(t.b, "nusimd_coap_request_duration_seconds_count 3\n"));
	CHECK(strstr(t.b, "nusimd_coap_request_duration_seconds_bucket{le=\"0.0005\"} 1\n"));
	CHECK(strstr(t.b, "nusimd_http_requests_total{method=\"GET\",status=\"200\"} 1\n"));
	CHECK(strstr(t.b, "nusimd_http_requests_total{method=\"OTHER\",status=\"418\"} 1\n"));
	CHECK(strstr(t.b, "nusimd_dm_requests_total{op=\"read\",outcome=\"done\"} 1\n"));
	CHECK(strstr(t.b, "nusimd_db_statement_duration_seconds_bucket{le=\"2.5e-05\"} 1\n"));
	CHECK(strstr(t.b, "nusimd_coap_sessions 1\n"));
	CHECK(strstr(t.b, "# TYPE nusimd_http_request_duration_seconds histogram\n"));
	free(t.b);
}

TEST(label_table_overflows_into_other)
{
	metrics_text t = { 0 };
	metrics_reset();
	for (int i = 100; i < 200; i++)   /* 100 distinct statuses, 64 slots */
		metrics_http_request("GET", i, 0.001);
	metrics_write(&t);
	CHECK(strstr(t.b, "nusimd_http_requests_total{method=\"other\",status=\"other\"} 37\n"));
	CHECK(strstr(t.b, "nusimd_http_request_duration_seconds_count 100\n"));
	free(t.b);
}

static int timed;
static void count_hook(double s)
{
	if (s >= 0 && s < 5)
		timed++;
}

TEST(db_statements_are_timed)
{
	char dir[] = "/tmp/nusimd-met-XXXXXX", path[128], err[256];
	db *d = NULL;
	int64_t n;
	CHECK(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/m.db", dir);
	CHECK_EQ_INT(db_open(path, &d, err, sizeof err), DB_OK);
	timed = 0;
	db_set_timing_hook(count_hook);
	CHECK_EQ_INT(db_device_count(d, &n), DB_OK);
	CHECK_EQ_INT(db_meta_set(d, "k", "v"), DB_OK);
	CHECK_EQ_INT(timed, 2);
	CHECK_EQ_INT(db_probe_write(d, 100), DB_OK);   /* begin, set, commit */
	CHECK_EQ_INT(timed, 5);
	db_set_timing_hook(NULL);
	CHECK_EQ_INT(db_device_count(d, &n), DB_OK);
	CHECK_EQ_INT(timed, 5);
	db_close(d);
	snprintf(err, sizeof err, "rm -rf %s", dir);
	CHECK_EQ_INT(system(err), 0);
}

UNIT_MAIN
