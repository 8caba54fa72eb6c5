"""A small sampler of the appliance's health: disk, processor, memory.

Once a minute it reads the data partition's use (``statvfs``), the
processors' busy share since the last sample (``/proc/stat``) and the memory
in use (``/proc/meminfo``'s MemAvailable), and raises an event when one
crosses its threshold (``agent.events.settings.EventOptions``). An event is
raised once per crossing: it is raised again only after the value fell back
below the threshold by ``HYSTERESIS_PERCENT``, so a value hovering at the
line does not raise one a minute.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from agent.events import catalogue
from agent.events.record import raise_event
from agent.events.settings import EventOptions

log = logging.getLogger("edgepbx.events")

SAMPLE_INTERVAL_S = 60.0
HYSTERESIS_PERCENT = 5
PROC_STAT = Path("/proc/stat")
PROC_MEMINFO = Path("/proc/meminfo")


def disk_percent(path: Path) -> float:
    stats = os.statvfs(path)
    total = stats.f_blocks * stats.f_frsize
    free = stats.f_bavail * stats.f_frsize
    return 100.0 * (total - free) / total if total else 0.0


def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of all processors since boot."""
    fields = [int(x) for x in PROC_STAT.read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])
    return total - idle, total


def memory_percent() -> float:
    values = {}
    for line in PROC_MEMINFO.read_text().splitlines():
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0]) if rest.split() else 0
    total = values.get("MemTotal", 0)
    available = values.get("MemAvailable", total)
    return 100.0 * (total - available) / total if total else 0.0


class Sampler:
    def __init__(self, data_dir: Path, interval_s: float = SAMPLE_INTERVAL_S) -> None:
        self.data_dir = Path(data_dir)
        self.interval_s = interval_s
        self._next = 0.0
        self._cpu_before: tuple[int, int] | None = None
        self._raised: set[str] = set()

    def tick(self, options: EventOptions) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.interval_s
        self.sample(options)

    def sample(self, options: EventOptions) -> None:
        self._check(
            catalogue.DISK_NEARLY_FULL,
            disk_percent(self.data_dir),
            options.disk_percent,
            "data partition",
        )
        busy, total = cpu_times()
        if self._cpu_before is not None and total > self._cpu_before[1]:
            share = 100.0 * (busy - self._cpu_before[0]) / (total - self._cpu_before[1])
            self._check(catalogue.CPU_HIGH, share, options.cpu_percent, "processors")
        self._cpu_before = (busy, total)
        self._check(
            catalogue.MEMORY_HIGH, memory_percent(), options.memory_percent, "memory"
        )

    def _check(self, kind: str, value: float, threshold: int, what: str) -> None:
        if value >= threshold and kind not in self._raised:
            self._raised.add(kind)
            log.warning("%s: %.0f%% used, over %d%%", what, value, threshold)
            raise_event(
                kind,
                f"{what} {value:.0f}% used (threshold {threshold}%)",
                object=what,
                details={"percent": round(value, 1), "threshold": threshold},
            )
        elif value < threshold - HYSTERESIS_PERCENT:
            self._raised.discard(kind)
