"""coap.py: a small raw CoAP (RFC 7252) encoder/decoder for the e2e tests.

The tests use it to hand-make packets nusim-client would never send:
malformed options, truncated headers, a Register without ep, a
retransmitted Register with the same message ID. Encoding can be told to
lie (wrong option lengths, a bare payload marker) on purpose; decoding is
bounded by the datagram and raises CoapError on anything malformed.
"""

import os
import random
import socket
import struct
import time

CON, NON, ACK, RST = 0, 1, 2, 3

GET, POST, PUT, DELETE = 1, 2, 3, 4

OPT_OBSERVE = 6
OPT_LOCATION_PATH = 8
OPT_URI_PATH = 11
OPT_CONTENT_FORMAT = 12
OPT_URI_QUERY = 15
OPT_ACCEPT = 17
OPT_BLOCK2 = 23
OPT_BLOCK1 = 27
OPT_SIZE1 = 60

CF_LINK = 40


class CoapError(Exception):
    pass


def code(cls, detail):
    return (cls << 5) | detail


def code_str(c):
    """0x41 -> '2.01'."""
    return "%d.%02d" % (c >> 5, c & 0x1F)


def _ext(n):
    """The 4-bit nibble and the extension bytes for a delta or length."""
    if n < 13:
        return n, b""
    if n < 269:
        return 13, bytes([n - 13])
    if n < 65805:
        return 14, struct.pack("!H", n - 269)
    raise CoapError("option delta/length too large: %d" % n)


def encode_option(delta, value, fake_len=None):
    """One option; fake_len, if set, is written as its length instead of
    len(value), to make a malformed packet."""
    length = len(value) if fake_len is None else fake_len
    dn, dx = _ext(delta)
    ln, lx = _ext(length)
    return bytes([(dn << 4) | ln]) + dx + lx + value


def uint_opt(v):
    """An unsigned-integer option value in its shortest form."""
    if v == 0:
        return b""
    out = b""
    while v:
        out = bytes([v & 0xFF]) + out
        v >>= 8
    return out


class Message:
    def __init__(self, mtype=CON, code_=GET, mid=None, token=None,
                 options=None, payload=b""):
        self.type = mtype
        self.code = code_
        self.mid = random.randint(0, 0xFFFF) if mid is None else mid
        self.token = os.urandom(4) if token is None else token
        self.options = list(options or [])  # [(number, bytes)]
        self.payload = payload

    def opt(self, number):
        return [v for n, v in self.options if n == number]

    def add_path(self, path):
        for seg in path.strip("/").split("/"):
            if seg:
                self.options.append((OPT_URI_PATH, seg.encode()))
        return self

    def add_query(self, *items):
        for q in items:
            self.options.append((OPT_URI_QUERY, q.encode()))
        return self

    def location(self):
        return "/".join(v.decode(errors="replace")
                        for v in self.opt(OPT_LOCATION_PATH))

    def code_str(self):
        return code_str(self.code)

    def encode(self):
        if len(self.token) > 8:
            raise CoapError("token longer than 8 bytes")
        out = bytes([0x40 | (self.type << 4) | len(self.token), self.code])
        out += struct.pack("!H", self.mid) + self.token
        last = 0
        for number, value in sorted(self.options, key=lambda o: o[0]):
            out += encode_option(number - last, value)
            last = number
        if self.payload:
            out += b"\xff" + self.payload
        return out

    def __repr__(self):
        return "<CoAP %s mid=%d code=%s opts=%r len=%d>" % (
            "CON NON ACK RST".split()[self.type], self.mid,
            self.code_str(), self.options, len(self.payload))


def decode(data):
    """Parses one datagram into a Message; raises CoapError if malformed."""
    if len(data) < 4:
        raise CoapError("shorter than the 4-byte header")
    ver, mtype, tkl = data[0] >> 6, (data[0] >> 4) & 3, data[0] & 0xF
    if ver != 1:
        raise CoapError("version %d" % ver)
    if tkl > 8 or 4 + tkl > len(data):
        raise CoapError("bad token length %d" % tkl)
    m = Message(mtype, data[1], struct.unpack("!H", data[2:4])[0],
                data[4:4 + tkl])
    pos, number = 4 + tkl, 0
    while pos < len(data):
        b = data[pos]
        pos += 1
        if b == 0xFF:
            if pos == len(data):
                raise CoapError("payload marker with no payload")
            m.payload = data[pos:]
            break
        vals = []
        for nib in (b >> 4, b & 0xF):
            if nib == 15:
                raise CoapError("reserved nibble 15")
            if nib == 13:
                if pos + 1 > len(data):
                    raise CoapError("truncated option extension")
                nib = data[pos] + 13
                pos += 1
            elif nib == 14:
                if pos + 2 > len(data):
                    raise CoapError("truncated option extension")
                nib = struct.unpack("!H", data[pos:pos + 2])[0] + 269
                pos += 2
            vals.append(nib)
        number += vals[0]
        if pos + vals[1] > len(data):
            raise CoapError("option value past the end")
        m.options.append((number, data[pos:pos + vals[1]]))
        pos += vals[1]
    return m


class Socket:
    """A UDP socket toward one CoAP server, for hand-made exchanges."""

    def __init__(self, host, port, bind=None):
        self.addr = (host, port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((bind or "127.0.0.1", 0))

    def close(self):
        self.s.close()

    def send_raw(self, data):
        self.s.sendto(data, self.addr)

    def recv(self, timeout=3.0):
        """The next decoded datagram from the server, or None on timeout."""
        self.s.settimeout(timeout)
        try:
            data, _ = self.s.recvfrom(65536)
        except socket.timeout:
            return None
        return decode(data)

    def request(self, msg, timeout=3.0):
        """Sends msg and returns the response with its token (piggybacked
        or separate; empty ACKs are skipped, server CONs are ACKed)."""
        self.send_raw(msg.encode())
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            r = self.recv(left)
            if r is None:
                return None
            if r.type == CON:
                self.send_raw(Message(ACK, 0, r.mid, b"").encode())
            if r.code == 0 or r.token != msg.token:
                continue
            return r


def register_msg(ep=None, lt=None, lwm2m=None, b=None, links=b"</3/0>",
                 extra_query=()):
    """A Register request (POST /rd?ep=..&lt=..) with a link-format body."""
    m = Message(CON, POST).add_path("rd")
    q = []
    if ep is not None:
        q.append("ep=" + ep)
    if lt is not None:
        q.append("lt=%d" % lt)
    if lwm2m is not None:
        q.append("lwm2m=" + lwm2m)
    if b is not None:
        q.append("b=" + b)
    q.extend(extra_query)
    m.add_query(*q)
    m.options.append((OPT_CONTENT_FORMAT, uint_opt(CF_LINK)))
    m.payload = links
    return m


def block_opt(num, more, szx):
    """A Block1/Block2 option value (RFC 7959 §2.2)."""
    return uint_opt((num << 4) | (8 if more else 0) | szx)


def request_block1(sock, msg, payload, szx=6, timeout=3.0):
    """Sends msg with `payload` block-wise (Block1, 2**(szx+4)-byte blocks),
    each block a new CON with a new MID and the same token. Returns the
    first response that is not 2.31 Continue (the server may refuse early,
    e.g. 4.13), or None if a block got no answer."""
    size = 1 << (szx + 4)
    nblocks = max(1, (len(payload) + size - 1) // size)
    base_opts = list(msg.options)
    r = None
    for num in range(nblocks):
        chunk = payload[num * size:(num + 1) * size]
        more = num + 1 < nblocks
        m = Message(CON, msg.code, None, msg.token,
                    base_opts + [(OPT_BLOCK1, block_opt(num, more, szx))],
                    chunk)
        if num == 0:
            m.options.append((OPT_SIZE1, uint_opt(len(payload))))
        r = sock.request(m, timeout)
        if r is None or r.code != code(2, 31):
            return r
    return r
