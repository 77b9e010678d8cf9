"""`make install-files DESTDIR=... PREFIX=/usr` installs what the systemd
unit needs, and the installed unit passes `systemd-analyze verify`: runs
tests/image/test_install.sh (also `make install-test`), which checks each
point and prints one line per check."""

import os
import shutil

from harness import ROOT, Skip, check, run


def test_make_install_and_systemd_unit(h):
    if not shutil.which("systemd-analyze"):
        raise Skip("systemd-analyze is missing (Debian package systemd)")
    rc, out, err = run(["sh", os.path.join(ROOT, "tests", "image",
                                           "test_install.sh")], timeout=300)
    fails = [l for l in out.splitlines() if l.startswith("FAIL")]
    check(rc == 0, "test_install.sh: %s\n%s%s" % (
        ", ".join(fails) or "exit %d" % rc, out[-2000:], err[-1000:]))
