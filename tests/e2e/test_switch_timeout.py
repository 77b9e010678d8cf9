"""A device that never comes back after Load Profile (DESIGN §7): the job
ends timed_out after switch_reattach_timeout_s, the profile whose fate is
unknown is quarantined, and the device's next switch gets another one."""

from harness import check, check_eq
from test_switch_lib import Env, need_nusim

TIMEOUT = 90


def test_never_returns_times_out(h):
    need_nusim()
    env = Env(h)
    env.device("to-1", extra=["--fault", "never-return"])
    j = env.switch("to-1", {"carrier": "B"})
    j = env.wait_job(j["id"], 40)
    check_eq(j["state"], "timed_out", "outcome (%r)" % j)
    check("awaiting_reattach" in env.states_of(j), "waited for the re-attach")
    check_eq(env.profile(j["to_iccid"])["state"], "quarantined", "profile")
    check_eq(env.pool("B")["quarantined"], 1, "pool counts it quarantined")
    audit = env.srv.get_ok("/audit?limit=1000", role="admin")["items"]
    check(any(a["action"] == "switch timed_out" for a in audit),
          "the outcome is audited")
