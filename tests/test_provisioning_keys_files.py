"""Fanvil's files, and every vendor's programmable keys, overrides,
firmware and phonebook URLs: parsed with a parser of the format, held to
the documented key lists, and compared with golden files read by a
person."""

from __future__ import annotations

import dataclasses
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from agent.provisioning.profile import FunctionKey, LineAccount
from agent.provisioning.vendors import (
    VENDORS,
    cisco,
    fanvil,
    grandstream,
    merged,
    polycom,
    snom,
    yealink,
)
from tests.test_provisioning_files import (
    PHONE,
    SITE,
    cisco_values,
    generic,
    grandstream_values,
    parse_yealink,
    polycom_values,
    snom_values,
)

GOLDEN = Path(__file__).with_name("golden")
FIRMWARE = "http://192.0.2.10:8080/prov/T54W-96.86.0.100.rom"
PHONEBOOK = "http://192.0.2.10:8080/prov/805ec0aabbcc-phonebook.xml"

KEYED = dataclasses.replace(
    PHONE,
    keys=(
        FunctionKey(1, "line", "", "Line 1", 1),
        FunctionKey(2, "blf", "103", "Warehouse", 1),
        FunctionKey(3, "park", "701", "Park 1", 2),
    ),
    firmware_url=FIRMWARE,
    phonebook_url=PHONEBOOK,
)
# A Grandstream phone's phonebook URL, as the inventory names it.
GRANDSTREAM_PHONEBOOK = "http://192.0.2.10:8080/prov/805ec0aabbcc/phonebook.xml"
KEYED_GRANDSTREAM = dataclasses.replace(KEYED, phonebook_url=GRANDSTREAM_PHONEBOOK)


def fanvil_leaves(content: bytes) -> dict[str, list[str]]:
    root = ET.fromstring(content)
    assert root.tag == "VOIP_CONFIG_FILE"
    assert root.findtext("version") == "2.0002"
    leaves: dict[str, list[str]] = {}
    for path in fanvil.setting_paths(content):
        leaves[path] = [e.text or "" for e in root.findall(path)]
    return leaves


def test_fanvil_mac_file_has_each_line_its_admin_account_and_keys():
    content = fanvil.render_mac_file(KEYED)
    leaves = fanvil_leaves(content)
    root = ET.fromstring(content)
    lines = root.findall("SIP_CONFIG_MODULE/SIP_Line_List/SIP_Line_List_Entry")
    keys = root.findall("PHONE_CONFIG_MODULE/Function_Key/Function_Key_Entry")

    assert set(leaves) <= fanvil.MAC_FILE_KEYS
    assert [line.findtext("ID") for line in lines] == ["SIP1", "SIP2"]
    assert lines[0].findtext("Register_User") == "101"
    assert lines[1].findtext("Register_Pswd") == "Sip-Passw0rd-102"
    assert lines[1].findtext("Register_Addr") == "192.0.2.10"
    assert lines[0].findtext("MWI_Num") == "*97"
    assert lines[0].findtext("Transport") == "0"
    account = root.find("MMI_CONFIG_MODULE/MMI_Account/MMI_Account_Entry")
    assert account.findtext("Name") == "admin"
    assert account.findtext("Password") == "Adm1nPassw0rdXyz"
    assert [(k.findtext("Type"), k.findtext("Value")) for k in keys] == [
        ("2", "SIP1"),
        ("1", "103@1/ba**103"),
        ("1", "701@2/ba**701"),
    ]
    assert leaves["AUTOUPDATE_CONFIG_MODULE/Auto_Image_URL"] == [FIRMWARE]


def test_fanvil_common_file_sets_ntp_language_and_time_zone():
    leaves = fanvil_leaves(fanvil.render_common(SITE))

    assert set(leaves) <= fanvil.COMMON_KEYS
    assert leaves["GLOBAL_CONFIG_MODULE/SNTP_Server"] == ["pool.ntp.org"]
    assert leaves["GLOBAL_CONFIG_MODULE/Language"] == ["de"]
    assert leaves["GLOBAL_CONFIG_MODULE/Time_Zone"] == ["4"]
    assert leaves["GLOBAL_CONFIG_MODULE/Time_Zone_Name"] == ["UTC+1"]


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("UTC", ("0", "UCT")),
        ("America/New_York", ("-20", "UTC-05")),
        ("Asia/Tokyo", ("36", "UTC+9")),
        ("Asia/Kolkata", None),  # +5:30: not in the firmware's list
        ("Pacific/Kiritimati", None),  # +14: beyond it
    ],
)
def test_fanvil_time_zone_is_the_standard_offset_in_quarter_hours(zone, shown):
    site = dataclasses.replace(SITE, time_zone=zone)
    leaves = fanvil_leaves(fanvil.render_common(site))

    written = (
        leaves.get("GLOBAL_CONFIG_MODULE/Time_Zone", [None])[0],
        leaves.get("GLOBAL_CONFIG_MODULE/Time_Zone_Name", [None])[0],
    )
    assert written == (shown or (None, None))


@pytest.mark.parametrize(
    "name", ["f0X4hw1.100.cfg", "F0V00X600000.cfg", "F0000X600000.cfg"]
)
def test_fanvil_common_file_names_are_recognised(name):
    assert fanvil.VENDOR.common_file.fullmatch(name)


def test_a_mac_file_name_is_never_taken_for_fanvils_common_file():
    # A Yealink whose MAC starts with f0 asks for f0xxxxxxxxxx.cfg.
    assert not fanvil.VENDOR.common_file.fullmatch("f01234abcdef.cfg")


def test_fanvil_override_names_a_module_and_a_setting():
    phone = dataclasses.replace(
        PHONE, overrides=(("PHONE_CONFIG_MODULE.Time_Display_Style", "1"),)
    )
    root = ET.fromstring(fanvil.render_mac_file(phone))

    assert root.findtext("PHONE_CONFIG_MODULE/Time_Display_Style") == "1"


def test_yealink_keys_firmware_and_phonebook():
    values = parse_yealink(yealink.render_mac_file(KEYED))

    assert {generic_linekey(key) for key in values} <= yealink.MAC_FILE_KEYS
    assert values["linekey.1.type"] == "15"
    assert values["linekey.2.type"] == "16" and values["linekey.2.value"] == "103"
    assert values["linekey.3.value"] == "701" and values["linekey.3.line"] == "2"
    assert values["static.firmware.url"] == FIRMWARE
    assert values["remote_phonebook.data.1.url"] == PHONEBOOK


def generic_linekey(key: str) -> str:
    parts = key.split(".")
    if parts[0] == "linekey":
        parts[1] = "N"
        return ".".join(parts)
    return generic(key)


def test_snom_keys_are_function_keys_counted_from_zero_with_their_labels():
    values = snom_values(snom.render_mac_file(KEYED))
    root = ET.fromstring(snom.render_mac_file(KEYED))
    fkeys = root.findall("functionKeys/fkey")
    keys = {fkey.get("idx"): fkey for fkey in fkeys}

    assert {key for key, _ in values} <= snom.MAC_FILE_KEYS
    assert all(set(fkey.attrib) == snom.FKEY_ATTRIBUTES for fkey in fkeys)
    assert [keys["0"].text, keys["0"].get("label")] == ["line", "Line 1"]
    assert keys["1"].text == "blf <sip:103@192.0.2.10>|**"
    assert keys["1"].get("context") == "1"
    assert [keys["2"].get("label"), keys["2"].get("context")] == ["Park 1", "2"]
    assert {key for key, _ in values if key.startswith("fkey")} == set()
    assert values[("dkey_directory", None)] == f"url {PHONEBOOK}"
    assert root.findtext("firmware-settings/firmware") == FIRMWARE


def test_grandstream_blf_and_park_keys_are_multi_purpose_keys():
    values = grandstream_values(grandstream.render_mac_file(KEYED_GRANDSTREAM))

    assert set(values) <= grandstream.MAC_FILE_KEYS
    # Key 2 (BLF on 103, account 1) and key 3 (park 701, account 2).
    assert (values["P324"], values["P304"], values["P306"]) == ("1", "0", "103")
    assert (values["P325"], values["P307"], values["P309"]) == ("1", "1", "701")
    assert "P323" not in values  # a line key is the phone's own
    # P6767 is "Firmware Upgrade Via"; P212, how the phone fetches this
    # file, stays as the phone found it.
    assert values["P192"] == "192.0.2.10:8080/prov"
    assert values["P6767"] == "1"
    assert "P212" not in values
    assert values["P330"] == "1"  # HTTP
    # A directory: the phone appends /phonebook.xml to it.
    assert values["P331"] == "192.0.2.10:8080/prov/805ec0aabbcc"


def test_a_grp26xx_s_blf_and_park_keys_are_virtual_multi_purpose_keys():
    """Grandstream's GRP261x template: VPK K's mode, account, description
    and value are P(1361+2K), P(1362+2K), P(1463+2K), P(1464+2K)."""
    grp = dataclasses.replace(KEYED_GRANDSTREAM, model="GRP2616")
    values = grandstream_values(grandstream.render_mac_file(grp))

    assert set(values) <= grandstream.MAC_FILE_KEYS
    # Key 2 (BLF on 103, account 1) and key 3 (park 701, account 2).
    assert (values["P1365"], values["P1366"]) == ("1", "0")
    assert (values["P1467"], values["P1468"]) == ("Warehouse", "103")
    assert (values["P1367"], values["P1368"]) == ("1", "1")
    assert (values["P1469"], values["P1470"]) == ("Park 1", "701")
    assert "P1363" not in values  # a line key is the phone's own
    assert not {"P324", "P304", "P325"} & set(values)  # a GXP's MPKs


def test_a_grp26xx_s_seventh_key_is_the_first_dynamic_vpk():
    grp = dataclasses.replace(
        KEYED_GRANDSTREAM,
        model="GRP2616",
        keys=(FunctionKey(7, "blf", "104", "Lab", 1),),
    )
    values = grandstream_values(grandstream.render_mac_file(grp))

    assert [values[f"P{p}"] for p in range(23800, 23804)] == ["1", "0", "Lab", "104"]


def test_grandstream_phonebook_over_https_is_p330_3_not_tftp():
    """P330 has codes of its own: 1 HTTP, 2 TFTP, 3 HTTPS (P6767, the
    firmware's, has 2 for HTTPS)."""
    https = dataclasses.replace(
        KEYED,
        phonebook_url="https://192.0.2.10:8443/prov/805ec0aabbcc/phonebook.xml",
        firmware_url="https://192.0.2.10:8443/prov/fw.bin",
    )
    values = grandstream_values(grandstream.render_mac_file(https))

    assert values["P330"] == "3"
    assert values["P6767"] == "2"
    assert values["P331"] == "192.0.2.10:8443/prov/805ec0aabbcc"


def test_a_grandstream_phonebook_url_under_another_name_is_not_written():
    """The phone appends phonebook.xml to P331; a URL naming another file
    would make it ask for a name that does not exist."""
    values = grandstream_values(grandstream.render_mac_file(KEYED))

    assert KEYED.phonebook_url.endswith("-phonebook.xml")
    assert "P330" not in values
    assert "P331" not in values


def test_poly_keys_are_line_keys_and_the_busy_lamp_field_list():
    values = polycom_values(polycom.render_phone_file(KEYED))
    master = ET.fromstring(polycom.render_master(KEYED))

    assert set(values) <= polycom.MAC_FILE_KEYS
    assert values["reg.1.lineKeys"] == "1"
    assert values["attendant.resourceList.1.address"] == "103"
    assert values["attendant.resourceList.2.address"] == "701"
    assert values["attendant.resourceList.2.label"] == "Park 1"
    assert master.get("APP_FILE_PATH") == FIRMWARE


# The firmware file keeps the name it was uploaded under.
EDGE_FIRMWARE = "http://192.0.2.10:8080/prov/edge-e350.sip.ld"
EDGE_E350 = dataclasses.replace(
    KEYED,
    mac="64167faabbcc",
    vendor="polycom",
    model="E350",
    firmware_url=EDGE_FIRMWARE,
)


def test_a_poly_edge_e_gets_a_vvx_s_files_with_its_keys_in_the_same_parameters():
    values = polycom_values(polycom.render_phone_file(EDGE_E350))
    master = ET.fromstring(polycom.render_master(EDGE_E350))

    assert set(values) <= polycom.MAC_FILE_KEYS
    files = [name.strip() for name in master.get("CONFIG_FILES").split(",")]
    assert files == ["phone64167faabbcc.cfg", polycom.SITE_FILE]
    assert master.get("APP_FILE_PATH") == EDGE_FIRMWARE
    assert values["reg.1.address"] == values["reg.1.auth.userId"] == "101"
    assert values["reg.2.auth.password"] == "Sip-Passw0rd-102"
    assert values["reg.1.lineKeys"] == "1"
    assert values["attendant.resourceList.1.address"] == "103"
    assert values["attendant.resourceList.1.type"] == "normal"
    assert values["attendant.resourceList.2.label"] == "Park 1"
    assert values["attendant.reg"] == "1"


GXV3480 = dataclasses.replace(
    KEYED_GRANDSTREAM,
    model="GXV3480",
    lines=tuple(
        LineAccount(n, f"10{n}", f"Line {n}", f"Sip-Passw0rd-10{n}")
        for n in range(1, 7)
    ),
)


def test_a_gxv_gets_its_six_accounts_and_no_key_or_time_zone_it_cannot_take():
    values = grandstream_values(grandstream.render_mac_file(GXV3480))
    key_p_values = {
        p
        for key in range(1, grandstream.MAX_KEYS + 1)
        for p in grandstream.mpk_values(key) + grandstream.vpk_values(key)
    }

    assert set(values) <= grandstream.MAC_FILE_KEYS
    assert [values[p] for p in ("P35", "P404", "P504", "P604", "P1704", "P1804")] == [
        "101",
        "102",
        "103",
        "104",
        "105",
        "106",
    ]
    assert values["P1806"] == "Sip-Passw0rd-106"
    # Its keys were set on the profile, but a GXV has no multi-purpose key.
    assert not key_p_values & set(values)
    assert not {"P64", "P246", "P143"} & set(values)
    assert values["P30"] == "pool.ntp.org" and values["P1362"] == "de"
    assert values["P192"] == "192.0.2.10:8080/prov"


def test_cisco_keys_are_line_keys_with_extended_functions():
    values = cisco_values(cisco.render_mac_file(KEYED))

    assert set(values) <= cisco.MAC_FILE_KEYS
    assert values["Extension_1_"] == "1"
    assert values["Extension_2_"] == "Disabled"
    assert values["Extended_Function_2_"] == (
        "fnc=blf+sd+cp;sub=103@192.0.2.10;nme=Warehouse"
    )
    assert values["Upgrade_Rule"] == FIRMWARE
    assert values["XML_Directory_Service_URL"] == PHONEBOOK


@pytest.mark.parametrize(
    ("render", "parse", "key"),
    [
        (yealink.render_mac_file, parse_yealink, "lang.gui"),
        (cisco.render_mac_file, cisco_values, "Dial_Plan_1_"),
        (grandstream.render_mac_file, grandstream_values, "P2"),
        (polycom.render_phone_file, polycom_values, "lcl.ml.lang"),
        (snom.render_mac_file, snom_values, ("language", None)),
    ],
)
def test_an_override_wins_over_the_built_in_value(render, parse, key):
    name = key[0] if isinstance(key, tuple) else key
    phone = dataclasses.replace(PHONE, overrides=((name, "from-override"),))
    assert parse(render(phone))[key] == "from-override"


def test_merged_replaces_in_place_and_appends_the_rest():
    pairs = [("a", "1"), ("b", "2")]
    assert merged(pairs, (("b", "x"), ("c", "3"))) == [
        ("a", "1"),
        ("b", "x"),
        ("c", "3"),
    ]


def test_every_vendor_is_listed_once():
    assert sorted(VENDORS) == [
        "cisco",
        "fanvil",
        "grandstream",
        "polycom",
        "snom",
        "yealink",
    ]


GOLDEN_FILES = [
    ("fanvil-805ec0aabbcc.cfg", lambda: fanvil.render_mac_file(PHONE)),
    ("fanvil-f0X4hw1.100.cfg", lambda: fanvil.render_common(SITE)),
    ("keys-yealink-805ec0aabbcc.cfg", lambda: yealink.render_mac_file(KEYED)),
    ("keys-fanvil-805ec0aabbcc.cfg", lambda: fanvil.render_mac_file(KEYED)),
    ("keys-snom-805ec0aabbcc.xml", lambda: snom.render_mac_file(KEYED)),
    (
        "keys-grandstream-cfg805ec0aabbcc.xml",
        lambda: grandstream.render_mac_file(KEYED_GRANDSTREAM),
    ),
    ("keys-polycom-805ec0aabbcc.cfg", lambda: polycom.render_master(KEYED)),
    (
        "keys-polycom-phone805ec0aabbcc.cfg",
        lambda: polycom.render_phone_file(KEYED),
    ),
    ("keys-cisco-805ec0aabbcc.xml", lambda: cisco.render_mac_file(KEYED)),
    ("keys-polycom-E350-64167faabbcc.cfg", lambda: polycom.render_master(EDGE_E350)),
    (
        "keys-polycom-E350-phone64167faabbcc.cfg",
        lambda: polycom.render_phone_file(EDGE_E350),
    ),
    (
        "keys-grandstream-GXV3480-cfg805ec0aabbcc.xml",
        lambda: grandstream.render_mac_file(GXV3480),
    ),
]


@pytest.mark.parametrize(("golden", "render"), GOLDEN_FILES)
def test_rendered_files_match_their_golden_files(golden, render):
    path = GOLDEN / golden
    if os.environ.get("EDGEPBX_WRITE_GOLDEN") == "1":
        path.write_bytes(render())
    assert render() == path.read_bytes()
