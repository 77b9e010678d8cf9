"""test_switch_lib.py: what the carrier-switch tests (test_switch_*.py)
share: a demo PKI, valid ICCIDs and EIDs, a nusimd with short switch
deadlines, carrier profiles in its inventory, simulated nuSIM devices on
carrier A's address range, and waiting for a job to end. No tests here."""

import itertools
import os
import time

from harness import (CLIENT, NUSIMD, Skip, check, check_eq, run, wait_until)

KEY = "00112233445566778899aabbccddeeff"
CARRIERS = ["--carrier", "A=127.0.1.1-127.0.1.254",
            "--carrier", "B=127.0.2.1-127.0.2.254",
            "--carrier", "C=127.0.3.1-127.0.3.254"]
RANGE = {"A": "127.0.1.", "B": "127.0.2.", "C": "127.0.3."}
_serial = itertools.count(1)   # EIDs and initial ICCIDs, unique per test
FINAL = ("done", "failed", "rolled_back", "timed_out", "cancelled")

# Short deadlines so every failure path ends within seconds.
FAST = ["--request-timeout", "2500", "--switch-reattach-timeout", "8",
        "--switch-result-timeout", "1500", "--switch-retry-backoff", "200",
        "--switch-max-retries", "2", "--awake-time", "1500"]


def need_nusim():
    """Skips unless nusim-client simulates a nuSIM (--nusim-dir)."""
    if not os.access(CLIENT, os.X_OK):
        raise Skip("nusim-client is not built")
    rc, out, err = run([CLIENT, "--help"])
    if "--nusim-dir" not in out + err:
        raise Skip("nusim-client has no simulated nuSIM (--nusim-dir) yet")


def luhn(body):
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return body + str((10 - total % 10) % 10)


def iccid(carrier, n):
    """A 19-digit ICCID with a Luhn check digit, distinct per carrier."""
    return luhn("8988%03d%011d" % (ord(carrier[0]), n))


def eid(n):
    """A 32-digit EID whose ISO 7064 MOD 97-10 check digits are right."""
    body = "89049032%022d" % n
    check_digits = 98 - (int(body + "00") % 97)
    return body + "%02d" % check_digits


def profile_csv(carrier, first, count):
    rows = ["iccid,imsi,carrier,ki,opc"]
    for i in range(first, first + count):
        rows.append("%s,00101%010d,%s,%032x,%032x" % (
            iccid(carrier, i), i, carrier, i, i + 1))
    return "\n".join(rows) + "\n"


def upload(srv, carrier, first, count):
    r = srv.api("POST", "/profiles/import", profile_csv(carrier, first, count),
                role="operator", headers={"Content-Type": "text/csv"})
    check_eq(r.status, 201, "profile import (%r)" % r)


class Env:
    """A nusimd with a PKI and profiles of carriers B and C."""

    def __init__(self, h, extra=(), profiles=2, dtls=False):
        self.h = h
        self.pki = os.path.join(h.dir, "pki")
        if not os.path.exists(os.path.join(self.pki, "ci.pub.pem")):
            rc, out, err = run([NUSIMD, "pki", "init", "--dir", self.pki])
            check(rc == 0, "pki init: %s" % err)
        self.dtls = dtls
        self.srv = h.server(allow_nosec=not dtls,
                            extra_args=["--pki-dir", self.pki] + FAST +
                            list(extra))
        for c in ("B", "C"):
            if profiles:
                upload(self.srv, c, 1, profiles)
        self.n = 0

    def device(self, ep, extra=(), queue_mode=False, lifetime=4):
        """A simulated nuSIM device on carrier A, registered."""
        self.n = next(_serial)
        e = eid(self.n)
        rc, out, err = run([NUSIMD, "pki", "device", "--dir", self.pki,
                            "--eid", e])
        check(rc == 0, "pki device: %s" % err)
        args = ["--nusim-dir", self.pki, "--eid", e,
                "--iccid", iccid("A", self.n)] + CARRIERS + list(extra)
        if self.dtls:
            self.srv.device_add(ep, "id-" + ep, KEY)
            c = self.h.client(self.srv.coaps_uri, ep, psk_identity="id-" + ep,
                              psk_key=KEY, queue_mode=queue_mode,
                              lifetime=lifetime, extra_args=args)
        else:
            c = self.h.client(self.srv.coap_uri, ep, queue_mode=queue_mode,
                              lifetime=lifetime, extra_args=args)
        c.wait_registered(30)
        self.srv.wait_registered(ep)
        c.eid = e
        c.iccid0 = iccid("A", self.n)
        return c

    def switch(self, ep, body, status=202, path="switch"):
        r = self.srv.api("POST", "/devices/%s/%s" % (ep, path), body,
                         role="operator")
        check_eq(r.status, status, "POST %s (%r)" % (path, r))
        return r.json

    def job(self, jid):
        r = self.srv.api("GET", "/jobs/%d" % jid, role="viewer")
        check_eq(r.status, 200, "GET /jobs/%d (%r)" % (jid, r))
        return r.json

    def wait_job(self, jid, timeout=30, states=FINAL):
        return wait_until(lambda: (lambda j: j if j["state"] in states
                                   else None)(self.job(jid)), timeout,
                          interval=0.1, what="job %d in %s" % (jid, states))

    def profile(self, ic):
        for p in self.srv.get_ok("/profiles?limit=1000")["items"]:
            if p["iccid"] == ic:
                return p
        return None

    def pool(self, carrier):
        for p in self.srv.get_ok("/carriers")["items"]:
            if p["carrier"] == carrier:
                return p
        return None

    def states_of(self, job):
        return [t["state"] for t in job["transitions"]]


def device_iccid(srv, ep):
    r = srv.lwm2m("GET", ep, "508/0/1", timeout_ms=5000)
    check_eq(r.status, 200, "read 508/1 (%r)" % r)
    return [v["value"] for v in r.json["values"] if v["path"] == "/508/0/1"][0]


def sleep_until(t):
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)
