"""``edgepbx ban``, ``edgepbx jail`` and ``edgepbx firewall``.

The same services as the web admin's security page and the REST API
(``agent.security.jail``, ``agent.security.firewall``), as the console.
"""

from __future__ import annotations

import argparse
import time

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli.output import print_json
from agent.cli.parsers import command, whole_number
from agent.security.certificates import CertificateService
from agent.security.firewall import FirewallService
from agent.security.jail import BanService, JailPolicy, change_policy

EXIT_OK = 0


# -- ban --------------------------------------------------------------------------


def ban_list(app: Appliance, args: argparse.Namespace) -> int:
    bans = BanService(CONSOLE).list(args.search or "")
    if args.json:
        print_json([ban.to_dict() for ban in bans])
        return EXIT_OK
    if not bans:
        print("no address is banned")
    for ban in bans:
        left = max(0, int(ban.expires - time.time()))
        print(f"{ban.address:<40} {left:>8} s left  {ban.reason}")
    return EXIT_OK


def ban_add(app: Appliance, args: argparse.Namespace) -> int:
    ban = BanService(CONSOLE).add(
        args.address, args.seconds, reason=args.reason or "banned by hand"
    )
    if args.json:
        print_json(ban.to_dict())
    else:
        print(f"{ban.address} banned for {int(ban.expires - ban.banned_at)} s")
    return EXIT_OK


def ban_remove(app: Appliance, args: argparse.Namespace) -> int:
    BanService(CONSOLE).remove(args.address)
    if args.json:
        print_json({"lifted": args.address})
    else:
        print(f"ban of {args.address} lifted")
    return EXIT_OK


# -- jail -------------------------------------------------------------------------


def jail_show(app: Appliance, args: argparse.Namespace) -> int:
    policy = JailPolicy.load()
    if args.json:
        print_json(policy.to_dict())
        return EXIT_OK
    for name, value in policy.to_dict().items():
        shown = ", ".join(value) if isinstance(value, list) else value
        print(f"{name:<16} {shown}")
    return EXIT_OK


def jail_set(app: Appliance, args: argparse.Namespace) -> int:
    changes = {
        name: getattr(args, name)
        for name in ("findtime_s", "maxretry", "bantime_s", "bantime_factor")
        if getattr(args, name) is not None
    }
    if args.ignore is not None:
        changes["ignore"] = tuple(args.ignore)
    change_policy(CONSOLE, **changes)
    return jail_show(app, args)


# -- firewall ---------------------------------------------------------------------


def firewall_status(app: Appliance, args: argparse.Namespace) -> int:
    report = FirewallService(app.settings, CONSOLE).status()
    if args.json:
        print_json(report)
        return EXIT_OK
    managed = "managed" if report["managed"] else "not managed (EDGEPBX_FIREWALL)"
    loaded = "loaded" if report["loaded"] else "not loaded"
    print(f"table {report['table']}: {managed}, {loaded}, {report['rules']} rules")
    for s in report["services"]:
        state = "open" if s["enabled"] else "closed"
        allow = ", ".join(s["allow"]) or "everyone"
        block = ", ".join(s["block"]) or "-"
        print(
            f"{s['name']:<10} {'/'.join(s['protocols']):<8} {s['ports']:<12} "
            f"{state:<6} allow {allow}; block {block}"
        )
    print(f"banned now: {len(report['banned_in_kernel'])}")
    return EXIT_OK


def firewall_set(app: Appliance, args: argparse.Namespace) -> int:
    enabled = {"open": True, "closed": False}.get(args.state or "")
    rule = FirewallService(app.settings, CONSOLE).set_service(
        args.service, enabled=enabled, allow=args.allow, block=args.block
    )
    if args.json:
        print_json({"service": args.service} | rule)
    else:
        print(f"firewall: {args.service} changed")
    return EXIT_OK


def firewall_reset(app: Appliance, args: argparse.Namespace) -> int:
    config = FirewallService(app.settings, CONSOLE).reset()
    if args.json:
        print_json(config)
    else:
        print("firewall: reset, every service open, the web admin reachable")
    return EXIT_OK


# -- certificate ------------------------------------------------------------------


def certificate_show(app: Appliance, args: argparse.Namespace) -> int:
    info = CertificateService(app.settings, CONSOLE).show()
    if args.json:
        print_json(info.to_dict() if info else None)
        return EXIT_OK
    if info is None:
        print("no certificate yet: the agent makes one at its first start")
        return EXIT_OK
    origin = "uploaded" if info.uploaded else "made by the appliance"
    print(f"subject      {info.subject} ({origin})")
    print(f"names        {', '.join(info.names) or '-'}")
    print(f"valid until  {info.not_after}")
    print(f"SHA-256      {info.fingerprint_sha256}")
    print("used by      web admin (HTTPS), SIP over TLS")
    return EXIT_OK


def certificate_upload(app: Appliance, args: argparse.Namespace) -> int:
    with open(args.certificate, "rb") as cert, open(args.key, "rb") as key:
        result = CertificateService(app.settings, CONSOLE).upload(
            cert.read(), key.read()
        )
    if args.json:
        print_json(result)
    else:
        print(f"certificate installed, SHA-256 {result['fingerprint_sha256']}")
        print(f"it takes effect {result['takes_effect']}")
    return EXIT_OK


# -- parser -----------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ban, jail and firewall commands to the edgepbx parser."""

    ban = sub.add_parser("ban", help="addresses the security jail blocks")
    ban_sub = ban.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = command(ban_sub, "list", ban_list, "list banned addresses")
    listing.add_argument("search", nargs="?", help="part of an address or reason")
    add = command(ban_sub, "add", ban_add, "ban an address")
    add.add_argument("address", help="an IPv4 or IPv6 address")
    add.add_argument(
        "--seconds", type=whole_number, help="how long (default: the jail's)"
    )
    add.add_argument("--reason", help="why, for the list and the audit log")
    remove = command(ban_sub, "remove", ban_remove, "lift a ban")
    remove.add_argument("address")

    jail = sub.add_parser("jail", help="when the jail bans: findtime, maxretry, …")
    jail_sub = jail.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(jail_sub, "show", jail_show, "show the jail's policy")
    setter = command(jail_sub, "set", jail_set, "change the jail's policy")
    setter.add_argument("--findtime", dest="findtime_s", type=whole_number, metavar="S")
    setter.add_argument("--maxretry", type=whole_number, metavar="N")
    setter.add_argument("--bantime", dest="bantime_s", type=whole_number, metavar="S")
    setter.add_argument("--bantime-factor", type=float, metavar="F")
    setter.add_argument(
        "--ignore", nargs="*", metavar="NET", help="networks never banned (replaces)"
    )

    fw = sub.add_parser("firewall", help="the appliance's nftables firewall")
    fw_sub = fw.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(fw_sub, "status", firewall_status, "services, rules and bans loaded")
    setter = command(fw_sub, "set", firewall_set, "open or close a service")
    setter.add_argument("service")
    setter.add_argument("--state", choices=["open", "closed"])
    setter.add_argument("--allow", nargs="*", metavar="NET", help="only these")
    setter.add_argument("--block", nargs="*", metavar="NET", help="never these")
    command(fw_sub, "reset", firewall_reset, "emergency: every service open again")

    cert = sub.add_parser(
        "certificate", help="the TLS certificate of the web admin and SIP over TLS"
    )
    cert_sub = cert.add_subparsers(dest="action", required=True, metavar="ACTION")
    command(cert_sub, "show", certificate_show, "the certificate in use")
    upload = command(cert_sub, "upload", certificate_upload, "install your own")
    upload.add_argument("certificate", help="PEM file: certificate, then its chain")
    upload.add_argument("key", help="PEM file: its private key, unencrypted")
