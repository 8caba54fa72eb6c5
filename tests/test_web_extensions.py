"""The extension pages: list, add, change, delete, registrations, audit."""

from __future__ import annotations

import html
import os
import re
import signal
import time

import pytest

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.settings import Settings
from tests.sipraw import SipClient
from tests.webclient import signed_in

SHOWN_PASSWORD = re.compile(r'<code id="sip-password" class="secret">([^<]+)</code>')
# A list page is one SQL query with LIMIT/OFFSET; even on a slow test
# machine it answers well inside this with thousands of extensions.
LIST_PAGE_BUDGET_S = 1.0


def add_through_the_form(web, number: str, name: str, email: str = ""):
    return web.post_form(
        "/extensions/new",
        {"number": number, "display_name": name, "email": email},
    )


def numbers_listed(pbx) -> list[str]:
    return [e["number"] for e in pbx.cli("extension", "list", "--json").json()]


def test_the_password_shown_once_after_adding_registers_a_phone(pbx):
    web = signed_in(pbx)
    added = add_through_the_form(web, "101", "Front desk")
    shown = web.get(added.location)
    [password] = SHOWN_PASSWORD.findall(shown.body)
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        registered = phone.send_with_auth(
            "REGISTER", f"sip:127.0.0.1:{pbx.sip_port}", "101", password
        )
    page = web.get("/extensions/101")

    assert (added.status, added.location) == (303, "/extensions/101/added")
    assert shown.status == 200
    assert shown.headers["cache-control"] == "no-store"
    assert registered.status == 200
    assert password not in page.body


def test_reloading_the_added_page_neither_posts_again_nor_shows_the_password(pbx):
    web = signed_in(pbx)
    added = add_through_the_form(web, "101", "Front desk")
    first = web.get(added.location)
    reloaded = web.get(added.location)
    other_session = signed_in(pbx).get(added.location)
    flash_dir = pbx.data_dir / "run" / "web-flash"

    assert SHOWN_PASSWORD.search(first.body)
    assert reloaded.status == 200
    assert "Extension 101 added" in reloaded.body
    assert "already exists" not in reloaded.body
    assert not SHOWN_PASSWORD.search(reloaded.body)
    assert "was shown once" in reloaded.body
    assert not SHOWN_PASSWORD.search(other_session.body)
    assert list(flash_dir.iterdir()) == []
    assert numbers_listed(pbx) == ["101"]


def test_a_page_past_the_end_of_the_list_says_so(pbx):
    pbx.add_extension("101", "Front desk")
    web = signed_in(pbx)
    past = web.get("/extensions?page=999")
    empty_search = web.get("/extensions?q=nobody")

    assert past.status == 200
    assert "No extensions yet" not in past.body
    assert "Nothing on page 999" in past.body
    assert 'href="/extensions?sort=number&amp;order=asc&amp;page=1"' in past.body
    assert "No extension matches." in empty_search.body


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"number": "1O1", "display_name": "A"}, "number", "digits only"),
        ({"number": "102", "display_name": ""}, "display_name", "must not be empty"),
        (
            {"number": "102", "display_name": "A", "email": "no-at-sign"},
            "email",
            "an address like",
        ),
        ({"number": "101", "display_name": "Again"}, "number", "already exists"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_writes_nothing(
    pbx, form, field, message
):
    web = signed_in(pbx)
    add_through_the_form(web, "101", "Front desk")
    reply = web.post_form("/extensions/new", {"email": "", **form})

    assert reply.status in {409, 422}
    error = re.search(rf'id="{field}-error">([^<]*)<', reply.body)
    assert error and message in error.group(1)
    assert numbers_listed(pbx) == ["101"]


def test_names_are_escaped_everywhere_they_are_shown(pbx):
    web = signed_in(pbx)
    add_through_the_form(web, "101", "<script>alert(1)</script>")
    for path in ("/extensions", "/extensions/101", "/audit"):
        body = web.get(path).body
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_an_extension_is_changed_and_deleted_through_its_page(pbx):
    web = signed_in(pbx)
    add_through_the_form(web, "101", "Front desk")
    bad = web.post_form("/extensions/101", {"display_name": "", "enabled": "on"})
    saved = web.post_form(
        "/extensions/101",
        {"display_name": "Reception", "email": "desk@example.com"},
    )
    shown = pbx.cli("extension", "show", "101", "--json").json()
    deleted = web.post_form("/extensions/101/delete", {}, csrf_from="/extensions/101")

    assert bad.status == 422 and 'id="display_name-error"' in bad.body
    assert saved.status == 303
    assert shown["display_name"] == "Reception"
    assert shown["email"] == "desk@example.com"
    assert shown["enabled"] is False  # the box was not ticked
    assert deleted.location == "/extensions"
    assert numbers_listed(pbx) == []


def test_the_list_shows_which_extensions_have_a_phone_registered(pbx):
    password = pbx.add_extension("101", "Front desk")
    pbx.add_extension("102", "Office")
    web = signed_in(pbx)
    with SipClient("127.0.0.1", pbx.sip_port) as phone:
        phone.send_with_auth(
            "REGISTER", f"sip:127.0.0.1:{pbx.sip_port}", "101", password
        )
        page = web.get("/extensions").body

    rows = dict(
        re.findall(r'href="/extensions/(\d+)">.*?class="status (\w+)"', page, re.S)
    )
    assert rows == {"101": "online", "102": "offline"}


def test_the_list_still_works_when_the_sip_core_does_not_answer(pbx):
    pbx.add_extension("101", "Front desk")
    web = signed_in(pbx)
    kamailio = pbx.kamailio_pid()
    os.killpg(kamailio, signal.SIGSTOP)
    try:
        page = web.get("/extensions")
        api = web.get("/api/v1/extensions").json()
    finally:
        os.killpg(kamailio, signal.SIGCONT)

    assert page.status == 200
    assert "Registration status unknown" in page.body
    assert 'class="status unknown"' in page.body
    assert api["items"][0]["registered_phones"] is None


def open_in_process(pbx) -> Appliance:
    """The running appliance's database, opened by the test itself."""
    return Appliance.open(
        Settings(
            data_dir=pbx.data_dir,
            bind="127.0.0.1",
            sip_port=pbx.sip_port,
            http_port=pbx.http_port,
            https_port=pbx.https_port,
            tftp_port=6969,
        )
    )


def test_thousands_of_extensions_are_searched_sorted_and_paged_quickly(pbx):
    appliance = open_in_process(pbx)
    service = appliance.extensions_as(CONSOLE)
    with appliance.db.atomic():
        for n in range(3000):
            service.add(str(10000 + n), f"Person {n:04d}", password="Long-Enough-Pw-9")
    appliance.close()
    web = signed_in(pbx)

    started = time.monotonic()
    page = web.get("/extensions?sort=display_name&order=desc&page=3")
    elapsed = time.monotonic() - started
    found = web.get("/extensions?q=Person+0042").body
    names = re.findall(r'<td class="display_name">(Person \d+)</td>', page.body)

    assert elapsed < LIST_PAGE_BUDGET_S
    assert names[0] == "Person 2899" and len(names) == 50
    assert "Page 3 of 60" in page.body
    assert re.findall(r'<td class="display_name">(Person \d+)</td>', found) == [
        "Person 0042"
    ]


def test_the_audit_log_records_who_changed_what_with_secrets_masked(pbx):
    web = signed_in(pbx)
    add_through_the_form(web, "101", "Front desk")
    web.post_form("/extensions/101", {"display_name": "Reception", "enabled": "on"})
    changed = pbx.cli(
        "extension",
        "set-password",
        "101",
        "--password-stdin",
        stdin="Fresh-Pass-2026\n",
    )
    log = web.get("/audit").body
    rows = audit_rows(log)

    assert changed.returncode == 0
    assert ("console", "set-password", "extension 101") in rows
    assert ("admin", "update", "extension 101") in rows
    assert ("admin", "create", "extension 101") in rows
    assert "display_name=Front desk" in log and "display_name=Reception" in log
    assert "Fresh-Pass-2026" not in log
    assert "password=********" in log


def audit_rows(page: str) -> list[tuple[str, str, str]]:
    """(who, what, object) of each row of the audit log page."""
    cell = r"<td[^>]*>([^<]+)</td>"
    return re.findall(r"<td[^>]*>[^<]+</td>" + cell * 3, page)


def test_the_audit_log_shows_an_empty_value_as_a_dash_and_no_change_as_nothing(
    pbx,
):
    web = signed_in(pbx)
    add_through_the_form(web, "101", "Front desk")
    unchanged = web.post_form(
        "/extensions/101", {"display_name": "Front desk", "email": "", "enabled": "on"}
    )
    log = web.get("/audit").body

    assert unchanged.headers["location"] == "/extensions/101?notice=unchanged"
    assert ("admin", "update", "extension 101") not in audit_rows(log)
    assert "email=—" in log
    assert "None" not in log


def test_an_e_mail_address_another_extension_has_is_refused_beside_its_field(pbx):
    web = signed_in(pbx)
    add_through_the_form(web, "206", "Ana", "ana@example.com")
    add_through_the_form(web, "207", "Bo")

    added = add_through_the_form(web, "160", "Lab", "ANA@example.com")
    changed = web.post_form(
        "/extensions/207",
        {"display_name": "Bo", "email": "Ana@Example.com", "enabled": "on"},
    )

    for reply in (added, changed):
        assert reply.status == 422
        error = re.search(r'id="email-error">([^<]*)<', reply.body)
        assert error and "already extension 206" in html.unescape(error.group(1))
    assert numbers_listed(pbx) == ["206", "207"]
    assert pbx.cli("extension", "show", "207", "--json").json()["email"] is None
