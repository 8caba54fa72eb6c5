"""rtpengine's "ng" control protocol: bencoded dictionaries over UDP.

Each request is a random cookie, a space and a bencoded dictionary with a
"command"; the reply is the same cookie and a bencoded dictionary with a
"result". Kamailio's rtpengine module speaks it for every call; the agent
uses it to ask whether the relay answers and which calls it carries.
"""

from __future__ import annotations

import secrets
import socket

DEFAULT_TIMEOUT_S = 1.0
MAX_REPLY_BYTES = 65536
# rtpengine's "list" names 32 calls unless asked for more. One reply is one
# datagram: 1,000 Call-IDs of up to 64 characters stay under its 64 KiB.
# A relay carrying more calls than this lists only the first 1,000.
LIST_LIMIT = 1000


class NgError(RuntimeError):
    """The relay did not answer, or answered with an error."""


def bencode(value: object) -> bytes:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list | tuple):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted(
            (k.encode() if isinstance(k, str) else k, v) for k, v in value.items()
        )
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def bdecode(data: bytes) -> object:
    value, end = _decode(data, 0)
    if end != len(data):
        raise ValueError("bencode: trailing bytes")
    return value


def _decode(data: bytes, i: int) -> tuple[object, int]:
    lead = data[i : i + 1]
    if lead == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1 : end]), end + 1
    if lead == b"l":
        items, i = [], i + 1
        while data[i : i + 1] != b"e":
            item, i = _decode(data, i)
            items.append(item)
        return items, i + 1
    if lead == b"d":
        result, i = {}, i + 1
        while data[i : i + 1] != b"e":
            key, i = _decode(data, i)
            result[key.decode() if isinstance(key, bytes) else key], i = _decode(
                data, i
            )
        return result, i + 1
    if lead.isdigit():
        colon = data.index(b":", i)
        length = int(data[i:colon])
        start = colon + 1
        raw = data[start : start + length]
        try:
            return raw.decode(), start + length
        except UnicodeDecodeError:
            return raw, start + length
    raise ValueError(f"bencode: unexpected byte at {i}")


class NgClient:
    def __init__(self, host: str, port: int, timeout: float = DEFAULT_TIMEOUT_S):
        self.address = (host, port)
        self.timeout = timeout

    def command(self, command: str, **params: object) -> dict:
        cookie = secrets.token_hex(6).encode()
        request = cookie + b" " + bencode({"command": command, **params})
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(self.timeout)
            try:
                sock.sendto(request, self.address)
                data = sock.recv(MAX_REPLY_BYTES)
            except (TimeoutError, ConnectionRefusedError):
                raise NgError("the media relay did not answer") from None
        got_cookie, _, body = data.partition(b" ")
        if got_cookie != cookie:
            raise NgError("the media relay answered another request")
        reply = bdecode(body)
        if not isinstance(reply, dict) or reply.get("result") not in {"ok", "pong"}:
            reason = reply.get("error-reason") if isinstance(reply, dict) else reply
            raise NgError(f"{command}: {reason}")
        return reply

    def ping(self) -> bool:
        try:
            return self.command("ping").get("result") == "pong"
        except NgError:
            return False

    def calls(self) -> list[str]:
        """Call-IDs of the calls whose media the relay carries now."""
        return list(self.command("list", limit=LIST_LIMIT).get("calls", []))
