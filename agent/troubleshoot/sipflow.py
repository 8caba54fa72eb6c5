"""SIP call flows from a capture: the messages, grouped into dialogs by Call-ID.

A dialog here is everything that shares a Call-ID (RFC 3261 section 8.1.1.4),
so a REGISTER and its challenge and retry make one flow, as an INVITE with
its provisional and final replies and the ACK and BYE do. Messages over UDP
are one datagram each; over TCP the segments of each direction are put back
in sequence order and cut at each message's Content-Length (RFC 3261
section 18.3). SIP over TLS is encrypted and is not shown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from agent.errors import NotFound
from agent.troubleshoot.pcap import Packet

# RFC 3261 section 7.3.3: the compact forms of the headers this view reads.
_COMPACT = {"i": "call-id", "f": "from", "t": "to", "l": "content-length"}
_REQUEST_LINE = re.compile(rb"^([A-Z]{2,16}) (\S+) SIP/2\.0\r?$")
_STATUS_LINE = re.compile(rb"^SIP/2\.0 ([1-6][0-9]{2}) ?([^\r\n]*)\r?$")
# A message larger than this is not SIP as phones send it; a stream that
# claims more is read no further rather than held in memory.
MESSAGE_MAX = 65535
# The ladder's geometry, in SVG user units.
LANE_WIDTH = 260
ROW_HEIGHT = 34
TOP = 48
LABEL_MAX = 48


@dataclass(frozen=True)
class SipMessage:
    """One SIP request or reply as it crossed the wire."""

    at: float
    transport: str
    source: str
    destination: str
    first_line: str
    headers: dict[str, str]
    text: str

    @property
    def is_request(self) -> bool:
        return not self.first_line.startswith("SIP/2.0")

    @property
    def method(self) -> str:
        if self.is_request:
            return self.first_line.split(" ", 1)[0]
        return self.headers.get("cseq", "").rpartition(" ")[2]

    @property
    def status(self) -> int | None:
        if self.is_request:
            return None
        return int(self.first_line.split(" ")[1])

    @property
    def call_id(self) -> str:
        return self.headers.get("call-id", "")

    def to_dict(self) -> dict:
        return {
            "at": self.at,
            "transport": self.transport,
            "source": self.source,
            "destination": self.destination,
            "first_line": self.first_line,
            "text": self.text,
        }


@dataclass
class Dialog:
    """The messages that share one Call-ID, in the order they were seen."""

    call_id: str
    messages: list[SipMessage] = field(default_factory=list)

    @property
    def first_request(self) -> SipMessage | None:
        return next((m for m in self.messages if m.is_request), None)

    @property
    def final_reply(self) -> SipMessage | None:
        """The last final reply (2xx-6xx) to the first request's method."""
        first = self.first_request
        finals = [
            m
            for m in self.messages
            if m.status is not None
            and m.status >= 200
            and (first is None or m.method == first.method)
        ]
        return finals[-1] if finals else None

    def summary(self) -> dict:
        first = self.first_request or self.messages[0]
        final = self.final_reply
        return {
            "call_id": self.call_id,
            "from": _address(first.headers.get("from", "")),
            "to": _address(first.headers.get("to", "")),
            "first_request": first.method,
            "final_reply": final.first_line.split(" ", 1)[1] if final else None,
            "started_at": self.messages[0].at,
            "messages": len(self.messages),
        }

    def to_dict(self) -> dict:
        return {**self.summary(), "flow": [m.to_dict() for m in self.messages]}


def _address(header: str) -> str:
    """The URI of a From or To header, without display name and tag."""
    inside = re.search(r"<([^>]*)>", header)
    return (inside.group(1) if inside else header.split(";", 1)[0]).strip()


# -- messages from packets ----------------------------------------------------------


def messages(packets: Iterable[Packet]) -> list[SipMessage]:
    """Every SIP message in packets, in time order."""
    found: list[SipMessage] = []
    streams: dict[tuple, list[Packet]] = {}
    for packet in packets:
        if packet.transport == "udp":
            message = _parse(packet.payload, packet)
            if message is not None:
                found.append(message)
        elif packet.payload:
            key = (packet.source_endpoint, packet.destination_endpoint)
            streams.setdefault(key, []).append(packet)
    for segments in streams.values():
        found.extend(_stream_messages(segments))
    found.sort(key=lambda m: m.at)
    return found


def _stream_messages(segments: list[Packet]) -> list[SipMessage]:
    """One TCP direction's messages: segments in order, retransmits once."""
    base = segments[0].sequence
    ordered: dict[int, Packet] = {}
    for segment in segments:
        ordered.setdefault((segment.sequence - base) % 2**32, segment)
    buffer = b""
    pending: list[tuple[int, Packet]] = []  # where in buffer each segment began
    expected = 0
    for offset in sorted(ordered):
        segment = ordered[offset]
        if offset < expected:  # overlaps what is already there
            segment_tail = segment.payload[expected - offset :]
            if not segment_tail:
                continue
            pending.append((len(buffer), segment))
            buffer += segment_tail
        else:
            pending.append((len(buffer), segment))
            buffer += segment.payload
        expected = offset + len(segment.payload)
    return list(_cut(buffer, pending))


def _cut(buffer: bytes, pending: list[tuple[int, Packet]]) -> Iterable[SipMessage]:
    start = 0
    while start < len(buffer):
        while buffer[start : start + 2] == b"\r\n":  # keepalives (RFC 5626)
            start += 2
        end_of_headers = buffer.find(b"\r\n\r\n", start, start + MESSAGE_MAX)
        if end_of_headers < 0:
            return
        head = buffer[start:end_of_headers].decode("utf-8", errors="replace")
        length = int(_headers(head.split("\r\n")[1:]).get("content-length") or 0)
        end = end_of_headers + 4 + length
        if length > MESSAGE_MAX or end > len(buffer):
            return
        # The message is dated by the segment its first byte came in.
        carrier = next(p for begin, p in reversed(pending) if begin <= start)
        message = _parse(buffer[start:end], carrier)
        if message is not None:
            yield message
        start = end


def _parse(payload: bytes, packet: Packet) -> SipMessage | None:
    line_end = payload.find(b"\n")
    if line_end < 0:
        return None
    first = payload[: line_end + 1].rstrip(b"\n")
    if not (_REQUEST_LINE.match(first) or _STATUS_LINE.match(first)):
        return None
    text = payload.decode("utf-8", errors="replace")
    head = text.split("\r\n\r\n", 1)[0].replace("\r\n", "\n")
    lines = head.split("\n")
    return SipMessage(
        at=packet.at,
        transport=packet.transport,
        source=packet.source_endpoint,
        destination=packet.destination_endpoint,
        first_line=lines[0].strip(),
        headers=_headers(lines[1:]),
        text=text,
    )


def _headers(lines: list[str]) -> dict[str, str]:
    """The first value of each header, by lower-case long name."""
    found: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        found.setdefault(key, value.strip())
    return found


# -- dialogs ------------------------------------------------------------------------


def dialogs(found: Iterable[SipMessage]) -> list[Dialog]:
    """The messages grouped by Call-ID, each dialog in order of its start."""
    by_call: dict[str, Dialog] = {}
    for message in found:
        by_call.setdefault(message.call_id, Dialog(message.call_id))
        by_call[message.call_id].messages.append(message)
    return sorted(by_call.values(), key=lambda d: d.messages[0].at)


def dialog(found: Iterable[SipMessage], call_id: str) -> Dialog:
    for candidate in dialogs(found):
        if candidate.call_id == call_id:
            return candidate
    raise NotFound(f"call_id {call_id[:64]}: not in this capture")


# -- the ladder -----------------------------------------------------------------------


def ladder_svg(flow: Dialog, link: str = "#message-{index}") -> str:
    """The dialog as a ladder: one lane per address, one arrow per message.

    Each arrow links to ``link`` with its index, where the page shows that
    message's full text.
    """
    lanes: list[str] = []
    for message in flow.messages:
        for endpoint in (message.source, message.destination):
            if endpoint not in lanes:
                lanes.append(endpoint)
    width = LANE_WIDTH * len(lanes)
    height = TOP + ROW_HEIGHT * (len(flow.messages) + 1)
    start = flow.messages[0].at if flow.messages else 0.0
    x = {lane: LANE_WIDTH * i + LANE_WIDTH // 2 for i, lane in enumerate(lanes)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ladder" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="SIP ladder of {html.escape(flow.call_id)}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="8" markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    for lane in lanes:
        parts.append(
            f'<text x="{x[lane]}" y="20" text-anchor="middle" '
            f'class="lane">{html.escape(lane)}</text>'
            f'<line x1="{x[lane]}" y1="28" x2="{x[lane]}" y2="{height}" '
            'stroke="#999" stroke-dasharray="4 4"/>'
        )
    for index, message in enumerate(flow.messages):
        y = TOP + ROW_HEIGHT * index + ROW_HEIGHT // 2
        x1, x2 = x[message.source], x[message.destination]
        label = message.first_line
        if message.is_request:
            label = label.rsplit(" ", 1)[0]  # the SIP/2.0 adds nothing
        if len(label) > LABEL_MAX:
            label = label[: LABEL_MAX - 1] + "…"
        offset = f"+{message.at - start:.3f} s"
        href = html.escape(link.format(index=index))
        parts.append(
            f'<a href="{href}" class="message">'
            f"<title>{html.escape(message.first_line)}</title>"
            # The whole row answers a click, not only the thin arrow.
            f'<rect x="0" y="{y - ROW_HEIGHT // 2}" width="{width}" '
            f'height="{ROW_HEIGHT}" fill="transparent"/>'
            f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="#036" '
            'stroke-width="1.5" marker-end="url(#arrow)"/>'
            f'<text x="{(x1 + x2) // 2}" y="{y - 5}" text-anchor="middle">'
            f"{html.escape(label)}</text>"
            f'<text x="4" y="{y + 4}" class="time">{offset}</text></a>'
        )
    parts.append("</svg>")
    return "".join(parts)
