"""The files that carry host name, name servers, time servers and time zone.

On the device the root file system is read-only: /etc/hostname,
/etc/resolv.conf, /etc/localtime, /etc/timezone and timesyncd's drop-in are
symbolic links into /data/etc (rootfs/), and each write here replaces the
file the link points to, atomically. ``EDGEPBX_SYSTEM_ROOT`` moves the whole
tree elsewhere (the tests use a directory of their own); the kernel's host
name is set only when it is the real root.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from agent.network.config import NetworkConfig

ENV_ROOT = "EDGEPBX_SYSTEM_ROOT"
HOSTNAME = "etc/hostname"
RESOLV_CONF = "etc/resolv.conf"
TIMEZONE = "etc/timezone"
LOCALTIME = "etc/localtime"
TIMESYNCD_DROPIN = "etc/systemd/timesyncd.conf.d/edgepbx.conf"
ZONEINFO = Path("/usr/share/zoneinfo")


def system_root() -> Path:
    return Path(os.environ.get(ENV_ROOT) or "/")


def _write(root: Path, relative: str, text: str) -> None:
    target = Path(os.path.realpath(root / relative))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.new")
    temporary.write_text(text)
    temporary.chmod(0o644)
    os.replace(temporary, target)


def _link(root: Path, relative: str, points_to: Path) -> None:
    link = root / relative
    # /etc/localtime itself may be a link into /data; replace what it names.
    if link.is_symlink() and not str(os.readlink(link)).startswith(str(ZONEINFO)):
        link = Path(os.path.realpath(link))
    link.parent.mkdir(parents=True, exist_ok=True)
    temporary = link.with_name(f".{link.name}.new")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(points_to)
    os.replace(temporary, link)


def resolv_conf(config: NetworkConfig) -> str:
    lines = ["# Written by edgepbx from its network settings."]
    lines += [f"nameserver {server}" for server in config.dns]
    return "\n".join(lines) + "\n"


def timesyncd_conf(config: NetworkConfig) -> str:
    servers = " ".join(config.ntp)
    return f"# Written by edgepbx from its network settings.\n[Time]\nNTP={servers}\n"


def write(config: NetworkConfig, root: Path | None = None) -> None:
    """Write every file; with DHCP and no DNS given, resolv.conf is DHCP's.

    Not the time zone: it is the appliance's one setting (agent.setup), and
    its files are written when it changes (write_time_zone), not each time
    network settings are applied, undone or restored at boot.
    """
    root = root or system_root()
    _write(root, HOSTNAME, f"{config.hostname}\n")
    if config.dns or config.mode != "dhcp":
        _write(root, RESOLV_CONF, resolv_conf(config))
    _write(root, TIMESYNCD_DROPIN, timesyncd_conf(config))
    if root == Path("/") and socket.gethostname() != config.hostname:
        socket.sethostname(config.hostname)


def write_time_zone(name: str, root: Path | None = None) -> None:
    root = root or system_root()
    _write(root, TIMEZONE, f"{name}\n")
    _link(root, LOCALTIME, ZONEINFO / name)


def owns_time_zone() -> bool:
    """Whether this machine's zone files are the appliance's to write: on the
    device /etc/localtime links into /data (rootfs/), and the tests set
    EDGEPBX_SYSTEM_ROOT. Under ``make run`` on a workstation they are not."""
    if os.environ.get(ENV_ROOT):
        return True
    link = system_root() / LOCALTIME
    return link.is_symlink() and os.readlink(link).startswith("/data/")
