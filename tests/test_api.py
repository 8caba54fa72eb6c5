"""The REST API /api/v1: JSON, problem details, tokens, OpenAPI."""

from __future__ import annotations

import http.client
import json
import re

import pytest

from tests.pbx import RunningPbx
from tests.webclient import TIMEOUT_S, api_client, client, signed_in
from webadmin.bodies import MAX_BODY_BYTES
from webadmin.form_versions import ChangedMeanwhile, PreconditionFailed
from webadmin.openapi import document
from webadmin.problems import SHOWN_VALUE_MAX, from_error

BASE = "/api/v1/extensions"
JSON = "application/json"


@pytest.fixture(scope="module")
def shared_pbx(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("api") / "var").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin_api(shared_pbx):
    return api_client(shared_pbx, "administrator")


def numbers(web) -> list[str]:
    return [e["number"] for e in web.get(f"{BASE}?per_page=200").json()["items"]]


def test_an_extension_is_added_read_changed_and_deleted(admin_api):
    added = admin_api.request(
        "POST", BASE, json_body={"number": "301", "display_name": "Sales"}
    )
    read = admin_api.get(f"{BASE}/301")
    changed = admin_api.request(
        "PATCH",
        f"{BASE}/301",
        json_body={"email": "sales@example.com", "enabled": False},
    )
    deleted = admin_api.request("DELETE", f"{BASE}/301")
    gone = admin_api.get(f"{BASE}/301")

    assert added.status == 201
    assert added.headers["location"] == f"{BASE}/301"
    assert added.content_type == "application/json"
    assert len(added.json()["password"]) >= 12
    assert read.json()["display_name"] == "Sales"
    assert "password" not in read.json()
    assert changed.json()["email"] == "sales@example.com"
    assert changed.json()["enabled"] is False
    assert deleted.status == 204
    assert gone.status == 404
    assert gone.json()["field"] == "number"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"number": "1O1", "display_name": "A"}, "number"),
        ({"number": "302", "display_name": ""}, "display_name"),
        ({"number": "302", "display_name": "A", "email": "nope"}, "email"),
        ({"number": "302", "display_name": "A", "password": "weak"}, "password"),
        ({"number": "302", "display_name": "A", "colour": "red"}, "colour"),
        ({"number": 302, "display_name": "A"}, "number"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    admin_api, body, field
):
    before = numbers(admin_api)
    reply = admin_api.request("POST", BASE, json_body=body)

    assert reply.status in {400, 422}
    assert reply.content_type == "application/problem+json"
    problem = reply.json()
    assert problem["field"] == field
    assert problem["status"] == reply.status
    assert {"type", "title", "detail"} <= problem.keys()
    assert "weak" not in problem["detail"]
    if field == "display_name":
        # The detail labels the field as the request sent it.
        assert problem["detail"] == "display_name: must not be empty"
    assert numbers(admin_api) == before


# One wrong JSON type per route that once answered it its own way.
WRONG_TYPES = [
    ("PATCH", f"{BASE}/101", {"enabled": "yes"}, "enabled", "true or false"),
    ("PUT", f"{BASE}/101/features", {"dnd": "yes"}, "dnd", "true or false"),
    ("PUT", f"{BASE}/101/features", {"no_answer_s": "20"}, "no_answer_s", "number"),
    ("PUT", "/api/v1/backups/schedule", {"keep": True}, "keep", "a whole number"),
    ("PUT", "/api/v1/backups/schedule", {"hour": "3"}, "hour", "a whole number"),
    ("POST", "/api/v1/reports/schedules",
     {"name": "Weekly", "frequency": "weekly", "hour": "7",
      "recipients": ["boss@example.com"]}, "hour", "a whole number"),
    ("POST", "/api/v1/reports/schedules",
     {"name": "Weekly", "frequency": "weekly", "hour": 7,
      "recipients": "boss@example.com"}, "recipients", "a list of strings"),
    ("PATCH", "/api/v1/events/options", {"emergency_numbers": "112"},
     "emergency_numbers", "a list of strings"),
    ("PATCH", "/api/v1/events/options", {"retention_days": True},
     "retention_days", "a whole number"),
    ("PUT", "/api/v1/events/notifications/backup-done", {"recipients": [7]},
     "recipients", "a list of strings"),
    ("POST", "/api/v1/webhooks", {"url": "https://127.0.0.1:9/", "types": "all"},
     "types", "a list of strings"),
    ("POST", "/api/v1/bans", {"address": "203.0.113.9", "seconds": "60"},
     "seconds", "a whole number"),
    ("PATCH", "/api/v1/firewall/services/sip", {"enabled": 1}, "enabled",
     "true or false"),
    ("PUT", "/api/v1/network", {"confirm_within_s": True}, "confirm_within_s",
     "a number"),
    ("PATCH", "/api/v1/call-guard", {"window_s": True}, "window_s",
     "a whole number"),
    ("POST", "/api/v1/ring-groups", {"number": "600", "ring_time_s": "20"},
     "ring_time_s", "a whole number"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "rule"),
    WRONG_TYPES,
    ids=[f"{m} {p} {f}" for m, p, _, f, _ in WRONG_TYPES],
)
def test_a_field_of_the_wrong_json_type_is_the_same_bad_request_on_every_route(
    shared_pbx, method, path, body, field, rule
):
    api = api_client(shared_pbx, "super-administrator")
    if api.get(f"{BASE}/101").status == 404:
        api.request("POST", BASE, json_body={"number": "101", "display_name": "A"})

    reply = api.request(method, path, json_body=body)

    assert reply.status == 400, reply.body
    assert reply.content_type == "application/problem+json"
    problem = reply.json()
    assert problem["type"] == "urn:edgepbx:problem:bad-request"
    assert problem["field"] == field
    assert problem["detail"].startswith(f"{field}: must be ")
    assert rule in problem["detail"]
    assert "True" not in problem["detail"]


def test_a_body_that_is_not_json_is_refused(admin_api):
    as_form = admin_api.request("POST", BASE, form={"number": "303"})
    broken = admin_api.request(
        "POST", BASE, body=b"{", headers={"Content-Type": "application/json"}
    )
    assert as_form.status == 415
    assert broken.status == 400


def test_a_taken_number_is_a_conflict(admin_api):
    body = {"number": "304", "display_name": "A"}
    assert admin_api.request("POST", BASE, json_body=body).status == 201
    again = admin_api.request("POST", BASE, json_body=body)
    assert again.status == 409
    assert again.json()["field"] == "number"


def test_the_list_is_searched_sorted_and_paged_by_the_server(admin_api):
    for number, name in [("401", "Yara"), ("402", "Adam"), ("403", "mia")]:
        admin_api.request(
            "POST", BASE, json_body={"number": number, "display_name": name}
        )
    by_name = admin_api.get(f"{BASE}?q=40&sort=display_name&per_page=2").json()
    second = admin_api.get(f"{BASE}?q=40&sort=display_name&per_page=2&page=2").json()
    bad_sort = admin_api.get(f"{BASE}?sort=ha1")

    assert [e["display_name"] for e in by_name["items"]] == ["Adam", "mia"]
    assert [e["display_name"] for e in second["items"]] == ["Yara"]
    assert (by_name["total"], by_name["pages"]) == (3, 2)
    assert bad_sort.status == 422
    assert bad_sort.json()["field"] == "sort"


def test_bad_and_revoked_tokens_get_401(shared_pbx):
    web = api_client(shared_pbx, "administrator")
    token_id = shared_pbx.cli("token", "list", "--json").json()[-1]["id"]
    assert web.get(BASE).status == 200

    shared_pbx.cli("token", "revoke", str(token_id))
    revoked = web.get(BASE)
    web.bearer = "epbx_" + "A" * 43
    made_up = web.get(BASE)
    web.bearer = None
    other_scheme = web.get(BASE, headers={"Authorization": "Basic YWRtaW46YWRtaW4="})

    for reply in (revoked, made_up, other_scheme):
        assert reply.status == 401
        assert reply.content_type == "application/problem+json"
    assert "api-token-rejected from 127.0.0.1" in shared_pbx.log()


def test_a_token_cannot_hold_the_user_role_which_needs_an_extension(shared_pbx):
    before = shared_pbx.cli("token", "list", "--json").json()

    made = shared_pbx.cli("token", "create", "--role", "user", "--name", "x")

    assert made.returncode == 2
    assert 'role "user": one of super-administrator, administrator, operator' in (
        made.stderr
    )
    assert "user," not in made.stderr and not made.stderr.rstrip().endswith("user")
    assert shared_pbx.cli("token", "list", "--json").json() == before


def test_only_a_hash_of_a_token_is_stored(shared_pbx):
    token = api_client(shared_pbx, "operator").bearer
    db_dir = shared_pbx.data_dir / "db"
    stored = b"".join(p.read_bytes() for p in db_dir.iterdir() if p.is_file())
    assert token.encode() not in stored


def test_a_session_may_use_the_api_with_its_csrf_token(shared_pbx):
    web = signed_in(shared_pbx)
    body = {"number": "501", "display_name": "From the page"}
    without = web.request("POST", BASE, json_body=body)
    with_token = web.request(
        "POST", BASE, json_body=body, headers={"X-CSRF-Token": web.csrf_token()}
    )
    assert (without.status, with_token.status) == (403, 201)


def test_openapi_describes_exactly_the_routes_served(shared_pbx, admin_api):
    from tests.test_web_signin import served_rules

    served = {
        (method.lower(), re.sub(r"<(\w+)(:[^>]*)?>", r"{\1}", rule))
        for method, rule in served_rules(shared_pbx.data_dir.parent / "openapi")
        if rule.startswith("/api/v1/")
    }
    served = {(method, rule.removeprefix("/api/v1")) for method, rule in served}
    fetched = admin_api.get("/api/v1/openapi.json").json()
    described = {
        (method, path)
        for path, operations in fetched["paths"].items()
        for method in operations
        if method != "parameters"
    }

    assert fetched == document()
    assert fetched["openapi"].startswith("3.")
    assert described == served


def test_an_unknown_api_path_is_a_problem_too(admin_api):
    reply = admin_api.get("/api/v1/no-such-thing")
    assert reply.status == 404
    assert reply.content_type == "application/problem+json"


def test_without_credentials_nothing_is_listed(shared_pbx):
    reply = client(shared_pbx).get(BASE)
    assert reply.status == 401
    assert "items" not in reply.body


def send_headers_only(pbx, path: str, headers: dict[str, str]):
    """Announce a body and send none of it: an answer proves nothing read it."""
    web = client(pbx)
    connection = http.client.HTTPSConnection(
        "127.0.0.1", pbx.https_port, timeout=TIMEOUT_S, context=web.context
    )
    try:
        connection.putrequest("POST", path)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        reply = connection.getresponse()
        return reply.status, reply.getheader("Content-Type", ""), reply.read()
    finally:
        connection.close()


def test_a_body_announced_too_large_is_refused_before_it_is_read(shared_pbx):
    token = api_client(shared_pbx, "administrator").bearer
    status, content_type, body = send_headers_only(
        shared_pbx,
        BASE,
        {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Content-Length": str(50 * 1024 * 1024),
        },
    )

    assert status == 413
    assert content_type == "application/problem+json"
    assert json.loads(body)["status"] == 413


def test_a_form_announced_too_large_is_refused_before_it_is_read(shared_pbx):
    status, content_type, body = send_headers_only(
        shared_pbx,
        "/signin",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(MAX_BODY_BYTES + 1),
        },
    )
    assert status == 413
    # A person sees the appliance's error page, with the way back.
    assert content_type.startswith("text/html")
    assert b"<h1>Too large</h1>" in body
    assert b"at most 64 KB" in body and b"nothing was changed" in body
    assert b'href="/"' in body


def test_a_chunked_body_is_read_up_to_the_limit(admin_api):
    def chunks(text: bytes, size: int = 7):
        return (text[i : i + size] for i in range(0, len(text), size))

    body = json.dumps({"number": "601", "display_name": "Chunked"}).encode()
    added = admin_api.request(
        "POST", BASE, body=chunks(body), headers={"Content-Type": JSON}
    )
    padded = b'{"display_name": "' + b" " * MAX_BODY_BYTES + b'"}'
    too_large = admin_api.request(
        "PATCH",
        f"{BASE}/601",
        body=chunks(padded, 4096),
        headers={"Content-Type": JSON},
    )

    assert added.status == 201
    assert added.json()["display_name"] == "Chunked"
    assert too_large.status == 413
    assert too_large.content_type == "application/problem+json"
    assert admin_api.get(f"{BASE}/601").json()["display_name"] == "Chunked"


def test_a_long_invalid_value_is_quoted_back_only_in_part(admin_api):
    long_name = "N" * 50_000
    reply = admin_api.request(
        "POST", BASE, json_body={"number": "602", "display_name": long_name}
    )
    unknown = admin_api.request(
        "POST", BASE, json_body={"number": "602", "x" * 50_000: "A"}
    )

    assert reply.status == 422
    assert reply.json()["field"] == "display_name"
    assert "N" * SHOWN_VALUE_MAX + "…" in reply.json()["detail"]
    assert len(reply.body) < 1000
    assert unknown.status == 400
    assert len(unknown.body) < 1000


def test_deeply_nested_json_is_a_bad_request_not_a_crash(shared_pbx, admin_api):
    reply = admin_api.request(
        "POST", BASE, body=b"[" * 60_000, headers={"Content-Type": JSON}
    )
    assert reply.status == 400
    assert reply.content_type == "application/problem+json"
    assert "nested" in reply.json()["detail"]
    assert "RecursionError" not in shared_pbx.log()


def test_a_patch_that_changes_nothing_answers_the_extension_and_logs_nothing(
    shared_pbx, admin_api
):
    admin_api.request("POST", BASE, json_body={"number": "603", "display_name": "Same"})
    empty = admin_api.request("PATCH", f"{BASE}/603", json_body={})
    same = admin_api.request("PATCH", f"{BASE}/603", json_body={"display_name": "Same"})
    audit_log = signed_in(shared_pbx).get("/audit").body

    assert (empty.status, same.status) == (200, 200)
    assert empty.json()["display_name"] == "Same"
    assert "extension 603: changed" not in shared_pbx.log()
    assert re.findall(r"<td[^>]*>update</td><td[^>]*>extension 603<", audit_log) == []


def test_broken_unicode_is_refused_at_the_boundary_and_changes_nothing(admin_api):
    # A lone surrogate is valid JSON but no text: it names its field, never 500.
    body = b'{"number": "391", "display_name": "Bad \\ud800 name"}'

    refused = admin_api.request(
        "POST", BASE, body=body, headers={"Content-Type": "application/json"}
    )

    assert refused.status == 400
    assert refused.json()["field"] == "display_name"
    assert admin_api.get(f"{BASE}/391").status == 404


def test_an_e_mail_address_another_extension_has_is_refused_whatever_its_case(
    admin_api,
):
    ana = {"number": "306", "display_name": "Ana", "email": "ana@example.com"}
    assert admin_api.request("POST", BASE, json_body=ana).status == 201
    assert (
        admin_api.request(
            "POST", BASE, json_body={"number": "307", "display_name": "Bo"}
        ).status
        == 201
    )

    added = admin_api.request(
        "POST",
        BASE,
        json_body={"number": "308", "display_name": "Lab", "email": "ANA@example.com"},
    )
    changed = admin_api.request(
        "PATCH", f"{BASE}/307", json_body={"email": "Ana@Example.COM"}
    )
    own_case = admin_api.request(
        "PATCH", f"{BASE}/306", json_body={"email": "Ana@example.com"}
    )

    assert added.status == 422 and added.json()["field"] == "email"
    assert "already extension 306's address" in added.json()["detail"]
    assert changed.status == 422 and changed.json()["field"] == "email"
    assert admin_api.get(f"{BASE}/307").json()["email"] is None
    assert admin_api.get(f"{BASE}/308").status == 404
    assert own_case.status == 200 and own_case.json()["email"] == "Ana@example.com"


def test_the_portal_account_route_refuses_a_field_it_does_not_take(shared_pbx):
    api = api_client(shared_pbx, "super-administrator")
    api.request("POST", BASE, json_body={"number": "701", "display_name": "Ola"})
    path = f"{BASE}/701/portal-account"

    with_role = api.request("POST", path, json_body={"role": "administrator"})
    listed = [a["username"] for a in api.get("/api/v1/accounts").json()]
    made = api.request("POST", path)

    assert with_role.status == 400
    assert with_role.json()["field"] == "role"
    assert "role: not a field here" in with_role.json()["detail"]
    assert not any("701" in name for name in listed)
    assert made.status == 201, made.body
    assert made.json()["role"] == "user" and "701" in made.json()["username"]


LISTS = (
    "/api/v1/extensions",
    "/api/v1/recordings",
    "/api/v1/cdr",
    "/api/v1/events",
)


@pytest.mark.parametrize("path", LISTS)
def test_a_list_refuses_a_query_parameter_it_does_not_take(admin_api, path):
    reply = admin_api.get(f"{path}?sinse=2026-01-01")

    assert reply.status == 422
    assert reply.json()["field"] == "sinse"
    assert "not a parameter of this list" in reply.json()["detail"]


@pytest.mark.parametrize("path", LISTS[1:])
def test_a_period_that_ends_before_it_starts_is_refused_at_until(admin_api, path):
    reply = admin_api.get(f"{path}?since=2026-03-02&until=2026-03-01")
    one_day = admin_api.get(f"{path}?since=2026-03-01&until=2026-03-01")

    assert reply.status == 422
    assert reply.json()["field"] == "until"
    assert "on or after since (2026-03-02)" in reply.json()["detail"]
    assert one_day.status == 200


# -- lost updates: ETag and If-Match ------------------------------------------


def test_a_change_sent_with_a_stale_etag_is_refused_and_the_first_change_stays(
    shared_pbx, admin_api
):
    other_admin = api_client(shared_pbx, "super-administrator")
    admin_api.request("POST", BASE, json_body={"number": "611", "display_name": "Desk"})
    first_read = admin_api.get(f"{BASE}/611").headers["etag"]
    second_read = other_admin.get(f"{BASE}/611").headers["etag"]

    first = admin_api.request(
        "PATCH",
        f"{BASE}/611",
        json_body={"display_name": "Front desk"},
        headers={"If-Match": first_read},
    )
    second = other_admin.request(
        "PATCH",
        f"{BASE}/611",
        json_body={"display_name": "Back office"},
        headers={"If-Match": second_read},
    )
    stale_delete = other_admin.request(
        "DELETE", f"{BASE}/611", headers={"If-Match": second_read}
    )
    now = admin_api.get(f"{BASE}/611")

    assert first_read == second_read
    assert first.status == 200
    assert second.status == 412
    assert second.content_type == "application/problem+json"
    problem = second.json()
    assert problem["type"] == "urn:edgepbx:problem:precondition-failed"
    assert problem["field"] == "If-Match"
    assert "extension 611 was changed by someone else" in problem["detail"]
    assert first.headers["etag"] in problem["detail"]
    assert stale_delete.status == 412
    assert now.json()["display_name"] == "Front desk"
    assert now.headers["etag"] == first.headers["etag"] != first_read


def test_a_change_with_the_current_etag_or_without_if_match_is_saved(admin_api):
    admin_api.request("POST", BASE, json_body={"number": "612", "display_name": "A"})
    etag = admin_api.get(f"{BASE}/612").headers["etag"]

    matching = admin_api.request(
        "PATCH",
        f"{BASE}/612",
        json_body={"display_name": "B"},
        headers={"If-Match": etag},
    )
    unchecked = admin_api.request(
        "PATCH", f"{BASE}/612", json_body={"display_name": "C"}
    )
    weak = admin_api.request(
        "PATCH",
        f"{BASE}/612",
        json_body={"display_name": "D"},
        headers={"If-Match": "W/" + unchecked.headers["etag"]},
    )
    any_version = admin_api.request("DELETE", f"{BASE}/612", headers={"If-Match": "*"})

    assert matching.status == 200
    assert unchecked.status == 200
    assert unchecked.json()["display_name"] == "C"
    # RFC 9110 section 13.1.1: If-Match compares strongly; a weak tag never matches.
    assert weak.status == 412
    assert any_version.status == 204
    assert admin_api.get(f"{BASE}/612").status == 404


def test_the_etag_is_the_version_the_edit_form_carries(shared_pbx, admin_api):
    admin_api.request("POST", BASE, json_body={"number": "613", "display_name": "Form"})

    etag = admin_api.get(f"{BASE}/613").headers["etag"]
    form = signed_in(shared_pbx).get("/extensions/613").form_version()

    assert form and etag == f'"{form}"'


#: An object of each kind an admin edits: its path, how it is changed, the
#: body that makes it (None: made by POST below), and two different changes.
VERSIONED = [
    ("/api/v1/speed-dials/7", "PUT", {"number": "0900111"}, {"number": "0900222"},
     {"number": "0900999"}),
    ("/api/v1/conference/820", "PUT", {"name": "Board"}, {"name": "Staff"},
     {"name": "Guests"}),
    ("/api/v1/paging/840", "PUT", {"name": "Shop", "members": ["614"]},
     {"name": "Yard", "members": ["614"]}, {"name": "Dock", "members": ["614"]}),
    ("/api/v1/queues/850", "PUT", {"name": "Sales"}, {"name": "Sales 2"},
     {"name": "Support"}),
    ("/api/v1/trunks/etagtrunk", "PATCH", None, {"port": 5080}, {"port": 5090}),
    ("/api/v1/accounts/etagkim", "PATCH", None, {"role": "operator"},
     {"role": "administrator"}),
    ("/api/v1/outbound-routes/etagout", "PATCH", None, {"caller_id": "5551001"},
     {"caller_id": "5551002"}),
    ("/api/v1/inbound-routes/+15550177", "PATCH", None, {"destination": "615"},
     {"destination": "614"}),
    ("/api/v1/ring-groups/860", "PUT", None,
     {"name": "Front", "members": [{"extension": "614", "ring_time_s": 20}]},
     {"name": "Back", "members": [{"extension": "615", "ring_time_s": 20}]}),
]  # fmt: skip
#: What the objects made by POST need, made in order.
POSTED = {
    "/api/v1/trunks/etagtrunk": [
        ("/api/v1/trunks", {"name": "etagtrunk", "kind": "peer", "host": "127.0.0.1"})
    ],
    "/api/v1/accounts/etagkim": [
        ("/api/v1/accounts", {"username": "etagkim", "role": "administrator"})
    ],
    "/api/v1/outbound-routes/etagout": [
        ("/api/v1/trunks", {"name": "etagout", "kind": "peer", "host": "127.0.0.1"}),
        (
            "/api/v1/outbound-routes",
            {"name": "etagout", "patterns": ["0."], "trunks": ["etagout"]},
        ),
    ],
    "/api/v1/inbound-routes/+15550177": [
        (
            "/api/v1/trunks",
            {
                "name": "etagin",
                "kind": "peer",
                "host": "127.0.0.1",
                "dids": ["+15550177"],
            },
        ),
        ("/api/v1/inbound-routes", {"did": "+15550177", "destination": "614"}),
    ],
    "/api/v1/ring-groups/860": [
        (
            "/api/v1/ring-groups",
            {"number": "860", "name": "Desk", "members": [{"extension": "614"}]},
        )
    ],
}


@pytest.mark.parametrize(("path", "method", "made", "first", "second"), VERSIONED)
def test_every_edited_object_refuses_a_change_on_a_stale_etag(
    shared_pbx, path, method, made, first, second
):
    # Two people who may change accounts too (an administrator may not).
    one = api_client(shared_pbx, "super-administrator")
    other_admin = api_client(shared_pbx, "super-administrator")
    for number in ("614", "615"):
        one.request("POST", BASE, json_body={"number": number, "display_name": "P"})
    if made is None:
        for made_at, body in POSTED[path]:
            created = other_admin.request("POST", made_at, json_body=body)
            assert created.status == 201, created.body
    else:
        created = one.request("PUT", path, json_body=made)
        assert created.status == 201, created.body
    stale = one.get(path).headers["etag"]

    saved = other_admin.request(
        method, path, json_body=first, headers={"If-Match": stale}
    )
    refused = one.request(method, path, json_body=second, headers={"If-Match": stale})
    refused_delete = one.request("DELETE", path, headers={"If-Match": stale})
    now = one.get(path)

    assert saved.status == 200, saved.body
    assert refused.status == 412, refused.body
    assert refused_delete.status == 412, refused_delete.body
    assert now.json() | first == now.json()
    assert now.headers["etag"] == saved.headers["etag"]


def test_if_match_on_a_put_of_a_missing_object_creates_nothing(admin_api):
    refused = admin_api.request(
        "PUT",
        "/api/v1/speed-dials/8",
        json_body={"number": "0900333"},
        headers={"If-Match": '"0123456789abcdef"'},
    )

    assert refused.status == 412
    assert "speed dial 8 does not exist" in refused.json()["detail"]
    assert admin_api.get("/api/v1/speed-dials/8").status == 404


def test_openapi_documents_etag_and_if_match_on_the_edited_objects(admin_api):
    paths = admin_api.get("/api/v1/openapi.json").json()["paths"]

    for path in ("/extensions/{number}", "/speed-dials/{code}", "/queues/{number}"):
        get = paths[path]["get"]["responses"]["200"]
        assert "ETag" in get["headers"], path
        for method in ("patch", "put", "delete"):
            if method in paths[path]:
                operation = paths[path][method]
                names = [p["name"] for p in operation["parameters"]]
                assert "If-Match" in names, (path, method)
                assert "412" in operation["responses"], (path, method)


def test_a_stale_version_is_a_conflict_and_a_stale_if_match_a_failed_precondition():
    status, body = from_error(ChangedMeanwhile("queue 850 changed"))
    changed = json.loads(body)
    failed = from_error(PreconditionFailed("queue 850 changed", field="If-Match"))

    assert (status, changed["status"], changed["title"]) == (409, 409, "Conflict")
    assert changed["type"] == "urn:edgepbx:problem:conflict"
    assert failed[0] == 412
    assert json.loads(failed[1])["title"] == "Precondition failed"
