"""Device-management operations through the REST API against a real
nusim-client (DESIGN §4, docs/api.md §4, §5): Read in every format,
Discover, Write and read back, Write-Attributes, Execute, Create and
Delete, Observe with a notification. Names follow the OMA LwM2M 1.1
interop tests (LightweightM2M-1.1-int-2xx/3xx) where one matches."""

import base64

from harness import check, check_eq, items, value_of, wait_until


def _device(h, ep):
    srv = h.server()
    c = h.client(srv.coap_uri, ep)
    c.wait_registered()
    srv.wait_registered(ep)
    return srv, c


def _ok(r, code, what):
    check(r.status in (200, 201), "%s: HTTP 200/201, got %r" % (what, r))
    check(isinstance(r.json, dict), "%s: JSON answer" % what)
    check_eq(r.json.get("code"), code, what + " CoAP code")
    check(isinstance(r.json.get("request_id"), int), what + " request_id")
    return r.json


def test_read_all_formats(h):
    """int-203 Read of /3/0 in TLV, SenML JSON and SenML CBOR, and of
    /3/0/0 as plain text: the same values every time."""
    srv, c = _device(h, "dm-read")
    seen = {}
    for fmt in ("tlv", "senml-json", "senml-cbor"):
        j = _ok(srv.lwm2m("GET", "dm-read", "3/0", query="format=" + fmt),
                "2.05", "Read /3/0 " + fmt)
        check_eq(j.get("format"), fmt, "format of the answer")
        paths = [v["path"] for v in j["values"]]
        for p in ("/3/0/0", "/3/0/9"):
            check(p in paths, "%s has %s: %r" % (fmt, p, paths))
        types = {v["path"]: v["type"] for v in j["values"]}
        check_eq(types["/3/0/0"], "string", "type of /3/0/0 in " + fmt)
        check_eq(types["/3/0/9"], "integer", "type of /3/0/9 in " + fmt)
        # Current Time (/3/0/13) moves between reads; the rest must not.
        seen[fmt] = {v["path"]: v["value"] for v in j["values"]
                     if v["path"] != "/3/0/13"}
    check_eq(seen["senml-json"], seen["tlv"], "SenML JSON values equal TLV")
    check_eq(seen["senml-cbor"], seen["tlv"], "SenML CBOR values equal TLV")
    j = _ok(srv.lwm2m("GET", "dm-read", "3/0/0", query="format=text"),
            "2.05", "Read /3/0/0 text")
    check_eq(j["format"], "text", "text format")
    check_eq(value_of(j, "/3/0/0"), seen["tlv"]["/3/0/0"], "text value")
    got = c.ok("get /3/0/0")
    check(seen["tlv"]["/3/0/0"] in got,
          "the client holds the value read: %r" % got)
    # A resource the device does not have: device-error 4.04.
    r = srv.lwm2m("GET", "dm-read", "3/0/333")
    check_eq(r.status, 404, "Read of a missing resource (%r)" % r)
    check_eq(r.json.get("coap_code"), "4.04", "coap_code of the problem")
    # An endpoint that is not registered.
    r = srv.lwm2m("GET", "nobody-here", "3/0")
    check_eq(r.status, 404, "Read on an unknown endpoint")


def test_discover(h):
    """int-204 Discover on /3/0 lists its resources as links."""
    srv, c = _device(h, "dm-disc")
    r = srv.api("GET", "/devices/dm-disc/lwm2m/3/0/discover?timeout=5000",
                role="viewer")
    check_eq(r.status, 200, "Discover status (%r)" % r)
    check_eq(r.json.get("code"), "2.05", "Discover code")
    paths = [link["path"] for link in r.json["links"]]
    for p in ("/3/0", "/3/0/0", "/3/0/9"):
        check(p in paths, "Discover lists %s: %r" % (p, paths))
    check("/1/0" not in paths, "Discover of /3/0 stays in /3/0: %r" % paths)


def test_write_then_read(h):
    """int-241 Write (replace) /3/0/14 UTC Offset, then Read it back; a
    partial update with the object form; a write to a read-only resource
    refused with 4.05."""
    srv, c = _device(h, "dm-write")
    j = _ok(srv.lwm2m("PUT", "dm-write", "3/0/14", "+02:00"), "2.04",
            "Write /3/0/14")
    j = _ok(srv.lwm2m("GET", "dm-write", "3/0/14", query="format=tlv"),
            "2.05", "Read back /3/0/14")
    check_eq(value_of(j, "/3/0/14"), "+02:00", "written value read back")
    check("+02:00" in c.ok("get /3/0/14"), "client holds +02:00")
    # Partial update (POST on the instance) with keys as paths.
    _ok(srv.lwm2m("POST", "dm-write", "3/0", {"14": "-05:00",
                                               "/3/0/15": "America/Lima"}),
        "2.04", "Write-partial /3/0")
    j = _ok(srv.lwm2m("GET", "dm-write", "3/0", query="format=senml-json"),
            "2.05", "Read /3/0 after partial update")
    check_eq(value_of(j, "/3/0/14"), "-05:00", "14 after partial update")
    check_eq(value_of(j, "/3/0/15"), "America/Lima", "15 after partial update")
    # The records form, encoded as SenML JSON on the way.
    _ok(srv.lwm2m("PUT", "dm-write", "3/0/14",
                  [{"path": "/3/0/14", "value": "+09:00", "type": "string"}],
                  query="format=senml-json"), "2.04", "Write records senml")
    j = srv.lwm2m("GET", "dm-write", "3/0/14", query="format=tlv").json
    check_eq(value_of(j, "/3/0/14"), "+09:00", "14 after SenML write")
    # PATCH is the same partial update; SenML CBOR on the way.
    _ok(srv.lwm2m("PATCH", "dm-write", "3/0", {"15": "Asia/Tokyo"},
                  query="format=senml-cbor"), "2.04", "PATCH /3/0")
    j = srv.lwm2m("GET", "dm-write", "3/0", query="format=senml-cbor").json
    check_eq(value_of(j, "/3/0/15"), "Asia/Tokyo", "15 after PATCH")
    check_eq(value_of(j, "/3/0/14"), "+09:00", "PATCH left 14 alone")
    # Manufacturer (/3/0/0) is read-only: the device answers 4.05.
    maker = c.ok("get /3/0/0")
    r = srv.lwm2m("PUT", "dm-write", "3/0/0", "evil")
    check_eq(r.status, 405, "Write on a read-only resource (%r)" % r)
    check_eq(c.ok("get /3/0/0"), maker, "manufacturer unchanged")
    # A viewer may read but not write.
    r = srv.lwm2m("PUT", "dm-write", "3/0/14", "+01:00", role="viewer")
    check_eq(r.status, 403, "viewer Write is forbidden")
    j = srv.lwm2m("GET", "dm-write", "3/0/14", role="viewer").json
    check_eq(value_of(j, "/3/0/14"), "+09:00", "value kept after 403")


def test_write_attributes(h):
    """int-301 Write-Attributes pmin/pmax on /3/0/9, seen by Discover."""
    srv, c = _device(h, "dm-attr")
    r = srv.api("PUT", "/devices/dm-attr/lwm2m/3/0/9/attributes"
                "?pmin=2&pmax=30&timeout=5000", role="operator")
    check_eq(r.status, 200, "Write-Attributes status (%r)" % r)
    check_eq(r.json.get("code"), "2.04", "Write-Attributes code")
    r = srv.api("GET", "/devices/dm-attr/lwm2m/3/0/9/discover?timeout=5000")
    check_eq(r.status, 200, "Discover /3/0/9 (%r)" % r)
    link = [lk for lk in r.json["links"] if lk["path"] == "/3/0/9"]
    check(link, "Discover lists /3/0/9: %r" % r.json)
    check_eq(str(link[0]["attributes"].get("pmin")), "2", "pmin attached")
    check_eq(str(link[0]["attributes"].get("pmax")), "30", "pmax attached")
    r = srv.api("PUT", "/devices/dm-attr/lwm2m/3/0/9/attributes?pmin=abc",
                role="operator")
    check_eq(r.status, 400, "a non-integer pmin is a bad request")
    r = srv.api("PUT", "/devices/dm-attr/lwm2m/3/0/9/attributes",
                role="operator")
    check_eq(r.status, 400, "Write-Attributes without any attribute")


def test_execute(h):
    """int-261 Execute /3/0/4 (Reboot) answers 2.04 and the device comes
    back; Execute on a readable resource is refused by the device with
    4.05; a viewer may not execute."""
    srv, c = _device(h, "dm-exec")
    r = srv.lwm2m("POST", "dm-exec", "3/0/0")
    check_eq(r.status, 405, "Execute on /3/0/0 (%r)" % r)
    r = srv.lwm2m("POST", "dm-exec", "3/0/4", role="viewer")
    check_eq(r.status, 403, "viewer may not execute")
    _ok(srv.lwm2m("POST", "dm-exec", "3/0/4"), "2.04", "Execute /3/0/4")

    def back():
        r = srv.lwm2m("GET", "dm-exec", "3/0/0", query="format=text",
                      timeout_ms=2000)
        return r if r.status == 200 else None
    wait_until(back, 20, interval=0.5, what="device answering after reboot")


def test_create_and_delete_507(h):
    """int-281 Create an Object 507 instance with a chosen id, read it,
    Delete it, and see it gone (4.04)."""
    srv, c = _device(h, "dm-create")
    inst = {"9/%d" % i: "v%d" % i for i in range(7)}
    r = srv.lwm2m("POST", "dm-create", "507", inst)
    j = _ok(r, "2.01", "Create /507/9")
    check_eq(r.status, 201, "Create answers 201")
    check_eq(j.get("location"), "/507/9", "Create location")
    j = _ok(srv.lwm2m("GET", "dm-create", "507/9", query="format=senml-json"),
            "2.05", "Read /507/9")
    for i in range(7):
        check_eq(value_of(j, "/507/9/%d" % i), "v%d" % i, "507/9/%d" % i)
    _ok(srv.lwm2m("DELETE", "dm-create", "507/9"), "2.02", "Delete /507/9")
    r = srv.lwm2m("GET", "dm-create", "507/9")
    check_eq(r.status, 404, "deleted instance is gone (%r)" % r)
    r = srv.lwm2m("DELETE", "dm-create", "507/9")
    check_eq(r.status, 404, "second Delete: 4.04 (%r)" % r)


def test_observe_notification(h):
    """int-401 Observe /3/0/9 (Battery Level); the client changes it to
    42; the notification lands in GET /devices/{ep}/observations; Cancel
    Observation ends it."""
    srv, c = _device(h, "dm-obs")
    j = _ok(srv.lwm2m("POST", "dm-obs", "3/0/9/observe",
                      query="format=senml-json"), "2.05",
            "Observe /3/0/9")
    first = value_of(j, "/3/0/9")
    check(first != 42, "battery level is not already 42")
    c.ok("set /3/0/9 42")

    def notified():
        r = srv.api("GET", "/devices/dm-obs/observations", role="viewer")
        if r.status != 200:
            return None
        for o in items(r.json):
            if o["path"] == "/3/0/9" and o.get("values") and \
                    o["values"][0].get("value") == 42:
                return o
        return None
    o = wait_until(notified, 10, what="notification with 42")
    check(o["active"] is True, "observation active: %r" % o)
    check(o["notifications"] >= 1, "notification counted: %r" % o)
    dev = srv.get_ok("/devices/dm-obs")
    check(any(x["path"] == "/3/0/9" for x in dev.get("observations", [])),
          "GET /devices/{ep} shows the observation")
    r = srv.lwm2m("DELETE", "dm-obs", "3/0/9/observe")
    check_eq(r.status, 200, "Cancel Observation (%r)" % r)

    def cancelled():
        r = srv.api("GET", "/devices/dm-obs/observations", role="viewer")
        obs = [x for x in items(r.json) if x["path"] == "/3/0/9"]
        return not obs or all(x["active"] is False for x in obs)
    wait_until(cancelled, 5, what="observation inactive after cancel")


def test_read_opaque_508_capabilities(h):
    """Read 508/2 nuSIM Capabilities (Opaque, two bytes) in SenML JSON: the
    value comes back as base64 of two bytes."""
    srv, c = _device(h, "dm-508")
    j = _ok(srv.lwm2m("GET", "dm-508", "508/0/2", query="format=senml-json"),
            "2.05", "Read /508/0/2")
    v = [x for x in j["values"] if x["path"] == "/508/0/2"][0]
    check_eq(v["type"], "opaque", "508/2 is opaque")
    check_eq(len(base64.b64decode(v["value"])), 2, "capabilities: 2 bytes")
