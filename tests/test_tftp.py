"""``edgepbx provisioning``: phones fetch their files over TFTP.

Debian's TFTP clients do the fetching: tftp-hpa's ``tftp`` (plain RFC 1350)
and ``atftp`` (which asks for blksize, windowsize and tsize). What no client
would send (a write, a stray transfer ID, a silent receiver) is sent by hand.
"""

from __future__ import annotations

import socket
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from agent.settings import Settings
from provisioning_server.packets import (
    Ack,
    Data,
    Error,
    ErrorCode,
    Opcode,
    OptionAck,
    Request,
)
from provisioning_server.supervision import tftp_answering
from tests.pbx import EDGEPBX
from tests.test_provisioning_files import parse_yealink

MAC = "805ec0aabbcc"
CLIENT_TIMEOUT_S = 30
START_TIMEOUT_S = 20


@pytest.fixture(scope="module")
def tftp(tmp_path_factory):
    """A provisioning server with phone 805ec0aabbcc on extensions 101, 102."""
    from tests.pbx import RunningPbx

    pbx = RunningPbx(tmp_path_factory.mktemp("tftp") / "var")
    pbx.add_extension("101", "Front desk")
    pbx.add_extension("102", "Office")
    added = pbx.add_phone(MAC, "101", "102")
    assert added.returncode == 0, added.stderr
    log_path = pbx.data_dir / "provisioning.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [*EDGEPBX, "provisioning"],
            env=pbx.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    settings = Settings(
        data_dir=pbx.data_dir,
        bind="127.0.0.1",
        sip_port=pbx.sip_port,
        http_port=pbx.http_port,
        https_port=pbx.https_port,
        tftp_port=pbx.tftp_port,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while not tftp_answering(settings):
        assert server.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, "TFTP server did not answer"
        time.sleep(0.2)
    pbx.server_log = log_path
    yield pbx
    server.terminate()
    server.wait(10)


def tftp_hpa(pbx, remote: str, local, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            "tftp",
            "127.0.0.1",
            str(pbx.tftp_port),
            *extra,
            "-c",
            "get",
            remote,
            str(local),
        ],
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT_S,
    )


def atftp(pbx, remote: str, local, *options: str) -> subprocess.CompletedProcess:
    args = []
    for option in options:
        args += ["--option", option]
    return subprocess.run(
        [
            "atftp",
            *args,
            "-g",
            "-r",
            remote,
            "-l",
            str(local),
            "127.0.0.1",
            str(pbx.tftp_port),
        ],
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT_S,
    )


def test_a_phone_fetches_its_mac_file_with_its_sip_credentials(tftp, tmp_path):
    local = tmp_path / f"{MAC}.cfg"
    result = tftp_hpa(tftp, f"{MAC}.cfg", local)
    password = tftp.cli("phone", "show", MAC, "--admin-password", "--json")

    assert result.returncode == 0, result.stderr
    values = parse_yealink(local.read_bytes())
    assert values["account.1.user_name"] == "101"
    assert values["account.2.user_name"] == "102"
    assert values["account.1.sip_server.1.port"] == str(tftp.sip_port)
    assert values["static.security.user_password"] == (
        "admin:" + password.json()["admin_password"]
    )
    shown = tftp.cli("phone", "show", MAC, "--json").json()
    assert shown["last_request_file"] == f"{MAC}.cfg"
    assert shown["last_request_ip"] == "127.0.0.1"


def test_the_common_file_is_served_to_any_yealink_model(tftp, tmp_path):
    first = tftp_hpa(tftp, "y000000000000.cfg", tmp_path / "a.cfg")
    second = tftp_hpa(tftp, "y000000000044.cfg", tmp_path / "b.cfg")

    assert first.returncode == 0 and second.returncode == 0
    assert (tmp_path / "a.cfg").read_bytes() == (tmp_path / "b.cfg").read_bytes()
    assert "local_time.ntp_server1" in parse_yealink((tmp_path / "a.cfg").read_bytes())


@pytest.mark.parametrize(
    "options",
    [
        ("blksize 1428", "tsize 0"),
        ("blksize 16", "windowsize 8"),
        ("blksize 8", "windowsize 3", "timeout 2"),
        ("blksize 70000",),  # more than RFC 2348 allows: answered with less
    ],
)
def test_negotiated_options_give_the_same_file(tftp, tmp_path, options):
    plain = tftp_hpa(tftp, f"{MAC}.cfg", tmp_path / "plain.cfg")
    negotiated = atftp(tftp, f"{MAC}.cfg", tmp_path / "options.cfg", *options)

    assert plain.returncode == 0 and negotiated.returncode == 0, negotiated.stderr
    assert (tmp_path / "options.cfg").read_bytes() == (
        tmp_path / "plain.cfg"
    ).read_bytes()


def test_netascii_mode_arrives_as_the_same_text(tftp, tmp_path):
    octet = tftp_hpa(tftp, f"{MAC}.cfg", tmp_path / "octet.cfg", "-m", "octet")
    text = tftp_hpa(tftp, f"{MAC}.cfg", tmp_path / "text.cfg", "-m", "netascii")

    assert octet.returncode == 0 and text.returncode == 0
    assert (tmp_path / "text.cfg").read_bytes() == (tmp_path / "octet.cfg").read_bytes()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("001122334455.cfg", "Error code 1: File not found"),  # unknown MAC
        ("805ec0aabbcd.cfg", "Error code 1: File not found"),
        (f"cfg{MAC}.xml", "Error code 1: File not found"),  # other vendor's name
        ("index.html", "Error code 1: File not found"),
        ("../../etc/passwd", "Error code 2: Access violation"),
        ("/etc/passwd", "Error code 2: Access violation"),
        ("sub/" + MAC + ".cfg", "Error code 2: Access violation"),
        ("y" + "0" * 80 + ".cfg", "Error code 2: Access violation"),
    ],
)
def test_every_miss_gets_the_same_error_and_paths_never_leave_the_tree(
    tftp, tmp_path, name, message
):
    result = tftp_hpa(tftp, name, tmp_path / "x")

    assert message in result.stdout + result.stderr


def test_misses_are_reported_as_security_events(tftp, tmp_path):
    tftp_hpa(tftp, "00aabbccddee.cfg", tmp_path / "x")
    tftp_hpa(tftp, "../secret", tmp_path / "y")

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = tftp.server_log.read_text()
        if '"00aabbccddee.cfg"' in log and '"../secret"' in log:
            break
        time.sleep(0.1)
    assert 'provisioning-file-missing from 127.0.0.1, subject "00aabbccddee.cfg"' in log
    assert 'provisioning-name-refused from 127.0.0.1, subject "../secret"' in log


# -- by hand: what a real client would not send -----------------------------------


def exchange(sock: socket.socket, packet: bytes, port: int) -> tuple[bytes, tuple]:
    sock.sendto(packet, ("127.0.0.1", port))
    return sock.recvfrom(65536)


@pytest.fixture
def udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10)
        yield sock


def test_a_write_request_is_refused_with_an_error(tftp, udp):
    reply, _ = exchange(
        udp, bytes(Request(Opcode.WRQ, "x.cfg", "octet")), tftp.tftp_port
    )
    assert Error.parse(reply).code == ErrorCode.ACCESS_VIOLATION


def test_a_request_without_its_terminating_nul_is_an_illegal_operation(tftp, udp):
    raw = bytes(Request(Opcode.RRQ, f"{MAC}.cfg", "octet"))[:-1]
    reply, _ = exchange(udp, raw, tftp.tftp_port)
    assert Error.parse(reply).code == ErrorCode.ILLEGAL_OPERATION


def test_each_transfer_has_its_own_port_and_strangers_get_unknown_tid(tftp, udp):
    request = Request(Opcode.RRQ, f"{MAC}.cfg", "octet", {"blksize": "64"})
    reply, transfer = exchange(udp, bytes(request), tftp.tftp_port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        stranger.settimeout(10)
        stranger.sendto(bytes(Ack(0)), transfer)
        refused, _ = stranger.recvfrom(65536)

    assert transfer[1] != tftp.tftp_port
    assert OptionAck.parse(reply).options == {"blksize": "64"}
    assert Error.parse(refused).code == ErrorCode.UNKNOWN_TID
    # The stranger did not disturb the phone's transfer.
    data, _ = exchange(udp, bytes(Ack(0)), transfer[1])
    assert Data.parse(data).block == 1 and len(Data.parse(data).payload) == 64


def test_a_lost_ack_makes_the_server_send_the_block_again(tftp, udp):
    request = Request(Opcode.RRQ, f"{MAC}.cfg", "octet", {"timeout": "1"})
    oack, transfer = exchange(udp, bytes(request), tftp.tftp_port)
    udp.sendto(bytes(Ack(0)), transfer)
    first, _ = udp.recvfrom(65536)
    # No ACK: after the negotiated timeout the same block comes again.
    again, _ = udp.recvfrom(65536)

    assert OptionAck.parse(oack).options == {"timeout": "1"}
    assert Data.parse(first) == Data.parse(again)
    assert Data.parse(again).block == 1


def test_each_vendor_gets_its_own_file_names_and_no_other(tftp, tmp_path):
    tftp.add_phone("000b82aabbcc", "101", vendor="grandstream", model="GXP2170")
    tftp.add_phone("000413aabbcc", "102", vendor="snom", model="D785")
    grandstream = tftp_hpa(tftp, "cfg000b82aabbcc.xml", tmp_path / "gs.xml")
    snom = tftp_hpa(tftp, "snomD785-000413AABBCC.htm", tmp_path / "snom.htm")
    wrong = tftp_hpa(tftp, "000b82aabbcc.cfg", tmp_path / "wrong.cfg")

    assert grandstream.returncode == 0 and snom.returncode == 0
    gs_root = ET.fromstring((tmp_path / "gs.xml").read_bytes())
    assert gs_root.findtext("config/P35") == "101"
    snom_root = ET.fromstring((tmp_path / "snom.htm").read_bytes())
    assert snom_root.findtext("phone-settings/user_name") == "102"
    assert "Error code 1: File not found" in wrong.stdout + wrong.stderr


def test_a_known_phone_asking_for_a_file_not_served_is_no_security_event(
    tftp, tmp_path
):
    tftp.add_phone("000b82ddeeff", "101", vendor="grandstream", model="GXP2170")
    # Grandstream phones ask for the binary format first.
    binary = tftp_hpa(tftp, "cfg000b82ddeeff", tmp_path / "binary")
    walked = tftp_hpa(tftp, "cfg000b82ddee00", tmp_path / "walked")

    assert "Error code 1: File not found" in binary.stdout + binary.stderr
    assert "Error code 1: File not found" in walked.stdout + walked.stderr
    deadline = time.monotonic() + 5
    while '"cfg000b82ddee00"' not in tftp.server_log.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    log = tftp.server_log.read_text()
    assert 'subject "cfg000b82ddee00"' in log
    assert 'subject "cfg000b82ddeeff"' not in log
    assert '"cfg000b82ddeeff" from 127.0.0.1 not served' in log


def test_a_poly_phone_follows_its_master_file_and_a_yealink_name_clash_is_sorted(
    tftp, tmp_path
):
    tftp.add_phone("64167f010203", "102", vendor="polycom", model="VVX450")
    master = tftp_hpa(tftp, "64167f010203.cfg", tmp_path / "master.cfg")
    root = ET.fromstring((tmp_path / "master.cfg").read_bytes())
    names = [name.strip() for name in root.get("CONFIG_FILES").split(",")]
    fetched = [tftp_hpa(tftp, name, tmp_path / name) for name in names]
    yealink = tftp_hpa(tftp, f"{MAC}.cfg", tmp_path / "yealink.cfg")

    assert master.returncode == 0
    assert all(result.returncode == 0 for result in fetched)
    phone = ET.fromstring((tmp_path / names[0]).read_bytes())
    assert phone.get("reg.1.auth.userId") == "102"
    # The same <mac>.cfg pattern still gives the Yealink phone its own file.
    assert yealink.returncode == 0
    values = parse_yealink((tmp_path / "yealink.cfg").read_bytes())
    assert values["account.1.user_name"] == "101"
