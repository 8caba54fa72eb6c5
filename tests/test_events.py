"""The event center against real causes: a real appliance, a real SMTP
server (aiosmtpd) and a webhook receiver on loopback that checks each
request's signature the way docs/events.md tells receivers to."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from agent.events import catalogue, delivery, signing
from tests.mailserver import MailServer
from tests.pbx import RunningPbx, free_port
from tests.sipphone import Phone
from tests.webclient import api_client, client, signed_in

SECRET = "receiver-shared-secret-0042"
BOSS = "boss@example.com"
WAIT_S = 20.0


class Receiver:
    """A webhook receiver: keeps each request and whether its signature held.

    ``refuse`` picks the events (by body) it answers ``refusal`` to, as a
    receiver does that cannot take one of them (500) or is overloaded (503).
    """

    def __init__(
        self,
        port: int = 0,
        refuse: Callable[[dict], bool] = lambda body: False,
        refusal: int = 500,
    ) -> None:
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                genuine = signing.verify(
                    SECRET,
                    self.headers.get(signing.TIMESTAMP_HEADER, ""),
                    self.headers.get(signing.SIGNATURE_HEADER, ""),
                    body,
                )
                event = json.loads(body)
                status = 204 if genuine else 401
                if genuine and refuse(event):
                    status = refusal
                outer.received.append(
                    {
                        "event": self.headers.get(signing.EVENT_HEADER),
                        "genuine": genuine,
                        "body": event,
                        "status": status,
                    }
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, event: str, count: int = 1, timeout: float = WAIT_S) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in self.received if r["event"] == event]
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{event}: {len(found)} of {count} arrived")


@pytest.fixture(scope="module")
def smtp():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def office(tmp_path_factory, smtp):
    running = RunningPbx(tmp_path_factory.mktemp("events") / "var").start()
    mail = running.cli(
        "mail", "set", "--host=127.0.0.1", f"--port={smtp.port}",
        "--security=none", "--sender=pbx@example.com",
    )  # fmt: skip
    assert mail.returncode == 0, mail.stderr
    yield running
    running.stop()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


def add_webhook(pbx, url: str, types: str) -> int:
    added = pbx.cli("webhook", "add", url, "--types", types, "--secret-stdin",
                    "--json", stdin=SECRET + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    return added.json()["id"]


def logged_since(pbx, start: int, line: str, timeout: float = WAIT_S) -> bool:
    """True once the agent's log, past byte start, holds line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(pbx.log_path, "rb") as log:
            log.seek(start)
            if line.encode() in log.read():
                return True
        time.sleep(0.1)
    return False


def events_of(pbx, kind: str, timeout: float = WAIT_S) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = pbx.cli("event", "list", "--type", kind, "--json").json()["items"]
        if items:
            return items
        time.sleep(0.3)
    return []


def mails_about(smtp, words: str, count: int = 1, timeout: float = WAIT_S) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in smtp.messages if words in str(m.message["Subject"])]
        if len(found) >= count:
            return found
        time.sleep(0.1)
    return [m for m in smtp.messages if words in str(m.message["Subject"])]


def test_failed_web_sign_ins_until_a_ban_are_mailed_and_signed_to_a_webhook(
    office, smtp, receiver
):
    hook = add_webhook(office, receiver.url, "signin-failed,ip-banned")
    notify = office.cli("event", "notify", "ip-banned", "--email", "on",
                        "--recipients", BOSS)  # fmt: skip
    assert notify.returncode == 0, notify.stderr
    office.cli("jail", "set", "--maxretry", "2", "--ignore")
    try:
        web = client(office)
        for _ in range(2):
            assert web.sign_in("admin", "not-the-password").status == 422

        (banned,) = receiver.wait_for("ip-banned")
        failures = receiver.wait_for("signin-failed", 2)
        mails = mails_about(smtp, "127.0.0.1 banned")
    finally:
        office.cli("jail", "set", "--ignore", "127.0.0.0/8", "::1/128")
        office.cli("ban", "remove", "127.0.0.1")
        office.cli("webhook", "remove", str(hook))

    assert banned["genuine"] and all(f["genuine"] for f in failures)
    assert banned["body"]["object"] == "127.0.0.1"
    assert "web-signin-failed" in banned["body"]["summary"]
    assert len(mails) == 1 and mails[0].recipients == [BOSS]
    assert "IP banned" in mails[0].message.get_content()


def test_a_phone_with_a_wrong_password_raises_a_registration_failure(office):
    office.add_extension("101")

    with Phone("101", "Not-The-Password-1", server="127.0.0.1",
               port=office.sip_port) as intruder:  # fmt: skip
        assert intruder.register() in (401, 403)
    found = events_of(office, "extension-registration-failed")

    assert found and found[0]["object"] == "101"
    assert found[0]["severity"] == "warning"


def test_a_killed_daemon_is_restarted_and_the_restart_is_an_event(office):
    pid = office.status()["daemons"]["provisioning"]["pid"]

    os.kill(pid, signal.SIGKILL)
    found = events_of(office, "daemon-restarted")

    assert found and found[0]["object"] == "provisioning"
    assert "killed by SIGKILL" in found[0]["summary"]


def test_a_storm_of_bans_is_one_mail_and_one_summary(pbx):
    """On an appliance of its own, so no earlier mail has opened the window."""
    smtp = MailServer().start()
    try:
        pbx.cli("mail", "set", "--host=127.0.0.1", f"--port={smtp.port}",
                "--security=none", "--sender=pbx@example.com")  # fmt: skip
        pbx.cli("event", "options", "--mail-window-s", "60")
        pbx.cli("event", "notify", "ip-banned", "--email", "on", "--recipients", BOSS)
        storm = 6

        for n in range(storm):
            assert pbx.cli("ban", "add", f"198.51.100.{n + 1}").returncode == 0
        summary = mails_about(smtp, f"{storm - 1} more IP banned events", timeout=90)
        mails = list(smtp.messages)
    finally:
        smtp.stop()

    assert len(summary) == 1
    assert len(mails) == 2
    assert "198.51.100.1 banned" in str(mails[0].message["Subject"])
    assert mails[1].recipients == [BOSS]


def test_a_receiver_that_is_down_gets_the_event_when_it_is_back(office):
    port = free_port()
    hook = add_webhook(office, f"http://127.0.0.1:{port}/hook", "backup-done")
    backup = office.data_dir.parent / "office.tar.gz"
    log_start = office.log_path.stat().st_size
    try:
        made = office.cli("backup", "create", "--output", str(backup))
        assert made.returncode == 0, made.stderr
        assert logged_since(
            office, log_start, f"webhook {hook} backup-done failed ("
        ), "the first attempt finds nobody"
        late = Receiver(port)
        try:
            (delivered,) = late.wait_for("backup-done", timeout=30)
        finally:
            late.stop()
    finally:
        office.cli("webhook", "remove", str(hook))

    assert delivered["genuine"]
    assert delivered["body"]["object"] == "office.tar.gz"


def test_a_call_posts_ringing_answered_and_ended_in_order_beside_a_dead_receiver(
    office, receiver
):
    passwords = {n: office.add_extension(n) for n in ("201", "202")}
    hook = add_webhook(office, receiver.url, "call-ringing,call-answered,call-ended")
    # A second receiver that is down: its retries must not touch the call.
    dead = add_webhook(office, f"http://127.0.0.1:{free_port()}/down", "call-ringing")
    try:
        with (
            Phone("201", passwords["201"], server="127.0.0.1",
                  port=office.sip_port) as alice,
            Phone("202", passwords["202"], server="127.0.0.1",
                  port=office.sip_port) as bob,
        ):  # fmt: skip
            assert (alice.register(), bob.register()) == (200, 200)
            call = alice.call("202")
            call.wait_confirmed()
            bob.wait_incoming().wait_confirmed()
            call.hangup()
            call.wait_disconnected()
        receiver.wait_for("call-ended")
    finally:
        office.cli("webhook", "remove", str(hook))
        office.cli("webhook", "remove", str(dead))

    order = [r["event"] for r in receiver.received]
    assert order == ["call-ringing", "call-answered", "call-ended"]
    assert all(r["genuine"] for r in receiver.received)
    ringing, answered, ended = (r["body"]["details"] for r in receiver.received)
    for details in (ringing, answered, ended):
        assert (details["caller"], details["callee"]) == ("201", "202")
        assert (details["src"], details["dst"]) == ("201", "202")
        assert details["direction"] == "internal"
    assert ended["duration"] >= ended["billsec"] >= 0
    assert "duration" not in ringing and "duration" not in answered


def test_a_call_the_caller_gives_up_on_posts_who_called_whom_as_missed(
    office, receiver
):
    passwords = {n: office.add_extension(n) for n in ("203", "204")}
    hook = add_webhook(office, receiver.url, "call-ringing,call-ended,call-missed")
    try:
        with (
            Phone("203", passwords["203"], server="127.0.0.1",
                  port=office.sip_port) as alice,
            Phone("204", passwords["204"], server="127.0.0.1",
                  port=office.sip_port, answer_incoming="ring") as bob,
        ):  # fmt: skip
            assert (alice.register(), bob.register()) == (200, 200)
            call = alice.call("204")
            call.wait_ringing()
            call.hangup()
            call.wait_disconnected()
        receiver.wait_for("call-missed")
    finally:
        office.cli("webhook", "remove", str(hook))

    order = [r["event"] for r in receiver.received]
    assert order == ["call-ringing", "call-ended", "call-missed"]
    missed = receiver.received[-1]["body"]["details"]
    assert (missed["caller"], missed["callee"]) == ("203", "204")
    assert missed["direction"] == "internal"
    assert missed["code"] == 487
    assert missed["billsec"] == 0 and missed["duration"] >= 0


def test_an_event_the_receiver_refuses_does_not_hold_back_the_ones_after_it(
    office,
):
    picky = Receiver(refuse=lambda body: body["object"] == "198.51.100.81")
    hook = add_webhook(office, picky.url, "ip-banned")
    banned = [f"198.51.100.{n}" for n in (81, 82, 83)]
    try:
        for address in banned:
            assert office.cli("ban", "add", address).returncode == 0
        # Its own retry comes FIRST_RETRY_S after the first refusal; before
        # that second try the other two have gone through.
        picky.wait_for("ip-banned", 4)
    finally:
        office.cli("webhook", "remove", str(hook))
        for address in banned:
            office.cli("ban", "remove", address)
        picky.stop()

    tries = [(r["body"]["object"], r["status"]) for r in picky.received]
    assert ("198.51.100.82", 204) in tries and ("198.51.100.83", 204) in tries
    assert tries.count(("198.51.100.81", 500)) >= 2


def test_a_retry_for_a_removed_webhook_never_goes_to_the_next_one_given_its_number(
    office,
):
    refusing = Receiver(refuse=lambda body: True)
    newcomer = Receiver()
    old = add_webhook(office, refusing.url, "ip-banned")
    new = None
    try:
        assert office.cli("ban", "add", "198.51.100.91").returncode == 0
        refusing.wait_for("ip-banned")
        assert office.cli("webhook", "remove", str(old)).returncode == 0
        new = add_webhook(office, newcomer.url, "ip-banned")
        # Well past the time the refused event was due to be tried again.
        time.sleep(delivery.FIRST_RETRY_S * 2)
        assert office.cli("ban", "add", "198.51.100.92").returncode == 0
        newcomer.wait_for("ip-banned")
    finally:
        if new is not None:
            office.cli("webhook", "remove", str(new))
        for address in ("198.51.100.91", "198.51.100.92"):
            office.cli("ban", "remove", address)
        refusing.stop()
        newcomer.stop()

    assert new == old  # SQLite gave the removed webhook's number to the new one
    assert [r["body"]["object"] for r in newcomer.received] == ["198.51.100.92"]
    assert f"webhook {old} removed, 1 waiting dropped" in office.log_path.read_text()


def test_bad_recipients_urls_and_types_are_refused_naming_the_field(office):
    recipients = office.cli("event", "notify", "ip-banned", "--recipients",
                            "boss-at-example", "--json")  # fmt: skip
    url = office.cli("webhook", "add", "ftp://example.com/x", "--types",
                     "ip-banned", "--json")  # fmt: skip
    kind = office.cli("webhook", "add", "https://example.com/x", "--types",
                      "coffee-spilled", "--json")  # fmt: skip

    assert recipients.returncode == url.returncode == kind.returncode == 2
    assert recipients.json()["error"]["field"] == "--recipients"
    assert url.json()["error"]["field"] == "url"
    assert kind.json()["error"]["field"] == "--types"


def test_the_events_page_lists_filters_and_the_settings_page_refuses_bad_input(
    office,
):
    office.cli(
        "backup", "create", "--output", str(office.data_dir.parent / "page.tar.gz")
    )
    web = signed_in(office, "administrator")

    listed = web.get("/events?type=backup-done")
    empty = web.get("/events?type=ip-banned&since=2001-01-01&until=2001-01-02")
    refused = web.post_form(
        "/events/settings/notify/backup-done",
        {"email": "on", "recipients": "boss-at-example"},
        "/events/settings",
    )
    added = web.post_form(
        "/webhooks",
        {"url": "https://127.0.0.1:9/page", "types": "backup-done"},
        "/events/settings",
    )

    assert listed.status == 200 and "page.tar.gz written" in listed.body
    assert "No event matches." in empty.body
    assert refused.status == 422
    assert "recipients &quot;boss-at-example&quot;" in refused.body
    assert added.status == 201 and 'id="secret"' in added.body


def test_the_api_refuses_a_webhook_that_is_not_http_naming_the_url(office):
    api = api_client(office, "administrator")

    refused = api.request(
        "POST",
        "/api/v1/webhooks",
        json_body={"url": "file:///etc/passwd", "types": ["backup-done"]},
    )
    listed = api.get("/api/v1/webhooks").json()

    assert refused.status == 422
    assert refused.json()["field"] == "url"
    assert all("file:" not in hook["url"] for hook in listed)


def test_the_api_checks_option_types_and_keeps_an_international_host_sendable(
    office,
):
    api = api_client(office, "administrator")
    before = api.get("/api/v1/events/options").json()

    as_text = api.request(
        "PATCH", "/api/v1/events/options", json_body={"retention_days": "30"}
    )
    as_flag = api.request(
        "PATCH", "/api/v1/events/options", json_body={"disk_percent": True}
    )
    # Firmware is not rolled back in this test: nothing is sent to the host.
    added = api.request(
        "POST",
        "/api/v1/webhooks",
        json_body={
            "url": "https://bücher.example/hook?für=ü",
            "types": ["firmware-rolled-back"],
        },
    )
    api.request("DELETE", f"/api/v1/webhooks/{added.json()['id']}")
    bad_hosts = [
        api.request(
            "POST",
            "/api/v1/webhooks",
            json_body={"url": url, "types": ["firmware-rolled-back"]},
        )
        for url in ("https://a..b/", "https://-x-.example/", f"https://{'a' * 64}.io/")
    ]

    assert (as_text.status, as_text.json()["field"]) == (400, "retention_days")
    assert "a whole number" in as_text.json()["detail"]
    assert (as_flag.status, as_flag.json()["field"]) == (400, "disk_percent")
    assert api.get("/api/v1/events/options").json() == before
    assert added.status == 201
    assert added.json()["url"] == "https://xn--bcher-kva.example/hook?f%C3%BCr=%C3%BC"
    assert [(r.status, r.json()["field"]) for r in bad_hosts] == [(422, "url")] * 3


def test_an_empty_emergency_list_is_refused_and_clearing_it_is_said_aloud(pbx_data):
    def options(*args: str):
        return pbx_data.cli("event", "options", *args, "--json")

    set_up = options("--emergency-numbers", "112 999")
    empty = options("--emergency-numbers", "")
    blank = options("--emergency-numbers", " , ")
    both = options("--emergency-numbers", "112", "--no-emergency-numbers")
    kept = options().json()["emergency_numbers"]
    cleared = options("--no-emergency-numbers")

    assert set_up.returncode == 0, set_up.stderr
    for refused in (empty, blank, both):
        assert refused.returncode == 2, refused.stdout
        assert refused.json()["error"]["field"] == "emergency-numbers"
        assert "--no-emergency-numbers" in refused.json()["error"]["message"]
    assert "no number given" in empty.json()["error"]["message"]
    assert kept == ["112", "999"]
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.json()["emergency_numbers"] == []


def test_every_event_type_has_its_row_in_the_events_document():
    text = (Path(__file__).parent.parent / "docs" / "events.md").read_text()
    documented = set()
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        name = ""
        for code in re.findall(r"`([a-z-]+)`", line.split(" | ")[0]):
            # "`trunk-registration-lost` / `-regained`": the second is short.
            name = name.rsplit("-", 1)[0] + code if code.startswith("-") else code
            documented.add(name)

    missing = [t for t in catalogue.TYPES if t not in documented]
    assert missing == []
