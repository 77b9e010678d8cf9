"""Devices that misbehave, played by hand-made CoAP (coap.py): one that
never answers (504 device-timeout, and the request still ends in the
database), one that answers late, one that resets (502), and a request
queued with a time to live that runs out (expired). What the REST user
sees in each case is what docs/api.md §4 and §6 promise."""

import threading
import time

import coap
from harness import check, check_eq, problem_ok, value_of, wait_until


def _fake_device(srv, ep):
    """Registers `ep` from a raw UDP socket; returns the socket."""
    s = coap.Socket("127.0.0.1", srv.coap_port)
    r = s.request(coap.register_msg(ep=ep, lt=120, lwm2m="1.1"))
    check(r is not None and r.code_str() == "2.01", "fake Register: %r" % r)
    srv.wait_registered(ep)
    return s


def _next_request(s, timeout=5.0):
    """The next CON request nusimd sends the fake device."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = s.recv(end - time.monotonic())
        if m is not None and m.type == coap.CON and 1 <= m.code <= 31:
            return m
    raise AssertionError("nusimd sent the device no request")


def test_silent_device_times_out_then_answers(h):
    """The device stays silent past ?timeout=: 504 device-timeout with a
    request_id. It answers a retransmission later: the request is done
    with the value in GET /requests/{id}."""
    srv = h.server()
    s = _fake_device(srv, "fault-slow")
    try:
        t0 = time.monotonic()
        r = srv.lwm2m("GET", "fault-slow", "3/0/0", query="format=text",
                      timeout_ms=1000)
        dt = time.monotonic() - t0
        problem_ok(r, 504)
        check(r.json["type"].endswith("/device-timeout"), "device-timeout")
        check(0.8 < dt < 5, "answered after about the timeout: %.1fs" % dt)
        rid = r.json["request_id"]
        first = _next_request(s, 1)
        check_eq("/".join(v.decode() for v in first.opt(coap.OPT_URI_PATH)),
                 "3/0/0", "Uri-Path of the Read")
        check_eq(len(first.token), 8, "8 random token bytes")
        check_eq(first.opt(coap.OPT_ACCEPT), [coap.uint_opt(0)],
                 "Accept text/plain")
        q = srv.get_ok("/requests/%d" % rid)
        check_eq(q["state"], "sent", "still in flight after the 504")
        again = _next_request(s, 8)  # libcoap retransmits the CON
        check_eq(again.mid, first.mid, "a retransmission keeps the MID")
        s.send_raw(coap.Message(coap.ACK, coap.code(2, 5), again.mid,
                                again.token,
                                [(coap.OPT_CONTENT_FORMAT, coap.uint_opt(0))],
                                b"Late Maker").encode())
        done = wait_until(lambda: (lambda j: j if j["state"] == "done"
                                   else None)(srv.get_ok("/requests/%d" % rid)),
                          5, what="late answer recorded")
        check_eq(done["code"], "2.05", "code of the late answer")
        check_eq(value_of(done, "/3/0/0"), "Late Maker", "late value")
    finally:
        s.close()


def test_reset_device_is_unreachable(h):
    """The device answers the request with RST: 502 device-unreachable."""
    srv = h.server()
    s = _fake_device(srv, "fault-rst")
    try:
        def reset():
            m = _next_request(s, 5)
            s.send_raw(coap.Message(coap.RST, 0, m.mid, b"").encode())
        t = threading.Thread(target=reset, daemon=True)
        t.start()
        r = srv.lwm2m("GET", "fault-rst", "3/0/9", timeout_ms=5000)
        t.join(5)
        problem_ok(r, 502)
        check(r.json["type"].endswith("/device-unreachable"),
              "device-unreachable type")
        check(r.json.get("error"), "the error is named: %r" % r.json)
        q = srv.get_ok("/requests/%d" % r.json["request_id"])
        check_eq(q["state"], "failed", "request failed")
    finally:
        s.close()


def test_device_error_code_mapped(h):
    """The device answers 4.04 and 5.00: 404 and 502 device-error problems
    carrying coap_code."""
    srv = h.server()
    s = _fake_device(srv, "fault-code")
    try:
        for coap_code, status in (((4, 4), 404), ((5, 0), 502),
                                  ((4, 1), 403)):
            def answer():
                m = _next_request(s, 5)
                s.send_raw(coap.Message(coap.ACK, coap.code(*coap_code),
                                        m.mid, m.token).encode())
            t = threading.Thread(target=answer, daemon=True)
            t.start()
            r = srv.lwm2m("GET", "fault-code", "3/0/1", timeout_ms=5000)
            t.join(5)
            problem_ok(r, status)
            check_eq(r.json.get("coap_code"), "%d.%02d" % coap_code,
                     "coap_code")
            check(r.json["type"].endswith("/device-error"), "device-error")
    finally:
        s.close()


def test_queued_request_expires(h):
    """A request for a sleeping device with a 1 s time to live ends
    "expired" and is never sent."""
    srv = h.server(extra_args=["--awake-time", "200", "--queue-ttl", "1"])
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        r = s.request(coap.register_msg(ep="fault-q", lt=120, lwm2m="1.1",
                                        extra_query=("Q",)))
        check(r is not None and r.code_str() == "2.01", "Register Q: %r" % r)
        loc = r.location()
        time.sleep(0.6)
        r = srv.lwm2m("GET", "fault-q", "3/0/0", timeout_ms=500)
        check_eq(r.status, 202, "queued (%r)" % r)
        rid = r.json["request_id"]
        wait_until(lambda: srv.get_ok("/requests/%d" % rid)["state"] ==
                   "expired", 6, what="queued request expired")
        # The device wakes: the expired request is not sent.
        m = coap.Message(coap.CON, coap.POST).add_path(loc)
        r = s.request(m)
        check(r is not None and r.code_str() == "2.04", "Update: %r" % r)
        got = s.recv(1.5)
        check(got is None or got.type != coap.CON,
              "no request sent after expiry: %r" % got)
    finally:
        s.close()
