"""``edgepbx extension dnd|call-waiting|forward|features``: call features.

The same service as the extension's page, the user portal's forwarding
page and ``/api/v1/extensions/{number}/features``
(``agent.extensions.features``).
"""

from __future__ import annotations

import argparse
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.output import print_json
from agent.extensions.features import (
    FORWARD_KINDS,
    MAX_NO_ANSWER_S,
    MIN_NO_ANSWER_S,
    CallFeatures,
    FeatureService,
    forward_field,
)

EXIT_OK = 0


def _show(features: CallFeatures, as_json: bool) -> None:
    if as_json:
        print_json(features.to_dict())
        return
    print(f"extension      {features.extension}")
    print(f"do not disturb {'on' if features.dnd else 'off'}")
    print(f"call waiting   {'on' if features.call_waiting else 'off'}")
    forwards = (
        ("always", features.forward_always),
        ("busy", features.forward_busy),
        ("no answer", features.forward_no_answer),
        ("unreachable", features.forward_unreachable),
    )
    for label, target in forwards:
        shown = target or "-"
        if label == "no answer" and target:
            shown += f" after {features.no_answer_s} s"
        print(f"forward {label:<11} {shown}")
    for note in features.notes:
        print(f"note: {note}")


def features_show(app: Appliance, args: argparse.Namespace) -> int:
    _show(FeatureService(CONSOLE).get(args.number), args.json)
    return EXIT_OK


def features_dnd(app: Appliance, args: argparse.Namespace) -> int:
    _show(FeatureService(CONSOLE).set_dnd(args.number, args.state == "on"), args.json)
    return EXIT_OK


def features_call_waiting(app: Appliance, args: argparse.Namespace) -> int:
    service = FeatureService(CONSOLE)
    _show(service.set_call_waiting(args.number, args.state == "on"), args.json)
    return EXIT_OK


def features_forward(app: Appliance, args: argparse.Namespace) -> int:
    changes: dict[str, object] = {}
    for kind in args.clear or []:
        changes[forward_field(kind)] = ""
    for kind in FORWARD_KINDS:
        target = getattr(args, kind)
        if target is not None:
            changes[forward_field(kind)] = target
    if args.no_answer_seconds is not None:
        changes["no_answer_s"] = args.no_answer_seconds
    _show(FeatureService(CONSOLE).change(args.number, **changes), args.json)
    return EXIT_OK


def register(extension_actions: argparse._SubParsersAction) -> None:
    """Add dnd, call-waiting, forward and features under ``edgepbx extension``."""
    command = partial(parsers.command, extension_actions)

    show = command("features", features_show, "show do-not-disturb and forwards")
    show.add_argument("number", metavar="extension")
    parsers.fields_named(show, parsers.EXTENSION_ARGUMENT)

    dnd = command("dnd", features_dnd, "turn do-not-disturb on or off")
    dnd.add_argument("number", metavar="extension")
    parsers.one_of(dnd, "state", ("on", "off"), "on or off")
    parsers.fields_named(dnd, parsers.EXTENSION_ARGUMENT)

    waiting = command(
        "call-waiting",
        features_call_waiting,
        "turn call waiting on or off (off: a second caller gets busy)",
    )
    waiting.add_argument("number", metavar="extension")
    parsers.one_of(waiting, "state", ("on", "off"), "on or off")
    parsers.fields_named(waiting, parsers.EXTENSION_ARGUMENT)

    forward = command(
        "forward",
        features_forward,
        "set or clear call forwards (an extension or an external number each)",
    )
    forward.add_argument("number", metavar="extension")
    forward.add_argument("--always", metavar="TARGET", help="every call")
    forward.add_argument("--busy", metavar="TARGET", help="when the phone is busy")
    forward.add_argument(
        "--no-answer", dest="no_answer", metavar="TARGET", help="when nobody answers"
    )
    forward.add_argument(
        "--no-answer-seconds",
        dest="no_answer_seconds",
        metavar="N",
        help=f"ring time before forwarding, {MIN_NO_ANSWER_S} to {MAX_NO_ANSWER_S} s",
    )
    forward.add_argument(
        "--unreachable", metavar="TARGET", help="when no phone is registered"
    )
    forward.add_argument(
        "--clear",
        nargs="+",
        # Spelled as the options are (no-answer), or as the JSON is (no_answer).
        type=lambda kind: kind.replace("-", "_"),
        choices=FORWARD_KINDS,
        metavar="KIND",
        help="remove these forwards: "
        + ", ".join(k.replace("_", "-") for k in FORWARD_KINDS),
    )
    forwards = {forward_field(kind): kind for kind in FORWARD_KINDS}
    parsers.fields_named(
        forward,
        parsers.EXTENSION_ARGUMENT | forwards | {"no_answer_s": "no_answer_seconds"},
    )
