"""Where the media service finds the audio it plays.

System prompts are Debian's ``asterisk-core-sounds-en-wav`` and music on hold
is ``asterisk-moh-opsound-wav`` unless the owner uploaded their own: real
recordings, 8 kHz 16-bit mono WAV, which pjmedia plays without conversion.
Both are in debian-packages.txt.
Recorded greetings live in the data tree under ``voicemail/``.
"""

from __future__ import annotations

from pathlib import Path

#: Debian's English system prompts (file names as the package ships them).
SYSTEM_PROMPTS_DIR = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
#: Debian's music on hold.
MUSIC_ON_HOLD_DIR = Path("/usr/share/asterisk/moh")


class PromptMissing(LookupError):
    """A system prompt is not installed (run make deps)."""


def system_prompt(name: str) -> Path:
    """The WAV of a system prompt by its name without extension."""
    path = SYSTEM_PROMPTS_DIR / f"{name}.wav"
    if not path.is_file():
        raise PromptMissing(f"system prompt {name} is not installed at {path}")
    return path


def digit_prompts(number: int | str) -> list[Path]:
    """A number said digit by digit ("one zero one") or, up to 20, as a word."""
    text = str(number)
    if text.isdigit() and int(text) <= 20 and not (len(text) > 1 and text[0] == "0"):
        return [SYSTEM_PROMPTS_DIR / "digits" / f"{int(text)}.wav"]
    return [SYSTEM_PROMPTS_DIR / "digits" / f"{d}.wav" for d in text if d.isdigit()]


def music_on_hold(data_dir: Path | None = None) -> list[Path]:
    """The music callers on hold hear: the owner's uploads, else Debian's."""
    if data_dir is not None:
        # The same folder as agent.media.uploads.MUSIC_FOLDER.
        uploaded = sorted((data_dir / "prompts" / "music").glob("*.wav"))
        if uploaded:
            return uploaded
    return sorted(MUSIC_ON_HOLD_DIR.glob("*.wav"))
