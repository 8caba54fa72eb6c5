"""A local SIP carrier for trunk tests: a second Kamailio on loopback.

It behaves like a small provider: REGISTER needs digest authentication
(accounts and passwords given by the test), a call to one of its DIDs goes
to the customer account the DID belongs to (the PBX's registered Contact,
DID kept in To), a call to any other number rings the carrier's own
subscriber of that number (a test phone registered here), and with
``fail_invites`` it answers every INVITE with that status (a trunk that is
down or overloaded). Every request it receives is logged with its From,
P-Asserted-Identity and Remote-Party-ID and its SDP's audio m= line, so a
test can check the caller ID and the codecs the carrier saw:
``carrier.requests("INVITE")``. A call for another host (a customer's phone
following a REFER to the PBX) is forwarded there.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from agent.supervisor.daemon import die_with_parent
from tests.pbx import free_port

READY_TIMEOUT_S = 10.0
CARRIER_HOST = "127.0.0.1"
REQUEST_LOG = (
    "carrier-request method=$rm ruri=$ru from=$fu to=$tu pai=$ai rpid=$re "
    "source=$si:$sp privacy=$hdr(Privacy) from_name=$(fn{s.encode.hexa}) "
    "pai_header=$(hdr(P-Asserted-Identity){s.encode.hexa}) "
    "media=$(rb{line.sw,m=audio})"
)
_REQUEST_LINE = re.compile(
    r"carrier-request method=(\S+) ruri=(\S*) from=(\S*) to=(\S*) "
    r"pai=(\S*) rpid=(\S*) source=(\S*) privacy=(\S*) from_name=(\S*) "
    r"pai_header=(\S*) media=(.*)"
)
#: RFC 3551 section 6: the static payload types of the codecs tests use.
STATIC_PAYLOAD_TYPES = {"0": "PCMU", "8": "PCMA", "9": "G722", "18": "G729"}

CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
children=2
auto_aliases=no
listen=udp:127.0.0.1:{port}
alias="127.0.0.1:{port}"

loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"

modparam("usrloc", "db_mode", 0)
modparam("auth", "secret", "{secret}")
modparam("registrar", "max_expires", 3600)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    force_rport();
    xlog("L_NOTICE", "{request_log}\\n");
    if (is_method("REGISTER")) {{
        $var(pw) = "";
{password_lines}
        if (!pv_www_authenticate("$td", "$var(pw)", "0")) {{
            www_challenge("$td", "0");
            exit;
        }}
        if (!save("location")) {{ sl_reply_error(); }}
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    t_check_trans();
    if (is_method("OPTIONS")) {{ sl_send_reply("200", "OK"); exit; }}
{fail_line}
{challenge_lines}
    record_route();
    # Another provider's address (a transfer's target the customer was
    # REFERred to): the carrier forwards the call there.
    if (!($rd == "127.0.0.1" && $rp == {port})) {{ t_relay(); exit; }}
{did_lines}
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    t_relay();
}}
"""


CHALLENGE = """    if (is_method("INVITE")) {{
        $var(pw) = "";
{password_lines}
        if (!pv_proxy_authenticate("$fd", "$var(pw)", "0")) {{
            proxy_challenge("$fd", "0");
            exit;
        }}
        consume_credentials();
        xlog("L_NOTICE", "carrier-invite-authenticated user=$au\\n");
    }}"""


def _unhex(text: str) -> str:
    """A value the carrier logged with s.encode.hexa ("" when it was null)."""
    try:
        return bytes.fromhex(text).decode()
    except ValueError:
        return ""


@dataclass
class CarrierRequest:
    method: str
    ruri: str
    from_uri: str
    to_uri: str
    pai: str
    rpid: str
    source: str
    #: The Privacy header (RFC 3323), "<null>" without one.
    privacy: str
    #: From's display name and the whole P-Asserted-Identity value, in hex
    #: (names hold spaces); see from_name and asserted_identity.
    from_name_hex: str
    pai_header_hex: str
    #: The SDP's "m=audio ..." line, "<null>" without a body.
    media: str

    @property
    def from_name(self) -> str:
        """From's display name, its one pair of quotes taken off ("" without
        one)."""
        name = _unhex(self.from_name_hex)
        quoted = len(name) >= 2 and name[0] == name[-1] == '"'
        return name[1:-1] if quoted else name

    @property
    def asserted_identity(self) -> str:
        """P-Asserted-Identity as sent, display name included."""
        return _unhex(self.pai_header_hex)

    @property
    def static_codecs(self) -> list[str]:
        """The offered codecs with a static payload type, in order."""
        payload_types = self.media.split()[3:]
        return [STATIC_PAYLOAD_TYPES.get(p, p) for p in payload_types if int(p) < 96]


@dataclass
class Carrier:
    """Start with ``with Carrier(accounts={...}, dids={...}) as carrier:``.

    Args:
        accounts: user name -> password, for every REGISTER (the PBX's
            trunk account and the carrier's own test phones).
        dids: DID -> the account its calls are delivered to.
        fail_invites: answer every new INVITE with this status (0: never).
    """

    accounts: dict[str, str] = field(default_factory=dict)
    dids: dict[str, str] = field(default_factory=dict)
    fail_invites: int = 0
    #: Answer a new INVITE with 407 until it carries an account's credentials.
    challenge_invites: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="edgepbx-carrier-"))
        self.log_path = self.dir / "carrier.log"

    def render(self) -> str:
        for value in [
            *self.accounts,
            *self.accounts.values(),
            *self.dids,
            *self.dids.values(),
        ]:
            if not re.fullmatch(r"[A-Za-z0-9+_.-]+", value):
                raise ValueError(f"carrier: {value!r} is not a plain token")
        passwords = "\n".join(
            f'        if ($au == "{user}") {{ $var(pw) = "{pw}"; }}'
            for user, pw in self.accounts.items()
        )
        host = f"{CARRIER_HOST}:{self.port}"
        dids = "\n".join(
            f'    if ($rU == "{did}") {{ $ru = "sip:{account}@{host}"; }}'
            for did, account in self.dids.items()
        )
        fail = (
            f'    if (is_method("INVITE")) {{ sl_send_reply("{self.fail_invites}", '
            '"Carrier Says No"); exit; }'
            if self.fail_invites
            else ""
        )
        challenge = (
            CHALLENGE.format(password_lines=passwords) if self.challenge_invites else ""
        )
        return CONFIG.format(
            port=self.port,
            secret=secrets.token_hex(8),
            password_lines=passwords,
            did_lines=dids,
            fail_line=fail,
            request_log=REQUEST_LOG,
            challenge_lines=challenge,
        )

    def start(self) -> Carrier:
        cfg = self.dir / "carrier.cfg"
        cfg.write_text(self.render())
        log = open(self.log_path, "ab")  # noqa: SIM115 -- owned by the process
        self.process = subprocess.Popen(
            [
                "kamailio",
                "-DD",
                "-E",
                "-f",
                str(cfg),
                "-Y",
                str(self.dir),
                "-w",
                str(self.dir),
                "-m",
                "32",
                "-M",
                "4",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"carrier exited:\n{self.log()}")
            if "carrier" in self.log() or self._listening():
                return self
            time.sleep(0.1)
        raise TimeoutError(f"carrier not up:\n{self.log()}")

    def _listening(self) -> bool:
        from agent.trunks.probe import options_ping

        return options_ping("127.0.0.1", self.port, timeout=0.3) == 200

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )

    def requests(self, method: str | None = None) -> list[CarrierRequest]:
        found = [
            CarrierRequest(*m.groups()) for m in _REQUEST_LINE.finditer(self.log())
        ]
        return [r for r in found if method is None or r.method == method]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> Carrier:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        # Its configuration, log and control sockets: nothing to keep.
        shutil.rmtree(self.dir, ignore_errors=True)
