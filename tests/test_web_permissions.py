"""Each role against each endpoint and page: predefined roles and a custom
role with view or edit per module and only some extensions.

Who may do what is one table (``agent.accounts.roles``), enforced by the
services; here every API route and page is asked by every role and must
answer 2xx exactly when the role holds the permission the route needs, and
403 otherwise.
"""

from __future__ import annotations

import itertools
import json
import socket
import time

import pytest

from agent.accounts.roles import PERMISSIONS, Permission, Role
from agent.routes.service import InboundRouteInfo
from tests.pbx import RunningPbx
from tests.test_web_portal_voicemail import tone_wav
from tests.webclient import api_client, field_error, signed_in
from webadmin import form_versions, pages_trunks

P = Permission
CUSTOM = "frontdesk"
# The custom role: sees and changes contacts, views extensions 100-199 only.
CUSTOM_GRANTS = {P.VIEW_EXTENSIONS, P.VIEW_CONTACTS, P.CHANGE_CONTACTS}
# A second custom role for the things of extensions 100-199 only: changes
# their mailboxes and reads their call records.
DESK = "mediadesk"
ROLES = [r.value for r in Role] + [CUSTOM]
_unique = itertools.count(300)


def grants(role: str) -> set[Permission]:
    return CUSTOM_GRANTS if role == CUSTOM else set(PERMISSIONS[Role(role)])


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("permissions") / "var").start()
    running.add_extension("101", "Reception")
    running.add_extension("201", "Warehouse")
    made = running.cli(
        "role", "add", CUSTOM,
        "--module", "extensions=view",
        "--module", "contacts=edit",
        "--extensions", "100-199",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    made = running.cli(
        "role", "add", DESK,
        "--module", "voicemail and IVR=edit",
        "--module", "call routing=view",
        "--extensions", "100-199",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert running.cli("phonebook", "add", "Company").returncode == 0
    yield running
    running.stop()


def api_calls(pbx) -> list[tuple[str, str, object, Permission | None]]:
    """(method, path, JSON body, CSV text or WAV bytes, what it needs) per operation;
    None: anyone signed in. Each call makes new names, so it can succeed."""
    n = next(_unique)
    assigned, forgotten = seen_phone(pbx, n, 1), seen_phone(pbx, n, 2)
    csv = f"number,display_name\n{n + 500},Imported\n"
    hook = pbx.cli("webhook", "add", f"https://127.0.0.1:9/gone{n}",
                   "--types", "backup-done", "--json").json()["id"]  # fmt: skip
    inbound = f"5550{n}"
    routed = pbx.cli("inbound", "add", inbound, "--to", "101")
    assert routed.returncode == 0, routed.stderr
    return [
        ("GET", "/api/v1/openapi.json", None, None),
        ("GET", "/api/v1/me", None, None),
        ("GET", "/api/v1/extensions", None, P.VIEW_EXTENSIONS),
        ("GET", "/api/v1/extensions/101", None, P.VIEW_EXTENSIONS),
        ("GET", "/api/v1/extensions/101/features", None, P.VIEW_EXTENSIONS),
        ("PUT", "/api/v1/extensions/101/features", {"no_answer_s": 25},
         P.CHANGE_EXTENSIONS),
        ("POST", "/api/v1/extensions", {"number": str(n), "display_name": "N"},
         P.CHANGE_EXTENSIONS),
        ("POST", "/api/v1/extensions/import", csv, P.CHANGE_EXTENSIONS),
        ("GET", "/api/v1/phones", None, P.VIEW_EXTENSIONS),
        ("GET", "/api/v1/phones/seen", None, P.VIEW_EXTENSIONS),
        ("POST", f"/api/v1/phones/seen/{assigned}/assign",
         {"extensions": ["201"], "model": "T54W"},
         P.CHANGE_EXTENSIONS),
        ("DELETE", f"/api/v1/phones/seen/{forgotten}", None, P.CHANGE_EXTENSIONS),
        ("GET", "/api/v1/provisioning/site", None, P.VIEW_EXTENSIONS),
        ("PUT", "/api/v1/provisioning/site", {"language": "en"}, P.CHANGE_EXTENSIONS),
        ("GET", "/api/v1/roles", None, P.MANAGE_ACCOUNTS),
        ("POST", "/api/v1/roles", {"name": f"r{n}", "modules": {"audit": "view"}},
         P.MANAGE_ACCOUNTS),
        ("GET", "/api/v1/accounts", None, P.MANAGE_ACCOUNTS),
        ("POST", "/api/v1/accounts", {"username": f"a{n}", "role": "operator"},
         P.MANAGE_ACCOUNTS),
        ("GET", "/api/v1/tokens", None, P.MANAGE_ACCOUNTS),
        ("POST", "/api/v1/tokens", {"name": f"t{n}", "role": "operator"},
         P.MANAGE_ACCOUNTS),
        ("GET", "/api/v1/phonebooks", None, P.VIEW_CONTACTS),
        ("POST", "/api/v1/phonebooks", {"name": f"Book {n}"}, P.CHANGE_CONTACTS),
        ("GET", "/api/v1/phonebooks/Company/contacts", None, P.VIEW_CONTACTS),
        ("POST", "/api/v1/phonebooks/Company/contacts",
         {"name": f"Supplier {n}", "number": "+44 20 7946 0000"}, P.CHANGE_CONTACTS),
        ("POST", "/api/v1/phonebooks/Company/import",
         f"name,number\nImported {n},555\n", P.CHANGE_CONTACTS),
        ("GET", "/api/v1/extensions/101/contacts", None, P.VIEW_CONTACTS),
        ("GET", "/api/v1/bans", None, P.VIEW_SECURITY),
        ("GET", "/api/v1/firewall", None, P.VIEW_SECURITY),
        ("GET", "/api/v1/mail", None, P.VIEW_SYSTEM_SETTINGS),
        ("GET", "/api/v1/backups/schedule", None, P.MANAGE_BACKUPS),
        ("GET", "/api/v1/backups/stored", None, P.MANAGE_BACKUPS),
        ("GET", "/api/v1/storage", None, P.VIEW_SYSTEM_SETTINGS),
        ("GET", "/api/v1/storage/retention", None, P.VIEW_SYSTEM_SETTINGS),
        ("PUT", "/api/v1/storage/retention/logs", {"max_days": 30},
         P.CHANGE_SYSTEM_SETTINGS),
        ("POST", "/api/v1/storage/clean", {"kind": "logs"},
         P.CHANGE_SYSTEM_SETTINGS),
        ("GET", "/api/v1/inbound-routes", None, P.VIEW_CALL_ROUTING),
        ("PATCH", f"/api/v1/inbound-routes/{inbound}", {"destination": "201"},
         P.MANAGE_CALL_ROUTING),
        ("GET", "/api/v1/speed-dials", None, P.VIEW_CALL_ROUTING),
        ("PUT", f"/api/v1/speed-dials/{n % 1000}", {"number": "101"},
         P.MANAGE_CALL_ROUTING),
        ("GET", "/api/v1/monitor", None, P.VIEW_MONITOR),
        ("GET", "/api/v1/monitor/stream?for_s=1", None, P.VIEW_MONITOR),
        ("GET", "/api/v1/reports/calls?preset=this_month", None, P.VIEW_REPORTS),
        ("GET", "/api/v1/reports/calls?format=csv", None, P.VIEW_REPORTS),
        ("GET", "/api/v1/reports/schedules", None, P.VIEW_REPORTS),
        ("POST", "/api/v1/reports/schedules",
         {"name": f"Report {n}", "frequency": "weekly", "hour": 7,
          "recipients": ["boss@example.com"]}, P.MANAGE_REPORTS),
        ("GET", "/api/v1/events", None, P.VIEW_EVENTS),
        ("GET", "/api/v1/events/notifications", None, P.VIEW_EVENTS),
        ("PUT", "/api/v1/events/notifications/backup-done", {"webhook": True},
         P.MANAGE_EVENTS),
        ("GET", "/api/v1/events/options", None, P.VIEW_EVENTS),
        ("PATCH", "/api/v1/events/options", {"retention_days": 90},
         P.MANAGE_EVENTS),
        ("GET", "/api/v1/webhooks", None, P.VIEW_EVENTS),
        ("POST", "/api/v1/webhooks",
         {"url": f"https://127.0.0.1:9/new{n}", "types": ["call-ended"]},
         P.MANAGE_EVENTS),
        ("DELETE", f"/api/v1/webhooks/{hook}", None, P.MANAGE_EVENTS),
        ("GET", "/api/v1/prompts", None, P.VIEW_MEDIA),
        ("PUT", f"/api/v1/prompts/p{n}", tone_wav(0.2), P.MANAGE_MEDIA),
        ("GET", "/api/v1/music", None, P.VIEW_MEDIA),
        ("PUT", f"/api/v1/music/m{n}", tone_wav(0.2), P.MANAGE_MEDIA),
        ("GET", "/api/v1/music-on-hold", None, P.VIEW_MEDIA),
        ("PUT", "/api/v1/music-on-hold", {"enabled": True}, P.MANAGE_MEDIA),
        ("GET", "/api/v1/paging", None, P.VIEW_MEDIA),
        ("PUT", f"/api/v1/paging/9{n % 100000:05d}",
         {"name": f"Page {n}", "members": ["101"]}, P.MANAGE_MEDIA),
        ("GET", "/api/v1/paging-broadcasts", None, P.VIEW_MEDIA),
        ("PUT", f"/api/v1/paging-broadcasts/b{n}",
         {"page_group": f"9{n % 100000:05d}", "prompt": "system:beep",
          "weekdays": ["mon"], "time_of_day": "08:00"}, P.MANAGE_MEDIA),
        ("GET", "/api/v1/troubleshoot/capture", None, P.CHANGE_SYSTEM_SETTINGS),
        ("GET", "/api/v1/troubleshoot/captures", None, P.CHANGE_SYSTEM_SETTINGS),
        ("POST", "/api/v1/troubleshoot/ping", {"host": "127.0.0.1"},
         P.CHANGE_SYSTEM_SETTINGS),
        ("GET", "/api/v1/logs?level=warning", None, P.CHANGE_SYSTEM_SETTINGS),
    ]  # fmt: skip


def seen_phone(pbx, n: int, k: int) -> str:
    """A phone on the seen list: it asked for its file from an address of
    its own (the list takes one new phone per address a minute)."""
    mac = f"805ec0{n:04x}{k:02x}"
    source = f"127.0.{n % 250 + 2}.{k}"
    with socket.create_connection(
        ("127.0.0.1", pbx.http_port), timeout=10, source_address=(source, 0)
    ) as connection:
        connection.sendall(f"GET /prov/{mac}.cfg HTTP/1.0\r\n\r\n".encode())
        connection.recv(1024)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if mac in pbx.cli("phone", "seen", "--json").stdout:
            break
        time.sleep(0.2)
    return mac


# A token cannot hold the user role (it has no extension).
@pytest.mark.parametrize("role", [r for r in ROLES if r != Role.USER])
def test_every_api_operation_answers_each_role_by_its_permissions(shared_pbx, role):
    web = api_client(shared_pbx, role)
    held = grants(role)
    wrong = []
    for method, path, body, needs in api_calls(shared_pbx):
        if isinstance(body, bytes):
            reply = web.request(
                method, path, body=body, headers={"Content-Type": "audio/wav"}
            )
        elif isinstance(body, str):
            reply = web.request(
                method, path, body=body.encode(), headers={"Content-Type": "text/csv"}
            )
        else:
            reply = web.request(method, path, json_body=body)
        may = needs is None or needs in held
        if (200 <= reply.status < 300) != may or (not may and reply.status != 403):
            wrong.append((method, path, reply.status, reply.body[:200]))
    assert wrong == []


PAGES = [
    ("/extensions", P.VIEW_EXTENSIONS),
    ("/extensions/101", P.VIEW_EXTENSIONS),
    ("/extensions/new", P.CHANGE_EXTENSIONS),
    ("/extensions/import", P.CHANGE_EXTENSIONS),
    ("/dashboard", P.VIEW_EXTENSIONS),
    ("/contacts", P.VIEW_CONTACTS),
    ("/contacts/Company", P.VIEW_CONTACTS),
    ("/accounts", P.MANAGE_ACCOUNTS),
    ("/tokens", P.MANAGE_ACCOUNTS),
    ("/roles", P.MANAGE_ACCOUNTS),
    ("/roles/new", P.MANAGE_ACCOUNTS),
    ("/audit", P.VIEW_AUDIT_LOG),
    ("/security", P.VIEW_SECURITY),
    ("/speed-dials", P.VIEW_CALL_ROUTING),
    ("/routes", P.VIEW_CALL_ROUTING),
    ("/routes?outbound=none&inbound=none", P.VIEW_CALL_ROUTING),
    ("/events", P.VIEW_EVENTS),
    ("/events/settings", P.VIEW_EVENTS),
    ("/storage", P.VIEW_SYSTEM_SETTINGS),
    ("/setup/timezone", P.CHANGE_SYSTEM_SETTINGS),
    ("/monitor", P.VIEW_MONITOR),
    ("/monitor/stream?for_s=1", P.VIEW_MONITOR),
    ("/reports", P.VIEW_REPORTS),
    ("/reports.csv", P.VIEW_REPORTS),
    ("/phones/site", P.VIEW_EXTENSIONS),
    ("/voicemail", P.VIEW_MEDIA),
    ("/ivr", P.VIEW_MEDIA),
    ("/paging", P.VIEW_MEDIA),
    ("/troubleshoot", P.CHANGE_SYSTEM_SETTINGS),
    ("/logs?level=info&text=started", P.CHANGE_SYSTEM_SETTINGS),
    ("/account", None),
]


def page_forms(pbx) -> list[tuple[str, dict, Permission]]:
    """(path, form, what it needs) per page form that changes something;
    each call makes new routes, so each form can succeed."""
    n = next(_unique)
    did = f"5551{n}"
    assert pbx.cli("inbound", "add", did, "--to", "101").returncode == 0
    assert pbx.cli("inbound", "add", f"{did}9", "--to", "101").returncode == 0
    shown = pages_trunks.inbound_values(InboundRouteInfo(did, "", "extension", "101"))
    version = form_versions.version_of(shown)
    return [
        ("/routes/inbound/edit",
         {"in_editing": did, "in_editing_caller": "", "in_version": version,
          "in_did": did, "in_caller_id": "", "in_destination": "extension:201"},
         P.MANAGE_CALL_ROUTING),
        ("/routes/inbound/remove",
         {"did": f"{did}9", "caller_id": "",
          "version": form_versions.version_of(
              shown | {"in_did": f"{did}9", "in_editing": f"{did}9"})},
         P.MANAGE_CALL_ROUTING),
    ]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_by_its_permissions(shared_pbx, role):
    web = signed_in(shared_pbx, role)
    held = grants(role)
    wrong = []
    for path, needs in PAGES:
        status = web.get(path).status
        expected = 200 if needs is None or needs in held else 403
        if status != expected:
            wrong.append((path, status, expected))
    for path, form, needs in page_forms(shared_pbx):
        status = web.post_form(path, form, csrf_from="/account").status
        expected = 303 if needs in held else 403
        if status != expected:
            wrong.append((f"POST {path}", status, expected))
    portal = web.get("/portal").status  # no extension of their own
    forwarding = web.get("/portal/forwarding").status
    assert wrong == []
    assert portal == forwarding == 403


def test_a_custom_role_sees_only_its_extensions_everywhere(shared_pbx):
    api = api_client(shared_pbx, CUSTOM)
    page = signed_in(shared_pbx, CUSTOM)

    listed = {e["number"] for e in api.get("/api/v1/extensions").json()["items"]}
    outside = api.get("/api/v1/extensions/201")
    contacts_outside = api.get("/api/v1/extensions/201/contacts")
    features_outside = api.get("/api/v1/extensions/201/features")
    shown = page.get("/extensions")
    dashboard = page.get("/dashboard")

    assert "101" in listed and "201" not in listed
    assert outside.status == 404 and contacts_outside.status == 404
    assert features_outside.status == 404
    assert "Reception" in shown.body and "Warehouse" not in shown.body
    assert page.get("/extensions/201").status == 404
    assert 'id="extension-count">1<' in dashboard.body or all(
        n.startswith("1") for n in listed
    )


def test_a_custom_role_sees_only_the_phones_of_its_extensions(shared_pbx):
    for mac, number in (("00:15:65:00:01:01", "101"), ("00:15:65:00:02:01", "201")):
        added = shared_pbx.cli(
            "phone", "add", mac, "--vendor", "yealink", "--model", "T54W",
            "--extension", number,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    api = api_client(shared_pbx, CUSTOM)

    listed = [p["mac"] for p in api.get("/api/v1/phones").json()]
    outside = api.get("/api/v1/phones/001565000201")
    inside = api.get("/api/v1/phones/001565000101")
    everyone = [p["mac"] for p in api_client(shared_pbx, "operator").get(
        "/api/v1/phones").json() if p["mac"].startswith("001565")]  # fmt: skip

    assert listed == ["001565000101"]
    assert outside.status == 404 and inside.status == 200
    assert everyone == ["001565000101", "001565000201"]


def test_changing_a_custom_role_binds_its_holders_at_once(shared_pbx):
    api = api_client(shared_pbx, CUSTOM)
    before = api.get("/api/v1/phonebooks").status
    assert shared_pbx.cli("role", "set", CUSTOM, "--module", "extensions=view",
                          "--module", "contacts=none").returncode == 0  # fmt: skip
    after = api.get("/api/v1/phonebooks").status
    assert shared_pbx.cli("role", "set", CUSTOM, "--module", "extensions=view",
                          "--module", "contacts=edit").returncode == 0  # fmt: skip
    assert (before, after) == (200, 403)


def test_a_role_that_anyone_holds_cannot_be_removed(shared_pbx):
    api_client(shared_pbx, CUSTOM)
    refused = shared_pbx.cli("role", "remove", CUSTOM, "--json")
    assert refused.returncode == 2
    assert "still hold" in refused.json()["error"]["message"]


def test_the_holders_of_a_role_are_counted_in_good_english(pbx_data):
    made = pbx_data.cli("role", "add", "desk", "--module", "extensions=view")
    assert made.returncode == 0, made.stderr
    pbx_data.cli("account", "add", "kim", "--role", "desk")

    one = pbx_data.cli("role", "remove", "desk", "--json")
    pbx_data.cli("token", "create", "--role", "desk", "--name", "wallboard")
    two = pbx_data.cli("role", "remove", "desk", "--json")

    assert one.json()["error"]["message"] == (
        'role "desk": 1 account or API token still holds it'
    )
    assert two.json()["error"]["message"] == (
        'role "desk": 2 accounts or API tokens still hold it'
    )


def test_a_custom_role_cannot_grant_account_management(shared_pbx):
    refused = shared_pbx.cli(
        "role", "add", "sneaky", "--module", "accounts=edit", "--json"
    )
    assert refused.returncode == 2
    assert refused.json()["error"]["field"] == "--module"


def test_a_range_limited_role_reaches_only_the_mailboxes_of_its_extensions(
    shared_pbx,
):
    for number in ("101", "201"):
        made = shared_pbx.cli("voicemail", "set", number, "--pin", "4713")
        assert made.returncode == 0, made.stderr
    api = api_client(shared_pbx, DESK)
    page = signed_in(shared_pbx, DESK)

    listed = [b["extension"] for b in api.get("/api/v1/voicemail").json()]
    pin = api.request("PUT", "/api/v1/voicemail/201", json_body={"pin": "9024"})
    off = api.request("PUT", "/api/v1/voicemail/201", json_body={"enabled": False})
    removed = api.request("DELETE", "/api/v1/voicemail/201")
    shown = page.get("/voicemail")
    posted = page.post_form(
        "/voicemail", {"extension": "201", "pin": "9024"}, csrf_from="/voicemail"
    )
    inside = api.request("PUT", "/api/v1/voicemail/101", json_body={"pin": "9024"})

    assert listed == ["101"]
    assert (pin.status, off.status, removed.status) == (404, 404, 404)
    assert pin.json()["field"] == "extension"
    assert "<td>201</td>" not in shown.body and "<td>101</td>" in shown.body
    assert posted.status == 422
    assert field_error(posted.body, "extension") == (
        'extension "201": no such extension'
    )
    assert inside.status == 200
    box = shared_pbx.cli("voicemail", "show", "201", "--json").json()
    assert box["enabled"] is True


def call_event(pbx, event: str, call_id: str, **fields: object) -> None:
    """One call event on the agent's socket, as Kamailio's routing sends it."""
    path = pbx.data_dir / "run" / "call-events.sock"
    datagram = {"event": event, "call_id": call_id, "at": time.time(), **fields}
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.sendto(json.dumps(datagram).encode(), str(path))


def test_a_range_limited_role_sees_only_the_calls_of_its_extensions(shared_pbx):
    calls = {
        "range-internal": ("internal", "101", "201"),
        "range-out": ("out", "150", "+442079460000"),
        "range-in": ("in", "+442079460001", "199"),
        "other-internal": ("internal", "201", "202"),
        "other-out": ("out", "201", "112"),
        "other-in": ("in", "150", "201"),
    }
    for call_id, (direction, src, dst) in calls.items():
        call_event(shared_pbx, "started", call_id, direction=direction, src=src,
                   dst=dst)  # fmt: skip
        call_event(shared_pbx, "ended", call_id, code=486)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        every = shared_pbx.cli("cdr", "list", "--json").json()
        if {"range-internal", "other-in"} <= {r["call_id"] for r in every}:
            break
        time.sleep(0.2)
    api = api_client(shared_pbx, DESK)
    page = signed_in(shared_pbx, DESK)

    seen = {r["call_id"] for r in api.get("/api/v1/cdr?limit=1000").json()}
    csv = api.get("/api/v1/cdr?format=csv").body
    shown = page.get("/calls").body
    everyone = {
        r["call_id"]
        for r in api_client(shared_pbx, "operator").get("/api/v1/cdr").json()
    }

    assert seen & set(calls) == {"range-internal", "range-out", "range-in"}
    assert "+442079460001" in csv and ",112," not in csv
    assert "<td>+442079460000</td>" in shown and "<td>202</td>" not in shown
    assert set(calls) <= everyone
