"""Fleet mode: `nusim-client fleet` registers 1,000 NoSec devices from
127.0.1.1-127.0.1.254 and GET /registrations, page by page, counts all
1,000, each once; and 50 DTLS devices provisioned from the CSV that
`fleet-credentials` prints (the path `make demo` takes)."""

import hashlib
import hmac

from harness import CLIENT, check, check_eq, run

TIMEOUT = 180


def test_fleet_1000_registrations(h):
    srv = h.server()
    f = h.fleet(srv.coap_uri, 1000, "fl", bind_range="127.0.1.1-127.0.1.254")
    n = f.wait_registered(120)
    check_eq(n, 1000, "fleet-registered count")
    seen, after, pages = [], None, 0
    while True:
        q = "/registrations?limit=300" + ("&after=" + after if after else "")
        j = srv.get_ok(q)
        check(len(j["items"]) <= 300, "page within limit")
        seen += [r["endpoint"] for r in j["items"]]
        pages += 1
        check(pages < 20, "pagination ends")
        after = j.get("next")
        if not after:
            break
    fleet = [e for e in seen if e.startswith("fl")]
    check_eq(len(fleet), 1000, "registrations of the fleet")
    check_eq(len(set(fleet)), 1000, "each endpoint once")
    check_eq(seen, sorted(seen), "endpoint order")
    check_eq(pages, 4, "1000 items in pages of 300")
    addrs = {r["addr"].rsplit(":", 1)[0] for r in
             srv.get_ok("/registrations?limit=1000")["items"]}
    check(len(addrs) > 100 and all(a.startswith("127.0.1.") for a in addrs),
          "devices spread over the bind range: %d addresses" % len(addrs))


def test_fleet_dtls_provisioned_by_csv(h):
    """The demo's path: `fleet-credentials` prints a CSV (keys derived as
    HMAC-SHA256(base, endpoint)[:16], checked here independently), POST
    /devices takes it as text/csv, and 50 devices register over DTLS."""
    base = "00112233445566778899aabbccddeeff"
    rc, csv, err = run([CLIENT, "fleet-credentials", "--count", "50",
                        "--prefix", "fd", "--psk-key-base", base])
    check_eq(rc, 0, "fleet-credentials (%s)" % err)
    rows = csv.strip().splitlines()
    check_eq(rows[0], "endpoint,psk_identity,psk_key_hex", "CSV header")
    check_eq(len(rows), 51, "header + 50 rows")
    for row in rows[1:]:
        ep, ident, key = row.split(",")
        want = hmac.new(bytes.fromhex(base), ep.encode(),
                        hashlib.sha256).hexdigest()[:32]
        check_eq(key, want, "derived key of " + ep)
        check_eq(ident, ep, "identity = endpoint")
    srv = h.server(allow_nosec=False)
    r = srv.api("POST", "/devices", csv, role="operator",
                headers={"Content-Type": "text/csv"})
    check_eq(r.status, 201, "CSV provisioning (%r)" % r)
    check_eq(r.json["count"], 50, "50 devices provisioned")
    f = h.fleet(srv.coaps_uri, 50, "fd", bind_range="127.0.2.1-127.0.2.50",
                extra_args=["--psk-key-base", base])
    check_eq(f.wait_registered(60), 50, "fleet-registered count")
    regs = srv.get_ok("/registrations?limit=100")["items"]
    fd = [x for x in regs if x["endpoint"].startswith("fd-")]
    check_eq(len(fd), 50, "50 DTLS registrations")
    check(all(x["transport"] == "dtls" for x in fd), "all over DTLS")
