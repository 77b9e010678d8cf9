"""Queue mode (DESIGN §4, docs/api.md §4, §6): a Read for a sleeping
device is answered 202 queued, waits in the database, and is sent when
the device wakes and updates; GET /requests/{id} then shows the value.
(OMA LightweightM2M-1.1-int-110 Queue Mode is the closest interop case.)"""

import time

from harness import check, check_eq, value_of, wait_until

# A short awake window, so the server sees the device asleep quickly.
AWAKE = ["--awake-time", "500"]


def _request(srv, rid):
    r = srv.api("GET", "/requests/%d" % rid, role="viewer")
    check_eq(r.status, 200, "GET /requests/%d (%r)" % (rid, r))
    return r.json


def test_queued_read_answered_on_wake(h):
    srv = h.server(extra_args=AWAKE)
    c = h.client(srv.coap_uri, "q-1", queue_mode=True)
    c.wait_registered()
    reg = srv.wait_registered("q-1")
    check_eq(reg["queue_mode"], True, "registration in queue mode")
    c.ok("sleep")
    time.sleep(1.0)
    r = srv.lwm2m("GET", "q-1", "3/0/0", query="format=tlv", timeout_ms=2000)
    check_eq(r.status, 202, "Read for a sleeping device is queued (%r)" % r)
    check_eq(r.json.get("state"), "queued", "state queued")
    rid = r.json["request_id"]
    check_eq(r.json.get("location"), "/api/v1/requests/%d" % rid, "location")
    q = _request(srv, rid)
    check_eq(q["state"], "queued", "request still queued while asleep")
    check_eq(q["op"], "read", "op")
    check_eq(q["path"], "/3/0/0", "path")
    check(q["sent_at"] is None, "not sent yet: %r" % q)
    time.sleep(1.0)
    check_eq(_request(srv, rid)["state"], "queued", "still queued 1 s later")

    c.ok("wake")
    done = wait_until(lambda: (lambda j: j if j["state"] == "done" else None)(
        _request(srv, rid)), 15, what="queued request done after wake")
    check_eq(done["code"], "2.05", "answer code")
    want = c.ok("get /3/0/0")
    check(value_of(done, "/3/0/0") in want,
          "value %r is the device's (%r)" % (value_of(done, "/3/0/0"), want))
    check(done["sent_at"] is not None and done["done_at"] is not None,
          "sent_at/done_at set: %r" % done)


def test_cancel_queued_request(h):
    """DELETE /requests/{id} cancels a queued request; it is never sent."""
    srv = h.server(extra_args=AWAKE)
    c = h.client(srv.coap_uri, "q-2", queue_mode=True)
    c.wait_registered()
    srv.wait_registered("q-2")
    c.ok("sleep")
    time.sleep(1.0)
    r = srv.lwm2m("PUT", "q-2", "3/0/14", "+07:00", timeout_ms=1000)
    check_eq(r.status, 202, "Write queued (%r)" % r)
    rid = r.json["request_id"]
    r = srv.api("DELETE", "/requests/%d" % rid, role="operator")
    check_eq(r.status, 200, "cancel (%r)" % r)
    check_eq(r.json.get("state"), "cancelled", "state cancelled")
    r = srv.api("DELETE", "/requests/%d" % rid, role="operator")
    check_eq(r.status, 409, "second cancel conflicts")
    c.ok("wake")
    time.sleep(2.0)
    check_eq(_request(srv, rid)["state"], "cancelled", "stays cancelled")
    check("+07:00" not in c.ok("get /3/0/14"), "cancelled Write never ran")


def test_queue_binding_by_version(h):
    """Queue mode is signalled b=UQ by a LwM2M 1.0 client and Q by 1.1:
    the server records both as queue mode, and the binding as sent."""
    srv = h.server()
    a = h.client(srv.coap_uri, "q-10", queue_mode=True,
                 extra_args=["--lwm2m", "1.0"])
    b = h.client(srv.coap_uri, "q-11", queue_mode=True,
                 extra_args=["--lwm2m", "1.1"])
    n = h.client(srv.coap_uri, "q-no")
    for c in (a, b, n):
        c.wait_registered()
    r10, r11, rno = (srv.wait_registered(e) for e in ("q-10", "q-11", "q-no"))
    check_eq((r10["version"], r10["queue_mode"], r10["binding"]),
             ("1.0", True, "UQ"), "1.0 queue registration")
    check_eq((r11["version"], r11["queue_mode"]), ("1.1", True),
             "1.1 queue registration")
    check_eq(rno["queue_mode"], False, "a client without --queue")
