"""test_campaign_lib.py: what the campaign tests (test_campaign_*.py,
test_nusimctl.py) share: uploading a CSV with settings, provisioning
NoSec devices in bulk, reading /events in a background thread, waiting
for a campaign to reach a state, and parsing the report. No tests here."""

import csv
import http.client
import io
import json
import threading
import time
import urllib.parse

from harness import check, check_eq, wait_until

FINAL = ("completed", "cancelled", "aborted")


def post_csv(srv, body, role="operator", ctype="text/csv", **settings):
    """POST /campaigns with body (str or bytes) and settings as query."""
    q = urllib.parse.urlencode({k: str(v).lower() if isinstance(v, bool)
                                else v for k, v in settings.items()})
    if isinstance(body, str):
        body = body.encode()
    return srv.api("POST", "/campaigns" + ("?" + q if q else ""), body,
                   role=role, headers={"Content-Type": ctype}, timeout=300)


def provision(srv, endpoints):
    """Provisions NoSec devices (endpoint only) in one call."""
    body = [{"endpoint": ep} for ep in endpoints]
    r = srv.api("POST", "/devices", body, role="operator", timeout=120)
    check_eq(r.status, 201, "provision %d devices (%r)" % (len(body), r))


def campaign(srv, cid):
    return srv.get_ok("/campaigns/%d" % cid)


def action(srv, cid, what, status=200):
    r = srv.api("POST", "/campaigns/%d/%s" % (cid, what), role="operator")
    check_eq(r.status, status, "%s campaign %d (%r)" % (what, cid, r))
    return r.json


def wait_state(srv, cid, states=FINAL, timeout=60):
    return wait_until(lambda: (lambda c: c if c["state"] in states else None)(
        campaign(srv, cid)), timeout, interval=0.2,
        what="campaign %d in %s" % (cid, states))


def report(srv, cid):
    """The report as a list of dicts (one per row)."""
    r = srv.api("GET", "/campaigns/%d/report" % cid, role="viewer", timeout=120)
    check_eq(r.status, 200, "report status")
    check(r.content_type.startswith("text/csv"), "report is CSV: %s"
          % r.content_type)
    text = r.body.decode() if isinstance(r.body, bytes) else r.body
    return list(csv.DictReader(io.StringIO(text)))


class Events:
    """Reads /api/v1/events in a thread; .events is every event so far
    as (event, data) with data parsed."""

    def __init__(self, srv, role="viewer"):
        self.srv, self.events, self.error = srv, [], None
        self._stop = False
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.http_port,
                                               timeout=120)
        self.conn.request("GET", "/api/v1/events", headers={
            "Authorization": "Bearer " + srv.tokens[role]})
        self.resp = self.conn.getresponse()
        check_eq(self.resp.status, 200, "events status")
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        cur = {}
        try:
            while not self._stop:
                line = self.resp.fp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    cur["event"] = line[7:]
                elif line.startswith("data: "):
                    cur["data"] = json.loads(line[6:])
                elif line == "" and "data" in cur:
                    self.events.append((cur.get("event", "message"), cur["data"]))
                    cur = {}
        except Exception as e:   # the server went away: keep what we have
            self.error = e

    def campaign(self, cid):
        return [d for e, d in list(self.events)
                if d.get("type") == "campaign" and d.get("campaign_id") == cid]

    def jobs(self):
        return [d for e, d in list(self.events) if d.get("type") == "job"]

    def close(self):
        self._stop = True
        try:
            self.conn.sock.shutdown(2)
        except Exception:
            pass
        self.conn.close()


def in_flight_series(events, cid, job_ids):
    """The number of the campaign's jobs running after each job event, as
    counted from the job transitions themselves (queued = started; a final
    state = ended)."""
    running, peak, series = set(), 0, []
    for d in events.jobs():
        j = d.get("job_id")
        if j not in job_ids:
            continue
        if d["state"] in ("done", "failed", "rolled_back", "timed_out",
                          "cancelled"):
            running.discard(j)
        else:
            running.add(j)
        peak = max(peak, len(running))
        series.append(len(running))
    return peak, series


def rss_kb(pid, key="VmHWM"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def sleep_s(s):
    time.sleep(s)


# ---- a nusimd with a nuSIM fleet on carrier A ------------------------------

# Campaign tests never wait for a deadline on purpose (their faults fail at
# once), so the engine gets room: on a loaded machine the switch tests'
# short deadlines would turn slow answers into timeouts.
ROOMY = ["--request-timeout", "15000", "--switch-reattach-timeout", "45",
         "--switch-result-timeout", "8000", "--switch-retry-backoff", "200",
         "--switch-max-retries", "2", "--awake-time", "1500"]

def fleet_env(h, n, prefix, faults=(), srv_args=(), profiles=None,
              lifetime=120):
    """A nusimd (NoSec, short switch deadlines) with `profiles` (default n)
    profiles of carrier B, and a fleet of n simulated nuSIM devices on
    carrier A, registered. A short lifetime makes devices update often,
    which is when a restarted nusimd reaches them again (DESIGN §4).
    Returns (srv, fleet, pki_dir)."""
    import os
    from harness import NUSIMD, run
    from test_switch_lib import upload, need_nusim
    need_nusim()
    pki = os.path.join(h.dir, "pki")
    rc, out, err = run([NUSIMD, "pki", "init", "--dir", pki])
    check(rc == 0, "pki init: %s" % err)
    srv = h.server(extra_args=["--pki-dir", pki] + ROOMY + list(srv_args))
    left, first = n if profiles is None else profiles, 1
    while left > 0:   # the profile import takes at most 100,000 a call
        k = min(left, 50000)
        upload(srv, "B", first, k)
        first += k
        left -= k
    args = ["--pki-dir", pki, "--carrier", "A=127.0.1.1-127.0.1.254",
            "--carrier", "B=127.0.2.1-127.0.2.254", "--rate", "2000",
            "--lifetime", str(lifetime)]
    for f in faults:
        args += ["--fault-every", f]
    fl = h.fleet(srv.coap_uri, n, prefix, extra_args=args)
    check_eq(fl.wait_registered(120), n, "fleet registered")
    return srv, fl, pki


def fleet_csv(prefix, n, carrier="B", first=1):
    return "endpoint,carrier\n" + "".join(
        "%s-%06d,%s\n" % (prefix, i, carrier) for i in range(first, first + n))
