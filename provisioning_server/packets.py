"""TFTP packets (RFC 1350 section 5, RFC 2347 section 2) as dataclasses.

Each packet type has ``parse`` (from a datagram) and ``__bytes__`` (to one)
as a symmetric pair; a datagram that is no valid packet raises
``MalformedPacket``.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass, field


class Opcode(enum.IntEnum):  # RFC 1350 section 5, RFC 2347 section 2
    RRQ = 1
    WRQ = 2
    DATA = 3
    ACK = 4
    ERROR = 5
    OACK = 6


class ErrorCode(enum.IntEnum):  # RFC 1350 appendix, RFC 2347 section 2
    NOT_DEFINED = 0
    FILE_NOT_FOUND = 1
    ACCESS_VIOLATION = 2
    DISK_FULL = 3
    ILLEGAL_OPERATION = 4
    UNKNOWN_TID = 5
    FILE_EXISTS = 6
    NO_SUCH_USER = 7
    OPTION_NEGOTIATION = 8


# A request is opcode, name, mode and options, each NUL-terminated; RFC 2347
# section 2 limits the whole request to 512 octets.
MAX_REQUEST_BYTES = 512
MODES = frozenset({"octet", "netascii"})  # "mail" is obsolete (RFC 1350 s. 1)


class MalformedPacket(ValueError):
    pass


@dataclass(frozen=True)
class Request:
    opcode: Opcode
    filename: str
    mode: str
    #: Options as sent, names lower-cased (RFC 2347: case-insensitive).
    options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes) -> Request:
        if len(data) > MAX_REQUEST_BYTES:
            raise MalformedPacket("request longer than 512 octets")
        opcode = _opcode(data)
        if opcode not in {Opcode.RRQ, Opcode.WRQ}:
            raise MalformedPacket("not a request")
        if not data.endswith(b"\x00"):
            raise MalformedPacket("request not NUL-terminated")
        fields = data[2:-1].split(b"\x00")
        if len(fields) < 2 or len(fields) % 2:
            raise MalformedPacket("request needs a file name, a mode and option pairs")
        try:
            texts = [f.decode("ascii") for f in fields]
        except UnicodeDecodeError:
            raise MalformedPacket("request is not ASCII") from None
        options = {texts[i].lower(): texts[i + 1] for i in range(2, len(texts), 2)}
        return cls(opcode, texts[0], texts[1].lower(), options)

    def __bytes__(self) -> bytes:
        parts = [self.filename, self.mode]
        for name, value in self.options.items():
            parts += [name, value]
        body = b"".join(p.encode("ascii") + b"\x00" for p in parts)
        return struct.pack("!H", self.opcode) + body


@dataclass(frozen=True)
class Data:
    block: int
    payload: bytes

    @classmethod
    def parse(cls, data: bytes) -> Data:
        if _opcode(data) != Opcode.DATA or len(data) < 4:
            raise MalformedPacket("not a DATA packet")
        return cls(struct.unpack("!H", data[2:4])[0], data[4:])

    def __bytes__(self) -> bytes:
        return struct.pack("!HH", Opcode.DATA, self.block) + self.payload


@dataclass(frozen=True)
class Ack:
    block: int

    @classmethod
    def parse(cls, data: bytes) -> Ack:
        if _opcode(data) != Opcode.ACK or len(data) < 4:
            raise MalformedPacket("not an ACK packet")
        return cls(struct.unpack("!H", data[2:4])[0])

    def __bytes__(self) -> bytes:
        return struct.pack("!HH", Opcode.ACK, self.block)


@dataclass(frozen=True)
class Error:
    code: ErrorCode
    message: str

    @classmethod
    def parse(cls, data: bytes) -> Error:
        if _opcode(data) != Opcode.ERROR or len(data) < 5:
            raise MalformedPacket("not an ERROR packet")
        code = struct.unpack("!H", data[2:4])[0]
        text = data[4:].split(b"\x00", 1)[0].decode("ascii", "replace")
        try:
            return cls(ErrorCode(code), text)
        except ValueError:
            return cls(ErrorCode.NOT_DEFINED, text)

    def __bytes__(self) -> bytes:
        text = self.message.encode("ascii", "replace")
        return struct.pack("!HH", Opcode.ERROR, self.code) + text + b"\x00"


@dataclass(frozen=True)
class OptionAck:
    options: dict[str, str]

    @classmethod
    def parse(cls, data: bytes) -> OptionAck:
        if _opcode(data) != Opcode.OACK or not data.endswith(b"\x00"):
            raise MalformedPacket("not an OACK packet")
        texts = [f.decode("ascii") for f in data[2:-1].split(b"\x00")]
        if len(texts) % 2:
            raise MalformedPacket("OACK options must be pairs")
        return cls({texts[i]: texts[i + 1] for i in range(0, len(texts), 2)})

    def __bytes__(self) -> bytes:
        body = b"".join(
            name.encode("ascii") + b"\x00" + value.encode("ascii") + b"\x00"
            for name, value in self.options.items()
        )
        return struct.pack("!H", Opcode.OACK) + body


def _opcode(data: bytes) -> int:
    if len(data) < 2:
        raise MalformedPacket("shorter than an opcode")
    return struct.unpack("!H", data[:2])[0]


def opcode_of(data: bytes) -> int | None:
    return struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None


def netascii(content: bytes) -> bytes:
    """RFC 764's NVT encoding as RFC 1350 asks: CR LF for a line end, CR NUL
    for a bare CR."""
    return content.replace(b"\r", b"\r\x00").replace(b"\n", b"\r\n")
