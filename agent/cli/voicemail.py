"""``edgepbx voicemail``: mailboxes and their messages (agent/voicemail)."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from agent import local_time
from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.output import print_json
from agent.cli.parsers import whole_number
from agent.voicemail.service import VoicemailService
from agent.voicemail.transcription import TranscriptionService

EXIT_OK = 0


def _on_off(value: str | None) -> bool | None:
    return None if value is None else value == "on"


def _service(app: Appliance) -> VoicemailService:
    return VoicemailService(app.settings, CONSOLE)


def _show(info, as_json: bool) -> None:
    if as_json:
        print_json(info.to_dict())
        return
    state = "on" if info.enabled else "off"
    mail = f", e-mail to {info.email}" if info.email_enabled else ""
    print(
        f"mailbox {info.extension}: {state}, {info.new_messages} new, "
        f"{info.old_messages} old, messages up to {info.max_message_s} s{mail}"
    )


def voicemail_set(app: Appliance, args: argparse.Namespace) -> int:
    pin = None
    if args.pin_stdin:
        pin = input().strip()
    elif args.pin is not None:
        pin = args.pin
    saved = _service(app).set(
        args.extension,
        pin=pin,
        enabled=_on_off(args.enabled),
        email_enabled=_on_off(args.email),
        max_message_s=args.max_message_s,
        transcribe=_on_off(args.transcribe),
    )
    _show(saved.info, args.json)
    return EXIT_OK


def voicemail_show(app: Appliance, args: argparse.Namespace) -> int:
    _show(_service(app).show(args.extension), args.json)
    return EXIT_OK


def voicemail_list(app: Appliance, args: argparse.Namespace) -> int:
    boxes = _service(app).list()
    if args.json:
        print_json([b.to_dict() for b in boxes])
        return EXIT_OK
    if not boxes:
        print("no mailbox")
    for info in boxes:
        _show(info, False)
    return EXIT_OK


def voicemail_remove(app: Appliance, args: argparse.Namespace) -> int:
    _service(app).remove(args.extension)
    if args.json:
        print_json({"removed": args.extension})
    else:
        print(f"mailbox {args.extension} removed with its messages")
    return EXIT_OK


def voicemail_messages(app: Appliance, args: argparse.Namespace) -> int:
    messages = _service(app).message_infos(args.extension)
    if args.json:
        print_json([m.to_dict() for m in messages])
        return EXIT_OK
    if not messages:
        print(f"mailbox {args.extension} has no message")
    for m in messages:
        state = "old" if m.heard else "new"
        when = local_time.shown(m.received_at)
        print(f"{m.id:>5}  {state}  {when}  {m.caller:<12} {m.duration_s:>6} s")
        if m.transcript:
            print(f"       {m.transcript}")
    return EXIT_OK


def transcription_show(app: Appliance, args: argparse.Namespace) -> int:
    shown = TranscriptionService(app.key, CONSOLE).show()
    if args.json:
        print_json(shown)
        return EXIT_OK
    state = "on" if shown["enabled"] else "off"
    key = "key set" if shown["key_set"] else "no key"
    print(f"transcription {state}: {shown['url'] or 'no provider'} ({key})")
    print(f"each try waits up to {shown['timeout_s']} s")
    return EXIT_OK


def transcription_set(app: Appliance, args: argparse.Namespace) -> int:
    changes: dict = {}
    if args.enabled is not None:
        changes["enabled"] = args.enabled == "on"
    if args.url is not None:
        changes["url"] = args.url
    if args.timeout_s is not None:
        changes["timeout_s"] = args.timeout_s
    if args.key_stdin:
        changes["key"] = sys.stdin.readline().rstrip("\r\n")
    elif args.no_key:
        changes["key"] = ""
    TranscriptionService(app.key, CONSOLE).change(**changes)
    if not args.json:
        print("transcription settings changed")
    return transcription_show(app, args)


def voicemail_delete(app: Appliance, args: argparse.Namespace) -> int:
    _service(app).delete_message(args.extension, args.message)
    if args.json:
        print_json({"deleted": args.message})
    else:
        print(f"message {args.message} of mailbox {args.extension} deleted")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    vm = sub.add_parser("voicemail", help="voicemail boxes and their messages")
    vm_sub = vm.add_subparsers(dest="action", required=True, metavar="ACTION")

    command = partial(parsers.command, vm_sub)

    p = command("set", voicemail_set, "create or change an extension's mailbox")
    p.add_argument("extension")
    pin = p.add_mutually_exclusive_group()
    pin.add_argument("--pin", help="the PIN (digits); a new mailbox needs one")
    pin.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN from standard input"
    )
    p.add_argument("--enabled", choices=("on", "off"))
    p.add_argument("--email", choices=("on", "off"), help="e-mail each message")
    p.add_argument(
        "--max-message-s", type=whole_number, help="longest message, in seconds"
    )
    p.add_argument(
        "--transcribe",
        choices=("on", "off"),
        help="send this box's messages to the transcription provider (default on)",
    )
    parsers.fields_named(p, {"email_enabled": "email"})
    p = command("show", voicemail_show, "show one mailbox")
    p.add_argument("extension")
    command("list", voicemail_list, "list mailboxes")
    p = command("remove", voicemail_remove, "remove a mailbox and its messages")
    p.add_argument("extension")
    p = command("messages", voicemail_messages, "list the messages of a mailbox")
    p.add_argument("extension")
    p = command("delete", voicemail_delete, "delete one message")
    p.add_argument("extension")
    p.add_argument("message", type=whole_number)

    transcription = vm_sub.add_parser(
        "transcription", help="the provider that turns messages into text"
    )
    t_sub = transcription.add_subparsers(
        dest="transcription_action", required=True, metavar="ACTION"
    )
    command = partial(parsers.command, t_sub)
    command("show", transcription_show, "show the provider (never its key)")
    p = command("set", transcription_set, "change the provider settings")
    p.add_argument("--enabled", choices=("on", "off"))
    p.add_argument("--url", help="the provider's address ('' for none)")
    p.add_argument("--timeout-s", type=whole_number, help="longest wait per try")
    key = p.add_mutually_exclusive_group()
    key.add_argument(
        "--key-stdin",
        action="store_true",
        help="read the provider's key from the first line of standard input",
    )
    key.add_argument("--no-key", action="store_true", help="clear it")
