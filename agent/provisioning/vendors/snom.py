"""Snom D3xx/D7xx and 7xx: ``snom<model>.htm`` and ``snom<model>-<MAC>.htm``.

Snom's XML settings format: ``<settings><phone-settings>`` holding one
element per setting, ``idx`` naming the identity (line) for per-line
settings, ``perm="R"`` making a setting read-only on the phone so the PBX
stays its owner. A phone pointed at this server asks for its model's file
and then its own; ``<mac>.xml`` is accepted for the MAC file as well.

Settings written (``COMMON_KEYS``, ``MAC_FILE_KEYS``), from Snom's
settings reference: ``user_active``, ``user_realname``, ``user_name``,
``user_pass``, ``user_host`` (``host:port``, with ``;transport=tcp`` or
``;transport=tls`` when the site's phones use TCP or TLS, the URI
parameter of RFC 3261 section 19.1.1 that Snom's registrar field takes)
and ``user_mailbox`` per line;
``admin_mode_password``, ``http_user`` and ``http_pass`` for the phone's own
admin access; ``ntp_server``, ``language`` and ``web_language`` in the
common file, both the same name, mapped from the site's language
(``LANGUAGE_NAMES``). ``English`` and ``Deutsch`` for ``language`` and
``web_language`` are confirmed by Snom's service wiki ("Configuration
files", its example files). The other names are the ones the phone's
language menu shows, without accents, and no Snom document lists them
(searched: Snom's settings reference and service wiki, whose "Translating
or customizing SIP error responses" page says only that a language file's
name must match the name in the ``<gui-languages>`` tag). Three public
provisioning integrations agree with them: Wazo's Snom plugin writes
``Espanol`` and ``Francais``; an open-source provisioning server for
Kazoo names ``Francais`` and ``Italiano`` in its ``<gui-languages>``
list; Gemeinschaft's Snom provisioning lists ``Espanol``, ``Francais``,
``Italiano``, ``Nederlands`` and ``Portugues`` for both the phone and the
web page. One other public template writes ``France`` and ``Italian``,
which none of these bears out. Known shortcoming: that the firmware takes
these names unaccented is seen in those integrations only.

The time zone is ``utc_offset`` (the standard offset in seconds east of
UTC) and ``dst``, in the common file, with ``timezone`` left empty: Snom's
zone codes (``GER+1``, ``USA-5``) have no public list that maps IANA zones
to them, and the phone derives ``dst`` from a zone code when one is set.
``dst`` is Snom's format 1 from its settings reference (service.snom.com,
"dst"): the saving in seconds, then the start and the end, each
``mm.ww.dd hh:mm:ss`` (month; week 01 to 05, 05 the month's last; weekday
01 Monday to 07 Sunday; local time); its Germany example, ``3600 03.05.07
02:00:00 10.05.07 03:00:00``, is what Europe/Berlin renders to. An empty
``dst`` is the setting's default: no daylight saving. The values come from
the zone's TZif rule (``agent.provisioning.zone_rule``). Not confirmed by a
public document: ``utc_offset``'s unit (seconds, like ``dst``'s offset),
that an empty ``timezone`` leaves both as written, that week 01 to 04 is
the first to fourth such weekday of the month rather than a calendar week,
and that a start later in the year than the end (the southern hemisphere)
wraps over the new year. A change at a time outside 00:00:00 to 23:59:59
(Israel, Palestine, Egypt, Chile, Greenland) does not fit the format;
those zones get their standard offset and no ``dst``.

Programmable keys are the ``<fkey>`` elements of a ``<functionKeys>``
element beside ``<phone-settings>``, as Snom's service wiki gives them
("<functionKeys> tag", and the "Desk Phone Configuration Files" example):
``idx`` counting from 0, ``context`` the identity (line) that uses the
key, ``label`` the text shown beside it, ``perm`` as for settings, and the
key's function as the element's text: ``line`` for a line key,
``blf <sip:N@server>|CODE`` for a BLF key (a park slot is a BLF key on the
slot's number). ``CODE`` after the ``|`` is what the phone dials before
the number to pick up a call ringing there, the PBX's directed pickup
code: Snom's "HowTo - Call Pickup" (service.snom.com) lists such a code
for PBXs whose NOTIFY carries only the extension's state, and public Snom
provisioning templates write it as ``blf <sip:N@host>|*8``; no Snom
settings reference found spells the ``|`` form out. The firmware is
``<firmware-settings><firmware>`` with
``update_policy`` ``auto_update``; the phonebook is the directory key,
``dkey_directory`` ``url <URL>``, which opens the XML directory. Per-device
overrides replace or add a ``phone-settings`` element of that name.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from agent.provisioning.profile import FunctionKey, PhoneProfile, SiteProfile
from agent.provisioning.vendors import Vendor
from agent.provisioning.vendors.xml_file import to_bytes
from agent.provisioning.zone_rule import Change, ZoneRule

MAX_LINES = 12  # identities of a D7xx
ADMIN_USER = "admin"
READ_ONLY = "R"
LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Francais",
    "es": "Espanol",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt": "Portugues",
}
LINE_KEYS = (
    "user_active",
    "user_realname",
    "user_name",
    "user_pass",
    "user_host",
    "user_mailbox",
)
COMMON_KEYS = frozenset(
    {"ntp_server", "timezone", "utc_offset", "dst", "language", "web_language"}
)
SECONDS_A_DAY = 24 * 3600
SUNDAY = 7  # Snom counts weekdays 01 Monday to 07 Sunday; POSIX 0 Sunday.
MAC_FILE_KEYS = frozenset(
    set(LINE_KEYS)
    | {"admin_mode_password", "http_user", "http_pass"}
    | {"update_policy", "dkey_directory"}
)
#: Attributes of each ``<functionKeys><fkey>``; its text is the function.
FKEY_ATTRIBUTES = frozenset({"idx", "context", "label", "perm"})
FIRMWARE_KEYS = frozenset({"firmware"})
OVERRIDE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _settings(
    values: list[tuple[str, str, int | None]],
    firmware_url: str | None = None,
    keys: tuple[tuple[int, int, str, str], ...] = (),
) -> bytes:
    """``<settings>`` with the values, the function keys (idx, identity,
    label, function) and the firmware URL."""
    root = ET.Element("settings")
    phone = ET.SubElement(root, "phone-settings")
    for key, value, idx in values:
        attributes = {"perm": READ_ONLY}
        if idx is not None:
            attributes = {"idx": str(idx)} | attributes
        ET.SubElement(phone, key, attributes).text = value
    if keys:
        function_keys = ET.SubElement(root, "functionKeys")
        for idx, line, label, function in keys:
            ET.SubElement(
                function_keys,
                "fkey",
                idx=str(idx),
                context=str(line),
                label=label,
                perm=READ_ONLY,
            ).text = function
    if firmware_url:
        firmware = ET.SubElement(root, "firmware-settings")
        ET.SubElement(firmware, "firmware", perm=READ_ONLY).text = firmware_url
    return to_bytes(root)


def _registrar(site: SiteProfile) -> str:
    """``host:port``, with ``;transport=`` for TCP and TLS (UDP is the
    phone's default and needs none)."""
    hostport = f"{site.server}:{site.port}"
    if site.transport == "udp":
        return hostport
    return f"{hostport};transport={site.transport}"


def _fkey(key: FunctionKey, site: SiteProfile) -> str:
    if key.kind == "line":
        return "line"
    return f"blf <sip:{key.target}@{site.server}>|{site.directed_pickup_code}"


def _with_overrides(
    values: list[tuple[str, str, int | None]], overrides: tuple[tuple[str, str], ...]
) -> list[tuple[str, str, int | None]]:
    wanted = dict(overrides)
    out = [
        (key, wanted.pop(key, value) if idx is None else value, idx)
        for key, value, idx in values
    ]
    return out + [(key, value, None) for key, value in wanted.items()]


def _dst_change(change: Change) -> str:
    """``mm.ww.dd hh:mm:ss``: month, week (05 the last), weekday, time."""
    hours, rest = divmod(change.at, 3600)
    minutes, seconds = divmod(rest, 60)
    weekday = change.weekday or SUNDAY
    return (
        f"{change.month:02d}.{change.week:02d}.{weekday:02d} "
        f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    )


def dst(rule: ZoneRule) -> str:
    """Snom's ``dst`` for a zone rule; empty without daylight saving, or
    when a change falls outside the day (``/26``, ``/-1``), which the
    format cannot say."""
    changes = [rule.start, rule.end]
    if not all(change and 0 <= change.at < SECONDS_A_DAY for change in changes):
        return ""
    start, end = (_dst_change(change) for change in changes if change)
    return f"{rule.saving} {start} {end}"


def render_common(site: SiteProfile) -> bytes:
    language = LANGUAGE_NAMES.get(site.language, "English")
    rule = site.zone_rule()
    return _settings(
        [
            ("ntp_server", site.ntp_server, None),
            ("timezone", "", None),
            ("utc_offset", str(rule.standard_offset), None),
            ("dst", dst(rule), None),
            ("language", language, None),
            ("web_language", language, None),
        ]
    )


def render_mac_file(phone: PhoneProfile) -> bytes:
    site = phone.site
    values: list[tuple[str, str, int | None]] = []
    for account in phone.lines:
        n = account.line
        values += [
            ("user_active", "on", n),
            ("user_realname", account.display_name, n),
            ("user_name", account.number, n),
            ("user_pass", account.password, n),
            ("user_host", _registrar(site), n),
            ("user_mailbox", site.voicemail_code, n),
        ]
    values += [
        ("admin_mode_password", phone.admin_password, None),
        ("http_user", ADMIN_USER, None),
        ("http_pass", phone.admin_password, None),
    ]
    keys = tuple(
        (key.position - 1, key.line, key.label, _fkey(key, site)) for key in phone.keys
    )
    if phone.firmware_url:
        values.append(("update_policy", "auto_update", None))
    if phone.phonebook_url:
        values.append(("dkey_directory", f"url {phone.phonebook_url}", None))
    return _settings(_with_overrides(values, phone.overrides), phone.firmware_url, keys)


VENDOR = Vendor(
    name="snom",
    title="Snom",
    models=re.compile(r"D[1-9][0-9]{2}[A-Z]?|7[0-9]{2}", re.IGNORECASE),
    models_rule="a D3xx, D7xx or 7xx model like D785",
    content_type="application/xml; charset=utf-8",
    common_file=re.compile(r"snom(?:d?[0-9]{3}[a-z]?)\.htm", re.IGNORECASE),
    mac_file=re.compile(
        r"(?:snomd?[0-9]{3}[a-z]?-)?(?P<mac>[0-9a-f]{12})\.(?:htm|xml)", re.IGNORECASE
    ),
    render_common=render_common,
    render_mac_file=render_mac_file,
    max_lines=MAX_LINES,
    override_name=OVERRIDE_NAME,
    override_rule="lower-case letters, digits and '_', like language",
)
