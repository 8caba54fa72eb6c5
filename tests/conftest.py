from __future__ import annotations

import compileall
import re
from pathlib import Path

import pytest

from tests.browser_driver import require_browser
from tests.pbx import RunningPbx

#: The project's own packages, imported afresh by every process a test starts.
PROJECT_PACKAGES = ("agent", "webadmin", "provisioning_server", "tests")


def pytest_sessionstart(session):
    """Compile the project's modules to bytecode once, before any test.

    Every appliance, CLI call, web worker and media worker a test starts is a
    new Python process importing most of ``agent``. Where bytecode is not
    written on import (PYTHONDONTWRITEBYTECODE is set), each of
    them would compile every module from source again: about half a second
    of CPU per process, thousands of times a run. Python still reads
    bytecode it finds, so writing it once here is enough; it is checked
    against each source's time stamp, as on any import.
    """
    root = Path(__file__).resolve().parent.parent
    for package in PROJECT_PACKAGES:
        compileall.compile_dir(
            root / package, quiet=1, workers=1, rx=re.compile("node_modules")
        )


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
