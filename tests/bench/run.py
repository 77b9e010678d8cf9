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
  crypto    profile packages per second per core (bench_crypto), on the
            server's path (nuSIM certificate checked once, pkg_build_for)
            and the full one (pkg_build, chain checked on every call),
            beside `openssl speed` of the primitives a package needs
  db        storage-layer rates (bench_db)
  switch    carrier switches through the whole machine (DESIGN §7) with
            1,000 simulated nuSIM devices (nusim-client fleet --pki-dir), on
            NoSec and on DTLS: switches per second, median and 99th
            percentile switch time, beside the crypto section's rate
  campaign  a 10,000-device campaign (POST /campaigns, start) on NoSec and
            on DTLS: completed switches/s and its ratio to the crypto
            packages/s measured in the same run; nusimd's peak RSS growth
            while a 1,000,000-row CSV streams in (BENCH_CAMPAIGN_DEVICES,
            BENCH_CAMPAIGN_IMPORT_ROWS, BENCH_CAMPAIGN_IN_FLIGHT (500),
            BENCH_CAMPAIGN_MODE=nosec|dtls)

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


OSSL_CURVE = {"brainpoolP256r1": "brainpoolP256r1", "prime256v1": "nistp256"}
PKG_PATHS = (("build_for", "server path", "pkg_build_for"),
             ("build", "full", "pkg_build, chain checked"))
PKG_WHAT = dict((p, (w, how)) for p, w, how in PKG_PATHS)


def pkg_row(curve, path):
    return "crypto packages/s, %s, %s (%s)" % ((curve,) + PKG_WHAT[path])


def bound_row(curve, dp_curve):
    return "openssl bound packages/s, %s nuSIM, DP %s" % (curve, dp_curve)


def bench_crypto():
    """A package costs one key generation (about one ECDH) and one ECDH on
    the nuSIM's curve, and one signature by the DP key, which is on the
    CI's curve whatever the nuSIM's (brainpoolP256r1 in the demo PKI): the
    primitive bound is 1/(2/ecdh(nuSIM curve) + 1/sign(DP curve))."""
    say("== crypto: packages per second per core, beside openssl speed")
    exe = os.path.join(BUILD, "bench", "bench_crypto")
    dp_curves = {}
    if os.path.exists(exe):
        out = subprocess.run([exe], stdout=subprocess.PIPE, text=True, timeout=300).stdout
        for line in out.splitlines():
            say("  " + line)
            d = parse_phase(line)
            if "packages_per_s" in d and "curve" in d:
                path = d.get("path", "build")   # an older bench_crypto
                dp_curves[d["curve"]] = d.get("dp_curve", d["curve"])
                if path in PKG_WHAT:
                    summary.append((pkg_row(d["curve"], path), float(d["packages_per_s"])))
            elif "checks_per_s" in d:
                summary.append(("crypto nuSIM certificate checks/s, %s" % d["curve"],
                                float(d["checks_per_s"])))
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
        for oc in ("brainpoolP256r1", "nistp256"):
            if ("ecdh", oc) in rates and ("sign", oc) in rates:
                say("  openssl curve=%s ecdh_per_s=%.0f sign_per_s=%.0f verify_per_s=%.0f"
                    % (oc, rates[("ecdh", oc)], rates[("sign", oc)],
                       rates.get(("verify", oc), 0.0)))
        for curve in ("brainpoolP256r1", "prime256v1"):
            dp_curve = dp_curves.get(curve, curve)
            ecdh = rates.get(("ecdh", OSSL_CURVE[curve]))
            sign = rates.get(("sign", OSSL_CURVE.get(dp_curve, dp_curve)))
            if ecdh and sign:
                bound = 1.0 / (2.0 / ecdh + 1.0 / sign)
                # What the bound would be with a DP key on the nuSIM's curve
                # (the figure issue 3 first quoted for P-256).
                same = rates.get(("sign", OSSL_CURVE[curve]), sign)
                say("  bound curve=%s dp_curve=%s package_bound_per_s=%.0f "
                    "same_curve_dp_bound_per_s=%.0f"
                    % (curve, dp_curve, bound, 1.0 / (2.0 / ecdh + 1.0 / same)))
                summary.append((bound_row(curve, dp_curve), bound))


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
    mode = "dtls" if dtls else "nosec"
    procs = []
    try:
        p, coap_, coaps, api, tok, pki = _pki_server(tmp)
        procs.append(p)
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
            if fl.poll() is not None and end > time.time() + 2:
                say("  the fleet exited (rc=%s): %s" % (fl.returncode,
                    open(flog).read().strip().splitlines()[-1][:200]))
                end = time.time() + 2
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
        if os.environ.get("BENCH_KEEP"):
            say("  kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def bench_switch():
    say("== switch: carrier switches through the whole machine, fleet of %d"
        % SWITCH_DEVICES)
    if not os.access(CLIENT, os.X_OK):
        say("  skipped: nusim-client is not built")
        return
    for dtls in (False, True):
        if os.environ.get("BENCH_SWITCH_MODE", "") in ("", "dtls" if dtls else "nosec"):
            bench_switch_one(dtls)


CAMPAIGN_DEVICES = int(os.environ.get("BENCH_CAMPAIGN_DEVICES", "10000"))
CAMPAIGN_IMPORT_ROWS = int(os.environ.get("BENCH_CAMPAIGN_IMPORT_ROWS", "1000000"))
CAMPAIGN_IN_FLIGHT = int(os.environ.get("BENCH_CAMPAIGN_IN_FLIGHT", "500"))


def _hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _pki_server(tmp, extra=()):
    """A nusimd with a demo PKI for the switch and campaign sections:
    (process, coap, coaps, api, token, pki dir)."""
    pki, db = os.path.join(tmp, "pki"), os.path.join(tmp, "nusimd.db")
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
                                   "--coap", "127.0.0.1:0", "--coaps", "127.0.0.1:0",
                                   "--http", "127.0.0.1:0", "--pki-dir", pki,
                                   "--request-timeout", "10000",
                                   "--switch-reattach-timeout", "60"] + list(extra),
                         stderr=f, stdout=f)
    m = wait_line(log, r"msg=listening coap=(\S+) coaps=(\S+) http=(\S+)")
    return p, m.group(1), m.group(2), "http://" + m.group(3) + "/api/v1", tok, pki


def _crypto_limit():
    """Packages per second on the server's path (bench_crypto, this run)."""
    rows = dict(summary)
    v = rows.get(pkg_row("brainpoolP256r1", "build_for"))
    if v:
        return v
    exe = os.path.join(BUILD, "bench", "bench_crypto")
    if not os.path.exists(exe):
        return 0.0
    out = subprocess.run([exe, "1"], stdout=subprocess.PIPE, text=True,
                         timeout=300).stdout
    for line in out.splitlines():
        d = parse_phase(line)
        if (d.get("curve") == "brainpoolP256r1" and d.get("path") == "build_for"
                and "packages_per_s" in d):
            say("  " + line)
            summary.append((pkg_row("brainpoolP256r1", "build_for"),
                            float(d["packages_per_s"])))
            return float(d["packages_per_s"])
    return 0.0


def bench_campaign_one(dtls, crypto):
    n = CAMPAIGN_DEVICES
    mode = "dtls" if dtls else "nosec"
    tmp = tempfile.mkdtemp(prefix="nusimd-bench-campaign-")
    procs = []
    try:
        p, coap_, coaps, api, tok, pki = _pki_server(tmp)
        procs.append(p)
        for first in range(1, n + 1, 50000):
            k = min(50000, n + 1 - first)
            rows = ["iccid,imsi,carrier,ki,opc"] + [
                "%s,00101%010d,B,%032x,%032x" % (_luhn("8988066%011d" % i), i, i, i)
                for i in range(first, first + k)]
            st, j = _http("POST", api + "/profiles/import", tok,
                          "\n".join(rows) + "\n", "text/csv")
            if st != 201:
                say("  skipped: profile import failed: %r" % (j,))
                return
        extra = []
        if dtls:
            base = "00112233445566778899aabbccddeeff"
            csv = subprocess.run([CLIENT, "fleet-credentials", "--count", str(n),
                                  "--prefix", "cb", "--psk-key-base", base],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
            _http("POST", api + "/devices", tok, csv, "text/csv")
            extra = ["--psk-key-base", base]
        flog = os.path.join(tmp, "fleet.log")
        ff = open(flog, "w")
        fl = subprocess.Popen(pin(1) + [CLIENT, "fleet", "--server",
                                        ("coaps://" + coaps) if dtls else ("coap://" + coap_),
                                        "--count", str(n), "--prefix", "cb",
                                        "--pki-dir", pki,
                                        "--carrier", "A=127.0.1.1-127.0.1.254",
                                        "--carrier", "B=127.0.2.1-127.0.2.254",
                                        "--lifetime", "600", "--rate", "1000"] + extra,
                              stdout=ff, stderr=ff)
        procs.append(fl)
        wait_line(flog, r"msg=fleet-registered\b.*count=%d\b" % n, 600)
        body = "endpoint,carrier\n" + "".join("cb-%06d,B\n" % i for i in range(1, n + 1))
        st, c = _http("POST", api + "/campaigns?name=bench&max_in_flight=%d"
                      "&max_starts_per_s=100000&failure_threshold_pct=100"
                      % CAMPAIGN_IN_FLIGHT, tok,
                      body, "text/csv")
        if st != 201:
            say("  skipped: campaign create failed: %r" % (c,))
            return
        cid = c["id"]
        t0 = time.time()
        _http("POST", api + "/campaigns/%d/start" % cid, tok)
        end, last_done, last_t = t0 + 900, -1, t0
        while time.time() < end:
            time.sleep(0.5)
            st, c = _http("GET", api + "/campaigns/%d" % cid, tok)
            done = c["counts"]["succeeded"] + c["counts"]["failed"]
            if done != last_done:
                last_done, last_t = done, time.time()
            if c["state"] in ("completed", "aborted", "cancelled"):
                break
            if time.time() - last_t > 60:
                say("  no progress for 60 s: stopping the measurement")
                break
        t1 = last_t
        ok = c["counts"]["succeeded"]
        rate = ok / (t1 - t0) if t1 > t0 else 0.0
        say("  campaign mode=%s devices=%d state=%s succeeded=%d failed=%d "
            "seconds=%.1f switches_per_s=%.1f crypto_packages_per_s=%.0f ratio=%.3f"
            % (mode, n, c["state"], ok, c["counts"]["failed"], t1 - t0, rate,
               crypto, rate / crypto if crypto else 0.0))
        summary.append(("campaign switches/s, %d devices, %s" % (n, mode), rate))
        summary.append(("campaign switches done of %d, %s" % (n, mode), float(ok)))
    finally:
        for q in reversed(procs):
            q.send_signal(signal.SIGTERM)
            try:
                q.wait(timeout=30)
            except subprocess.TimeoutExpired:
                q.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def bench_campaign_import():
    """nusimd's memory while a 1,000,000-row CSV streams in: the peak RSS
    (VmHWM) over the idle server's, and the whole call's time."""
    n = CAMPAIGN_IMPORT_ROWS
    tmp = tempfile.mkdtemp(prefix="nusimd-bench-import-")
    try:
        p, coap_, coaps, api, tok, pki = _pki_server(tmp)
        try:
            path = os.path.join(tmp, "big.csv")
            with open(path, "w") as f:
                f.write("endpoint,carrier\n")
                for i in range(n):
                    f.write("imp-%07d,B\n" % i)
            size = os.path.getsize(path)
            time.sleep(0.3)
            base = _hwm_kb(p.pid)
            import urllib.request
            t0 = time.time()
            with open(path, "rb") as f:
                req = urllib.request.Request(api + "/campaigns", data=f, method="POST",
                                             headers={"Authorization": "Bearer " + tok,
                                                      "Content-Type": "text/csv",
                                                      "Content-Length": str(size)})
                try:
                    urllib.request.urlopen(req, timeout=900).read()
                except Exception:
                    pass   # 422: every device unknown; the file was read whole
            took = time.time() - t0
            peak = _hwm_kb(p.pid)
            say("  import rows=%d file_kb=%d seconds=%.1f rss_peak_before_kb=%d "
                "rss_peak_after_kb=%d grown_kb=%d" % (n, size // 1024, took, base,
                                                      peak, peak - base))
            summary.append(("campaign import of %d rows, seconds" % n, took))
            summary.append(("campaign import of %d rows, nusimd peak RSS growth KiB" % n,
                            float(peak - base)))
            summary.append(("campaign import file size KiB", float(size // 1024)))
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bench_campaign():
    say("== campaign: a %d-device campaign on NoSec and DTLS, and a %d-row import"
        % (CAMPAIGN_DEVICES, CAMPAIGN_IMPORT_ROWS))
    bench_campaign_import()
    if not os.access(CLIENT, os.X_OK):
        say("  skipped: nusim-client is not built")
        return
    crypto = _crypto_limit()
    for dtls in (False, True):
        if os.environ.get("BENCH_CAMPAIGN_MODE", "") in ("", "dtls" if dtls else "nosec"):
            bench_campaign_one(dtls, crypto)


SECTIONS = {"coap": bench_coap, "nusimd": bench_nusimd, "node": bench_node,
            "crypto": bench_crypto, "db": bench_db, "switch": bench_switch,
            "campaign": bench_campaign}


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
    for curve in ("brainpoolP256r1", "prime256v1"):
        b = [v for k, v in summary if k.startswith(bound_row(curve, ""))]
        for path, what, _ in PKG_PATHS:
            a = rows.get(pkg_row(curve, path))
            if a and b:
                lines.append("%-66s %12.2f" % ("ratio packages / primitive bound, %s, %s"
                                               % (curve, what), a / b[0]))
    crypto = rows.get(pkg_row("brainpoolP256r1", "build_for"))
    for mode in ("nosec", "dtls"):
        a = rows.get("switches/s, %d devices, %s" % (SWITCH_DEVICES, mode))
        if a and crypto:
            lines.append("%-66s %12.3f" % ("ratio switches/s (%s) / crypto packages/s"
                                           % mode, a / crypto))
    for mode in ("nosec", "dtls"):
        a = rows.get("campaign switches/s, %d devices, %s" % (CAMPAIGN_DEVICES, mode))
        crypto = rows.get(pkg_row("brainpoolP256r1", "build_for"))
        if a and crypto:
            lines.append("%-66s %12.3f" % ("ratio campaign switches/s (%s) / crypto packages/s"
                                           % mode, a / crypto))
    text = "\n".join(lines)
    say(text)
    os.makedirs(os.path.join(ROOT, "var", "bench"), exist_ok=True)
    with open(os.path.join(ROOT, "var", "bench", "results.txt"), "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
