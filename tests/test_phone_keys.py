"""``edgepbx phone keys|override|auth``: programmable keys, per-device
overrides and provisioning credentials, as the phone's file then says."""

from __future__ import annotations

import pytest

from tests.test_provisioning_files import parse_yealink

MAC = "805ec0aabbcc"


@pytest.fixture
def office(pbx_data):
    """An appliance (not started) with a Yealink on 101 and 102."""
    pbx_data.add_extension("101", "Front desk")
    pbx_data.add_extension("102", "Office")
    pbx_data.add_extension("103", "Warehouse")
    added = pbx_data.add_phone(MAC, "101", "102")
    assert added.returncode == 0, added.stderr
    return pbx_data


def mac_file(pbx) -> dict[str, str]:
    """The phone's file as the provisioning tree renders it now."""
    result = pbx.cli("phone", "file", f"{MAC}.cfg")
    assert result.returncode == 0, result.stderr
    return parse_yealink(result.stdout.encode())


def test_blf_park_and_line_keys_are_written_in_order_into_the_phone_file(office):
    before = office.cli("phone", "show", MAC, "--json").json()["config_version"]
    result = office.cli(
        "phone",
        "keys",
        MAC,
        "--key",
        "line:2",
        "--key",
        "blf:103",
        "--key",
        "park:7001:Parking@2",
        "--json",
    )
    values = mac_file(office)
    after = office.cli("phone", "show", MAC, "--json").json()["config_version"]

    assert result.returncode == 0, result.stderr
    assert [key["kind"] for key in result.json()] == ["line", "blf", "park"]
    assert values["linekey.1.type"] == "15" and values["linekey.1.line"] == "2"
    assert values["linekey.2.type"] == "16"
    assert values["linekey.2.value"] == "103"
    assert values["linekey.2.label"] == "Warehouse"  # the extension's name
    assert values["linekey.3.value"] == "7001"
    assert values["linekey.3.line"] == "2"
    assert values["linekey.3.label"] == "Parking"
    assert values["voice_mail.number.1"] == "*97"
    assert after == before + 1


def test_the_example_keys_the_help_gives_are_accepted(office):
    helped = office.cli("phone", "keys", "--help")
    text = " ".join(helped.stdout.split())
    examples = text.partition("in order: ")[2].partition(" (replaces all)")[0]
    args = [arg for spec in examples.split(", ") for arg in ("--key", spec)]

    result = office.cli("phone", "keys", MAC, *args, "--json")

    assert len(args) == 6
    assert result.returncode == 0, result.stderr
    assert [key["kind"] for key in result.json()] == ["blf", "park", "line"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("blf:999", 'target "999": an existing extension'),
        ("park:7a", "park slot"),
        ("park:701", 'target "701": a park slot, 7001 to 7008'),
        ("line:3", "a line of this phone (1, 2)"),
        ("speed:103", "one of line, blf, park"),
    ],
)
def test_a_wrong_key_is_refused_naming_the_field_and_no_key_changes(
    office, key, message
):
    office.cli("phone", "keys", MAC, "--key", "blf:102")
    refused = office.cli("phone", "keys", MAC, "--key", "blf:103", "--key", key)
    kept = office.cli("phone", "keys", MAC, "--json").json()

    assert refused.returncode == 2
    assert message in refused.stderr
    assert [(k["kind"], k["target"]) for k in kept] == [("blf", "102")]


def test_an_override_replaces_a_setting_of_the_file_and_adds_new_ones(office):
    office.cli("phone", "override", MAC, "lang.gui=French", "features.dnd.enable=1")
    values = mac_file(office)
    office.cli("phone", "override", MAC, "--unset", "lang.gui")
    kept = office.cli("phone", "override", MAC, "--json").json()

    assert values["lang.gui"] == "French"
    assert values["features.dnd.enable"] == "1"
    assert kept == {"features.dnd.enable": "1"}


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("bad name=1", "a Yealink setting name"),
        ("x.y=a\x01b", "printable"),
        ("lang.gui=French\nfeatures.dnd.enable=1", "one line"),
    ],
)
def test_a_wrong_override_is_refused(office, setting, message):
    refused = office.cli("phone", "override", MAC, setting)

    assert refused.returncode == 2
    assert message in refused.stderr
    assert office.cli("phone", "override", MAC, "--json").json() == {}


def test_each_phone_gets_its_own_random_digest_password_sealed_at_rest(office):
    office.add_phone("805ec0aabbcd", "103")
    first = office.cli("phone", "auth", MAC, "--mode", "required", "--json").json()
    second = office.cli(
        "phone", "auth", "805ec0aabbcd", "--mode", "optional", "--json"
    ).json()
    database = (office.data_dir / "db").glob("*.db")
    stored = b"".join(path.read_bytes() for path in database)

    assert first["username"] == MAC and first["effective_mode"] == "required"
    assert len(first["password"]) == 20
    assert first["password"] != second["password"]
    assert first["password"].encode() not in stored


def test_phones_that_follow_the_site_take_its_mode(office):
    office.cli("phone", "site-auth", "--mode", "required")
    shown = office.cli("phone", "auth", MAC, "--mode", "site", "--json").json()

    assert shown["mode"] == "site"
    assert shown["effective_mode"] == "required"


def test_a_fanvil_gets_its_xml_files_under_the_names_it_asks_for(office):
    added = office.add_phone("0c383e000001", "103", vendor="fanvil", model="X4U")
    own = office.cli("phone", "file", "0c383e000001.cfg")
    common = office.cli("phone", "file", "f0X4hw1.100.cfg")

    assert added.returncode == 0, added.stderr
    assert own.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    assert "<Register_User>103</Register_User>" in own.stdout
    assert "<MWI_Num>*97</MWI_Num>" in own.stdout
    assert "<SNTP_Server>" in common.stdout


def test_a_long_extension_name_is_cut_to_fit_a_key_label(office):
    office.add_extension("104", "Reception and visitor desk, ground floor B")
    keys = office.cli("phone", "keys", MAC, "--key", "blf:104", "--json")

    assert keys.returncode == 0, keys.stderr
    assert keys.json()[0]["label"] == "Reception and visitor desk, grou"


def test_removing_an_extension_clears_the_blf_keys_on_it_and_says_so(office):
    office.cli("phone", "keys", MAC, "--key", "blf:102", "--key", "blf:103:Bob")
    before = office.cli("phone", "show", MAC, "--json").json()["config_version"]

    removed = office.cli("extension", "remove", "103")
    after = office.cli("phone", "show", MAC, "--json").json()["config_version"]
    office.add_extension("103", "Carol")
    values = mac_file(office)

    assert removed.returncode == 0, removed.stderr
    assert "phone 80:5e:c0:aa:bb:cc: BLF key 2 (Bob) was this extension" in (
        removed.stdout
    )
    assert after == before + 1
    kept = office.cli("phone", "keys", MAC, "--json").json()
    assert [(k["kind"], k["target"]) for k in kept] == [("blf", "102")]
    assert values["linekey.1.value"] == "102"
    assert "103" not in [v for k, v in values.items() if k.startswith("linekey.")]
    assert "Bob" not in values.values()
