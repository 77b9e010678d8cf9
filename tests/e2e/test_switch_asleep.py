"""A sleeping device (queue mode): the switch waits in waiting_online
while it sleeps and completes after it wakes (DESIGN §4, §7)."""

import time

from harness import check, check_eq
from test_switch_lib import Env, need_nusim

TIMEOUT = 90


def test_asleep_at_start_then_completes(h):
    need_nusim()
    env = Env(h)
    dev = env.device("zz-1", queue_mode=True, lifetime=60)
    dev.ok("sleep")
    time.sleep(2.0)    # past the awake window of FAST
    j = env.switch("zz-1", {"carrier": "B"})
    time.sleep(2.0)
    check_eq(env.job(j["id"])["state"], "waiting_online", "waits while asleep")
    dev.ok("wake")
    j = env.wait_job(j["id"], 40)
    check_eq(j["state"], "done", "completes after the wake-up (%r)" % j)
