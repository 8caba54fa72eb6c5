"""The page of ring groups, time conditions (with the day/night switch and
the forms that add and change them), the toll-fraud guards and the call
park slots. The same services as the CLI and the REST API."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import bottle

from agent.appliance import Appliance
from agent.destinations import TARGET_KINDS, destination_parts
from agent.errors import Forbidden, InvalidInput, PbxError
from agent.park.service import ParkService
from agent.routes import groups
from agent.routes import guard as call_guard
from agent.routes.service import RouteService
from agent.sip.park_slots import COUNT_RANGE, DIGITS_RANGE, TIMEOUT_RANGE_S
from webadmin import access, form_versions
from webadmin.pages import _field_errors, _form, render

log = logging.getLogger("edgepbx.web")

GUARD_NUMBERS = ("per_extension_calls", "total_calls", "window_s", "concurrent_calls")
GROUP_FORM = ("rg_number", "rg_name", "rg_strategy", "rg_ring_time", "rg_members")
GROUP_FORM_ALL = (*GROUP_FORM, "rg_failover", "rg_editing", "rg_version")
PARK_FORM = ("park_first", "park_count", "park_timeout")
PARK_NAMES = {"first": "park_first", "count": "park_count", "timeout_s": "park_timeout"}
PARK_LABELS = {
    "park_first": "First slot",
    "park_count": "Slots",
    "park_timeout": "Back to the parker after (seconds)",
}
CONDITION_FORM = (
    "tc_name",
    "tc_timezone",
    "tc_hours",
    "tc_holidays",
    "tc_open",
    "tc_closed",
    "tc_editing",
    "tc_version",
)


def group_values(group: groups.RingGroupInfo) -> dict:
    """A ring group as its form shows it."""
    return {
        "rg_number": group.number,
        "rg_name": group.name,
        "rg_strategy": group.strategy,
        "rg_ring_time": str(group.ring_time_s),
        "rg_members": " ".join(
            f"{m['extension']}:{m['ring_time_s']}" for m in group.members
        ),
        "rg_failover": group.failover,
        "rg_editing": group.number,
    }


def with_version(values: dict, prefix: str) -> dict:
    """The form's values with the version of the row they show (an edit
    form refuses a save over a row that changed since: webadmin.form_versions)."""
    return values | {prefix + "version": form_versions.version_of(values)}


def condition_values(condition: groups.TimeConditionInfo) -> dict:
    """A time condition as its form shows it."""
    return {
        "tc_name": condition.name,
        "tc_timezone": condition.timezone,
        "tc_hours": " ".join(
            f"{day}={start}-{end}"
            for day, spans in condition.hours.items()
            for start, end in spans
        ),
        "tc_holidays": " ".join(
            first if first == last else f"{first}..{last}"
            for first, last in condition.holidays
        ),
        "tc_open": condition.open_destination,
        "tc_closed": condition.closed_destination,
        "tc_editing": condition.name,
    }


def _members(text: str) -> list[tuple[str, int | None]]:
    """ "101:20 102" -> [("101", 20), ("102", None)]."""
    members = []
    for item in text.replace(",", " ").split():
        number, _, seconds = item.partition(":")
        if seconds and not (seconds.isascii() and seconds.isdigit()):
            raise InvalidInput("members", item, "EXTENSION or EXTENSION:SECONDS")
        members.append((number, int(seconds) if seconds else None))
    return members


def _seconds(field: str, text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(field, text, "a whole number of seconds")
    return int(text)


def _whole(field: str, text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise InvalidInput(field, text, "a whole number")
    return int(text)


def _prefixed(errors: dict, prefix: str) -> dict:
    """A service's field names as the form's (ring_time_s -> rg_ring_time)."""
    names = {"ring_time_s": "ring_time", "open_destination": "open"}
    names["closed_destination"] = "closed"
    return {
        k if k == "form" else prefix + names.get(k, k): v for k, v in errors.items()
    }


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def principal():
        return access.current().principal

    def page(errors: dict, status: int = 200, values: dict | None = None) -> str:
        try:
            service = groups.GroupService(principal())
            ring_groups = service.list_ring_groups()
            conditions = service.list_time_conditions()
            guard = call_guard.current(principal())
            routes = RouteService(principal())
            targets = routes.destination_choices(TARGET_KINDS)
            failovers = routes.destination_choices()
            park = ParkService(principal(), appliance.settings).show_settings()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        values = dict(values or {})
        editing_group = bottle.request.query.getunicode("ring_group", "")
        for group in ring_groups:
            if group.number == editing_group and "rg_number" not in values:
                values.update(with_version(group_values(group), "rg_"))
        editing_condition = bottle.request.query.getunicode("time_condition", "")
        for condition in conditions:
            if condition.name == editing_condition and "tc_name" not in values:
                values.update(with_version(condition_values(condition), "tc_"))
        if "park_first" not in values:
            values.update(
                park_first=park.first,
                park_count=str(park.count),
                park_timeout=str(park.timeout_s),
            )
        return render(
            "call_rules",
            status,
            title="Call rules",
            ring_groups=ring_groups,
            conditions=conditions,
            guard=guard,
            park=park,
            park_digits=DIGITS_RANGE,
            park_counts=COUNT_RANGE,
            park_timeouts=TIMEOUT_RANGE_S,
            targets=targets,
            failovers=failovers,
            strategies=groups.STRATEGIES,
            values=values,
            errors=errors,
        )

    @app.get("/call-rules")
    def call_rules() -> str:
        return page({})

    def save_form(
        prefix: str,
        what: str,
        values: dict,
        current: Callable[[str], Any],
        shown_of: Callable[[Any], dict],
        save: Callable[[], object],
    ) -> str:
        """Save a ring group's or time condition's form. An edit (the form
        names the row it was loaded from) is checked against that row as it
        is now, and a row changed meanwhile is shown again as it is."""
        editing = values[prefix + "editing"]
        try:
            if editing:
                now = current(editing)
                form_versions.check_edit(
                    what,
                    editing,
                    None if now is None else shown_of(now),
                    values[prefix + "version"],
                )
            save()
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except form_versions.ChangedMeanwhile as exc:
            shown = with_version(shown_of(now), prefix)
            return page({"form": str(exc)}, exc.status, shown)
        except PbxError as exc:
            return page(_prefixed(_field_errors(exc), prefix), 422, values)
        bottle.redirect("/call-rules", 303)

    @app.post("/call-rules/ring-groups")
    def save_ring_group() -> str:
        values = {name: _form(name) for name in GROUP_FORM_ALL}
        editing = values["rg_editing"]
        service = groups.GroupService(principal())
        return save_form(
            "rg_",
            "ring group",
            values,
            lambda number: next(
                (g for g in service.list_ring_groups() if g.number == number), None
            ),
            group_values,
            lambda: service.add_ring_group(
                editing or values["rg_number"],
                values["rg_name"],
                values["rg_strategy"] or "all",
                _members(values["rg_members"]),
                ring_time_s=_seconds("ring_time_s", values["rg_ring_time"] or "20"),
                failover=values["rg_failover"],
                replace=bool(editing),
            ),
        )

    @app.post("/call-rules/time-conditions")
    def save_time_condition() -> str:
        values = {name: _form(name) for name in CONDITION_FORM}
        editing = values["tc_editing"]
        service = groups.GroupService(principal())
        return save_form(
            "tc_",
            "time condition",
            values,
            lambda name: next(
                (c for c in service.list_time_conditions() if c.name == name), None
            ),
            condition_values,
            lambda: service.add_time_condition(
                editing or values["tc_name"],
                values["tc_timezone"].strip(),
                groups.parse_hours(values["tc_hours"].replace(",", " ").split()),
                destination_parts(values["tc_open"]),
                destination_parts(values["tc_closed"]),
                [
                    groups.parse_holiday(h)
                    for h in values["tc_holidays"].replace(",", " ").split()
                ],
                replace=bool(editing),
            ),
        )

    @app.post("/call-rules/time-conditions/mode")
    def set_mode() -> str:
        try:
            groups.GroupService(principal()).set_time_condition(
                _form("name"), mode=_form("mode")
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(_field_errors(exc), 422)
        bottle.redirect("/call-rules", 303)

    @app.post("/call-rules/guard")
    def set_guard() -> str:
        changes: dict = {}
        countries = _form("allowed_countries").strip()
        changes["allowed_countries"] = (
            None
            if countries in {"", "any"}
            else [c for c in countries.replace(" ", "").split(",") if c]
        )
        try:
            for name in GUARD_NUMBERS:
                text = _form(name).strip() or "0"
                if not (text.isascii() and text.isdigit()):
                    raise InvalidInput(name, text, "a whole number, 0 or more")
                changes[name] = int(text)
            call_guard.change(principal(), **changes)
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(_field_errors(exc), 422)
        bottle.redirect("/call-rules", 303)

    @app.post("/call-rules/park")
    def set_park() -> str:
        values = {name: _form(name).strip() for name in PARK_FORM}
        try:
            changed = ParkService(principal(), appliance.settings).change_settings(
                first=values["park_first"],
                count=_whole("count", values["park_count"]),
                timeout_s=_whole("timeout_s", values["park_timeout"]),
            )
        except Forbidden as exc:
            return render("error", 403, title="Forbidden", message=str(exc))
        except PbxError as exc:
            return page(_field_errors(exc, PARK_NAMES, PARK_LABELS), 422, values)
        log.info(
            "park settings: slots %s-%s, %d s, changed by %s",
            changed.slots[0],
            changed.slots[-1],
            changed.timeout_s,
            principal().name,
        )
        bottle.redirect("/call-rules#park", 303)
