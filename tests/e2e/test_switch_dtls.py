"""The carrier switch end to end (DESIGN §7, issue 4): a device on carrier
A, over DTLS, is switched to carrier B: it ends on B's ICCID, registers
from B's address range, the inventory shows the profile installed, and
the job shows every state with its time."""

from harness import check, check_eq
from test_switch_lib import Env, RANGE, device_iccid, need_nusim

TIMEOUT = 120

PATH = ["queued", "waiting_online", "preparing", "writing_507", "linking",
        "loading", "awaiting_result", "awaiting_reattach", "verifying", "done"]


def _switch(h, dtls):
    need_nusim()
    env = Env(h, dtls=dtls)
    dev = env.device("sw-1")
    check(env.srv.registration("sw-1")["addr"].startswith(RANGE["A"]),
          "starts on carrier A's range")
    j = env.switch("sw-1", {"carrier": "B"})
    check_eq(j["state"] in ("queued", "waiting_online", "preparing"), True,
             "job starts (%r)" % j["state"])
    done = env.wait_job(j["id"], 40)
    check_eq(done["state"], "done", "job outcome (%r)" % done)
    check_eq(env.states_of(done), PATH, "every state, in order")
    check(all(t["at_ms"] for t in done["transitions"]), "times recorded")
    to = done["to_iccid"]
    check_eq(done["from_iccid"], dev.iccid0, "from ICCID")
    check(to.startswith("8988066"), "a profile of carrier B: %s" % to)
    check_eq(done["result_code"], 0, "508/6")
    reg = env.srv.registration("sw-1")
    check(reg["addr"].startswith(RANGE["B"]), "now on B's range: %r" % reg)
    check_eq(reg["transport"], "dtls" if dtls else "udp", "transport")
    check_eq(device_iccid(env.srv, "sw-1"), to, "508/1 is the new ICCID")
    check_eq(env.profile(to)["state"], "installed", "inventory")
    check_eq(env.profile(to)["endpoint"], "sw-1", "installed on the device")
    pool = env.pool("B")
    check_eq((pool["available"], pool["installed"]), (1, 1), "pool of B")
    prof = env.srv.get_ok("/devices/sw-1")["profiles"]
    check_eq([(p["iccid"], p["role"]) for p in prof], [(to, "active")],
             "GET /devices lists the 507 instance")


def test_switch_a_to_b_dtls(h):
    _switch(h, True)


def test_switch_a_to_b_nosec(h):
    _switch(h, False)


def test_switch_back_keeps_one_fallback(h):
    """A → B → C: the instance of B stays as the fallback of C; a third
    switch retires the oldest (cleanup keeps exactly one fallback)."""
    need_nusim()
    env = Env(h, profiles=3)
    env.device("sw-2")
    first = env.wait_job(env.switch("sw-2", {"carrier": "B"})["id"], 40)
    check_eq(first["state"], "done", "A → B")
    second = env.wait_job(env.switch("sw-2", {"carrier": "C"})["id"], 40)
    check_eq(second["state"], "done", "B → C (%r)" % second)
    roles = {p["iccid"]: p["role"] for p in
             env.srv.get_ok("/devices/sw-2")["profiles"]}
    check_eq(roles, {first["to_iccid"]: "fallback",
                     second["to_iccid"]: "active"}, "active + fallback")
    third = env.wait_job(env.switch("sw-2", {"carrier": "B"})["id"], 40)
    check_eq(third["state"], "done", "C → B")
    roles = {p["iccid"]: p["role"] for p in
             env.srv.get_ok("/devices/sw-2")["profiles"]}
    check_eq(roles, {second["to_iccid"]: "fallback",
                     third["to_iccid"]: "active"}, "oldest instance removed")
    check_eq(env.profile(first["to_iccid"])["state"], "retired",
             "the profile removed from the device is retired, never reused")
