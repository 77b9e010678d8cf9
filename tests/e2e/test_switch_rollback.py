"""A device that cannot attach to the new carrier falls back (DESIGN §7):
after --attach-timeout it restores its backup profile and registers again
on carrier A with the old ICCID; the job ends rolled_back and the profile
is quarantined."""

from harness import check, check_eq
from test_switch_lib import Env, RANGE, device_iccid, need_nusim

TIMEOUT = 90


def test_fallback_rolls_back(h):
    need_nusim()
    env = Env(h)
    dev = env.device("rb-1", extra=["--no-coverage", "B",
                                    "--attach-timeout", "2"])
    j = env.wait_job(env.switch("rb-1", {"carrier": "B"})["id"], 40)
    check_eq(j["state"], "rolled_back", "outcome (%r)" % j)
    check_eq(env.profile(j["to_iccid"])["state"], "quarantined", "profile")
    check(env.srv.registration("rb-1")["addr"].startswith(RANGE["A"]),
          "back on carrier A")
    check_eq(device_iccid(env.srv, "rb-1"), dev.iccid0, "old ICCID")
