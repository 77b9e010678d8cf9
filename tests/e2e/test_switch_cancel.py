"""Cancel in each state (DESIGN §7): the test hook --test-pause-at holds
the job in a state, POST /jobs/{id}/cancel ends it cancelled, and the
inventory follows the invariants: a profile that never went into a Load
Profile returns to the pool, one that did is quarantined."""

from harness import check, check_eq
from test_switch_lib import Env, need_nusim

TIMEOUT = 240

# state -> what happens to the reserved profile when cancelled there
CASES = [("queued", None), ("waiting_online", None),
         ("preparing", "available"), ("writing_507", "available"),
         ("linking", "available"), ("loading", "quarantined"),
         ("awaiting_result", "quarantined"),
         ("awaiting_reattach", "quarantined"), ("verifying", "quarantined")]


def _cancel_in(h, state, want):
    env = Env(h, extra=["--test-pause-at", state])
    env.device("cx-1")
    j = env.switch("cx-1", {"carrier": "B"})
    env.srv.wait_log(r'msg=paused job=%d state=%s\b' % (j["id"], state), 30)
    check_eq(env.job(j["id"])["state"], state, "held in %s" % state)
    r = env.srv.api("POST", "/jobs/%d/cancel" % j["id"], role="operator")
    check_eq(r.status, 200, "cancel in %s (%r)" % (state, r))
    check_eq(r.json["state"], "cancelled", "cancelled")
    r = env.srv.api("POST", "/jobs/%d/cancel" % j["id"], role="operator")
    check_eq(r.status, 409, "a second cancel conflicts")
    to = env.job(j["id"])["to_iccid"]
    if want is None:
        check_eq(to, "", "no profile reserved yet in %s" % state)
        check_eq(env.pool("B")["available"], 2, "pool untouched")
    else:
        check_eq(env.profile(to)["state"], want,
                 "profile after a cancel in %s" % state)
    check_eq(env.srv.get_ok("/devices/cx-1")["profiles"], [],
             "the job's 507 instance is gone")
    env.srv.stop()


def test_cancel_in_each_state(h):
    need_nusim()
    for state, want in CASES:
        _cancel_in(h, state, want)
