"""The web admin on a phone-sized screen, laid out by a real Chromium.

Driven by ``tests/browser/narrow_screen.mjs`` (Playwright with Debian's
``chromium``, as in ``tests/test_browser.py``); the screenshots it takes are
kept in the test's temporary directory for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.webclient import signed_in

BROWSER_DIR = Path(__file__).with_name("browser")
DRIVER = BROWSER_DIR / "narrow_screen.mjs"
CHROMIUM = Path("/usr/bin/chromium")
BROWSER_TIMEOUT_S = 120
LONG_NAME = "Reception and visitor desk, ground floor, building B"


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


def test_lists_fit_a_phone_screen_without_hiding_a_column(pbx, browser_ready, tmp_path):
    web = signed_in(pbx)
    for number, email in (("101", "reception.visitors@example.com"), ("102", "")):
        web.post_form(
            "/extensions/new",
            {"number": number, "display_name": LONG_NAME, "email": email},
        )
    web.post_form(
        "/extensions/101",
        {"display_name": "Front", "email": "front.desk.long.address@example.com"},
    )
    run = subprocess.run(
        ["node", str(DRIVER)],
        cwd=BROWSER_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(pbx.data_dir),
            "EDGEPBX_URL": pbx.https_url,
            "EDGEPBX_SESSION": web.cookies["__Host-edgepbx_session"],
            "EDGEPBX_SCREENSHOTS": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
    )
    assert run.returncode == 0, run.stderr + pbx.log()
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    for page in ("extensions", "audit"):
        assert not seen[page]["pageScrollsSideways"], (page, tmp_path)
        assert not seen[page]["tableScrollsSideways"], (page, tmp_path)
        assert all(seen[page]["shown"].values()), (page, seen[page], tmp_path)
