"""The Monitor page live in a real headless Chromium while real phones call.

The page is opened once; everything it shows afterwards arrives over its
event stream. The driver (tests/browser/monitor_live.mjs) reports each state
as it sees it, and the phones take their next step only then.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading

from tests import browser_driver
from tests.sipphone import Phone
from tests.webclient import signed_in

# Each state must reach the page within the driver's step timeout (15 s);
# this is only the bound for a driver that stopped talking altogether.
LINE_TIMEOUT_S = 30


class Driver:
    """A browser driver run in the background, read line by line."""

    def __init__(self, pbx, **inputs: str) -> None:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(pbx.data_dir),
            "EDGEPBX_URL": pbx.https_url,
            **{f"EDGEPBX_{k.upper()}": v for k, v in inputs.items()},
        }
        self.process = subprocess.Popen(
            ["node", str(browser_driver.BROWSER_DIR / "monitor_live.mjs")],
            cwd=browser_driver.BROWSER_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def next(self) -> dict:
        line = self.lines.get(timeout=LINE_TIMEOUT_S)
        if line is None:
            self.process.wait(10)
            raise AssertionError(f"driver ended: {self.process.stderr.read()}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


def test_the_monitor_page_follows_a_call_live_in_chromium(pbx, browser_ready):
    passwords = {n: pbx.add_extension(n) for n in ("101", "102")}
    web = signed_in(pbx, "operator")
    session = web.cookies["__Host-edgepbx_session"]

    def phone(number: str, tone_hz: int, **kw) -> Phone:
        return Phone(
            number,
            passwords[number],
            server="127.0.0.1",
            port=pbx.sip_port,
            tone_hz=tone_hz,
            **kw,
        )

    with (
        phone("101", 697) as alice,
        phone("102", 1209, answer_incoming="ring") as bob,
    ):
        assert (alice.register(), bob.register()) == (200, 200)
        driver = Driver(pbx, session=session, caller="101", callee="102")
        try:
            live = driver.next()
            call = alice.call("102")
            incoming = bob.wait_incoming()
            ringing = driver.next()
            incoming.answer()
            call.wait_confirmed()
            in_use = driver.next()
            call.hangup()
            incoming.wait_disconnected()
            seen = driver.next()
        finally:
            driver.close()

    assert live == {"step": "live", "caller": "idle", "callee": "idle"}
    assert ringing["step"] == "ringing" and ringing["callee"] == "ringing"
    assert [row[:5] for row in ringing["calls"]] == [
        ["101", "102", "internal", "-", "ringing"]
    ]
    assert in_use["caller"] == in_use["callee"] == "in use"
    assert [row[:5] for row in in_use["calls"]] == [
        ["101", "102", "internal", "-", "answered"]
    ]
    assert in_use["calls"][0][5] != seen["durationBefore"]  # the duration runs
    assert seen["idle"] == {"caller": "idle", "callee": "idle", "calls": []}
    assert seen["navigations"] == 1  # one page load: the rest came by the stream
    assert seen["consoleErrors"] == []
