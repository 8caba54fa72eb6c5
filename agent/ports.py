"""Checks that an address and port can be listened on before a daemon tries.

A daemon that cannot bind says so among its start-up lines and is restarted
again and again; checking first lets the agent say, in one line, which
setting to change.
"""

from __future__ import annotations

import errno
import socket

from agent.errors import PbxError


class PortUnavailable(PbxError):
    kind = "port-unavailable"


def ensure_free(address: str, port: int, setting: str, udp: bool = False) -> None:
    """Raise PortUnavailable unless TCP (and UDP if asked) can bind there."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    kinds = [(socket.SOCK_STREAM, "TCP")]
    if udp:
        kinds.append((socket.SOCK_DGRAM, "UDP"))
    for kind, name in kinds:
        with socket.socket(family, kind) as probe:
            # Daemons set SO_REUSEADDR themselves, so a port left in
            # TIME_WAIT by their previous run is free for them and for this.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((address, port))
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL:
                    raise PortUnavailable(
                        f'EDGEPBX_BIND "{address}": not an address of this machine',
                        field="EDGEPBX_BIND",
                    ) from None
                raise PortUnavailable(
                    f"{name} port {port} on {address} cannot be used "
                    f"({exc.strerror}): stop the program using it, or change "
                    f"{setting}",
                    field=setting,
                ) from None
