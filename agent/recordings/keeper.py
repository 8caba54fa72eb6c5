"""The agent's thread that turns each finished call's capture into audio.

rtpengine moves a recorded call's metadata file into ``capture/metadata/``
when the call is deleted (its BYE); this thread finds it there, right after
the call's end event and in any case every few seconds, writes the WAV file
under ``recordings/``, names it in the call's record and removes the raw
capture. A capture that cannot be read is set aside (renamed ``.failed``)
with a warning, never tried again and again.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from pathlib import Path

from agent.db import database
from agent.recordings import capture, service
from agent.trunks.models import CallRecord

log = logging.getLogger("edgepbx.recordings")

# How often the capture directory is looked at without a call's end: a
# call ended while the agent was down, or whose end event was lost.
SCAN_INTERVAL_S = 5.0
# The end event comes from Kamailio's BYE handling, just before Kamailio
# tells rtpengine to delete the call: a moment later the capture is closed.
AFTER_END_S = 0.5
# rtpengine-meta-<call-id>-<16 hex digits>.txt
METADATA_NAME = re.compile(r"rtpengine-meta-(?P<call_id>.+)-[0-9a-f]{16}\.txt")


class RecordingKeeper:
    def __init__(self, capture_dir: Path, recordings_dir: Path) -> None:
        self.capture_dir = capture_dir
        self.recordings_dir = recordings_dir
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="recordings", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def on_call_event(self, event: dict) -> None:
        """A call's end: its capture will be finished in a moment."""
        if event.get("event") == "ended":
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._wake.wait(SCAN_INTERVAL_S):
                self._wake.clear()
                time.sleep(AFTER_END_S)
            try:
                self.scan()
            except Exception:  # the next scan tries again
                log.exception("recordings: scan failed")

    def scan(self) -> list[str]:
        """Make every finished capture an audio file; the files' names."""
        made = []
        for path in sorted((self.capture_dir / "metadata").glob("*.txt")):
            name = self.finish(path)
            if name:
                made.append(name)
        return made

    def finish(self, metadata: Path) -> str | None:
        match = METADATA_NAME.fullmatch(metadata.name)
        call_id = match.group("call_id") if match else metadata.stem
        try:
            meta = capture.read_metadata(metadata)
            packets = capture.read_pcap(meta.pcap) if meta.pcap.exists() else []
            mixdown = capture.mix(meta, packets)
        except (OSError, ValueError) as exc:
            log.warning("recording of call %s: capture unreadable: %s", call_id, exc)
            metadata.rename(metadata.with_suffix(".failed"))
            return None
        name = None
        if mixdown.seconds > 0:
            name = self._write(call_id, mixdown, packets[0].at)
        else:
            log.info("recording of call %s: no audio (never answered)", call_id)
        meta.pcap.unlink(missing_ok=True)
        metadata.unlink(missing_ok=True)
        return name

    def _write(self, call_id: str, mixdown: capture.Mixdown, began: float) -> str:
        row = CallRecord.get_or_none(CallRecord.call_id == call_id)
        started = row.started_at if row is not None else began
        name = service.file_name(row, call_id, started)
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        target = self.recordings_dir / name
        if target.exists():  # two calls in one second with the same tag
            name = f"{target.stem}-{int(time.time() * 1000) % 100000}.wav"
            target = self.recordings_dir / name
        partial = target.with_suffix(".part")
        capture.write_wav(mixdown, partial)
        partial.replace(target)
        if row is not None:
            with database.atomic():
                CallRecord.update(recording=name).where(
                    CallRecord.call_id == call_id
                ).execute()
        else:
            log.warning("recording of call %s: no call record to link", call_id)
        skipped = (
            f", {mixdown.undecoded_packets} packets of a codec not decoded"
            if mixdown.undecoded_packets
            else ""
        )
        log.info(
            "recording of call %s: %s, %.0f s%s",
            call_id,
            name,
            mixdown.seconds,
            skipped,
        )
        return name
