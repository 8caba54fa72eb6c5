"""``edgepbx mail``: the SMTP server the appliance sends mail through.

The same service as the System page and ``/api/v1/mail``
(``agent.mail.MailService``), as the console.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.output import print_json
from agent.cli.parsers import whole_number
from agent.mail import MailService
from agent.mail.templates import KINDS, MailTemplateService

EXIT_OK = 0


def mail_show(app: Appliance, args: argparse.Namespace) -> int:
    shown = MailService(app.key, CONSOLE).show()
    if args.json:
        print_json(shown)
        return EXIT_OK
    if not shown["configured"]:
        print("no mail server set: edgepbx mail set --host HOST --sender ADDRESS")
        return EXIT_OK
    login = shown["username"] or "no login"
    password = "password set" if shown["password_set"] else "no password"
    print(f"server   {shown['host']}:{shown['port']} ({shown['security']})")
    print(f"login    {login}, {password}")
    print(f"from     {shown['sender_name']} <{shown['sender']}>")
    if not shown["verify_certificate"]:
        print("the server's certificate is not checked")
    return EXIT_OK


def mail_set(app: Appliance, args: argparse.Namespace) -> int:
    changes = {
        name: getattr(args, name)
        for name in ("host", "port", "security", "username", "sender", "sender_name")
        if getattr(args, name) is not None
    }
    if args.verify_certificate is not None:
        changes["verify_certificate"] = args.verify_certificate == "yes"
    if args.password_stdin:
        changes["password"] = sys.stdin.readline().rstrip("\r\n")
    elif args.no_password:
        changes["password"] = ""
    MailService(app.key, CONSOLE).change(**changes)
    if not args.json:
        print("mail settings changed")
    return mail_show(app, args)


def mail_test(app: Appliance, args: argparse.Namespace) -> int:
    sent = MailService(app.key, CONSOLE).send_test(args.to)
    if args.json:
        print_json(sent)
    else:
        print(f"test message sent to {sent['to']}")
    return EXIT_OK


def _templates(app: Appliance) -> MailTemplateService:
    return MailTemplateService(app.key, CONSOLE)


def _print_template(shown: dict) -> None:
    state = "changed" if shown["customized"] else "default"
    print(f"{shown['kind']} ({state}): {shown['label']}")
    print(f"subject  {shown['subject']}")
    print("body")
    for line in shown["body"].splitlines():
        print(f"  {line}")
    print("placeholders")
    for name, meaning in shown["placeholders"].items():
        print(f"  {{{name}}}  {meaning}")


def template_list(app: Appliance, args: argparse.Namespace) -> int:
    shown = _templates(app).list()
    if args.json:
        print_json(shown)
        return EXIT_OK
    for template in shown:
        state = "changed" if template["customized"] else "default"
        print(f"{template['kind']:<16} {state:<8} {template['subject']}")
    return EXIT_OK


def template_show(app: Appliance, args: argparse.Namespace) -> int:
    shown = _templates(app).show(args.kind)
    if args.json:
        print_json(shown)
    else:
        _print_template(shown)
    return EXIT_OK


def template_set(app: Appliance, args: argparse.Namespace) -> int:
    body = sys.stdin.read() if args.body_stdin else args.body
    shown = _templates(app).change(args.kind, subject=args.subject, body=body)
    if args.json:
        print_json(shown)
    else:
        print(f"mail template {shown['kind']} changed")
    return EXIT_OK


def template_reset(app: Appliance, args: argparse.Namespace) -> int:
    shown = _templates(app).reset(args.kind)
    if args.json:
        print_json(shown)
    else:
        print(f"mail template {shown['kind']} is the default again")
    return EXIT_OK


def template_test(app: Appliance, args: argparse.Namespace) -> int:
    sent = _templates(app).send_test(args.kind, args.to)
    if args.json:
        print_json(sent)
    else:
        print(f"{sent['kind']} mail with sample values sent to {sent['to']}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add the mail commands to the edgepbx parser."""
    mail = sub.add_parser("mail", help="the SMTP server mail is sent through")
    mail_sub = mail.add_subparsers(dest="action", required=True, metavar="ACTION")

    command = partial(parsers.command, mail_sub)

    command("show", mail_show, "show the mail settings (never the password)")
    setter = command("set", mail_set, "change the mail settings")
    setter.add_argument("--host", help="SMTP server name or address ('' for none)")
    setter.add_argument("--port", type=whole_number, help="default: by --security")
    setter.add_argument("--security", choices=["starttls", "tls", "none"])
    setter.add_argument(
        "--verify-certificate", choices=["yes", "no"], help="check the TLS certificate"
    )
    setter.add_argument("--username", help="SMTP login ('' for none)")
    secret = setter.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the SMTP password from the first line of standard input",
    )
    secret.add_argument("--no-password", action="store_true", help="clear it")
    setter.add_argument("--sender", help="the From address of the appliance's mail")
    setter.add_argument("--sender-name", help="the From name (default edgepbx)")
    test = command("test", mail_test, "send a test message")
    test.add_argument("to", help="the address to send it to")

    template = mail_sub.add_parser(
        "template", help="the wording of each kind of mail the appliance sends"
    )
    template_sub = template.add_subparsers(
        dest="template_action", required=True, metavar="ACTION"
    )
    command = partial(parsers.command, template_sub)
    command("list", template_list, "list the kinds of mail and their subjects")
    kinds = sorted(KINDS)
    kinds_help = "one of: " + ", ".join(kinds)
    shower = command("show", template_show, "show a template and its placeholders")
    parsers.one_of(shower, "kind", kinds, kinds_help)
    setter = command("set", template_set, "change a template's subject or body")
    parsers.one_of(setter, "kind", kinds, kinds_help)
    setter.add_argument("--subject", help="one line, with {placeholders}")
    body = setter.add_mutually_exclusive_group()
    body.add_argument("--body", help="the plain-text body, with {placeholders}")
    body.add_argument(
        "--body-stdin", action="store_true", help="read the body from standard input"
    )
    resetter = command("reset", template_reset, "go back to the default wording")
    parsers.one_of(resetter, "kind", kinds, kinds_help)
    tester = command("test", template_test, "send it with sample values")
    parsers.one_of(tester, "kind", kinds, kinds_help)
    tester.add_argument("to", help="the address to send it to")
