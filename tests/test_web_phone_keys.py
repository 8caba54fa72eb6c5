"""The phone page's keys, overrides and provisioning credentials."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from tests.pbx import RunningPbx
from tests.webclient import multipart, signed_in

MAC = "805ec0000061"


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("webkeys") / "var").start()
    running.add_extension("101", "Front desk")
    running.add_extension("102", "Office")
    assert running.add_phone(MAC, "101").returncode == 0
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(office):
    return signed_in(office, "administrator")


def test_keys_saved_on_the_page_are_listed_and_in_the_phones_file(office, admin):
    reply = admin.post_form(
        f"/phones/{MAC}/keys",
        {"keys": "blf:102\npark:7001:Parking lot"},
        csrf_from=f"/phones/{MAC}",
    )
    page = admin.get(f"/phones/{MAC}").body
    file = office.cli("phone", "file", f"{MAC}.cfg").stdout

    assert reply.status == 303
    assert "Office" in page and "Parking lot" in page
    assert "linekey.2.value = 7001" in file


def test_a_wrong_key_is_shown_next_to_the_keys_and_nothing_changes(office, admin):
    before = office.cli("phone", "keys", MAC, "--json").stdout
    reply = admin.post_form(
        f"/phones/{MAC}/keys", {"keys": "blf:555"}, csrf_from=f"/phones/{MAC}"
    )
    error = re.search(r'id="keys-error">([^<]*)<', reply.body)

    assert reply.status == 422
    assert error and 'target "555"' in html.unescape(error.group(1))
    assert office.cli("phone", "keys", MAC, "--json").stdout == before


def test_overrides_and_credentials_are_set_on_the_page(office, admin):
    admin.post_form(
        f"/phones/{MAC}/overrides",
        {"overrides": "lang.gui = French"},
        csrf_from=f"/phones/{MAC}",
    )
    admin.post_form(
        f"/phones/{MAC}/http-auth", {"mode": "required"}, csrf_from=f"/phones/{MAC}"
    )
    page = admin.get(f"/phones/{MAC}").body
    password = office.cli("phone", "auth", MAC, "--json").json()["password"]

    assert "lang.gui = French" in page
    assert "required (in effect: required)" in page
    assert password in page


def test_an_operator_sees_keys_but_no_credentials_or_forms(office):
    operator = signed_in(office, "operator")
    page = operator.get(f"/phones/{MAC}").body

    assert "Programmable keys" in page
    assert "Provisioning credentials" not in page
    assert f'action="/phones/{MAC}/keys"' not in page


def test_a_template_is_previewed_then_saved_on_its_page(office, admin):
    page = "/phones/templates/yealink/T54W/mac"
    broken = admin.post_form(
        page, {"body": "{{ built_in }}\n{% endif %}", "action": "save"}, csrf_from=page
    )
    preview = admin.post_form(
        page,
        {
            "body": "{{ built_in }}custom.note = {{ phone.model }}\n",
            "action": "preview",
        },
        csrf_from=page,
    )
    nothing_yet = office.cli("phone", "template", "list", "--json").json()
    saved = admin.post_form(
        page,
        {"body": "{{ built_in }}custom.note = {{ phone.model }}\n", "action": "save"},
        csrf_from=page,
    )
    served = office.cli("phone", "file", f"{MAC}.cfg").stdout
    listed = admin.get("/phones/templates").body
    [kept] = office.cli("phone", "template", "list", "--json").json()
    kept_at = dt.datetime.fromisoformat(kept["updated_at"])

    assert broken.status == 422
    error = re.search(r'id="body-error"[^>]*>([^<]*)<', broken.body)
    assert error and "line 2" in error.group(1)
    assert preview.status == 200
    assert "custom.note = T54W" in html.unescape(preview.body)
    assert nothing_yet == []
    assert saved.status == 303
    assert "custom.note = T54W" in served
    assert 'href="/phones/templates/yealink/T54W/mac"' in listed
    # The appliance's zone (UTC until the wizard sets one), named in the head.
    assert "Saved (UTC)" in listed
    shown = f"{kept_at:%Y-%m-%d %H:%M:%S}</time> by"
    assert f'<time datetime="{kept["updated_at"]}">{shown}' in listed


def test_a_runaway_template_is_refused_on_its_page_with_the_rule(office, admin):
    page = "/phones/templates/yealink/T46U/mac"
    runaway = (
        "{{ built_in }}{% for i in range(100000) %}"
        "{% for j in range(100000) %}x{% endfor %}{% endfor %}"
    )
    refused = [
        admin.post_form(page, {"body": runaway, "action": action}, csrf_from=page)
        for action in ("preview", "save")
    ]
    listed = admin.get("/phones/templates").body

    for reply in refused:
        assert reply.status == 422
        error = re.search(r'id="body-error"[^>]*>([^<]*)<', reply.body)
        assert error and "steps (loop iterations, calls, filters)" in error.group(1)
    assert "/phones/templates/yealink/T46U/mac" not in listed


def test_firmware_uploaded_on_the_page_becomes_the_models_target(office, admin):
    token = admin.get("/phones/firmware").csrf_token()
    data = b"\x7fELF-not-really" * 20_000  # larger than a form may be
    body, content_type = multipart(
        {
            "csrf_token": token,
            "vendor": "yealink",
            "model": "T54W",
            "version": "96.86.0.120",
            "target": "1",
        },
        "T54W-96.86.0.120.rom",
        data,
    )
    reply = admin.request(
        "POST",
        "/phones/firmware/upload",
        body=body,
        headers={"Content-Type": content_type},
    )
    page = admin.get("/phones/firmware").body
    file = office.cli("phone", "file", f"{MAC}.cfg").stdout

    assert reply.status == 303, reply.body[:500]
    assert "T54W-96.86.0.120.rom" in page
    assert "/prov/T54W-96.86.0.120.rom" in file
