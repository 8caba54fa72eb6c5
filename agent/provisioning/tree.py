"""The virtual file tree phones fetch from, over TFTP and HTTP alike.

Nothing is read from disk: a name is matched against each vendor's common
file, or taken apart into a MAC address whose phone's vendor must name its
MAC file exactly so, and the file is rendered from the database. Every
other name is a miss, and every miss looks the same to the asker (one
error, one body), so the answers reveal nothing about which phones exist.
Each miss is reported as a security event, so an address walking through
MAC addresses can be banned. A miss that names some vendor's MAC file is
also sent to the agent as a sighting of a phone not yet assigned
(``agent.provisioning.sightings``); the asker's answer is the same miss.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agent.accounts.roles import SYSTEM, Permission, Principal
from agent.appliance import Appliance
from agent.db.models import Extension, Phone, PhoneLine
from agent.provisioning import phonebook, rules, sightings, templates
from agent.provisioning.credentials import effective_mode
from agent.provisioning.firmware import stored_file
from agent.provisioning.inventory import PhoneService
from agent.provisioning.profile import site_profile
from agent.provisioning.vendors import VENDORS
from agent.security import events

log = logging.getLogger("edgepbx.provisioning")

# Longest name any vendor asks for ("cfg" + 12 digits + ".xml" and the
# like) with room to spare; longer requests are refused unread.
MAX_NAME_LENGTH = 64
FIRMWARE_TYPE = "application/octet-stream"
_MAC_IN_ANY_NAME = re.compile(r"(?<![0-9a-f])([0-9a-f]{12})(?![0-9a-f])", re.I)
# Yealink and others put the MAC at the end of their User-Agent.
_MAC_IN_AGENT = re.compile(r"([0-9a-f]{2}(?::[0-9a-f]{2}){5}|[0-9a-f]{12})\s*$", re.I)


class FileMissing(Exception):
    """Not in the tree; every miss raises this alike."""


class NameRefused(Exception):
    """A name that could never be in the tree (path, NUL, too long)."""


@dataclass(frozen=True)
class ProvisioningFile:
    name: str
    #: The bytes; for a firmware file a read-only map of it on disk.
    content: bytes
    content_type: str
    #: A firmware file's place on disk, which HTTP sends as a static file.
    path: Path | None = None
    digest: str | None = None

    @property
    def etag(self) -> str:
        digest = self.digest or hashlib.sha256(self.content).hexdigest()
        return '"' + digest[:32] + '"'


def check_name(name: str) -> str:
    """Refuse any name that tries to leave the flat tree. The one name with
    a ``/`` let through is a Grandstream phone's phonebook,
    ``<mac>/phonebook.xml`` exactly (``agent.provisioning.phonebook``)."""
    if len(name) > MAX_NAME_LENGTH:
        raise NameRefused("file name too long")
    if "\x00" in name or name.startswith(("/", "\\")) or ".." in name:
        raise NameRefused("file name outside the provisioning tree")
    if phonebook.GRANDSTREAM_FILE_NAME.fullmatch(name):
        return name
    if "/" in name or "\\" in name or not name.isprintable():
        raise NameRefused("file name outside the provisioning tree")
    return name


def _let_through(row: Phone, mode: str) -> None:
    return None


def mac_from_user_agent(user_agent: str | None) -> str | None:
    found = _MAC_IN_AGENT.search(user_agent or "")
    return found.group(1).replace(":", "").lower() if found else None


class ProvisioningTree:
    def __init__(self, appliance: Appliance) -> None:
        self.appliance = appliance
        self.phones = PhoneService(appliance.key, SYSTEM)
        self.sightings = sightings.SightingSender(
            sightings.socket_path(appliance.settings)
        )

    def fetch(
        self,
        name: str,
        source_ip: str,
        user_agent: str | None,
        via: str,
        authorize: Callable[[Phone, str], None] | None = None,
    ) -> ProvisioningFile:
        """The file a phone asked for, rendered now; note the request.

        A phone's own file is first passed to ``authorize`` with the
        phone's digest mode (``off``, ``optional``, ``required``), which
        raises to refuse it; without ``authorize`` (TFTP, which cannot send
        credentials) a phone whose mode is ``required`` gets a miss.

        Raises:
            NameRefused: the name tries to leave the tree.
            FileMissing: any other name that is no file here.
        """
        try:
            check_name(name)
        except NameRefused as exc:
            self._report(events.PROVISIONING_NAME_REFUSED, source_ip, name, via)
            raise exc
        found = (
            self._common_file(name)
            or self._mac_file(name, authorize)
            or self._firmware_file(name)
            or self._phonebook_file(name, authorize)
        )
        if found is None:
            self._miss(name, source_ip, via, user_agent)
            raise FileMissing(name)
        file, mac = found
        mac = mac or mac_from_user_agent(user_agent)
        if mac:
            self.phones.record_request(mac, source_ip, name, user_agent)
        # A phone's own file is an event; common files (and the agent's
        # probe of them) are routine.
        level = logging.INFO if found[1] else logging.DEBUG
        log.log(level, "provisioning: %s sent to %s over %s", name, source_ip, via)
        return file

    def preview(self, name: str, actor: Principal) -> ProvisioningFile:
        """The file as a phone would get it now, for a person to read: not
        recorded as a request, and no credentials asked.

        Raises:
            FileMissing: no such file in the tree.
        """
        actor.require(Permission.CHANGE_EXTENSIONS)
        try:
            check_name(name)
        except NameRefused:
            raise FileMissing(name) from None
        found = (
            self._common_file(name)
            or self._mac_file(name, _let_through)
            or self._phonebook_file(name, _let_through)
        )
        if found is None:
            raise FileMissing(name)
        return found[0]

    def _common_file(self, name: str) -> tuple[ProvisioningFile, None] | None:
        for vendor in VENDORS.values():
            if vendor.common_file and vendor.common_file.fullmatch(name):
                site = site_profile(self.appliance.settings)
                content = templates.apply(
                    vendor, templates.COMMON, None, site, vendor.render_common(site)
                )
                return ProvisioningFile(name, content, vendor.content_type), None
        return None

    def _phonebook_file(
        self, name: str, authorize: Callable[[Phone, str], None] | None
    ) -> tuple[ProvisioningFile, str] | None:
        found = phonebook.FILE_NAME.fullmatch(name)
        if found is None:
            return None
        mac = found.group("mac").lower()
        row = None if mac == rules.NO_MAC else Phone.get_or_none(Phone.mac == mac)
        if row is None or phonebook.file_name(row.vendor, row.mac) != name.lower():
            return None
        self._gate(row, name, authorize)
        line = (
            PhoneLine.select(PhoneLine, Extension)
            .join(Extension)
            .where(PhoneLine.phone == row)
            .order_by(PhoneLine.line)
            .first()
        )
        number = line.extension.number if line else None
        content = phonebook.render(row.vendor, number, phonebook.default_source)
        content_type = VENDORS[row.vendor].content_type
        return ProvisioningFile(name, content, content_type), row.mac

    def _gate(
        self, row: Phone, name: str, authorize: Callable[[Phone, str], None] | None
    ) -> None:
        """Let a phone's own file through, or refuse it (see fetch)."""
        mode = effective_mode(row)
        if authorize is not None:
            authorize(row, mode)
        elif mode == "required":
            log.info("provisioning: %s refused over TFTP: credentials required", name)
            raise FileMissing(name)

    def _firmware_file(self, name: str) -> tuple[ProvisioningFile, None] | None:
        stored = stored_file(self.appliance.settings, name)
        if stored is None:
            return None
        path, row = stored
        with open(path, "rb") as f:
            content = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return (
            ProvisioningFile(name, content, FIRMWARE_TYPE, path, row.sha256),
            None,
        )

    def _mac_file(
        self, name: str, authorize: Callable[[Phone, str], None] | None
    ) -> tuple[ProvisioningFile, str] | None:
        """The file, if a vendor names a MAC file so and that MAC is one of
        its phones (Yealink, Poly and Fanvil all ask for ``<mac>.cfg``)."""
        phones: dict[str, Phone | None] = {}  # one lookup per MAC, not per vendor
        for vendor in VENDORS.values():
            for index, (pattern, render) in enumerate(vendor.mac_files()):
                found = pattern.fullmatch(name)
                if found is None:
                    continue
                mac = found.group("mac").lower()
                if mac == rules.NO_MAC:
                    continue  # a default file, never a phone's (rules.NO_MAC)
                if mac not in phones:
                    phones[mac] = Phone.get_or_none(Phone.mac == mac)
                row = phones[mac]
                if row is not None and row.vendor == vendor.name:
                    self._gate(row, name, authorize)
                    profile = self.phones.profile(
                        mac, site_profile(self.appliance.settings)
                    )
                    content = render(profile)
                    if index == 0:  # the phone's own file; Poly's master
                        content = templates.apply(
                            vendor, templates.MAC, profile, profile.site, content
                        )
                    return ProvisioningFile(name, content, vendor.content_type), mac
        return None

    def _miss(
        self, name: str, source_ip: str, via: str, user_agent: str | None
    ) -> None:
        """A known phone asking for a file we do not serve (Grandstream asks
        for its binary ``cfg<mac>`` first) is no MAC walk: logged, not
        reported. An unknown MAC's own file is a sighting as well.

        The vendors' file names find the MAC where a bare search cannot:
        in Poly's ``phone<mac>.cfg`` the "e" before it is a hex digit too."""
        seen = sightings.from_request(name, user_agent, source_ip, via)
        macs = {m.lower() for m in _MAC_IN_ANY_NAME.findall(name)}
        if seen is not None:
            macs.add(seen.mac)
        if macs and Phone.select().where(Phone.mac.in_(macs)).exists():
            log.info(
                "provisioning: %s from %s not served", events.shown(name), source_ip
            )
            return
        self._report(events.PROVISIONING_FILE_MISSING, source_ip, name, via)
        if seen is not None:
            self.sightings(seen)

    def _report(self, kind: str, source_ip: str, name: str, via: str) -> None:
        events.report(events.SecurityEvent(kind, source_ip, name, via))
