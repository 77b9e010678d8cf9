"""The simulated nuSIM of nusim-client, driven through nusimd's REST API
with the LwM2M operations a carrier switch uses (DESIGN §5-§7, issue 3):
a package made by `nusimd package build` for the device's nuSIM (from
`nusimd pki init` / `pki device`) is created as a 507 instance
(block-wise: it is larger than one 1024-byte block), linked from 508/4 and
loaded with Execute 508/5. The device answers, installs the profile, and
registers again from carrier B's address range with the new ICCID in
508/1. A nuSIM whose MAC check fails answers 5 and stays; a device with no
coverage on B falls back to its old profile on A; a client that crashes
right after installing comes back on B from its --state-file."""

import base64
import json
import os
import time

from harness import NUSIMD, check, check_eq, run, value_of, wait_until

CARRIERS = ["--carrier", "A=127.0.1.1-127.0.1.254",
            "--carrier", "B=127.0.2.1-127.0.2.254"]
RANGE = {"A": "127.0.1.", "B": "127.0.2."}


def luhn(body):
    """body with its Luhn check digit appended."""
    for d in "0123456789":
        s = body + d
        total = 0
        for i, ch in enumerate(reversed(s)):
            v = int(ch)
            if i % 2:
                v = v * 2 - 9 if v > 4 else v * 2
            total += v
        if total % 10 == 0:
            return s
    raise AssertionError("no Luhn digit")


def eid(n):
    """A 32-digit EID with ISO 7064 MOD 97-10 check digits."""
    body = "89049032%022d" % (900000 + n)
    return body + "%02d" % (98 - int(body + "00") % 97)


class Nusim:
    """A nusimd, a demo PKI and one simulated nuSIM device on carrier A."""

    def __init__(self, h, ep, n, extra=(), state_file=None):
        self.h, self.ep, self.n = h, ep, n
        self.pki = os.path.join(h.dir, "pki-nusim")
        if not os.path.exists(os.path.join(self.pki, "ci.pub.pem")):
            rc, out, err = run([NUSIMD, "pki", "init", "--dir", self.pki])
            check(rc == 0, "pki init: %s" % err)
        self.eid = eid(n)
        rc, out, err = run([NUSIMD, "pki", "device", "--dir", self.pki,
                            "--eid", self.eid])
        check(rc == 0, "pki device: %s" % err)
        self.cert = os.path.join(self.pki, "devices", self.eid + ".cert.pem")
        self.iccid_a = luhn("898801%012d" % n)
        self.iccid_b = luhn("898802%012d" % n)
        self.srv = h.server()
        self.args = ["--nusim-dir", self.pki, "--eid", self.eid, "--iccid",
                     self.iccid_a] + CARRIERS
        if state_file:
            self.args += ["--state-file", state_file]
        self.client = self.start(extra)

    def start(self, extra=(), name=None):
        c = self.h.client(self.srv.coap_uri, self.ep, name=name,
                          extra_args=self.args + list(extra))
        c.wait_registered(15)
        return c

    def reg(self):
        return self.srv.registration(self.ep)

    def package(self, carrier="B", pad=600):
        """The seven 507 resources for this nuSIM, from package build."""
        rc, out, err = run([NUSIMD, "package", "build", "--pki-dir", self.pki,
                            "--cert", self.cert, "--eid", self.eid,
                            "--profile-iccid", self.iccid_b,
                            "--profile-imsi", "001010000%06d" % self.n,
                            "--carrier", carrier, "--pad-bytes", str(pad)])
        check(rc == 0, "package build exit 0 (rc=%d): %s" % (rc, err))
        pkg = json.loads(out)
        check_eq(sorted(pkg), [str(i) for i in range(7)], "seven resources")
        return pkg

    def ok(self, r, code, what):
        check(r.status in (200, 201), "%s: HTTP 200/201, got %r" % (what, r))
        check_eq(r.json.get("code"), code, what + " CoAP code")
        return r.json

    def read(self, path):
        j = self.ok(self.srv.lwm2m("GET", self.ep, path, query="format=text",
                                   timeout_ms=8000), "2.05", "Read " + path)
        return value_of(j, "/" + path)

    def load(self, pkg, inst=1):
        """Create 507/inst, Write 508/0/4, Execute 508/0/5."""
        body = {"%d/%s" % (inst, k): v for k, v in pkg.items()}
        r = self.srv.lwm2m("POST", self.ep, "507", body, timeout_ms=15000)
        j = self.ok(r, "2.01", "Create /507/%d" % inst)
        check_eq(j.get("location"), "/507/%d" % inst, "Create location")
        lnk = [{"path": "/508/0/4", "value": "507:%d" % inst,
                "type": "objlnk"}]
        self.ok(self.srv.lwm2m("PUT", self.ep, "508/0/4", lnk), "2.04",
                "Write 508/0/4")
        self.ok(self.srv.lwm2m("POST", self.ep, "508/0/5"), "2.04",
                "Execute 508/0/5")

    def wait_on(self, carrier, timeout=20):
        return wait_until(lambda: (lambda r: r if r and r["addr"].startswith(
            RANGE[carrier]) else None)(self.reg()), timeout, interval=0.2,
            what="%s registered from carrier %s" % (self.ep, carrier))


def test_load_profile_switches_carrier(h):
    """The whole switch: block-wise Create, link, Execute; 508/6 = 0; a new
    Register from carrier B's range with the new ICCID in 508/1."""
    env = Nusim(h, "ns-switch", 1)
    c = env.client
    check(env.reg()["addr"].startswith(RANGE["A"]), "starts on carrier A")
    check_eq(env.read("508/0/0"), env.eid, "508/0 EID")
    check_eq(env.read("508/0/1"), env.iccid_a, "508/1 before")
    pkg = env.package()
    check(sum(len(v) for v in pkg.values()) > 1024,
          "the package needs more than one block")
    old_reg = env.reg()["reg_id"]
    mark = c.log.mark()
    env.load(pkg)
    # Block-wise Create arrived whole: the encP reads back unchanged.
    reg = env.wait_on("B")
    check(reg["reg_id"] != old_reg, "a new Register (new location)")
    c.wait_log(r"msg=attached\b.*fallback=0", 10, since=mark)
    check_eq(c.log.count(r"msg=registered\b", mark), 1, "one new Register")
    check_eq(env.read("508/0/6"), 0, "508/6 Load Profile Result")
    check_eq(env.read("508/0/1"), env.iccid_b, "508/1 is the new ICCID")
    check_eq(env.read("507/1/0"), pkg["0"], "507/1/0 encP as written")
    check("iccid=%s" % env.iccid_b in c.ok("nusim"), "nuSIM status")
    # The same package again: already loaded (6), and the device stays.
    env.ok(env.srv.lwm2m("POST", env.ep, "508/0/5"), "2.04", "Execute again")
    check_eq(env.read("508/0/6"), 6, "508/6 already loaded")
    check_eq(env.reg()["reg_id"], reg["reg_id"], "still the same registration")


def test_corrupt_mac_stays(h):
    """--fault corrupt-mac: 508/6 = 5, 508/1 unchanged, no re-attach."""
    env = Nusim(h, "ns-mac", 2, extra=["--fault", "corrupt-mac"])
    reg = env.reg()
    env.load(env.package(pad=0))
    check_eq(env.read("508/0/6"), 5, "508/6 MAC check failed")
    check_eq(env.read("508/0/1"), env.iccid_a, "508/1 unchanged")
    after = env.reg()
    check_eq(after["reg_id"], reg["reg_id"], "same registration")
    check_eq(after["addr"], reg["addr"], "same address")


def test_no_coverage_falls_back(h):
    """Carrier B has no coverage (control `coverage B off`): after
    --attach-timeout the device loads its backup and registers on A with
    the old ICCID."""
    env = Nusim(h, "ns-cov", 3, extra=["--attach-timeout", "3"])
    c = env.client
    c.ok("coverage B off")
    mark = c.log.mark()
    env.load(env.package(pad=0))
    c.wait_log(r"msg=register-failed\b.*reason=no-coverage", 10, since=mark)
    c.wait_log(r"msg=fallback\b.*iccid=%s" % env.iccid_a, 10, since=mark)
    c.wait_log(r"msg=attached\b.*fallback=1", 10, since=mark)
    env.wait_on("A")
    check_eq(env.read("508/0/1"), env.iccid_a, "508/1 back to the old ICCID")
    check("backup=%s" % env.iccid_b in c.ok("nusim"),
          "the new profile is kept as the backup")


def test_crash_after_install_keeps_profile(h):
    """--fault crash-after-install with --state-file: the client exits
    right after installing; started again it registers on B with the new
    ICCID."""
    state = os.path.join(h.dir, "ns-crash.state")
    env = Nusim(h, "ns-crash", 4, extra=["--fault", "crash-after-install"],
                state_file=state)
    env.load(env.package(pad=0))
    wait_until(lambda: not env.client.alive(), 10, what="client exits")
    check_eq(env.client.proc.returncode, 3, "exit status of the crash")
    check(os.path.exists(state), "state file written")
    c2 = env.start(name="ns-crash-2")
    check("iccid=%s" % env.iccid_b in c2.ok("nusim"), "profile kept")
    env.wait_on("B")
    check_eq(env.read("508/0/1"), env.iccid_b, "508/1 after the restart")


def test_fleet_nusims_from_pki_dir(h):
    """Fleet mode with --pki-dir: every device has a nuSIM made at start
    (EID from its index, certificate in 508/3 signed by the CM), so a
    package built from what the device shows loads; --fault-every 2 makes
    device 2 fail its MAC check."""
    pki = os.path.join(h.dir, "pki-fleet")
    rc, out, err = run([NUSIMD, "pki", "init", "--dir", pki])
    check(rc == 0, "pki init: %s" % err)
    srv = h.server()
    f = h.fleet(srv.coap_uri, 2, "nf", extra_args=[
        "--pki-dir", pki, "--fault-every", "2=corrupt-mac"] + CARRIERS)
    f.wait_registered(20)
    for i, ep in ((1, "nf-000001"), (2, "nf-000002")):
        reg = srv.wait_registered(ep)
        check(reg["addr"].startswith(RANGE["A"]), "%s on carrier A" % ep)
        j = srv.lwm2m("GET", ep, "508/0", query="format=senml-json")
        check_eq(j.status, 200, "Read 508/0 of %s (%r)" % (ep, j))
        e = value_of(j.json, "/508/0/0")
        check_eq(e, "89049032%022d" % i + e[30:], "EID from the index")
        der = os.path.join(h.dir, "%s.cert.der" % ep)
        with open(der, "wb") as fp:
            fp.write(base64.b64decode(
                value_of(j.json, "/508/0/3")))
        iccid_b = luhn("898803%012d" % i)
        rc, out, err = run([NUSIMD, "package", "build", "--pki-dir", pki,
                            "--cert", der, "--eid", e, "--profile-iccid",
                            iccid_b, "--profile-imsi", "00101000000000%d" % i,
                            "--carrier", "B"])
        check(rc == 0, "package build for %s: %s" % (ep, err))
        pkg = json.loads(out)
        body = {"0/%s" % k: v for k, v in pkg.items()}
        r = srv.lwm2m("POST", ep, "507", body, timeout_ms=15000)
        check_eq(r.status, 201, "Create on %s (%r)" % (ep, r))
        r = srv.lwm2m("PUT", ep, "508/0/4", [{"path": "/508/0/4",
                                              "value": "507:0",
                                              "type": "objlnk"}])
        check_eq(r.status, 200, "Write 508/0/4 on %s (%r)" % (ep, r))
        r = srv.lwm2m("POST", ep, "508/0/5")
        check_eq(r.status, 200, "Execute on %s (%r)" % (ep, r))
        if i == 1:
            wait_until(lambda: (lambda r: r and r["addr"].startswith(
                RANGE["B"]))(srv.registration(ep)), 20, interval=0.2,
                what="%s on carrier B" % ep)
            got = srv.lwm2m("GET", ep, "508/0/1", query="format=text")
            check_eq(value_of(got.json, "/508/0/1"), iccid_b, "new ICCID")
        else:
            got = srv.lwm2m("GET", ep, "508/0/6", query="format=text")
            check_eq(value_of(got.json, "/508/0/6"), 5, "faulty device: 5")


def test_late_return(h):
    """--fault late=3: after the Load Profile the device is silent for 3 s,
    then registers on carrier B."""
    env = Nusim(h, "ns-late", 5, extra=["--fault", "late=3"])
    c = env.client
    mark = c.log.mark()
    env.load(env.package(pad=0))
    c.wait_log(r"msg=carrier-switch\b.*delay_ms=3000", 5, since=mark)
    t0 = time.monotonic()
    env.wait_on("B", 15)
    check(time.monotonic() - t0 > 2.0, "came back only after the delay")
    check_eq(env.read("508/0/1"), env.iccid_b, "new ICCID")
