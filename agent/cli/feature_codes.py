"""``edgepbx feature-codes list|set|reset``: what phones dial for each
feature (agent/feature_codes)."""

from __future__ import annotations

import argparse
import json
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.feature_codes import FeatureCodeInfo, FeatureCodeService
from agent.sip.feature_codes import BY_NAME

EXIT_OK = 0


def _line(info: FeatureCodeInfo) -> str:
    code = info.code + ("N" if info.takes_number else "")
    changed = "" if info.code == info.default else f" (default {info.default})"
    return f"{code:<10} {info.feature:<22} {info.description}{changed}"


def _show(info: FeatureCodeInfo, as_json: bool) -> None:
    print(json.dumps(info.to_dict(), indent=2) if as_json else _line(info))


def codes_list(app: Appliance, args: argparse.Namespace) -> int:
    entries = FeatureCodeService(CONSOLE).list()
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2))
        return EXIT_OK
    for entry in entries:
        print(_line(entry))
    print("N: the code takes a number after it")
    return EXIT_OK


def codes_set(app: Appliance, args: argparse.Namespace) -> int:
    _show(FeatureCodeService(CONSOLE).set(args.feature, args.code), args.json)
    return EXIT_OK


def codes_reset(app: Appliance, args: argparse.Namespace) -> int:
    _show(FeatureCodeService(CONSOLE).reset(args.feature), args.json)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    codes = sub.add_parser(
        "feature-codes", help="what phones dial for each feature (*97, *78, ...)"
    )
    codes_sub = codes.add_subparsers(dest="action", required=True, metavar="ACTION")
    command = partial(parsers.command, codes_sub)

    command("list", codes_list, "list every feature and its code")
    p = command("set", codes_set, "give a feature a new code")
    p.add_argument("feature", help="one of " + ", ".join(BY_NAME))
    p.add_argument("code", help="*, # and digits, 2 to 8 of them")
    p = command("reset", codes_reset, "give a feature its default code back")
    p.add_argument("feature")
