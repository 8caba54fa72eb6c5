"""The device's console shows where to point a browser and a phone, and the
first administrator's one-time password until it has done its job.

A real appliance: the agent writes the banner when every daemon answers;
the image links it into /etc/issue.d, where agetty shows it above the login
prompt (rootfs/etc/issue.d/edgepbx.issue).
"""

from __future__ import annotations

import os
import re
import stat
import time

from tests.pbx import RunningPbx
from tests.webclient import CHOSEN_PASSWORD, client

# The agent looks at the first sign-in every 5 s.
BANNER_FOLLOWS_S = 15.0
_PASSWORD = re.compile(r"one-time password +(\S+)")


def banner(pbx) -> str:
    """The banner, once the agent has written it: it does so on the round
    of its loop that finds every daemon answering, which may come just
    after the status command already says ready."""
    path = pbx.data_dir / "run" / "console.issue"
    deadline = time.monotonic() + BANNER_FOLLOWS_S
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    return path.read_text()


def wait_banner_without(pbx, text: str) -> str:
    deadline = time.monotonic() + BANNER_FOLLOWS_S
    shown = banner(pbx)
    while text in shown and time.monotonic() < deadline:
        time.sleep(0.5)
        shown = banner(pbx)
    return shown


def test_the_console_shows_the_first_sign_in_until_the_password_is_chosen(tmp_path):
    pbx = RunningPbx(tmp_path / "var").start()
    try:
        shown = banner(pbx)
        mode = stat.S_IMODE(os.stat(pbx.data_dir / "run" / "console.issue").st_mode)
        found = _PASSWORD.search(shown)
        assert found, shown
        password = found.group(1)
        web = client(pbx)
        signed = web.sign_in("admin", password)
        changed = web.change_password(password, CHOSEN_PASSWORD)
        after = wait_banner_without(pbx, password)
    finally:
        pbx.stop()

    assert mode == 0o600
    assert f"https://127.0.0.1:{pbx.https_port}" in shown
    assert "Sign in as           admin" in shown
    assert f"port {pbx.sip_port}" in shown
    assert signed.location == "/password" and changed.status == 303
    assert password not in after
    assert "Forgot the password? edgepbx admin reset-password" in after


def test_a_reset_password_takes_the_old_one_off_the_console(pbx):
    before = banner(pbx)
    found = _PASSWORD.search(before)
    assert found, before

    reset = pbx.cli("admin", "reset-password", "--json")
    after = wait_banner_without(pbx, found.group(1))

    assert reset.returncode == 0, reset.stderr
    assert found.group(1) not in after
    assert "a new one:" in after and "edgepbx admin reset-password" in after
