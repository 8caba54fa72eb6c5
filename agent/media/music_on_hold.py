"""The music a held party hears, as the one file the media relay plays.

rtpengine plays a single file into a call (agent/sip/hold.py). The site's
music is several pieces (the owner's uploads, else Debian's opsound files,
``prompts.music_on_hold``), so the agent joins them, in name order, into
``cache/music-on-hold.wav`` under the data directory: G.711 mu-law at
8 kHz, what a phone gets anyway, half the size of 16-bit PCM, and a format
rtpengine's decoder reads as it is. It is built when the agent starts and
whenever the music or the owner's setting changes, never at a hold; a
note beside it lists the pieces it was built from, so an unchanged site
does not build it again. The cache is not backed up: it is made again from
the music, which is.

The owner may turn music on hold off (system setting ``moh.enabled``); the
file is then removed, and a held party hears silence, as before.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from pathlib import Path

from agent import audit, system_settings
from agent.accounts.roles import Permission, Principal
from agent.errors import InvalidInput
from agent.media import prompts
from agent.settings import Settings

log = logging.getLogger("edgepbx.media")

SETTING = "moh.enabled"
CACHE_DIR = "cache"
FILE_NAME = "music-on-hold.wav"
NOTE_NAME = "music-on-hold.json"
SOX = "sox"
# Joining Debian's 18 minutes of music takes about 0.15 s here.
SOX_TIMEOUT_S = 120


def music_file(settings: Settings) -> Path:
    """Where the joined music lives: the path Kamailio's routing is given."""
    return settings.data_dir / CACHE_DIR / FILE_NAME


def is_enabled() -> bool:
    return bool(system_settings.get(SETTING, True))


def shown_to(actor: Principal) -> bool:
    """Whether held calls hear music, for someone who may see the media."""
    actor.require(Permission.VIEW_MEDIA)
    return is_enabled()


def _sources(settings: Settings) -> list[dict]:
    found = []
    for path in prompts.music_on_hold(settings.data_dir):
        stat = path.stat()
        found.append(
            {"path": str(path), "size": stat.st_size, "mtime": stat.st_mtime_ns}
        )
    return found


def refresh(settings: Settings) -> Path | None:
    """Make the music file match the site's music and setting.

    Returns the file, or None when there is none (off, no music, or sox
    failed, which is logged): holds are then silent.
    """
    target = music_file(settings)
    note = target.with_name(NOTE_NAME)
    sources = _sources(settings) if is_enabled() else []
    if not sources:
        target.unlink(missing_ok=True)
        note.unlink(missing_ok=True)
        return None
    try:
        current = json.loads(note.read_text()) == sources and target.is_file()
    except (OSError, ValueError):
        current = False
    if current:
        return target

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(".building-" + FILE_NAME)
    command = [shutil.which(SOX) or SOX, *(s["path"] for s in sources)]
    command += ["-r", "8000", "-c", "1", "-e", "u-law", "-t", "wav", str(partial)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=SOX_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as exc:
        partial.unlink(missing_ok=True)
        stderr = getattr(exc, "stderr", b"") or b""
        detail = stderr.decode(errors="replace").strip() or str(exc)
        log.warning("music on hold: not built, holds stay silent: %s", detail)
        return None
    os.replace(partial, target)
    note.write_text(json.dumps(sources))
    log.info("music on hold: built from %d pieces of music", len(sources))
    return target


def set_enabled(settings: Settings, actor: Principal, enabled: bool) -> bool:
    """Turn music on hold on or off; the next hold follows. Returns it."""
    actor.require(Permission.MANAGE_MEDIA)
    if not isinstance(enabled, bool):
        raise InvalidInput("enabled", str(enabled), "true or false")
    before = is_enabled()
    system_settings.put(SETTING, enabled)
    refresh(settings)
    if before != enabled:
        audit.record(
            actor,
            "update",
            "music-on-hold",
            "setting",
            {"enabled": before},
            {"enabled": enabled},
        )
    return enabled
