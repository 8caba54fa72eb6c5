"""``edgepbx extension …``: what an administrator sees at the command line."""

from __future__ import annotations

import subprocess
import sys
import unicodedata

import pytest

from tests.sipraw import SipClient
from tests.test_media import assert_no_worker_died


def extension_numbers(pbx) -> list[str]:
    return [row["number"] for row in pbx.cli("extension", "list", "--json").json()]


def test_added_extension_is_listed_and_shown_with_a_generated_password(pbx_data):
    added = pbx_data.cli(
        "extension",
        "add",
        "101",
        "--name",
        "Front desk",
        "--email",
        "desk@example.com",
        "--json",
    )
    shown = pbx_data.cli("extension", "show", "101", "--json").json()

    assert added.returncode == 0
    password = added.json()["password"]
    assert len(password) >= 12
    assert shown["display_name"] == "Front desk"
    assert shown["email"] == "desk@example.com"
    assert "password" not in shown and "ha1" not in shown
    assert extension_numbers(pbx_data) == ["101"]


def test_the_sip_password_is_not_stored_in_clear(pbx_data):
    password = pbx_data.add_extension("101")
    db_dir = pbx_data.data_dir / "db"
    stored = b"".join(p.read_bytes() for p in db_dir.iterdir() if p.is_file())
    assert password.encode() not in stored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1O1", "--name", "A"], 'extension "1O1": digits only, 2 to 6 of them'),
        (["1", "--name", "A"], 'extension "1": digits only, 2 to 6 of them'),
        (["1234567", "--name", "A"], "digits only, 2 to 6 of them"),
        (["0101", "--name", "A"], 'extension "0101": must not start with 0'),
        (["103", "--name", ""], "name: must not be empty"),
        (["103", "--name", "Bob\u202egnp.exe"], "invisible characters"),
        (["103", "--name", 'A "quoted" name'], "no double quotes"),
        (["103", "--name", "A", "--email", "not-an-address"], 'email "not-an-address"'),
        (["103", "--name", "A", "--password", "short1A"], "password: 12 to 64"),
        (["103", "--name", "A", "--password", "alllowercaseletters"], "password: "),
        (["103", "--name", "A", "--password", "Abcdefgh103xyz"], "extension number"),
    ],
)
def test_bad_input_names_the_field_and_rule_and_writes_nothing(pbx_data, args, message):
    pbx_data.add_extension("101")
    result = pbx_data.cli("extension", "add", *args)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert extension_numbers(pbx_data) == ["101"]


def test_a_weak_password_is_never_echoed_in_the_error(pbx_data):
    result = pbx_data.cli(
        "extension", "add", "103", "--name", "A", "--password", "hunter2"
    )
    assert result.returncode == 2
    assert "hunter2" not in result.stderr + result.stdout


def test_duplicate_and_unknown_extensions_each_get_their_own_message(pbx_data):
    pbx_data.add_extension("101")
    duplicate = pbx_data.cli("extension", "add", "101", "--name", "Again")
    unknown_show = pbx_data.cli("extension", "show", "555")
    unknown_remove = pbx_data.cli("extension", "remove", "555", "--json")

    assert (duplicate.returncode, unknown_show.returncode) == (2, 2)
    assert 'extension "101": already exists' in duplicate.stderr
    assert 'extension "555": no such extension' in unknown_show.stderr
    assert unknown_remove.returncode == 2
    assert unknown_remove.json()["error"]["type"] == "not-found"
    assert pbx_data.cli("extension", "show", "101", "--json").json()["display_name"]


def test_removed_extension_is_gone(pbx_data):
    pbx_data.add_extension("101")
    pbx_data.add_extension("102")
    assert pbx_data.cli("extension", "remove", "101").returncode == 0
    assert extension_numbers(pbx_data) == ["102"]


def test_extensions_are_listed_in_numeric_order(pbx_data):
    for number in ("1000", "20", "300"):
        pbx_data.add_extension(number)
    assert extension_numbers(pbx_data) == ["20", "300", "1000"]


def test_new_password_works_and_the_old_one_stops_working(pbx):
    old = pbx.add_extension("101")
    changed = pbx.cli(
        "extension",
        "set-password",
        "101",
        "--password-stdin",
        stdin="Fresh-Pass-2026\n",
    )
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        with_old = client.register("101", old)
        with_new = client.register("101", "Fresh-Pass-2026")

    assert changed.returncode == 0
    assert (with_old.status, with_new.status) == (401, 200)


def test_show_lists_the_registered_phone_with_its_source_and_user_agent(pbx):
    password = pbx.add_extension("101")
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        reply = client.register("101", password, expires=600)
        port = client.local_port
    shown = pbx.cli("extension", "show", "101", "--json").json()

    assert reply.status == 200
    [registration] = shown["registrations"]
    assert registration["contact"] == f"sip:101@127.0.0.1:{port}"
    assert registration["source"] == f"udp 127.0.0.1:{port}"
    assert registration["user_agent"] == "edgepbx-test"
    assert 590 <= registration["expires_in_s"] <= 600


def test_a_removed_and_re_added_number_does_not_ring_the_old_owners_phone(pbx):
    caller_password = pbx.add_extension("101")
    old_password = pbx.add_extension("104")
    with SipClient("127.0.0.1", pbx.sip_port) as old_phone:
        assert old_phone.register("104", old_password).status == 200
        assert pbx.cli("extension", "remove", "104").returncode == 0
        pbx.add_extension("104", "New owner")

        with SipClient("127.0.0.1", pbx.sip_port) as caller:
            reply = caller.invite("104", "101", caller_password)
    assert reply.status == 480
    assert pbx.cli("extension", "show", "104", "--json").json()["registrations"] == []
    # The media service refused the call for the mailbox 104 does not have,
    # and lives on (a refusal sent too early once aborted it).
    assert_no_worker_died(pbx)


def test_a_password_change_signs_out_the_phones_of_the_extension(pbx):
    password = pbx.add_extension("101")
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        assert phone.register("101", password).status == 200
    assert pbx.cli("extension", "set-password", "101").returncode == 0
    assert pbx.cli("extension", "show", "101", "--json").json()["registrations"] == []


def test_registrations_of_an_extension_removed_while_the_pbx_was_down_are_dropped(
    pbx,
):
    password = pbx.add_extension("101")
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        assert phone.register("101", password).status == 200
    pbx.stop()
    assert pbx.cli("extension", "remove", "101").returncode == 0
    pbx.add_extension("101")
    pbx.start()
    assert pbx.cli("extension", "show", "101", "--json").json()["registrations"] == []


def test_an_argument_that_is_not_utf8_is_refused_without_a_traceback(pbx_data):
    result = pbx_data.cli("extension", "add", "180", "--name", "Bad\udcffName")

    assert result.returncode == 2
    assert "argument 5: not valid UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr
    assert pbx_data.cli("extension", "show", "180").returncode == 2


def test_an_unknown_option_is_named_with_its_own_commands_usage(pbx_data):
    result = pbx_data.cli(
        "extension", "add", "101", "--name", "Alice", "--colour", "red"
    )

    assert result.returncode == 2
    assert "usage: edgepbx extension add" in result.stderr
    assert "unrecognized arguments: --colour red" in result.stderr
    assert pbx_data.cli("extension", "list", "--json").json() == []


@pytest.mark.parametrize(
    "command",
    [
        ("extension", "dnd", "101"),
        ("extension", "call-waiting", "101"),
        ("greeting", "set", "101"),
        ("mail", "template", "show"),
    ],
)
def test_a_missing_choice_is_named_as_the_usage_line_names_it(pbx_data, command):
    result = pbx_data.cli(*command)

    assert result.returncode == 2
    *usage, error = result.stderr.strip().splitlines()
    missing = error.split("the following arguments are required: ")[1]
    named = missing.split(", ")[0]
    assert named in " ".join(usage).split(), result.stderr


def cells(text: str) -> int:
    """Terminal cells text takes, counted independently of the CLI's code."""
    return sum(
        0
        if unicodedata.combining(c)
        else 2
        if unicodedata.east_asian_width(c) == "W"
        else 1
        for c in text
    )


def test_the_list_keeps_its_columns_with_wide_and_combining_names(pbx_data):
    # Two cells a character (CJK), and a name with a combining accent.
    pbx_data.add_extension("101", "山田太郎")
    pbx_data.add_extension("102", "Zoe\u0301 Adams")
    pbx_data.add_extension("103", "Bob")

    lines = pbx_data.cli("extension", "list").stdout.splitlines()

    # The e-mail column ("-": none given) starts in the same cell on each
    # line: after the number (6), two spaces, the name (32) and two spaces.
    assert len(lines) == 3
    assert {cells(line[: line.rindex("-")]) for line in lines} == {6 + 2 + 32 + 2}


def test_an_extension_still_used_by_a_menu_or_group_is_not_removed(pbx_data):
    pbx_data.add_extension("101")
    pbx_data.add_extension("102")
    assert pbx_data.cli(
        "ivr", "set", "600", "--name", "Main", "--prompt", "dir-welcome",
        "--choice", "1=extension:101",
    ).returncode == 0  # fmt: skip
    assert pbx_data.cli(
        "ringgroup", "add", "610", "--name", "Sales", "--member", "101",
    ).returncode == 0  # fmt: skip
    assert pbx_data.cli(
        "paging", "add", "620", "--name", "Shop", "--members", "101",
    ).returncode == 0  # fmt: skip
    assert pbx_data.cli(
        "queue", "add", "630", "--name", "Desk", "--agents", "101",
        "--failover", "extension:101",
    ).returncode == 0  # fmt: skip

    refused = pbx_data.cli("extension", "remove", "101")
    removed = pbx_data.cli("extension", "remove", "102")

    assert refused.returncode == 2
    assert (
        "still used by IVR 600 (key 1), ring group 610, page group 620, "
        "queue 630 (agent), queue 630 (failover)"
    ) in refused.stderr
    assert removed.returncode == 0, removed.stderr
    assert extension_numbers(pbx_data) == ["101"]


def test_an_e_mail_address_in_another_case_is_still_anothers(pbx_data, tmp_path):
    pbx_data.cli(
        "extension", "add", "206", "--name", "Ana", "--email", "ana@example.com"
    )
    taken = pbx_data.cli(
        "extension", "add", "160", "--name", "Lab", "--email", "ANA@example.com"
    )
    both = tmp_path / "both.csv"
    both.write_text(
        "number,display_name,email\n161,A,bo@example.com\n162,B,Bo@Example.com\n"
    )
    imported = pbx_data.cli("extension", "import", str(both), "--json")

    assert taken.returncode == 2
    assert 'email "ANA@example.com": already extension 206\'s address' in taken.stderr
    assert imported.returncode == 2
    assert "twice in the file" in imported.stdout + imported.stderr
    assert extension_numbers(pbx_data) == ["206"]


def test_help_names_every_command_as_its_module_declares_it(pbx_data):
    from agent.cli import main

    declared = main.build_parser()._subparsers._group_actions[0]
    listed = pbx_data.cli("--help")
    unknown = pbx_data.cli("no-such-command")

    assert [(a.dest, a.help) for a in declared._choices_actions] == [
        (name, help) for name, help, _ in main.COMMANDS
    ]
    assert listed.returncode == 0
    assert listed.stdout == main.build_parser().format_help()
    assert unknown.returncode == 2
    assert "invalid choice: 'no-such-command'" in unknown.stderr
    assert "'feature-codes', 'recording', 'monitor'" in unknown.stderr


def test_a_command_imports_its_own_module_and_not_the_others(pbx_data):
    shown = pbx_data.cli("queue", "--help")
    probe = (
        "import sys\n"
        "from agent.cli import main\n"
        "main.build_parser({'status'})\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    modules = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()

    assert shown.returncode == 0
    assert "usage: edgepbx queue [-h] ACTION" in shown.stdout
    assert "list      list queues" in shown.stdout
    for heavy in ("agent.cli.queue", "agent.cli.trunks", "pjsua2", "jinja2"):
        assert heavy not in modules


def test_a_csv_that_is_not_utf8_is_refused_naming_the_line_and_byte(pbx_data, tmp_path):
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(b"number,display_name\n101,Ana\n102,Jos\xe9\n")
    imported = pbx_data.cli("extension", "import", str(latin))

    assert imported.returncode == 2
    assert "not UTF-8 text (line 3: byte 0xe9)" in imported.stderr
    assert "codec can't decode" not in imported.stderr
    assert extension_numbers(pbx_data) == []


def test_a_value_with_a_newline_is_quoted_on_one_line_under_the_argument_s_name(
    pbx_data,
):
    refused = pbx_data.cli("extension", "add", "150\n", "--name", "Lab")

    assert refused.returncode == 2
    assert refused.stderr.splitlines()[-1] == (
        'edgepbx: extension "150\\n": digits only, 2 to 6 of them'
    )


def test_a_csv_without_a_header_row_is_refused_saying_one_is_needed(pbx_data, tmp_path):
    bare = tmp_path / "bare.csv"
    bare.write_text("140,Bob\n141,Ann\n")

    imported = pbx_data.cli("extension", "import", str(bare))

    assert imported.returncode == 2
    assert "needs a header row first, naming columns of number,display_name" in (
        imported.stderr
    )
    assert "not a column here" not in imported.stderr
    assert extension_numbers(pbx_data) == []
