"""``edgepbx prompt``: prompts uploaded for IVR menus, ``edgepbx music``: music
on hold (and whether held calls hear it, agent/media/music_on_hold.py), and
mailbox greetings set from a file (agent/media/uploads.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli.parsers import command, one_of
from agent.errors import InvalidInput
from agent.media import music_on_hold
from agent.media.uploads import MAX_UPLOAD_BYTES, MusicService, PromptService
from agent.voicemail.service import VoicemailService

EXIT_OK = 0


def _read(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise InvalidInput("file", path, "no such file")
    if file.stat().st_size > MAX_UPLOAD_BYTES:
        raise InvalidInput("file", path, f"at most {MAX_UPLOAD_BYTES // 2**20} MB")
    return file.read_bytes()


def _folder(app: Appliance, args: argparse.Namespace) -> PromptService | MusicService:
    kind = MusicService if args.command == "music" else PromptService
    return kind(app.settings, CONSOLE)


def prompt_upload(app: Appliance, args: argparse.Namespace) -> int:
    info = _folder(app, args).upload(args.name, _read(args.file))
    if args.json:
        print(json.dumps(info.to_dict()))
    else:
        print(f"{args.command} {info.name}: {info.duration_s} s")
    return EXIT_OK


def prompt_list(app: Appliance, args: argparse.Namespace) -> int:
    prompts = _folder(app, args).list()
    if args.json:
        print(json.dumps([p.to_dict() for p in prompts], indent=2))
        return EXIT_OK
    if not prompts:
        print(f"no uploaded {args.command}")
    for p in prompts:
        print(f"{p.name:<32} {p.duration_s:>7} s")
    return EXIT_OK


def prompt_remove(app: Appliance, args: argparse.Namespace) -> int:
    _folder(app, args).remove(args.name)
    done = f"{args.command} removed"
    print(json.dumps({"removed": args.name}) if args.json else done)
    return EXIT_OK


def music_on_hold_switch(app: Appliance, args: argparse.Namespace) -> int:
    if args.state is not None:
        music_on_hold.set_enabled(app.settings, CONSOLE, args.state == "on")
    enabled = music_on_hold.is_enabled()
    if args.json:
        print(json.dumps({"enabled": enabled}))
    else:
        print("music on hold: " + ("on" if enabled else "off"))
    return EXIT_OK


def greeting_set(app: Appliance, args: argparse.Namespace) -> int:
    info = VoicemailService(app.settings, CONSOLE).upload_greeting(
        args.extension, args.reason, _read(args.file)
    )
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
    else:
        print(f"mailbox {info.extension}: {args.reason} greeting set")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    prompt = sub.add_parser("prompt", help="prompts for IVR menus (WAV or MP3)")
    prompt_sub = prompt.add_subparsers(dest="action", required=True, metavar="ACTION")

    p = command(prompt_sub, "upload", prompt_upload, "add or replace a prompt")
    p.add_argument("name")
    p.add_argument("file", help="a WAV or MP3 file")
    command(prompt_sub, "list", prompt_list, "list uploaded prompts")
    p = command(prompt_sub, "remove", prompt_remove, "remove a prompt no menu uses")
    p.add_argument("name")

    music = sub.add_parser("music", help="music on hold (WAV or MP3)")
    music_sub = music.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = command(music_sub, "upload", prompt_upload, "add or replace a piece of music")
    p.add_argument("name")
    p.add_argument("file", help="a WAV or MP3 file")
    command(music_sub, "list", prompt_list, "list uploaded music (else Debian's)")
    p = command(music_sub, "remove", prompt_remove, "remove a piece of music")
    p.add_argument("name")
    p = command(
        music_sub, "on-hold", music_on_hold_switch, "whether held calls hear music"
    )
    one_of(p, "state", ("on", "off"), "turn it on or off", nargs="?")

    greeting = sub.add_parser("greeting", help="mailbox greetings from a file")
    greeting_sub = greeting.add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    p = command(greeting_sub, "set", greeting_set, "set a greeting from a file")
    p.add_argument("extension")
    one_of(p, "reason", ("busy", "unavailable"), "busy or unavailable")
    p.add_argument("file", help="a WAV or MP3 file")
