"""Signing in to the web admin: what is open, the first password, sessions."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import sqlite3
import ssl
import stat
import time
from pathlib import Path

import pytest
from cryptography import x509

from agent.settings import Settings
from tests.pbx import READY_TIMEOUT_S, RunningPbx
from tests.webclient import CHOSEN_PASSWORD, client, one_time_password, signed_in
from webadmin.app import create_app
from webadmin.listeners import HEAD_DEADLINE_S, PLAIN_PORT_THREADS

OPEN_PATHS = {"/signin", "/static/app.css", "/static/app.js"}


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    """One appliance for the tests here that do not change accounts."""
    running = RunningPbx(tmp_path_factory.mktemp("web") / "var").start()
    yield running
    running.stop()


def served_rules(tmp_path) -> list[tuple[str, str]]:
    """Every (method, route rule) the web admin serves."""
    settings = Settings(
        data_dir=tmp_path / "rules",
        bind="127.0.0.1",
        sip_port=5060,
        http_port=8080,
        https_port=8443,
        tftp_port=6969,
    )
    return [(route.method, route.rule) for route in create_app(settings).routes]


def served_routes(tmp_path) -> list[tuple[str, str]]:
    """Every (method, path) the web admin serves, with sample path values."""
    settings = Settings(
        data_dir=tmp_path / "routes",
        bind="127.0.0.1",
        sip_port=5060,
        http_port=8080,
        https_port=8443,
        tftp_port=6969,
    )
    samples = {
        "<number>": "101",
        "<name:path>": "app.css",
        "<address>": "192.0.2.1",
        "<name>": "ssh",
        "<username>": "admin",
        "<token_id>": "1",
        "<contact_id>": "1",
        "<step>": "timezone",
    }
    routes = []
    for route in create_app(settings).routes:
        path = route.rule
        for placeholder, value in samples.items():
            path = path.replace(placeholder, value)
        routes.append((route.method, path))
    return routes


def test_nothing_but_sign_in_and_static_files_answers_without_a_session(
    shared_pbx, tmp_path
):
    web = client(shared_pbx)
    routes = served_routes(tmp_path)
    assert len(routes) >= 15

    for method, path in routes:
        reply = web.request(method, path, form={} if method != "GET" else None)
        if path in OPEN_PATHS:
            assert reply.status in {200, 403}, (method, path)  # 403: no CSRF token
        elif path.startswith("/prov"):
            assert reply.status == 404, (method, path)  # phones' files: open
        elif path.startswith("/api/"):
            assert reply.status == 401, (method, path, reply.body)
            assert reply.content_type == "application/problem+json"
            assert reply.headers["www-authenticate"].startswith("Bearer")
        else:
            assert reply.status == 303, (method, path, reply.status)
            assert reply.location == "/signin", (method, path)


def test_an_unknown_path_asks_for_a_sign_in_before_saying_not_found(shared_pbx):
    web = client(shared_pbx)
    assert web.get("/no/such/page").location == "/signin"
    assert web.get("/api/v1/no/such/thing").status == 401


def test_first_sign_in_with_the_one_time_password_must_choose_a_new_one(pbx):
    password = one_time_password(pbx)
    web = client(pbx)

    signed = web.sign_in("admin", password)
    detour = web.get("/extensions")
    api_detour = web.get("/api/v1/extensions")
    weak = web.change_password(password, "Tiny-Pw1")
    plain = web.change_password(password, "alllowercaseletters")
    named = web.change_password(password, "Admin-Is-Me-2026")
    chosen = web.change_password(password, CHOSEN_PASSWORD)
    after = web.get("/extensions")

    assert signed.status == 303 and signed.location == "/password"
    assert detour.location == "/password"
    assert api_detour.status == 403
    assert api_detour.json()["type"].endswith("password-change-required")
    assert weak.status == 422
    assert 'id="new_password-error"' in weak.body
    assert "too short: at least 12 characters" in weak.body
    assert "add upper case or digits or symbols" in plain.body
    assert "must not contain the user name" in named.body
    for refused, typed in (
        (weak, "Tiny-Pw1"),
        (plain, "alllowercase"),
        (named, "Is-Me"),
    ):
        assert typed not in refused.body
    assert chosen.status == 303
    assert after.status == 200
    assert client(pbx).sign_in("admin", password).status == 422
    assert client(pbx).sign_in("admin", CHOSEN_PASSWORD).location == "/"


def test_the_session_cookie_is_secure_http_only_and_same_site_strict(pbx):
    web = client(pbx)
    reply = web.sign_in("admin", one_time_password(pbx))
    [cookie] = [c for c in reply.set_cookies if c.startswith("__Host-edgepbx_session=")]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=strict", "path=/"} <= attributes


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(pbx):
    one_time_password(pbx)
    wrong_password = client(pbx).sign_in("admin", "Not-The-Password-1")
    unknown_user = client(pbx).sign_in("nobody", "Not-The-Password-1")
    message = re.compile(r'id="form-error">([^<]*)<')

    assert wrong_password.status == unknown_user.status == 422
    assert message.search(wrong_password.body).group(1) == (
        message.search(unknown_user.body).group(1)
    )


def test_repeated_failed_sign_ins_lock_the_user_name_for_a_while(pbx):
    password = one_time_password(pbx)
    for _ in range(6):
        assert client(pbx).sign_in("admin", "Wrong-Guess-123").status == 422

    locked = client(pbx).sign_in("admin", password)
    time.sleep(2.5)  # the first lock lasts throttle.FIRST_LOCK_S
    later = client(pbx).sign_in("admin", password)

    assert locked.status == 429
    assert int(locked.headers["retry-after"]) >= 1
    assert later.location == "/password"
    log = pbx.log()
    assert log.count("web-signin-failed from 127.0.0.1") == 6
    assert "web-signin-throttled from 127.0.0.1" in log
    assert "Wrong-Guess-123" not in log and password not in log


def test_a_form_without_the_session_csrf_token_is_refused_and_changes_nothing(pbx):
    web = signed_in(pbx)
    token = web.csrf_token()

    forged = web.request(
        "POST", "/extensions/new", form={"number": "101", "display_name": "Forged"}
    )
    wrong = web.request(
        "POST",
        "/extensions/new",
        form={"csrf_token": token[:-2] + "xx", "number": "101", "display_name": "F"},
    )
    api_forged = web.request(
        "POST", "/api/v1/extensions", json_body={"number": "101", "display_name": "F"}
    )
    signout_forged = web.request("POST", "/signout", form={})

    assert (forged.status, wrong.status, api_forged.status) == (403, 403, 403)
    assert signout_forged.status == 403
    assert pbx.cli("extension", "list", "--json").json() == []
    assert web.get("/extensions").status == 200


def test_the_sign_in_form_needs_its_own_token(pbx):
    web = client(pbx)
    web.get("/signin")
    reply = web.request(
        "POST",
        "/signin",
        form={"username": "admin", "password": one_time_password(pbx)},
    )
    assert reply.status == 403
    assert "__Host-edgepbx_session" not in web.cookies


def test_signing_out_ends_the_session_on_the_server(pbx):
    web = signed_in(pbx)
    cookie = dict(web.cookies)
    assert web.post_form("/signout", {}, csrf_from="/account").location == "/signin"

    replay = client(pbx)
    replay.cookies = cookie
    assert replay.get("/extensions").location == "/signin"


def test_reset_password_prints_a_new_one_time_password_and_ends_sessions(pbx):
    web = signed_in(pbx)
    reset = pbx.cli("admin", "reset-password")
    [new_password] = re.findall(r"one-time password: (\S+)", reset.stdout)

    assert reset.returncode == 0
    assert web.get("/extensions").location == "/signin"
    assert client(pbx).sign_in("admin", new_password).location == "/password"
    assert client(pbx).sign_in("admin", CHOSEN_PASSWORD).status == 422


class FirstStartAlone(RunningPbx):
    """``make run`` on a fresh data directory with nothing else touching it.

    Only the process that makes the first administrator knows its one-time
    password, so no CLI command may open the data before the banner is out.
    """

    starts = 0

    def start(self, ready_timeout: float = READY_TIMEOUT_S) -> FirstStartAlone:
        self.starts += 1
        return super().start(ready_timeout)

    def whole_log(self) -> str:
        """The log of every start, where ``log()`` keeps only its end."""
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 20.0, log_start: int | None = None) -> None:
        """Ready once this start's own banner is out (the log keeps the
        banners of the starts before)."""
        deadline = time.monotonic() + timeout
        while self.whole_log().count("edgepbx is running") < self.starts:
            assert time.monotonic() < deadline, self.log()
            assert self.process.poll() is None, self.log()
            time.sleep(0.1)
        super().wait_ready(timeout, log_start)


def test_make_run_prints_the_one_time_password_that_signs_in_once(tmp_path):
    running = FirstStartAlone(tmp_path / "var", command="run").start()
    try:
        banner = running.whole_log()
        [password] = re.findall(r"^ +one-time password +(\S+)$", banner, re.MULTILINE)
        reply = client(running).sign_in("admin", password)
        db_dir = running.data_dir / "db"
        stored = b"".join(p.read_bytes() for p in db_dir.iterdir() if p.is_file())
    finally:
        running.stop()
    running.start(ready_timeout=20.0)
    try:
        second_banner = running.whole_log()[len(banner) :]
    finally:
        running.stop()

    assert f"https://127.0.0.1:{running.https_port}/" in banner
    assert reply.location == "/password"
    assert "edgepbx is running" in second_banner
    assert password not in second_banner
    assert not re.findall(r"^ +one-time password +\S+$", second_banner, re.MULTILINE)
    assert "admin reset-password" in second_banner
    assert b"sealed" not in stored and password.encode() not in stored


def test_only_a_hash_of_a_one_time_password_is_stored(pbx):
    password = one_time_password(pbx)
    db_dir = pbx.data_dir / "db"
    stored = b"".join(p.read_bytes() for p in db_dir.iterdir() if p.is_file())
    columns = sqlite3.connect(db_dir / "edgepbx.sqlite").execute(
        "SELECT name FROM pragma_table_info('user_account')"
    )

    assert password.encode() not in stored
    assert "one_time_password" not in {name for (name,) in columns}


def test_plain_http_sends_browsers_to_https_and_keeps_prov_for_phones(shared_pbx):
    def get(path: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", shared_pbx.http_port)
        connection.request("GET", path, headers={"Host": "pbx.example.net"})
        reply = connection.getresponse()
        reply.read()
        connection.close()
        return reply

    page = get("/extensions?page=2")
    provisioning = get("/prov/001122334455.cfg")

    assert page.status == 301
    assert page.getheader("Location") == (
        f"https://127.0.0.1:{shared_pbx.https_port}/extensions?page=2"
    )
    assert provisioning.status == 404


def test_redirects_never_take_their_target_from_the_host_header(shared_pbx):
    connection = http.client.HTTPConnection("127.0.0.1", shared_pbx.http_port)
    connection.request("POST", "/x", headers={"Host": "evil.example"})
    plain = connection.getresponse()
    plain.read()
    connection.close()
    web = client(shared_pbx)
    anonymous = web.get("/extensions", headers={"Host": "evil.example"})
    signin_again = web.get("/signin", headers={"Host": "evil.example:8443"})

    assert plain.status == 308
    assert plain.getheader("Location") == (
        f"https://127.0.0.1:{shared_pbx.https_port}/x"
    )
    assert anonymous.status == 303
    assert anonymous.headers["location"] == "/signin?next=%2Fextensions"
    assert "evil.example" not in str(anonymous.headers)
    assert signin_again.status == 200


def test_a_browser_refusing_the_certificate_is_logged_once_in_plain_words(
    shared_pbx,
):
    distrustful = ssl.create_default_context()  # does not know our certificate
    for _ in range(6):
        with (
            socket.create_connection(("127.0.0.1", shared_pbx.https_port)) as raw,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            distrustful.wrap_socket(raw, server_hostname="127.0.0.1")
    assert client(shared_pbx).get("/signin").status == 200  # a request after them
    log = shared_pbx.log()

    # The one web worker says it once.
    assert log.count("TLS handshake from 127.0.0.1 ended by the client") == 1
    assert "Invalid request from ip=127.0.0.1: [SSL" not in log


def test_the_certificate_names_the_address_and_its_key_is_private(shared_pbx):
    key = shared_pbx.data_dir / "certs" / "web.key"
    cert = x509.load_pem_x509_certificate(shared_pbx.certificate.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)

    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "127.0.0.1" in {
        str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)
    }


def test_status_reports_the_web_admin_and_waits_for_it(shared_pbx):
    status = shared_pbx.status()
    assert status["ready"]
    assert status["daemons"]["webadmin"]["answering"]
    assert "webadmin-http" not in status["daemons"]
    assert status["web"]["https"] == f"https://127.0.0.1:{shared_pbx.https_port}/"
    assert status["web"]["http"] == f"http://127.0.0.1:{shared_pbx.http_port}/"


def listening_ports(pid: int) -> set[int]:
    """The TCP ports a process listens on, read from /proc."""
    sockets = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            sockets.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            listening = fields[3] == "0A"  # TCP_LISTEN
            if listening and fields[9] in sockets:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_one_web_daemon_listens_on_both_ports(shared_pbx):
    daemon = shared_pbx.status()["daemons"]["webadmin"]["pid"]

    assert listening_ports(daemon) == {shared_pbx.https_port, shared_pbx.http_port}


def test_the_admin_pages_are_never_served_in_plain_text(shared_pbx):
    def plain(path: str, headers: dict) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", shared_pbx.http_port)
        connection.request("GET", path, headers=headers)
        reply = connection.getresponse()
        reply.read()
        connection.close()
        return reply

    told_it_is_https = plain("/signin", {"X-Forwarded-Proto": "https"})
    told_it_is_ssl = plain("/api/v1/openapi.json", {"X-Forwarded-SSL": "on"})
    over_tls = client(shared_pbx).get("/signin")

    assert told_it_is_https.status == 301
    assert told_it_is_ssl.status == 301
    assert over_tls.status == 200


def test_phones_stalling_on_the_plain_port_never_hold_up_the_admin_pages(
    shared_pbx,
):
    # More half-sent requests than the web worker has threads in all.
    stalled = []
    try:
        for _ in range(40):
            phone = socket.create_connection(("127.0.0.1", shared_pbx.http_port))
            phone.sendall(b"GET /prov/001122334455.cfg HTTP/1.1\r\nHost: p")
            stalled.append(phone)
        time.sleep(1)
        asked = time.monotonic()
        signin = client(shared_pbx).get("/signin")
        took = time.monotonic() - asked
    finally:
        for phone in stalled:
            phone.close()

    assert signin.status == 200
    assert took < 2.0, f"the sign-in page took {took:.1f} s"


def test_half_sent_requests_are_cut_so_phones_and_the_admin_are_served_again(
    shared_pbx,
):
    # More half-sent heads than either port has threads, held open: the
    # plain port's four, and the HTTPS port's 32 after their handshakes.
    trusting = ssl.create_default_context(cafile=str(shared_pbx.certificate))
    stalled = []
    try:
        for _ in range(PLAIN_PORT_THREADS + 2):
            phone = socket.create_connection(("127.0.0.1", shared_pbx.http_port))
            phone.sendall(b"GET /prov/001122334455.cfg HTTP/1.1\r\nHost: p")
            stalled.append(phone)
        for _ in range(34):
            raw = socket.create_connection(("127.0.0.1", shared_pbx.https_port))
            browser = trusting.wrap_socket(raw, server_hostname="127.0.0.1")
            browser.sendall(b"GET /signin HTTP/1.1\r\nHost: 127")
            stalled.append(browser)
        time.sleep(1)
        asked = time.monotonic()
        phone_file = http.client.HTTPConnection(
            "127.0.0.1", shared_pbx.http_port, timeout=HEAD_DEADLINE_S + 10
        )
        phone_file.request("GET", "/prov/001122334455.cfg")
        phone_answer = phone_file.getresponse().status
        signin = client(shared_pbx).get("/signin")
        took = time.monotonic() - asked
    finally:
        for connection in stalled:
            connection.close()

    assert phone_answer in {200, 401, 403, 404}
    assert signin.status == 200
    assert took < HEAD_DEADLINE_S + 5, f"served again after {took:.1f} s"


def test_the_https_port_speaks_only_tls_and_the_http_port_only_plain_text(
    shared_pbx,
):
    trusting = ssl.create_default_context(cafile=str(shared_pbx.certificate))
    with (
        socket.create_connection(("127.0.0.1", shared_pbx.http_port)) as raw,
        pytest.raises((ssl.SSLError, ConnectionResetError)),
    ):
        trusting.wrap_socket(raw, server_hostname="127.0.0.1")
    with socket.create_connection(("127.0.0.1", shared_pbx.https_port)) as raw:
        raw.sendall(b"GET /prov/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = raw.recv(4096)

    assert not answer.startswith(b"HTTP/")


def test_a_killed_web_admin_is_restarted_by_the_agent(pbx):
    old = pbx.status()["daemons"]["webadmin"]["pid"]
    os.killpg(old, signal.SIGKILL)

    deadline = time.monotonic() + 15
    status = {}
    while time.monotonic() < deadline:
        status = pbx.status()
        web = status.get("daemons", {}).get("webadmin", {})
        if status.get("ready") and web.get("pid") not in (None, old):
            break
        time.sleep(0.2)

    assert status["ready"], pbx.log()
    assert status["daemons"]["webadmin"]["restarts"] == 1
    assert client(pbx).get("/signin").status == 200
    plain = http.client.HTTPConnection("127.0.0.1", pbx.http_port)
    plain.request("GET", "/prov/")
    assert plain.getresponse().status == 404
    plain.close()


def test_choosing_a_password_replaces_the_session_id(pbx):
    password = one_time_password(pbx)
    web = client(pbx)
    web.sign_in("admin", password)
    before = dict(web.cookies)

    web.change_password(password, CHOSEN_PASSWORD)
    replay = client(pbx)
    replay.cookies = before

    assert web.cookies["__Host-edgepbx_session"] != before["__Host-edgepbx_session"]
    assert web.get("/extensions").status == 200
    assert replay.get("/extensions").location == "/signin"


def test_a_wrong_current_password_counts_as_a_failed_sign_in(pbx):
    web = signed_in(pbx)
    reply = web.change_password("Not-My-Password-1", "Another-Choice-2027")
    assert reply.status == 422
    assert 'id="current_password-error"' in reply.body
    assert "wrong current password" in pbx.log()
