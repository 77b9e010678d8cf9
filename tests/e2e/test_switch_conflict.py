"""One running job per device: a second switch (or stage) while one runs
gets 409 with the running job's id; after it ends, a new one starts."""

from harness import check, check_eq, problem_ok
from test_switch_lib import Env

TIMEOUT = 60


def test_second_switch_conflicts(h):
    env = Env(h, extra=["--test-pause-at", "queued"])
    c = h.client(env.srv.coap_uri, "cf-1")
    c.wait_registered()
    env.srv.wait_registered("cf-1")
    j = env.switch("cf-1", {"carrier": "B"})
    for path, body in (("switch", {"carrier": "C"}), ("stage", {"carrier": "C"})):
        r = env.srv.api("POST", "/devices/cf-1/" + path, body, role="operator")
        problem_ok(r, 409)
        check_eq(r.json["job_id"], j["id"], "409 names the running job")
        check_eq(r.json["job"], "/api/v1/jobs/%d" % j["id"], "and links it")
    r = env.srv.api("POST", "/jobs/%d/cancel" % j["id"], role="operator")
    check_eq(r.status, 200, "cancel")
    j2 = env.switch("cf-1", {"carrier": "C"})
    check(j2["id"] != j["id"], "a new job after the first ended")
    r = env.srv.api("GET", "/jobs?device=cf-1&state=cancelled", role="viewer")
    check_eq([x["id"] for x in r.json["items"]], [j["id"]], "list by state")
