"""The phone pages of the web admin: list, add, show, remove, by role."""

from __future__ import annotations

import re

import pytest

from tests.pbx import RunningPbx
from tests.webclient import api_client, signed_in


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("webphones") / "var").start()
    running.add_extension("101", "Front desk")
    running.add_extension("102", "Office")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(office):
    return signed_in(office, "administrator")


def test_a_phone_added_on_the_page_shows_its_lines_and_admin_password(office, admin):
    reply = admin.post_form(
        "/phones/new",
        {
            "mac": "80:5E:C0:00:00:21",
            "vendor": "yealink",
            "model": "T54W",
            "extensions": "101 102",
        },
        csrf_from="/phones",
    )
    page = admin.get("/phones/805ec0000021").body
    listed = admin.get("/phones").body
    password = office.cli(
        "phone", "show", "805ec0000021", "--admin-password", "--json"
    ).json()["admin_password"]

    assert reply.status == 303 and reply.location == "/phones/805ec0000021"
    assert "101, 102" in page
    assert password in page
    assert 'href="/phones/805ec0000021"' in listed


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"mac": "12345"}, "mac", 'mac "12345"'),
        ({"model": "CP960"}, "model", "T3x, T4x or T5x"),
        ({"extensions": "999"}, "extensions", 'extension "999"'),
    ],
)
def test_bad_input_is_shown_next_to_its_field(office, admin, form, field, message):
    values = {
        "mac": "805ec0000031",
        "vendor": "yealink",
        "model": "T54W",
        "extensions": "101",
    } | form
    reply = admin.post_form("/phones/new", values, csrf_from="/phones")

    assert reply.status == 422
    error = re.search(rf'id="{field}-error">([^<]*)<', reply.body)
    assert error and message in error.group(1).replace("&quot;", '"')
    assert "805ec0000031" not in office.cli("phone", "list", "--json").stdout


def test_edge_e_and_gxv_phones_are_added_on_the_page_and_over_the_api(office, admin):
    api = api_client(office, "administrator")
    edge = admin.post_form(
        "/phones/new",
        {
            "mac": "64:16:7F:00:00:61",
            "vendor": "polycom",
            "model": "E450",
            "extensions": "101",
        },
        csrf_from="/phones",
    )
    gxv = api.request(
        "POST",
        "/api/v1/phones",
        json_body={
            "mac": "00:0B:82:00:00:62",
            "vendor": "grandstream",
            "model": "GXV3450",
            "extensions": ["101", "102"],
        },
    )
    poly = api.request(
        "POST",
        "/api/v1/phones",
        json_body={
            "mac": "64:16:7F:00:00:65",
            "vendor": "poly",
            "model": "E350",
            "extensions": ["102"],
        },
    )
    too_many = api.request(
        "POST",
        "/api/v1/phones",
        json_body={
            "mac": "00:0B:82:00:00:63",
            "vendor": "grandstream",
            "model": "GRP2612",
            "extensions": ["101", "102", "103"],
        },
    )
    edge_b = admin.post_form(
        "/phones/new",
        {
            "mac": "64:16:7F:00:00:64",
            "vendor": "polycom",
            "model": "B30",
            "extensions": "101",
        },
        csrf_from="/phones",
    )

    assert edge.status == 303 and edge.location == "/phones/64167f000061"
    assert "polycom E450" in admin.get("/phones/64167f000061").body
    assert gxv.status == 201 and gxv.json()["model"] == "GXV3450"
    assert poly.status == 201 and poly.json()["vendor"] == "polycom"
    assert too_many.status == 422 and too_many.json()["field"] == "extensions"
    assert "Grandstream GRP2612: at most 2 lines" in too_many.json()["detail"]
    assert edge_b.status == 422
    error = re.search(r'id="model-error">([^<]*)<', edge_b.body)
    assert error and "an Edge B phone (B10, B20, B30)" in error.group(1)
    listed = office.cli("phone", "list", "--json").stdout
    assert "000b82000063" not in listed and "64167f000064" not in listed


def test_an_operator_sees_phones_but_neither_passwords_nor_forms(office):
    office.add_phone("805ec0000041", "101", model="T46U")
    operator = signed_in(office, "operator")
    listed = operator.get("/phones")
    page = operator.get("/phones/805ec0000041")
    refused = operator.request(
        "POST",
        "/phones/805ec0000041/delete",
        form={"csrf_token": page.csrf_token()},
    )

    assert listed.status == 200 and "805ec0000041" in listed.body
    assert 'action="/phones/new"' not in listed.body
    assert "Admin password" not in page.body
    assert refused.status == 403


def test_a_phone_is_removed_from_its_page(office, admin):
    office.add_phone("805ec0000051", "102", model="T46U")
    reply = admin.post_form(
        "/phones/805ec0000051/delete", {}, csrf_from="/phones/805ec0000051"
    )

    assert reply.status == 303 and reply.location == "/phones"
    assert "805ec0000051" not in office.cli("phone", "list", "--json").stdout
