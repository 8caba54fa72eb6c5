"""rtpengine's raw capture of one call, made into a two-channel WAV file.

rtpengine (``--recording-method=pcap``) writes every RTP packet it receives
for a recorded call to a pcap file, and beside it a metadata file with the
SDP of each offer and answer it sent out. The metadata file moves from
``tmp/`` to ``metadata/`` when the call is deleted: a file there is a
finished call. This module reads both and writes one WAV file: the caller
on the left channel, the callee on the right, 8 kHz 16-bit.

Who is who: the offer's SDP that rtpengine sent names its own port facing
the callee, so packets arriving at that port are the callee's; those
arriving at the answer's port are the caller's. Each stream's packets are
placed by their RTP timestamps (RFC 3550 section 5.1), anchored at the
packet's arrival time, so jitter does not tear the audio.

G.711 is decoded here (ITU-T G.711, both laws); the standard library's
audioop is gone from newer Pythons. Known shortcoming: packets of any other
codec are left out as silence (the phones this appliance provisions offer
G.711 first); they are counted in the result so the log says so.
"""

from __future__ import annotations

import array
import re
import struct
import sys
import wave
from dataclasses import dataclass, field
from pathlib import Path

SAMPLE_RATE = 8000
# pcap link types: raw IP (rtpengine's --recording-format=raw) and Ethernet.
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
# RFC 3551 table 4: the static payload types of G.711.
PT_PCMU = 0
PT_PCMA = 8
RTP_HEADER = 12
# A stream whose RTP clock drifts this far from the arrival clock (a new
# sender behind the same SSRC, a timestamp jump) is anchored again.
REANCHOR_SAMPLES = SAMPLE_RATE
# A recording longer than this is cut: 4 hours of two channels is 230 MB.
MAX_SAMPLES = 4 * 3600 * SAMPLE_RATE

CALLER, CALLEE = 0, 1


def _ulaw(byte: int) -> int:
    u = ~byte & 0xFF
    magnitude = (((u & 0x0F) << 3) + 0x84) << ((u >> 4) & 0x07)
    return (0x84 - magnitude) if u & 0x80 else (magnitude - 0x84)


def _alaw(byte: int) -> int:
    a = byte ^ 0x55
    exponent, mantissa = (a >> 4) & 0x07, a & 0x0F
    if exponent == 0:
        magnitude = (mantissa << 4) + 8
    else:
        magnitude = ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if a & 0x80 else -magnitude


ULAW = tuple(_ulaw(b) for b in range(256))
ALAW = tuple(_alaw(b) for b in range(256))
DECODERS = {"PCMU": ULAW, "PCMA": ALAW}


@dataclass
class Metadata:
    """What the metadata file says: the pcap's path and who is on which port."""

    pcap: Path
    #: rtpengine's port -> CALLER or CALLEE (who sends to it).
    ports: dict[int, int] = field(default_factory=dict)
    #: payload type -> encoding name, from the SDPs' rtpmap lines.
    codecs: dict[int, str] = field(default_factory=dict)


def read_metadata(path: Path) -> Metadata:
    text = path.read_text(errors="replace")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ValueError(f"{path.name}: no capture file named")
    meta = Metadata(pcap=Path(lines[0].strip()))
    mode = ""
    for line in lines:
        if line.startswith("SDP mode:"):
            mode = line.partition(":")[2].strip()
        elif line.startswith("m=audio ") and mode in {"offer", "answer"}:
            port = int(line.split()[1])
            # Sent in the offer: the callee's side sends to it.
            meta.ports.setdefault(port, CALLEE if mode == "offer" else CALLER)
        elif match := re.match(r"a=rtpmap:(\d+) ([\w.-]+)/", line):
            meta.codecs.setdefault(int(match.group(1)), match.group(2).upper())
    meta.codecs.setdefault(PT_PCMU, "PCMU")
    meta.codecs.setdefault(PT_PCMA, "PCMA")
    return meta


@dataclass
class Packet:
    at: float
    dst_port: int
    payload: bytes


def read_pcap(path: Path) -> list[Packet]:
    """The UDP packets of a pcap file (IPv4 or IPv6, raw or Ethernet)."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    order = "<"
    if magic not in {PCAP_MAGIC_US, PCAP_MAGIC_NS}:
        order = ">"
        magic = struct.unpack(">I", data[:4])[0]
        if magic not in {PCAP_MAGIC_US, PCAP_MAGIC_NS}:
            raise ValueError(f"{path.name}: not a pcap file")
    fraction = 1e-9 if magic == PCAP_MAGIC_NS else 1e-6
    linktype = struct.unpack(order + "I", data[20:24])[0]
    packets: list[Packet] = []
    i = 24
    while i + 16 <= len(data):
        seconds, part, length, _ = struct.unpack(order + "IIII", data[i : i + 16])
        frame = data[i + 16 : i + 16 + length]
        i += 16 + length
        if linktype == LINKTYPE_ETHERNET:
            frame = frame[14:]
        elif linktype != LINKTYPE_RAW:
            raise ValueError(f"{path.name}: link type {linktype} not understood")
        udp = _udp_of(frame)
        if udp is not None:
            packets.append(Packet(seconds + part * fraction, *udp))
    return packets


def _udp_of(frame: bytes) -> tuple[int, bytes] | None:
    if not frame:
        return None
    version = frame[0] >> 4
    if version == 4:
        header, protocol = (frame[0] & 0x0F) * 4, frame[9]
    elif version == 6:
        header, protocol = 40, frame[6]
    else:
        return None
    if protocol != 17 or len(frame) < header + 8:
        return None
    dst_port = struct.unpack("!H", frame[header + 2 : header + 4])[0]
    return dst_port, frame[header + 8 :]


@dataclass
class Mixdown:
    """The two channels of a call, and what could not be decoded."""

    #: 16-bit samples: a list of Python ints would take 8 times the memory.
    channels: tuple[array.array, array.array] = field(
        default_factory=lambda: (array.array("h"), array.array("h"))
    )
    undecoded_packets: int = 0

    @property
    def seconds(self) -> float:
        return max(len(c) for c in self.channels) / SAMPLE_RATE


def mix(meta: Metadata, packets: list[Packet]) -> Mixdown:
    """Place every decodable RTP packet on its side's channel."""
    result = Mixdown()
    if not packets:
        return result
    start = min(p.at for p in packets)
    anchors: dict[tuple[int, int], tuple[int, int]] = {}
    first_seen: list[int] = []
    for packet in packets:
        rtp = packet.payload
        # RFC 3550 section 5.1: version 2; RTCP shares no port with RTP here.
        if len(rtp) < RTP_HEADER or rtp[0] >> 6 != 2:
            continue
        payload_type = rtp[1] & 0x7F
        timestamp, ssrc = struct.unpack("!II", rtp[4:12])
        body = rtp[RTP_HEADER + 4 * (rtp[0] & 0x0F) :]
        if rtp[0] & 0x20 and body:  # padding: the last byte says how much
            body = body[: -body[-1]]
        table = DECODERS.get(meta.codecs.get(payload_type, ""))
        if table is None:
            # telephone-event (RFC 4733) and comfort noise are not audio.
            if meta.codecs.get(payload_type) not in {"TELEPHONE-EVENT", "CN"}:
                result.undecoded_packets += 1
            continue
        side = meta.ports.get(packet.dst_port)
        if side is None:
            if packet.dst_port not in first_seen:
                first_seen.append(packet.dst_port)
            side = CALLER if first_seen.index(packet.dst_port) == 0 else CALLEE
        arrival = round((packet.at - start) * SAMPLE_RATE)
        key = (packet.dst_port, ssrc)
        anchor = anchors.get(key)
        offset = arrival
        if anchor is not None:
            offset = anchor[1] + ((timestamp - anchor[0]) & 0xFFFFFFFF)
            if abs(offset - arrival) > REANCHOR_SAMPLES:
                anchor, offset = None, arrival
        if anchor is None:
            anchors[key] = (timestamp, arrival)
        _place(
            result.channels[side], offset, array.array("h", [table[b] for b in body])
        )
    return result


def _place(channel: array.array, offset: int, samples: array.array) -> None:
    end = min(offset + len(samples), MAX_SAMPLES)
    if offset < 0 or end <= offset:
        return
    if len(channel) < end:
        channel.frombytes(bytes(2 * (end - len(channel))))
    channel[offset:end] = samples[: end - offset]


def write_wav(mixdown: Mixdown, path: Path) -> None:
    """Two channels, caller left and callee right, 16-bit at 8 kHz."""
    length = max(len(c) for c in mixdown.channels)
    frames = array.array("h", bytes(length * 4))
    for side, channel in enumerate(mixdown.channels):
        frames[side : 2 * len(channel) : 2] = channel
    if sys.byteorder == "big":
        frames.byteswap()  # WAV samples are little-endian
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(frames.tobytes())


def read_wav(path: Path) -> tuple[int, list[list[int]]]:
    """A WAV file's sample rate and its channels (16-bit PCM)."""
    with wave.open(str(path), "rb") as source:
        rate, count = source.getframerate(), source.getnchannels()
        if source.getsampwidth() != 2:
            raise ValueError(f"{path.name}: not 16-bit PCM")
        raw = source.readframes(source.getnframes())
    samples = array.array("h", raw)
    if sys.byteorder == "big":
        samples.byteswap()
    return rate, [samples[c::count].tolist() for c in range(count)]
