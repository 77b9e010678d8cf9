"""Group commit of registration writes (reg_write_batch_ms, docs/design.md
§7): a Register or Update is answered before its write is committed with
the others of its batch. What must still hold: the API reads the new
state at once (one connection, reads see the open batch), a graceful stop
commits the batch, and the batch is committed within its window while
nusimd runs (another process sees it)."""

import sqlite3
import time

import coap
from harness import check, check_eq, wait_until

# Long enough that the flush timer cannot fire between the answer and the
# check (or the SIGTERM), so each test sees the batch still open.
LONG_BATCH = ["--reg-write-batch", "1000"]


def _register(srv, ep):
    s = coap.Socket("127.0.0.1", srv.coap_port)
    r = s.request(coap.register_msg(ep=ep, lt=300, lwm2m="1.1", b="U"))
    check(r is not None, "an answer to the Register")
    check_eq(r.code_str(), "2.01", "Register answered 2.01")
    return s, r.location()


def _rows(db_path, ep):
    """The registration rows of ep, read by another connection (what a
    crash or another process would find on disk)."""
    con = sqlite3.connect(db_path, timeout=5)
    try:
        return con.execute("SELECT endpoint, addr FROM registrations "
                           "WHERE endpoint = ?", (ep,)).fetchall()
    finally:
        con.close()


def test_registration_batch_flushed_on_sigterm(h):
    """A Register answered just before SIGTERM is in the database after the
    graceful stop, although its batch window had not run out."""
    srv = h.server(extra_args=LONG_BATCH)
    s, _ = _register(srv, "gb-1")
    check_eq(srv.stop(), 0, "nusimd exits 0 on SIGTERM")
    s.close()
    check_eq(len(_rows(srv.db, "gb-1")), 1, "the Register is on disk")


def test_registration_batch_visible_to_api_at_once(h):
    """The API reads through the open batch: the new registration and an
    Update's new address show at once, before any commit."""
    srv = h.server(extra_args=LONG_BATCH)
    s, loc = _register(srv, "gb-2")
    reg = srv.registration("gb-2")
    check(reg is not None, "GET /devices/gb-2 shows the registration at once")
    # The same device, from a new port: the Update moves it.
    s2 = coap.Socket("127.0.0.1", srv.coap_port)
    r = s2.request(coap.Message(coap.CON, coap.POST).add_path(loc))
    check(r is not None and r.code_str() == "2.04", "Update answered 2.04")
    reg2 = srv.registration("gb-2")
    check(reg2["addr"] != reg["addr"], "the API sees the moved address at "
          "once: %r -> %r" % (reg["addr"], reg2["addr"]))
    s.close()
    s2.close()


def test_registration_batch_committed_within_window(h):
    """With the default window the batch reaches the disk within a few ms
    while nusimd keeps running: another connection sees the row."""
    srv = h.server()
    s, _ = _register(srv, "gb-3")
    wait_until(lambda: len(_rows(srv.db, "gb-3")) == 1, 2,
               what="the Register committed by the batch timer")
    s.close()


def test_registration_batch_off_commits_each(h):
    """reg_write_batch_ms = 0: each write commits before its answer."""
    srv = h.server(extra_args=["--reg-write-batch", "0"])
    s, _ = _register(srv, "gb-4")
    check_eq(len(_rows(srv.db, "gb-4")), 1, "committed before the 2.01")
    s.close()
    # The answer came after the commit: a kill -9 now loses nothing.
    srv.kill9()
    time.sleep(0.1)
    check_eq(len(_rows(srv.db, "gb-4")), 1, "still there after kill -9")
