"""CoAP over DTLS with PSK (DESIGN §4): the right key registers, a wrong
key is rejected, an identity may only register the endpoint bound to it,
and NoSec is refused unless --allow-nosec."""

import coap
from harness import check, check_eq, items, value_of

KEY_A = "00112233445566778899aabbccddeeff"
KEY_B = "ffeeddccbbaa99887766554433221100"

TIMEOUT = 200  # a wrong PSK fails only after the DTLS handshake gives up


def test_right_psk_registers(h):
    """int-101 over DTLS: a device added with `nusimd device add` while
    nusimd runs registers with its PSK and answers a Read."""
    srv = h.server(allow_nosec=False)
    srv.device_add("dtls-a", "id-a", KEY_A)
    c = h.client(srv.coaps_uri, "dtls-a", psk_identity="id-a", psk_key=KEY_A)
    c.wait_registered(20)
    reg = srv.wait_registered("dtls-a")
    check_eq(reg["transport"], "dtls", "transport")
    check_eq(reg["psk_identity"], "id-a", "identity recorded")
    dev = srv.get_ok("/devices/dtls-a")
    check_eq(dev["has_psk"], True, "device has a PSK")
    check("psk_key" not in dev and KEY_A not in srv.api(
        "GET", "/devices/dtls-a").text, "the key is never shown")
    r = srv.lwm2m("GET", "dtls-a", "3/0/0", query="format=tlv")
    check_eq(r.status, 200, "Read over DTLS (%r)" % r)
    check(value_of(r.json, "/3/0/0") in c.ok("get /3/0/0"), "value")
    # Secrets never in the logs.
    check(KEY_A not in srv.log.text(), "PSK not in the nusimd log")


def test_rest_provisioned_device_registers(h):
    """A device provisioned with POST /api/v1/devices registers over DTLS."""
    srv = h.server(allow_nosec=False)
    r = srv.api("POST", "/devices", {"endpoint": "dtls-r", "psk_identity":
                                     "id-r", "psk_key": KEY_B},
                role="operator")
    check_eq(r.status, 201, "POST /devices (%r)" % r)
    c = h.client(srv.coaps_uri, "dtls-r", psk_identity="id-r", psk_key=KEY_B)
    c.wait_registered(20)
    check_eq(srv.wait_registered("dtls-r")["transport"], "dtls", "transport")


def test_wrong_psk_rejected(h):
    srv = h.server(allow_nosec=False)
    srv.device_add("dtls-w", "id-w", KEY_A)
    c = h.client(srv.coaps_uri, "dtls-w", psk_identity="id-w", psk_key=KEY_B)
    c.wait_log(r"msg=register-failed\b", 150)
    check(srv.registration("dtls-w") is None, "no registration with a bad key")
    check_eq(c.log.count(r"msg=registered\b"), 0, "never registered")


def test_identity_bound_to_its_endpoint(h):
    """Identity id-a (endpoint dtls-a) trying to register dtls-b: 4.03,
    and dtls-b's own registration stays as it was."""
    srv = h.server(allow_nosec=False)
    srv.device_add("dtls-a", "id-a", KEY_A)
    srv.device_add("dtls-b", "id-b", KEY_B)
    b = h.client(srv.coaps_uri, "dtls-b", psk_identity="id-b", psk_key=KEY_B)
    b.wait_registered(20)
    before = srv.wait_registered("dtls-b")
    evil = h.client(srv.coaps_uri, "dtls-b", psk_identity="id-a",
                    psk_key=KEY_A, name="dtls-b-impostor")
    evil.wait_log(r"msg=register-failed\b.*code=4\.03", 30)
    after = srv.registration("dtls-b")
    check(after is not None, "dtls-b still registered")
    for k in ("reg_id", "addr", "psk_identity"):
        check_eq(after[k], before[k], "dtls-b " + k + " unchanged")
    check(srv.registration("dtls-a") is None, "nothing registered as dtls-a")


def test_nosec_refused_without_flag(h):
    """Without --allow-nosec a plain-UDP Register is not accepted."""
    srv = h.server(allow_nosec=False)
    if srv.coap_port:
        s = coap.Socket("127.0.0.1", srv.coap_port)
        try:
            r = s.request(coap.register_msg(ep="nosec-x", lt=60, lwm2m="1.1"),
                          timeout=3)
            check(r is None or r.code >> 5 != 2,
                  "NoSec Register not accepted: %r" % r)
        finally:
            s.close()
    regs = items(srv.get_ok("/registrations"))
    check_eq([x["endpoint"] for x in regs], [], "no registrations")
