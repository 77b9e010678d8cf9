"""Bad input, on both edges: malformed and hand-made CoAP packets on the
registration interface, and bad bodies, tokens and types on the REST API.
Each gets a clear error; afterwards the server still answers and the
stored registrations are what they were."""

import time

import coap
from harness import check, check_eq, http, items, problem_ok, value_of


def _snapshot(srv):
    return sorted((r["endpoint"], r["reg_id"], r["addr"])
                  for r in items(srv.get_ok("/registrations?limit=1000")))


def _still_fine(srv, before):
    check(srv.alive(), "nusimd still running")
    r = http("GET", srv.base + "/healthz")
    check_eq(r.status, 200, "healthz after bad input")
    check_eq(_snapshot(srv), before, "stored registrations unchanged")


def test_malformed_coap_packets(h):
    """Truncated header, bad token length, option length past the end,
    reserved option nibble 15, a payload marker with no payload: none is
    taken for a request, none stops the server."""
    srv = h.server()
    c = h.client(srv.coap_uri, "bad-keep")
    c.wait_registered()
    srv.wait_registered("bad-keep")
    before = _snapshot(srv)
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        good = coap.register_msg(ep="bad-x", lt=60, lwm2m="1.1").encode()
        hdr = good[:4 + 4]  # header + 4-byte token
        cases = {
            "truncated header": good[:3],
            "token length 9": bytes([0x49]) + good[1:],
            "token past the end": bytes([0x48]) + good[1:4] + b"\x01\x02",
            # Uri-Path "rd" then an option claiming 12 bytes with 2 left.
            "option length past the end": hdr + coap.encode_option(
                11, b"rd") + bytes([0x4C]) + b"ep",
            "reserved nibble 15": hdr + bytes([0xF1, 0x00]),
            "reserved length 15": hdr + bytes([0xB0 | 0x0F]) + b"rd",
            "marker without payload": hdr + coap.encode_option(
                11, b"rd") + b"\xff",
            "option extension truncated": hdr + bytes([0xD0]),
        }
        for what, pkt in cases.items():
            s.send_raw(pkt)
            r = s.recv(0.5)
            check(r is None or r.type == coap.RST or r.code >> 5 == 4,
                  "%s: answered with nothing, RST or 4.xx, not %r"
                  % (what, r))
        s.send_raw(b"")
        time.sleep(0.2)
        check(srv.registration("bad-x") is None, "nothing registered")
        _still_fine(srv, before)
        # The same socket can still register properly.
        r = s.request(coap.register_msg(ep="bad-x", lt=60, lwm2m="1.1"))
        check(r is not None and r.code_str() == "2.01",
              "a good Register after the bad ones: %r" % r)
    finally:
        s.close()


def test_register_without_ep(h):
    """A Register with no ep= is a 4.00 Bad Request."""
    srv = h.server()
    before = _snapshot(srv)
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        r = s.request(coap.register_msg(lt=60, lwm2m="1.1"))
        check(r is not None, "an answer to a Register without ep")
        check_eq(r.code_str(), "4.00", "Register without ep")
        r = s.request(coap.register_msg(ep="", lt=60, lwm2m="1.1"))
        check(r is not None and r.code_str() == "4.00",
              "Register with an empty ep: %r" % r)
        r = s.request(coap.register_msg(ep="bad-lt", lt=None, lwm2m="1.1",
                                        extra_query=("lt=abc",)))
        check(r is not None and r.code_str() == "4.00",
              "Register with lt=abc: %r" % r)
    finally:
        s.close()
    _still_fine(srv, before)


def test_oversized_link_format(h):
    """A Register whose link-format payload is over the 16 KiB bound
    (sent block-wise), and one with more than 1,024 links: 4.13 or 4.00,
    and no registration."""
    srv = h.server()
    before = _snapshot(srv)
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        big = b",".join(b"</%d/0>;ver=1.0;rt=\"padding-padding\"" % (i + 10)
                        for i in range(700))
        check(len(big) > 16 * 1024, "payload over 16 KiB")
        r = coap.request_block1(s, coap.register_msg(ep="bad-big", lt=60,
                                                     lwm2m="1.1"), big)
        check(r is not None, "an answer to the oversized Register")
        check(r.code_str() in ("4.13", "4.00"),
              "oversized link format: %s" % r.code_str())
        many = b",".join(b"</%d>" % (i + 10) for i in range(1100))
        r = coap.request_block1(s, coap.register_msg(ep="bad-many", lt=60,
                                                     lwm2m="1.1"), many)
        check(r is not None, "an answer to a Register with 1,100 links")
        check(r.code_str() in ("4.13", "4.00"),
              "too many links: %s" % r.code_str())
        bad = b"</3/0>,<unterminated"
        m = coap.register_msg(ep="bad-lf", lt=60, lwm2m="1.1", links=bad)
        r = s.request(m)
        check(r is not None and r.code_str() == "4.00",
              "malformed link format: %r" % r)
    finally:
        s.close()
    for ep in ("bad-big", "bad-many", "bad-lf"):
        check(srv.registration(ep) is None, ep + " not registered")
    _still_fine(srv, before)


def test_rest_bad_requests(h):
    """Invalid JSON, a truncated TLV body, SenML with wrong types, a value
    of the wrong type for the model, a bad path, bad and missing tokens:
    each refused with the right status, the device's value unchanged."""
    srv = h.server()
    c = h.client(srv.coap_uri, "bad-rest")
    c.wait_registered()
    srv.wait_registered("bad-rest")
    before = _snapshot(srv)
    url = "/devices/bad-rest/lwm2m/3/0/14?timeout=5000"
    r = srv.api("PUT", url, '"+03:00"', role="operator",
                headers={"Content-Type": "application/json"})
    check_eq(r.status, 200, "a good Write first (%r)" % r)

    # Invalid JSON.
    r = srv.api("PUT", url, b'{"14": ', role="operator",
                headers={"Content-Type": "application/json"})
    problem_ok(r, 400)
    check(r.json["type"].endswith("/invalid-json"), "invalid-json type")
    # Duplicate keys.
    r = srv.api("PUT", "/devices/bad-rest/lwm2m/3/0?timeout=5000",
                b'{"14": "+01:00", "14": "+04:00"}', role="operator",
                headers={"Content-Type": "application/json"})
    check_eq(r.status, 400, "duplicate JSON keys refused (%r)" % r)
    # Truncated TLV: a resource TLV (type 0xC8, id 14) claiming 6 bytes
    # with 2 present.
    r = srv.api("PUT", url, bytes([0xC8, 0x0E, 0x06]) + b"+0",
                role="operator",
                headers={"Content-Type": "application/vnd.oma.lwm2m+tlv"})
    check(400 <= r.status < 500, "truncated TLV refused (%r)" % r)
    check_eq(r.content_type, "application/problem+json", "problem type")
    # SenML JSON with wrong types: a number for a string resource, and a
    # string "v".
    for body in (b'[{"bn":"/3/0/","n":"14","v":42}]',
                 b'[{"n":"/3/0/14","v":"abc"}]',
                 b'[{"bn":5,"n":"14","vs":"+05:00"}]'):
        r = srv.api("PUT", url, body, role="operator",
                    headers={"Content-Type": "application/senml+json"})
        check(400 <= r.status < 500, "SenML %r refused (%r)" % (body, r))
    # JSON records with a value of the wrong type for the model.
    r = srv.api("PUT", "/devices/bad-rest/lwm2m/3/0/9?timeout=5000",
                [{"path": "/3/0/9", "value": "full"}], role="operator")
    problem_ok(r, 400)
    r = srv.api("PUT", "/devices/bad-rest/lwm2m/3/0?timeout=5000",
                [{"path": "/4/0/2", "value": "x"}], role="operator")
    problem_ok(r, 400)
    # Bad paths and parameters.
    for p in ("3/0/99999", "3/x/1", "3//0", "3/0/1/2/3"):
        r = srv.api("GET", "/devices/bad-rest/lwm2m/" + p, role="viewer")
        check_eq(r.status, 400, "bad path %s (%r)" % (p, r))
    r = srv.api("GET", "/devices/bad-rest/lwm2m/3/0?timeout=soon")
    problem_ok(r, 400)
    r = srv.api("GET", "/devices/bad-rest/lwm2m/3/0?format=xml")
    problem_ok(r, 400)
    # Unknown content type.
    r = srv.api("PUT", url, b"<x/>", role="operator",
                headers={"Content-Type": "application/xml"})
    problem_ok(r, 415)

    # The value survived all of it.
    r = srv.lwm2m("GET", "bad-rest", "3/0/14", query="format=tlv")
    check_eq(value_of(r.json, "/3/0/14"), "+03:00", "value unchanged")
    check("+03:00" in c.ok("get /3/0/14"), "client value unchanged")
    _still_fine(srv, before)


def test_rest_auth(h):
    """401 without a token, with a malformed and with an unknown one (with
    WWW-Authenticate); 403 for a too-low role; /healthz needs none."""
    srv = h.server()
    check_eq(http("GET", srv.base + "/healthz").status, 200, "healthz")
    check_eq(http("GET", srv.base + "/api/v1/healthz").status, 200,
             "healthz under /api/v1")
    for auth in (None, "Bearer ", "Bearer garbage", "Bearer nst_" + "A" * 43,
                 "Bearer " + srv.tokens["admin"][:-1],
                 "Basic dXNlcjpwYXNz"):
        hdrs = {"Authorization": auth} if auth is not None else {}
        r = http("GET", srv.base + "/api/v1/devices", headers=hdrs)
        problem_ok(r, 401)
        check("Bearer" in r.headers.get("WWW-Authenticate", ""),
              "WWW-Authenticate on 401 (%r)" % auth)
    check_eq(srv.api("GET", "/devices", role="viewer").status, 200,
             "viewer reads")
    r = srv.api("POST", "/devices", {"endpoint": "x1"}, role="viewer")
    problem_ok(r, 403)
    r = srv.api("GET", "/tokens", role="operator")
    problem_ok(r, 403)
    check_eq(srv.api("GET", "/tokens", role="admin").status, 200,
             "admin lists tokens")
    r = srv.api("POST", "/tokens", {"name": "dash", "role": "viewer"})
    check_eq(r.status, 201, "admin creates a token (%r)" % r)
    new = r.json["token"]
    check_eq(http("GET", srv.base + "/api/v1/devices", token=new).status,
             200, "the new token works")
    r = srv.api("DELETE", "/tokens/%d" % r.json["id"])
    check_eq(r.status, 204, "token deleted")
    problem_ok(http("GET", srv.base + "/api/v1/devices", token=new), 401)
    r = srv.api("GET", "/no-such-route")
    problem_ok(r, 404)


def test_rest_provisioning_validation(h):
    """POST /devices all-or-nothing: one bad row stores nothing (422 with
    the bad index/line); CSV and JSON forms; identity conflicts 409."""
    srv = h.server()
    r = srv.api("POST", "/devices", [
        {"endpoint": "p1", "psk_identity": "id-p1",
         "psk_key": "00112233445566778899aabbccddeeff"},
        {"endpoint": "p2", "psk_identity": "id-p2", "psk_key": "xyz"}],
        role="operator")
    problem_ok(r, 422)
    check_eq(r.json["errors"][0]["index"], 1, "bad entry index")
    check_eq(srv.api("GET", "/devices/p1").status, 404, "nothing stored")
    csv = ("endpoint,psk_identity,psk_key_hex\n"
           "p1,id-p1,00112233445566778899aabbccddeeff\n"
           "p2,id-p2,0011\n")
    r = srv.api("POST", "/devices", csv, role="operator",
                headers={"Content-Type": "text/csv"})
    check_eq(r.status, 201, "CSV provisioning (%r)" % r)
    check_eq(r.json["count"], 2, "two devices")
    r = srv.api("POST", "/devices", csv.replace("0011\n", "001\n"),
                role="operator", headers={"Content-Type": "text/csv"})
    problem_ok(r, 422)
    check_eq(r.json["errors"][0]["line"], 3, "bad CSV line number")
    r = srv.api("POST", "/devices", {"endpoint": "p3", "psk_identity": "id-p1",
                                     "psk_key": "aabb"}, role="operator")
    problem_ok(r, 409)
    eps = [d["endpoint"] for d in items(srv.get_ok("/devices"))]
    check_eq(eps, ["p1", "p2"], "devices listed")
    j = srv.get_ok("/devices?limit=1")
    check_eq([d["endpoint"] for d in j["items"]], ["p1"], "first page")
    check_eq(j["next"], "p1", "cursor of the first page")
    j = srv.get_ok("/devices?limit=1&after=p1")
    check_eq([d["endpoint"] for d in j["items"]], ["p2"], "second page")
    check_eq(j["next"], None, "no cursor on the last page")


def test_rest_unknown_things(h):
    """Unknown device, request, token and route: 404 problems; a method a
    route does not take: 405 with Allow; an oversized body: 413."""
    srv = h.server(extra_args=["--api-max-body", "4096"])
    problem_ok(srv.api("GET", "/devices/ghost"), 404)
    problem_ok(srv.api("GET", "/requests/999999"), 404)
    problem_ok(srv.api("DELETE", "/tokens/999999"), 404)
    problem_ok(srv.api("GET", "/devices/ghost/observations"), 404)
    r = srv.api("GET", "/devices/ghost/lwm2m/3/0")
    problem_ok(r, 404)
    check(r.json["type"].endswith("/not-registered"), "not-registered type")
    r = srv.api("PATCH", "/devices")
    problem_ok(r, 405)
    check(r.headers.get("Allow"), "Allow header on 405")
    r = srv.api("POST", "/devices", [{"endpoint": "e%d" % i} for i in
                                     range(400)], role="operator")
    problem_ok(r, 413)
    check_eq(items(srv.get_ok("/devices")), [], "nothing stored from a 413")
