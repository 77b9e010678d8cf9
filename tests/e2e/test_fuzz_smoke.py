"""A few seconds of tests/fuzz/fuzz_coap_rd.py in every `make test`: mutated
CoAP datagrams (bit flips, truncations, extreme option encodings, huge
Uri-Query counts, absurd Block1, garbage payloads) at a normal nusimd's
/rd, after which it must still run, answer /healthz, and take a good
Register, Update and De-register. Also the two-datagram Block1 sequence
that crashed libcoap 4.3.1 (server/coap_guard.c), on its own, each time."""

import os
import sys

import coap
from harness import check, check_eq, http

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "fuzz"))
import fuzz_coap_rd  # noqa: E402

TIMEOUT = 90
SECONDS = float(os.environ.get("NUSIM_FUZZ_SMOKE_SECONDS", "5"))


def test_coap_fuzz_smoke(h):
    srv = h.server()
    sent, _ = fuzz_coap_rd.fuzz("127.0.0.1", srv.coap_port, SECONDS,
                                alive=srv.alive)
    check(sent > 1000, "the fuzzer sent something (%d datagrams)" % sent)
    fuzz_coap_rd.check_serves(srv, check, check_eq, http)


def _block1_register(ep, num, more, payload, size1=None, token=b"\x0b\x01"):
    m = coap.register_msg(ep=ep, lt=60, lwm2m="1.1")
    m.token = token
    m.options.append((coap.OPT_BLOCK1, coap.block_opt(num, more, 6)))
    if size1 is not None:
        m.options.append((coap.OPT_SIZE1, coap.uint_opt(size1)))
    m.payload = payload
    return m


def test_block1_libcoap_crash_sequence(h):
    """Block 0 (M=1) without Size1, then an empty final block: libcoap
    4.3.1 dereferenced a NULL body. Now each gets a 4.00, the daemon lives,
    and a proper block-wise Register still works."""
    srv = h.server()
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        r = s.request(_block1_register("fz-crash", 0, True, b"<" * 1024))
        check(r is not None and r.code_str() == "4.00",
              "first block without Size1: %r" % r)
        r = s.request(_block1_register("fz-crash", 1, False, b""))
        check(r is not None and r.code_str() == "4.00",
              "empty final block: %r" % r)
        r = s.request(_block1_register("fz-crash", 0, True, b"<", 2000))
        check(r is not None and r.code_str() == "4.00",
              "short block with M=1: %r" % r)
        r = s.request(_block1_register("fz-crash", 1 << 19, False, b"x"))
        check(r is not None and r.code_str() == "4.13",
              "block far past 64 KiB: %r" % r)
        check(srv.alive(), "nusimd survives the sequence")
        links = b",".join(b"</%d/0>" % (i + 10) for i in range(300))
        r = coap.request_block1(s, coap.register_msg(
            ep="fz-blockwise", lt=60, lwm2m="1.1"), links)
        check(r is not None and r.code_str() == "2.01",
              "a good block-wise Register afterwards: %r" % r)
    finally:
        s.close()
    srv.wait_registered("fz-blockwise")
    fuzz_coap_rd.check_serves(srv, check, check_eq, http)


def test_lone_block1_is_not_a_register(h):
    """A Register made only of block 1 (no transfer under way): libcoap
    4.3.1 passes that piece to the handler as if it were the payload; it
    must be 4.08 Request Entity Incomplete, with nothing registered."""
    srv = h.server()
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        r = s.request(_block1_register("fz-lone", 1, False, b"</3/0>"))
        check(r is not None and r.code_str() == "4.08",
              "a lone final block: %r" % r)
    finally:
        s.close()
    check(srv.registration("fz-lone") is None, "fz-lone not registered")
