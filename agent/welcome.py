"""The banner ``make run`` prints once every daemon answers."""

from __future__ import annotations

import shutil
import sys

from agent.appliance import Appliance
from agent.sip.kamailio_config import sip_domain, sip_host


def print_welcome(app: Appliance) -> None:
    settings = app.settings
    cli = shutil.which("edgepbx") or f"{sys.prefix}/bin/edgepbx"
    extensions = app.extensions.list()
    lines = [
        "",
        "edgepbx is running. Press Ctrl-C to stop.",
        "",
        f"  Phones register at   {sip_host(settings)} port {settings.sip_port}"
        " (UDP or TCP)",
        f"  SIP domain           {sip_domain(settings)}",
        f"  Data                 {settings.data_dir}",
        "",
    ]
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
        ]
    lines.append("")
    print("\n".join(lines), flush=True)
