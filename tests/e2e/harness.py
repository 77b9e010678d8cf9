"""harness.py: helpers for the end-to-end tests of nusimd and nusim-client.

Everything here drives the real programs the way users do: build/nusimd on
loopback ports it picks itself (port 0, read back from its `msg=listening`
log line), a real SQLite file in a temporary directory, build/nusim-client
processes controlled over stdin, and the REST API over HTTP (urllib).

Every log goes to a file in the test's work directory (NUSIM_E2E_DIR, set
by tests/run.py), so the runner can show the last lines of each when a
test fails. Processes are stopped when the test ends (Harness.close, also
at interpreter exit), so a failing test leaves nothing running.
"""

import atexit
import json
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("NUSIM_BUILD", os.path.join(ROOT, "build"))
NUSIMD = os.path.join(BUILD, "nusimd")
CLIENT = os.path.join(BUILD, "nusim-client")

LISTEN_RE = re.compile(r"msg=listening\b[^\n]*")


def _port(line, key):
    """The port of `key=HOST:PORT` in a log line; 0 if absent or off."""
    m = re.search(r"\b%s=\"?([^\s\"]*)" % key, line)
    if not m or ":" not in m.group(1):
        return 0
    try:
        return int(m.group(1).rsplit(":", 1)[1])
    except ValueError:
        return 0


class Skip(Exception):
    """Raised by a test that cannot run here, with the reason."""


class TestFailure(AssertionError):
    pass


def check(cond, what):
    """An assertion that survives python -O and says what was expected."""
    if not cond:
        raise TestFailure(what)


def check_eq(got, want, what=""):
    if got != want:
        raise TestFailure("%s: got %r, want %r" % (what or "value", got, want))


def wait_until(fn, timeout=10.0, interval=0.05, what="condition"):
    """Polls fn() until it returns something truthy; returns that value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise TestFailure("timed out after %.1fs waiting for %s"
                              % (timeout, what))
        time.sleep(interval)


def workdir():
    d = os.environ.get("NUSIM_E2E_DIR")
    if not d:
        d = tempfile.mkdtemp(prefix="nusim-e2e-")
        os.environ["NUSIM_E2E_DIR"] = d
    os.makedirs(d, exist_ok=True)
    return d


_live = []  # every process started, stopped at exit


def _cleanup():
    for p in list(_live):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(5)
            except Exception:
                pass


atexit.register(_cleanup)


def _need(exe):
    if os.path.sep in exe and not os.access(exe, os.X_OK):
        raise TestFailure("%s is not built (make build/%s)"
                          % (exe, os.path.basename(exe)))


def _spawn(argv, log_path, stdin=None, stdout=None):
    _need(argv[0])
    logf = open(log_path, "ab", buffering=0)
    logf.write(("### %s\n" % " ".join(argv)).encode())
    p = subprocess.Popen(argv, stdin=stdin, stdout=stdout or logf,
                         stderr=logf, cwd=workdir())
    p._logf = logf
    _live.append(p)
    return p


def run(argv, timeout=30, input=None):
    """Runs a command to completion: (rc, stdout, stderr) as text."""
    _need(argv[0])
    p = subprocess.run(argv, input=input, capture_output=True, text=True,
                       timeout=timeout, cwd=workdir())
    with open(os.path.join(workdir(), "commands.log"), "a") as f:
        f.write("### %s\nrc=%d\n--- stdout\n%s--- stderr\n%s" % (
            " ".join(argv), p.returncode, _redact(p.stdout), p.stderr))
    return p.returncode, p.stdout, p.stderr


def _redact(s):
    return re.sub(r"nst_[A-Za-z0-9_-]{8,}", "nst_<redacted>", s)


class LogFile:
    """A log file that grows; wait() finds a regex in what came after a
    mark, so a restart's lines are told from the first start's."""

    def __init__(self, path):
        self.path = path

    def text(self):
        try:
            with open(self.path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def mark(self):
        return len(self.text())

    def wait(self, regex, timeout=10.0, since=0, proc=None):
        rx = re.compile(regex)

        def probe():
            m = rx.search(self.text(), since)
            if m:
                return m
            if proc is not None and proc.poll() is not None:
                m = rx.search(self.text(), since)
                if m:
                    return m
                raise TestFailure("process exited (rc=%s) before log matched "
                                  "%r" % (proc.returncode, regex))
            return None
        return wait_until(probe, timeout, what="log %s: %r" % (
            os.path.basename(self.path), regex))

    def count(self, regex, since=0):
        return len(re.findall(regex, self.text()[since:]))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode(errors="replace")
        self.json = None
        ctype = headers.get("Content-Type", "")
        if "json" in ctype or self.text[:1] in ("{", "["):
            try:
                self.json = json.loads(self.text)
            except ValueError:
                self.json = None

    @property
    def content_type(self):
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    def __repr__(self):
        return "<HTTP %d %s %s>" % (self.status, self.content_type,
                                    self.text[:300])


def http(method, url, body=None, token=None, headers=None, timeout=30.0):
    """One HTTP call. body: bytes go as they are; anything else is sent as
    JSON, except a str when headers give a Content-Type (sent as is).
    Returns a Response for any status."""
    hdrs = dict(headers or {})
    data = None
    raw = any(k.lower() == "content-type" for k in hdrs)
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        elif isinstance(body, str) and raw:
            data = body.encode()
        else:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
    if token:
        hdrs["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read())


def items(j):
    """The list inside a paginated answer ({"items": [...]}), or j itself
    when the answer is a bare list."""
    if isinstance(j, list):
        return j
    if isinstance(j, dict):
        for k in ("items", "data", "devices", "registrations", "requests",
                  "observations", "results", "tokens"):
            if isinstance(j.get(k), list):
                return j[k]
    raise TestFailure("not a list answer: %r" % (j,))


def problem_ok(r, status):
    """Checks r is an application/problem+json error with that status."""
    check_eq(r.status, status, "HTTP status of %r" % r)
    check(r.content_type == "application/problem+json",
          "error content type is application/problem+json: %r" % r)
    check(isinstance(r.json, dict), "problem body is a JSON object: %r" % r)
    for k in ("type", "title", "status"):
        check(k in r.json, "problem has %r: %r" % (k, r.json))
    check_eq(r.json["status"], status, "problem status")


class Server:
    """One nusimd on a fresh database in the test's work directory."""

    def __init__(self, name="nusimd", allow_nosec=True, extra_args=(),
                 env=None):
        self.name = name
        self.dir = os.path.join(workdir(), name)
        os.makedirs(self.dir, exist_ok=True)
        self.db = os.path.join(self.dir, "nusimd.db")
        self.log = LogFile(os.path.join(workdir(), name + ".log"))
        self.allow_nosec = allow_nosec
        self.extra_args = list(extra_args)
        self.env = env
        self.proc = None
        self.coap_port = self.coaps_port = self.http_port = 0
        self.tokens = {}
        rc, out, err = run([NUSIMD, "migrate", "--db", self.db])
        check(rc == 0, "nusimd migrate exit 0 (rc=%d): %s" % (rc, err))
        for role in ("admin", "operator", "viewer"):
            self.tokens[role] = self.token_create(role, role)

    def token_create(self, name, role):
        rc, out, err = run([NUSIMD, "token", "create", "--db", self.db,
                            "--name", name, "--role", role])
        check(rc == 0, "token create exit 0 (rc=%d): %s" % (rc, err))
        lines = out.splitlines()
        check(len(lines) == 1 and lines[0].strip(),
              "token create prints the token alone on one line: %r"
              % _redact(out))
        return lines[0].strip()

    def device_add(self, ep, identity, key_hex):
        rc, out, err = run([NUSIMD, "device", "add", "--db", self.db,
                            "--endpoint", ep, "--psk-identity", identity,
                            "--psk-key", key_hex])
        check(rc == 0, "device add %s exit 0 (rc=%d): %s" % (ep, rc, err))

    # -- process control ------------------------------------------------

    def start(self, ports=None):
        """Starts nusimd; ports=(coap, coaps, http) to reuse the previous
        ones (a restart), else 0 for each."""
        c, s, h = ports or (0, 0, 0)
        argv = [NUSIMD, "--db", self.db, "--coap", "127.0.0.1:%d" % c,
                "--coaps", "127.0.0.1:%d" % s, "--http", "127.0.0.1:%d" % h,
                "--log-level", os.environ.get("NUSIM_E2E_LOG_LEVEL", "info")]
        if self.allow_nosec:
            argv.append("--allow-nosec")
        argv += self.extra_args
        mark = self.log.mark()
        self.proc = _spawn(argv, self.log.path)
        m = self.log.wait(LISTEN_RE, 15, since=mark, proc=self.proc)
        self.coap_port = _port(m.group(0), "coap")
        self.coaps_port = _port(m.group(0), "coaps")
        self.http_port = _port(m.group(0), "http")
        check(self.http_port, "http=HOST:PORT in %r" % m.group(0))
        self.start_mark = mark
        return self

    def stop(self, timeout=10):
        """SIGTERM, as an operator's systemctl stop; returns the exit code."""
        p = self.proc
        if p is None or p.poll() is not None:
            return p.returncode if p else None
        p.send_signal(signal.SIGTERM)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
            raise TestFailure("nusimd did not stop within %ds of SIGTERM"
                              % timeout)

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def restart(self, hard=False):
        """Stops (SIGTERM, or kill -9 when hard) and starts again on the
        same database and the same ports, so clients keep their server."""
        ports = (self.coap_port, self.coaps_port, self.http_port)
        if hard:
            self.kill9()
        else:
            rc = self.stop()
            check(rc == 0, "nusimd exits 0 on SIGTERM (rc=%r)" % rc)
        # The HTTP port may linger for a moment; retry the bind briefly.
        end = time.monotonic() + 10
        while True:
            try:
                return self.start(ports)
            except TestFailure:
                if time.monotonic() > end:
                    raise
                time.sleep(0.3)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_log(self, regex, timeout=10.0, since=None):
        return self.log.wait(regex, timeout,
                             self.start_mark if since is None else since,
                             proc=self.proc)

    # -- addresses and the REST API -------------------------------------

    @property
    def coap_uri(self):
        return "coap://127.0.0.1:%d" % self.coap_port

    @property
    def coaps_uri(self):
        return "coaps://127.0.0.1:%d" % self.coaps_port

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.http_port

    def api(self, method, path, body=None, role="admin", token=None,
            headers=None, timeout=30.0):
        """A REST call on /api/v1 (path starts with '/'), as `role`."""
        tok = token if token is not None else self.tokens.get(role)
        return http(method, self.base + "/api/v1" + path, body, tok, headers,
                    timeout)

    def get_ok(self, path, role="admin"):
        r = self.api("GET", path, role=role)
        check_eq(r.status, 200, "GET %s status (%r)" % (path, r))
        return r.json

    def registration(self, ep):
        """The registration part of GET /devices/{ep}, or None."""
        r = self.api("GET", "/devices/" + ep)
        if r.status != 200 or not isinstance(r.json, dict):
            return None
        reg = r.json.get("registration")
        return reg or None

    def wait_registered(self, ep, timeout=10.0):
        return wait_until(lambda: self.registration(ep), timeout,
                          what="registration of %s via REST" % ep)

    def lwm2m(self, method, ep, path, body=None, query="", role="operator",
              headers=None, timeout_ms=5000):
        q = "timeout=%d" % timeout_ms
        if query:
            q = query + "&" + q
        return self.api(method, "/devices/%s/lwm2m/%s?%s"
                        % (ep, path.strip("/"), q), body, role=role,
                        headers=headers, timeout=timeout_ms / 1000.0 + 15)


def value_of(resp_json, path):
    """The value of `path` in a 2.05 answer's "values" list."""
    check(isinstance(resp_json, dict) and isinstance(
        resp_json.get("values"), list), "answer has values: %r" % (resp_json,))
    for v in resp_json["values"]:
        if v.get("path") == path:
            return v.get("value")
    raise TestFailure("no %s in values %r" % (path, resp_json["values"]))


class _LineReader(threading.Thread):
    """Reads a pipe line by line into a queue, copying it to a log file."""

    def __init__(self, pipe, logf):
        super().__init__(daemon=True)
        self.pipe, self.logf, self.q = pipe, logf, queue.Queue()

    def run(self):
        for raw in iter(self.pipe.readline, b""):
            self.logf.write(b"[stdout] " + raw)
            self.q.put(raw.decode(errors="replace").rstrip("\n"))
        self.q.put(None)


class Client:
    """One nusim-client, controlled through its stdin (--control)."""

    def __init__(self, server_uri, endpoint, psk_identity=None, psk_key=None,
                 queue_mode=False, lifetime=None, bind=None, extra_args=(),
                 name=None):
        self.endpoint = endpoint
        self.log = LogFile(os.path.join(workdir(), "client-%s.log"
                                        % (name or endpoint)))
        argv = [CLIENT, "--server", server_uri, "--endpoint", endpoint,
                "--control"]
        if psk_identity is not None:
            argv += ["--psk-identity", psk_identity, "--psk-key", psk_key]
        if queue_mode:
            argv.append("--queue")
        if lifetime is not None:
            argv += ["--lifetime", str(lifetime)]
        if bind:
            argv += ["--bind", bind]
        argv += list(extra_args)
        self.argv = argv
        self.proc = _spawn(argv, self.log.path, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE)
        self.reader = _LineReader(self.proc.stdout, self.proc._logf)
        self.reader.start()

    def wait_registered(self, timeout=10.0, since=0):
        return self.log.wait(r"msg=registered\b", timeout, since, self.proc)

    def wait_log(self, regex, timeout=10.0, since=0):
        return self.log.wait(regex, timeout, since, self.proc)

    def cmd(self, line, timeout=10.0):
        """Sends one control line; returns its `ok ...`/`error ...` answer."""
        check(self.proc.poll() is None, "client %s still running for %r"
              % (self.endpoint, line))
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()
        end = time.monotonic() + timeout
        while True:
            try:
                got = self.reader.q.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                raise TestFailure("no answer to control line %r within %.0fs"
                                  % (line, timeout))
            if got is None:
                raise TestFailure("client exited while answering %r" % line)
            if got.startswith("ok") or got.startswith("error"):
                return got

    def ok(self, line, timeout=10.0):
        a = self.cmd(line, timeout)
        check(a.startswith("ok"), "control %r answered ok: %r" % (line, a))
        return a

    def stop(self, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def alive(self):
        return self.proc.poll() is None


class Fleet:
    """`nusim-client fleet`: N simulated devices in one process."""

    def __init__(self, server_uri, count, prefix, bind_range=None,
                 extra_args=()):
        self.count, self.prefix = count, prefix
        self.log = LogFile(os.path.join(workdir(), "fleet-%s.log" % prefix))
        argv = [CLIENT, "fleet", "--server", server_uri, "--count",
                str(count), "--prefix", prefix]
        if bind_range:
            argv += ["--bind-range", bind_range]
        argv += list(extra_args)
        self.proc = _spawn(argv, self.log.path)

    def wait_registered(self, timeout=60.0):
        m = self.log.wait(r"msg=fleet-registered\b.*?count=%d\b" % self.count,
                          timeout, 0, self.proc)
        return int(re.search(r"count=(\d+)", m.group(0)).group(1))

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


class Harness:
    """What a test function gets: servers and clients it starts through
    here are stopped when it ends."""

    def __init__(self):
        self.dir = workdir()
        self.servers, self.clients = [], []

    def server(self, **kw):
        kw.setdefault("name", "nusimd" if not self.servers
                      else "nusimd%d" % len(self.servers))
        s = Server(**kw)
        self.servers.append(s)
        return s.start()

    def client(self, *a, **kw):
        c = Client(*a, **kw)
        self.clients.append(c)
        return c

    def fleet(self, *a, **kw):
        f = Fleet(*a, **kw)
        self.clients.append(f)
        return f

    def close(self):
        for c in self.clients:
            try:
                c.stop()
            except Exception:
                pass
        for s in self.servers:
            try:
                s.stop()
            except Exception:
                s.kill9()
        _cleanup()
        found = sanitizer_reports(self.dir)
        if found:
            raise TestFailure("sanitizer report: " + "; ".join(found))


# What AddressSanitizer, LeakSanitizer and UBSan print when they find
# something. A sanitized build (make SANITIZE=address,undefined) keeps
# running after a UBSan finding unless told to halt, and a daemon's stderr
# goes to its log, so without this scan a finding would pass unnoticed.
SANITIZER_RE = re.compile(r"ERROR: (?:Address|Leak|UndefinedBehavior|Thread)"
                          r"Sanitizer\b[^\n]*|\bruntime error: [^\n]*")


def sanitizer_reports(d):
    """'file: first report line' for every log in d with a sanitizer
    report, so a test fails on a memory or UB error even when the daemon
    kept answering."""
    out = []
    for name in sorted(os.listdir(d)):
        if not name.endswith(".log"):
            continue
        try:
            with open(os.path.join(d, name), "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            continue
        m = SANITIZER_RE.search(text)
        if m:
            out.append("%s: %s" % (name, m.group(0)[:300]))
    return out
