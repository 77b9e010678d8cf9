"""Fleet mode over DTLS through a whole carrier switch: COUNT simulated
nuSIM devices (one `nusim-client fleet --pki-dir` process) are switched
A → B through POST /devices/{ep}/switch. Each re-attaches from a new
address of B's range on a new DTLS session with a new Register; all end
on B and the fleet process is still running at the end.

Regression: the devices' old sessions stayed alive behind the server's
508/6 observation; a later 508/6 notification on one of them freed it
inside libcoap while still in use, and the fleet aborted in
coap_dtls_send (Assertion `ssl != NULL')."""

import os

from harness import CLIENT, NUSIMD, check, check_eq, run, wait_until
from test_switch_lib import CARRIERS, FAST, RANGE, need_nusim, upload

TIMEOUT = 240
COUNT = 150
BASE = "00112233445566778899aabbccddeeff"


def test_fleet_switch_a_to_b_dtls(h):
    need_nusim()
    pki = os.path.join(h.dir, "pki")
    rc, out, err = run([NUSIMD, "pki", "init", "--dir", pki])
    check_eq(rc, 0, "pki init (%s)" % err)
    srv = h.server(allow_nosec=False,
                   extra_args=["--pki-dir", pki] + FAST +
                   ["--switch-reattach-timeout", "60",
                    "--request-timeout", "10000"])
    upload(srv, "B", 1, COUNT)
    rc, csv, err = run([CLIENT, "fleet-credentials", "--count", str(COUNT),
                        "--prefix", "fs", "--psk-key-base", BASE])
    check_eq(rc, 0, "fleet-credentials (%s)" % err)
    r = srv.api("POST", "/devices", csv, role="operator",
                headers={"Content-Type": "text/csv"})
    check_eq(r.status, 201, "CSV provisioning (%r)" % r)
    f = h.fleet(srv.coaps_uri, COUNT, "fs",
                extra_args=["--psk-key-base", BASE, "--pki-dir", pki,
                            "--lifetime", "600", "--rate", "200"] + CARRIERS)
    check_eq(f.wait_registered(90), COUNT, "fleet-registered count")
    eps = ["fs-%06d" % i for i in range(1, COUNT + 1)]
    regs = {x["endpoint"]: x for x in
            srv.get_ok("/registrations?limit=1000")["items"]}
    check(all(regs[e]["addr"].startswith(RANGE["A"]) for e in eps),
          "the fleet starts on carrier A's range")

    jobs = {}
    for ep in eps:
        r = srv.api("POST", "/devices/%s/switch" % ep, {"carrier": "B"},
                    role="operator")
        check_eq(r.status, 202, "POST switch %s (%r)" % (ep, r))
        jobs[ep] = r.json["id"]

    def all_final():
        check(f.proc.poll() is None, "the fleet is still running "
              "(rc=%r): %s" % (f.proc.returncode, f.log.text()[-300:]))
        ended = {}
        for state in ("done", "failed", "rolled_back", "timed_out",
                      "cancelled"):
            j = srv.get_ok("/jobs?limit=1000&state=" + state)
            for x in j["items"]:
                ended[x["id"]] = x["state"]
        return ended if all(i in ended for i in jobs.values()) else None

    ended = wait_until(all_final, 180, interval=1.0,
                       what="every switch job ends")
    bad = {ep: ended[i] for ep, i in jobs.items() if ended[i] != "done"}
    check_eq(bad, {}, "every job done")
    regs = {x["endpoint"]: x for x in
            srv.get_ok("/registrations?limit=1000")["items"]}
    off = [e for e in eps if not regs[e]["addr"].startswith(RANGE["B"])]
    check_eq(off, [], "every device registered from B's range")
    check(all(regs[e]["transport"] == "dtls" for e in eps), "all over DTLS")
    pool = [p for p in srv.get_ok("/carriers")["items"]
            if p["carrier"] == "B"][0]
    check_eq(pool["installed"], COUNT, "B's profiles all installed")
    check(f.proc.poll() is None, "the fleet survived the re-attaches")
    check_eq(f.log.count(r"Assertion|msg=fallback"), 0,
             "no abort and no fallback in the fleet log")
