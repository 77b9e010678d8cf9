"""Interop with a client nobody here wrote: lwm2m-node-lib 1.4.0 (npm)
registers with nusimd over NoSec CoAP, answers a Read, and takes a Write,
all through the REST API. Installed into tests/interop/node_modules from
tests/interop/package.json; skipped only when node/npm is missing or the
install itself fails."""

import base64
import os
import shutil
import subprocess

from harness import ROOT, Skip, _spawn, check, check_eq, LogFile, workdir

INTEROP = os.path.join(ROOT, "tests", "interop")
TIMEOUT = 240


def _ensure_installed():
    if os.path.isdir(os.path.join(INTEROP, "node_modules", "lwm2m-node-lib")):
        return
    if not shutil.which("node") or not shutil.which("npm"):
        raise Skip("node or npm not installed")
    try:
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund"],
                           cwd=INTEROP, capture_output=True, text=True,
                           timeout=180)
    except subprocess.TimeoutExpired:
        raise Skip("npm install of lwm2m-node-lib timed out")
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-1:] or ["?"]
        raise Skip("npm install of lwm2m-node-lib failed: " + tail[0])


class _Stopper:
    """Lets the harness stop the node process (SIGTERM: it de-registers)."""

    def __init__(self, p):
        self.p = p

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()


def _value(j, path):
    for v in j.get("values", []):
        if v["path"] == path:
            return str(v["value"])
    if "raw" in j:  # a device that sends no Content-Format
        return base64.b64decode(j["raw"]).decode(errors="replace")
    return None


def test_node_lwm2m_client(h):
    _ensure_installed()
    srv = h.server()
    log = LogFile(os.path.join(workdir(), "node-client.log"))
    p = _spawn(["node", os.path.join(INTEROP, "node-client.js"), "127.0.0.1",
                str(srv.coap_port), "node-1"], log.path)
    h.clients.append(_Stopper(p))
    log.wait(r"registered location=", 20, proc=p)
    reg = srv.wait_registered("node-1")
    check_eq(reg["version"], "1.0", "node client registers as LwM2M 1.0")
    check("/3/0" in reg["objects"], "its /3/0 is listed: %r" % reg)

    r = srv.lwm2m("GET", "node-1", "3/0/0", query="format=text")
    check_eq(r.status, 200, "Read /3/0/0 from the node client (%r)" % r)
    check_eq(_value(r.json, "/3/0/0"), "Interop Maker", "manufacturer")
    log.wait(r"read /3/0/0", 5)

    r = srv.lwm2m("PUT", "node-1", "3/0/14", "+02:00", query="format=text")
    check_eq(r.status, 200, "Write /3/0/14 to the node client (%r)" % r)
    check_eq(r.json.get("code"), "2.04", "Write code")
    log.wait(r"write /3/0/14 \+02:00", 5)
    r = srv.lwm2m("GET", "node-1", "3/0/14", query="format=text")
    check_eq(_value(r.json, "/3/0/14"), "+02:00", "written value read back")
