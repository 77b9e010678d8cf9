#!/usr/bin/env python3
"""make bench: figures, measured side by side in one run, never asserted.

Sections (each prints logfmt lines and adds rows to the summary):
  coap      the CoAP ceiling: Debian's bare coap-server-notls under the same
            load generator (GET), 1,000 and 10,000 devices
  nusimd    nusimd on NoSec: Registers/s, Updates/s (every Update persisted),
            resident memory per registered device, 1,000 and 10,000 devices
  node      the lwm2m-node-lib server (npm) under the same load, 1,000 devices
  crypto    profile packages per second per core (bench_crypto) beside
            `openssl speed` of the primitives a package needs
  db        storage-layer rates (bench_db)

usage: python3 tests/bench/run.py [SECTION ...]   (default: all)
The summary goes to stdout and to var/bench/results.txt.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
LOAD = os.path.join(BUILD, "bench", "bench_coap_load")
NODE_MODULES = os.path.join(ROOT, "tests", "interop", "node_modules")
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
WINDOW = os.environ.get("BENCH_WINDOW", "32")

summary = []


def say(line):
    print(line, flush=True)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def parse_phase(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def run_load(server, devices, mode="register-update", prefix="bench",
             bind_base="127.0.1.1", path="", at_rest=None):
    """Runs the load generator; at_rest(registered) is called between the
    register and update phases while every device is still registered."""
    cmd = [LOAD, "--server", server, "--devices", str(devices), "--mode", mode,
           "--seconds", str(SECONDS), "--window", WINDOW, "--prefix", prefix,
           "--bind-base", bind_base]
    if path:
        cmd += ["--path", path]
    if at_rest:
        cmd.append("--wait-stdin")
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    phases = {}
    for line in p.stdout:
        say("  " + line.strip())
        d = parse_phase(line)
        phases[d.get("phase")] = d
        if d.get("phase") == "register" and at_rest:
            at_rest(d)
            p.stdin.write("\n")
            p.stdin.flush()
    p.wait(timeout=300)
    return phases


def wait_line(path, pattern, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with open(path) as f:
                m = re.search(pattern, f.read())
                if m:
                    return m
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise RuntimeError("no %r in %s" % (pattern, path))


def free_udp_port():
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def bench_coap():
    say("== coap: bare libcoap coap-server-notls (the CoAP ceiling), GET /")
    exe = shutil.which("coap-server-notls")
    if not exe:
        say("  skipped: coap-server-notls not installed (libcoap3-bin)")
        return
    for n in (1000, 10000):
        port = free_udp_port()
        srv = subprocess.Popen([exe, "-A", "127.0.0.1", "-p", str(port), "-v", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        try:
            ph = run_load("127.0.0.1:%d" % port, n, mode="get")
            summary.append(("coap-server-notls GET/s, %d devices" % n,
                            float(ph["get"]["per_s"])))
        finally:
            srv.terminate()
            srv.wait()


def start_nusimd(tmp):
    log = os.path.join(tmp, "nusimd.log")
    db = os.path.join(tmp, "nusimd.db")
    f = open(log, "w")
    p = subprocess.Popen([os.path.join(BUILD, "nusimd"), "--db", db, "--allow-nosec",
                          "--coap", "127.0.0.1:0", "--coaps", "off",
                          "--http", "127.0.0.1:0"], stderr=f, stdout=f)
    m = wait_line(log, r"msg=listening coap=(\S+)")
    return p, m.group(1)


def bench_nusimd():
    say("== nusimd: NoSec Register and Update (every Update persisted)")
    for n in (1000, 10000):
        tmp = tempfile.mkdtemp(prefix="nusimd-bench-")
        p, addr = start_nusimd(tmp)
        try:
            time.sleep(0.3)
            base = rss_kb(p.pid)
            rest = {}

            def at_rest(_):
                time.sleep(0.5)
                rest["kb"] = rss_kb(p.pid)
            ph = run_load(addr, n, prefix="b%d" % n, at_rest=at_rest)
            per_dev = (rest["kb"] - base) * 1024.0 / n
            say("  rss_base_kb=%d rss_registered_kb=%d bytes_per_device=%.0f"
                % (base, rest["kb"], per_dev))
            summary.append(("nusimd Registers/s, %d devices" % n, float(ph["register"]["per_s"])))
            summary.append(("nusimd Updates/s, %d devices" % n, float(ph["update"]["per_s"])))
            summary.append(("nusimd bytes RSS per registered device, %d devices" % n, per_dev))
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=20)
            shutil.rmtree(tmp, ignore_errors=True)


def bench_node():
    say("== node: the lwm2m-node-lib server (npm) under the same load")
    if not os.path.isdir(os.path.join(NODE_MODULES, "lwm2m-node-lib")):
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund"],
                           cwd=os.path.dirname(NODE_MODULES),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode:
            say("  skipped: npm install failed: " + r.stderr.strip()[-200:])
            return
    port = free_udp_port()
    env = dict(os.environ, NODE_PATH=NODE_MODULES)
    srv = subprocess.Popen(["node", os.path.join(ROOT, "tests", "bench", "node-server.js"),
                            str(port)], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        srv.stdout.readline()
        ph = run_load("127.0.0.1:%d" % port, 1000, prefix="node")
        summary.append(("lwm2m-node-lib Registers/s, 1000 devices", float(ph["register"]["per_s"])))
        summary.append(("lwm2m-node-lib Updates/s, 1000 devices", float(ph["update"]["per_s"])))
    finally:
        srv.terminate()
        srv.wait()


def bench_crypto():
    say("== crypto: packages per second per core, beside openssl speed")
    exe = os.path.join(BUILD, "bench", "bench_crypto")
    if os.path.exists(exe):
        out = subprocess.run([exe], stdout=subprocess.PIPE, text=True, timeout=300).stdout
        for line in out.splitlines():
            say("  " + line)
            m = re.search(r"curve=(\S+) packages_per_s=([\d.]+)", line)
            if m:
                summary.append(("crypto packages/s, %s" % m.group(1), float(m.group(2))))
    if shutil.which("openssl"):
        r = subprocess.run(["openssl", "speed", "-seconds", "2", "ecdhbrp256r1",
                            "ecdsabrp256r1", "ecdhp256", "ecdsap256"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, timeout=120)
        rates = {}
        for line in r.stdout.splitlines():
            m = re.match(r"\s*256 bits ecdh \((brainpoolP256r1|nistp256)\)\s+\S+s\s+([\d.]+)", line)
            if m:
                rates[("ecdh", m.group(1))] = float(m.group(2))
            m = re.match(r"\s*256 bits ecdsa \((brainpoolP256r1|nistp256)\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", line)
            if m:
                rates[("sign", m.group(1))] = float(m.group(2))
                rates[("verify", m.group(1))] = float(m.group(3))
        for curve in ("brainpoolP256r1", "nistp256"):
            if ("ecdh", curve) in rates and ("sign", curve) in rates:
                # A package costs one key generation (about one ECDH), one
                # ECDH and one signature: the primitive-bound rate.
                ecdh, sign = rates[("ecdh", curve)], rates[("sign", curve)]
                bound = 1.0 / (2.0 / ecdh + 1.0 / sign)
                say("  openssl curve=%s ecdh_per_s=%.0f sign_per_s=%.0f package_bound_per_s=%.0f"
                    % (curve, ecdh, sign, bound))
                summary.append(("openssl primitive bound packages/s, %s" % curve, bound))


def bench_db():
    say("== db: storage layer")
    exe = os.path.join(BUILD, "bench", "bench_db")
    if os.path.exists(exe):
        out = subprocess.run([exe], stdout=subprocess.PIPE, text=True, timeout=300).stdout
        for line in out.splitlines():
            say("  " + line)


SECTIONS = {"coap": bench_coap, "nusimd": bench_nusimd, "node": bench_node,
            "crypto": bench_crypto, "db": bench_db}


def main():
    wanted = sys.argv[1:] or list(SECTIONS)
    for name in wanted:
        if name not in SECTIONS:
            sys.exit("unknown section %s (have: %s)" % (name, " ".join(SECTIONS)))
        SECTIONS[name]()
    rows = dict(summary)
    lines = ["", "== summary (one run, this machine)"]
    for k, v in summary:
        lines.append("%-60s %12.0f" % (k, v))
    for n in (1000, 10000):
        a = rows.get("nusimd Updates/s, %d devices" % n)
        c = rows.get("coap-server-notls GET/s, %d devices" % n)
        if a and c:
            lines.append("%-60s %12.2f" % ("ratio nusimd Updates / bare CoAP GETs, %d devices" % n, a / c))
    a, b = rows.get("nusimd Updates/s, 1000 devices"), rows.get("lwm2m-node-lib Updates/s, 1000 devices")
    if a and b:
        lines.append("%-60s %12.2f" % ("ratio nusimd / lwm2m-node-lib Updates, 1000 devices", a / b))
    a, b = rows.get("nusimd Registers/s, 1000 devices"), rows.get("lwm2m-node-lib Registers/s, 1000 devices")
    if a and b:
        lines.append("%-60s %12.2f" % ("ratio nusimd / lwm2m-node-lib Registers, 1000 devices", a / b))
    for curve, ocurve in (("brainpoolP256r1", "brainpoolP256r1"), ("P-256", "nistp256")):
        a = rows.get("crypto packages/s, %s" % curve)
        b = rows.get("openssl primitive bound packages/s, %s" % ocurve)
        if a and b:
            lines.append("%-60s %12.2f" % ("ratio packages / primitive bound, %s" % curve, a / b))
    text = "\n".join(lines)
    say(text)
    os.makedirs(os.path.join(ROOT, "var", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "var", "bench", "results.txt"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
