"""``edgepbx trunk …``, ``edgepbx route …``, ``edgepbx inbound …`` and
``edgepbx cdr …``: calls to and from the outside world."""

from __future__ import annotations

import argparse
import sys

from agent import local_time
from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cdr import records
from agent.cli import recording as recording_cli
from agent.cli.output import print_json
from agent.cli.parsers import command, fields_named, options_named, whole_number
from agent.destinations import KINDS, TARGET_KINDS, destination_parts, usage
from agent.routes import groups
from agent.routes import guard as call_guard
from agent.routes.service import PatternSpec, RouteService
from agent.trunks.service import TrunkService

EXIT_OK = 0


def _trunks(app: Appliance) -> TrunkService:
    return TrunkService(app.key, CONSOLE, app.kamailio)


def _password(args: argparse.Namespace) -> str | None:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    return None


def _show_trunk(info, as_json: bool) -> None:
    if as_json:
        print_json(info.to_dict())
        return
    who = f" as {info.username}" if info.username else ""
    print(
        f"trunk {info.name}: {info.kind} {info.host}:{info.port}/{info.transport}{who}"
    )
    if info.dids:
        print("  DIDs: " + ", ".join(info.dids))
    print("  codecs: " + (", ".join(info.codecs) if info.codecs else "any"))
    print("  main number: " + (info.main_number or "the first DID"))


TRUNK_OPTIONS = (
    ("--host", "the carrier's SIP server (name or address)"),
    ("--port", "its SIP port (5060)"),
    ("--transport", "udp or tcp"),
    ("--outbound-proxy", "host[:port] to send everything through"),
    ("--username", "account user name (register trunks)"),
    ("--auth-username", "digest user name, if not the user name"),
    ("--realm", "the carrier's digest realm, if it must be fixed"),
    ("--caller-id-header", "from, pai or rpid: how the caller ID is sent"),
    ("--did-header", "to, ruri, pcpi or diversion: where the DID is read"),
    (
        "--codecs",
        "codecs the carrier is offered, preferred first (pcma,pcmu; "
        "pcmu, pcma, g722, g729), or any: whatever the phones offer",
    ),
    (
        "--main-number",
        "the number the PBX presents as its own (an outside caller transferred "
        "out) when the route names no caller ID: up to 15 digits, optional +; "
        "empty: the trunk's first DID",
    ),
)


def _trunk_fields(args: argparse.Namespace) -> dict:
    fields = {}
    for option, _ in TRUNK_OPTIONS:
        name = option[2:].replace("-", "_")
        value = getattr(args, name, None)
        if value is not None:
            fields[name] = value
    return fields


def trunk_add(app: Appliance, args: argparse.Namespace) -> int:
    fields = _trunk_fields(args)
    info = _trunks(app).add(
        args.name,
        args.kind,
        fields.pop("host", ""),
        password=_password(args),
        dids=args.did or [],
        **fields,
    )
    _show_trunk(info, args.json)
    return EXIT_OK


def trunk_set(app: Appliance, args: argparse.Namespace) -> int:
    fields = _trunk_fields(args)
    if args.enable or args.disable:
        fields["enabled"] = bool(args.enable)
    info = _trunks(app).update(args.name, password=_password(args), **fields)
    _show_trunk(info, args.json)
    return EXIT_OK


def trunk_remove(app: Appliance, args: argparse.Namespace) -> int:
    _trunks(app).remove(args.name)
    if args.json:
        print_json({"removed": args.name})
    else:
        print(f"trunk {args.name} removed")
    return EXIT_OK


def trunk_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = _trunks(app).list()
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    if not rows:
        print("no trunks yet: edgepbx trunk add NAME --kind register --host HOST ...")
    for row in rows:
        _show_trunk(row, False)
    return EXIT_OK


def trunk_did(app: Appliance, args: argparse.Namespace) -> int:
    service = _trunks(app)
    dids = list(args.did)
    if args.file:
        source = sys.stdin if args.file == "-" else open(args.file)  # noqa: SIM115
        with source:
            dids += [line.strip() for line in source if line.strip()]
    info = (
        service.remove_did(args.name, dids[0])
        if args.remove
        else service.add_dids(args.name, dids)
    )
    _show_trunk(info, args.json)
    return EXIT_OK


def trunk_status(app: Appliance, args: argparse.Namespace) -> int:
    rows = _trunks(app).status(args.name)
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    for row in rows:
        print(f"{row.name:<16} {row.state}")
    return EXIT_OK


def route_add(app: Appliance, args: argparse.Namespace) -> int:
    info = RouteService(CONSOLE).add_outbound(
        args.name,
        [PatternSpec.parse(p) for p in args.pattern],
        args.trunk,
        extensions=args.extension or [],
        caller_id=args.caller_id,
        position=args.position,
    )
    _show_route(info, args.json)
    return EXIT_OK


def _show_route(info, as_json: bool) -> None:
    if as_json:
        print_json(info.to_dict())
        return
    patterns = " ".join(str(p) for p in info.patterns)
    who = ", ".join(info.extensions) or "every extension"
    print(
        f"{info.position}. {info.name}: {patterns} -> {', '.join(info.trunks)} ({who})"
    )


def route_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = RouteService(CONSOLE).list_outbound()
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    for row in rows:
        _show_route(row, False)
    return EXIT_OK


def route_update(app: Appliance, args: argparse.Namespace) -> int:
    service = RouteService(CONSOLE)
    info = service.update_outbound(
        args.name,
        patterns=[PatternSpec.parse(p) for p in args.pattern] if args.pattern else None,
        trunks=args.trunk,
        extensions=args.extension,
        caller_id=args.caller_id,
        enabled=None if args.enabled is None else args.enabled == "on",
    )
    if args.json:
        print_json(info.to_dict() | {"warnings": service.warnings})
        return EXIT_OK
    _show_route(info, False)
    for warning in service.warnings:
        print(f"warning: {warning}")
    return EXIT_OK


def route_move(app: Appliance, args: argparse.Namespace) -> int:
    rows = RouteService(CONSOLE).move_outbound(args.name, args.position)
    if args.json:
        print_json([r.to_dict() for r in rows])
    else:
        for row in rows:
            _show_route(row, False)
    return EXIT_OK


def route_remove(app: Appliance, args: argparse.Namespace) -> int:
    warnings = RouteService(CONSOLE).remove_outbound(args.name)
    if args.json:
        print_json({"removed": args.name, "warnings": warnings})
    else:
        print(f"outbound route {args.name} removed")
        for warning in warnings:
            print(f"warning: {warning}")
    return EXIT_OK


def inbound_add(app: Appliance, args: argparse.Namespace) -> int:
    kind, destination = destination_parts(args.to)
    info = RouteService(CONSOLE).add_inbound(
        args.did, destination, destination_kind=kind, caller_id=args.caller_id
    )
    if args.json:
        print_json(info.to_dict())
    else:
        print(f"calls to {info.did} go to {info.destination_kind} {info.destination}")
    return EXIT_OK


def inbound_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = RouteService(CONSOLE).list_inbound()
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    for r in rows:
        who = f" from {r.caller_id}" if r.caller_id else ""
        print(f"{r.did}{who} -> {r.destination_kind} {r.destination}")
    return EXIT_OK


def inbound_update(app: Appliance, args: argparse.Namespace) -> int:
    kind, destination = destination_parts(args.to) if args.to else (None, None)
    info = RouteService(CONSOLE).update_inbound(
        args.did,
        args.caller_id,
        destination=destination,
        destination_kind=kind,
        new_caller_id=args.set_caller_id,
    )
    if args.json:
        print_json(info.to_dict())
    else:
        who = f" from {info.caller_id}" if info.caller_id else ""
        print(
            f"calls to {info.did}{who} go to {info.destination_kind} {info.destination}"
        )
    return EXIT_OK


def inbound_remove(app: Appliance, args: argparse.Namespace) -> int:
    RouteService(CONSOLE).remove_inbound(args.did, args.caller_id)
    if args.json:
        print_json({"removed": args.did})
    else:
        print(f"inbound route for {args.did} removed")
    return EXIT_OK


def _member(text: str) -> tuple[str, int | None]:
    number, _, ring_time = text.partition(":")
    if ring_time and not (ring_time.isascii() and ring_time.isdigit()):
        raise groups.InvalidInput("members", text, "EXTENSION or EXTENSION:SECONDS")
    return number, int(ring_time) if ring_time else None


def ringgroup_add(app: Appliance, args: argparse.Namespace) -> int:
    info = groups.GroupService(CONSOLE).add_ring_group(
        args.number,
        args.name,
        args.strategy,
        [_member(m) for m in args.member],
        ring_time_s=args.ring_time,
        failover=args.failover,
        replace=args.replace,
    )
    if args.json:
        print_json(info.to_dict())
    else:
        members = ", ".join(m["extension"] for m in info.members)
        print(f"ring group {info.number} ({info.name}): {info.strategy}, {members}")
    return EXIT_OK


def ringgroup_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = groups.GroupService(CONSOLE).list_ring_groups()
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    for r in rows:
        members = ", ".join(f"{m['extension']}:{m['ring_time_s']}" for m in r.members)
        failover = f" then {r.failover}" if r.failover else ""
        print(f"{r.number} {r.name}: {r.strategy} {members}{failover}")
    return EXIT_OK


def ringgroup_remove(app: Appliance, args: argparse.Namespace) -> int:
    groups.GroupService(CONSOLE).remove_ring_group(args.number)
    if args.json:
        print_json({"removed": args.number})
    else:
        print(f"ring group {args.number} removed")
    return EXIT_OK


def _show_condition(info, as_json: bool) -> None:
    if as_json:
        print_json(info.to_dict())
        return
    state = "open" if info.open_now else "closed"
    print(f"{info.name} ({info.timezone}, mode {info.mode}): {state} now")
    print(f"  open: {info.open_destination}   closed: {info.closed_destination}")


def timecondition_add(app: Appliance, args: argparse.Namespace) -> int:
    info = groups.GroupService(CONSOLE).add_time_condition(
        args.name,
        args.timezone,
        groups.parse_hours(args.hours or []),
        destination_parts(args.open),
        destination_parts(args.closed),
        [groups.parse_holiday(h) for h in args.holiday or []],
        replace=args.replace,
    )
    _show_condition(info, args.json)
    return EXIT_OK


def _holidays(given: list[str] | None, option: str) -> list:
    with options_named({"holidays": option}):
        return [groups.parse_holiday(h) for h in given or []]


def timecondition_set(app: Appliance, args: argparse.Namespace) -> int:
    info = groups.GroupService(CONSOLE).set_time_condition(
        args.name,
        mode=args.mode,
        add_holidays=_holidays(args.add_holiday, "--add-holiday"),
        remove_holidays=_holidays(args.remove_holiday, "--remove-holiday"),
    )
    _show_condition(info, args.json)
    return EXIT_OK


def timecondition_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = groups.GroupService(CONSOLE).list_time_conditions()
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    for r in rows:
        _show_condition(r, False)
    return EXIT_OK


def cdr_list(app: Appliance, args: argparse.Namespace) -> int:
    rows = records.search(
        CONSOLE, args.since, args.until, args.number, args.disposition, args.limit
    )
    if args.csv:
        sys.stdout.write(records.master_csv(rows))
        return EXIT_OK
    if args.json:
        print_json([r.to_dict() for r in rows])
        return EXIT_OK
    for r in rows:
        print(
            f"{local_time.shown(r.start)}  {r.direction:<3} {r.src:>12} -> {r.dst:<14} "
            f"{r.trunk:<10} {r.disposition or 'in progress':<10} {r.billsec:>5} s"
            + (f"  transferred by {r.transferred_by}" if r.transferred_by else "")
            + (f"  {r.end_reason}" if r.end_reason else "")
        )
    return EXIT_OK


def _codes(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [c for c in text.replace(" ", "").split(",") if c]


def guard_show(app: Appliance, args: argparse.Namespace) -> int:
    _show_guard(call_guard.current(CONSOLE), args.json)
    return EXIT_OK


def guard_set(app: Appliance, args: argparse.Namespace) -> int:
    changes: dict = {}
    if args.allowed_countries is not None:
        changes["allowed_countries"] = (
            None if args.allowed_countries == "any" else _codes(args.allowed_countries)
        )
    if args.extension_countries:
        per_ext = dict(call_guard.current(CONSOLE).extension_countries)
        for item in args.extension_countries:
            number, _, codes = item.partition("=")
            if codes:
                per_ext[number] = _codes(codes) or []
            else:
                per_ext.pop(number, None)
        changes["extension_countries"] = per_ext
    for name in ("per_extension_calls", "total_calls", "window_s", "concurrent_calls"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    _show_guard(call_guard.change(CONSOLE, **changes), args.json)
    return EXIT_OK


def _show_guard(guard: call_guard.CallGuard, as_json: bool) -> None:
    if as_json:
        print_json(guard.to_dict())
        return
    countries = guard.allowed_countries
    shown = "any country" if countries is None else ", ".join(countries) or "none"
    print("international calls to: " + shown)
    for number, codes in sorted(guard.extension_countries.items()):
        print(f"  extension {number}: " + (", ".join(codes) or "none"))
    window = guard.window_s
    print(f"per extension: {guard.per_extension_calls or 'no limit'} in {window} s")
    print(f"whole PBX: {guard.total_calls or 'no limit'} in {window} s")
    print(f"at once: {guard.concurrent_calls or 'no limit'} outbound calls")


#: ``route add`` and ``route update`` give one pattern, trunk or extension
#: per option; the service takes them as lists.
ROUTE_ARGUMENTS = {"patterns": "pattern", "trunks": "trunk", "extensions": "extension"}


def register(sub: argparse._SubParsersAction) -> None:
    def trunk_options(p: argparse.ArgumentParser) -> None:
        for option, help in TRUNK_OPTIONS:
            p.add_argument(option, help=help)
        p.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the account password from the first line of standard input",
        )

    trunk = sub.add_parser("trunk", help="SIP trunks to carriers")
    trunk_sub = trunk.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = command(trunk_sub, "add", trunk_add, "add a trunk")
    add.add_argument("name")
    add.add_argument("--kind", required=True, help="register or peer")
    add.add_argument("--did", action="append", help="a DID on this trunk (repeat)")
    trunk_options(add)
    fields_named(add, {"dids": "did"})
    tset = command(trunk_sub, "set", trunk_set, "change a trunk")
    tset.add_argument("name")
    tset.add_argument("--kind")
    tset.add_argument("--enable", action="store_true")
    tset.add_argument("--disable", action="store_true")
    trunk_options(tset)
    rm = command(trunk_sub, "remove", trunk_remove, "remove a trunk no route uses")
    rm.add_argument("name")
    command(trunk_sub, "list", trunk_list, "list trunks")
    recording_cli.register_trunk(trunk_sub)
    did = command(trunk_sub, "did", trunk_did, "add DIDs to a trunk, or remove one")
    did.add_argument("name")
    did.add_argument("did", nargs="*", default=[])
    did.add_argument("--file", help="add the DIDs of a file, one a line (- for stdin)")
    did.add_argument("--remove", action="store_true", help="remove the DID given")
    st = command(trunk_sub, "status", trunk_status, "live state of the trunks")
    st.add_argument("name", nargs="?")

    route = sub.add_parser("route", help="outbound routes, tried in order")
    route_sub = route.add_subparsers(dest="action", required=True, metavar="ACTION")
    radd = command(route_sub, "add", route_add, "add an outbound route")
    radd.add_argument("name")
    radd.add_argument(
        "--pattern",
        action="append",
        required=True,
        help="PATTERN[/STRIP[/PREPEND]], e.g. 9|NXXXXXX or 0044./4/+44 (repeat)",
    )
    radd.add_argument(
        "--trunk", action="append", required=True, help="in failover order"
    )
    radd.add_argument("--extension", action="append", help="only these may use it")
    radd.add_argument("--caller-id", help="number the carrier sees")
    radd.add_argument("--position", type=whole_number, help="1 is tried first")
    fields_named(radd, ROUTE_ARGUMENTS)
    rup = command(route_sub, "update", route_update, "change an outbound route")
    rup.add_argument("name")
    rup.add_argument(
        "--pattern", action="append", help="replaces the patterns (repeat)"
    )
    rup.add_argument("--trunk", action="append", help="replaces the trunks, in order")
    rup.add_argument(
        "--extension", action="append", help="replaces who may use it (repeat)"
    )
    rup.add_argument("--caller-id", help="number the carrier sees; empty: none")
    rup.add_argument(
        "--enabled", choices=("on", "off"), help="whether the route is tried"
    )
    fields_named(rup, ROUTE_ARGUMENTS)
    command(route_sub, "list", route_list, "list outbound routes in order")
    mv = command(route_sub, "move", route_move, "change a route's place in the order")
    mv.add_argument("name")
    mv.add_argument("position", type=whole_number)
    rrm = command(route_sub, "remove", route_remove, "remove an outbound route")
    rrm.add_argument("name")

    inbound = sub.add_parser("inbound", help="inbound routes: DID to a destination")
    in_sub = inbound.add_subparsers(dest="action", required=True, metavar="ACTION")
    iadd = command(in_sub, "add", inbound_add, "route a DID")
    iadd.add_argument("did")
    iadd.add_argument(
        "--to",
        required=True,
        help="an extension's number, or " + usage(KINDS),
    )
    iadd.add_argument("--caller-id", help="only calls from this number")
    fields_named(iadd, {"destination_kind": "to", "destination": "to"})
    command(in_sub, "list", inbound_list, "list inbound routes")
    iup = command(in_sub, "update", inbound_update, "change an inbound route")
    iup.add_argument("did")
    iup.add_argument("--caller-id", help="the route for this caller only")
    iup.add_argument("--to", help="an extension's number, or " + usage(KINDS))
    iup.add_argument(
        "--set-caller-id", help="the caller it is for from now on; empty: anyone"
    )
    # The service names the new caller ``caller_id``, as the API's body does.
    fields_named(
        iup,
        {"destination_kind": "to", "destination": "to", "caller_id": "set_caller_id"},
    )
    irm = command(in_sub, "remove", inbound_remove, "remove an inbound route")
    irm.add_argument("did")
    irm.add_argument("--caller-id")

    rg = sub.add_parser("ringgroup", help="ring groups: several extensions, one number")
    rg_sub = rg.add_subparsers(dest="action", required=True, metavar="ACTION")
    rga = command(rg_sub, "add", ringgroup_add, "add a ring group")
    rga.add_argument("number")
    rga.add_argument("--name", required=True)
    rga.add_argument("--strategy", default="all", help="all or sequential")
    rga.add_argument(
        "--member", action="append", required=True, help="EXTENSION[:SECONDS] in order"
    )
    rga.add_argument("--ring-time", type=whole_number, default=20, help="seconds (all)")
    rga.add_argument(
        "--failover",
        help="where calls go when nobody answers: an extension's number, or "
        + usage(KINDS),
    )
    rga.add_argument(
        "--replace",
        action="store_true",
        help="change every field of the existing group with this number",
    )
    fields_named(rga, {"members": "member", "ring_time_s": "ring_time"})
    command(rg_sub, "list", ringgroup_list, "list ring groups")
    rgr = command(rg_sub, "remove", ringgroup_remove, "remove a ring group")
    rgr.add_argument("number")

    tc = sub.add_parser("timecondition", help="business hours, holidays, day/night")
    tc_sub = tc.add_subparsers(dest="action", required=True, metavar="ACTION")
    tca = command(tc_sub, "add", timecondition_add, "add a time condition")
    tca.add_argument("name")
    tca.add_argument(
        "--timezone", default="", help="like Europe/Berlin; default the appliance's"
    )
    tca.add_argument("--hours", action="append", help="mon-fri=09:00-17:00 (repeat)")
    tca.add_argument("--holiday", action="append", help="2026-12-24[..2026-12-26]")
    tca.add_argument(
        "--open",
        required=True,
        help="where calls go while open: " + usage(TARGET_KINDS),
    )
    tca.add_argument(
        "--closed",
        required=True,
        help="where calls go while closed: " + usage(TARGET_KINDS),
    )
    tca.add_argument(
        "--replace",
        action="store_true",
        help="change the hours, holidays and targets of the existing condition",
    )
    fields_named(
        tca,
        {
            "holidays": "holiday",
            "open_destination": "open",
            "closed_destination": "closed",
        },
    )
    tcs = command(tc_sub, "set", timecondition_set, "force day/night, holidays")
    tcs.add_argument("name")
    tcs.add_argument("--mode", help="auto, open (day) or closed (night)")
    tcs.add_argument("--add-holiday", action="append")
    tcs.add_argument("--remove-holiday", action="append")
    command(tc_sub, "list", timecondition_list, "list time conditions")

    guard = sub.add_parser("guard", help="toll-fraud guards for outbound calls")
    guard_sub = guard.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(guard_sub, "show", guard_show, "show the guards")
    gset = command(guard_sub, "set", guard_set, "change the guards")
    gset.add_argument(
        "--allowed-countries",
        help='country codes anyone may call abroad, "1,44"; "any" for all; "" for none',
    )
    gset.add_argument(
        "--extension-countries",
        action="append",
        help='NUMBER=CODES for one extension ("101=44,33"); NUMBER= drops it',
    )
    gset.add_argument(
        "--per-extension-calls", type=whole_number, help="calls per window; 0: off"
    )
    gset.add_argument(
        "--total-calls", type=whole_number, help="calls per window, all; 0: off"
    )
    gset.add_argument("--window-s", type=whole_number, help="the window, in seconds")
    gset.add_argument(
        "--concurrent-calls", type=whole_number, help="outbound calls at once"
    )

    cdr = sub.add_parser("cdr", help="call detail records")
    cdr_sub = cdr.add_subparsers(dest="action", required=True, metavar="ACTION")
    cl = command(cdr_sub, "list", cdr_list, "search call records, newest first")
    cl.add_argument("--since", help="first day, YYYY-MM-DD (UTC)")
    cl.add_argument("--until", help="last day, YYYY-MM-DD (UTC)")
    cl.add_argument("--number", help="source, destination or DID containing this")
    cl.add_argument("--disposition", help=", ".join(records.DISPOSITIONS))
    cl.add_argument("--limit", type=whole_number, default=100)
    cl.add_argument("--csv", action="store_true", help="Asterisk Master.csv columns")
