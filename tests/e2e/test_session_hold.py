"""session_hold (DESIGN §4, reaching a device): an always-on device's
session is held for `session_hold` seconds after its last exchange; past
that, a request waits (202) and is delivered on the device's next Update,
as for a sleeping device. The default (0) holds it while registered."""

import time

from harness import check_eq, wait_until


def _request_state(srv, rid):
    r = srv.api("GET", "/requests/%d" % rid, role="viewer")
    check_eq(r.status, 200, "GET /requests/%d (%r)" % (rid, r))
    return r.json


def test_session_released_after_hold(h):
    srv = h.server(extra_args=["--session-hold", "1"])
    c = h.client(srv.coap_uri, "hold-1", lifetime=300)
    c.wait_registered()
    srv.wait_registered("hold-1")
    r = srv.lwm2m("GET", "hold-1", "3/0/0")
    check_eq(r.status, 200, "Read inside the hold window (%r)" % r)
    time.sleep(2.5)
    r = srv.lwm2m("GET", "hold-1", "3/0/0", timeout_ms=500)
    check_eq(r.status, 202, "Read past the hold window is queued (%r)" % r)
    rid = r.json["request_id"]
    c.ok("update")
    done = wait_until(lambda: (lambda j: j if j["state"] == "done" else None)(
        _request_state(srv, rid)), 10, what="queued Read answered")
    check_eq(done["code"], "2.05", "answered after the Update")


def test_default_holds_while_registered(h):
    srv = h.server()
    c = h.client(srv.coap_uri, "hold-0", lifetime=300)
    c.wait_registered()
    srv.wait_registered("hold-0")
    time.sleep(2.5)
    r = srv.lwm2m("GET", "hold-0", "3/0/0")
    check_eq(r.status, 200, "Read after idle time, default hold (%r)" % r)
