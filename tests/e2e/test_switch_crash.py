"""Crash recovery (DESIGN §7): nusimd is killed with SIGKILL while a job
is in each state of the machine (the test hook --test-pause-at holds it
there), then started again without the hook: the job completes exactly
once, with one profile, and no profile is used twice."""

from harness import check, check_eq
from test_switch_lib import Env, device_iccid, need_nusim

TIMEOUT = 400

STATES = ["queued", "waiting_online", "preparing", "writing_507", "linking",
          "loading", "awaiting_result", "awaiting_reattach", "verifying"]


def _crash_in(h, state, ep):
    env = Env(h, extra=["--test-pause-at", state])
    dev = env.device(ep)
    j = env.switch(ep, {"carrier": "B"})
    env.srv.wait_log(r'msg=paused job=%d state=%s\b' % (j["id"], state), 30)
    env.srv.kill9()
    i = env.srv.extra_args.index("--test-pause-at")
    del env.srv.extra_args[i:i + 2]
    env.srv.restart(hard=True)
    env.srv.wait_log(r"msg=\"job resumed\" job=%d" % j["id"], 10)
    done = env.wait_job(j["id"], 60)
    check_eq(done["state"], "done", "after a crash in %s (%r)" % (state, done))
    states = [t["state"] for t in done["transitions"]]
    check_eq(states.count("done"), 1, "done once")
    check(states.count("loading") <= 1, "loading entered once: %r" % states)
    check_eq(device_iccid(env.srv, ep), done["to_iccid"], "device on B")
    pool = env.pool("B")
    check_eq((pool["installed"], pool["reserved"], pool["available"]),
             (1, 0, 1), "one profile used (%r)" % pool)
    loads = dev.log.count(r"msg=load-profile\b")
    check(loads <= 1, "the device executed Load Profile at most once "
          "(%d)" % loads)
    env.srv.stop()
    dev.stop()


def test_crash_in_each_state(h):
    need_nusim()
    for i, s in enumerate(STATES):
        _crash_in(h, s, "cr-%d" % i)
