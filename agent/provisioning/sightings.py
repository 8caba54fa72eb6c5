"""Phones seen asking for their own file while not in the inventory.

A phone that is not in the inventory still asks for its MAC file at boot
(``<mac>.cfg``, ``cfg<mac>.xml``, ``snomD785-<mac>.htm``…), and Yealink,
Snom and Poly phones announce themselves with a plug-and-play SUBSCRIBE
first. Such a request is a *sighting*: the MAC, the vendor and model as far
as the file name and the User-Agent (or the SUBSCRIBE) tell, the source
address and the way it came (tftp, http, https, pnp). The phone's answer is
not changed by any of this: it still gets the same miss as anyone else.

Only the agent writes the list (``seen_phone``). The TFTP server and the
web workers are other processes serving phones under load, so they send
each sighting as one small JSON datagram to the agent's socket
(``seen-phones.sock`` in the run directory), as security events go: the
sender never blocks and never waits on the database, and a sighting sent
while the agent is down is simply lost (the phone asks again at its next
boot or retry). The agent's ``SightingRecorder`` then decides what to keep:

- A MAC already on the list is updated (last seen, address, way, times
  seen; vendor and model when newly known), at most once per MAC every
  ``UPDATE_INTERVAL_S``; sightings in between are counted into the next
  write.
- A MAC new to the list makes a row only if its source address made no
  other new row in the last ``NEW_ROW_WINDOW_S`` seconds. A phone asks for
  one MAC (its own), so a real phone is never held back by this for long;
  an address walking through MAC addresses adds one row a minute at most
  instead of one per guess (the jail hears of every miss as before).
- The list holds at most ``MAX_ROWS`` phones; past that the ones seen
  longest ago are dropped.

Known shortcoming: in a storm of hundreds of unknown phones at once, a
sighting can be lost when the agent's socket queue is full (the kernel
queues few datagrams per UNIX socket, ``net.unix.max_dgram_qlen``, and
the sender never waits); that phone is listed at its next request.
``scripts/bench/seen_storm`` counts how many of a storm get listed.
"""

from __future__ import annotations

import collections
import ipaddress
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from agent.datagram_listener import DatagramListener
from agent.db import database
from agent.db.models import Phone, utcnow
from agent.errors import InvalidInput
from agent.provisioning import rules
from agent.provisioning.seen_table import SeenPhone
from agent.provisioning.vendors import VENDORS
from agent.settings import Settings

log = logging.getLogger("edgepbx.provisioning")

SOCKET_NAME = "seen-phones.sock"
# A sighting is a few hundred bytes (its User-Agent at most 256 characters,
# JSON-escaped up to six bytes each); anything larger is not ours.
DATAGRAM_MAX = 2048
#: How a phone was seen.
VIA = frozenset({"tftp", "http", "https", "pnp"})
# A bigger office is several appliances; a list longer than this is junk.
MAX_ROWS = 1000
# One new row per source address per minute (see the module's text).
NEW_ROW_WINDOW_S = 60.0
# A phone polling its missing file writes its row this often at most.
UPDATE_INTERVAL_S = 5.0
# Addresses remembered for the rule above; a flood of sources forgets them
# (and so may add one row each, the row cap still holding).
REMEMBERED_SOURCES = 4096
USER_AGENT_MAX = 256
# Sightings read but not yet written; a flood beyond this loses the oldest.
QUEUE_MAX = 4096

# What each vendor's phones put in their User-Agent, the model in group 1
# (and 2, joined): Yealink "Yealink SIP-T54W 96.86.0.100 80:5e:c0:aa:bb:cc",
# Snom "… snomD785-SIP 10.1.54.13 …", Poly "FileTransport
# PolycomVVX-VVX_450-UA/6.4.0", a Poly Edge E "FileTransport
# PolyEdge-Edge_E450-UA/8.0.0.15602 Type/Application" (as public
# integrations quote it), Grandstream "Grandstream Model HW GXP2170 SW
# 1.0.11.3 DevId 000b82aabbcc", Cisco MPP "Cisco-CP-8851-3PCC/11.3.1
# (00562b043615)", Fanvil "Fanvil X6U 2.12.1 0c383eaabbcc".
_AGENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("yealink", re.compile(r"\bYealink\s+(?:SIP-)?([A-Z0-9]+)()", re.I)),
    ("snom", re.compile(r"\bsnom(D?[0-9]{3}[A-Z]?)()(?:-SIP)?\b", re.I)),
    ("polycom", re.compile(r"\bPolycom\w*-([A-Z]+)_?([0-9]{3,4})", re.I)),
    ("polycom", re.compile(r"\bPolyEdge-Edge_(E[0-9]{3})()", re.I)),
    (
        "grandstream",
        re.compile(
            r"\bGrandstream\s+(?:Model\s+HW\s+)?([A-Z]{3}[0-9]{3,4}[A-Z]*)()", re.I
        ),
    ),
    ("cisco", re.compile(r"\bCisco-(CP-[0-9]{4}(?:-3PCC)?)()", re.I)),
    ("fanvil", re.compile(r"\bFanvil\s+([A-Z][0-9][A-Z0-9]*)()", re.I)),
)
# Organisationally unique identifiers (the first half of a MAC) that the
# IEEE registry assigns to vendors whose files share a name: with no
# User-Agent (TFTP sends none), a ``<mac>.cfg`` is Yealink's, Poly's or
# Fanvil's by its OUI. A MAC of another block leaves the vendor unknown.
_OUIS = {
    "001565": "yealink",
    "805ec0": "yealink",
    "249ad8": "yealink",
    "44dbd2": "yealink",
    "000413": "snom",
    "0004f2": "polycom",
    "64167f": "polycom",
    "000b82": "grandstream",
    "c074ad": "grandstream",
    "0c383e": "fanvil",
}
# The vendor names phones give in a plug-and-play SUBSCRIBE's Event header.
_PNP_VENDORS = {
    "yealink": "yealink",
    "snom": "snom",
    "polycom": "polycom",
    "poly": "polycom",
}
# Files only a phone asks for, named by its MAC, that are no vendor's MAC
# file here. Grandstream asks for its binary ``cfg<mac>`` (``cfg<mac>.bin``
# on newer firmware) before ``cfg<mac>.xml`` (Grandstream SIP Device
# Provisioning Guide, "Overview" and "Provisioning flow"). A Poly phone
# whose master file names an override directory fetches the settings made
# on the phone and on its web page, ``<mac>-phone.cfg`` and
# ``<mac>-web.cfg``, and its contact directory ``<mac>-directory.xml``;
# these names are those of the UC Software administrator guides. Poly's
# CX5100 administrator guide ("Override Files") names the web override
# ``<MAC>-Web.cfg`` (matched here in any case) and the phone's own
# ``<MAC>-system.cfg``, which is not a VVX's name. Poly's community FAQ
# "What files does my phone download or upload and why" (a SoundPoint IP
# 650 on UC Software 4.1.0) lists ``<mac>-phone.cfg`` and ``<mac>-web.cfg``
# as files the phone creates, uploads and asks for from UC Software 3.3.0
# on; a current VVX edition is not checked.
_OTHER_MAC_FILES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("grandstream", re.compile(r"cfg(?P<mac>[0-9a-f]{12})(?:\.bin)?", re.I)),
    ("polycom", re.compile(r"(?P<mac>[0-9a-f]{12})-(?:phone|web)\.cfg", re.I)),
    ("polycom", re.compile(r"(?P<mac>[0-9a-f]{12})-directory\.xml", re.I)),
)
_SNOM_FILE = re.compile(r"snom(d?[0-9]{3}[a-z]?)-[0-9a-f]{12}\.htm", re.I)
_MODEL_PREFIXES = ("SIP-", "SNOM")


@dataclass(frozen=True)
class Sighting:
    """One request of a phone not in the inventory, as sent to the agent."""

    mac: str
    vendor: str
    model: str
    source_ip: str
    via: str
    user_agent: str = ""

    def to_wire(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_wire(cls, data: bytes) -> Sighting:
        """Parse and check a datagram; ValueError if it is not a sighting."""
        if len(data) > DATAGRAM_MAX:
            raise ValueError("sighting datagram too large")
        value = json.loads(data)
        if not isinstance(value, dict):
            raise ValueError("sighting is not a JSON object")
        fields = {}
        for name in ("mac", "vendor", "model", "source_ip", "via", "user_agent"):
            item = value.get(name, "")
            if not isinstance(item, str):
                raise ValueError(f"sighting: {name} is not a string")
            fields[name] = item
        try:
            fields["mac"] = rules.mac(fields["mac"])
            ipaddress.ip_address(fields["source_ip"])
        except (InvalidInput, ValueError) as exc:
            raise ValueError(f"sighting: {exc}") from None
        if fields["via"] not in VIA:
            raise ValueError("sighting: via is not tftp, http, https or pnp")
        if fields["vendor"] not in VENDORS:
            fields["vendor"] = ""
        fields["model"] = known_model(fields["vendor"], fields["model"])
        agent = "".join(c for c in fields["user_agent"] if c.isprintable())
        fields["user_agent"] = agent[:USER_AGENT_MAX]
        return cls(**fields)


def known_model(vendor: str, model: str) -> str:
    """The model as the inventory spells it, or "" when it is not one the
    vendor's module knows (the person assigning the phone then names it)."""
    if vendor not in VENDORS or not model:
        return ""
    shown = model.strip().upper().replace("_", "")
    for prefix in _MODEL_PREFIXES:
        shown = shown.removeprefix(prefix)
    return shown if VENDORS[vendor].models.fullmatch(shown) else ""


def from_user_agent(user_agent: str | None) -> tuple[str, str]:
    """(vendor, model) as a phone's User-Agent says them, "" where not."""
    for vendor, pattern in _AGENTS:
        found = pattern.search(user_agent or "")
        if found:
            return vendor, known_model(vendor, found.group(1) + found.group(2))
    return "", ""


def from_request(
    name: str, user_agent: str | None, source_ip: str, via: str
) -> Sighting | None:
    """The sighting in a request for a file, if the name is a MAC file of
    some vendor; None for any other name.

    The file name alone is not always enough: Yealink, Poly and Fanvil all
    ask for ``<mac>.cfg``. The User-Agent decides among the vendors whose
    pattern matches, else the MAC's OUI; with no help from either the
    vendor is left unknown.
    """
    vendors: list[str] = []
    mac = None
    for vendor in VENDORS.values():
        for pattern, _render in vendor.mac_files():
            found = pattern.fullmatch(name)
            if found:
                mac = found.group("mac")
                vendors.append(vendor.name)
                break
    for vendor_name, pattern in _OTHER_MAC_FILES:
        found = pattern.fullmatch(name)
        if found:
            mac = found.group("mac")
            vendors.append(vendor_name)
    if mac is None or mac == rules.NO_MAC:
        return None
    try:
        mac = rules.mac(mac)
    except InvalidInput:
        return None
    said_vendor, said_model = from_user_agent(user_agent)
    vendor = model = ""
    if said_vendor in vendors:
        vendor, model = said_vendor, said_model
    elif len(vendors) == 1:
        vendor = vendors[0]
    elif _OUIS.get(mac[:6]) in vendors:
        vendor = _OUIS[mac[:6]]
    if vendor == "snom" and not model and (found := _SNOM_FILE.fullmatch(name)):
        model = known_model("snom", found.group(1))
    agent = (user_agent or "")[:USER_AGENT_MAX]
    return Sighting(mac, vendor, model, source_ip, via, agent)


def from_subscribe(
    vendor: str, model: str, mac: str | None, source_ip: str
) -> Sighting | None:
    """The sighting in a plug-and-play SUBSCRIBE's Event header and URI."""
    if not mac:
        return None
    try:
        mac = rules.mac(mac)
    except InvalidInput:
        return None
    ours = _PNP_VENDORS.get(vendor.strip().lower(), "")
    return Sighting(mac, ours, known_model(ours, model), source_ip, "pnp")


def socket_path(settings: Settings) -> Path:
    return settings.run_dir / SOCKET_NAME


class SightingSender:
    """Sends sightings to the agent; never blocks, silent when it is down."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)

    def __call__(self, sighting: Sighting) -> None:
        try:
            self._sock.sendto(sighting.to_wire(), self.path)
        except OSError as exc:
            log.debug("sighting not sent to %s: %s", self.path, exc)


@dataclass
class SightingRecorder:
    """The rules of the module's text, applied by the agent to each sighting.

    ``record`` says what it did: "new", "updated", "counted" (kept for the
    next write), "held" (a new MAC from an address that made a row less
    than a minute ago) or "known" (the MAC is in the inventory by now).
    """

    max_rows: int = MAX_ROWS
    clock: Callable[[], float] = time.monotonic
    #: When each source address last made a new row.
    made_row: dict[str, float] = field(default_factory=dict)
    #: When each MAC's row was last written, and sightings since then.
    written: dict[str, float] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)

    def record(self, sighting: Sighting) -> str:
        now = self.clock()
        if Phone.select().where(Phone.mac == sighting.mac).exists():
            return "known"
        row = SeenPhone.get_or_none(SeenPhone.mac == sighting.mac)
        if row is not None:
            return self._update(row, sighting, now)
        last = self.made_row.get(sighting.source_ip)
        if last is not None and now - last < NEW_ROW_WINDOW_S:
            log.debug(
                "provisioning: %s from %s not listed: one new phone a minute "
                "per address",
                sighting.mac,
                sighting.source_ip,
            )
            return "held"
        self._remember_source(sighting.source_ip, now)
        self._insert(sighting)
        self.written[sighting.mac] = now
        log.info(
            "provisioning: phone %s (%s) seen at %s over %s, not assigned",
            sighting.mac,
            " ".join(filter(None, (sighting.vendor, sighting.model))) or "unknown",
            sighting.source_ip,
            sighting.via,
        )
        return "new"

    def _update(self, row: SeenPhone, sighting: Sighting, now: float) -> str:
        last = self.written.get(sighting.mac)
        if last is not None and now - last < UPDATE_INTERVAL_S:
            self.pending[sighting.mac] = self.pending.get(sighting.mac, 0) + 1
            return "counted"
        times = 1 + self.pending.pop(sighting.mac, 0)
        changes = {
            SeenPhone.last_seen: utcnow(),
            SeenPhone.source_ip: sighting.source_ip,
            SeenPhone.via: sighting.via,
            SeenPhone.times_seen: SeenPhone.times_seen + times,
        }
        if sighting.user_agent:
            changes[SeenPhone.user_agent] = sighting.user_agent
        if sighting.vendor and (not row.vendor or row.vendor == sighting.vendor):
            changes[SeenPhone.vendor] = sighting.vendor
            if sighting.model:
                changes[SeenPhone.model] = sighting.model
        SeenPhone.update(changes).where(SeenPhone.id == row.id).execute()
        self.written[sighting.mac] = now
        if len(self.written) > 2 * self.max_rows:  # forget the quiet ones
            self.written = {
                mac: t for mac, t in self.written.items() if now - t < UPDATE_INTERVAL_S
            }
            self.pending = {m: n for m, n in self.pending.items() if m in self.written}
        return "updated"

    def _insert(self, sighting: Sighting) -> None:
        now = utcnow()
        with database.atomic():
            SeenPhone.create(
                mac=sighting.mac,
                vendor=sighting.vendor,
                model=sighting.model,
                source_ip=sighting.source_ip,
                via=sighting.via,
                user_agent=sighting.user_agent or None,
                first_seen=now,
                last_seen=now,
                times_seen=1,
            )
            excess = SeenPhone.select().count() - self.max_rows
            if excess > 0:
                oldest = (
                    SeenPhone.select(SeenPhone.id)
                    .order_by(SeenPhone.last_seen, SeenPhone.id)
                    .limit(excess)
                )
                SeenPhone.delete().where(SeenPhone.id.in_(oldest)).execute()

    def _remember_source(self, source_ip: str, now: float) -> None:
        if len(self.made_row) >= REMEMBERED_SOURCES:
            self.made_row = {
                ip: t for ip, t in self.made_row.items() if now - t < NEW_ROW_WINDOW_S
            }
            if len(self.made_row) >= REMEMBERED_SOURCES:
                self.made_row.clear()
        self.made_row[source_ip] = now


class SightingListener(DatagramListener):
    """The agent's ear for sightings; the only writer of the list.

    The reading thread only parses and queues, so the kernel's short queue
    of datagrams (``net.unix.max_dgram_qlen``, often 10) is emptied as fast
    as a storm of misses fills it; a writer thread records what is queued,
    one transaction per batch.
    """

    thread_name = "seen-phones"
    receive_max = DATAGRAM_MAX + 1

    def __init__(self, path: Path, recorder: SightingRecorder | None = None):
        super().__init__(path)
        self.recorder = recorder or SightingRecorder()
        self._queue: collections.deque[Sighting] = collections.deque(maxlen=QUEUE_MAX)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._writer: threading.Thread | None = None

    def start(self) -> None:
        super().start()
        self._writer = threading.Thread(
            target=self._write, name="seen-phones-writer", daemon=True
        )
        self._writer.start()

    def stop(self) -> None:
        super().stop()
        self._stopping.set()
        self._wake.set()
        if self._writer:
            self._writer.join()

    def handle(self, data: bytes) -> None:
        try:
            sighting = Sighting.from_wire(data)
        except ValueError as exc:
            log.warning("seen phones: datagram ignored: %s", exc)
            return
        self._queue.append(sighting)
        self._wake.set()

    def _write(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait()
            self._wake.clear()
            self._record_queued()
        self._record_queued()

    def _record_queued(self) -> None:
        batch = []
        while self._queue:
            batch.append(self._queue.popleft())
        if not batch:
            return
        with database.atomic():
            for sighting in batch:
                try:
                    self.recorder.record(sighting)
                except Exception as exc:  # one bad write must not stop the list
                    log.warning("seen phones: %s not recorded: %s", sighting.mac, exc)
