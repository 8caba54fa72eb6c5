"""Read the packets of a pcap file as UDP datagrams and TCP segments.

Only what the SIP call-flow view needs: the classic libpcap file format
(what ``tcpdump -w`` writes), the link types tcpdump uses on Linux
(Ethernet, loopback, raw IP, and the "cooked" headers of ``-i any``),
IPv4 and IPv6, UDP and TCP. Fragmented IP packets and pcapng files are not
read: a fragment is skipped, a pcapng file is refused with a clear error.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from agent.errors import InvalidInput

__all__ = ["Packet", "packets", "read_packets"]

# The file header's magic number, in both byte orders and both time
# resolutions (microseconds, and nanoseconds as tcpdump --nano writes).
_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_FILE_HEADER = 24
_RECORD_HEADER = 16

# Link types (tcpdump.org/linktypes.html).
LINKTYPE_NULL = 0  # BSD loopback: 4-byte address family, host order
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LOOP = 108  # OpenBSD loopback: address family, network order
LINKTYPE_LINUX_SLL = 113  # tcpdump -i any (16-byte header)
LINKTYPE_LINUX_SLL2 = 276  # tcpdump -i any with libpcap 1.10+ (20 bytes)
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_VLAN = {0x8100, 0x88A8}
IPPROTO_TCP = 6
IPPROTO_UDP = 17
# IPv6 extension headers that may sit between the fixed header and UDP/TCP
# (RFC 8200 section 4): hop-by-hop, routing, destination options.
_IPV6_SKIPPABLE = {0, 43, 60}
_IPV6_FRAGMENT = 44


@dataclass(frozen=True)
class Packet:
    """One UDP datagram or TCP segment, with where it went and when."""

    at: float
    transport: str  # "udp" or "tcp"
    source: str
    source_port: int
    destination: str
    destination_port: int
    payload: bytes
    #: TCP only: the sequence number and flags, to put a stream in order.
    sequence: int = 0
    syn: bool = False

    @property
    def source_endpoint(self) -> str:
        return _endpoint(self.source, self.source_port)

    @property
    def destination_endpoint(self) -> str:
        return _endpoint(self.destination, self.destination_port)


def _endpoint(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def read_packets(path: Path) -> list[Packet]:
    """Every UDP and TCP packet in the pcap file at path, in file order."""
    return list(packets(path.read_bytes(), str(path.name)))


def packets(data: bytes, name: str = "capture") -> Iterator[Packet]:
    """The UDP and TCP packets in pcap data; a cut-off last record is dropped."""
    if data[:4] == _PCAPNG_MAGIC:
        raise InvalidInput("capture", name, "pcapng is not read, only pcap")
    if len(data) < _FILE_HEADER or data[:4] not in _MAGIC:
        raise InvalidInput("capture", name, "not a pcap file")
    order, tick = _MAGIC[data[:4]]
    (linktype,) = struct.unpack_from(order + "I", data, 20)
    linktype &= 0x0FFFFFFF  # the top bits carry FCS flags
    offset = _FILE_HEADER
    while offset + _RECORD_HEADER <= len(data):
        seconds, fraction, kept, _ = struct.unpack_from(order + "IIII", data, offset)
        offset += _RECORD_HEADER
        frame = data[offset : offset + kept]
        offset += kept
        if len(frame) < kept:
            return  # a capture stopped mid-write
        packet = _frame(linktype, frame, seconds + fraction * tick, order)
        if packet is not None:
            yield packet


def _frame(linktype: int, frame: bytes, at: float, order: str) -> Packet | None:
    network = _network_layer(linktype, frame, order)
    if network is None:
        return None
    version, body = network
    if version == 4:
        return _ipv4(body, at)
    return _ipv6(body, at)


def _network_layer(linktype: int, frame: bytes, order: str) -> tuple[int, bytes] | None:
    """The IP version and the IP packet inside a link-layer frame."""
    if linktype == LINKTYPE_ETHERNET:
        if len(frame) < 14:
            return None
        (ethertype,) = struct.unpack_from("!H", frame, 12)
        offset = 14
        while ethertype in ETHERTYPE_VLAN and len(frame) >= offset + 4:
            (ethertype,) = struct.unpack_from("!H", frame, offset + 2)
            offset += 4
        return _by_ethertype(ethertype, frame[offset:])
    if linktype == LINKTYPE_LINUX_SLL:
        if len(frame) < 16:
            return None
        return _by_ethertype(struct.unpack_from("!H", frame, 14)[0], frame[16:])
    if linktype == LINKTYPE_LINUX_SLL2:
        if len(frame) < 20:
            return None
        return _by_ethertype(struct.unpack_from("!H", frame, 0)[0], frame[20:])
    if linktype in {LINKTYPE_NULL, LINKTYPE_LOOP}:
        if len(frame) < 4:
            return None
        # The family is in the writer's byte order for NULL; both loopback
        # forms agree that IPv4 is 2 and IPv6 one of 24, 28 or 30.
        fmt = (order if linktype == LINKTYPE_NULL else "!") + "I"
        family = struct.unpack_from(fmt, frame)[0]
        return _by_version(frame[4:]) if family in {2, 24, 28, 30} else None
    if linktype in {LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6}:
        return _by_version(frame)
    return None


def _by_ethertype(ethertype: int, body: bytes) -> tuple[int, bytes] | None:
    if ethertype == ETHERTYPE_IPV4:
        return 4, body
    if ethertype == ETHERTYPE_IPV6:
        return 6, body
    return None


def _by_version(body: bytes) -> tuple[int, bytes] | None:
    if not body:
        return None
    version = body[0] >> 4
    return (version, body) if version in {4, 6} else None


def _ipv4(body: bytes, at: float) -> Packet | None:
    if len(body) < 20:
        return None
    header = (body[0] & 0x0F) * 4
    (total,) = struct.unpack_from("!H", body, 2)
    (flags_fragment,) = struct.unpack_from("!H", body, 6)
    if flags_fragment & 0x3FFF:  # more fragments, or not the first one
        return None
    source = str(ipaddress.IPv4Address(body[12:16]))
    destination = str(ipaddress.IPv4Address(body[16:20]))
    # A frame may carry Ethernet padding past the IP packet's own length.
    segment = body[header : total or len(body)]
    return _transport(body[9], segment, source, destination, at)


def _ipv6(body: bytes, at: float) -> Packet | None:
    if len(body) < 40:
        return None
    (length,) = struct.unpack_from("!H", body, 4)
    protocol = body[6]
    source = str(ipaddress.IPv6Address(body[8:24]))
    destination = str(ipaddress.IPv6Address(body[24:40]))
    rest = body[40 : 40 + length] if length else body[40:]
    while protocol in _IPV6_SKIPPABLE and len(rest) >= 8:
        protocol, size = rest[0], (rest[1] + 1) * 8
        rest = rest[size:]
    if protocol == _IPV6_FRAGMENT:
        return None
    return _transport(protocol, rest, source, destination, at)


def _transport(
    protocol: int, segment: bytes, source: str, destination: str, at: float
) -> Packet | None:
    if protocol == IPPROTO_UDP and len(segment) >= 8:
        sport, dport, length = struct.unpack_from("!HHH", segment)
        payload = segment[8:length] if length >= 8 else segment[8:]
        return Packet(at, "udp", source, sport, destination, dport, payload)
    if protocol == IPPROTO_TCP and len(segment) >= 20:
        sport, dport, sequence = struct.unpack_from("!HHI", segment)
        header = (segment[12] >> 4) * 4
        syn = bool(segment[13] & 0x02)
        return Packet(
            at,
            "tcp",
            source,
            sport,
            destination,
            dport,
            segment[header:],
            sequence=sequence,
            syn=syn,
        )
    return None
