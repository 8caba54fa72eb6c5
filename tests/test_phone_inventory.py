"""``edgepbx phone …``: the inventory of phones provisioned by MAC address."""

from __future__ import annotations

import sqlite3

import pytest

from tests.test_provisioning_e2e import http_get


@pytest.fixture
def office(pbx_data):
    """An appliance (not started) with extensions 101 and 102."""
    pbx_data.add_extension("101", "Front desk")
    pbx_data.add_extension("102", "Office")
    return pbx_data


def macs(pbx) -> list[str]:
    return [row["mac"] for row in pbx.cli("phone", "list", "--json").json()]


@pytest.mark.parametrize(
    "written", ["80:5E:C0:AA:BB:CC", "80-5e-c0-aa-bb-cc", "805EC0AABBCC"]
)
def test_a_mac_address_is_accepted_in_any_spelling_and_stored_one_way(office, written):
    added = office.add_phone(
        written, "101", "102", vendor="Yealink", model="t54w", json=True
    )
    shown = office.cli("phone", "show", "80:5e:c0:aa:bb:cc", "--json")

    assert added.returncode == 0, added.stderr
    assert shown.json()["mac"] == "805ec0aabbcc"
    assert shown.json()["vendor"] == "yealink"
    assert shown.json()["model"] == "T54W"
    assert shown.json()["extensions"] == ["101", "102"]
    assert shown.json()["last_request_at"] is None
    assert "admin_password" not in shown.json()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["80:5e:c0:aa:bb", "--vendor", "yealink", "--model", "T54W"], 'mac "80:5e'),
        (["01005e000001", "--vendor", "yealink", "--model", "T54W"], "multicast"),
        (["00:00:00:00:00:00", "--vendor", "yealink", "--model", "T54W"], "zeros"),
        (["000000000000", "--vendor", "polycom", "--model", "VVX450"], "zeros"),
        (["805ec0aabbcc", "--vendor", "acme", "--model", "T54W"], 'vendor "acme"'),
        (["805ec0aabbcc", "--vendor", "yealink", "--model", "CP960"], "T3x, T4x"),
        (
            ["64167faabbcc", "--vendor", "poly", "--model", "B20"],
            'model "B20": Poly: an Edge B phone (B10, B20, B30) is Obihai-based',
        ),
        (
            ["000b82aabbcc", "--vendor", "grandstream", "--model", "GXV3000"],
            'model "GXV3000": Grandstream: one of GXP1610',
        ),
    ],
)
def test_bad_input_names_the_field_and_rule_and_adds_nothing(office, args, message):
    result = office.cli("phone", "add", *args, "--extension", "101")

    assert result.returncode == 2
    assert message in result.stderr
    assert macs(office) == []


def test_the_phone_list_keeps_its_columns_aligned_whatever_the_vendor(office):
    assert office.add_phone("805ec0aabb01", "101").returncode == 0
    grandstream = office.add_phone(
        "000b82aabb02", "102", vendor="grandstream", model="GXP2170"
    )
    assert grandstream.returncode == 0, grandstream.stderr

    listed = office.cli("phone", "list")

    assert listed.returncode == 0, listed.stderr
    yealink_line, grandstream_line = sorted(listed.stdout.splitlines(), reverse=True)
    for yealink_cell, grandstream_cell in [
        ("yealink", "grandstream"),
        ("T54W", "GXP2170"),
        ("101", "102"),
        ("never fetched", "never fetched"),
    ]:
        assert yealink_line.index(yealink_cell) == grandstream_line.index(
            grandstream_cell
        ), listed.stdout


def test_a_phone_listed_under_all_zeros_earlier_gets_no_file_there(office):
    """Every Poly phone asks for 000000000000.cfg by default: a phone listed
    under that address (before the address was refused) is not served."""
    office.add_phone("0004f2aabbcc", "102", vendor="polycom", model="VVX450")
    db = sqlite3.connect(office.data_dir / "db" / "edgepbx.sqlite")
    with db:
        db.execute("UPDATE phone SET mac = '000000000000'")
    db.close()

    office.start()
    try:
        replies = [
            http_get(office, f"/prov/{name}")
            for name in ("000000000000.cfg", "phone000000000000.cfg")
        ]
    finally:
        office.stop()

    for status, _, body in replies:
        assert status == 404
        assert b"102" not in body


def test_a_phone_needs_existing_extensions_and_a_mac_not_yet_listed(office):
    first = ["805ec0aabbcc", "--vendor", "yealink", "--model", "T46U"]
    unknown = office.cli("phone", "add", *first, "--extension", "999")
    added = office.cli("phone", "add", *first, "--extension", "101")
    again = office.cli("phone", "add", *first, "--extension", "102")

    assert unknown.returncode == 2
    assert 'extension "999": no such extension' in unknown.stderr
    assert added.returncode == 0
    assert again.returncode == 2
    assert "already in the list" in again.stderr
    assert macs(office) == ["805ec0aabbcc"]


def test_each_phone_gets_its_own_admin_password_never_stored_in_clear(office):
    for mac, ext in (("805ec0000001", "101"), ("805ec0000002", "102")):
        office.add_phone(mac, ext)
    one = office.cli("phone", "show", "805ec0000001", "--admin-password", "--json")
    two = office.cli("phone", "show", "805ec0000002", "--admin-password", "--json")
    stored = b"".join(
        p.read_bytes() for p in (office.data_dir / "db").iterdir() if p.is_file()
    )

    first, second = one.json()["admin_password"], two.json()["admin_password"]
    assert len(first) >= 16 and first != second
    assert first.encode() not in stored and second.encode() not in stored


def test_removing_a_phone_or_its_extension_takes_it_off_the_list(office):
    office.add_phone("805ec0000001", "101")
    office.add_phone("805ec0000002", "102")
    removed = office.cli("phone", "remove", "80:5e:c0:00:00:01", "--json")
    extension_removed = office.cli("extension", "remove", "102")
    missing = office.cli("phone", "show", "805ec0000001")

    assert removed.returncode == 0
    assert missing.returncode == 2
    assert "no such phone" in missing.stderr
    shown = office.cli("phone", "show", "805ec0000002", "--json").json()
    assert shown["extensions"] == []
    # Whoever removes the extension is told which phone loses a line.
    assert "phone 80:5e:c0:00:00:02: line 1 was this extension" in (
        extension_removed.stdout
    )


def test_a_csv_import_adds_every_row(office, tmp_path):
    csv_file = tmp_path / "phones.csv"
    csv_file.write_text(
        "mac,vendor,model,extension\n"
        "80:5e:c0:00:00:01,yealink,T54W,101\n"
        "80-5E-C0-00-00-02,Yealink,T46U,102 101\n"
    )
    result = office.cli("phone", "import", str(csv_file), "--json")

    assert result.returncode == 0, result.stderr
    assert macs(office) == ["805ec0000001", "805ec0000002"]
    second = office.cli("phone", "show", "805ec0000002", "--json").json()
    assert second["extensions"] == ["102", "101"]


def test_a_csv_import_with_wrong_rows_names_each_and_imports_nothing(office):
    text = (
        "mac,vendor,model,extension\n"
        "80:5e:c0:00:00:01,yealink,T54W,101\n"
        "not-a-mac,yealink,T54W,101\n"
        "80:5e:c0:00:00:03,yealink,T54W,555\n"
        "80:5e:c0:00:00:01,yealink,T54W,102\n"
    )
    result = office.cli("phone", "import", "-", "--json", stdin=text)

    assert result.returncode == 2
    assert "row 3" in result.stderr and 'mac "not-a-mac"' in result.stderr
    assert "row 4" in result.stderr and 'extension "555"' in result.stderr
    assert "row 5" in result.stderr and "also on row 2" in result.stderr
    assert "row 2:" not in result.stderr
    assert macs(office) == []


def test_adding_and_removing_phones_is_audited(office):
    office.add_phone("805ec0000001", "101")
    office.cli("phone", "remove", "805ec0000001")

    import sqlite3

    db = sqlite3.connect(office.data_dir / "db" / "edgepbx.sqlite")
    rows = db.execute(
        "SELECT actor, action FROM audit_log WHERE object_type = 'phone'"
        " AND object_id = '805ec0000001' ORDER BY id"
    ).fetchall()
    assert rows == [("console", "create"), ("console", "delete")]


def test_a_vendor_with_fewer_accounts_refuses_more_lines(office):
    for number in range(103, 108):
        office.add_extension(str(number))
    numbers = [str(number) for number in range(101, 108)]
    result = office.add_phone(
        "000b82000001", *numbers, vendor="grandstream", model="GXP2170"
    )

    assert result.returncode == 2
    assert "Grandstream GXP2170: at most 6 lines" in result.stderr


@pytest.mark.parametrize(
    ("model", "lines", "shown"),
    [
        ("GRP2612", 2, "GRP2612: at most 2 lines"),
        ("GRP2615P", 5, "GRP2615P: at most 5 lines"),
        ("GXP1610", 1, "GXP1610: at most 1 line"),
        ("GXV3480", 6, "GXV3480: at most 6 lines (the PBX writes 6 of its 16"),
    ],
)
def test_each_grandstream_model_takes_as_many_lines_as_it_has_accounts(
    office, model, lines, shown
):
    for number in range(103, 103 + lines):
        office.add_extension(str(number))
    numbers = [str(number) for number in range(101, 102 + lines)]

    refused = office.add_phone(
        "000b82000002", *numbers, vendor="grandstream", model=model
    )
    added = office.add_phone(
        "000b82000002", *numbers[:lines], vendor="grandstream", model=model
    )

    assert refused.returncode == 2
    assert f'extension "{" ".join(numbers)}": Grandstream {shown}' in refused.stderr
    assert added.returncode == 0
    shown_phone = office.cli("phone", "show", "000b82000002", "--json").json()
    assert shown_phone["extensions"] == numbers[:lines]


def test_poly_edge_e_and_grandstream_gxv_phones_are_added_and_get_their_files(office):
    poly = office.cli(
        "phone",
        "add",
        "64167faabbcc",
        "--vendor",
        "poly",
        "--model",
        "e350",
        "--extension",
        "101",
    )
    gxv = office.add_phone(
        "000b82aabbcc", "101", "102", vendor="grandstream", model="GXV3480"
    )
    master = office.cli("phone", "file", "64167faabbcc.cfg")
    phone_file = office.cli("phone", "file", "phone64167faabbcc.cfg")
    gxv_file = office.cli("phone", "file", "cfg000b82aabbcc.xml")

    assert poly.returncode == 0 and gxv.returncode == 0
    listed = {row["mac"]: row for row in office.cli("phone", "list", "--json").json()}
    assert (listed["64167faabbcc"]["vendor"], listed["64167faabbcc"]["model"]) == (
        "polycom",
        "E350",
    )
    assert listed["000b82aabbcc"]["model"] == "GXV3480"
    assert 'CONFIG_FILES="phone64167faabbcc.cfg, edgepbx-polycom.cfg"' in master.stdout
    assert 'reg.1.address="101"' in phone_file.stdout
    assert "<P35>101</P35>" in gxv_file.stdout and "<P404>102</P404>" in gxv_file.stdout
    # A GXV has no multi-purpose keys to write, and refuses them by name.
    keys = office.cli("phone", "keys", "000b82aabbcc", "--key", "blf:102")
    assert keys.returncode == 2
    assert "Grandstream GXV3480: no programmable keys the PBX can write" in keys.stderr
    assert office.cli("phone", "keys", "000b82aabbcc", "--json").json() == []
