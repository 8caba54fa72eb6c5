"""Uploaded prompts and greetings: any WAV or MP3 in, the media format out.

The media service plays 8 kHz mono 16-bit PCM WAV (the rate of G.711 and of
the system prompts). An upload is converted with sox into a new file, read
back to check it is that format and not empty, and only then moved into
place, so a bad or huge upload changes nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.errors import InvalidInput, NotFound
from agent.media import music_on_hold
from agent.settings import Settings

SOX = "sox"
# A 10-minute MP3 at 128 kbit/s is under 10 MB; larger is not a prompt.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# A prompt or a piece of music on hold longer than this is a mistake.
MAX_PROMPT_S = 600
SAMPLE_RATE = 8000
CONVERT_TIMEOUT_S = 60
# How an MP3 file starts: an ID3 tag, or an MPEG audio frame sync
# (MPEG-1 or -2 layer III); sox needs to be told, it cannot guess MP3.
MP3_SYNC = {b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
#: Uploaded music on hold, under the data directory.
MUSIC_FOLDER = "prompts/music"


@dataclass(frozen=True)
class PromptInfo:
    name: str
    duration_s: float

    def to_dict(self) -> dict:
        return asdict(self)


def convert(data: bytes, field: str, work_dir: Path) -> Path:
    """Convert audio bytes to the media format; return the new file's path.

    Raises:
        InvalidInput: too large, not audio sox can read, empty or too long.
    """
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(field, "", f"at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
    if not data:
        raise InvalidInput(field, "", "an empty file is no audio")
    work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        source = Path(tmp) / "upload"
        source.write_bytes(data)
        kind = "mp3" if data[:3] == b"ID3" or data[:2] in MP3_SYNC else None
        fd, name = tempfile.mkstemp(dir=work_dir, suffix=".wav")
        os.close(fd)
        target = Path(name)
        command = [SOX, "-V1"]
        if kind:
            command += ["-t", kind]
        command += [
            str(source),
            "-r",
            str(SAMPLE_RATE),
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed-integer",
            str(target),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=CONVERT_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired):
            target.unlink(missing_ok=True)
            raise InvalidInput(
                field, "", "could not be converted (run make deps)"
            ) from None
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            raise InvalidInput(field, "", "not audio: a WAV or MP3 file is needed")
    try:
        duration = _check(target)
    except InvalidInput:
        target.unlink(missing_ok=True)
        raise
    if not 0 < duration <= MAX_PROMPT_S:
        target.unlink(missing_ok=True)
        raise InvalidInput(field, "", f"audio of 0 to {MAX_PROMPT_S} seconds")
    return target


def _check(path: Path) -> float:
    try:
        with wave.open(str(path)) as wav:
            ok = (
                wav.getframerate() == SAMPLE_RATE
                and wav.getnchannels() == 1
                and wav.getsampwidth() == 2
            )
            duration = wav.getnframes() / SAMPLE_RATE
    except (wave.Error, EOFError):
        ok, duration = False, 0.0
    if not ok:
        raise InvalidInput("file", "", "not audio: a WAV or MP3 file is needed")
    return duration


class _AudioFolder:
    """Uploaded audio files by name in one folder of the data tree."""

    #: The folder under the data directory.
    folder = ""
    #: What the audit log calls one file.
    kind = ""

    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor

    @property
    def directory(self) -> Path:
        return self.settings.data_dir / self.folder

    def list(self) -> list[PromptInfo]:
        self.actor.require(Permission.VIEW_MEDIA)
        return [
            PromptInfo(path.stem, round(_check(path), 1))
            for path in sorted(self.directory.glob("*.wav"))
        ]

    def upload(self, name: str, data: bytes) -> PromptInfo:
        self.actor.require(Permission.MANAGE_MEDIA)
        if not _NAME.fullmatch(name or ""):
            raise InvalidInput("name", name, "letters, digits, - and _ (up to 64)")
        converted = convert(data, "file", self.directory / ".incoming")
        target = self.directory / f"{name}.wav"
        existed = target.exists()
        os.replace(converted, target)
        info = PromptInfo(name, round(_check(target), 1))
        self._changed()
        audit.record(
            self.actor,
            "update" if existed else "create",
            self.kind,
            name,
            None,
            info.to_dict(),
        )
        return info

    def remove(self, name: str) -> None:
        self.actor.require(Permission.MANAGE_MEDIA)
        target = self.directory / f"{name}.wav"
        if not _NAME.fullmatch(name or "") or not target.exists():
            raise NotFound(f"{self.kind} {name} does not exist", field="name")
        self._check_unused(name)
        target.unlink()
        self._changed()
        audit.record(self.actor, "delete", self.kind, name, None, None)

    def _check_unused(self, name: str) -> None:
        """Refuse to remove a file something still plays."""

    def _changed(self) -> None:
        """A file was added, replaced or removed."""


class PromptService(_AudioFolder):
    """Prompts uploaded for IVR menus, in ``<data>/prompts/NAME.wav``."""

    folder = "prompts"
    kind = "prompt"

    def _check_unused(self, name: str) -> None:
        from agent.db.models import IvrMenu, PageBroadcast

        users = [m.number for m in IvrMenu.select().where(IvrMenu.prompt == name)]
        if users:
            raise InvalidInput(
                "name", name, "still the prompt of IVR menu " + ", ".join(users)
            )
        reference = f"upload:{name}"
        where = PageBroadcast.prompt == reference
        broadcasts = [b.name for b in PageBroadcast.select().where(where)]
        if broadcasts:
            raise InvalidInput(
                "name", name, "still the prompt of broadcast " + ", ".join(broadcasts)
            )


class MusicService(_AudioFolder):
    """Music on hold uploaded by the owner, in ``<data>/prompts/music/NAME.wav``.

    It lives under ``prompts/`` so that a backup carries it with the prompts.
    Once any is uploaded it replaces Debian's music (``prompts.music_on_hold``).
    """

    folder = MUSIC_FOLDER
    kind = "music"

    def _check_unused(self, name: str) -> None:
        # A queue is the only thing that names one piece: the site's hold
        # music (``moh.enabled``) plays every upload, so it loses one piece
        # and goes on with the rest, or with Debian's music.
        from agent.db.models import CallQueue

        where = CallQueue.music == name
        users = [q.number for q in CallQueue.select().where(where)]
        if users:
            raise InvalidInput(
                "name", name, "still the music of queue " + ", ".join(users)
            )

    def _changed(self) -> None:
        # The next hold plays the new music.
        music_on_hold.refresh(self.settings)
