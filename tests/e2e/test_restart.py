"""Restart persistence (DESIGN §4: registrations, queued requests and
observations live in SQLite): nusimd restarted on the same database keeps
every registration, accepts the device's next Update at the same location
(no new Register), and answers requests queued before the restart."""

import time

from harness import check, check_eq, items, value_of, wait_until


def _regs(srv):
    return {r["endpoint"]: r
            for r in items(srv.get_ok("/registrations?limit=1000"))}


def _restart_keeps(h, hard):
    srv = h.server()
    c = h.client(srv.coap_uri, "rs-1", lifetime=120)
    c.wait_registered()
    before = srv.wait_registered("rs-1")
    mark = c.log.mark()
    srv.restart(hard=hard)
    after = _regs(srv).get("rs-1")
    check(after is not None, "registration listed after restart")
    check_eq(after["reg_id"], before["reg_id"], "same location")
    check_eq(after["addr"], before["addr"], "same address")
    devs = [d["endpoint"] for d in items(srv.get_ok("/registrations"))]
    check("rs-1" in devs, "GET /registrations after restart")

    # No live session after a restart: a Read waits for the next Update.
    r = srv.lwm2m("GET", "rs-1", "3/0/0", query="format=tlv", timeout_ms=1500)
    check_eq(r.status, 202, "Read before the device spoke again is "
             "queued (%r)" % r)
    rid = r.json["request_id"]
    c.ok("update")
    c.wait_log(r"msg=updated\b", 10, since=mark)
    check_eq(c.log.count(r"msg=registered\b", mark), 0,
             "the Update was accepted: no new Register")
    reg = srv.registration("rs-1")
    check_eq(reg["reg_id"], before["reg_id"], "location kept after Update")
    done = wait_until(lambda: (lambda j: j if j["state"] == "done" else None)(
        srv.get_ok("/requests/%d" % rid)), 10,
        what="request answered after the Update")
    check_eq(done["code"], "2.05", "queued Read answered")
    check(value_of(done, "/3/0/0") in c.ok("get /3/0/0"), "right value")
    r = srv.lwm2m("GET", "rs-1", "3/0/0", query="format=tlv")
    check_eq(r.status, 200, "Read after the Update is direct (%r)" % r)


def test_restart_sigterm_keeps_registration(h):
    _restart_keeps(h, hard=False)


def test_restart_kill9_keeps_registration(h):
    """The same after kill -9: nothing committed is lost."""
    _restart_keeps(h, hard=True)


def test_queued_read_survives_restart(h):
    """A Read queued while the client slept, nusimd restarted, the client
    wakes: the Read is answered."""
    srv = h.server(extra_args=["--awake-time", "500"])
    c = h.client(srv.coap_uri, "rs-q", queue_mode=True, lifetime=120)
    c.wait_registered()
    srv.wait_registered("rs-q")
    c.ok("sleep")
    time.sleep(1.0)
    r = srv.lwm2m("GET", "rs-q", "3/0/9", query="format=tlv",
                  timeout_ms=1000)
    check_eq(r.status, 202, "Read queued (%r)" % r)
    rid = r.json["request_id"]
    srv.restart()
    q = srv.get_ok("/requests/%d" % rid)
    check_eq(q["state"], "queued", "still queued after restart")
    c.ok("wake")
    done = wait_until(lambda: (lambda j: j if j["state"] == "done" else None)(
        srv.get_ok("/requests/%d" % rid)), 15, what="queued Read answered")
    check_eq(done["code"], "2.05", "code of the queued Read")
    check(isinstance(value_of(done, "/3/0/9"), int), "battery level value")


def test_observation_survives_restart(h):
    """An observation set up before a restart still delivers: the client
    keeps notifying with the old token and nusimd maps it from SQLite."""
    _observation_survives(h, hard=False)


def test_observation_survives_kill9(h):
    _observation_survives(h, hard=True)


def _observation_survives(h, hard):
    srv = h.server()
    c = h.client(srv.coap_uri, "rs-obs", lifetime=120)
    c.wait_registered()
    srv.wait_registered("rs-obs")
    r = srv.lwm2m("POST", "rs-obs", "3/0/9/observe", query="format=tlv")
    check_eq(r.status, 200, "Observe (%r)" % r)
    srv.restart(hard=hard)
    c.ok("update")
    c.ok("set /3/0/9 77")

    def notified():
        for o in items(srv.get_ok("/devices/rs-obs/observations")):
            if o["path"] == "/3/0/9" and o.get("values") and \
                    o["values"][0].get("value") == 77:
                return o
        return None
    wait_until(notified, 10, what="notification 77 after restart")
