#!/usr/bin/env python3
"""run.py: the one test runner (`make test`, `make unit`, `make e2e`).

  python3 tests/run.py [--unit | --e2e] [-k SUBSTRING] [-j N] [--timeout S]
                       [--keep]

Runs every C unit binary build/tests/test_* (each prints `ok NAME` /
`FAIL NAME: why` and ends with `N passed, N failed`; a binary that crashes,
hangs or prints no summary counts as one failure), then every `test_*`
function of every tests/e2e/test_*.py module, each in its own process with
a fresh harness and work directory, so a hang fails one test (after the
per-test timeout), not the run. Prints `ok`/`FAIL`/`skip` lines as it goes,
and for a failed e2e test its traceback and the last 40 lines of every log
it left. Ends with exactly one line `N passed, N failed[, N skipped]`;
exits 1 if anything failed.

Environment: NUSIM_BUILD (where the binaries are, default build/),
NUSIM_E2E_LOG_LEVEL (nusimd's --log-level in e2e tests, default info).
A failed e2e test keeps its work directory (logs, database) and prints
where it is; --keep keeps every one.
"""

import argparse
import concurrent.futures
import glob
import importlib
import inspect
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
E2E = os.path.join(HERE, "e2e")
BUILD = os.environ.get("NUSIM_BUILD", os.path.join(ROOT, "build"))

SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed")
SKIP_RC = 77
TAIL = 40

_print_lock = threading.Lock()


def say(text):
    with _print_lock:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.lock = threading.Lock()

    def add(self, passed=0, failed=0, skipped=0):
        with self.lock:
            self.passed += passed
            self.failed += failed
            self.skipped += skipped


def run_group(cmd, timeout, env=None, cwd=None):
    """Runs cmd in its own process group; on timeout kills the group.
    Returns (rc or None on timeout, output text). Whatever the group left
    running afterwards (a daemon a crashed test forgot) is killed too."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                         start_new_session=True)
    with _groups_lock:
        _groups.add(p.pid)
    try:
        out, _ = p.communicate(timeout=timeout)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        rc = None
        _killpg(p.pid)
        out, _ = p.communicate()
    finally:
        _killpg(p.pid)
        with _groups_lock:
            _groups.discard(p.pid)
    return rc, out.decode(errors="replace")


# Process groups of the tests running now, killed if the run is interrupted
# (they are in their own sessions, so Ctrl-C does not reach them).
_groups = set()
_groups_lock = threading.Lock()


def _killpg(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# ---- unit tests ------------------------------------------------------

def unit_binaries():
    """Every unit test there is a source or a binary for."""
    names = set()
    for src in glob.glob(os.path.join(HERE, "unit", "test_*.c")):
        names.add(os.path.basename(src)[:-2])
    for b in glob.glob(os.path.join(BUILD, "tests", "test_*")):
        if os.access(b, os.X_OK) and not b.endswith((".d", ".o")):
            names.add(os.path.basename(b))
    return sorted(names)


def run_unit(name, k, timeout, tally):
    path = os.path.join(BUILD, "tests", name)
    if not os.access(path, os.X_OK):
        if k and k not in name:
            return  # cannot tell whether its cases match k
        say("FAIL %s: not built (make build/tests/%s)" % (name, name))
        tally.add(failed=1)
        return
    argv = [path]
    if k and k not in name:
        argv.append(k)  # unit.h runs only the cases whose name has k
    t0 = time.monotonic()
    rc, out = run_group(argv, timeout, cwd=ROOT)
    passed = failed = 0
    summary = None
    for line in out.splitlines():
        if line.startswith("ok "):
            passed += 1
            say("ok %s/%s" % (name, line[3:]))
        elif line.startswith("FAIL "):
            failed += 1
            say("FAIL %s/%s" % (name, line[5:]))
        m = SUMMARY_RE.match(line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
    why = None
    if rc is None:
        why = "timed out after %ds" % timeout
    elif rc < 0:
        why = "killed by signal %d" % -rc
    elif summary is None:
        why = "no summary line (exit code %d)" % rc
    elif summary != (passed, failed):
        why = "summary %d passed, %d failed disagrees with its lines" % summary
    elif rc != 0 and failed == 0:
        why = "exit code %d with no failed case" % rc
    if why:
        failed += 1
        say("FAIL %s: %s (%.1fs)" % (name, why, time.monotonic() - t0))
        say(indent("\n".join(out.splitlines()[-TAIL:])))
    tally.add(passed=passed, failed=failed)


# ---- e2e tests -------------------------------------------------------

def e2e_tests(k):
    """(module, function) of every e2e test whose name has k."""
    sys.path.insert(0, E2E)
    found = []
    for path in sorted(glob.glob(os.path.join(E2E, "test_*.py"))):
        mod = os.path.basename(path)[:-3]
        try:
            m = importlib.import_module(mod)
        except Exception:
            found.append((mod, None, traceback.format_exc()))
            continue
        for fname, fn in inspect.getmembers(m, inspect.isfunction):
            if fname.startswith("test_") and fn.__module__ == mod:
                if not k or k in "%s.%s" % (mod, fname):
                    found.append((mod, fname, getattr(m, "TIMEOUT", None)))
    return found


def run_e2e(mod, fname, timeout, keep, tally):
    name = "e2e/%s.%s" % (mod, fname)
    work = tempfile.mkdtemp(prefix="nusim-%s-%s-" % (mod[5:], fname[5:]))
    env = dict(os.environ, NUSIM_E2E_DIR=work, PYTHONDONTWRITEBYTECODE="1")
    t0 = time.monotonic()
    rc, out = run_group([sys.executable, os.path.abspath(__file__), "--one",
                         mod, fname], timeout, env=env, cwd=ROOT)
    dt = time.monotonic() - t0
    last = out.strip().splitlines()[-1] if out.strip() else ""
    if rc == 0:
        say("ok %s (%.1fs)" % (name, dt))
        tally.add(passed=1)
    elif rc == SKIP_RC:
        reason = last[len("SKIP "):] if last.startswith("SKIP ") else last
        say("skip %s: %s" % (name, reason))
        tally.add(skipped=1)
    else:
        if rc is None:
            why = "timed out after %ds" % timeout
        elif last.startswith("FAIL "):
            why = last[5:]
        else:
            why = "exit code %d" % rc
        report = ["FAIL %s: %s (%.1fs)" % (name, why, dt)]
        body = out.strip().splitlines()
        if body:
            report.append("  --- test output")
            report.append(indent("\n".join(body[-TAIL:])))
        for log in sorted(glob.glob(os.path.join(work, "*.log"))):
            with open(log, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            report.append("  --- %s (last %d of %d lines)"
                          % (os.path.basename(log), min(TAIL, len(lines)),
                             len(lines)))
            report.append(indent("\n".join(lines[-TAIL:])))
        report.append("  --- work directory: %s" % work)
        say("\n".join(report))
        tally.add(failed=1)
        keep = True
    if not keep:
        shutil.rmtree(work, ignore_errors=True)


def indent(s):
    return "\n".join("    " + line for line in s.splitlines())


def one(mod, fname):
    """Child mode: runs one e2e test in this process."""
    sys.path.insert(0, E2E)
    import harness
    h = None
    try:
        m = importlib.import_module(mod)
        h = harness.Harness()
        getattr(m, fname)(h)
    except harness.Skip as e:
        print("SKIP %s" % e, flush=True)
        return SKIP_RC
    except BaseException as e:
        traceback.print_exc(file=sys.stdout)
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        print("FAIL %s: %s" % (type(e).__name__, msg[:400]), flush=True)
        return 1
    finally:
        if h is not None:
            h.close()
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--unit", action="store_true", help="unit tests only")
    ap.add_argument("--e2e", action="store_true", help="e2e tests only")
    ap.add_argument("-k", metavar="SUBSTRING",
                    help="only tests whose name contains SUBSTRING")
    ap.add_argument("-j", type=int, default=2, metavar="N",
                    help="tests run at once (default 2)")
    ap.add_argument("--timeout", type=int, default=120,
                    help="seconds before one test counts as hung")
    ap.add_argument("--keep", action="store_true",
                    help="keep every e2e work directory")
    ap.add_argument("--one", nargs=2, metavar=("MODULE", "FUNC"),
                    help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        return one(*a.one)
    do_unit = a.unit or not a.e2e
    do_e2e = a.e2e or not a.unit
    tally = Tally()
    jobs = max(1, a.j)
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        if do_unit:
            futs = [pool.submit(run_unit, n, a.k, a.timeout, tally)
                    for n in unit_binaries()]
            for f in futs:
                f.result()
        if do_e2e:
            futs = []
            for mod, fname, extra in e2e_tests(a.k):
                if fname is None:
                    say("FAIL e2e/%s: does not import\n%s"
                        % (mod, indent(extra)))
                    tally.add(failed=1)
                    continue
                futs.append(pool.submit(run_e2e, mod, fname,
                                        extra or a.timeout, a.keep, tally))
            for f in futs:
                f.result()
    line = "%d passed, %d failed" % (tally.passed, tally.failed)
    if tally.skipped:
        line += ", %d skipped" % tally.skipped
    say("# %.0fs" % (time.monotonic() - t0))
    say(line)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        with _groups_lock:
            for g in list(_groups):
                _killpg(g)
        say("interrupted")
        os._exit(130)
