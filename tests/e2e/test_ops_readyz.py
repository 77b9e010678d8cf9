"""/readyz (issue 6): ready only while a write to the database succeeds and
the sockets are bound; another process holding the database's write lock
makes it answer 503 naming the database check, and it recovers after."""

import sqlite3

from harness import check, check_eq, http


def test_readyz_follows_the_database_write_lock(h):
    srv = h.server()
    r = http("GET", srv.base + "/readyz")
    check_eq(r.status, 200, "ready at start (%r)" % r)
    check_eq(r.json["status"], "ready", "status")
    check_eq(r.json["checks"], {"database": "ok", "coap": "ok", "http": "ok"},
             "every check passes")
    # Another process takes the write lock, as a stuck job or a hand-run
    # sqlite3 shell would.
    other = sqlite3.connect(srv.db, isolation_level=None, timeout=1)
    other.execute("BEGIN EXCLUSIVE")
    try:
        r = http("GET", srv.base + "/readyz", timeout=10)
        check_eq(r.status, 503, "not ready while the database is locked")
        check(r.content_type.startswith("application/problem+json"),
              "a problem document: %s" % r.content_type)
        check("database" in r.json["detail"], "names the database: %r" % r.json)
        check(r.json["checks"]["database"] != "ok", "the database check fails")
        check_eq(r.json["checks"]["coap"], "ok", "the sockets are still bound")
        r = http("GET", srv.base + "/healthz")
        check_eq(r.status, 200, "healthz (reads) still answers")
    finally:
        other.execute("ROLLBACK")
        other.close()
    r = http("GET", srv.base + "/readyz")
    check_eq(r.status, 200, "ready again once the lock is gone")
