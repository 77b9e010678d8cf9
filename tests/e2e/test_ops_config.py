"""Configuration (issue 6): `nusimd check -c FILE` accepts the example
configuration generated from the key table, and rejects a bad value or an
unknown key, from the file, the environment or a flag, naming the key."""

import os
import re
import subprocess

from harness import NUSIMD, ROOT, check, check_eq, run, workdir


def _write(name, text):
    p = os.path.join(workdir(), name)
    with open(p, "w") as f:
        f.write(text)
    return p


def _keys():
    rc, out, err = run([NUSIMD, "--help"])
    check_eq(rc, 0, "nusimd --help")
    keys = re.findall(r"key ([a-z_]+), env (NUSIMD_[A-Z_]+), default", out)
    check(len(keys) >= 20, "--help lists the key table (%d keys)" % len(keys))
    return keys


def test_check_accepts_the_generated_example(h):
    gen = subprocess.run(["sh", os.path.join(ROOT, "tools", "mkconf.sh"),
                          NUSIMD], capture_output=True, text=True, cwd=ROOT)
    check_eq(gen.returncode, 0, "tools/mkconf.sh (%s)" % gen.stderr)
    ex = _write("generated.conf", gen.stdout)
    rc, out, err = run([NUSIMD, "check", "-c", ex])
    check_eq(rc, 0, "check of the generated example (%s)" % err.strip())
    for key, env in _keys():
        if key == "test_pause_at":
            continue   # a test hook, left out of the example on purpose
        check(re.search(r"^#?%s = " % key, gen.stdout, re.M),
              "the example documents %s" % key)
        check(env in gen.stdout, "the example names %s" % env)
    shipped = os.path.join(ROOT, "deploy", "nusimd.conf.example")
    if os.path.exists(shipped):
        rc, out, err = run([NUSIMD, "check", "-c", shipped])
        check_eq(rc, 0, "check of deploy/nusimd.conf.example (%s)" % err.strip())
    # Uncommenting every default still validates: the defaults are values.
    full = re.sub(r"^#([a-z_]+ = )", r"\1", gen.stdout, flags=re.M)
    full = _write("uncommented.conf", full.replace(
        "db = /var/lib/nusimd/nusimd.db", "db = %s/x.db" % workdir()))
    rc, out, err = run([NUSIMD, "check", "-c", full])
    check_eq(rc, 0, "check with every default written out (%s)" % err.strip())


def test_check_names_the_bad_key(h):
    good = _write("good.conf", "db = %s/g.db\nqueue_ttl = 60\n" % workdir())
    for text, key in [("queue_ttl = soon\n", "queue_ttl"),
                      ("awake_ms = 1\n", "awake_ms"),
                      ("coaps_listen = 127.0.0.1\n", "coaps_listen"),
                      ("allow_nosec = perhaps\n", "allow_nosec"),
                      ("no_such_key = 1\n", "no_such_key")]:
        bad = _write("bad-%s.conf" % key, "db = x.db\n" + text)
        rc, out, err = run([NUSIMD, "check", "-c", bad])
        check(rc != 0, "check fails on %r" % text)
        check(key in err, "the error names %s: %r" % (key, err))
        check(":2:" in err, "and the line: %r" % err)
    # The environment and the flags are checked too, and named.
    p = subprocess.run([NUSIMD, "check", "-c", good], capture_output=True,
                       text=True, env=dict(os.environ, NUSIMD_QUEUE_TTL="x"))
    check(p.returncode != 0, "a bad NUSIMD_QUEUE_TTL fails")
    check("NUSIMD_QUEUE_TTL" in p.stderr and "queue_ttl" in p.stderr,
          "and is named: %r" % p.stderr)
    rc, out, err = run([NUSIMD, "check", "-c", good, "--queue-ttl", "0"])
    check(rc != 0 and "queue_ttl" in err and "--queue-ttl" in err,
          "a bad --queue-ttl fails and is named: %r" % err)
    rc, out, err = run([NUSIMD, "check", "-c", good])
    check_eq(rc, 0, "the good file passes (%s)" % err)
