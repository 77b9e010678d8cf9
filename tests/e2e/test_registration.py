"""Registration interface (DESIGN §4): Register, Update, De-register,
lifetime expiry, re-registration, LwM2M versions, address change, and a
retransmitted Register. Names follow the OMA LwM2M 1.1 interop tests
(LightweightM2M-1.1-int-1xx) where one matches."""

import time

import coap
from harness import check, check_eq, items, wait_until


def _regs(srv):
    return {r["endpoint"]: r for r in items(srv.get_ok("/registrations?limit=1000"))}


def test_register_update_deregister(h):
    """int-101 Initial Registration, int-102 Registration Update,
    int-103 De-registration, through nusim-client over NoSec UDP."""
    srv = h.server()
    c = h.client(srv.coap_uri, "reg-1", lifetime=60)
    c.wait_registered()
    reg = srv.wait_registered("reg-1")
    check_eq(reg["endpoint"], "reg-1", "registration endpoint")
    check_eq(reg["transport"], "udp", "transport")
    check(reg["addr"].startswith("127.0.0.1:"), "addr is loopback: %r" % reg)
    check_eq(reg["lifetime"], 60, "lifetime from lt=")
    check("/3/0" in reg.get("objects", []), "objects list /3/0: %r" % reg)
    check(len(reg["reg_id"]) >= 8, "reg_id looks random: %r" % reg["reg_id"])
    check(reg["expires_at"] - reg["updated_at"] == 60,
          "expires_at = updated_at + lifetime: %r" % reg)
    check("reg-1" in _regs(srv), "GET /registrations lists reg-1")

    time.sleep(1.2)  # expires_at counts whole seconds
    mark = c.log.mark()
    c.ok("update")
    c.wait_log(r"msg=updated\b", 5, since=mark)
    reg2 = wait_until(lambda: (lambda r: r if r and r["expires_at"] >
                               reg["expires_at"] else None)(
                                   srv.registration("reg-1")), 5,
                      what="Update to push expires_at forward")
    check_eq(reg2["reg_id"], reg["reg_id"], "Update keeps the location")
    check_eq(c.log.count(r"msg=registered\b"), 1,
             "an Update is not a new Register")

    c.ok("deregister")
    wait_until(lambda: srv.registration("reg-1") is None, 5,
               what="registration gone after De-register")
    check("reg-1" not in _regs(srv), "GET /registrations drops reg-1")


def test_lifetime_expiry(h):
    """int-101 with a lifetime that runs out: a device that vanishes
    (kill -9, no De-register) is dropped by the server's expiry scan."""
    srv = h.server()
    c = h.client(srv.coap_uri, "reg-exp", lifetime=3)
    c.wait_registered()
    reg = srv.wait_registered("reg-exp")
    check_eq(reg["lifetime"], 3, "short lifetime kept")
    c.proc.kill()
    c.proc.wait(5)
    t0 = time.monotonic()
    wait_until(lambda: srv.registration("reg-exp") is None, 40,
               interval=0.25, what="expiry of a 3 s registration")
    check(time.monotonic() - t0 > 1.0,
          "registration did not vanish before its lifetime")
    check("reg-exp" not in _regs(srv), "expired registration not listed")


def test_reregister_replaces(h):
    """A new Register for a known endpoint replaces its registration: one
    entry, a new location, the old location no longer valid."""
    srv = h.server()
    a = h.client(srv.coap_uri, "reg-dup", name="reg-dup-a")
    a.wait_registered()
    first = srv.wait_registered("reg-dup")
    a.proc.kill()
    a.proc.wait(5)
    b = h.client(srv.coap_uri, "reg-dup", name="reg-dup-b")
    b.wait_registered()
    second = wait_until(lambda: (lambda r: r if r and r["reg_id"] !=
                                 first["reg_id"] else None)(
                                     srv.registration("reg-dup")), 5,
                        what="new reg_id after re-register")
    check(second["addr"] != first["addr"],
          "registration moved to the new client's port")
    n = [r for r in items(srv.get_ok("/registrations?limit=1000"))
         if r["endpoint"] == "reg-dup"]
    check_eq(len(n), 1, "one registration per endpoint")
    # An Update on the replaced location is refused with 4.04.
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        m = coap.Message(coap.CON, coap.POST).add_path("rd/" + first["reg_id"])
        r = s.request(m)
        check(r is not None, "answer to an Update on a stale location")
        check_eq(r.code_str(), "4.04", "Update on the replaced location")
    finally:
        s.close()


def test_register_versions(h):
    """Register with lwm2m=1.0, 1.1 and 1.2 (raw CoAP): 2.01 Created with
    Location-Path rd/<id>, and the version and queue mode recorded."""
    srv = h.server()
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        cases = [("ver-10", "1.0", "UQ", True), ("ver-11", "1.1", "U", False),
                 ("ver-12", "1.2", "U", False)]
        locs = set()
        for ep, ver, b, queued in cases:
            m = coap.register_msg(ep=ep, lt=120, lwm2m=ver, b=b,
                                  links=b"</>;rt=\"oma.lwm2m\",</1/0>,</3/0>")
            r = s.request(m)
            check(r is not None, "answer to Register lwm2m=%s" % ver)
            check_eq(r.code_str(), "2.01", "Register lwm2m=%s" % ver)
            loc = r.location()
            check(loc.startswith("rd/") and len(loc) > 3,
                  "Location-Path rd/<id>: %r" % loc)
            locs.add(loc)
            reg = srv.wait_registered(ep)
            check_eq(reg["version"], ver, "version of " + ep)
            check_eq(reg["queue_mode"], queued, "queue mode of " + ep)
            check_eq(reg["reg_id"], loc[3:], "reg_id is the location id")
            check("/" not in reg["objects"], "root link left out: %r" % reg)
        check_eq(len(locs), 3, "distinct locations")
        # 1.1 signals queue mode with a bare Q parameter.
        m = coap.register_msg(ep="ver-11q", lt=120, lwm2m="1.1",
                              extra_query=("Q",))
        r = s.request(m)
        check(r is not None and r.code_str() == "2.01", "Register with Q: %r" % r)
        check_eq(srv.wait_registered("ver-11q")["queue_mode"], True,
                 "Q means queue mode")
    finally:
        s.close()


def test_update_from_new_address_moves(h):
    """An Update from a new address moves the registration there (a device
    that changed carrier), and requests follow it."""
    srv = h.server()
    c = h.client(srv.coap_uri, "reg-move")
    c.wait_registered()
    before = srv.wait_registered("reg-move")
    check(before["addr"].startswith("127.0.0.1:"), "starts on 127.0.0.1")
    c.ok("rebind 127.0.0.2")
    moved = wait_until(lambda: (lambda r: r if r and r["addr"].startswith(
        "127.0.0.2:") else None)(srv.registration("reg-move")), 10,
                       what="registration addr on 127.0.0.2")
    check_eq(moved["reg_id"], before["reg_id"], "same location after move")
    r = srv.lwm2m("GET", "reg-move", "3/0/0", query="format=text")
    check_eq(r.status, 200, "Read after the move reaches the device (%r)" % r)


def test_retransmitted_register_same_mid(h):
    """A Register retransmitted with the same MID (its ACK was lost) leaves
    one registration, at the location of the last answer."""
    srv = h.server()
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        m = coap.register_msg(ep="reg-retx", lt=120, lwm2m="1.1")
        r1 = s.request(m)
        r2 = s.request(m)  # same MID, same token
        check(r1 is not None and r2 is not None, "both copies answered")
        check_eq(r1.code_str(), "2.01", "first copy")
        check_eq(r2.code_str(), "2.01", "second copy")
        regs = [x for x in items(srv.get_ok("/registrations?limit=1000"))
                if x["endpoint"] == "reg-retx"]
        check_eq(len(regs), 1, "one registration")
        check_eq(regs[0]["reg_id"], r2.location()[3:],
                 "the registration is where the last answer points")
    finally:
        s.close()
