"""Staging (issue 4): POST /devices/{ep}/stage writes the package as a
spare 507 instance without loading it; GET /devices/{ep} lists it; a
later switch to that carrier only links and loads; unstaging deletes the
instance and returns the profile to the pool."""

from harness import check, check_eq, problem_ok
from test_switch_lib import Env, need_nusim

TIMEOUT = 90


def test_stage_then_switch_skips_writing(h):
    need_nusim()
    env = Env(h)
    env.device("st-1")
    s = env.wait_job(env.switch("st-1", {"carrier": "B"}, path="stage")["id"])
    check_eq(s["state"], "done", "stage job (%r)" % s)
    check_eq(env.states_of(s), ["queued", "waiting_online", "preparing",
                                "writing_507", "done"], "stage stops after 507")
    prof = env.srv.get_ok("/devices/st-1")["profiles"]
    check_eq([(p["carrier"], p["role"]) for p in prof], [("B", "staged")],
             "listed as staged")
    check_eq(env.profile(s["to_iccid"])["state"], "reserved", "reserved")
    problem_ok(env.srv.api("POST", "/devices/st-1/stage", {"carrier": "B"},
                           role="operator"), 409)
    j = env.wait_job(env.switch("st-1", {"carrier": "B"})["id"], 40)
    check_eq(j["state"], "done", "switch to the staged carrier (%r)" % j)
    check("writing_507" not in env.states_of(j), "no 507 write this time")
    check_eq(j["to_iccid"], s["to_iccid"], "the staged profile")


def test_unstage_returns_profile(h):
    need_nusim()
    env = Env(h)
    env.device("st-2")
    s = env.wait_job(env.switch("st-2", {"carrier": "C"}, path="stage")["id"])
    check_eq(s["state"], "done", "staged")
    r = env.srv.api("DELETE", "/devices/st-2/stage/C", role="operator")
    check_eq(r.status, 204, "unstage (%r)" % r)
    check_eq(env.profile(s["to_iccid"])["state"], "available", "back in the pool")
    check_eq(env.srv.get_ok("/devices/st-2")["profiles"], [], "instance gone")
    problem_ok(env.srv.api("DELETE", "/devices/st-2/stage/C", role="operator"),
               404)
