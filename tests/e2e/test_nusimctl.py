"""nusimctl against a real nusimd with simulated nuSIM devices: --help on
every command, the exit codes (usage 2, unreachable 3, refused 1), devices,
profiles, carriers, switch, jobs, read and write, and the campaign
commands, with the plain (not a terminal) form of `campaign watch`."""

import os
import re
import subprocess
import time

from harness import BUILD, check, check_eq, wait_until
from test_campaign_lib import fleet_csv, fleet_env
from test_switch_lib import profile_csv

TIMEOUT = 180
CTL = os.path.join(BUILD, "nusimctl")


def ctl(srv, *args, role="operator", timeout=60, env=None):
    e = dict(os.environ)
    e.pop("NUSIMCTL_URL", None)
    e.pop("NUSIMCTL_TOKEN", None)
    if srv is not None:
        e["NUSIMCTL_URL"] = srv.base
        e["NUSIMCTL_TOKEN"] = srv.tokens[role]
    e.update(env or {})
    p = subprocess.run([CTL] + list(args), capture_output=True, text=True,
                       timeout=timeout, env=e)
    return p.returncode, p.stdout, p.stderr


def test_help_and_exit_codes(h):
    rc, out, err = ctl(None, "--help")
    check_eq(rc, 0, "--help")
    for name in ("devices", "profiles", "carriers", "switch", "jobs", "read",
                 "write", "campaign"):
        check(name in out, "%s listed in --help" % name)
        rc, o, e = ctl(None, name, "--help")
        check_eq(rc, 0, "%s --help" % name)
        check(o.startswith("usage: nusimctl " + name), "%s usage: %r" % (name, o))
    rc, out, err = ctl(None, "frobnicate")
    check_eq(rc, 2, "unknown command")
    rc, out, err = ctl(None, "devices", "list",
                       env={"NUSIMCTL_URL": "http://127.0.0.1:1"})
    check_eq(rc, 3, "unreachable server (%s)" % err)
    srv = h.server()
    rc, out, err = ctl(srv, "devices", "list", env={"NUSIMCTL_TOKEN": "nst_bad"})
    check_eq(rc, 1, "bad token")
    check("401" in err, err)
    # The flags win over the environment.
    rc, out, err = ctl(None, "--url", srv.base, "--token", srv.tokens["viewer"],
                       "devices", "list")
    check_eq(rc, 0, "flags (%s)" % err)


def test_daily_commands(h):
    srv, fl, pki = fleet_env(h, 3, "nc", profiles=0)
    path = os.path.join(h.dir, "profiles.csv")
    with open(path, "w") as f:
        f.write(profile_csv("B", 1, 5))
    rc, out, err = ctl(srv, "profiles", "import", path)
    check_eq(rc, 0, "profiles import (%s)" % err)
    rc, out, err = ctl(srv, "carriers")
    check_eq(rc, 0, "carriers")
    check(re.search(r"^B\s+5\s+0", out, re.M), "carrier B with 5: %r" % out)
    rc, out, err = ctl(srv, "profiles", "list", "--carrier", "B")
    check_eq(rc, 0, "profiles list")
    check_eq(len([l for l in out.splitlines() if " available" in l]), 5, out)
    rc, out, err = ctl(srv, "devices", "add", "--endpoint", "nc-x",
                       "--psk-identity", "id-x", "--psk-key",
                       "00112233445566778899aabbccddeeff")
    check_eq(rc, 0, "devices add (%s)" % err)
    rc, out, err = ctl(srv, "devices", "list", role="viewer")
    check_eq(rc, 0, "devices list")
    check("nc-x" in out and "id-x" in out, out)
    rc, out, err = ctl(srv, "devices", "show", "nc-000001", role="viewer")
    check_eq(rc, 0, "devices show (%s)" % err)
    check('"registered": true' in out, out)
    rc, out, err = ctl(srv, "read", "nc-000001", "3/0/0", role="viewer")
    check_eq(rc, 0, "read (%s)" % err)
    check('"/3/0/0"' in out, out)
    rc, out, err = ctl(srv, "write", "nc-000001", "1/0/1", "77")
    check_eq(rc, 0, "write (%s)" % err)
    rc, out, err = ctl(srv, "read", "nc-000001", "1/0/1")
    check('"value": 77' in out, "the write took: %r" % out)
    rc, out, err = ctl(srv, "read", "nc-000001", "3/x")
    check_eq(rc, 2, "a bad path is a usage error")
    rc, out, err = ctl(srv, "switch", "nc-000001", "--carrier", "B")
    check_eq(rc, 0, "switch (%s)" % err)
    jid = re.search(r'"id": (\d+)', out).group(1)
    wait_until(lambda: '"state": "done"' in ctl(srv, "jobs", "show", jid)[1], 30,
               what="the switch job ends")
    rc, out, err = ctl(srv, "jobs", "list", "--device", "nc-000001")
    check_eq(rc, 0, "jobs list")
    check(re.search(r"^%s\s+nc-000001\s+B\s+done" % jid, out, re.M), out)
    rc, out, err = ctl(srv, "jobs", "cancel", jid)
    check_eq(rc, 1, "cancelling an ended job is refused")
    check("ended" in err or "409" in err, err)
    rc, out, err = ctl(srv, "switch", "nc-000002", "--carrier", "Z")
    check_eq(rc, 1, "unknown carrier")
    rc, out, err = ctl(srv, "switch", "nc-000002", "--carrier", "B",
                       role="viewer")
    check_eq(rc, 1, "a viewer may not switch")
    check("403" in err, err)


def test_campaign_commands_and_plain_watch(h):
    n = 8
    srv, fl, pki = fleet_env(h, n, "nw")
    path = os.path.join(h.dir, "c.csv")
    with open(path, "w") as f:
        f.write(fleet_csv("nw", n))
    bad = os.path.join(h.dir, "bad.csv")
    with open(bad, "w") as f:
        f.write("endpoint,carrier\nnw-000001,B\nnobody,B\n")
    rc, out, err = ctl(srv, "campaign", "create", bad)
    check_eq(rc, 1, "a bad row refuses the file")
    check("line 3: unknown device: nobody" in err, err)
    rc, out, err = ctl(srv, "campaign", "create", path, "--name", "ctl",
                       "--max-in-flight", "2", "--max-starts-per-s", "4",
                       "--quiet")
    check_eq(rc, 0, "campaign create (%s)" % err)
    cid = out.strip()
    check(cid.isdigit(), "--quiet prints the id: %r" % out)
    rc, out, err = ctl(srv, "campaign", "show", cid, role="viewer")
    check('"state": "draft"' in out, out)
    rc, out, err = ctl(srv, "campaign", "list", role="viewer")
    check(re.search(r"^%s\s+ctl\s+draft\s+%d" % (cid, n), out, re.M), out)
    rc, out, err = ctl(srv, "campaign", "start", cid)
    check_eq(rc, 0, "campaign start")
    check("started" in out, out)
    t0 = time.monotonic()
    rc, out, err = ctl(srv, "campaign", "watch", cid, role="viewer", timeout=90)
    check_eq(rc, 0, "watch exits 0 on completion (%s)" % err)
    lines = out.strip().splitlines()
    plain = re.compile(r"^campaign %s (running|completed): (\d+)/%d done \(\d+%%\), "
                       r"\d+ succeeded, \d+ failed, \d+ skipped, (\d+) in flight, "
                       r"[\d.]+/s, time left \S+$" % (cid, n))
    body = [l for l in lines[:-1]]
    check(len(body) >= 2, "progress lines: %r" % lines)
    for l in body:
        m = plain.match(l)
        check(m, "plain progress line: %r" % l)
        check(int(m.group(3)) <= 2, "in flight within the limit: %r" % l)
    check("\r" not in out, "no carriage returns when not on a terminal")
    done = [int(plain.match(l).group(2)) for l in body]
    check_eq(done, sorted(done), "done only grows")
    check(lines[-2].startswith("campaign %s completed: %d/%d" % (cid, n, n)),
          lines[-2])
    check_eq(lines[-1], "campaign %s completed: %d succeeded, 0 failed, 0 skipped "
             "of %d; report: nusimctl campaign report %s" % (cid, n, n, cid),
             "final line")
    # At most one plain line a second (plus the first and the last).
    took = time.monotonic() - t0
    check(len(body) <= took + 3, "%d lines in %.1f s" % (len(body), took))
    rc, out, err = ctl(srv, "campaign", "report", cid, role="viewer")
    check_eq(rc, 0, "report")
    rows = out.strip().splitlines()
    check(rows[0].startswith("endpoint,job,outcome,from_iccid,to_iccid,"
                             "result_code,error,started_at,ended_at"), rows[0])
    check_eq(len(rows), n + 1, "a line per row")
    check(all(",done," in r for r in rows[1:]), rows)
    rc, out, err = ctl(srv, "campaign", "cancel", cid)
    check_eq(rc, 1, "a completed campaign cannot be cancelled")
    check("409" in err, err)


def test_watch_exits_1_when_cancelled(h):
    n = 6
    srv, fl, pki = fleet_env(h, n, "nx")
    path = os.path.join(h.dir, "c.csv")
    with open(path, "w") as f:
        f.write(fleet_csv("nx", n))
    rc, out, err = ctl(srv, "campaign", "create", path, "--max-in-flight", "1",
                       "--max-starts-per-s", "0.5", "--start", "--quiet")
    check_eq(rc, 0, "create --start (%s)" % err)
    cid = out.strip()
    e = dict(os.environ, NUSIMCTL_URL=srv.base,
             NUSIMCTL_TOKEN=srv.tokens["viewer"])
    w = subprocess.Popen([CTL, "campaign", "watch", cid], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=e)
    time.sleep(1.5)
    rc, out, err = ctl(srv, "campaign", "cancel", cid)
    check_eq(rc, 0, "cancel (%s)" % err)
    out, err = w.communicate(timeout=30)
    check_eq(w.returncode, 1, "watch exits 1 when cancelled (%s)" % err)
    check("campaign %s cancelled:" % cid in out.strip().splitlines()[-1], out)
