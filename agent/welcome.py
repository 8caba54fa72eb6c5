"""The banner ``make run`` prints once every daemon answers, and the one the
device's console shows above its login prompt.

Only the process that made the first administrator knows its one-time
password (``AccountService.pending_one_time_password``). The agent takes it
once, when every daemon answers, and hands it to both banners; the console's
keeps it while the administrator has not yet chosen their own password, and
drops it the moment they have.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from agent.appliance import Appliance
from agent.sip.kamailio_config import sip_domain, sip_host
from agent.status import web_addresses
from agent.web.certificate import fingerprint

# agetty shows every file in /etc/issue.d above the login prompt; the image
# links /etc/issue.d/edgepbx.issue to this file of the run directory.
CONSOLE_BANNER_NAME = "console.issue"
# Only root (agetty, the agent) reads it: it may hold the one-time password.
CONSOLE_BANNER_MODE = 0o600


def print_welcome(app: Appliance, password: str | None) -> None:
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
    lines += _web_admin_lines(app, cli, password)
    if extensions:
        lines.append("  Extensions (user name = number):")
        lines += [f"    {e.number:>6}  {e.display_name}" for e in extensions]
        lines.append(
            f"  New SIP password:    {cli} extension set-password NUMBER"
            " (signs its phones out)"
        )
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


def _web_admin_lines(app: Appliance, cli: str, password: str | None) -> list[str]:
    """Where the web admin is, and the first password while it is pending."""
    lines = [
        f"  Web admin            {web_addresses(app.settings)['https']}",
        f"  Its certificate      SHA-256 {fingerprint(app.settings)}",
    ]
    if password and not app.accounts.first_admin_pending():
        password = None  # its owner has chosen their own since
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


def console_banner(app: Appliance, password: str | None) -> str:
    """The text above the console's login prompt: where to point a browser
    and a phone, and the first sign-in while it is pending."""
    settings = app.settings
    lines = [
        "",
        "edgepbx phone system",
        "",
        f"  Phones register at   {sip_host(settings)} port {settings.sip_port}",
        "",
        *_web_admin_lines(app, "edgepbx", password),
        "  The recovery menu is on the serial console and over SSH as 'recovery'.",
        "",
    ]
    # agetty reads backslash escapes in issue files: keep ours literal.
    return "\n".join(lines).replace("\\", "\\\\") + "\n"


def write_console_banner(app: Appliance, password: str | None) -> Path:
    """Write the console banner into the run directory, replacing it whole."""
    path = app.settings.run_dir / CONSOLE_BANNER_NAME
    text = console_banner(app, password)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, CONSOLE_BANNER_MODE)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(tmp, path)
    return path
