"""Campaigns against simulated nuSIM fleets (NoSec, short deadlines):
1,000 devices end on their target carrier except the ones set to fail,
each reported with its reason, and the report matches 508/1 read back over
LwM2M; the throttle (in flight from the events, start rate by counting);
pause, resume, cancel; the window's end; the failure-threshold abort; and
kill -9 in the middle of a campaign: after the restart every row is done
exactly once."""

import concurrent.futures
import time

from harness import check, check_eq, wait_until
from test_campaign_lib import (Events, action, campaign, fleet_csv, fleet_env,
                               in_flight_series, post_csv, report, wait_state)

TIMEOUT = 240
FINAL_JOB = ("done", "failed", "rolled_back", "timed_out", "cancelled")


def _create(srv, body, **settings):
    r = post_csv(srv, body, **settings)
    check_eq(r.status, 201, "create campaign (%r)" % r)
    return r.json["id"]


def _read_iccid(srv, ep):
    r = srv.lwm2m("GET", ep, "508/0/1", timeout_ms=10000)
    if r.status != 200:
        return None
    return [v["value"] for v in r.json["values"] if v["path"] == "/508/0/1"][0]


def _starts(events, job_ids):
    """Server times (ms) at which the campaign's jobs were queued."""
    return sorted(d["at_ms"] for d in events.jobs()
                  if d["state"] == "queued" and d["job_id"] in job_ids)


def test_thousand_devices_complete(h):
    n = 1000
    srv, fl, _ = fleet_env(h, n, "cg", faults=["50=corrupt-mac"])
    ev = Events(srv)
    cid = _create(srv, fleet_csv("cg", n), name="thousand", max_in_flight=50,
                  max_starts_per_s=200, failure_threshold_pct=10,
                  failure_min_sample=50)
    action(srv, cid, "start")
    c = wait_state(srv, cid, timeout=200)
    check_eq(c["state"], "completed", "campaign state (%r)" % c)
    check_eq(c["counts"]["succeeded"], n - n // 50, "succeeded")
    check_eq(c["counts"]["failed"], n // 50, "failed")
    check_eq(c["counts"]["pending"] + c["counts"]["in_flight"], 0, "nothing left")
    rows = report(srv, cid)
    check_eq(len(rows), n, "one report line per row")
    check_eq(len({r["endpoint"] for r in rows}), n, "each device once")
    for r in rows:
        idx = int(r["endpoint"].split("-")[1])
        if idx % 50 == 0:
            check_eq(r["outcome"], "failed", "outcome of faulty %s" % r["endpoint"])
            check_eq(r["result_code"], "5", "result of %s" % r["endpoint"])
            check("MAC" in r["error"], "reason of %s: %r" % (r["endpoint"], r["error"]))
        else:
            check_eq(r["outcome"], "done", "outcome of %s (%r)" % (r["endpoint"], r))
            check(r["to_iccid"] and r["to_iccid"] != r["from_iccid"], "ICCIDs")
        check(r["job"] and r["started_at"] and r["ended_at"], "times and job")
    # The devices themselves say the same.
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        got = dict(zip([r["endpoint"] for r in rows],
                       ex.map(lambda r: _read_iccid(srv, r["endpoint"]), rows)))
    for r in rows:
        want = r["to_iccid"] if r["outcome"] == "done" else r["from_iccid"]
        check_eq(got[r["endpoint"]], want, "508/1 of %s" % r["endpoint"])
    # The throttle held, seen from the job events and the campaign's own.
    jobs = {int(r["job"]) for r in rows}
    peak, _ = in_flight_series(ev, cid, jobs)
    check(0 < peak <= 50, "in flight never above 50: %d" % peak)
    check(all(d["in_flight"] <= 50 for d in ev.campaign(cid)),
          "campaign events within the limit")
    check_eq(ev.campaign(cid)[-1]["state"], "completed", "last campaign event")
    ev.close()


def test_throttle_in_flight_and_rate(h):
    n = 40
    srv, fl, _ = fleet_env(h, n, "ct")
    ev = Events(srv)
    cid = _create(srv, fleet_csv("ct", n), max_in_flight=3, max_starts_per_s=8)
    action(srv, cid, "start")
    check_eq(wait_state(srv, cid, timeout=90)["state"], "completed", "state")
    rows = report(srv, cid)
    jobs = {int(r["job"]) for r in rows}
    wait_until(lambda: len(_starts(ev, jobs)) == n, 10, what="all start events")
    peak, _ = in_flight_series(ev, cid, jobs)
    check(peak <= 3, "in flight never above 3: %d" % peak)
    check(peak == 3, "the limit was reached: %d" % peak)
    # The start rate, by counting: no 1-second window of server time holds
    # more starts than the rate plus the bucket's one-start burst.
    starts = _starts(ev, jobs)
    worst = max(sum(1 for t in starts if s <= t < s + 1000) for s in starts)
    check(worst <= 8 + 1, "at most 9 starts in any second: %d" % worst)
    ev.close()


def test_pause_resume_cancel(h):
    n = 60
    srv, fl, _ = fleet_env(h, n, "cp")
    cid = _create(srv, fleet_csv("cp", n), max_in_flight=2, max_starts_per_s=4)
    action(srv, cid, "pause", status=409)          # a draft cannot pause
    action(srv, cid, "start")
    action(srv, cid, "start", status=409)
    wait_until(lambda: campaign(srv, cid)["counts"]["succeeded"] >= 3, 30,
               what="three switches")
    check_eq(action(srv, cid, "pause")["state"], "paused", "paused")
    wait_until(lambda: campaign(srv, cid)["counts"]["in_flight"] == 0, 30,
               what="running jobs finish while paused")
    held = campaign(srv, cid)["counts"]
    time.sleep(1.5)
    check_eq(campaign(srv, cid)["counts"], held, "nothing starts while paused")
    check_eq(action(srv, cid, "resume")["state"], "running", "resumed")
    wait_until(lambda: campaign(srv, cid)["counts"]["succeeded"] >= held["succeeded"] + 3,
               30, what="progress after resume")
    c = action(srv, cid, "cancel")
    check_eq(c["state"], "cancelled", "cancelled")
    action(srv, cid, "resume", status=409)
    wait_until(lambda: campaign(srv, cid)["counts"]["in_flight"] == 0, 30,
               what="in-flight jobs end")
    c = campaign(srv, cid)["counts"]
    check_eq(c["pending"], 0, "no row left pending")
    check_eq(c["succeeded"] + c["failed"] + c["skipped"], n, "every row ends")
    check(c["skipped"] > 0, "rows not started are skipped")
    rows = report(srv, cid)
    skipped = [r for r in rows if r["state"] == "skipped"]
    check(all("cancelled" in r["error"] and not r["job"] for r in skipped),
          "skipped rows say why and have no job")


def test_window_end_and_start(h):
    n = 30
    srv, fl, _ = fleet_env(h, n, "cw")
    now = int(time.time())
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
    start, end = now + 2, now + 5
    cid = _create(srv, fleet_csv("cw", n), max_in_flight=2, max_starts_per_s=3,
                  window_start=iso(start), window_end=iso(end))
    action(srv, cid, "start")
    time.sleep(max(0, start - time.time() - 0.7))
    check_eq(campaign(srv, cid)["counts"]["pending"], n, "nothing before the window")
    c = wait_state(srv, cid, timeout=60)
    check_eq(c["state"], "completed", "the window's end completes it")
    check(0 < c["counts"]["skipped"] < n, "some rows ran, the rest skipped: %r"
          % c["counts"])
    rows = report(srv, cid)
    stamp = lambda s: time.mktime(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    for r in rows:
        if r["job"]:
            t = stamp(r["started_at"])
            check(start <= t <= end, "%s started inside the window" % r["endpoint"])
        else:
            check("window" in r["error"], "skipped for the window: %r" % r)
    check("window" in c["end_reason"], "end reason: %r" % c["end_reason"])


def test_failure_threshold_aborts(h):
    n = 60
    srv, fl, _ = fleet_env(h, n, "cf", faults=["2=corrupt-mac"])
    cid = _create(srv, fleet_csv("cf", n), max_in_flight=4, max_starts_per_s=20,
                  failure_threshold_pct=20, failure_min_sample=10)
    action(srv, cid, "start")
    c = wait_state(srv, cid, timeout=60)
    check_eq(c["state"], "aborted", "crossing the threshold aborts")
    check("threshold" in c["end_reason"], c["end_reason"])
    wait_until(lambda: campaign(srv, cid)["counts"]["in_flight"] == 0, 30,
               what="running jobs finish after the abort")
    c = campaign(srv, cid)["counts"]
    check(c["succeeded"] + c["failed"] >= 10, "at least the sample ran")
    check(c["skipped"] > 0, "the rest was not started")
    check_eq(c["succeeded"] + c["failed"] + c["skipped"], n, "every row ends")


def test_kill9_restart_exactly_once(h):
    n = 200
    srv, fl, _ = fleet_env(h, n, "ck", lifetime=6)
    cid = _create(srv, fleet_csv("ck", n), max_in_flight=10, max_starts_per_s=40)
    action(srv, cid, "start")
    wait_until(lambda: campaign(srv, cid)["counts"]["succeeded"] >= 40, 60,
               what="40 switches before the kill")
    srv.restart(hard=True)
    c = wait_state(srv, cid, timeout=120)
    check_eq(c["state"], "completed", "the campaign finishes after a restart")
    rows = report(srv, cid)
    check_eq(len(rows), n, "every row once")
    check_eq(sorted(r["endpoint"] for r in rows),
             ["ck-%06d" % i for i in range(1, n + 1)], "the rows of the file")
    jobs = srv.get_ok("/jobs?limit=1000")["items"]
    per_dev = {}
    for j in jobs:
        per_dev.setdefault(j["endpoint"], []).append(j)
    check_eq(len(per_dev), n, "a job for each device")
    twice = [ep for ep, js in per_dev.items() if len(js) != 1]
    check_eq(twice, [], "no device switched twice")
    check(all(j["state"] in FINAL_JOB for j in jobs), "every job ended")
    by_job = {j["id"]: j for j in jobs}
    for r in rows:
        j = by_job[int(r["job"])]
        check_eq(r["outcome"], j["state"], "report outcome = job state for %s"
                 % r["endpoint"])
    check_eq(c["counts"]["succeeded"] + c["counts"]["failed"], n, "counts add up")
