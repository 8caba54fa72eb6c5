"""``edgepbx network …``: show, try, confirm and revert the network settings.

These commands open the database only to audit: with it damaged they still
work, and their audit entries go to logs/audit-offline.jsonl.
"""

from __future__ import annotations

import argparse

from agent.accounts.roles import CONSOLE
from agent.cli.output import print_json
from agent.cli.parsers import fields_named, whole_number
from agent.db import offline
from agent.network.service import NetworkService
from agent.settings import Settings

EXIT_OK = 0


def _run(settings: Settings, action):
    db = offline.open_or_stand_in(settings)
    try:
        return action(NetworkService(settings, CONSOLE))
    finally:
        db.close()


def print_status(report: dict, write=print) -> None:
    stored = report["settings"]
    if stored:
        address = stored["address"] or "DHCP"
        write(f"settings     {stored['interface']}: {address}, mode {stored['mode']}")
        write(f"gateway      {stored['gateway'] or '-'}")
        write(f"dns          {', '.join(stored['dns']) or '-'}")
        vlan = stored["voice_vlan"]
        shown = f"{vlan['id']} ({vlan['address']})" if vlan else "-"
        write(f"voice vlan   {shown}")
        write(f"hostname     {stored['hostname']}")
        write(f"ntp          {', '.join(stored['ntp']) or '-'}")
        write(f"timezone     {stored['timezone']}")
    else:
        write("settings     none saved: the image's defaults (DHCP)")
    pending = report["pending"]
    if pending:
        write(
            f"on trial     {pending['settings']['address'] or 'DHCP'}: undone in "
            f"{pending['seconds_left']} s unless confirmed"
        )
    for iface in report["interfaces"]:
        state = "up" if iface["up"] else "down"
        addresses = ", ".join(iface["addresses"]) or "no address"
        write(f"{iface['name']:<12} {state:<5} {iface['mac'] or '-':<18} {addresses}")
    write(f"default via  {report['gateway'] or '-'}")


def status(settings: Settings, args: argparse.Namespace) -> int:
    report = _run(settings, lambda s: s.status())
    if args.json:
        print_json(report)
    else:
        print_status(report)
    return EXIT_OK


def apply(settings: Settings, args: argparse.Namespace) -> int:
    changes = {
        "interface": args.interface,
        "mode": "dhcp" if args.dhcp else ("static" if args.static else None),
        "address": args.static,
        "gateway": args.gateway,
        "dns": args.dns,
        "hostname": args.hostname,
        "ntp": args.ntp,
        "timezone": args.timezone,
    }
    if args.no_voice_vlan:
        changes["voice_vlan"] = {}
    elif args.voice_vlan is not None:
        changes["voice_vlan"] = {"id": args.voice_vlan, "address": args.vlan_address}

    def act(service: NetworkService) -> dict:
        return service.apply(service.with_changes(changes), args.confirm_within)

    result = _run(settings, act)
    if args.json:
        print_json(result)
        return EXIT_OK
    applied = result["settings"]
    print(
        f"network {applied['interface']}: {applied['address'] or 'DHCP'} applied; "
        f"run `edgepbx network confirm` within {result['confirm_within_s']:.0f} s "
        "or it is undone"
    )
    return EXIT_OK


def confirm(settings: Settings, args: argparse.Namespace) -> int:
    kept = _run(settings, lambda s: s.confirm())
    if args.json:
        print_json({"confirmed": kept})
    else:
        print(f"network {kept['interface']}: settings kept")
    return EXIT_OK


def revert(settings: Settings, args: argparse.Namespace) -> int:
    undone = _run(settings, lambda s: s.revert())
    if args.json:
        print_json({"reverted": undone})
    else:
        print("previous network settings back" if undone else "nothing on trial")
    return EXIT_OK


def boot(settings: Settings, args: argparse.Namespace) -> int:
    outcome = _run(settings, lambda s: s.boot())
    if args.json:
        print_json({"boot": outcome})
    else:
        print(f"network at boot: {outcome}")
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction) -> None:
    network = subparsers.add_parser(
        "network", help="addresses, VLAN, DNS, host name, NTP and time zone"
    )
    sub = network.add_subparsers(dest="action", required=True, metavar="ACTION")

    def command(name: str, handler, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--json", action="store_true", help="print JSON")
        # Runs without the appliance's database, which may be damaged.
        p.set_defaults(handler=handler, opens_own_data=True)
        return p

    command("status", status, "the settings and what each interface has now")
    p = command("apply", apply, "try new settings; undone unless confirmed in time")
    p.add_argument("--interface", help="the LAN port (default: the one saved)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--dhcp", action="store_true", help="address from DHCP")
    mode.add_argument("--static", metavar="ADDRESS/PREFIX", help="a fixed address")
    p.add_argument("--gateway", help="the default gateway (static only)")
    p.add_argument("--dns", nargs="+", metavar="SERVER", help="name servers")
    p.add_argument(
        "--voice-vlan", type=whole_number, metavar="ID", help="voice VLAN number"
    )
    p.add_argument("--vlan-address", metavar="ADDRESS/PREFIX")
    p.add_argument("--no-voice-vlan", action="store_true", help="remove the VLAN")
    p.add_argument("--hostname")
    p.add_argument("--ntp", nargs="+", metavar="SERVER", help="time servers")
    p.add_argument("--timezone", help="like Europe/Berlin")
    p.add_argument(
        "--confirm-within",
        type=float,
        metavar="S",
        help="seconds to confirm before it is undone (default 60)",
    )
    fields_named(p, {"address": "static", "voice_vlan.address": "vlan_address"})
    command("confirm", confirm, "keep the settings on trial")
    command("revert", revert, "undo the settings on trial now")
    command("boot", boot, "at start-up: undo an unconfirmed change, else apply")
