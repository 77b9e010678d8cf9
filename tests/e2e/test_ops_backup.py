"""Online backup (issue 6): `nusimd backup --db PATH --to FILE`, taken
while a campaign runs, opens with sqlite3, passes integrity_check, and
holds every job that had finished before it started; an existing FILE is
kept unless --force."""

import os
import sqlite3
import time

from harness import NUSIMD, check, check_eq, run, wait_until
from test_campaign_lib import (action, campaign, fleet_csv, fleet_env,
                               post_csv, wait_state)

FINAL_JOB = ("done", "failed", "rolled_back", "timed_out", "cancelled")


def _finished_jobs(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return {jid: st for jid, st in c.execute(
            "SELECT id, state FROM jobs WHERE final = 1")}
    finally:
        c.close()


def test_backup_during_a_campaign(h):
    n = 60
    srv, fl, _ = fleet_env(h, n, "bk")
    r = post_csv(srv, fleet_csv("bk", n), name="backup", max_in_flight=4,
                 max_starts_per_s=20)
    check_eq(r.status, 201, "create campaign (%r)" % r)
    cid = r.json["id"]
    action(srv, cid, "start")
    wait_until(lambda: campaign(srv, cid)["counts"]["succeeded"] >= 5, 120,
               what="a few rows done")
    before = _finished_jobs(srv.db)
    check(len(before) >= 5, "jobs finished before the backup")
    out = os.path.join(srv.dir, "backup.db")
    t0 = time.monotonic()
    rc, so, err = run([NUSIMD, "backup", "--db", srv.db, "--to", out])
    check_eq(rc, 0, "nusimd backup (%s)" % err)
    check(time.monotonic() - t0 < 30, "the backup is quick")
    check(campaign(srv, cid)["state"] in ("running", "completed"),
          "the campaign kept running")
    check(not os.path.exists(out + ".tmp"), "no temporary file left")
    check_eq(os.stat(out).st_mode & 0o777, 0o600, "the copy is owner-only")
    b = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
    check_eq(b.execute("PRAGMA integrity_check").fetchone()[0], "ok",
             "integrity_check of the copy")
    got = {jid: st for jid, st in b.execute("SELECT id, state FROM jobs")}
    for jid, st in before.items():
        check_eq(got.get(jid), st, "job %d in the backup" % jid)
    rows = b.execute("SELECT count(*) FROM campaign_rows WHERE campaign_id = ?",
                     (cid,)).fetchone()[0]
    check_eq(rows, n, "every campaign row in the backup")
    b.close()
    # an existing file is kept unless --force
    rc, so, err = run([NUSIMD, "backup", "--db", srv.db, "--to", out])
    check(rc != 0 and "--force" in err, "refuses to overwrite: %r" % err)
    c = wait_state(srv, cid, timeout=180)
    check_eq(c["state"], "completed", "the campaign completed (%r)" % c)
    rc, so, err = run([NUSIMD, "backup", "--db", srv.db, "--to", out, "--force"])
    check_eq(rc, 0, "backup --force (%s)" % err)
    b = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
    done = b.execute("SELECT count(*) FROM jobs WHERE final = 1").fetchone()[0]
    check(done >= n, "the second copy holds every finished job (%d)" % done)
    b.close()
    rc, so, err = run([NUSIMD, "backup", "--db", os.path.join(srv.dir, "nope.db"),
                       "--to", os.path.join(srv.dir, "x.db")])
    check(rc != 0 and not os.path.exists(os.path.join(srv.dir, "nope.db")),
          "a missing source fails and creates nothing")
