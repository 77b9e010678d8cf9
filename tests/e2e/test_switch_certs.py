"""Devices without 508/3 (DESIGN §6 step 1: the certificate comes from the
operator, imported per EID): a simulated nuSIM started with
--no-cert-resource fails its switch with "no certificate for EID ...";
after POST /certificates with the PEM that `nusimd pki device` wrote, the
same device switches A → B. Imports are checked (CM root, serialNumber =
EID, one certificate, base64) and all or nothing, bad ones reported by
index (JSON) or line (CSV); GET and DELETE /certificates/{eid}."""

import base64
import os
import subprocess

from harness import check, check_eq, problem_ok
from test_switch_lib import Env, RANGE, need_nusim

TIMEOUT = 120


def _pem(env, e):
    """The certificate `nusimd pki device --eid e` wrote (Env.device ran it)."""
    with open(os.path.join(env.pki, "devices", e + ".cert.pem")) as f:
        return f.read()


def _post(env, body, ctype="application/json"):
    return env.srv.api("POST", "/certificates", body, role="operator",
                       headers={"Content-Type": ctype})


def test_switch_needs_imported_certificate(h):
    need_nusim()
    env = Env(h)
    dev = env.device("nc-1", extra=["--no-cert-resource"])
    r = env.srv.lwm2m("GET", "nc-1", "508/0/3", timeout_ms=5000)
    check_eq(r.status, 404, "508/3 hidden (%r)" % r)

    j = env.wait_job(env.switch("nc-1", {"carrier": "B"})["id"], 30)
    check_eq(j["state"], "failed", "no certificate: the job fails (%r)" % j)
    check("no certificate for EID %s" % dev.eid in (j["error"] or ""),
          "the reason names the EID: %r" % j["error"])
    check_eq(env.pool("B")["available"], 2, "no profile taken")

    r = env.srv.api("GET", "/certificates/" + dev.eid, role="viewer")
    problem_ok(r, 404)
    pem = _pem(env, dev.eid)
    r = _post(env, {"eid": dev.eid, "cert_pem": pem})
    check_eq(r.status, 201, "import (%r)" % r)
    check_eq((r.json["imported"], r.json["replaced"]), (1, 0), "counts")
    r = env.srv.api("GET", "/certificates/" + dev.eid, role="viewer")
    check_eq(r.status, 200, "GET certificate (%r)" % r)
    check_eq(r.json["eid"], dev.eid, "eid")
    check_eq(r.json["cert_pem"].strip(), pem.strip(), "the same PEM back")
    check(dev.eid in r.json["subject"], "subject: %r" % r.json["subject"])
    check(r.json["not_after"] > r.json["not_before"] > 0, "validity")

    j = env.wait_job(env.switch("nc-1", {"carrier": "B"})["id"], 40)
    check_eq(j["state"], "done", "switch with the imported cert (%r)" % j)
    check_eq(j["eid"], dev.eid, "job eid")
    check(env.srv.registration("nc-1")["addr"].startswith(RANGE["B"]),
          "now on B's range")

    r = env.srv.api("DELETE", "/certificates/" + dev.eid, role="operator")
    check_eq(r.status, 204, "DELETE (%r)" % r)
    problem_ok(env.srv.api("GET", "/certificates/" + dev.eid, role="viewer"),
               404)
    problem_ok(env.srv.api("DELETE", "/certificates/" + dev.eid,
                           role="operator"), 404)
    problem_ok(env.srv.api("DELETE", "/certificates/" + dev.eid,
                           role="viewer"), 403)


def test_certificate_import_checks(h):
    need_nusim()
    env = Env(h, profiles=0)
    a = env.device("ci-1", extra=["--no-cert-resource"])
    b = env.device("ci-2", extra=["--no-cert-resource"])
    pa, pb = _pem(env, a.eid), _pem(env, b.eid)

    # A certificate for an EID that is not its serialNumber, a certificate
    # no CM root signed, two in one PEM, garbage: each reported by index,
    # and the good first item is not imported either.
    rogue = os.path.join(h.dir, "rogue.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    os.path.join(h.dir, "rogue.key"), "-out", rogue,
                    "-days", "30", "-subj", "/CN=rogue/serialNumber=" + a.eid],
                   check=True, capture_output=True)
    with open(rogue) as f:
        prog = f.read()
    r = _post(env, [{"eid": a.eid, "cert_pem": pa},
                    {"eid": a.eid[:-2] + "00", "cert_pem": pb},
                    {"eid": a.eid, "cert_pem": prog},
                    {"eid": b.eid, "cert_pem": pb + pb},
                    {"eid": b.eid, "cert_pem": "not a certificate"},
                    {"eid": "123", "cert_pem": pb},
                    {"eid": b.eid}])
    problem_ok(r, 422)
    idx = [e["index"] for e in r.json["errors"]]
    check_eq(idx, [1, 2, 3, 4, 5, 6], "bad items by index (%r)" % r.json)
    check_eq(r.json["error_count"], 6, "error_count")
    check("serial" in r.json["errors"][0]["detail"].lower() or
          "eid" in r.json["errors"][0]["detail"].lower(),
          "EID mismatch explained: %r" % r.json["errors"][0])
    problem_ok(env.srv.api("GET", "/certificates/" + a.eid, role="viewer"),
               404)

    # CSV: eid,cert_pem_b64, errors by line, then a good file.
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    bad = "eid,cert_pem_b64\n%s,%s\n%s,%%%%notbase64\n%s\n" % (
        a.eid, b64(pa), b.eid, b.eid)
    r = _post(env, bad, "text/csv")
    problem_ok(r, 422)
    check_eq([e["line"] for e in r.json["errors"]], [3, 4],
             "bad lines (%r)" % r.json)
    problem_ok(env.srv.api("GET", "/certificates/" + a.eid, role="viewer"),
               404)
    good = "eid,cert_pem_b64\n%s,%s\n%s,%s\n" % (a.eid, b64(pa), b.eid, b64(pb))
    r = _post(env, good, "text/csv")
    check_eq(r.status, 201, "CSV import (%r)" % r)
    check_eq(r.json["imported"], 2, "two imported")
    r = _post(env, {"eid": b.eid, "cert_pem": pb})
    check_eq((r.status, r.json["replaced"]), (201, 1), "re-import replaces")
    for e in (a.eid, b.eid):
        check_eq(env.srv.api("GET", "/certificates/" + e,
                             role="viewer").status, 200, "stored " + e)
    problem_ok(_post(env, "x", "application/xml"), 415)
    problem_ok(env.srv.api("POST", "/certificates",
                           {"eid": a.eid, "cert_pem": pa}, role="viewer"), 403)
