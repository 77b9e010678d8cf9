"""DTLS 1.2 PSK cipher suites (issue: "the suite LwM2M mandates
(TLS_PSK_WITH_AES_128_CCM_8) as well as the common PSK AES-GCM/CBC
suites"), checked with a peer nobody here wrote: openssl s_client. The CBC
suites depend on server/dtls_ciphers.c (libcoap 4.3.1 leaves them out)."""

import shutil
import subprocess

from harness import Skip, check

KEY = "00112233445566778899aabbccddeeff"

SUITES = [
    "PSK-AES128-CCM8",              # LwM2M's mandatory suite
    "PSK-AES128-GCM-SHA256",
    "PSK-AES128-CCM",
    "PSK-AES128-CBC-SHA256",        # CoAP's mandatory PSK suite (RFC 7252)
    "ECDHE-PSK-AES128-CBC-SHA256",
    "PSK-AES256-CBC-SHA384",
]


def _handshake(port, cipher, key=KEY):
    r = subprocess.run(
        ["openssl", "s_client", "-dtls1_2", "-connect", "127.0.0.1:%d" % port,
         "-psk_identity", "id-c", "-psk", key, "-cipher", cipher],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=60)
    return r.stdout


def test_psk_suites_negotiate(h):
    if not shutil.which("openssl"):
        raise Skip("openssl not installed")
    srv = h.server(allow_nosec=False)
    srv.device_add("dtls-c", "id-c", KEY)
    for suite in SUITES:
        out = _handshake(srv.coaps_port, suite)
        # s_client prints the session even when an alert ends the
        # handshake: a completed one has the suite and no alert.
        check("Cipher is %s" % suite in out and " alert " not in out,
              "DTLS handshake with %s: %s" % (suite, out[-300:]))
    check(srv.alive(), "nusimd still serving")


def test_unknown_identity_gets_no_session(h):
    if not shutil.which("openssl"):
        raise Skip("openssl not installed")
    srv = h.server(allow_nosec=False)
    out = _handshake(srv.coaps_port, "PSK-AES128-CCM8")
    check("alert unknown psk identity" in out,
          "an identity nobody provisioned is refused: %s" % out[-300:])
    srv.wait_log(r'msg="psk refused".*identity=id-c')
    check(srv.alive(), "nusimd still serving")
