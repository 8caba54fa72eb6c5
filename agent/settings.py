"""Where the appliance keeps its data and which addresses it serves.

Read from the environment once per process. The defaults are those of
``make run`` on a workstation; the device's service units set their own.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from agent.errors import InvalidInput

DEFAULT_DATA_DIR = "./var"
DEFAULT_BIND = "127.0.0.1"
DEFAULT_SIP_PORT = 5060  # RFC 3261 section 19.1.2
DEFAULT_SIP_TLS_PORT = 5061  # RFC 3261 section 19.1.2, for sips: and TLS
DEFAULT_HTTP_PORT = 8080
DEFAULT_HTTPS_PORT = 8443
DEFAULT_TFTP_PORT = 6969  # 69 on the device, which runs it with privileges
# The media relay's control socket, on loopback only (rtpengine's ng protocol).
DEFAULT_RTPENGINE_PORT = 2223

# Where the running agent listens, written by it at each start into run/:
# a command that probes the agent (`edgepbx status`, the recovery console)
# is often started without the agent's variables (a serial console unit, an
# SSH session, a second terminal beside `make run`) and reads them here.
LISTENING_RECORD_NAME = "listening.json"
# Each recorded setting and the variable that, when given, wins over it.
_RECORDED = {
    "bind": "EDGEPBX_BIND",
    "sip_port": "EDGEPBX_SIP_PORT",
    "sip_tls_port": "EDGEPBX_SIP_TLS_PORT",
    "http_port": "EDGEPBX_HTTP_PORT",
    "https_port": "EDGEPBX_HTTPS_PORT",
    "tftp_port": "EDGEPBX_TFTP_PORT",
    "rtpengine_ng_port": "EDGEPBX_RTPENGINE_PORT",
}


# A TCP or UDP port a daemon can listen on.
PORTS = range(1, 65536)


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) not in PORTS:
        raise InvalidInput(name, raw, "a port number from 1 to 65535")
    return int(raw)


# A host name (RFC 1123 labels) or an IPv4 address; the SIP domain goes
# into Kamailio's configuration and every phone's settings.
_HOSTNAME = re.compile(
    r"(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def _bind_address(raw: str) -> str:
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise InvalidInput("EDGEPBX_BIND", raw, "an IPv4 or IPv6 address") from None
    if address.is_unspecified:
        raise InvalidInput(
            "EDGEPBX_BIND",
            raw,
            "one address of this machine: phones need a real one to register to",
        )
    return str(address)


def _domain(raw: str) -> str | None:
    if not raw:
        return None
    if not _HOSTNAME.fullmatch(raw):
        raise InvalidInput(
            "EDGEPBX_SIP_DOMAIN", raw, "a host name like pbx.example.com, or an address"
        )
    return raw.lower()


def _check_ports_distinct(settings: Settings) -> None:
    """SIP also listens on TCP, so no web port may reuse the SIP port."""
    tcp = {
        "EDGEPBX_SIP_PORT": settings.sip_port,
        "EDGEPBX_HTTP_PORT": settings.http_port,
        "EDGEPBX_HTTPS_PORT": settings.https_port,
        "EDGEPBX_SIP_TLS_PORT": settings.sip_tls_port,
    }
    seen: dict[int, str] = {}
    for name, port in tcp.items():
        if port in seen:
            raise InvalidInput(name, port, f"already used by {seen[port]}")
        seen[port] = name
    if settings.tftp_port == settings.sip_port:
        raise InvalidInput(
            "EDGEPBX_TFTP_PORT", settings.tftp_port, "already used by EDGEPBX_SIP_PORT"
        )


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    bind: str
    sip_port: int
    http_port: int
    https_port: int
    tftp_port: int
    sip_domain_override: str | None = None
    rtpengine_ng_port: int = DEFAULT_RTPENGINE_PORT
    #: Whether EDGEPBX_DATA_DIR was given; only then may a CLI command that
    #: finds no data there start a new appliance in it.
    data_dir_chosen: bool = False
    #: SIP over TLS (TCP); its certificate is the web admin's.
    sip_tls_port: int = DEFAULT_SIP_TLS_PORT

    @classmethod
    def from_environment(cls) -> Settings:
        bind = _bind_address(os.environ.get("EDGEPBX_BIND") or DEFAULT_BIND)
        chosen = os.environ.get("EDGEPBX_DATA_DIR") or ""
        data_dir = Path(chosen or DEFAULT_DATA_DIR).absolute()
        if data_dir.exists() and not data_dir.is_dir():
            raise InvalidInput("EDGEPBX_DATA_DIR", str(data_dir), "must be a directory")
        settings = cls(
            data_dir=data_dir,
            bind=bind,
            sip_port=_port("EDGEPBX_SIP_PORT", DEFAULT_SIP_PORT),
            http_port=_port("EDGEPBX_HTTP_PORT", DEFAULT_HTTP_PORT),
            https_port=_port("EDGEPBX_HTTPS_PORT", DEFAULT_HTTPS_PORT),
            tftp_port=_port("EDGEPBX_TFTP_PORT", DEFAULT_TFTP_PORT),
            sip_domain_override=_domain(os.environ.get("EDGEPBX_SIP_DOMAIN") or ""),
            data_dir_chosen=bool(chosen),
            sip_tls_port=_port("EDGEPBX_SIP_TLS_PORT", DEFAULT_SIP_TLS_PORT),
            rtpengine_ng_port=_port("EDGEPBX_RTPENGINE_PORT", DEFAULT_RTPENGINE_PORT),
        )
        _check_ports_distinct(settings)
        return settings

    # The persistent tree, as on the device's /data partition.
    @property
    def db_dir(self) -> Path:
        return self.data_dir / "db"

    @property
    def config_db(self) -> Path:
        return self.db_dir / "edgepbx.sqlite"

    @property
    def sip_state_db(self) -> Path:
        return self.db_dir / "sip-state.sqlite"

    @property
    def certs_dir(self) -> Path:
        return self.data_dir / "certs"

    @property
    def device_key(self) -> Path:
        return self.certs_dir / "device.key"

    @property
    def https_certificate(self) -> Path:
        return self.certs_dir / "web.crt"

    @property
    def https_key(self) -> Path:
        return self.certs_dir / "web.key"

    @property
    def web_secret(self) -> Path:
        return self.certs_dir / "web.secret"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def recordings_dir(self) -> Path:
        """Finished recordings, one audio file per call."""
        return self.data_dir / "recordings"

    @property
    def capture_dir(self) -> Path:
        """rtpengine's raw captures until the agent has made them audio files
        (kept apart from recordings/, whose clean-up deletes oldest first)."""
        return self.data_dir / "capture"

    # Rendered configuration and sockets; rebuilt at every start.
    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def kamailio_rpc_socket(self) -> Path:
        return self.run_dir / "kamailio-rpc.sock"

    @property
    def agent_state_file(self) -> Path:
        return self.run_dir / "agent.json"

    @property
    def listening_record(self) -> Path:
        return self.run_dir / LISTENING_RECORD_NAME

    def record_listening(self) -> None:
        """Write where this agent listens, atomically and for this user alone."""
        record = {name: getattr(self, name) for name in _RECORDED}
        path = self.listening_record
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(record, f, indent=2)
        os.replace(tmp, path)

    def where_agent_listens(self) -> Settings:
        """These settings with the agent's recorded address and ports in
        place of the defaults: a variable given here still wins, and with no
        record (or an unreadable one) the defaults stay. The record of an
        agent that has stopped is the best guess of where it will listen."""
        try:
            record = json.loads(self.listening_record.read_text())
        except (OSError, ValueError):
            return self
        if not isinstance(record, dict):
            return self
        found: dict[str, str | int] = {}
        for name, variable in _RECORDED.items():
            value = record.get(name)
            if os.environ.get(variable) or value is None:
                continue
            if name == "bind":
                try:
                    found[name] = _bind_address(str(value))
                except InvalidInput:
                    continue
            elif isinstance(value, int) and value in PORTS:
                found[name] = value
        return dataclasses.replace(self, **found)

    def environment(self) -> dict[str, str]:
        """These settings as the variables a child process reads them from."""
        env = {
            "EDGEPBX_DATA_DIR": str(self.data_dir),
            "EDGEPBX_BIND": self.bind,
            "EDGEPBX_SIP_PORT": str(self.sip_port),
            "EDGEPBX_HTTP_PORT": str(self.http_port),
            "EDGEPBX_HTTPS_PORT": str(self.https_port),
            "EDGEPBX_TFTP_PORT": str(self.tftp_port),
            "EDGEPBX_SIP_TLS_PORT": str(self.sip_tls_port),
            "EDGEPBX_RTPENGINE_PORT": str(self.rtpengine_ng_port),
        }
        if self.sip_domain_override:
            env["EDGEPBX_SIP_DOMAIN"] = self.sip_domain_override
        return env

    def persistent_dirs(self) -> list[Path]:
        names = ["db", "prompts", "voicemail", "recordings", "backups", "certs"]
        names += ["firmware", "logs", "run"]
        return [self.data_dir / name for name in names]
