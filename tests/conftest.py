from __future__ import annotations

import pytest

from tests.browser_driver import require_browser
from tests.pbx import RunningPbx


@pytest.fixture
def pbx(tmp_path):
    """A running appliance with its own data directory and SIP port."""
    running = RunningPbx(tmp_path / "var").start()
    yield running
    running.stop()


@pytest.fixture
def pbx_data(tmp_path):
    """An appliance that is not started: for CLI tests without daemons."""
    return RunningPbx(tmp_path / "var")


@pytest.fixture
def browser_ready():
    """Debian's Chromium and playwright-core, or a failure saying what to run."""
    require_browser()
