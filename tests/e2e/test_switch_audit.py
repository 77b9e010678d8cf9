"""The audit trail (issue 4): every operator action (with its token's
name) and every job outcome is recorded, readable at GET /audit with a
cursor."""

from harness import check, check_eq, problem_ok
from test_switch_lib import Env, iccid

TIMEOUT = 60


def test_operator_actions_and_outcomes(h):
    env = Env(h, profiles=1, extra=["--test-pause-at", "queued"])
    srv = env.srv
    c = h.client(srv.coap_uri, "au-1")
    c.wait_registered()
    srv.wait_registered("au-1")
    op = srv.token_create("alice", "operator")
    r = srv.api("POST", "/profiles", {"iccid": iccid("C", 9), "imsi":
                "001010000000009", "carrier": "C", "ki": "00" * 16,
                "opc": "11" * 16}, token=op)
    check_eq(r.status, 201, "profile by alice")
    r = srv.api("POST", "/devices/au-1/switch", {"carrier": "B"}, token=op)
    check_eq(r.status, 202, "switch by alice")
    jid = r.json["id"]
    check_eq(srv.api("POST", "/jobs/%d/cancel" % jid, token=op).status, 200,
             "cancel by alice")
    a = srv.get_ok("/audit?limit=100", role="admin")["items"]
    mine = [(x["actor"], x["action"]) for x in a if x["actor"] == "alice"]
    check_eq(mine, [("alice", "profile add"), ("alice", "switch"),
                    ("alice", "cancel")], "alice's actions, in order")
    check(any(x["actor"] == "nusimd" and x["action"] == "switch cancelled"
              and x["target"] == "job %d" % jid for x in a), "the outcome")
    check(all("00" * 16 not in x["detail"] for x in a), "no secrets")
    page = srv.get_ok("/audit?after=%d&limit=1" % a[0]["id"], role="admin")
    check_eq(page["items"][0]["id"], a[1]["id"], "cursor")
    problem_ok(srv.api("GET", "/audit", role="viewer"), 403)
