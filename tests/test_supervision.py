"""The agent keeps the SIP core running and its configuration sound."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from agent.settings import Settings
from agent.sip import kamailio_config
from tests.pbx import EDGEPBX, RunningPbx
from tests.sipraw import SipClient

# Registrations are written back to disk this often (kamailio_config).
FLUSH_WAIT_S = kamailio_config.USRLOC_FLUSH_S + 1.5
# From SIGTERM to the agent's exit, with every daemon stopped; under 2 s on a
# busy 2-core machine when they stop together.
STOP_AT_MOST_S = 3.0


def wait_for_new_kamailio(pbx, old_pid: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = pbx.status()
        pid = status.get("daemons", {}).get("kamailio", {}).get("pid")
        if status.get("ready") and pid and pid != old_pid:
            return
        time.sleep(0.1)
    raise TimeoutError(f"kamailio not back:\n{pbx.log()}")


def invite_reaches(pbx, caller: str, password: str, callee: SipClient) -> bool:
    """Does an INVITE from caller to 101 arrive on callee's socket?"""
    with SipClient("127.0.0.1", pbx.sip_port) as client:
        client.sock.settimeout(1)
        # The callee never answers; only the INVITE's arrival matters here.
        with contextlib.suppress(TimeoutError):
            client.invite("101", caller, password)
    callee.sock.settimeout(3)
    try:
        data, _ = callee.sock.recvfrom(65535)
    except TimeoutError:
        return False
    return data.startswith(b"INVITE sip:101@")


def test_killed_kamailio_is_restarted_and_the_phone_is_reachable_again(pbx):
    password_101 = pbx.add_extension("101")
    password_102 = pbx.add_extension("102")
    phone = SipClient("127.0.0.1", pbx.sip_port)
    assert phone.register("101", password_101).status == 200
    time.sleep(FLUSH_WAIT_S)

    old_pid = pbx.kamailio_pid()
    os.kill(old_pid, signal.SIGKILL)
    wait_for_new_kamailio(pbx, old_pid)

    shown = pbx.cli("extension", "show", "101", "--json").json()
    assert len(shown["registrations"]) == 1
    assert invite_reaches(pbx, "102", password_102, phone)
    phone.close()


def test_registrations_survive_a_restart_of_the_whole_appliance(pbx):
    password = pbx.add_extension("101")
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        assert phone.register("101", password).status == 200
    pbx.stop()
    pbx.start()
    shown = pbx.cli("extension", "show", "101", "--json").json()
    assert [r["user_agent"] for r in shown["registrations"]] == ["edgepbx-test"]


def test_extension_added_while_running_registers_within_two_seconds(pbx):
    start = time.monotonic()
    password = pbx.add_extension("101")
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        assert phone.register("101", password).status == 200
    assert time.monotonic() - start < 2.0
    assert pbx.status()["daemons"]["kamailio"]["restarts"] == 0


def test_a_rejected_configuration_leaves_the_running_one_in_place(
    pbx, monkeypatch, tmp_path
):
    settings = Settings(
        data_dir=pbx.data_dir,
        bind="127.0.0.1",
        sip_port=pbx.sip_port,
        http_port=8080,
        https_port=8443,
        tftp_port=6969,
    )
    live = pbx.data_dir / "run" / "kamailio.cfg"
    before = live.read_text()
    broken = tmp_path / "broken.cfg.tmpl"
    broken.write_text(before + '\nmodparam("tm", "no_such_parameter", 1)\n')
    monkeypatch.setattr(kamailio_config, "TEMPLATE", broken)

    with pytest.raises(kamailio_config.ConfigRejected, match="no_such_parameter"):
        kamailio_config.apply(settings, "127.0.0.1")
    assert live.read_text() == before
    assert not (pbx.data_dir / "run" / "kamailio.cfg.new").exists()
    assert pbx.status()["ready"]


def test_second_agent_on_the_same_data_is_refused(pbx):
    result = pbx.cli("agent")
    assert result.returncode == 2
    assert "already running" in result.stderr


def test_agent_stops_kamailio_on_sigterm(pbx):
    pid = pbx.kamailio_pid()
    asked = time.monotonic()
    pbx.stop()
    took = time.monotonic() - asked

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # The daemons stop together, Kamailio alone after them so it flushes
    # registrations once nothing else will touch them.
    daemons = {"rtpengine", "kamailio", "webadmin", "provisioning"}
    daemons |= {f"media-{port}" for port in pbx.media_ports}
    logged = re.findall(r"INFO\s+(\S+): stopped$", pbx.log_path.read_text(), re.M)
    stopped = [name for name in logged if name in daemons]
    assert sorted(stopped) == sorted(daemons), logged
    assert stopped[-1] == "kamailio", stopped
    # One after the other they took about 5 s: a reboot or an update waits it.
    assert took < STOP_AT_MOST_S, f"the agent took {took:.1f} s to stop"


def test_a_sip_port_held_by_another_program_is_refused_with_the_setting_named(
    tmp_path,
):
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pbx = RunningPbx(tmp_path / "var")
    squatter.bind(("127.0.0.1", pbx.sip_port))
    try:
        result = pbx.cli("agent")
    finally:
        squatter.close()
    assert result.returncode == 2
    assert f"UDP port {pbx.sip_port} on 127.0.0.1 cannot be used" in result.stderr
    assert "EDGEPBX_SIP_PORT" in result.stderr


# Set by the person or the unit that starts the agent; a second terminal, the
# serial console and an SSH session have none of them.
_LISTENING_VARIABLES = {
    "EDGEPBX_DATA_DIR",
    "EDGEPBX_BIND",
    "EDGEPBX_SIP_PORT",
    "EDGEPBX_SIP_TLS_PORT",
    "EDGEPBX_HTTP_PORT",
    "EDGEPBX_HTTPS_PORT",
    "EDGEPBX_TFTP_PORT",
    "EDGEPBX_RTPENGINE_PORT",
}


def test_status_typed_in_another_terminal_probes_the_agent_where_it_listens(
    tmp_path,
):
    pbx = RunningPbx(tmp_path / "var", bind="127.0.0.2", command="run").start()
    # The media workers' ports (not the defaults here) are not given either.
    given_apart = _LISTENING_VARIABLES | {"EDGEPBX_MEDIA_PORTS"}
    bare = {k: v for k, v in pbx.env.items() if k not in given_apart}

    def edgepbx(*args: str, **given: str) -> dict:
        # From the folder `make run` was typed in, as its ./var is found;
        # the exit code says whether the appliance is ready, the report why.
        done = subprocess.run(
            [*EDGEPBX, *args, "--json"],
            env=dict(bare, **given),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout, done.stderr
        return json.loads(done.stdout)

    try:
        status = edgepbx("status")
        console = edgepbx("console", "--status")
        told = edgepbx("status", EDGEPBX_BIND="127.0.0.1")
    finally:
        pbx.stop()
    after_stop = edgepbx("status")

    assert status["ready"], status
    assert {f"media-{port}" for port in pbx.media_ports} == {
        name for name in status["daemons"] if name.startswith("media-")
    }
    assert status["daemons"]["kamailio"]["answering"]
    assert status["daemons"]["webadmin"]["answering"]
    assert status["sip"]["address"] == f"127.0.0.2:{pbx.sip_port}"
    assert status["web"]["https"] == f"https://127.0.0.2:{pbx.https_port}/"
    assert console["agent"] == "running"
    assert console["web_admin"] == "answering"
    assert console["web_port"] == pbx.https_port
    assert console["sip"] == "answering"
    assert told["sip"]["address"] == f"127.0.0.1:{pbx.sip_port}"
    assert not told["daemons"]["webadmin"]["answering"]
    assert (pbx.data_dir / "run" / "listening.json").stat().st_mode & 0o777 == 0o600
    assert not after_stop["agent"]["running"]
    assert after_stop["sip"]["address"] == f"127.0.0.2:{pbx.sip_port}"


def test_plain_status_names_the_sip_ports_the_json_gives_with_tls(pbx_data):
    text = pbx_data.cli("status")
    report = pbx_data.cli("status", "--json").json()
    sip = report["sip"]

    assert sip["tls_address"] == f"127.0.0.1:{pbx_data.sip_tls_port}"
    assert (
        f"sip           {sip['address']} (udp, tcp), {sip['tls_address']} (tls),"
        f" domain {sip['domain']}"
    ) in text.stdout


def test_a_broken_listening_record_leaves_the_defaults_and_a_variable_wins(
    tmp_path, monkeypatch
):
    for variable in _LISTENING_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("EDGEPBX_DATA_DIR", str(tmp_path))
    settings = Settings.from_environment()
    settings.run_dir.mkdir()
    settings.listening_record.write_text('{"bind": "0.0.0.0", "sip_port": 70000')
    assert settings.where_agent_listens() == settings

    settings.listening_record.write_text('{"bind": "0.0.0.0", "sip_port": 70000}')
    assert settings.where_agent_listens() == settings

    settings.listening_record.write_text('{"bind": "127.0.0.3", "http_port": 8181}')
    monkeypatch.setenv("EDGEPBX_HTTP_PORT", "8282")
    recorded = Settings.from_environment().where_agent_listens()
    assert (recorded.bind, recorded.http_port) == ("127.0.0.3", 8282)
