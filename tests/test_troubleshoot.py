"""Troubleshooting: a real tcpdump capture, its SIP flows, ping, logs, roles.

A capture taken while a real pjsua2 phone registers with the real Kamailio
holds the REGISTER, the challenge and the 200, which the API and the page
show in order; a capture of SIP over TCP on ::1 through ``-i any`` (Linux
cooked headers) is read back message by message; ping reaches 127.0.0.1
only, and anything that is not a host is refused naming the field.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import zoneinfo
from pathlib import Path

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.errors import InvalidInput
from agent.settings import Settings
from agent.troubleshoot import pcap, sipflow
from agent.troubleshoot.capture import KEEP_FILES, CaptureService
from tests import browser_driver
from tests.pbx import EDGEPBX, free_port
from tests.sipphone import Phone
from tests.webclient import api_client, field_error, signed_in

CAPTURE = "/api/v1/troubleshoot/capture"


def _register(pbx, number: str, password: str) -> None:
    with Phone(number, password, server="127.0.0.1", port=pbx.sip_port) as phone:
        assert phone.register() == 200


def test_a_capture_while_a_phone_registers_shows_register_and_200_in_order(
    pbx, browser_ready, tmp_path
):
    password = pbx.add_extension("101")
    admin = api_client(pbx, "administrator")
    started = admin.request(
        "POST",
        CAPTURE,
        json_body={"ports": "sip", "seconds": 60, "interface": "lo"},
    )
    assert started.status == 201, started.body
    assert started.json()["running"] is True
    assert admin.request("POST", CAPTURE, json_body={}).status == 409
    zero = admin.request("POST", CAPTURE, json_body={"seconds": 0})
    assert zero.status == 422 and zero.json()["field"] == "seconds"

    _register(pbx, "101", password)
    time.sleep(0.5)  # the 200's packet reaches the file
    stopped = admin.request("DELETE", CAPTURE)
    assert stopped.status == 200, stopped.body
    name = stopped.json()["file"]

    download = admin.get(f"/api/v1/troubleshoot/captures/{name}")
    assert download.status == 200
    assert download.body_bytes[:4] in {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"}
    dialogs = admin.get(f"/api/v1/troubleshoot/captures/{name}/dialogs").json()
    registers = [d for d in dialogs if d["first_request"] == "REGISTER"]
    assert registers, dialogs
    register = registers[0]
    assert register["from"].startswith("sip:101@")
    assert register["final_reply"] == "200 OK"

    query = urllib.parse.urlencode({"call_id": register["call_id"]})
    flow = admin.get(f"/api/v1/troubleshoot/captures/{name}/dialogs?{query}").json()
    lines = [m["first_line"] for m in flow["flow"]]
    assert lines[0].startswith("REGISTER sip:")
    assert lines[-1] == "SIP/2.0 200 OK"
    assert "SIP/2.0 401 Unauthorized" in lines
    assert lines.index("SIP/2.0 401 Unauthorized") < len(lines) - 1
    assert [m["at"] for m in flow["flow"]] == sorted(m["at"] for m in flow["flow"])

    web = signed_in(pbx)
    # UTC+05:30: a time shown in UTC would read five and a half hours off.
    web.post_form("/setup/timezone", {"timezone": "Asia/Kolkata"})
    page = web.get(f"/troubleshoot/captures/{name}?{query}")
    listed = web.get(f"/troubleshoot/captures/{name}")
    assert page.status == 200
    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")
    at = dt.datetime.fromtimestamp(flow["flow"][0]["at"], kolkata)
    began = dt.datetime.fromtimestamp(register["started_at"], kolkata)
    assert "Times are in Asia/Kolkata" in page.body
    assert at.strftime("%H:%M:%S.%f")[:-3] + "</time>" in page.body
    assert "Began (Asia/Kolkata)" in listed.body
    assert began.strftime("%H:%M:%S.%f")[:-3] + "</time>" in listed.body
    [written] = [
        f["modified_at"]
        for f in admin.get("/api/v1/troubleshoot/captures").json()
        if f["name"] == name
    ]
    files = web.get("/troubleshoot").body
    local_written = dt.datetime.fromisoformat(written).astimezone(kolkata)
    assert "Written (Asia/Kolkata)" in files
    assert f'<time datetime="{written}">{local_written:%Y-%m-%d %H:%M:%S}<' in files
    assert "<svg" in page.body
    ladder = page.body[page.body.index("<svg") : page.body.index("</svg>")]
    assert ladder.index("REGISTER sip:") < ladder.index("SIP/2.0 200 OK")
    assert f"127.0.0.1:{pbx.sip_port}" in ladder
    assert 'href="#message-0"' in ladder
    first = page.body[page.body.index('id="message-0"') :]
    assert first.index("REGISTER sip:") < first.index("Call-ID: ")
    seen = browser_driver.run(
        "sip_ladder.mjs",
        pbx,
        session=web.cookies["__Host-edgepbx_session"],
        path=f"/troubleshoot/captures/{name}?{query}",
        screenshots=str(tmp_path),
    )
    assert seen["arrows"] == len(lines)
    assert seen["hidden_before"] and seen["first_hidden"]
    assert seen["shown"].startswith("SIP/2.0 200 OK")
    audit = web.get("/audit")
    assert "packet capture" in audit.body and name in audit.body


def test_sip_over_tcp_on_ipv6_is_read_back_and_old_captures_go(
    tmp_path, monkeypatch, request
):
    port = free_port()
    monkeypatch.setenv("EDGEPBX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EDGEPBX_SIP_PORT", str(port))
    appliance = Appliance.open(Settings.from_environment(), create=True)
    request.addfinalizer(appliance.close)
    service = CaptureService(appliance.settings, CONSOLE)
    body = "v=0\r\n"
    options = (
        f"OPTIONS sip:probe@[::1]:{port};transport=tcp SIP/2.0\r\n"
        "Via: SIP/2.0/TCP [::1]:5099;branch=z9hG4bK-1\r\n"
        "f: <sip:admin@[::1]>;tag=a1\r\n"
        "t: <sip:probe@[::1]>\r\n"
        "i: tcp-six@test\r\n"
        "CSeq: 7 OPTIONS\r\n"
        "Content-Type: application/sdp\r\n"
        f"l: {len(body)}\r\n\r\n{body}"
    ).encode()
    reply = (
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP [::1]:5099;branch=z9hG4bK-1\r\n"
        b"From: <sip:admin@[::1]>;tag=a1\r\nTo: <sip:probe@[::1]>;tag=b2\r\n"
        b"Call-ID: tcp-six@test\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )

    # Older captures: more than are kept, the newest of them a week old.
    old_dir = tmp_path / "captures"
    old_dir.mkdir()
    old = [old_dir / f"20260101T0000{i:02d}Z-sip.pcap" for i in range(KEEP_FILES)]
    for path in old:
        path.write_bytes(b"")
    week_ago = time.time() - 8 * 86400
    os.utime(old[-1], (week_ago, week_ago))

    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as server:
        server.bind(("::1", port))
        server.listen(1)
        service.start("sip", seconds=30, interface="any")
        try:
            with socket.create_connection(("::1", port), timeout=5) as client:
                peer, _ = server.accept()
                with peer:
                    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    # Split inside a header: the reader must join segments.
                    client.sendall(options[:40])
                    time.sleep(0.2)
                    client.sendall(options[40:])
                    received = b""
                    while len(received) < len(options):
                        received += peer.recv(4096)
                    peer.sendall(reply)
                    assert client.recv(4096) == reply
            time.sleep(0.5)
        finally:
            name = service.stop().file

    kept = sorted(p.name for p in old_dir.glob("*.pcap"))
    assert kept == sorted([p.name for p in old[1:-1]] + [name])
    path = service.path(name)
    data = path.read_bytes()
    assert int.from_bytes(data[20:24], "little") in {
        pcap.LINKTYPE_LINUX_SLL,
        pcap.LINKTYPE_LINUX_SLL2,
    }
    found = sipflow.messages(pcap.read_packets(path))
    assert [m.first_line for m in found] == [
        f"OPTIONS sip:probe@[::1]:{port};transport=tcp SIP/2.0",
        "SIP/2.0 200 OK",
    ]
    assert found[0].transport == "tcp"
    assert found[0].destination == f"[::1]:{port}"
    assert found[0].text.endswith(body)
    (flow,) = sipflow.dialogs(found)
    summary = flow.summary()
    assert (summary["call_id"], summary["from"], summary["final_reply"]) == (
        "tcp-six@test",
        "sip:admin@[::1]",
        "200 OK",
    )
    with pytest.raises(InvalidInput, match="capture"):
        service.path("../db/config.sqlite")


def test_ping_bad_hosts_logs_and_an_operator_refused(pbx):
    admin = api_client(pbx, "administrator")
    ping = admin.request(
        "POST", "/api/v1/troubleshoot/ping", json_body={"host": "127.0.0.1"}
    )
    assert ping.status == 200, ping.body
    assert ping.json()["exit_status"] == 0
    assert re.search(r"\d+ received, 0% packet loss", ping.json()["output"])

    for bad in ("-c1", "127.0.0.1;id", "a b", ""):
        refused = admin.request(
            "POST", "/api/v1/troubleshoot/ping", json_body={"host": bad}
        )
        assert refused.status == 422, refused.body
        assert refused.json()["field"] == "host"
    traced = pbx.cli("troubleshoot", "traceroute", "127.0.0.1")
    assert traced.returncode == 0, traced.stdout
    assert re.search(r"^ 1  127\.0\.0\.1  [0-9.]+ ms$", traced.stdout, re.M)
    cli = pbx.cli("troubleshoot", "traceroute", "--", "--help")
    assert cli.returncode == 2
    assert "host" in cli.stderr and "a host name or an address" in cli.stderr

    lines = pbx.cli("logs", "--text", "kamailio: started", "--json")
    assert lines.returncode == 0, lines.stderr
    entries = lines.json()["entries"]
    assert entries and entries[0]["daemon"] == "agent"
    assert entries[0]["level"] == "info"
    bad_level = pbx.cli("logs", "--since", "yesterday")
    assert bad_level.returncode == 2 and "since" in bad_level.stderr

    web = signed_in(pbx)
    refused_page = web.post_form(
        "/troubleshoot/ping", {"host": "--help"}, csrf_from="/troubleshoot"
    )
    assert refused_page.status == 422
    assert field_error(refused_page.body, "host") == (
        'host "--help": a host name or an address'
    )
    answered = web.post_form(
        "/troubleshoot/ping", {"host": "127.0.0.1"}, csrf_from="/troubleshoot"
    )
    assert answered.status == 200
    assert "ping 127.0.0.1: answered" in answered.body
    log_page = web.get("/logs?daemon=agent&text=kamailio%3A+started")
    assert log_page.status == 200 and "kamailio: started" in log_page.body
    assert "No log line matches." in web.get("/logs?text=no-such-line-here").body
    assert field_error(web.get("/logs?until=x").body, "until").startswith(
        'until "x": a date and time'
    )

    operator = api_client(pbx, "operator")
    for method, path, body in (
        ("POST", "/api/v1/troubleshoot/ping", {"host": "127.0.0.1"}),
        ("POST", CAPTURE, {}),
        ("GET", CAPTURE, None),
        ("GET", "/api/v1/logs", None),
    ):
        refused = operator.request(method, path, json_body=body)
        assert refused.status == 403, (path, refused.body)
    assert admin.get(CAPTURE).json()["running"] is False


NOBODY = 65534


def test_a_capture_without_the_right_to_capture_is_refused_saying_why():
    # Outside pytest's own temporary tree, which only root may enter.
    home = Path(tempfile.mkdtemp(prefix="edgepbx-capture-"))
    try:
        home.chmod(0o755)
        env = dict(os.environ, EDGEPBX_DATA_DIR=str(home / "var"))
        made = subprocess.run(
            [*EDGEPBX, "status"], env=env, capture_output=True, timeout=60
        )
        assert (home / "var").is_dir(), made.stderr
        for path in [home, *home.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
        as_nobody = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}"]
        as_nobody += ["--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]
        refused = subprocess.run(
            [*as_nobody, *EDGEPBX, "troubleshoot", "capture", "start"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 2, refused.stderr
        assert "tcpdump could not capture" in refused.stderr
        assert "Operation not permitted" in refused.stderr
        assert "CAP_NET_RAW" in refused.stderr
        assert list((home / "var" / "captures").glob("*.pcap")) == []
    finally:
        shutil.rmtree(home)


def test_kamailio_and_rtpengine_lines_reach_the_log_viewer_without_secrets(pbx):
    password = pbx.add_extension("101", "Alice")
    with Phone("101", password, server="127.0.0.1", port=pbx.sip_port) as alice:
        assert alice.register() == 200

    for daemon in ("kamailio", "rtpengine"):
        lines = pbx.cli("logs", "--daemon", daemon, "--json")
        assert lines.returncode == 0, lines.stderr
        entries = lines.json()["entries"]
        assert entries, f"no {daemon} line in the viewer"
        assert {e["daemon"] for e in entries} == {daemon}
        assert all(e["at"].startswith("20") for e in entries)
    for path in (pbx.data_dir / "logs").iterdir():
        assert password not in path.read_text(errors="replace"), path
