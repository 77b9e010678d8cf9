"""Campaign CSV import (POST /api/v1/campaigns), bad and odd input: a
byte order mark, CRLF, quoted fields with commas and line breaks, an
empty file, a header alone, unknown columns, a binary file, a row of
10,000 columns, each row-level reason with its line, all-or-nothing
unless skip_invalid, and a 1,000,000-row file whose import keeps nusimd's
memory bounded (it is streamed, never held)."""

import os
import random

from harness import check, check_eq, problem_ok
from test_campaign_lib import post_csv, provision, campaign, rss_kb
from test_switch_lib import profile_csv

TIMEOUT = 240


def _srv(h, devices=5, profiles=10):
    srv = h.server()
    if devices:
        provision(srv, ["cd-%d" % i for i in range(1, devices + 1)])
    if profiles:
        r = srv.api("POST", "/profiles/import", profile_csv("B", 1, profiles),
                    role="operator", headers={"Content-Type": "text/csv"})
        check_eq(r.status, 201, "profiles (%r)" % r)
    return srv


def _reasons(r):
    return {e["line"]: e["reason"] for e in r.json.get("errors", [])}


def test_bom_crlf_quotes_and_unknown_columns(h):
    srv = _srv(h)
    body = ('\ufeffEndpoint,note,Carrier\r\n'
            'cd-1,"a, b",B\r\n'
            'cd-2,"two\r\nlines, and ""quotes""",B\r\n'
            '\r\n'
            ' cd-3 ,plain, B \r\n')
    r = post_csv(srv, body, name="odd")
    check_eq(r.status, 201, "odd but valid CSV is accepted (%r)" % r)
    check_eq(r.json["counts"]["total"], 3, "three rows")
    check_eq(r.json["state"], "draft", "a new campaign is a draft")
    check(any("note" in w for w in r.json["warnings"]),
          "the unknown column is a warning: %r" % r.json["warnings"])
    check_eq(r.headers.get("Location"), "/api/v1/campaigns/%d" % r.json["id"],
             "Location header")
    check_eq(campaign(srv, r.json["id"])["name"], "odd", "name kept")


def test_every_row_reason_and_all_or_nothing(h):
    srv = _srv(h, devices=6, profiles=2)
    body = ("endpoint,carrier\n"
            "cd-1,B\n"          # 2 fine
            "nosuch,B\n"        # 3 unknown device
            "cd-1,B\n"          # 4 duplicate
            "cd-2,Z\n"          # 5 unknown carrier
            "cd-3,B,extra\n"    # 6 wrong column count
            "cd-4,\n"           # 7 malformed (no carrier)
            "cd-5,B\n"          # 8 fine (2nd profile of B)
            "cd-6,B\n"          # 9 not enough profiles
            'cd-"x,B\n')        # 10 malformed (stray quote)
    r = post_csv(srv, body)
    problem_ok(r, 422)
    got = _reasons(r)
    check_eq(sorted(got), [3, 4, 5, 6, 7, 9, 10], "bad lines: %r" % got)
    check("unknown device" in got[3], got[3])
    check("duplicate" in got[4] and "line 2" in got[4], got[4])
    check("unknown carrier" in got[5], got[5])
    check("column count" in got[6], got[6])
    check("malformed" in got[7], got[7])
    check("not enough profiles" in got[9], got[9])
    check("malformed" in got[10] and "quote" in got[10], got[10])
    check_eq(r.json["invalid_rows"], 7, "count of bad rows")
    check_eq(srv.get_ok("/campaigns")["items"], [], "nothing was imported")
    # skip_invalid keeps the good rows and lists the skipped ones.
    r = post_csv(srv, body, skip_invalid=True)
    check_eq(r.status, 201, "skip_invalid (%r)" % r)
    check_eq(r.json["counts"]["total"], 2, "the two good rows")
    check_eq(sorted(e["line"] for e in r.json["skipped_rows"]),
             [3, 4, 5, 6, 7, 9, 10], "skipped rows listed")
    # The same devices again: they are in an unfinished campaign now.
    r = post_csv(srv, "endpoint,carrier\ncd-1,B\n")
    problem_ok(r, 422)
    check("campaign" in _reasons(r)[2], _reasons(r))


def test_empty_header_only_binary_wide(h):
    srv = _srv(h)
    for body, what in ((b"", "empty"), (b"endpoint,carrier\n", "no rows"),
                       (b"endpoint,carrier\r\n\r\n", "no rows")):
        r = post_csv(srv, body)
        problem_ok(r, 422)
        check(what in r.json["detail"], "%s: %r" % (what, r.json["detail"]))
    r = post_csv(srv, "device,target\nx,y\n")
    problem_ok(r, 422)
    check("endpoint" in r.json["detail"], r.json["detail"])
    rnd = random.Random(5)
    binary = bytes(rnd.randrange(256) for _ in range(64 * 1024))
    r = post_csv(srv, binary)
    problem_ok(r, 422)
    check("text" in r.json["detail"] or "malformed" in r.json["detail"]
          or "quote" in r.json["detail"], "binary: %r" % r.json["detail"])
    wide = "endpoint,carrier\ncd-1,B," + ",".join(["x"] * 9998) + "\ncd-2,B\n"
    r = post_csv(srv, wide)
    problem_ok(r, 422)
    got = _reasons(r)
    check_eq(sorted(got), [2], "only the wide row is bad")
    check("10000 fields" in got[2], got[2])
    r = post_csv(srv, "endpoint,carrier\ncd-1,B\n", ctype="application/json")
    problem_ok(r, 415)
    r = post_csv(srv, "endpoint,carrier\ncd-1,B\n", max_in_flight=0)
    problem_ok(r, 400)
    r = post_csv(srv, "endpoint,carrier\ncd-1,B\n", window_end="tomorrow")
    problem_ok(r, 400)
    r = post_csv(srv, "endpoint,carrier\ncd-1,B\n", role="viewer")
    problem_ok(r, 403)


def test_million_rows_bounded_memory(h):
    """A 1,000,000-row file (14 MB) streams through: peak RSS of nusimd
    grows far less than the file (it would at least double if held)."""
    srv = _srv(h, devices=0, profiles=0)
    path = os.path.join(h.dir, "million.csv")
    with open(path, "w") as f:
        f.write("endpoint,carrier\n")
        for i in range(1000000):
            f.write("md-%07d,B\n" % i)
    size = os.path.getsize(path)
    before = rss_kb(srv.proc.pid)
    with open(path, "rb") as f:
        body = f.read()
    r = post_csv(srv, body)
    problem_ok(r, 422)   # unknown devices: refused whole
    check_eq(r.json["invalid_rows"], 1000000, "every row checked")
    check_eq(len(r.json["errors"]), 1000, "the listing is capped")
    grown = rss_kb(srv.proc.pid) - before
    check(grown * 1024 < size / 2,
          "peak RSS grew %d KiB for a %d KiB file" % (grown, size // 1024))
    check_eq(srv.get_ok("/campaigns")["items"], [], "nothing kept")
