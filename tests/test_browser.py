"""A person's first visit to the web admin, in a real headless Chromium.

The browser is Debian's ``chromium`` driven by Playwright (``playwright-core``
from npm, installed by ``make browser-deps``, which ``make test`` runs); no
browser is downloaded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.sipraw import SipClient
from tests.webclient import one_time_password

BROWSER_DIR = Path(__file__).with_name("browser")
DRIVER = BROWSER_DIR / "first_signin.mjs"
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TIMEOUT_S = 120


@pytest.fixture
def browser_ready():
    missing = []
    if not CHROMIUM.exists():
        missing.append("Debian's chromium")
    if shutil.which("node") is None:
        missing.append("node")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").exists():
        missing.append("playwright-core in tests/browser")
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run make browser-deps")


def test_first_sign_in_password_change_and_a_new_extension_in_chromium(
    pbx, browser_ready
):
    password = one_time_password(pbx)
    run = subprocess.run(
        ["node", str(DRIVER)],
        cwd=BROWSER_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(pbx.data_dir),
            "EDGEPBX_URL": pbx.https_url,
            "EDGEPBX_ONE_TIME_PASSWORD": password,
            "EDGEPBX_NEW_PASSWORD": "Browser-Chosen-2026",
            "EDGEPBX_EXTENSION": "101",
        },
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
    )
    assert run.returncode == 0, run.stderr + pbx.log()
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        registered = phone.send_with_auth(
            "REGISTER", f"sip:127.0.0.1:{pbx.sip_port}", "101", seen["sipPassword"]
        )

    assert "/signin?next=" in seen["signInUrl"]
    assert seen["passwordUrl"].endswith("/password")
    assert len(seen["sipPassword"]) >= 12
    assert seen["copyVisible"]
    assert seen["listed"] == ["101"]
    assert seen["consoleErrors"] == []
    assert registered.status == 200
