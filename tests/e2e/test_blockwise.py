"""Block-wise transfer (RFC 7959, DESIGN §4): a 3 KiB String value of an
Object 507 instance goes to nusim-client in Block1 and comes back in
Block2, byte for byte, in TLV and in plain text."""

import base64
import os

from harness import check, check_eq, value_of


def _big(n):
    """n characters of standard base64, like a real encP."""
    return base64.b64encode(os.urandom(n))[:n].decode()


def test_blockwise_write_read_3k(h):
    srv = h.server()
    c = h.client(srv.coap_uri, "blk-1")
    c.wait_registered()
    srv.wait_registered("blk-1")
    big = _big(3072)
    inst = {"3/%d" % i: "x" for i in range(1, 7)}
    inst["3/0"] = big
    r = srv.lwm2m("POST", "blk-1", "507", inst, timeout_ms=15000)
    check_eq(r.status, 201, "Create /507/3 with a 3 KiB encP (%r)" % r)
    check_eq(r.json.get("code"), "2.01", "Create code")
    r = srv.lwm2m("GET", "blk-1", "507/3/0", query="format=senml-json",
                  timeout_ms=15000)
    check_eq(r.status, 200, "Read /507/3/0 (%r)" % r)
    got = value_of(r.json, "/507/3/0")
    check_eq(len(got), 3072, "length read back")
    check(got == big, "3 KiB value read back unchanged")

    # A replace of the same resource, then a TLV Read of the instance.
    big2 = _big(3100)
    r = srv.lwm2m("PUT", "blk-1", "507/3/0", big2, timeout_ms=15000)
    check_eq(r.status, 200, "Write 3 KiB /507/3/0 (%r)" % r)
    check_eq(r.json.get("code"), "2.04", "Write code")
    r = srv.lwm2m("GET", "blk-1", "507/3", query="format=tlv",
                  timeout_ms=15000)
    check_eq(r.status, 200, "Read /507/3 TLV (%r)" % r)
    check(value_of(r.json, "/507/3/0") == big2, "second value read back")
    check_eq(value_of(r.json, "/507/3/6"), "x", "small resource beside it")
