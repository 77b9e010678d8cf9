#!/usr/bin/env python3
"""make bench: figures, measured side by side in one run, never asserted.

Sections (each prints logfmt lines and adds rows to the summary):
  coap      the CoAP ceiling: Debian's bare coap-server-notls under the same
            load generator (GET), 1,000 and 10,000 devices
  nusimd    nusimd on NoSec: Registers/s, Updates/s (every Update persisted),
            server CPU seconds per 1,000 Updates (from /proc, so it does not
            depend on the load generator), the generator's own CPU share,
            resident memory per registered device with live sessions and
            per idle device (queue mode, sessions freed), 1,000 and 10,000
  node      the lwm2m-node-lib server (npm) under the same load, 1,000 devices
  crypto    profile packages per second per core (bench_crypto) beside
            `openssl speed` of the primitives a package needs
  db        storage-layer rates (bench_db)
  switch    carrier switches through the whole machine (DESIGN §7) with
            1,000 simulated nuSIM devices (nusim-client fleet --pki-dir), on
            NoSec and on DTLS: switches per second, median and 99th
            percentile switch time, beside the crypto section's rate

usage: python3 tests/bench/run.py [SECTION ...]   (default: all)
The summary goes to stdout and to var/bench/results.txt.
Environment: BENCH_SECONDS (update phase, default 5), BENCH_WINDOW (requests
in flight, default 32), BENCH_NUSIMD (the nusimd binary, default
build/nusimd), BENCH_TASKSET=1 (pin the server to CPU 0 and the generator
to CPU 1: on this 2-core machine both are single-threaded and CPU-bound).
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
NUSIMD = os.environ.get("BENCH_NUSIMD", os.path.join(BUILD, "nusimd"))
TASKSET = os.environ.get("BENCH_TASKSET", "") not in ("", "0")
CLK_TCK = os.sysconf("SC_CLK_TCK")

summary = []
idle_kb = {}   # devices -> RSS of nusimd with that many idle registrations


def say(line):
    print(line, flush=True)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pin(cpu):
    return ["taskset", "-c", str(cpu)] if TASKSET and shutil.which("taskset") else []


def parse_phase(line):
    return dict(kv.split("=", 1) for kv in line.split() if "=" in kv)


def run_load(server, devices, mode="register-update", prefix="bench",
             bind_base="127.0.1.1", path="", at_rest=None, server_pid=None,
             binding="U", seconds=None):
    """Runs the load generator; at_rest(registered) is called between the
    register and update phases while every device is still registered.
    With server_pid, each phase's dict also gets server_cpu_s and
    load_cpu_s: the CPU seconds the server and the generator spent in it
    (the register phase's figure includes the pause at rest)."""
    cmd = pin(1) + [LOAD, "--server", server, "--devices", str(devices),
                    "--mode", mode, "--seconds", str(seconds or SECONDS),
                    "--window", WINDOW, "--prefix", prefix,
                    "--bind-base", bind_base, "--binding", binding]
    if path:
        cmd += ["--path", path]
    if at_rest:
        cmd.append("--wait-stdin")
    t_srv = cpu_s(server_pid) if server_pid else 0.0
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    t_gen = 0.0
    phases = {}
    for line in p.stdout:
        say("  " + line.strip())
        d = parse_phase(line)
        phases[d.get("phase")] = d
        if d.get("phase") == "register" and at_rest:
            at_rest(d)
        if server_pid:
            now_srv, now_gen = cpu_s(server_pid), cpu_s(p.pid)
            d["server_cpu_s"], d["load_cpu_s"] = now_srv - t_srv, now_gen - t_gen
            t_srv, t_gen = now_srv, now_gen
        if d.get("phase") == "register" and at_rest:
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
        srv = subprocess.Popen(pin(0) + [exe, "-A", "127.0.0.1", "-p", str(port), "-v", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        try:
            ph = run_load("127.0.0.1:%d" % port, n, mode="get", server_pid=srv.pid)
            g = ph["get"]
            summary.append(("coap-server-notls GET/s, %d devices" % n,
                            float(g["per_s"])))
            if float(g["ok"]):
                summary.append(("coap-server-notls CPU ms per 1,000 GETs, %d devices" % n,
                                g["server_cpu_s"] * 1e6 / float(g["ok"])))
        finally:
            srv.terminate()
            srv.wait()


def start_nusimd(tmp, extra=()):
    log = os.path.join(tmp, "nusimd.log")
    db = os.path.join(tmp, "nusimd.db")
    f = open(log, "w")
    p = subprocess.Popen(pin(0) + [NUSIMD, "--db", db, "--allow-nosec",
                                   "--coap", "127.0.0.1:0", "--coaps", "off",
                                   "--http", "127.0.0.1:0"] + list(extra),
                         stderr=f, stdout=f)
    m = wait_line(log, r"msg=listening coap=(\S+)")
    return p, m.group(1)


def stop_nusimd(p, tmp):
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=20)
    shutil.rmtree(tmp, ignore_errors=True)


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
            ph = run_load(addr, n, prefix="b%d" % n, at_rest=at_rest,
                          server_pid=p.pid)
            per_dev = (rest["kb"] - base) * 1024.0 / n
            up = ph["update"]
            ok = float(up["ok"])
            cpu_k = up["server_cpu_s"] * 1000.0 / ok if ok else 0.0
            gen_pct = 100.0 * up["load_cpu_s"] / float(up["seconds"])
            srv_pct = 100.0 * up["server_cpu_s"] / float(up["seconds"])
            say("  rss_base_kb=%d rss_registered_kb=%d bytes_per_device=%.0f"
                % (base, rest["kb"], per_dev))
            say("  update_phase server_cpu_s=%.2f (%.0f%% of a core) "
                "server_cpu_ms_per_1000_updates=%.1f load_generator_cpu=%.0f%%"
                % (up["server_cpu_s"], srv_pct, cpu_k * 1000, gen_pct))
            summary.append(("nusimd Registers/s, %d devices" % n, float(ph["register"]["per_s"])))
            summary.append(("nusimd Updates/s, %d devices" % n, float(up["per_s"])))
            summary.append(("nusimd server CPU ms per 1,000 Updates, %d devices" % n, cpu_k * 1000))
            summary.append(("load generator CPU %% during Updates, %d devices" % n, gen_pct))
            summary.append(("nusimd bytes RSS per registered device, live sessions, %d devices" % n, per_dev))
        finally:
            stop_nusimd(p, tmp)
        bench_nusimd_idle(n)


def bench_nusimd_idle(n):
    """Resident memory per idle registered device: queue-mode devices (the
    DM engine keeps a U device's session referenced while it is awake, and
    a U device is always awake), registered, then left until their
    sessions idled out and were freed; the registration stays in SQLite."""
    tmp = tempfile.mkdtemp(prefix="nusimd-bench-")
    p, addr = start_nusimd(tmp, ["--awake-time", "300",
                                 "--session-idle-timeout", "1"])
    try:
        time.sleep(0.3)
        base = rss_kb(p.pid)
        rest = {}

        def at_rest(_):
            time.sleep(0.5)
            rest["live"] = rss_kb(p.pid)
            time.sleep(3.0)   # awake 0.3 s, then idle 1 s, then freed
            rest["idle"] = rss_kb(p.pid)
        run_load(addr, n, prefix="i%d" % n, at_rest=at_rest, binding="UQ",
                 seconds=0.1)
        per_dev = (rest["idle"] - base) * 1024.0 / n
        say("  queue mode: rss_base_kb=%d rss_live_kb=%d rss_idle_kb=%d "
            "bytes_per_idle_device=%.0f" % (base, rest["live"], rest["idle"], per_dev))
        summary.append(("nusimd bytes RSS per idle registered device, %d devices" % n, per_dev))
        idle_kb[n] = rest["idle"]
        if 1000 in idle_kb and n > 1000:
            # The slope: what one more idle device costs, without the
            # fixed part (page cache, WAL index) that the 1,000 carry.
            summary.append(("nusimd marginal bytes RSS per idle device, 1000 to %d" % n,
                            (rest["idle"] - idle_kb[1000]) * 1024.0 / (n - 1000)))
    finally:
        stop_nusimd(p, tmp)


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
    srv = subprocess.Popen(pin(0) + ["node", os.path.join(ROOT, "tests", "bench", "node-server.js"),
                                     str(port)], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    try:
        srv.stdout.readline()
        ph = run_load("127.0.0.1:%d" % port, 1000, prefix="node", server_pid=srv.pid)
        up = ph["update"]
        summary.append(("lwm2m-node-lib Registers/s, 1000 devices", float(ph["register"]["per_s"])))
        summary.append(("lwm2m-node-lib Updates/s, 1000 devices", float(up["per_s"])))
        if float(up["ok"]):
            summary.append(("lwm2m-node-lib CPU ms per 1,000 Updates, 1000 devices",
                            up["server_cpu_s"] * 1e6 / float(up["ok"])))
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


CLIENT = os.path.join(BUILD, "nusim-client")
SWITCH_DEVICES = int(os.environ.get("BENCH_SWITCH_DEVICES", "1000"))


def _http(method, url, token, body=None, ctype="application/json"):
    import json
    import urllib.error
    import urllib.request
    data = None
    hdrs = {"Authorization": "Bearer " + token}
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        hdrs["Content-Type"] = ctype
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def _luhn(body):
    t = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        t += n - 9 if n > 9 else n
    return body + str((10 - t % 10) % 10)


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else 0.0


def bench_switch_one(dtls):
    n = SWITCH_DEVICES
    tmp = tempfile.mkdtemp(prefix="nusimd-bench-switch-")
    pki, db = os.path.join(tmp, "pki"), os.path.join(tmp, "nusimd.db")
    mode = "dtls" if dtls else "nosec"
    procs = []
    try:
        subprocess.run([NUSIMD, "pki", "init", "--dir", pki], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([NUSIMD, "migrate", "--db", db], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        tok = subprocess.run([NUSIMD, "token", "create", "--db", db, "--name",
                              "bench", "--role", "operator"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True).stdout.strip()
        log = os.path.join(tmp, "nusimd.log")
        f = open(log, "w")
        p = subprocess.Popen(pin(0) + [NUSIMD, "--db", db, "--allow-nosec",
                                       "--coap", "127.0.0.1:0", "--coaps",
                                       "127.0.0.1:0", "--http", "127.0.0.1:0",
                                       "--pki-dir", pki, "--log-level", "info",
                                       "--request-timeout", "10000"],
                             stderr=f, stdout=f)
        procs.append(p)
        m = wait_line(log, r"msg=listening coap=(\S+) coaps=(\S+) http=(\S+)")
        coap_, coaps, api = m.group(1), m.group(2), "http://" + m.group(3) + "/api/v1"
        rows = ["iccid,imsi,carrier,ki,opc"] + [
            "%s,00101%010d,B,%032x,%032x" % (_luhn("8988066%011d" % i), i, i, i)
            for i in range(1, n + 1)]
        st, j = _http("POST", api + "/profiles/import", tok,
                      "\n".join(rows) + "\n", "text/csv")
        if st != 201:
            say("  skipped: profile import failed: %r" % (j,))
            return
        extra = []
        if dtls:
            base = "00112233445566778899aabbccddeeff"
            csv = subprocess.run([CLIENT, "fleet-credentials", "--count", str(n),
                                  "--prefix", "sw", "--psk-key-base", base],
                                 check=True, stdout=subprocess.PIPE,
                                 text=True).stdout
            _http("POST", api + "/devices", tok, csv, "text/csv")
            extra = ["--psk-key-base", base]
        flog = os.path.join(tmp, "fleet.log")
        ff = open(flog, "w")
        fl = subprocess.Popen(pin(1) + [CLIENT, "fleet", "--server",
                                        ("coaps://" + coaps) if dtls else
                                        ("coap://" + coap_), "--count", str(n),
                                        "--prefix", "sw", "--pki-dir", pki,
                                        "--carrier", "A=127.0.1.1-127.0.1.254",
                                        "--carrier", "B=127.0.2.1-127.0.2.254",
                                        "--lifetime", "600", "--rate", "500"]
                              + extra,
                              stdout=ff, stderr=ff)
        procs.append(fl)
        wait_line(flog, r"msg=fleet-registered\b.*count=%d\b" % n, 180)
        t0 = time.time()
        ids = []
        for i in range(1, n + 1):
            st, j = _http("POST", api + "/devices/sw-%06d/switch" % i, tok,
                          {"carrier": "B"})
            if st == 202:
                ids.append(j["id"])
        end = time.time() + 300
        finals = {}
        while time.time() < end and len(finals) < len(ids):
            time.sleep(1.0)
            for state in ("done", "failed", "rolled_back", "timed_out"):
                st, j = _http("GET", api + "/jobs?limit=1000&state=" + state, tok)
                for x in (j or {}).get("items", []):
                    finals[x["id"]] = x["state"]
        durs, first, last = [], None, None
        for jid in ids:
            st, j = _http("GET", api + "/jobs/%d" % jid, tok)
            t = j.get("transitions") or []
            if j.get("state") == "done" and t:
                a, b = t[0]["at_ms"] / 1000.0, t[-1]["at_ms"] / 1000.0
                durs.append(b - a)
                first = a if first is None else min(first, a)
                last = b if last is None else max(last, b)
        ok = len(durs)
        rate = ok / (last - first) if ok and last > first else 0.0
        say("  switch mode=%s devices=%d started=%d done=%d other=%d "
            "seconds=%.1f switches_per_s=%.1f median_s=%.3f p99_s=%.3f"
            % (mode, n, len(ids), ok, len(finals) - ok,
               (last - first) if ok else 0.0, rate, _pct(durs, 50),
               _pct(durs, 99)))
        summary.append(("switches/s, %d devices, %s" % (n, mode), rate))
        summary.append(("switch time median s, %s" % mode, _pct(durs, 50)))
        summary.append(("switch time p99 s, %s" % mode, _pct(durs, 99)))
        summary.append(("switches done of %d, %s" % (n, mode), float(ok)))
    finally:
        for q in reversed(procs):
            q.send_signal(signal.SIGTERM)
            try:
                q.wait(timeout=30)
            except subprocess.TimeoutExpired:
                q.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def bench_switch():
    say("== switch: carrier switches through the whole machine, fleet of %d"
        % SWITCH_DEVICES)
    if not os.access(CLIENT, os.X_OK):
        say("  skipped: nusim-client is not built")
        return
    for dtls in (False, True):
        bench_switch_one(dtls)


SECTIONS = {"coap": bench_coap, "nusimd": bench_nusimd, "node": bench_node,
            "crypto": bench_crypto, "db": bench_db, "switch": bench_switch}


def main():
    wanted = sys.argv[1:] or list(SECTIONS)
    for name in wanted:
        if name not in SECTIONS:
            sys.exit("unknown section %s (have: %s)" % (name, " ".join(SECTIONS)))
        SECTIONS[name]()
    rows = dict(summary)
    lines = ["", "== summary (one run, this machine)"]
    for k, v in summary:
        lines.append("%-66s %12.0f" % (k, v) if abs(v) >= 100 else
                     "%-66s %12.1f" % (k, v))
    for n in (1000, 10000):
        a = rows.get("nusimd Updates/s, %d devices" % n)
        c = rows.get("coap-server-notls GET/s, %d devices" % n)
        if a and c:
            lines.append("%-66s %12.2f" % ("ratio nusimd Updates / bare CoAP GETs, %d devices" % n, a / c))
    a, b = rows.get("nusimd Updates/s, 1000 devices"), rows.get("lwm2m-node-lib Updates/s, 1000 devices")
    if a and b:
        lines.append("%-66s %12.2f" % ("ratio nusimd / lwm2m-node-lib Updates, 1000 devices", a / b))
    a, b = rows.get("nusimd Registers/s, 1000 devices"), rows.get("lwm2m-node-lib Registers/s, 1000 devices")
    if a and b:
        lines.append("%-66s %12.2f" % ("ratio nusimd / lwm2m-node-lib Registers, 1000 devices", a / b))
    a = rows.get("nusimd server CPU ms per 1,000 Updates, 1000 devices")
    b = rows.get("lwm2m-node-lib CPU ms per 1,000 Updates, 1000 devices")
    if a and b:
        lines.append("%-66s %12.2f" % ("ratio lwm2m-node-lib / nusimd CPU per Update, 1000 devices", b / a))
    for curve, ocurve in (("brainpoolP256r1", "brainpoolP256r1"), ("prime256v1", "nistp256")):
        a = rows.get("crypto packages/s, %s" % curve)
        b = rows.get("openssl primitive bound packages/s, %s" % ocurve)
        if a and b:
            lines.append("%-66s %12.2f" % ("ratio packages / primitive bound, %s" % curve, a / b))
    crypto = rows.get("crypto packages/s, brainpoolP256r1")
    for mode in ("nosec", "dtls"):
        a = rows.get("switches/s, %d devices, %s" % (SWITCH_DEVICES, mode))
        if a and crypto:
            lines.append("%-66s %12.3f" % ("ratio switches/s (%s) / crypto packages/s"
                                           % mode, a / crypto))
    text = "\n".join(lines)
    say(text)
    os.makedirs(os.path.join(ROOT, "var", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "var", "bench", "results.txt"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
