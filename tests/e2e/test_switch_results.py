"""Load Profile results (DESIGN §5): every 508/6 code the simulated nuSIM
can give ends the job failed with that code; the profile, once it went
into a Load Profile, is quarantined, never back in the pool. 9 (busy) is
retried with backoff and, when it stays busy, fails as retryable."""

from harness import check, check_eq
from test_switch_lib import Env, need_nusim

TIMEOUT = 150

# (client fault, expected result code)
CASES = [("refuse=1", 1), ("refuse=2", 2), ("refuse=3", 3), ("refuse=4", 4),
         ("corrupt-mac", 5), ("refuse=6", 6), ("refuse=7", 7),
         ("refuse=8", 8)]


def test_every_result_code_fails_the_job(h):
    need_nusim()
    env = Env(h, profiles=len(CASES))
    for i, (fault, code) in enumerate(CASES):
        ep = "res-%d" % code
        env.device(ep, extra=["--fault", fault])
        j = env.wait_job(env.switch(ep, {"carrier": "B"})["id"], 30)
        check_eq((j["state"], j["result_code"]), ("failed", code),
                 "%s ends failed with %d (%r)" % (fault, code, j))
        check_eq(j["retryable"], False, "code %d is not retryable" % code)
        check(j["error"], "an error text")
        check_eq(env.profile(j["to_iccid"])["state"], "quarantined",
                 "profile after result %d" % code)
    check_eq(env.pool("B")["available"], 0, "no profile back in the pool")


def test_busy_is_retried_then_retryable(h):
    need_nusim()
    env = Env(h)
    env.device("res-9", extra=["--fault", "refuse=9"])
    j = env.wait_job(env.switch("res-9", {"carrier": "B"})["id"], 30)
    check_eq((j["state"], j["result_code"], j["retryable"]),
             ("failed", 9, True), "busy fails as retryable (%r)" % j)
    check_eq(j["attempts"], 2, "retried max_retries times")
    check_eq(env.states_of(j).count("loading"), 3, "Load Profile 1 + 2 retries")

