"""Logs (issue 6): every line nusimd writes in a run (start-up, DTLS and
NoSec devices, REST calls, a bad request, SIGHUP, stop) is logfmt with
ts=, level= and msg= first, and no PSK key, API token or master key appears
in it, at debug level."""

import re
import signal

from harness import check, check_eq, http
from test_ops_lib import ConfServer

PSK = "8a1b2c3d4e5f60718293a4b5c6d7e8f9"
LINE = re.compile(
    r'^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(error|warn|info|debug)'
    r' msg=("(?:[^"\\]|\\.)*"|[^\s"=]+)'
    r'((?: [A-Za-z0-9_.-]+=(?:"(?:[^"\\]|\\.)*"|[^\s"=]*))*)$')


def test_whole_log_is_logfmt_without_secrets(h):
    srv = ConfServer(h, {"log_level": "debug"})
    srv.device_add("log-psk", "log-id", PSK)
    srv.start()
    c1 = h.client(srv.coaps_uri, "log-psk", psk_identity="log-id", psk_key=PSK)
    c1.wait_registered(15)
    c2 = h.client(srv.coap_uri, "log-nosec")
    c2.wait_registered()
    check_eq(srv.lwm2m("GET", "log-psk", "3/0/0").status, 200, "a DM read")
    srv.api("GET", "/devices", token="nst_wrong_token_value_123456")
    srv.api("POST", "/devices", body={"endpoint": "log-x", "psk_identity": "x",
                                      "psk_key": "c0ffee00c0ffee00"})
    r = srv.api("POST", "/tokens", body={"name": "t2", "role": "viewer"})
    minted = r.json["token"]
    http("GET", srv.base + "/metrics")
    srv.proc.send_signal(signal.SIGHUP)
    srv.wait_log(r"msg=reloaded")
    c1.stop()
    c2.stop()
    check_eq(srv.stop(), 0, "clean stop")
    text = srv.log.text()
    lines = [l for l in text.split("\n") if l and not l.startswith("### ")]
    check(len(lines) >= 10, "a real log (%d lines)" % len(lines))
    for l in lines:
        check(LINE.match(l), "a logfmt line: %r" % l)
    secrets = [PSK, "c0ffee00c0ffee00", minted, "nst_wrong_token_value"] + \
        list(srv.tokens.values())
    with open(srv.db + ".key", "rb") as f:
        key = f.read()
    secrets.append(key.hex())
    secrets.append(key.decode(errors="ignore").strip())
    for s in secrets:
        if len(s) >= 8:
            check(s.lower() not in text.lower(), "a secret in the log: %s..."
                  % s[:4])
