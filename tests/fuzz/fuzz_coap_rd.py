#!/usr/bin/env python3
"""fuzz_coap_rd.py: a black-box fuzzer of nusimd's registration interface.

  python3 tests/fuzz/fuzz_coap_rd.py [--nusimd PATH] [--seconds N]
                                     [--seed S] [--keep]

Starts nusimd (NoSec allowed, fresh database, port 0) through the e2e
harness, then for N seconds sends it mutated CoAP datagrams aimed at /rd
and /rd/<id> from a handful of source ports: bit flips and truncations of
good Register/Update/De-register packets, option deltas and lengths at
their extremes (and option numbers that wrap past 65535), hundreds of
Uri-Query options, Block1 with absurd numbers, sizes, Size1 and reserved
SZX, garbage payloads under every content format, random codes and
message types, bad token lengths. Afterwards it checks that the daemon is
still running, that /healthz answers 200 and that a good Register, Update
and De-register still work; with a sanitized build (make
SANITIZE=address,undefined) the harness also fails the run on any
sanitizer report in the daemon's log. Exit status 0 when all holds.

The last datagrams sent are written to fuzz_coap_last.txt (hex, one a
line) in the work directory when a check fails, to replay by hand.
tests/e2e/test_fuzz_smoke.py runs fuzz() for a few seconds in `make test`.
"""

import argparse
import collections
import os
import random
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(os.path.dirname(HERE), "e2e")
sys.path.insert(0, E2E)

import coap  # noqa: E402

CONTENT_FORMATS = (0, 40, 42, 60, 110, 112, 11542, 11543, 65535, 1 << 20)
LINKS = (b"</>;rt=\"oma.lwm2m\";ct=11543,</1/0>,</3/0>;ver=1.1,"
         b"</507>;ver=1.0,</508/0>")


def _rand_bytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def _ext_raw(n):
    """Nibble and extension for a delta/length, allowing 13/14 forms with
    any extension value (the encoder in coap.py refuses the extremes)."""
    if n < 13:
        return n, b""
    if n < 269:
        return 13, bytes([n - 13])
    return 14, struct.pack("!H", min(n - 269, 0xFFFF))


def _raw_option(delta, length, value):
    dn, dx = _ext_raw(delta)
    ln, lx = _ext_raw(length)
    return bytes([(dn << 4) | ln]) + dx + lx + value


def _header(rng, mtype=coap.CON, code=coap.POST, tkl=None):
    tok = _rand_bytes(rng, rng.randint(0, 8) if tkl is None else min(tkl, 8))
    t = len(tok) if tkl is None else tkl
    return bytes([0x40 | (mtype << 4) | (t & 0xF), code]) + \
        struct.pack("!H", rng.getrandbits(16)) + tok


def _good_register(rng, ep=None):
    ep = ep or "fz-%d" % rng.randint(0, 50)
    return coap.register_msg(ep=ep, lt=rng.choice((1, 60, 86400)),
                             lwm2m=rng.choice(("1.0", "1.1", "1.2")),
                             b=rng.choice(("U", "UQ", None)), links=LINKS)


class Mutator:
    """Makes one hostile datagram at a time; reg_ids are locations the
    daemon handed out, so /rd/<id> paths hit real registrations too."""

    def __init__(self, rng):
        self.rng = rng
        self.reg_ids = []
        self.kinds = [
            self.bitflip, self.truncate, self.option_extremes,
            self.option_wrap, self.many_queries, self.block1_absurd,
            self.garbage_payload, self.random_code, self.bad_header,
            self.update_delete, self.huge_links, self.random_options,
        ]

    def one(self):
        return self.rng.choice(self.kinds)()

    def _base(self):
        rng = self.rng
        if self.reg_ids and rng.random() < 0.4:
            m = coap.Message(coap.CON, rng.choice((coap.POST, coap.DELETE)))
            m.add_path("rd/" + rng.choice(self.reg_ids))
            if rng.random() < 0.5:
                m.add_query("lt=%d" % rng.randint(1, 100000))
            return m
        return _good_register(rng)

    def bitflip(self):
        data = bytearray(self._base().encode())
        for _ in range(self.rng.randint(1, 8)):
            i = self.rng.randrange(len(data))
            data[i] ^= 1 << self.rng.randrange(8)
        return bytes(data)

    def truncate(self):
        data = self._base().encode()
        return data[:self.rng.randrange(len(data) + 1)]

    def option_extremes(self):
        """Deltas and lengths in their 1- and 2-byte extended forms, the
        length often larger than what follows."""
        rng = self.rng
        out = _header(rng) + coap.encode_option(11, b"rd")
        for _ in range(rng.randint(1, 6)):
            delta = rng.choice((0, 12, 13, 268, 269, 0xFFFF + 269,
                                rng.randint(0, 70000)))
            length = rng.choice((0, 12, 13, 268, 269, 1500, 0xFFFF + 269,
                                 rng.randint(0, 2000)))
            value = _rand_bytes(rng, min(length, rng.randint(0, 64)))
            out += _raw_option(delta, length, value)
        if rng.random() < 0.5:
            out += b"\xff" + _rand_bytes(rng, rng.randint(0, 40))
        return out

    def option_wrap(self):
        """Option numbers summing past 65535: Uri-Path rd, then deltas of
        65535+269 until the number wraps to Uri-Query or Block1."""
        rng = self.rng
        out = _header(rng) + coap.encode_option(11, b"rd")
        for _ in range(rng.randint(1, 4)):
            out += _raw_option(0xFFFF + 269, 3, b"a=b")
        out += coap.encode_option(rng.randint(0, 20), b"ep=wrap")
        return out

    def many_queries(self):
        """Hundreds of Uri-Query options (repeated ep, lt, unknown keys)."""
        rng = self.rng
        m = coap.Message(coap.CON, coap.POST).add_path("rd")
        n = rng.choice((100, 500, 2000, rng.randint(1, 3000)))
        keys = ("ep=fz-q%d", "lt=%d", "x%d", "lwm2m=1.%d", "b=U%d", "Q",
                "sms=%d", "=%d", "ep=%d" + "e" * 200)
        for i in range(n):
            k = rng.choice(keys)
            m.options.append((coap.OPT_URI_QUERY,
                              (k % i if "%" in k else k).encode()))
        m.payload = LINKS
        data = m.encode()
        return data[:65000]

    def block1_absurd(self):
        """Block1 with NUM up to 2^20-1, reserved SZX 7, M set with no
        follow-up, Size1 up to 2^32-1, payload longer or shorter than the
        block, a block option of 4 bytes (too long)."""
        rng = self.rng
        m = _good_register(rng, "fz-blk%d" % rng.randint(0, 20))
        num = rng.choice((0, 1, 2, 1000, (1 << 20) - 1, rng.randint(0, 1 << 20)))
        szx = rng.choice((0, 2, 6, 7))
        more = rng.random() < 0.7
        val = coap.block_opt(num, more, szx)
        if rng.random() < 0.15:
            val = _rand_bytes(rng, rng.choice((4, 5, 8)))
        m.options.append((coap.OPT_BLOCK1, val))
        if rng.random() < 0.6:
            m.options.append((coap.OPT_SIZE1, coap.uint_opt(rng.choice(
                (0, 1, 16 * 1024, 1 << 20, 0xFFFFFFFF,
                 rng.getrandbits(32))))))
        size = 1 << (min(szx, 6) + 4)
        m.payload = _rand_bytes(rng, rng.choice((0, 1, size - 1, size,
                                                 size + 1, 1024)))
        return m.encode()

    def garbage_payload(self):
        rng = self.rng
        m = coap.Message(coap.CON, coap.POST).add_path("rd")
        m.add_query("ep=fz-g%d" % rng.randint(0, 30), "lt=60", "lwm2m=1.1")
        m.options.append((coap.OPT_CONTENT_FORMAT,
                          coap.uint_opt(rng.choice(CONTENT_FORMATS))))
        m.payload = rng.choice((
            _rand_bytes(rng, rng.randint(1, 1200)),
            b"<" * rng.randint(1, 1200),
            b"</3/0>;" + b";".join(b"a%d" % i for i in range(300)),
            b"</3/0>;ct=\"" + b"\\" * 500,
            b"\xbf" * 100,                       # CBOR indefinite maps
            b"\x9a\xff\xff\xff\xff",             # CBOR huge array
            b"[" * 1000,
            bytes([0xC8, 0x00, 0xFF]) + b"x" * 10,  # TLV length past end
            LINKS + b"\x00" + LINKS,
        ))
        return m.encode()

    def random_code(self):
        rng = self.rng
        m = coap.Message(rng.randint(0, 3), rng.getrandbits(8))
        m.add_path(rng.choice(("rd", "rd/" + (rng.choice(self.reg_ids)
                                              if self.reg_ids else "x"),
                               "rd/a/b/c", "", ".well-known/core")))
        m.add_query("ep=fz-c", "lt=60")
        m.payload = LINKS if rng.random() < 0.5 else b""
        return m.encode()

    def bad_header(self):
        rng = self.rng
        kind = rng.randrange(5)
        if kind == 0:   # token length 9..15
            return _header(rng, tkl=rng.randint(9, 15)) + _rand_bytes(rng, 20)
        if kind == 1:   # version 0, 2, 3
            d = bytearray(_good_register(rng).encode())
            d[0] = (d[0] & 0x3F) | (rng.choice((0, 2, 3)) << 6)
            return bytes(d)
        if kind == 2:   # empty message with token or payload
            return _header(rng, rng.randint(0, 3), 0, tkl=rng.randint(1, 8)) + \
                b"\xff" + b"x"
        if kind == 3:   # ACK/RST for MIDs the server may have used
            return bytes([0x40 | (rng.choice((2, 3)) << 4), 0]) + \
                struct.pack("!H", rng.getrandbits(16))
        return _rand_bytes(rng, rng.randint(0, 64))

    def update_delete(self):
        """Update/De-register on ids that exist, almost exist, or are
        absurd (very long, NUL, %-escapes, many segments)."""
        rng = self.rng
        rid = rng.choice(self.reg_ids) if self.reg_ids else "abc"
        bad = rng.choice((rid, rid[:-1], rid + "x", "x" * 255, "\x00" + rid,
                          "%00", "..", rid + "/" + rid))
        m = coap.Message(coap.CON, rng.choice((coap.POST, coap.DELETE,
                                               coap.PUT, coap.GET)))
        m.options.append((coap.OPT_URI_PATH, b"rd"))
        for seg in bad.split("/"):
            m.options.append((coap.OPT_URI_PATH, seg.encode()))
        if rng.random() < 0.5:
            m.add_query(rng.choice(("lt=0", "lt=-1", "lt=99999999999",
                                    "b=Z", "ep=other", "lwm2m=9.9", "Q=1")))
        if rng.random() < 0.5:
            m.payload = rng.choice((LINKS, b"<", _rand_bytes(rng, 50)))
        return m.encode()

    def huge_links(self):
        rng = self.rng
        n = rng.choice((1025, 2000, rng.randint(1, 1500)))
        links = b",".join(b"</%d/%d>" % (rng.randint(0, 70000),
                                         rng.randint(0, 70000))
                          for _ in range(n))
        m = _good_register(rng, "fz-l%d" % rng.randint(0, 10))
        m.payload = links[:60000]
        return m.encode()

    def random_options(self):
        """Well-formed encoding, hostile option set: Observe, Uri-Host,
        Proxy-Uri, Hop-Limit (16), Block2, repeated Content-Format,
        critical unknown options."""
        rng = self.rng
        m = _good_register(rng)
        for _ in range(rng.randint(1, 8)):
            num = rng.choice((1, 3, 4, 5, 6, 7, 16, 17, 23, 28, 35, 39, 60,
                              258, 2049, 65000, rng.randint(0, 65535)))
            m.options.append((num, _rand_bytes(rng, rng.choice((0, 1, 4, 9,
                                                                 270)))))
        return m.encode()


def _drain(socks, mut):
    """Reads whatever came back without waiting; keeps Location-Paths and
    ACKs the server's CONs (so it is not retransmitting to us forever)."""
    for s in socks:
        s.s.setblocking(False)
        while True:
            try:
                data, _ = s.s.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            try:
                m = coap.decode(data)
            except coap.CoapError:
                continue
            if m.type == coap.CON:
                s.send_raw(coap.Message(coap.ACK, 0, m.mid, b"").encode())
            loc = m.location()
            if loc.startswith("rd/") and len(mut.reg_ids) < 200:
                mut.reg_ids.append(loc[3:])
        s.s.setblocking(True)


def fuzz(host, port, seconds, seed=None, alive=None, rate=3000, log=None):
    """Sends mutated datagrams to host:port for `seconds`; alive() (if
    given) is polled twice a second and stops the run when false.
    Returns (datagrams sent, ring buffer of the last ones)."""
    seed = random.randrange(1 << 32) if seed is None else seed
    rng = random.Random(seed)
    if log:
        log("fuzz_coap_rd: seed=%d seconds=%s" % (seed, seconds))
    mut = Mutator(rng)
    socks = [coap.Socket(host, port) for _ in range(8)]
    last = collections.deque(maxlen=300)
    sent = 0
    end = time.monotonic() + seconds
    next_check = time.monotonic() + 0.5
    try:
        # Real registrations first, so /rd/<id> mutations hit real ids.
        for i in range(4):
            r = socks[i].request(_good_register(rng, "fz-real%d" % i))
            if r is not None and r.location().startswith("rd/"):
                mut.reg_ids.append(r.location()[3:])
        while time.monotonic() < end:
            pkt = mut.one()
            s = rng.choice(socks)
            try:
                s.send_raw(pkt)
            except OSError:
                pass  # EMSGSIZE for the largest ones: fine
            last.append(pkt)
            sent += 1
            if sent % 64 == 0:
                _drain(socks, mut)
                time.sleep(64.0 / rate)
            if time.monotonic() >= next_check:
                next_check += 0.5
                if alive is not None and not alive():
                    break
    finally:
        for s in socks:
            s.close()
    return sent, last


def check_serves(srv, check, check_eq, http):
    """After fuzzing: /healthz 200, and a good Register, Update and
    De-register on a fresh socket all answered as they should."""
    check(srv.alive(), "nusimd still running after fuzzing")
    r = http("GET", srv.base + "/healthz", timeout=10)
    check_eq(r.status, 200, "/healthz after fuzzing")
    s = coap.Socket("127.0.0.1", srv.coap_port)
    try:
        r = s.request(coap.register_msg(ep="fz-after", lt=300, lwm2m="1.1",
                                        links=LINKS), timeout=10)
        check(r is not None and r.code_str() == "2.01",
              "a good Register after fuzzing: %r" % r)
        loc = r.location()
        check(loc.startswith("rd/"), "Location-Path rd/<id>: %r" % loc)
        up = coap.Message(coap.CON, coap.POST).add_path(loc)
        up.add_query("lt=600")
        r = s.request(up, timeout=10)
        check(r is not None and r.code_str() == "2.04",
              "an Update after fuzzing: %r" % r)
        r = s.request(coap.Message(coap.CON, coap.DELETE).add_path(loc),
                      timeout=10)
        check(r is not None and r.code_str() == "2.02",
              "a De-register after fuzzing: %r" % r)
    finally:
        s.close()


def dump_last(path, last):
    with open(path, "w") as f:
        for pkt in last:
            f.write(pkt.hex() + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nusimd", help="the daemon (default $NUSIM_BUILD/nusimd)")
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory")
    a = ap.parse_args()
    if a.nusimd:
        os.environ["NUSIM_BUILD"] = os.path.dirname(os.path.abspath(a.nusimd))
    import shutil
    import tempfile
    work = tempfile.mkdtemp(prefix="nusim-fuzz-coap-")
    os.environ["NUSIM_E2E_DIR"] = work
    import harness
    h = harness.Harness()
    rc = 1
    last = ()
    try:
        srv = h.server()
        t0 = time.monotonic()
        sent, last = fuzz("127.0.0.1", srv.coap_port, a.seconds, a.seed,
                          alive=srv.alive, log=print)
        dt = time.monotonic() - t0
        print("fuzz_coap_rd: %d datagrams in %.1fs (%.0f/s)"
              % (sent, dt, sent / max(dt, 1e-9)))
        check_serves(srv, harness.check, harness.check_eq, harness.http)
        h.close()  # raises on a sanitizer report in any log
        rc = 0
        print("fuzz_coap_rd: ok")
    except Exception as e:
        print("fuzz_coap_rd: FAIL %s: %s" % (type(e).__name__, e))
        dump_last(os.path.join(work, "fuzz_coap_last.txt"), last)
        for name in sorted(os.listdir(work)):
            if name.endswith(".log"):
                with open(os.path.join(work, name), "rb") as f:
                    tail = f.read().decode(errors="replace").splitlines()[-40:]
                print("--- %s\n%s" % (name, "\n".join(tail)))
        print("fuzz_coap_rd: work directory kept: %s" % work)
        a.keep = True
    finally:
        try:
            h.close()
        except Exception:
            pass
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
