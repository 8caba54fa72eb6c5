"""The pool of media workers: how many, on which ports, and how Kamailio
finds them.

One process holds one pjsua2 Endpoint, and an Endpoint holds at most
``PJSUA_MAX_CALLS`` calls, a limit fixed when pjproject is compiled.
edgepbx compiles it itself (scripts/build-pjsua2) with the limit taken from
CALLS_PER_WORKER below, so that one worker carries a whole conference room
or a large share of the IVR legs. The media service is still a pool of
worker processes, each with its own Endpoint on its own loopback SIP port,
because one Endpoint runs on one thread: two workers use both cores of the
smallest appliance, and a worker that dies takes only its own calls.
Kamailio's dispatcher module spreads the calls for service numbers over them
(round robin, and the next worker when one is full, dead or slow).

Kamailio and the workers trust each other through a token that the agent
writes into the run directory at every start: Kamailio adds it to every
request it sends a worker, and accepts a request from the loopback carrying
it (a message waiting NOTIFY) without digest authentication.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from agent.devicekey import create_secret_file
from agent.errors import InvalidInput
from agent.settings import Settings

#: Calls one pjsua2 process can hold. scripts/build-pjsua2 reads this line
#: and compiles pjproject with it as PJSUA_MAX_CALLS (and sizes the other
#: limits from it), so this is the one place to change it. 128 holds a
#: 30-member conference with room to spare, and more IVR legs than one
#: core can mix (scripts/bench/media_legs).
CALLS_PER_WORKER = 128
#: Workers in the pool by default: one per core of the smallest appliance
#: (2 cores), 256 simultaneous media calls; each idle worker costs about
#: 35 MB of memory (PSS, scripts/bench/idle_memory). EDGEPBX_MEDIA_WORKERS
#: overrides it.
DEFAULT_WORKERS = 2
MAX_WORKERS = 64
#: The workers listen on consecutive loopback ports from here unless
#: EDGEPBX_MEDIA_PORTS lists them.
DEFAULT_FIRST_PORT = 5090
WORKER_ADDRESS = "127.0.0.1"
#: The header that carries the trust token between Kamailio and the workers.
TOKEN_HEADER = "X-Edgepbx-Media"
#: Set by Kamailio on a call it sends to voicemail: "busy" or "unavailable".
VOICEMAIL_HEADER = "X-Edgepbx-Voicemail"
#: Set by Kamailio on a call that came in on a trunk: the trunk's name.
TRUNK_HEADER = "X-Edgepbx-Trunk"
#: Dispatcher set id of the media workers.
DISPATCHER_SET = 1


@dataclass(frozen=True)
class MediaPool:
    ports: tuple[int, ...]
    address: str = WORKER_ADDRESS

    @classmethod
    def from_environment(cls) -> MediaPool:
        raw_ports = os.environ.get("EDGEPBX_MEDIA_PORTS", "")
        if raw_ports:
            ports = []
            for item in raw_ports.split(","):
                if not item.isdigit() or not 1 <= int(item) <= 65535:
                    raise InvalidInput(
                        "EDGEPBX_MEDIA_PORTS",
                        raw_ports,
                        "port numbers, comma separated",
                    )
                ports.append(int(item))
            return cls(tuple(ports))
        raw_count = os.environ.get("EDGEPBX_MEDIA_WORKERS", "")
        count = DEFAULT_WORKERS
        if raw_count:
            if not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_WORKERS:
                raise InvalidInput(
                    "EDGEPBX_MEDIA_WORKERS",
                    raw_count,
                    f"a number from 1 to {MAX_WORKERS}",
                )
            count = int(raw_count)
        return cls(tuple(DEFAULT_FIRST_PORT + i for i in range(count)))

    @property
    def capacity(self) -> int:
        return CALLS_PER_WORKER * len(self.ports)

    def uri(self, port: int) -> str:
        return f"sip:{self.address}:{port}"

    def dispatcher_list(self) -> str:
        """The dispatcher module's list file: one line per worker."""
        lines = ["# set destination flags priority attributes"]
        for port in self.ports:
            lines.append(f"{DISPATCHER_SET} {self.uri(port)} 0 0")
        return "\n".join(lines) + "\n"


def token_path(settings: Settings) -> Path:
    return settings.run_dir / "media.token"


def ensure_token(settings: Settings) -> str:
    """The trust token, made once per data directory and kept private."""
    path = token_path(settings)
    if not path.exists():
        settings.run_dir.mkdir(parents=True, exist_ok=True)
        create_secret_file(path, secrets.token_hex(16).encode())
    return path.read_text().strip()


def read_token(settings: Settings) -> str:
    return token_path(settings).read_text().strip()


def ready_path(settings: Settings, port: int) -> Path:
    """Written by a worker once its Endpoint answers; holds the worker's pid."""
    return settings.run_dir / f"media-{port}.ready"


def worker_answering(settings: Settings, port: int, pid: int | None) -> bool:
    """The worker with this pid has its Endpoint up on its port."""
    if pid is None:
        return False
    try:
        return ready_path(settings, port).read_text().strip() == str(pid)
    except OSError:
        return False
