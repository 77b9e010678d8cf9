"""SIGHUP (issue 6): nusimd re-reads its -c file; the log level and the
settings that can change live take effect and are listed in one
`msg=reloaded changed=...` line, the others are reported as needing a
restart, and a bad file changes nothing."""

import signal
import time

from harness import Client, check, check_eq
from test_ops_lib import ConfServer


def _hup(srv, regex):
    mark = srv.log.mark()
    srv.proc.send_signal(signal.SIGHUP)
    return srv.log.wait(regex, 10, since=mark, proc=srv.proc), mark


def test_sighup_reloads_live_settings(h):
    srv = ConfServer(h, {"log_level": "info"}).start()
    c = h.client(srv.coap_uri, "hup-1", lifetime=30)
    c.wait_registered()
    mark = srv.log.mark()
    check_eq(srv.log.count(r"level=debug", 0), 0, "no debug lines at info")

    srv.write_conf(log_level="debug", api_max_body="2048",
                   queue_ttl="120", http_listen="127.0.0.1:1")
    m, mark = _hup(srv, r"msg=reloaded changed=(\S*)")
    changed = set(m.group(1).split(","))
    check_eq(changed, {"log_level", "api_max_body", "queue_ttl"},
             "the keys the reload applied")
    srv.log.wait(r'msg="reload ignored" key=http_listen reason="needs a restart"',
                 5, since=mark)
    # debug lines appear now: a REST call and a device's update log some
    r = srv.api("GET", "/devices")
    check_eq(r.status, 200, "the API still answers on its old port")
    c.ok("update")
    srv.log.wait(r"level=debug", 10, since=mark)
    # the new body limit holds for the next call
    r = srv.api("POST", "/devices", body={"endpoint": "x" * 4000,
                                          "psk_identity": "i", "psk_key": "00"})
    check_eq(r.status, 413, "api_max_body 2048 applies without a restart")

    # a bad file changes nothing and says why
    with open(srv.conf, "a") as f:
        f.write("log_level = chatty\n")
    m, mark = _hup(srv, r'msg="reload failed" error="[^"]*log_level')
    time.sleep(0.3)
    check_eq(srv.log.count(r"msg=reloaded", mark), 0,
             "nothing reloaded from a bad file")
    srv.write_conf(log_level="warn")
    _hup(srv, r"msg=reloaded changed=log_level\b")
    mark = srv.log.mark()
    srv.api("GET", "/devices")
    c.ok("update")
    time.sleep(0.5)
    check_eq(srv.log.count(r"level=(debug|info)", mark), 0,
             "back to warn: no info or debug lines")
    check(srv.alive(), "nusimd still runs")
