"""The recovery console, driven as a person would over a serial line or SSH."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from agent.accounts.service import AccountService
from agent.appliance import Appliance
from agent.settings import Settings
from tests import netns_lan
from tests.console_line import SerialLine
from tests.netns_lan import LAN_PORT, ROUTER, ROUTER_OTHER, START_ADDRESS
from tests.pbx import EDGEPBX, RunningPbx

SHELL_PASSWORD = "correct horse battery"


@pytest.fixture
def lan():
    net = netns_lan.lan_or_skip()
    yield net
    net.delete()


def _settings(pbx: RunningPbx) -> Settings:
    return Settings(
        data_dir=pbx.data_dir,
        bind=pbx.bind,
        sip_port=pbx.sip_port,
        http_port=pbx.http_port,
        https_port=pbx.https_port,
        tftp_port=pbx.tftp_port,
    )


def _appliance_with_admin(pbx: RunningPbx) -> None:
    app = Appliance.open(_settings(pbx))
    try:
        AccountService(app.key).ensure_first_admin()
    finally:
        app.close()


@pytest.fixture
def pbx(tmp_path, lan):
    root = tmp_path / "root"
    root.mkdir()
    marks = tmp_path / "marks"
    marks.mkdir()
    appliance = RunningPbx(
        tmp_path / "var",
        netns=lan.appliance,
        extra_env={
            "EDGEPBX_SYSTEM_ROOT": str(root),
            "EDGEPBX_FIREWALL": "1",
            "EDGEPBX_REBOOT_COMMAND": f"touch {marks}/rebooted",
            "EDGEPBX_POWEROFF_COMMAND": f"touch {marks}/powered-off",
        },
    )
    _appliance_with_admin(appliance)
    appliance.marks = marks  # type: ignore[attr-defined]
    return appliance


@pytest.fixture
def line(pbx):
    serial = SerialLine().start([*pbx.prefix, *EDGEPBX, "console"], pbx.env)
    yield serial
    serial.close()


def _menu_stdin(pbx: RunningPbx, *lines: str) -> subprocess.CompletedProcess:
    """The console as the SSH forced command sees it: lines on standard input."""
    return subprocess.run(
        [*pbx.prefix, *EDGEPBX, "console"],
        input="".join(f"{line}\n" for line in lines),
        env=pbx.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serial_console_sets_a_static_address_and_resets_the_admin_password(
    pbx, lan, line
):
    line.choose("2")
    line.expect(r"interface \[lan0\]: ")
    line.type("")
    line.expect(r"dhcp or static \[dhcp\]: ")
    line.type("static")
    line.expect(r"address/prefix: ")
    line.type("203.0.113.10/24")
    line.expect(r"gateway \(- for none\) \[-\]: ")
    line.type(ROUTER_OTHER)
    line.expect(r"name servers .*: ")
    line.type("203.0.113.53")
    line.expect(r"applied; undone in \d+ s unless kept")
    assert lan.addresses() == ["203.0.113.10/24"]
    line.expect(r"keep these settings \(yes/no\) \[no\]: ")
    line.type("yes")
    line.expect("network settings kept")
    assert lan.default_gateway() == ROUTER_OTHER

    line.choose("3")
    line.expect(r"reset the web admin password .*\(yes/no\) \[no\]: ")
    line.type("yes")
    password = line.expect(r"one-time password: (\S+)").group(1)

    app = Appliance.open(_settings(pbx))
    try:
        session = AccountService(app.key).sign_in("admin", password, "127.0.0.1")
        assert session.must_change_password
    finally:
        app.close()
    stored = json.loads((pbx.data_dir / "network" / "settings.json").read_text())
    assert stored["address"] == "203.0.113.10/24"
    assert stored["dns"] == ["203.0.113.53"]


def test_serial_console_undoes_network_settings_not_kept(pbx, lan, line):
    line.choose("2")
    for prompt, answer in [
        (r"interface \[lan0\]: ", ""),
        (r"dhcp or static \[dhcp\]: ", "static"),
        (r"address/prefix: ", "203.0.113.10/24"),
        (r"gateway .*: ", ROUTER_OTHER),
        (r"name servers .*: ", "-"),
        (r"keep these settings \(yes/no\) \[no\]: ", "no"),
    ]:
        line.expect(prompt)
        line.type(answer)
    line.expect("previous network settings back")
    assert lan.addresses() == [START_ADDRESS]
    assert lan.default_gateway() == ROUTER


def test_console_with_a_corrupt_database_still_opens_the_firewall(pbx, lan, line):
    (pbx.data_dir / "db" / "edgepbx.sqlite").write_bytes(b"not a database " * 512)
    for stale in (pbx.data_dir / "db").glob("edgepbx.sqlite-*"):
        stale.unlink()
    line.close()
    serial = SerialLine().start([*pbx.prefix, *EDGEPBX, "console"], pbx.env)
    try:
        serial.expect("the database cannot be opened")
        serial.choose("1")
        serial.expect(r"database +unusable")
        serial.expect(rf"{LAN_PORT} +up +{START_ADDRESS}")

        serial.choose("3")
        serial.expect(r"refused: the database cannot be opened .*restore a backup")

        serial.choose("4")
        serial.expect("firewall reset: every service open")
        serial.choose("q")
        assert serial.process.wait(timeout=10) == 0
    finally:
        serial.close()
    table = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            lan.appliance,
            "nft",
            "list",
            "table",
            "inet",
            "edgepbx",
        ],
        capture_output=True,
        text=True,
    )
    assert table.returncode == 0, table.stderr
    assert f"tcp dport {pbx.https_port} accept" in table.stdout
    audit = (pbx.data_dir / "logs" / "audit-offline.jsonl").read_text()
    assert '"action": "reset"' in audit


def test_shell_opens_only_with_its_password(pbx, line):
    refused = pbx.cli("console", "--set-shell-password", stdin="short\n")
    assert refused.returncode == 2
    assert "at least 12 characters" in refused.stderr
    made = pbx.cli("console", "--set-shell-password", stdin=f"{SHELL_PASSWORD}\n")
    assert made.returncode == 0, made.stderr

    line.choose("9")
    line.expect(r"shell password: ")
    line.type("wrong password!!")
    line.expect("refused: the password is not right")
    assert "wrong password" not in line.seen

    line.choose("9")
    line.expect(r"shell password: ")
    line.type(SHELL_PASSWORD)
    line.expect("exit returns to this menu")
    line.expect(r"[#$] ")  # the shell's prompt
    line.type("echo shell-$((6*7)); exit")
    line.expect("shell-42")
    line.choose("q")
    assert line.process.wait(timeout=10) == 0


def test_ping_capture_and_logs_over_standard_input(pbx, lan):
    (pbx.data_dir / "logs").mkdir(exist_ok=True)
    (pbx.data_dir / "logs" / "agent.log").write_text(
        "".join(f"line {n}\n" for n in range(100))
    )
    # Traffic to capture: the router pings the appliance, a bounded number of
    # times (20 s at most), for as long as the menu runs: the capture comes
    # after a ping of its own, later or sooner as the machine is busy.
    pinger = subprocess.Popen(
        ["ip", "netns", "exec", lan.router, "ping", "-c", "100", "-i", "0.2",
         START_ADDRESS.split("/")[0]],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        result = _menu_stdin(
            pbx,
            "6", ROUTER,
            "6", "-f",
            "8", LAN_PORT, "3", "5",
            "7", "1",
            "q",
        )  # fmt: skip
    finally:
        pinger.terminate()
        pinger.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "3 packets transmitted, 3 received" in out
    assert "answered" in out
    assert 'refused: host "-f": a host name or an address' in out
    assert "5 packets captured" in out
    captures = list((pbx.data_dir / "captures").glob("*.pcap"))
    assert len(captures) == 1
    assert captures[0].read_bytes()[:4] in {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"}
    assert "line 99" in out and "line 59" not in out


def test_factory_reset_asks_twice_then_erases_the_data_and_reboots(pbx):
    hostname = subprocess.run(["hostname"], capture_output=True, text=True).stdout
    kept = _menu_stdin(pbx, "12", "ERASE", "not-this-host", "q")
    assert "nothing erased" in kept.stdout
    assert (pbx.data_dir / "db" / "edgepbx.sqlite").exists()
    assert not (pbx.marks / "rebooted").exists()

    erased = _menu_stdin(pbx, "12", "ERASE", hostname.strip())
    assert erased.returncode == 0, erased.stderr
    assert "rebooting" in erased.stdout
    assert list(pbx.data_dir.iterdir()) == []
    assert (pbx.marks / "rebooted").exists()


def test_the_admin_password_reset_asks_first_and_is_audited_as_where_it_came_from(
    pbx,
):
    declined = _menu_stdin(pbx, "3", "no", "q")
    by_console = _menu_stdin(pbx, "3", "yes", "q")
    by_shell = pbx.cli("admin", "reset-password")

    assert declined.returncode == by_console.returncode == by_shell.returncode == 0
    assert "password kept" in declined.stdout
    assert "one-time password" not in declined.stdout
    assert "one-time password: " in by_console.stdout
    assert "account admin: password reset by console" in by_console.stderr
    assert "account admin: password reset by command line" in by_shell.stderr
    db = sqlite3.connect(pbx.data_dir / "db" / "edgepbx.sqlite")
    try:
        actors = db.execute(
            "SELECT actor FROM audit_log WHERE action = 'reset-password' "
            "AND object_id = 'admin' ORDER BY id"
        ).fetchall()
    finally:
        db.close()
    assert actors == [("console",), ("command line",)]


def test_reboot_and_power_off_run_the_configured_commands_once_confirmed(pbx):
    declined = _menu_stdin(pbx, "10", "no", "q")
    assert declined.returncode == 0
    assert not (pbx.marks / "rebooted").exists()
    done = _menu_stdin(pbx, "10", "yes", "11", "yes", "q")
    assert done.returncode == 0, done.stderr
    assert (pbx.marks / "rebooted").exists()
    assert (pbx.marks / "powered-off").exists()


def test_status_as_json_names_the_database_state(pbx):
    report = pbx.cli("console", "--status", "--json")
    assert report.returncode == 0, report.stderr
    values = json.loads(report.stdout)
    assert values["database"] == "ok"
    assert any(START_ADDRESS in i["addresses"] for i in values["interfaces"])


def test_status_in_plain_text_reads_as_the_status_screen_addresses_and_all(pbx):
    printed = pbx.cli("console", "--status")
    screen = _menu_stdin(pbx, "1", "q")

    assert printed.returncode == screen.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[0].startswith("host name    ")
    assert f"{LAN_PORT:<12} up    {START_ADDRESS}" in lines
    assert f"web admin    not answering, https://{pbx.bind}:{pbx.https_port}/" in lines
    assert "web_admin_url" not in printed.stdout
    assert [line for line in lines if line not in screen.stdout] == []


def test_status_gives_the_web_admin_url_where_the_agent_listens_alone(pbx):
    # The agent's record says where it listens; an SSH session sets no
    # variable of its own, and the LAN address is not the agent's.
    _settings(pbx).record_listening()
    bare = {
        k: v
        for k, v in pbx.env.items()
        if k not in {"EDGEPBX_BIND", "EDGEPBX_HTTPS_PORT"}
    }
    done = subprocess.run(
        [*pbx.prefix, *EDGEPBX, "console"],
        input="1\nq\n",
        env=bare,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    url = f"https://127.0.0.1:{pbx.https_port}/"
    assert f"web admin    not answering, {url}" in done.stdout
    assert f"{LAN_PORT:<12} up    {START_ADDRESS}" in done.stdout
    assert done.stdout.count("https://") == 1


def test_on_a_first_boot_the_console_says_it_is_setting_up_then_works(tmp_path, lan):
    appliance = RunningPbx(tmp_path / "var", netns=lan.appliance)
    serial = SerialLine().start([*appliance.prefix, *EDGEPBX, "console"], appliance.env)
    try:
        serial.expect("the appliance is still setting up; the menu works")
        serial.choose("1")
        serial.expect(r"database\s+not made yet: the appliance is still setting up")
        serial.choose("3")
        serial.expect(r"refused: the appliance is still setting up")
        _appliance_with_admin(appliance)  # the agent's first start, meanwhile
        serial.choose("3")
        serial.expect(r"\(yes/no\) \[no\]: ")
        serial.type("yes")
        serial.expect(r"one-time password: \S+")
        serial.type("")
        serial.expect(r"choose: ")
    finally:
        serial.close()

    assert "cannot be opened" not in serial.everything
    after_setup = serial.everything.split("one-time password")[1]
    assert "setting up" not in after_setup


def test_a_serial_port_that_cannot_be_opened_is_refused_naming_the_option(
    pbx, tmp_path
):
    missing = tmp_path / "ttyUSB9"

    refused = pbx.cli("console", "--serial", str(missing), "--json")

    assert refused.returncode == 2
    error = json.loads(refused.stdout)["error"]
    assert error["field"] == "--serial"
    assert error["message"].endswith("cannot be opened (No such file or directory)")
