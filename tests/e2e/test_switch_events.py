"""GET /api/v1/events (server-sent events): registrations and job
transitions stream with `id:` lines; a client that reconnects with
Last-Event-ID gets what it missed, from the database, also across a
restart of nusimd."""

import http.client
import json
import time

from harness import check, check_eq, problem_ok, wait_until
from test_switch_lib import Env

TIMEOUT = 60


def _read_events(srv, last=None, want=1, timeout=10.0):
    conn = http.client.HTTPConnection("127.0.0.1", srv.http_port, timeout=timeout)
    hdrs = {"Authorization": "Bearer " + srv.tokens["viewer"]}
    if last is not None:
        hdrs["Last-Event-ID"] = str(last)
    conn.request("GET", "/api/v1/events", headers=hdrs)
    r = conn.getresponse()
    check_eq(r.status, 200, "events status")
    check(r.getheader("Content-Type", "").startswith("text/event-stream"),
          "content type")
    out, cur, end = [], {}, time.monotonic() + timeout
    while len(out) < want and time.monotonic() < end:
        line = r.fp.readline().decode().rstrip("\n")
        if line.startswith("id: "):
            cur["id"] = int(line[4:])
        elif line.startswith("event: "):
            cur["event"] = line[7:]
        elif line.startswith("data: "):
            cur["data"] = json.loads(line[6:])
        elif line == "" and "id" in cur:
            out.append(cur)
            cur = {}
    conn.close()
    return out


def test_stream_and_resume(h):
    env = Env(h, profiles=1, extra=["--test-pause-at", "waiting_online"])
    srv = env.srv
    c = h.client(srv.coap_uri, "ev-1", lifetime=60)
    c.wait_registered()
    srv.wait_registered("ev-1")
    got = _read_events(srv, last=0, want=1)
    check_eq((got[0]["event"], got[0]["data"]["endpoint"]),
             ("registered", "ev-1"), "the registration is an event")
    first = got[0]["id"]
    j = env.switch("ev-1", {"carrier": "B"})
    srv.wait_log(r"msg=paused job=%d" % j["id"])
    got = _read_events(srv, last=first, want=2)
    check_eq([(e["event"], e["data"]["state"]) for e in got],
             [("job", "queued"), ("job", "waiting_online")], "transitions")
    check(all(e["id"] > first for e in got), "ids grow")
    check_eq(got[0]["data"]["job_id"], j["id"], "job id in the event")
    srv.restart()
    got2 = _read_events(srv, last=first, want=2)
    check_eq([e["id"] for e in got2], [e["id"] for e in got],
             "same ids from the database after a restart")
    problem_ok(srv.api("GET", "/events", headers={"Last-Event-ID": "x"},
                       role="viewer"), 400)
    problem_ok(srv.api("GET", "/events", token=""), 401)


def test_live_events(h):
    """A connected stream sees a registration as it happens."""
    env = Env(h, profiles=0)
    srv = env.srv
    import threading
    box = {}
    t = threading.Thread(target=lambda: box.update(
        ev=_read_events(srv, want=1, timeout=15)))
    t.start()
    time.sleep(0.5)
    c = h.client(srv.coap_uri, "ev-2")
    c.wait_registered()
    t.join(20)
    check(box.get("ev"), "an event arrived")
    check_eq(box["ev"][0]["data"]["endpoint"], "ev-2", "the new device")
