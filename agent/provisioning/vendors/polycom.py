"""Poly (Polycom) VVX phones on UC Software: ``<mac>.cfg`` and its files.

A VVX asks for its master configuration file ``<mac>.cfg``: an
``<APPLICATION>`` element whose ``CONFIG_FILES`` names the configuration
files to read, the leftmost winning. Here that is the phone's own
``phone<mac>.cfg`` and then the site file ``edgepbx-polycom.cfg``; both hold
one ``<polycomConfig>`` element whose attributes are the parameters.
``APP_FILE_PATH`` is left empty, so the phone keeps its firmware (firmware
files are not served yet).

Parameters written (``COMMON_KEYS``, ``MAC_FILE_KEYS``), from Poly's UC
Software administration guides: per line ``reg.N.address``,
``reg.N.auth.userId``, ``reg.N.auth.password``, ``reg.N.displayName``,
``reg.N.label``, ``reg.N.server.1.address``, ``reg.N.server.1.port``,
``reg.N.server.1.transport`` (``UDPOnly``), ``msg.mwi.N.callBackMode``
(``contact``) and ``msg.mwi.N.callBack`` (the voicemail code);
``device.set``, ``device.auth.localAdminPassword.set`` and
``device.auth.localAdminPassword`` for the admin password. The site file
sets ``tcpIpApp.sntp.address`` (with ``.overrideDHCP``),
``tcpIpApp.sntp.gmtOffset`` (the standard offset in seconds) and
``lcl.ml.lang``, and for call pickup from a BLF key
``call.directedCallPickupMethod`` (``legacy``: dial a string and the
number) with ``call.directedCallPickupString``. Not confirmed by a public
Poly document here: the language names (``English_United_States``,
``German_Germany`` and the like, as UC Software's language files are
named) and whether every firmware accepts an empty ``APP_FILE_PATH``. The transports are
``UDPOnly``, ``TCPOnly`` and ``TLS`` of ``reg.N.server.1.transport``.

Programmable keys: a line key adds one to ``reg.N.lineKeys`` of its line;
BLF and park keys are the busy lamp field list, ``attendant.resourceList.K``
``.address``, ``.label`` and ``.type`` (``normal``), with ``attendant.reg``
naming the line that subscribes. Poly places these keys itself after the
line keys, in list order, so positions order them but do not pin them.
When the model has a firmware version set, ``APP_FILE_PATH`` names its
file. The phone fetches its contact directory itself as
``<mac>-directory.xml`` from the provisioning server. Per-device overrides
replace or add a parameter of the phone file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from agent.provisioning.profile import PhoneProfile, SiteProfile
from agent.provisioning.vendors import Vendor
from agent.provisioning.vendors.xml_file import to_bytes

MAX_LINES = 16  # registrations of a VVX 600
SITE_FILE = "edgepbx-polycom.cfg"
TRANSPORT = {"udp": "UDPOnly", "tcp": "TCPOnly", "tls": "TLS"}
LANGUAGES = {
    "en": "English_United_States",
    "de": "German_Germany",
    "fr": "French_France",
    "es": "Spanish_Spain",
    "it": "Italian_Italy",
    "nl": "Dutch_Netherlands",
    "pt": "Portuguese_Portugal",
}
LINE_KEYS = (
    "reg.N.address",
    "reg.N.auth.userId",
    "reg.N.auth.password",
    "reg.N.displayName",
    "reg.N.label",
    "reg.N.server.1.address",
    "reg.N.server.1.port",
    "reg.N.server.1.transport",
    "msg.mwi.N.callBackMode",
    "msg.mwi.N.callBack",
)
ADMIN_KEYS = (
    "device.set",
    "device.auth.localAdminPassword.set",
    "device.auth.localAdminPassword",
)
MAX_KEYS = 48  # the busy lamp field list, with an expansion module
RESOURCE_KEYS = ("address", "label", "type")
MAC_FILE_KEYS = frozenset(
    {key.replace(".N.", f".{n}.") for key in LINE_KEYS for n in range(1, 17)}
    | set(ADMIN_KEYS)
    | {f"reg.{n}.lineKeys" for n in range(1, 17)}
    | {
        f"attendant.resourceList.{k}.{key}"
        for k in range(1, MAX_KEYS + 1)
        for key in RESOURCE_KEYS
    }
    | {"attendant.reg"}
)
COMMON_KEYS = frozenset(
    {
        "tcpIpApp.sntp.address",
        "tcpIpApp.sntp.address.overrideDHCP",
        "tcpIpApp.sntp.gmtOffset",
        "lcl.ml.lang",
        "call.directedCallPickupMethod",
        "call.directedCallPickupString",
    }
)
MASTER_ATTRIBUTES = (
    "APP_FILE_PATH",
    "CONFIG_FILES",
    "MISC_FILES",
    "LOG_FILE_DIRECTORY",
    "OVERRIDES_DIRECTORY",
    "CONTACTS_DIRECTORY",
    "LICENSE_DIRECTORY",
)


def _polycom_config(values: dict[str, str]) -> bytes:
    return to_bytes(ET.Element("polycomConfig", values))


def render_master(phone: PhoneProfile) -> bytes:
    attributes = dict.fromkeys(MASTER_ATTRIBUTES, "")
    attributes["CONFIG_FILES"] = f"phone{phone.mac}.cfg, {SITE_FILE}"
    if phone.firmware_url:
        attributes["APP_FILE_PATH"] = phone.firmware_url
    return to_bytes(ET.Element("APPLICATION", attributes))


def render_phone_file(phone: PhoneProfile) -> bytes:
    site = phone.site
    values: dict[str, str] = {}
    for account in phone.lines:
        n = account.line
        values |= {
            f"reg.{n}.address": account.number,
            f"reg.{n}.auth.userId": account.number,
            f"reg.{n}.auth.password": account.password,
            f"reg.{n}.displayName": account.display_name,
            f"reg.{n}.label": account.number,
            f"reg.{n}.server.1.address": site.server,
            f"reg.{n}.server.1.port": str(site.port),
            f"reg.{n}.server.1.transport": TRANSPORT[site.transport],
            f"msg.mwi.{n}.callBackMode": "contact",
            f"msg.mwi.{n}.callBack": site.voicemail_code,
        }
    values |= {
        "device.set": "1",
        "device.auth.localAdminPassword.set": "1",
        "device.auth.localAdminPassword": phone.admin_password,
    }
    for line in {key.line for key in phone.keys_of("line")}:
        count = len([k for k in phone.keys_of("line") if k.line == line])
        values[f"reg.{line}.lineKeys"] = str(count)
    watched = phone.keys_of("blf", "park")
    for k, key in enumerate(watched, start=1):
        values |= {
            f"attendant.resourceList.{k}.address": key.target,
            f"attendant.resourceList.{k}.label": key.label,
            f"attendant.resourceList.{k}.type": "normal",
        }
    if watched:
        values["attendant.reg"] = str(watched[0].line)
    return _polycom_config(values | dict(phone.overrides))


def render_common(site: SiteProfile) -> bytes:
    offset_s = int(site.standard_utc_offset().total_seconds())
    return _polycom_config(
        {
            "tcpIpApp.sntp.address": site.ntp_server,
            "tcpIpApp.sntp.address.overrideDHCP": "1",
            "tcpIpApp.sntp.gmtOffset": str(offset_s),
            "lcl.ml.lang": LANGUAGES.get(site.language, LANGUAGES["en"]),
            # "legacy": a BLF key of a ringing extension dials the string
            # and the number, the PBX's directed pickup.
            "call.directedCallPickupMethod": "legacy",
            "call.directedCallPickupString": site.directed_pickup_code,
        }
    )


MASTER_FILE = re.compile(r"(?P<mac>[0-9a-f]{12})\.cfg", re.IGNORECASE)
PHONE_FILE = re.compile(r"phone(?P<mac>[0-9a-f]{12})\.cfg", re.IGNORECASE)


VENDOR = Vendor(
    name="polycom",
    title="Poly",
    models=re.compile(r"VVX[0-9]{3}", re.IGNORECASE),
    models_rule="a VVX model like VVX450",
    content_type="application/xml; charset=utf-8",
    common_file=re.compile(re.escape(SITE_FILE), re.IGNORECASE),
    mac_file=MASTER_FILE,
    render_common=render_common,
    render_mac_file=render_master,
    max_lines=MAX_LINES,
    max_keys=MAX_KEYS,
    extra_mac_files=((PHONE_FILE, render_phone_file),),
)
