"""Running the Playwright drivers of tests/browser against an appliance.

The browser is Debian's ``chromium`` driven by ``playwright-core`` from npm
(installed by ``make browser-deps``, which ``make test`` runs); no browser is
downloaded. A driver prints one JSON object, which ``run`` returns.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

BROWSER_DIR = Path(__file__).with_name("browser")
CHROMIUM = Path("/usr/bin/chromium")
# Chromium's start and a handful of page loads; a hung browser fails the test.
BROWSER_TIMEOUT_S = 120


def require_browser() -> None:
    """Fail with what to run when the browser or its driver is missing."""
    missing = []
    if not CHROMIUM.exists():
        missing.append("Debian's chromium")
    if shutil.which("node") is None:
        missing.append("node")
    if not (BROWSER_DIR / "node_modules" / "playwright-core").exists():
        missing.append("playwright-core in tests/browser")
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run make browser-deps")


def run(driver: str, pbx, **inputs: str) -> dict:
    """Run tests/browser/<driver> against pbx with EDGEPBX_* inputs."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(pbx.data_dir),
        "EDGEPBX_URL": pbx.https_url,
        **{f"EDGEPBX_{name.upper()}": value for name, value in inputs.items()},
    }
    result = subprocess.run(
        ["node", str(BROWSER_DIR / driver)],
        cwd=BROWSER_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=BROWSER_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr + pbx.log()
    return json.loads(result.stdout.strip().splitlines()[-1])
