"""The user portal, company and personal contacts, and CSV imports,
through the pages, the REST API and the CLI of a running appliance."""

from __future__ import annotations

import re

import pytest

from tests.mailserver import MailServer
from tests.pbx import RunningPbx
from tests.webclient import (
    CHOSEN_PASSWORD,
    api_client,
    client,
    portal_account,
    portal_user,
    signed_in,
)


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("portal") / "var").start()
    for number, name in (("101", "Reception"), ("102", "Sales"), ("201", "Depot")):
        running.add_extension(number, name)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(shared_pbx):
    return signed_in(shared_pbx)


def test_a_user_signs_into_the_portal_with_the_extension_number(shared_pbx, admin):
    password = portal_account(admin, "101")
    user = client(shared_pbx)

    first = user.sign_in("101", password)
    changed = user.change_password(password, CHOSEN_PASSWORD)
    home = user.get("/")
    portal = user.get("/portal")
    admin_page = user.get("/extensions")

    assert first.location == "/password"
    assert changed.status == 303
    assert home.location == "/portal"
    assert "Reception" in portal.body and "My contacts" in portal.body
    assert admin_page.status == 403
    assert 'href="/extensions"' not in portal.body


def test_a_user_signs_in_with_the_extension_e_mail_too(shared_pbx, admin):
    api = api_client(shared_pbx, "administrator")
    api.request(
        "PATCH", "/api/v1/extensions/102", json_body={"email": "sam@example.com"}
    )
    password = portal_account(admin, "102")

    signed = client(shared_pbx).sign_in("Sam@Example.com", password)
    wrong = client(shared_pbx).sign_in("sam@example.com", password + "x")

    assert signed.location == "/password"
    assert wrong.status == 422


def test_portal_sign_in_details_are_mailed_to_the_extension(shared_pbx, admin):
    server = MailServer().start()
    try:
        api = api_client(shared_pbx, "super-administrator")
        api.request(
            "PATCH",
            "/api/v1/mail",
            json_body={
                "host": "127.0.0.1",
                "port": server.port,
                "security": "none",
                "sender": "pbx@example.com",
            },
        )
        shared_pbx.cli("extension", "add", "103", "--name", "Mia", "--email",
                       "mia@example.com")  # fmt: skip
        made = api.request("POST", "/api/v1/extensions/103/portal-account")
        received = server.wait_for(1)[0]
    finally:
        server.stop()
    body = received.message.get_content()

    assert made.status == 201 and made.json()["mailed"] == "sent"
    assert received.recipients == ["mia@example.com"]
    assert made.json()["one_time_password"] in body
    assert "103" in body


def test_the_cli_says_why_sign_in_details_were_not_mailed(shared_pbx):
    shared_pbx.add_extension("104", "Noor")  # no e-mail address

    made = shared_pbx.cli("account", "portal", "104")

    assert made.returncode == 0, made.stderr
    assert "not e-mailed: the extension has no e-mail address" in made.stdout
    assert "one-time password: " in made.stdout


def test_personal_contacts_import_all_or_nothing_and_stay_personal(shared_pbx, admin):
    password = portal_account(admin, "201")
    user = client(shared_pbx)
    user.sign_in("201", password)
    user.change_password(password, CHOSEN_PASSWORD)
    token = user.get("/portal/contacts").csrf_token()

    def upload(text: str):
        return user.request(
            "POST",
            "/portal/contacts/import",
            body=_multipart({"csrf_token": token, "text": text}),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )

    refused = upload("name,number\nMum,0123 456\nNobody,\nDad,not-a-number\n")
    after_refused = user.get("/api/v1/me/contacts").json()
    imported = upload("name,number,company\nMum,0123 456,\nPlumber,555-12,Pipes\n")
    mine = user.get("/portal/contacts")
    others = api_client(shared_pbx, "administrator").get(
        "/api/v1/extensions/201/contacts"
    )

    assert refused.status == 422
    assert "Row 3: number" in refused.body and "Row 4: number" in refused.body
    assert after_refused == []
    assert imported.status == 303
    assert "Mum" in mine.body and "0123456" in mine.body and "Pipes" in mine.body
    assert others.json() == []  # personal contacts are not the company's


def test_a_contact_without_a_name_is_shown_at_the_name(shared_pbx, admin):
    shared_pbx.add_extension("150", "Support")
    user = portal_user(shared_pbx, admin, "150")
    form = {"name": "", "number": "0123 456"}

    mine = user.post_form("/portal/contacts/add", form, csrf_from="/portal/contacts")
    admin.post_form("/contacts/new", {"name": "Suppliers"}, csrf_from="/contacts")
    company = admin.post_form(
        "/contacts/Suppliers/add", form, csrf_from="/contacts/Suppliers"
    )
    api = api_client(shared_pbx, "administrator").request(
        "POST",
        "/api/v1/phonebooks/Suppliers/contacts",
        json_body={"name": "", "number": "1"},
    )

    for reply in (mine, company):
        assert reply.status == 422
        shown = re.search(r'id="contact-name-error">([^<]*)<', reply.body)
        assert shown and "must not be empty" in shown.group(1), reply.body
    assert api.status == 422 and api.json()["field"] == "name"


def test_company_phonebooks_are_shown_to_the_extensions_they_are_for(shared_pbx):
    api = api_client(shared_pbx, "administrator")
    api.request("POST", "/api/v1/phonebooks", json_body={"name": "Everyone"})
    api.request(
        "POST",
        "/api/v1/phonebooks",
        json_body={"name": "Depot", "visible_to": "200-299"},
    )

    def import_into(book: str, text: str):
        return api.request(
            "POST",
            f"/api/v1/phonebooks/{book}/import",
            body=text.encode(),
            headers={"Content-Type": "text/csv"},
        )

    refused = import_into("Everyone", "name,number\nTaxi,555\n,556\nBad,abc\n")
    import_into("Everyone", "name,number,company\nTaxi,555 0101,Cabs\n")
    import_into("Depot", "name,number\nForklift service,555 0202\n")
    reception = shared_pbx.cli("contact", "list", "--extension", "101", "--json")
    depot = shared_pbx.cli("contact", "list", "--extension", "201", "--json")

    assert refused.status == 422
    assert [(r["row"], r["field"]) for r in refused.json()["rows"]] == [
        (3, "name"),
        (4, "number"),
    ]
    assert [c["name"] for c in reception.json()] == ["Taxi"]
    assert {c["name"] for c in depot.json()} >= {"Taxi", "Forklift service"}
    removed = api.request("DELETE", "/api/v1/phonebooks/Depot")
    depot_after = shared_pbx.cli("contact", "list", "--extension", "201", "--json")
    assert removed.status == 204
    assert "Forklift service" not in {c["name"] for c in depot_after.json()}


def test_extensions_import_from_csv_all_or_nothing(shared_pbx, admin):
    page = admin.get("/extensions/import")
    token = page.csrf_token()

    def upload(text: str):
        return admin.request(
            "POST",
            "/extensions/import",
            body=_multipart({"csrf_token": token}, file=text),
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )

    before = shared_pbx.cli("extension", "list", "--json").json()
    refused = upload("number,display_name\n301,Ann\n101,Taken\n3x2,Bad\n301,Twice\n")
    unchanged = shared_pbx.cli("extension", "list", "--json").json()
    imported = upload("number,display_name,email\n301,Ann,ann@example.com\n302,Bo,\n")
    api_refused = api_client(shared_pbx, "administrator").request(
        "POST",
        "/api/v1/extensions/import",
        body=b"number,display_name\n303,Cy\n302,Again\n",
        headers={"Content-Type": "text/csv"},
    )

    assert refused.status == 422
    for row in ('Row 3: extension "101": already exists', "Row 4:", "Row 5:"):
        assert row in refused.body.replace("&quot;", '"')
    assert unchanged == before
    assert imported.status == 201
    assert len(re.findall(r"<code>[A-Za-z0-9]{16}</code>", imported.body)) == 2
    assert api_refused.status == 422
    assert api_refused.json()["rows"][0]["row"] == 3
    listed = {e["number"] for e in shared_pbx.cli("extension", "list", "--json").json()}
    assert {"301", "302"} <= listed and "303" not in listed


def test_the_cli_imports_extensions_and_reports_every_wrong_row(pbx_data, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("number,display_name\n401,One\n402,Two\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("number,display_name,colour\n403,Three,red\n")

    imported = pbx_data.cli("extension", "import", str(good), "--json")
    refused = pbx_data.cli("extension", "import", str(bad), "--json")

    assert imported.returncode == 0
    assert [e["number"] for e in imported.json()] == ["401", "402"]
    assert refused.returncode == 2
    assert refused.json()["error"]["field"] == "csv"


BOUNDARY = "edgepbx-test-boundary"


def _multipart(fields: dict[str, str], file: str | None = None) -> bytes:
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n"
        )
    if file is not None:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="import.csv"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n'
        )
    parts.append(f"--{BOUNDARY}--\r\n")
    return "".join(parts).encode()


def test_a_phonebook_name_with_a_slash_is_refused(shared_pbx):
    api = api_client(shared_pbx, "administrator")

    refused = api.request(
        "POST", "/api/v1/phonebooks", json_body={"name": "Sales/../Admin"}
    )

    assert refused.status == 422
    assert "must not contain /" in refused.json()["detail"]
    names = [b["name"] for b in api.get("/api/v1/phonebooks").json()]
    assert "Sales/../Admin" not in names
