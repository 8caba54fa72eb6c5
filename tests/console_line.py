"""A serial line for the console in tests: a pseudo-terminal pair.

The console opens the pair's far end with pyserial, as it opens
/dev/ttyAMA0 on the device; the test types into and reads from the near
end, as a person at a serial terminal would.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import subprocess
import time

READ_CHUNK = 4096
EXPECT_TIMEOUT_S = 20.0


class SerialLine:
    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.device = os.ttyname(self.slave)
        self.seen = ""
        #: All the console wrote, matched or not.
        self.everything = ""
        self.process: subprocess.Popen | None = None

    def start(self, command: list[str], env: dict[str, str]) -> SerialLine:
        self.process = subprocess.Popen(
            [*command, "--serial", self.device],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        return self

    def expect(self, pattern: str, timeout_s: float = EXPECT_TIMEOUT_S) -> re.Match:
        """Read until pattern shows up after what was matched before."""
        deadline = time.monotonic() + timeout_s
        regex = re.compile(pattern)
        while True:
            found = regex.search(self.seen)
            if found:
                self.seen = self.seen[found.end() :]
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                shown = self.seen[-1500:]
                raise AssertionError(f"no {pattern!r} in the output:\n{shown}")
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                text = os.read(self.master, READ_CHUNK).decode("utf-8", "replace")
                self.seen += text
                self.everything += text

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def choose(self, key: str) -> None:
        self.expect(r"choose: ")
        self.type(key)

    def close(self) -> str:
        """Stop the console; what it wrote to standard error."""
        errors = ""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            try:
                _, errors = self.process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                _, errors = self.process.communicate()
        for fd in (self.master, self.slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self.slave = -1
        self.process = None
        return errors or ""
