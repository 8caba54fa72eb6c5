"""Hand-made SIP requests over UDP, for tests that must see the exact bytes.

The pjsua2 phones in tests.sipphone behave like real phones; this module is
for what a real phone would never send (malformed requests, a scanner's
probes) and for comparing replies header by header.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
from dataclasses import dataclass, field

RECV_TIMEOUT_S = 3.0


@dataclass
class SipReply:
    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    raw: str = ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @classmethod
    def parse(cls, data: bytes) -> SipReply:
        text = data.decode(errors="replace")
        head = text.split("\r\n\r\n", 1)[0]
        lines = head.split("\r\n")
        _, status, reason = lines[0].split(" ", 2)
        headers = []
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers.append((key.strip(), value.strip()))
        return cls(int(status), reason, headers, text)


def digest_response(
    user: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None = None,
    nc: str = "00000001",
    cnonce: str = "",
) -> str:
    """RFC 2617 section 3.2.2.1 digest response, with or without qop=auth."""
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    parts = [ha1, nonce, nc, cnonce, qop, ha2] if qop else [ha1, nonce, ha2]
    return hashlib.md5(":".join(parts).encode()).hexdigest()


def parse_challenge(value: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="?([^",]*)"?', value))


class SipClient:
    """A UDP socket that sends requests to one server and reads replies."""

    user_agent = "edgepbx-test"

    def __init__(self, host: str, port: int, bind: str = "127.0.0.1") -> None:
        self.server = (host, port)
        self.local_host = bind
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((bind, 0))
        self.sock.settimeout(RECV_TIMEOUT_S)
        self.local_port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> SipClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.server)

    def receive(self, skip_provisional: bool = True) -> SipReply:
        while True:
            data, _ = self.sock.recvfrom(65535)
            reply = SipReply.parse(data)
            if not (skip_provisional and reply.status < 200):
                return reply

    def request(
        self,
        method: str,
        uri: str,
        from_user: str,
        to_user: str | None = None,
        extra_headers: list[str] | None = None,
        body: str = "",
        call_id: str | None = None,
        cseq: int = 1,
    ) -> bytes:
        host = self.server[0]
        to_user = to_user if to_user is not None else from_user
        branch = "z9hG4bK" + secrets.token_hex(8)
        local = f"{self.local_host}:{self.local_port}"
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {local};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <sip:{from_user}@{host}>;tag={secrets.token_hex(4)}",
            f"To: <sip:{to_user}@{host}>",
            f"Call-ID: {call_id or secrets.token_hex(12)}",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:{from_user}@{local}>",
            f"User-Agent: {self.user_agent}",
            *(extra_headers or []),
            f"Content-Length: {len(body.encode())}",
            "",
            body,
        ]
        return "\r\n".join(lines).encode()

    def send(self, method: str, uri: str, from_user: str, **kw) -> SipReply:
        self.send_raw(self.request(method, uri, from_user, **kw))
        return self.receive()

    def send_with_auth(
        self, method: str, uri: str, user: str, password: str, **kw
    ) -> SipReply:
        """Send, answer the digest challenge once, return the final reply."""
        call_id = secrets.token_hex(12)
        first = self.send(method, uri, user, call_id=call_id, **kw)
        if first.status not in (401, 407):
            return first
        if method == "INVITE":
            self.ack(first, uri, user, call_id, kw.get("to_user"))
        header = "WWW-Authenticate" if first.status == 401 else "Proxy-Authenticate"
        challenge = parse_challenge(first.header(header) or "")
        qop = "auth" if "auth" in challenge.get("qop", "").split(",") else None
        cnonce = secrets.token_hex(8)
        response = digest_response(
            user,
            challenge["realm"],
            password,
            method,
            uri,
            challenge["nonce"],
            qop=qop,
            cnonce=cnonce,
        )
        auth_name = "Authorization" if first.status == 401 else "Proxy-Authorization"
        auth = (
            f'{auth_name}: Digest username="{user}", realm="{challenge["realm"]}", '
            f'nonce="{challenge["nonce"]}", uri="{uri}", response="{response}", '
            "algorithm=MD5"
        )
        if qop:
            auth += f', qop={qop}, nc=00000001, cnonce="{cnonce}"'

        extra = [*(kw.pop("extra_headers", None) or []), auth]
        return self.send(
            method, uri, user, call_id=call_id, cseq=2, extra_headers=extra, **kw
        )

    def invite(self, number: str, user: str, password: str) -> SipReply:
        """An authenticated INVITE from user to number; the final reply."""
        host, port = self.server
        uri = f"sip:{number}@{host}:{port}"
        return self.send_with_auth("INVITE", uri, user, password, to_user=number)

    def register(
        self, user: str, password: str, expires: int = 600, to_user: str | None = None
    ) -> SipReply:
        """An authenticated REGISTER of this socket as user's contact."""
        host, port = self.server
        return self.send_with_auth(
            "REGISTER",
            f"sip:{host}:{port}",
            user,
            password,
            to_user=to_user,
            extra_headers=[f"Expires: {expires}"],
        )

    def ack(
        self, reply: SipReply, uri: str, user: str, call_id: str, to_user: str | None
    ) -> None:
        """ACK a negative final reply to an INVITE (RFC 3261 section 17.1.1.3)."""
        via = reply.header("Via") or ""
        to = reply.header("To") or ""
        from_ = reply.header("From") or ""
        lines = [
            f"ACK {uri} SIP/2.0",
            f"Via: {via}",
            "Max-Forwards: 70",
            f"From: {from_}",
            f"To: {to}",
            f"Call-ID: {call_id}",
            "CSeq: 1 ACK",
            "Content-Length: 0",
            "",
            "",
        ]
        self.send_raw("\r\n".join(lines).encode())


class DialogWatcher(SipClient):
    """A phone's busy lamp field: SUBSCRIBE for the dialog event package
    (RFC 4235) of one extension, then the lamp's state from each NOTIFY.

    NOTIFYs are requests, not replies: every read answers each with 200
    OK, as a phone must, and keeps the dialog state it reported (``idle``
    for a NOTIFY that names no call).
    """

    def subscribe(
        self, user: str, password: str, target: str, expires: int = 600
    ) -> SipReply:
        host, port = self.server
        self.target_uri = f"sip:{target}@{host}:{port}"
        self.user = user
        self.states: list[str] = []
        self.dialogs: list[dict[str, str]] = []
        self.subscription_states: list[str] = []
        reply = self.send_with_auth(
            "SUBSCRIBE",
            self.target_uri,
            user,
            password,
            to_user=target,
            extra_headers=[
                "Event: dialog",
                "Accept: application/dialog-info+xml",
                f"Expires: {expires}",
            ],
        )
        self.dialog = reply
        self.cseq = 2  # the challenged SUBSCRIBE was 1, its answer 2
        return reply

    def refresh(self, expires: int) -> SipReply:
        """SUBSCRIBE again inside the subscription (RFC 6665 section 4.1.2.1):
        the same Call-ID and tags, to the Contact the server gave; Expires 0
        ends it."""
        reply = self.dialog
        self.cseq += 1
        target = (reply.header("Contact") or "").strip("<>").split(">")[0]
        host = self.local_host
        lines = [
            f"SUBSCRIBE {target} SIP/2.0",
            f"Via: SIP/2.0/UDP {host}:{self.local_port};"
            f"branch=z9hG4bK{secrets.token_hex(8)};rport",
            "Max-Forwards: 70",
            f"From: {reply.header('From')}",
            f"To: {reply.header('To')}",
            f"Call-ID: {reply.header('Call-ID')}",
            f"CSeq: {self.cseq} SUBSCRIBE",
            f"Contact: <sip:{self.user}@{host}:{self.local_port}>",
            "Event: dialog",
            "Accept: application/dialog-info+xml",
            f"Expires: {expires}",
            "Content-Length: 0",
            "",
            "",
        ]
        self.send_raw("\r\n".join(lines).encode())
        return self.receive()

    def receive(self, skip_provisional: bool = True) -> SipReply:
        """The next reply; NOTIFYs that come first are answered and kept."""
        while True:
            data, _ = self.sock.recvfrom(65535)
            if data.startswith(b"NOTIFY "):
                self._answer_notify(data)
                continue
            reply = SipReply.parse(data)
            if not (skip_provisional and reply.status < 200):
                return reply

    def _answer_notify(self, data: bytes) -> None:
        text = data.decode(errors="replace")
        head, _, body = text.partition("\r\n\r\n")
        headers = [line.partition(":") for line in head.split("\r\n")[1:]]
        keep = ("via", "v", "from", "f", "to", "t", "call-id", "i", "cseq")
        answer = ["SIP/2.0 200 OK"]
        for name, _, value in headers:
            if name.strip().lower() in keep:
                answer.append(f"{name.strip()}: {value.strip()}")
            if name.strip().lower() == "subscription-state":
                self.subscription_states.append(value.strip().split(";")[0])
        answer += ["Content-Length: 0", "", ""]
        self.send_raw("\r\n".join(answer).encode())
        states = re.findall(r"<state[^>]*>\s*([a-z]+)\s*</state>", body)
        self.states.append(states[0] if states else "idle")
        # The first dialog's identity (RFC 4235 section 4.1.1: call-id,
        # local-tag, remote-tag), which a phone puts in a Replaces header.
        found = re.search(r"<dialog\s([^>]*)>", body)
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', found[1])) if found else {}
        self.dialogs.append(attributes)

    def next_state(self, timeout: float = 10.0) -> str:
        """Read until one more NOTIFY arrives; the state it reports."""
        seen = len(self.states)
        self.sock.settimeout(timeout)
        try:
            while len(self.states) == seen:
                data, _ = self.sock.recvfrom(65535)
                if data.startswith(b"NOTIFY "):
                    self._answer_notify(data)
        finally:
            self.sock.settimeout(RECV_TIMEOUT_S)
        return self.states[-1]

    def wait_notifies(self, count: int, timeout: float = 10.0) -> None:
        """Read until count NOTIFYs have come in all (some may have come
        in while a reply was awaited)."""
        while len(self.states) < count:
            self.next_state(timeout)

    def wait_state(self, state: str, timeout: float = 10.0) -> list[str]:
        """Read NOTIFYs until the latest reports state; the states seen."""
        while not self.states or self.states[-1] != state:
            self.next_state(timeout)
        return self.states
