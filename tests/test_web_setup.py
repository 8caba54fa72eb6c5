"""The installation wizard on the first administrator's first sign-in."""

from __future__ import annotations

import datetime as dt
import socket
import zoneinfo

from tests.mailserver import MailServer
from tests.webclient import CHOSEN_PASSWORD, client, one_time_password


def test_the_wizard_sets_the_time_zone_mail_and_first_extensions(pbx):
    server = MailServer().start()
    web = client(pbx)
    password = one_time_password(pbx)
    web.sign_in("admin", password)
    web.change_password(password, CHOSEN_PASSWORD)
    try:
        home = web.get("/")
        zone = web.post_form("/setup/timezone", {"timezone": "Europe/Berlin"})
        bad_zone = web.post_form("/setup/timezone", {"timezone": "Mars/Olympus"})
        network = web.get("/setup/network")
        web.post_form("/setup/network", {})
        mail = web.post_form(
            "/setup/mail",
            {
                "host": "127.0.0.1",
                "port": str(server.port),
                "security": "none",
                "sender": "pbx@example.com",
                "test_to": "owner@example.com",
            },
        )
        tested = server.wait_for(1)[0]
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            nobody = closed.getsockname()[1]
        unreachable = web.post_form(
            "/setup/mail",
            {"host": "127.0.0.1", "port": str(nobody), "security": "none",
             "sender": "pbx@example.com", "test_to": "owner@example.com"},
        )  # fmt: skip
        kept = pbx.cli("mail", "show", "--json").json()
        bad_security = web.post_form(
            "/setup/mail", {"host": "127.0.0.1", "security": "ssl3"}
        )
        web.post_form("/setup/mail", {"skip": "1"})
        wrong_rows = web.post_form(
            "/setup/extensions",
            {"number_0": "101", "display_name_0": "Reception", "number_2": "1x"},
        )
        extra_row = web.post_form(
            "/setup/extensions",
            {"number_0": "103", "display_name_0": "Hall", "number_5": "106"},
        )  # fmt: skip
        added = web.post_form(
            "/setup/extensions",
            {"number_0": "101", "display_name_0": "Reception",
             "number_1": "102", "display_name_1": "Sales"},
        )  # fmt: skip
    finally:
        server.stop()
    home_after = web.get("/")
    before = dt.datetime.now(zoneinfo.ZoneInfo("Europe/Berlin"))
    dashboard, monitor = web.get("/dashboard"), web.get("/monitor")
    after = dt.datetime.now(zoneinfo.ZoneInfo("Europe/Berlin"))

    assert home.location == "/setup"
    assert zone.location == "/setup/network"
    assert bad_zone.status == 422 and "time zone such as" in bad_zone.body
    assert "127.0.0.1" in network.body and str(pbx.sip_port) in network.body
    assert f'id="network-sip-tls">port {pbx.sip_tls_port} ' in network.body
    # Times on every page are the chosen zone's clock, not UTC.
    hours = {before.strftime("%Y-%m-%d %H:"), after.strftime("%Y-%m-%d %H:")}
    assert any(f"<li>{hour}" in dashboard.body for hour in hours), dashboard.body
    hours = {before.strftime("As of %H:"), after.strftime("As of %H:")}
    assert any(hour in monitor.body for hour in hours), monitor.body
    assert "A test message was sent to owner@example.com" in mail.body
    assert tested.recipients == ["owner@example.com"]
    assert unreachable.status == 422
    assert "settings were saved; the test message was not sent" in unreachable.body
    assert kept["port"] == nobody
    assert bad_security.status == 422
    assert 'id="mail-security-error">security' in bad_security.body
    assert wrong_rows.status == 422 and "Row 3:" in wrong_rows.body
    assert extra_row.status == 422
    assert "number_5: not a field of this form" in extra_row.body
    assert 'value="103"' in extra_row.body
    assert added.status == 201 and added.body.count('class="sip-password"') == 2
    assert home_after.location == "/extensions"
    listed = pbx.cli("extension", "list", "--json").json()
    assert [e["number"] for e in listed] == ["101", "102"]
    shown = pbx.cli("mail", "show", "--json")
    assert shown.json()["host"] == "127.0.0.1"


def test_only_a_super_administrator_is_sent_into_the_wizard(pbx):
    from tests.webclient import signed_in

    administrator = signed_in(pbx, "administrator")
    operator = signed_in(pbx, "operator")
    assert administrator.get("/").location == "/extensions"
    assert operator.get("/").location == "/extensions"
    assert operator.get("/setup/timezone").status == 403
