"""Bad input to the switch and profile routes gets a clear problem+json
and changes nothing: unknown device (404), unknown carrier and empty pool
(422), malformed JSON (400), bad profiles (422), CSV rows reported by
line with nothing imported (422), a container that disagrees (422)."""

import base64

from harness import check, check_eq, problem_ok
from test_switch_lib import Env, iccid, luhn

TIMEOUT = 60


def test_switch_refusals(h):
    env = Env(h, profiles=0)
    c = h.client(env.srv.coap_uri, "bi-1")
    c.wait_registered()
    env.srv.wait_registered("bi-1")
    api = env.srv.api
    problem_ok(api("POST", "/devices/nobody/switch", {"carrier": "B"},
                   role="operator"), 404)
    r = api("POST", "/devices/bi-1/switch", {"carrier": "Z"}, role="operator")
    problem_ok(r, 422)
    check("Z" in r.json["detail"], "names the carrier: %r" % r.json)
    r = api("POST", "/profiles", {"iccid": iccid("B", 1), "imsi": "001010000000001",
                                  "carrier": "B", "ki": "00" * 16,
                                  "opc": "11" * 16}, role="operator")
    check_eq(r.status, 201, "one profile (%r)" % r)
    j = env.switch("bi-1", {"carrier": "B"})
    env.wait_job(j["id"])     # fails: no nuSIM certificate on this client
    r = api("POST", "/devices/bi-1/switch", {"carrier": "B"}, role="operator")
    if env.pool("B")["available"] == 0:
        problem_ok(r, 422)
        check("empty" in r.json["detail"], "empty pool: %r" % r.json)
    for body in (b"{", b"[1,2]", b'{"carrier": 7}', b'{"carrier":"B","iccid":"1"}',
                 b"{}"):
        r = api("POST", "/devices/bi-1/switch", body, role="operator",
                headers={"Content-Type": "application/json"})
        check(r.status in (400, 422), "%r: 400/422 (%r)" % (body, r))
        problem_ok(r, r.status)
    problem_ok(api("POST", "/devices/bi-1/switch", {"carrier": "B"},
                   role="viewer"), 403)


def test_profile_validation(h):
    env = Env(h, profiles=0)
    api = env.srv.api
    good = {"iccid": iccid("B", 5), "imsi": "001010000000005", "carrier": "B",
            "ki": "00" * 16, "opc": "11" * 16}
    bad_luhn = dict(good, iccid=good["iccid"][:-1] +
                    str((int(good["iccid"][-1]) + 1) % 10))
    for body in (bad_luhn, dict(good, ki="zz"), dict(good, imsi="12"),
                 dict(good, carrier="")):
        problem_ok(api("POST", "/profiles", body, role="operator"), 422)
    problem_ok(api("POST", "/profiles", b"{nope", role="operator",
                   headers={"Content-Type": "application/json"}), 400)
    check_eq(api("POST", "/profiles", good, role="operator").status, 201, "good")
    problem_ok(api("POST", "/profiles", good, role="operator"), 409)
    r = api("GET", "/profiles?carrier=B", role="viewer")
    check("ki" not in r.json["items"][0] and "00" * 16 not in r.text,
          "secrets never listed")
    # A container whose ICCID is not the declared one.
    ic = luhn("898806600000000077")
    tlv = (bytes([1, len(ic)]) + ic.encode() + bytes([2, 6]) + b"001010" +
           bytes([3, 1]) + b"B" + bytes([4, 16]) + bytes(16) +
           bytes([5, 16]) + bytes(16))
    r = api("POST", "/profiles", {"iccid": iccid("B", 6),
                                  "container": base64.b64encode(tlv).decode()},
            role="operator")
    problem_ok(r, 422)
    r = api("POST", "/profiles", {"iccid": ic, "container":
                                  base64.b64encode(tlv).decode()},
            role="operator")
    check_eq(r.status, 201, "a matching container is taken (%r)" % r)


def test_csv_errors_by_line(h):
    env = Env(h, profiles=0)
    rows = ["iccid,imsi,carrier,ki,opc",
            "%s,001010000000001,B,%s,%s" % (iccid("B", 1), "00" * 16, "11" * 16),
            "%s,001010000000002,B,%s" % (iccid("B", 2), "00" * 16),
            "123,001010000000003,B,%s,%s" % ("00" * 16, "11" * 16),
            "%s,001010000000004,B,%s,%s" % (iccid("B", 1), "00" * 16, "11" * 16)]
    r = env.srv.api("POST", "/profiles/import", "\n".join(rows) + "\n",
                    role="operator", headers={"Content-Type": "text/csv"})
    problem_ok(r, 422)
    check_eq([e["line"] for e in r.json["errors"]], [3, 4, 5],
             "bad rows by line (%r)" % r.json)
    check_eq(env.srv.get_ok("/carriers")["items"], [], "nothing imported")
    r = env.srv.api("POST", "/profiles/import", "a,\"b\n", role="operator",
                    headers={"Content-Type": "text/csv"})
    problem_ok(r, 422)
    r = env.srv.api("POST", "/profiles/import", "x", role="operator",
                    headers={"Content-Type": "application/json"})
    problem_ok(r, 415)
