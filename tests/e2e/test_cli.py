"""The command-line surface scripts rely on (DESIGN §10): --help lists
every flag, `check -c FILE` validates and names a bad key, `token create`
prints the token alone on one line, `device add` validates."""

import os
import re

from harness import CLIENT, NUSIMD, check, check_eq, run, workdir

FLAGS = ["-c", "--db", "--coap", "--coaps", "--http", "--allow-nosec",
         "--log-level"]
SUBCOMMANDS = ["token create", "device add", "migrate", "check", "pki init",
               "pki device"]


def test_nusimd_help_lists_every_flag(h):
    rc, out, err = run([NUSIMD, "--help"])
    check_eq(rc, 0, "nusimd --help exit code")
    text = out + err
    for f in FLAGS:
        check(re.search(r"(^|[\s\[,])%s\b" % re.escape(f), text),
              "--help mentions %s" % f)
    for s in SUBCOMMANDS:
        check(s in text, "--help mentions `%s`" % s)
    rc, out, err = run([NUSIMD, "--no-such-flag"])
    check(rc != 0, "an unknown flag fails")
    check("no-such-flag" in out + err, "and is named")


def test_client_help(h):
    rc, out, err = run([CLIENT, "--help"])
    check_eq(rc, 0, "nusim-client --help exit code")
    for f in ("--server", "--endpoint", "--psk-identity", "--psk-key",
              "--bind", "--lifetime", "--queue", "fleet"):
        check(f in out + err, "nusim-client --help mentions %s" % f)


def _conf(text):
    p = os.path.join(workdir(), "nusimd-%d.conf" % (abs(hash(text)) % 10**6))
    with open(p, "w") as f:
        f.write(text)
    return p


def test_check_config(h):
    db = os.path.join(workdir(), "check.db")
    good = _conf("# a comment\ndb = %s\nhttp_listen = 127.0.0.1:0\n"
                 "log_level = debug\n" % db)
    rc, out, err = run([NUSIMD, "check", "-c", good])
    check_eq(rc, 0, "check of a good file (%s)" % err.strip())
    bad = _conf("db = %s\nbogus_setting = 1\n" % db)
    rc, out, err = run([NUSIMD, "check", "-c", bad])
    check(rc != 0, "check of a file with an unknown key fails")
    check("bogus_setting" in out + err, "the bad key is named: %r" % err)
    bad = _conf("db = %s\nlog_level = loud\n" % db)
    rc, out, err = run([NUSIMD, "check", "-c", bad])
    check(rc != 0, "check of a bad value fails")
    check("log_level" in out + err, "the key with the bad value is named")
    rc, out, err = run([NUSIMD, "check", "-c",
                        os.path.join(workdir(), "missing.conf")])
    check(rc != 0, "check of a missing file fails")


def test_token_create_prints_one_line(h):
    db = os.path.join(workdir(), "tok.db")
    check_eq(run([NUSIMD, "migrate", "--db", db])[0], 0, "migrate")
    toks = set()
    for role in ("viewer", "operator", "admin"):
        rc, out, err = run([NUSIMD, "token", "create", "--db", db,
                            "--name", "t-" + role, "--role", role])
        check_eq(rc, 0, "token create %s" % role)
        check(re.fullmatch(r"nst_[A-Za-z0-9_-]{43}\n", out),
              "one line, nst_ + 43 base64url characters")
        toks.add(out)
    check_eq(len(toks), 3, "tokens differ")
    rc, out, err = run([NUSIMD, "token", "create", "--db", db, "--name", "x",
                        "--role", "root"])
    check(rc != 0, "a bad role fails")
    check_eq(out, "", "and prints no token")
    with open(db, "rb") as f:
        raw = f.read()
    for t in toks:
        check(t.strip().encode() not in raw, "token not stored in clear")


def test_device_add_validates(h):
    db = os.path.join(workdir(), "dev.db")
    check_eq(run([NUSIMD, "migrate", "--db", db])[0], 0, "migrate")
    key = "00112233445566778899aabbccddeeff"
    rc, out, err = run([NUSIMD, "device", "add", "--db", db, "--endpoint",
                        "cli-1", "--psk-identity", "id-cli-1", "--psk-key",
                        key])
    check_eq(rc, 0, "device add (%s)" % err.strip())
    rc, out, err = run([NUSIMD, "device", "add", "--db", db, "--endpoint",
                        "cli-2", "--psk-identity", "id-cli-2", "--psk-key",
                        "xyz"])
    check(rc != 0, "a non-hex key fails")
    rc, out, err = run([NUSIMD, "device", "add", "--db", db, "--endpoint",
                        "cli-3", "--psk-identity", "id-cli-1", "--psk-key",
                        key])
    check(rc != 0, "an identity bound elsewhere fails")
    with open(db, "rb") as f:
        raw = f.read()
    for suffix in ("", "-wal"):
        try:
            with open(db + suffix, "rb") as f:
                raw += f.read()
        except FileNotFoundError:
            pass
    check(bytes.fromhex(key) not in raw and key.encode() not in raw,
          "the PSK is not stored in clear")
