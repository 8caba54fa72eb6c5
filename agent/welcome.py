"""The banner ``make run`` prints once every daemon answers."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from agent.appliance import Appliance
from agent.sip.kamailio_config import sip_domain, sip_host
from agent.status import web_addresses
from agent.web.certificate import fingerprint


def print_welcome(app: Appliance) -> None:
    settings = app.settings
    cli = shutil.which("edgepbx") or f"{sys.prefix}/bin/edgepbx"
    extensions = app.extensions.list()
    lines = [
        "",
        "edgepbx is running. Press Ctrl-C to stop.",
        "",
        f"  Phones register at   {sip_host(settings)} port {settings.sip_port}"
        f" (UDP or TCP), port {settings.sip_tls_port} (TLS)",
        f"  SIP domain           {sip_domain(settings)}",
        f"  Data                 {settings.data_dir}",
        "",
    ]
    lines += _web_admin_lines(app, cli)
    if extensions:
        lines.append("  Extensions (user name = number):")
        lines += [f"    {e.number:>6}  {e.display_name}" for e in extensions]
        lines.append(f"  A phone's password:  {cli} extension set-password NUMBER")
    else:
        lines += [
            "  No extensions yet. In another terminal, add two and point two",
            "  phones at the address above with the number as user name and",
            "  the password printed:",
            f"    {cli} extension add 101 --name 'Front desk'",
            f"    {cli} extension add 102 --name 'Office'",
            f"  (from {Path.cwd()}, or anywhere with",
            f"  EDGEPBX_DATA_DIR={settings.data_dir})",
        ]
    lines.append("")
    print("\n".join(lines), flush=True)


def _web_admin_lines(app: Appliance, cli: str) -> list[str]:
    """Where the web admin is, and the first password while it is pending."""
    lines = [
        f"  Web admin            {web_addresses(app)['https']}",
        f"  Its certificate      SHA-256 {fingerprint(app.settings)}",
    ]
    password = app.accounts.pending_one_time_password()
    if password:
        lines += [
            "  Sign in as           admin",
            f"  one-time password    {password}",
            "  (you choose your own password at the first sign-in)",
        ]
    elif app.accounts.first_admin_pending():
        lines += [
            "  Sign in as           admin, with the one-time password printed",
            "                       when it was made; a new one:",
            f"                       {cli} admin reset-password",
        ]
    else:
        lines.append(f"  Forgot the password? {cli} admin reset-password")
    return [*lines, ""]
