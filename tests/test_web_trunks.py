"""The trunk, route and call record pages of the web admin."""

from __future__ import annotations

import re

import pytest

from tests.pbx import RunningPbx
from tests.webclient import api_client, field_error, signed_in


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    running = RunningPbx(tmp_path_factory.mktemp("webtrunks") / "var").start()
    running.add_extension("101", "Front desk")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(office):
    return signed_in(office, "administrator")


def test_a_trunk_added_on_the_page_is_listed_with_its_state(office, admin):
    reply = admin.post_form(
        "/trunks/new",
        {
            "name": "acme",
            "kind": "peer",
            "host": "127.0.0.1",
            "port": "9",  # nothing answers SIP there
            "transport": "udp",
            "caller_id_header": "pai",
            "did_header": "to",
        },
        csrf_from="/trunks",
    )
    page = admin.get("/trunks").body
    assert reply.status == 303 and reply.location == "/trunks"
    assert "<code>127.0.0.1:9</code>" in page
    assert '<td class="state">unreachable</td>' in page
    assert [t["name"] for t in office.cli("trunk", "list", "--json").json()] == ["acme"]


def row_version(admin, action: str, page: str = "/trunks") -> str:
    """The version the row form posting to action carries, as loaded now."""
    body = admin.get(page).body
    form = body[body.index(f'action="{action}"') :].split("</form>")[0]
    found = re.search(r'name="version" value="([0-9a-f]+)"', form)
    assert found, f"the form of {action} carries its row's version"
    return found.group(1)


def test_a_trunks_codecs_are_changed_on_the_page_and_a_bad_one_shown(office, admin):
    office.cli("trunk", "add", "eu", "--kind", "peer", "--host", "127.0.0.1")
    refused = admin.post_form(
        "/trunks/eu/codecs",
        {"codecs": "pcma,amr", "version": row_version(admin, "/trunks/eu/codecs")},
        csrf_from="/trunks",
    )
    assert refused.status == 422
    assert field_error(refused.body, "codecs").startswith(
        'codecs "amr": not a codec this PBX bridges'
    )
    saved = admin.post_form(
        "/trunks/eu/codecs",
        {"codecs": "pcma, pcmu", "version": row_version(admin, "/trunks/eu/codecs")},
        csrf_from="/trunks",
    )
    assert saved.status == 303
    assert 'id="codecs-eu" name="codecs" type="text" size="12" value="PCMA,PCMU"' in (
        admin.get("/trunks").body
    )
    eu = [t for t in office.cli("trunk", "list", "--json").json() if t["name"] == "eu"]
    assert eu[0]["codecs"] == ["PCMA", "PCMU"]


def test_a_trunks_main_number_is_saved_on_its_row_and_a_bad_one_shown_there(
    office, admin
):
    office.cli("trunk", "add", "us", "--kind", "peer", "--host", "127.0.0.1")
    action = "/trunks/us/main-number"
    assert 'id="main-number-us" name="main_number"' in admin.get("/trunks").body

    saved = admin.post_form(
        action,
        {"main_number": "+15550100", "version": row_version(admin, action)},
        csrf_from="/trunks",
    )
    assert saved.status == 303
    refused = admin.post_form(
        action,
        {"main_number": "555-0100", "version": row_version(admin, action)},
        csrf_from="/trunks",
    )
    assert refused.status == 422
    assert field_error(refused.body, "main-number-us").startswith(
        'Main number "555-0100": 1 to 15 digits (E.164)'
    )
    # The number saved before is the one the row still shows and keeps.
    assert 'id="main-number-us" name="main_number" type="text" inputmode="tel"' in (
        refused.body
    )
    assert 'value="+15550100"' in refused.body.split('id="main-number-us"')[1][:200]
    us = [t for t in office.cli("trunk", "list", "--json").json() if t["name"] == "us"]
    assert us[0]["main_number"] == "+15550100"


def test_a_trunk_added_with_a_main_number_on_the_page_keeps_it(office, admin):
    form = {
        "name": "ca",
        "kind": "peer",
        "host": "127.0.0.1",
        "port": "5060",
        "transport": "udp",
        "caller_id_header": "pai",
        "did_header": "to",
    }
    refused = admin.post_form(
        "/trunks/new", form | {"main_number": "15550100999999999"}, csrf_from="/trunks"
    )
    assert refused.status == 422
    assert field_error(refused.body, "main_number").startswith(
        'Main number "15550100999999999": 1 to 15 digits'
    )
    added = admin.post_form(
        "/trunks/new", form | {"main_number": "15550100"}, csrf_from="/trunks"
    )
    assert added.status == 303
    ca = [t for t in office.cli("trunk", "list", "--json").json() if t["name"] == "ca"]
    assert ca[0]["main_number"] == "15550100"


def test_an_impossible_dial_pattern_is_shown_next_to_the_patterns(office, admin):
    reply = admin.post_form(
        "/routes/outbound/new",
        {"name": "bad", "patterns": "[5-1]XX", "trunks": "acme", "caller_id": ""},
        csrf_from="/routes",
    )
    assert reply.status == 422
    assert 'id="patterns-error"' in reply.body and "is empty" in reply.body
    assert office.cli("route", "list", "--json").json() == []


def test_routes_and_calls_pages_show_what_the_cli_made(office, admin):
    office.cli("route", "add", "national", "--pattern", "9|NXXXXXX", "--trunk", "acme")
    office.cli("inbound", "add", "15550100", "--to", "101")
    routes = admin.get("/routes").body
    calls = admin.get("/calls?disposition=busy")
    bad = admin.get("/calls?since=yesterday")

    assert "9|NXXXXXX/0/" in routes and "15550100" in routes
    assert calls.status == 200 and "No calls found." in calls.body
    assert 'href="/calls.csv?disposition=busy"' in calls.body
    assert bad.status == 422 and "a date like" in bad.body


def test_night_mode_is_forced_and_guards_changed_on_the_call_rules_page(office, admin):
    office.cli(
        "timecondition",
        "add",
        "office",
        "--timezone",
        "UTC",
        "--hours",
        "mon-sun=00:00-24:00",
        "--open",
        "101",
        "--closed",
        "101",
    )
    forced = admin.post_form(
        "/call-rules/time-conditions/mode",
        {"name": "office", "mode": "closed"},
        csrf_from="/call-rules",
    )
    guarded = admin.post_form(
        "/call-rules/guard",
        {
            "allowed_countries": "1, 44",
            "per_extension_calls": "5",
            "total_calls": "0",
            "window_s": "60",
            "concurrent_calls": "2",
        },
        csrf_from="/call-rules",
    )
    refused = admin.post_form(
        "/call-rules/guard",
        {"allowed_countries": "4444", "window_s": "60"},
        csrf_from="/call-rules",
    )
    page = admin.get("/call-rules").body

    assert forced.status == 303 and guarded.status == 303
    assert '<td class="state">closed</td>' in page
    assert office.cli("guard", "show", "--json").json()["allowed_countries"] == [
        "1",
        "44",
    ]
    assert refused.status == 422 and 'id="allowed_countries-error"' in refused.body


def test_the_call_pages_render_in_a_browser_without_scrolling_sideways(
    office, admin, browser_ready, tmp_path
):
    from tests import browser_driver

    office.cli("trunk", "add", "web", "--kind", "peer", "--host", "127.0.0.1")
    office.cli(
        "ringgroup",
        "add",
        "600",
        "--name",
        "Sales",
        "--member",
        "101:15",
        "--strategy",
        "sequential",
    )
    seen = browser_driver.run(
        "call_pages.mjs",
        office,
        session=admin.cookies["__Host-edgepbx_session"],
        screenshots=str(tmp_path),
        trunk="web",
        main_number="+15550123",
    )
    assert seen.pop("mainNumber") == "+15550123"
    listed = office.cli("trunk", "list", "--json").json()
    assert [t["main_number"] for t in listed if t["name"] == "web"] == ["+15550123"]
    assert [seen[p]["heading"].split()[0] for p in ("trunks", "routes", "calls")] == [
        "Trunks",
        "Routes",
        "Call",
    ]
    assert not any(page["scrollsSideways"] for page in seen.values()), tmp_path
    assert (tmp_path / "call-rules.png").stat().st_size > 0


def test_ring_groups_and_time_conditions_are_added_and_changed_on_their_forms(
    office, admin, browser_ready
):
    from tests import browser_driver

    seen = browser_driver.run(
        "call_rule_forms.mjs", office, session=admin.cookies["__Host-edgepbx_session"]
    )

    assert {"extension:101", "hangup", "time_condition:office"} <= set(
        seen["failoverChoices"]
    )
    assert seen["editedMembers"] == "101:15"
    assert "Support desk" in seen["groupRow"] and "extension:101" in seen["groupRow"]
    assert "hours" in seen["hoursError"]
    assert "ring_group:610" in seen["conditionRow"]
    [group] = [g for g in office.cli("ringgroup", "list", "--json").json()
               if g["number"] == "610"]  # fmt: skip
    assert (group["name"], group["strategy"], group["failover"]) == (
        "Support desk",
        "sequential",
        "extension:101",
    )
    [condition] = [c for c in office.cli("timecondition", "list", "--json").json()
                   if c["name"] == "hours"]  # fmt: skip
    assert condition["hours"]["mon"] == [["09:00", "17:00"]]
    assert condition["closed_destination"] == "ring_group:610"


def test_a_ring_group_changed_meanwhile_is_not_overwritten_by_an_old_form(
    office, admin
):
    office.add_extension("102", "Back office")
    made = office.cli(
        "ringgroup", "add", "611", "--name", "Desk", "--member", "101",
        "--member", "102",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    form_page = admin.get("/call-rules?ring_group=611")
    version = re.search(r'name="rg_version" value="([0-9a-f]+)"', form_page.body)
    assert version, "the edit form carries the group's version"
    # Someone else changes the group while the form is open.
    changed = office.cli(
        "ringgroup", "add", "611", "--name", "Desk", "--member", "102", "--replace"
    )
    assert changed.returncode == 0, changed.stderr

    stale = admin.post_form(
        "/call-rules/ring-groups",
        {
            "rg_editing": "611",
            "rg_version": version.group(1),
            "rg_number": "611",
            "rg_name": "Front",
            "rg_strategy": "all",
            "rg_ring_time": "20",
            "rg_members": "101:20 102:20",
            "rg_failover": "",
        },
        csrf_from="/call-rules?ring_group=611",
    )

    assert stale.status == 409
    assert "changed by someone else" in stale.body
    shown = office.cli("ringgroup", "list", "--json").json()
    group = next(g for g in shown if g["number"] == "611")
    assert group["name"] == "Desk"
    assert [m["extension"] for m in group["members"]] == ["102"]


def test_a_trunk_changed_meanwhile_is_not_overwritten_by_its_rows_old_forms(
    office, admin
):
    made = office.cli("trunk", "add", "nl", "--kind", "peer", "--host", "127.0.0.1")
    assert made.returncode == 0, made.stderr
    codecs_version = row_version(admin, "/trunks/nl/codecs")
    recording_version = row_version(admin, "/trunks/nl/recording")
    # Someone else changes the trunk's codecs while the page is open.
    changed = office.cli("trunk", "set", "nl", "--codecs", "g722")
    assert changed.returncode == 0, changed.stderr

    stale_codecs = admin.post_form(
        "/trunks/nl/codecs",
        {"codecs": "pcmu", "version": codecs_version},
        csrf_from="/trunks",
    )
    stale_recording = admin.post_form(
        "/trunks/nl/recording",
        {"recording": "on", "version": recording_version},
        csrf_from="/trunks",
    )

    for stale in (stale_codecs, stale_recording):
        assert stale.status == 409
        said = stale.body[stale.body.index('id="trunk-changed"') :]
        assert "trunk nl was changed by someone else" in said.split("</p>")[0]
        assert 'id="codecs-nl" name="codecs" type="text" size="12" value="G722"' in (
            stale.body
        )
    nl = next(
        t for t in office.cli("trunk", "list", "--json").json() if t["name"] == "nl"
    )
    assert nl["codecs"] == ["G722"] and nl["recording"] is False


def edit_form_version(admin, page: str, action: str, field: str = "version") -> str:
    """The version the edit form posting to action carries on page."""
    body = admin.get(page).body
    form = body[body.index(f'action="{action}"') :].split("</form>")[0]
    found = re.search(rf'name="{field}" value="([0-9a-f]+)"', form)
    assert found, f"the form of {action} carries its route's version"
    return found.group(1)


def outbound_route(office, name: str) -> dict:
    routes = office.cli("route", "list", "--json").json()
    return next(r for r in routes if r["name"] == name)


def test_an_outbound_route_is_changed_on_its_form_and_a_bad_value_kept_at_it(
    office, admin
):
    assert office.cli("trunk", "add", "uk", "--kind", "peer",
                      "--host", "127.0.0.1").returncode == 0  # fmt: skip
    made = office.cli("route", "add", "london", "--pattern", "020XXXXXXXX",
                      "--trunk", "uk")  # fmt: skip
    assert made.returncode == 0, made.stderr
    page = "/routes?outbound=london"
    form = {
        "editing": "london",
        "version": edit_form_version(admin, page, "/routes/outbound/edit"),
        "name": "london",
        "trunks": "uk",
        "extensions": "101",
        "caller_id": "+442079460000",
        "enabled": "on",
    }

    refused = admin.post_form(
        "/routes/outbound/edit", form | {"patterns": "[5-1]XX"}, csrf_from=page
    )
    kept = outbound_route(office, "london")
    saved = admin.post_form(
        "/routes/outbound/edit",
        form | {"patterns": "020XXXXXXXX/1/+4420"},
        csrf_from=page,
    )

    assert refused.status == 422
    assert "is empty" in field_error(refused.body, "patterns")
    assert 'id="patterns" name="patterns" type="text" value="[5-1]XX"' in (refused.body)
    assert kept["patterns"] == [{"pattern": "020XXXXXXXX", "strip": 0, "prepend": ""}]
    assert kept["caller_id"] is None and kept["extensions"] == []
    assert saved.status == 303 and saved.location == "/routes"
    london = outbound_route(office, "london")
    assert london["patterns"] == [
        {"pattern": "020XXXXXXXX", "strip": 1, "prepend": "+4420"}
    ]
    assert london["caller_id"] == "+442079460000"
    assert london["extensions"] == ["101"] and london["enabled"] is True


def test_a_route_changed_meanwhile_is_not_overwritten_or_removed_by_old_forms(
    office, admin
):
    assert office.cli("inbound", "add", "15550200", "--to", "101").returncode == 0
    assert office.cli("trunk", "add", "de", "--kind", "peer",
                      "--host", "127.0.0.1").returncode == 0  # fmt: skip
    assert office.cli("route", "add", "berlin", "--pattern", "030XXXXXXX",
                      "--trunk", "de").returncode == 0  # fmt: skip
    inbound_page = "/routes?inbound=15550200&caller="
    version = edit_form_version(
        admin, inbound_page, "/routes/inbound/edit", "in_version"
    )
    page = admin.get("/routes").body
    row = page[page.index('name="name" value="berlin"') :]
    removal = re.search(r'name="version" value="([0-9a-f]+)"', row).group(1)
    # Someone else changes both routes while the page is open.
    office.add_extension("103", "Stores")
    changed = office.cli("inbound", "update", "15550200", "--to", "103")
    assert changed.returncode == 0, changed.stderr
    repatterned = office.cli("route", "update", "berlin", "--pattern", "030XXXXXXX",
                             "--pattern", "0030.", "--json")  # fmt: skip
    assert repatterned.returncode == 0, repatterned.stderr

    stale = admin.post_form(
        "/routes/inbound/edit",
        {
            "in_editing": "15550200",
            "in_editing_caller": "",
            "in_version": version,
            "in_did": "15550200",
            "in_caller_id": "",
            "in_destination": "extension:101",
        },
        csrf_from="/routes",
    )
    stale_removal = admin.post_form(
        "/routes/outbound/remove",
        {"name": "berlin", "version": removal},
        csrf_from="/routes",
    )

    assert stale.status == 409 and "changed by someone else" in stale.body
    assert '<option value="extension:103" selected>' in stale.body
    assert stale_removal.status == 409
    assert "outbound route berlin was changed" in stale_removal.body
    inbound = office.cli("inbound", "list", "--json").json()
    assert {"did": "15550200", "caller_id": "", "destination_kind": "extension",
            "destination": "103"} in inbound  # fmt: skip
    assert len(outbound_route(office, "berlin")["patterns"]) == 2


def test_routes_are_removed_from_their_rows_saying_which_forwards_lose_theirs(
    office, admin
):
    assert office.cli("inbound", "add", "15550300", "--to", "101").returncode == 0
    assert office.cli("trunk", "add", "fr", "--kind", "peer",
                      "--host", "127.0.0.1").returncode == 0  # fmt: skip
    assert office.cli("route", "add", "paris", "--pattern", "0033.",
                      "--trunk", "fr").returncode == 0  # fmt: skip
    forwarded = office.cli("extension", "forward", "101",
                           "--unreachable", "0033123456789")  # fmt: skip
    assert forwarded.returncode == 0, forwarded.stderr
    page = admin.get("/routes").body
    inbound_form = page[page.index('name="did" value="15550300"') :]
    inbound_version = re.search(r'name="version" value="([0-9a-f]+)"', inbound_form)
    outbound_form = page[page.index('name="name" value="paris"') :]
    outbound_version = re.search(r'name="version" value="([0-9a-f]+)"', outbound_form)

    forged = signed_in(office, "administrator").request(
        "POST",
        "/routes/inbound/remove",
        form={"did": "15550300", "caller_id": "", "version": inbound_version.group(1)},
    )
    gone_in = admin.post_form(
        "/routes/inbound/remove",
        {"did": "15550300", "caller_id": "", "version": inbound_version.group(1)},
        csrf_from="/routes",
    )
    gone_out = admin.post_form(
        "/routes/outbound/remove",
        {"name": "paris", "version": outbound_version.group(1)},
        csrf_from="/routes",
    )

    assert forged.status == 403
    assert gone_in.status == 303
    assert gone_out.status == 200
    said = gone_out.body[gone_out.body.index('id="route-notices"') :]
    assert (
        "extension 101&#039;s forward when unreachable to 0033123456789"
        in (said.split("</div>")[0])
    )
    assert "15550300" not in office.cli("inbound", "list").stdout
    routes = office.cli("route", "list", "--json").json()
    assert "paris" not in [r["name"] for r in routes]
    audit = admin.get("/audit").body
    assert "paris" in audit and "15550300" in audit


def test_an_inbound_route_changed_through_the_api_names_a_bad_field(office):
    assert office.cli("inbound", "add", "15550400", "--to", "101").returncode == 0
    api = api_client(office, "administrator")

    bad = api.request(
        "PATCH",
        "/api/v1/inbound-routes/15550400",
        json_body={"destination_kind": "extension", "destination": "999"},
    )
    good = api.request(
        "PATCH",
        "/api/v1/inbound-routes/15550400",
        json_body={"destination_kind": "hangup"},
    )

    assert bad.status == 422
    assert bad.json()["field"] == "destination" and "no such" in bad.json()["detail"]
    assert good.status == 200 and good.json()["destination_kind"] == "hangup"
    shown = office.cli("inbound", "list", "--json").json()
    assert next(r for r in shown if r["did"] == "15550400")["destination_kind"] == (
        "hangup"
    )
