"""The switch machine against a scripted LwM2M device (DESIGN §5, §7): a
raw-CoAP stand-in for a nuSIM device that records every request nusimd
sends, so the tests can check the protocol itself: the Read of 508, one
Create on /507 with the seven String resources, 508/4 = Objlnk 507:N,
exactly one Execute of 508/5, the Observe of 508/6, the device coming back
from carrier B's address with the new ICCID in 508/1; and, with a kill -9
of nusimd right after Load Profile, still exactly one Execute.

The scripted device does not open the package (the simulated nuSIM of
nusim-client does that in the other test_switch_* files); it takes the
ICCID it "loaded" from the job, and answers 508/6 with a chosen code."""

import base64
import os
import socket
import struct
import threading
import time

import coap
from harness import NUSIMD, check, check_eq, run, wait_until
from test_switch_lib import Env, eid, iccid

TIMEOUT = 120

CF_TEXT, CF_TLV = 0, 11542


# ---- OMA TLV (LwM2M 1.1 §7.4.3) ------------------------------------------

def tlv(kind, ident, value):
    t = kind << 6
    idb = bytes([ident]) if ident < 256 else struct.pack("!H", ident)
    if ident >= 256:
        t |= 0x20
    n = len(value)
    if n < 8:
        t |= n
        lb = b""
    elif n < 256:
        t |= 0x08
        lb = bytes([n])
    elif n < 65536:
        t |= 0x10
        lb = struct.pack("!H", n)
    else:
        t |= 0x18
        lb = struct.pack("!I", n)[1:]
    return bytes([t]) + idb + lb + value


def untlv(data):
    """[(kind, id, value)] of one level."""
    out, pos = [], 0
    while pos < len(data):
        t = data[pos]
        pos += 1
        kind = t >> 6
        if t & 0x20:
            ident = struct.unpack("!H", data[pos:pos + 2])[0]
            pos += 2
        else:
            ident = data[pos]
            pos += 1
        lt = (t >> 3) & 3
        if lt == 0:
            n = t & 7
        else:
            n = int.from_bytes(data[pos:pos + lt], "big")
            pos += lt
        out.append((kind, ident, data[pos:pos + n]))
        pos += n
    return out


class FakeNusim(threading.Thread):
    """A scripted nuSIM device over NoSec CoAP, in a thread."""

    def __init__(self, srv, ep, eid_, cert_der, iccid0, to_iccid, result=0,
                 bind_a="127.0.1.9", bind_b="127.0.2.9", update_s=1.0,
                 observe=True, reattach_s=0.6):
        super().__init__(daemon=True)
        self.srv, self.ep, self.eid = srv, ep, eid_
        self.cert = base64.b64encode(cert_der)
        self.iccid = iccid0
        self.to_iccid = to_iccid        # fn() -> the ICCID "loaded"
        self.result, self.bind_b, self.update_s = result, bind_b, update_s
        self.observe, self.reattach_s = observe, reattach_s
        self.log, self.instances, self.link = [], {}, None
        self.executes, self.registers = 0, 0
        self.observer, self.obs_seq = None, 2
        self.blocks = {}
        self.pending, self.stop_flag = [], False
        self.loc = None
        self.sock = self._sock(bind_a)
        self.mutex = threading.Lock()

    def _sock(self, bind):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((bind, 0))
        s.settimeout(0.05)
        return s

    def _send(self, m):
        self.sock.sendto(m.encode(), ("127.0.0.1", self.srv.coap_port))

    def _register(self):
        m = coap.register_msg(self.ep, lt=30, lwm2m="1.1", b="U",
                              links=b"</1/0>,</3/0>,</507>,</508/0>")
        self.reg_token = m.token
        self.reg_msg = m
        self.reg_at = time.monotonic()
        self.loc = None
        self._send(m)

    def _update(self):
        if self.loc:
            m = coap.Message(coap.CON, coap.POST).add_path(self.loc)
            self._send(m)

    def _reply(self, req, code_, payload=b"", cf=None, extra=()):
        opts = list(extra)
        if cf is not None:
            opts.append((coap.OPT_CONTENT_FORMAT, coap.uint_opt(cf)))
        self._send(coap.Message(coap.ACK, code_, req.mid, req.token, opts,
                                payload))

    def _later(self, delay, fn):
        self.pending.append((time.monotonic() + delay, fn))

    def _notify(self):
        if self.observer:
            self.obs_seq += 1
            self._send(coap.Message(coap.NON, coap.code(2, 5), None,
                                    self.observer,
                                    [(coap.OPT_OBSERVE,
                                      coap.uint_opt(self.obs_seq)),
                                     (coap.OPT_CONTENT_FORMAT,
                                      coap.uint_opt(CF_TEXT))],
                                    str(self.result).encode()))

    def _reattach(self):
        """Load Profile worked: the device leaves carrier A and registers
        from carrier B's range with the new profile."""
        self.iccid = self.next_iccid
        self.sock.close()
        self.sock = self._sock(self.bind_b)
        self._register()

    def _obj508(self):
        res = [tlv(3, 0, self.eid.encode()), tlv(3, 1, self.iccid.encode()),
               tlv(3, 2, b"\x01\x01"), tlv(3, 3, self.cert),
               tlv(3, 6, bytes([self.result & 0xFF]))]
        return b"".join(res)

    def _handle(self, m):
        path = "/" + "/".join(v.decode() for v in m.opt(coap.OPT_URI_PATH))
        method = {1: "GET", 2: "POST", 3: "PUT", 4: "DELETE"}[m.code]
        b1 = m.opt(coap.OPT_BLOCK1)
        body = m.payload
        if b1:
            v = int.from_bytes(b1[0], "big")
            num, more = v >> 4, bool(v & 8)
            key = (method, path)
            self.blocks[key] = self.blocks.get(key, b"") + body
            if more:
                self._reply(m, coap.code(2, 31), extra=[(coap.OPT_BLOCK1, b1[0])])
                return
            body = self.blocks.pop(key)
        obs = m.opt(coap.OPT_OBSERVE)
        self.log.append((method, path, body))
        if method == "GET" and path == "/508/0":
            self._reply(m, coap.code(2, 5), self._obj508(), CF_TLV)
        elif method == "GET" and path == "/508/0/1":
            self._reply(m, coap.code(2, 5), self.iccid.encode(), CF_TEXT)
        elif method == "GET" and path == "/508/0/6":
            extra = []
            if obs and obs[0] in (b"", b"\x00") and self.observe:
                self.observer = m.token
                extra = [(coap.OPT_OBSERVE, coap.uint_opt(1))]
            elif obs:
                self.observer = None
            self._reply(m, coap.code(2, 5), str(self.result).encode(), CF_TEXT,
                        extra)
        elif method == "POST" and path == "/507":
            for kind, inst, val in untlv(body):
                self.instances[inst] = {r: v for _, r, v in untlv(val)}
                loc = [(coap.OPT_LOCATION_PATH, b"507"),
                       (coap.OPT_LOCATION_PATH, str(inst).encode())]
            self._reply(m, coap.code(2, 1), extra=loc)
        elif method == "PUT" and path.startswith("/507/"):
            self.instances[int(path.split("/")[2])] = {
                r: v for _, r, v in untlv(body)}
            self._reply(m, coap.code(2, 4))
        elif method == "DELETE" and path.startswith("/507/"):
            self.instances.pop(int(path.split("/")[2]), None)
            self._reply(m, coap.code(2, 2))
        elif method == "PUT" and path == "/508/0/4":
            (_, _, val), = untlv(body)
            self.link = struct.unpack("!HH", val)
            self._reply(m, coap.code(2, 4))
        elif method == "POST" and path == "/508/0/5":
            self.executes += 1
            self._reply(m, coap.code(2, 4))
            self.next_iccid = self.to_iccid()   # while nusimd is up
            self._later(0.2, self._notify)
            if self.result == 0:
                self._later(self.reattach_s, self._reattach)
        else:
            self._reply(m, coap.code(4, 4))

    def run(self):
        self._register()
        next_update = time.monotonic() + self.update_s
        while not self.stop_flag:
            now = time.monotonic()
            for item in [p for p in self.pending if p[0] <= now]:
                self.pending.remove(item)
                item[1]()
            if now >= next_update:
                self._update()
                next_update = now + self.update_s
            if self.loc is None and now - self.reg_at > 1.0:
                self.reg_at = now        # Register again until answered
                self._send(self.reg_msg)
            try:
                data, _ = self.sock.recvfrom(65536)
            except (socket.timeout, OSError):
                continue
            try:
                m = coap.decode(data)
            except coap.CoapError:
                continue
            if m.code == 0:
                continue
            if m.code >= 64:      # a response to our Register/Update
                if m.token == getattr(self, "reg_token", None) and \
                        m.code == coap.code(2, 1):
                    self.loc = m.location()
                    self.registers += 1
                if m.type == coap.CON:
                    self._send(coap.Message(coap.ACK, 0, m.mid, b""))
                continue
            if m.type in (coap.CON, coap.NON):
                self._handle(m)

    def stop(self):
        self.stop_flag = True
        self.join(5)
        self.sock.close()


def _device(env, ep, n, result=0, observe=True, reattach_s=0.6):
    e = eid(9000 + n)
    rc, out, err = run([NUSIMD, "pki", "device", "--dir", env.pki, "--eid", e])
    check(rc == 0, "pki device: %s" % err)
    cert_pem = open(os.path.join(env.pki, "devices", e + ".cert.pem")).read()
    der = base64.b64decode("".join(
        l for l in cert_pem.splitlines() if "-----" not in l))
    box = {}

    def to_iccid():
        return env.job(box["job"])["to_iccid"]
    d = FakeNusim(env.srv, ep, e, der, iccid("A", 9000 + n), to_iccid, result,
                  observe=observe, reattach_s=reattach_s)
    d.start()
    env.srv.wait_registered(ep)
    return d, box


def test_protocol_of_a_switch(h):
    env = Env(h)
    dev, box = _device(env, "fk-1", 1)
    try:
        j = env.switch("fk-1", {"carrier": "B"})
        box["job"] = j["id"]
        done = env.wait_job(j["id"], 30)
        check_eq(done["state"], "done", "outcome (%r)" % done)
        seq = [(m, p) for m, p, _ in dev.log if p != "/508/0/6" or m != "GET"]
        check_eq(seq[:4], [("GET", "/508/0"), ("POST", "/507"),
                           ("PUT", "/508/0/4"), ("POST", "/508/0/5")],
                 "read 508, create 507, link, load")
        check_eq(dev.executes, 1, "one Load Profile")
        check(dev.observer is not None, "508/6 observed")
        inst = done["instance"]
        check_eq(sorted(dev.instances[inst]), list(range(7)),
                 "the 507 instance has the seven resources")
        check_eq(len(dev.instances[inst][1]), 32, "mac is 32 hex digits")
        check_eq(len(base64.b64decode(dev.instances[inst][2])), 65,
                 "eKpubDP is a 65-byte point")
        check_eq(dev.link, (507, inst), "508/4 = 507:%d" % inst)
        check(env.srv.registration("fk-1")["addr"].startswith("127.0.2."),
              "back from carrier B's range")
        check_eq(env.profile(done["to_iccid"])["state"], "installed",
                 "inventory")
    finally:
        dev.stop()


def test_kill9_after_load_profile_executes_once(h):
    env = Env(h, extra=["--test-pause-at", "loading"])
    dev, box = _device(env, "fk-2", 2)
    try:
        j = env.switch("fk-2", {"carrier": "B"})
        box["job"] = j["id"]
        env.srv.wait_log(r"msg=paused job=%d state=loading" % j["id"], 20)
        env.srv.kill9()
        i = env.srv.extra_args.index("--test-pause-at")
        del env.srv.extra_args[i:i + 2]
        env.srv.restart(hard=True)
        done = env.wait_job(j["id"], 40)
        check_eq(done["state"], "done", "outcome after the crash (%r)" % done)
        check_eq(dev.executes, 1, "Load Profile was not sent again")
        pool = env.pool("B")
        check_eq((pool["installed"], pool["available"]), (1, 1),
                 "one profile used")
    finally:
        dev.stop()


def test_result_code_fails_and_quarantines(h):
    env = Env(h)
    dev, box = _device(env, "fk-3", 3, result=5)
    try:
        j = env.switch("fk-3", {"carrier": "B"})
        box["job"] = j["id"]
        done = env.wait_job(j["id"], 30)
        check_eq((done["state"], done["result_code"]), ("failed", 5),
                 "MAC check failed (%r)" % done)
        check_eq(env.profile(done["to_iccid"])["state"], "quarantined",
                 "quarantined")
        wait_until(lambda: not dev.instances, 10,
                   what="the failed 507 instance deleted")
    finally:
        dev.stop()


STATES = ["queued", "waiting_online", "preparing", "writing_507", "linking",
          "loading", "awaiting_result", "awaiting_reattach", "verifying"]


def test_kill9_in_each_state(h):
    """kill -9 with the job held in each state; restarted without the
    hook, the job completes once, with one profile and one Execute."""
    for n, state in enumerate(STATES):
        env = Env(h, extra=["--test-pause-at", state])
        ep = "fk-k%d" % n
        dev, box = _device(env, ep, 10 + n)
        try:
            j = env.switch(ep, {"carrier": "B"})
            box["job"] = j["id"]
            env.srv.wait_log(r"msg=paused job=%d state=%s\b" % (j["id"], state),
                             20)
            env.srv.kill9()
            i = env.srv.extra_args.index("--test-pause-at")
            del env.srv.extra_args[i:i + 2]
            env.srv.restart(hard=True)
            done = env.wait_job(j["id"], 40)
            check_eq(done["state"], "done", "after a crash in %s (%r)"
                     % (state, done))
            check_eq(dev.executes, 1, "one Load Profile (crash in %s)" % state)
            pool = env.pool("B")
            check_eq((pool["installed"], pool["reserved"], pool["available"]),
                     (1, 0, 1), "one profile used (crash in %s)" % state)
            check_eq(dev.iccid, done["to_iccid"], "device on the new profile")
        finally:
            dev.stop()
            env.srv.stop()


# state -> what a cancel there does to the reserved profile
CANCEL = [("queued", None), ("waiting_online", None),
          ("preparing", "available"), ("writing_507", "available"),
          ("linking", "available"), ("loading", "quarantined"),
          ("awaiting_result", "quarantined"),
          ("awaiting_reattach", "quarantined"), ("verifying", "quarantined")]


def test_cancel_in_each_state(h):
    for n, (state, want) in enumerate(CANCEL):
        env = Env(h, extra=["--test-pause-at", state])
        ep = "fk-c%d" % n
        dev, box = _device(env, ep, 30 + n)
        try:
            j = env.switch(ep, {"carrier": "B"})
            box["job"] = j["id"]
            env.srv.wait_log(r"msg=paused job=%d state=%s\b" % (j["id"], state),
                             20)
            r = env.srv.api("POST", "/jobs/%d/cancel" % j["id"], role="operator")
            check_eq((r.status, r.json["state"]), (200, "cancelled"),
                     "cancel in %s (%r)" % (state, r))
            to = r.json["to_iccid"]
            if want is None:
                check_eq(to, "", "nothing reserved in %s" % state)
                check_eq(env.pool("B")["available"], 2, "pool untouched")
            else:
                check_eq(env.profile(to)["state"], want,
                         "profile after a cancel in %s" % state)
            check_eq(env.srv.get_ok("/devices/%s" % ep)["profiles"], [],
                     "no 507 instance left on record (%s)" % state)
            if state in ("writing_507", "linking"):
                wait_until(lambda: not dev.instances, 10,
                           what="the written 507 instance deleted")
        finally:
            dev.stop()
            env.srv.stop()


def test_without_observe_reads_the_result(h):
    """A device that answers the Observe of 508/6 as a plain Read (no
    Observe option): nusimd reads 508/6 instead and completes."""
    env = Env(h)
    # It re-attaches after the result timeout (1.5 s in FAST), so only a
    # Read of 508/6 can tell nusimd the outcome before that.
    dev, box = _device(env, "fk-no", 50, observe=False, reattach_s=3.0)
    try:
        j = env.switch("fk-no", {"carrier": "B"})
        box["job"] = j["id"]
        done = env.wait_job(j["id"], 30)
        check_eq(done["state"], "done", "outcome (%r)" % done)
        check(dev.observer is None, "no observation was made")
        reads = [p for m, p, _ in dev.log if m == "GET" and p == "/508/0/6"]
        check(len(reads) >= 2, "508/6 observed, then read: %r" % reads)
        check_eq(dev.executes, 1, "one Load Profile")
    finally:
        dev.stop()
