"""/metrics (issue 6): the Prometheus text exposition parses strictly
(every line a comment or `name{labels} value`, histograms cumulative), the
required families are there, and the counters move after a Register, an
Update and REST calls."""

from harness import check, check_eq, http
from test_ops_lib import metric, parse_metrics

FAMILIES = ["nusimd_registrations", "nusimd_coap_sessions",
            "nusimd_requests_queued", "nusimd_dm_requests_total",
            "nusimd_jobs", "nusimd_campaign_rows", "nusimd_coap_requests_total",
            "nusimd_coap_request_duration_seconds",
            "nusimd_http_requests_total", "nusimd_http_request_duration_seconds",
            "nusimd_db_statement_duration_seconds"]


def _scrape(srv):
    r = http("GET", srv.base + "/metrics")
    check_eq(r.status, 200, "GET /metrics")
    ctype = r.headers.get("Content-Type", "")
    check(ctype.startswith("text/plain; version=0.0.4"), "content type %s" % ctype)
    text = r.text
    return text, parse_metrics(text)


def test_metrics_parse_and_move(h):
    srv = h.server()
    text, m0 = _scrape(srv)
    for f in FAMILIES:
        check("# TYPE %s " % f in text, "family %s is exposed" % f)
    c = h.client(srv.coap_uri, "met-1", lifetime=30)
    c.wait_registered()
    c.ok("update")
    for _ in range(3):
        check_eq(srv.api("GET", "/devices").status, 200, "GET /devices")
    r = srv.lwm2m("GET", "met-1", "3/0/0")
    check_eq(r.status, 200, "read 3/0/0 (%r)" % r)
    text, m1 = _scrape(srv)
    check_eq(metric(m1, "nusimd_registrations"), 1.0, "one registration")
    check(metric(m1, "nusimd_coap_sessions") >= 1, "an active session")
    reg = metric(m1, "nusimd_coap_requests_total", op="register", code="2.01")
    check_eq(reg - metric(m0, "nusimd_coap_requests_total", op="register",
                          code="2.01"), 1.0, "one more Register counted")
    check(metric(m1, "nusimd_coap_requests_total", op="update", code="2.04")
          >= 1, "the Update counted")
    check(metric(m1, "nusimd_coap_request_duration_seconds_count") >=
          metric(m0, "nusimd_coap_request_duration_seconds_count") + 2,
          "the CoAP histogram moved")
    gets = metric(m1, "nusimd_http_requests_total", method="GET", status="200")
    check(gets >= metric(m0, "nusimd_http_requests_total", method="GET",
                         status="200") + 4, "the REST calls counted")
    check(metric(m1, "nusimd_http_request_duration_seconds_count") >
          metric(m0, "nusimd_http_request_duration_seconds_count"),
          "the HTTP histogram moved")
    check(metric(m1, "nusimd_dm_requests_total", op="read", outcome="done")
          >= 1, "the DM read counted")
    check(metric(m1, "nusimd_db_statement_duration_seconds_count") >
          metric(m0, "nusimd_db_statement_duration_seconds_count"),
          "database statements timed")
    check(metric(m1, "nusimd_requests_queued") == 0, "nothing queued")
