"""The REST API, ``/api/v1``: JSON in and out, errors as problem details.

Every route calls the same extension service as the pages and the CLI, as
the principal of the bearer token or the session. ``/api/v1/openapi.json``
describes exactly these routes (``webadmin.openapi``).
"""

from __future__ import annotations

import json
import logging
import types
from collections.abc import Callable, Mapping
from functools import wraps

import bottle

from agent.accounts.roles import Permission
from agent.appliance import Appliance
from agent.db import Saved
from agent.errors import InvalidInput, NotFound, PbxError
from agent.extensions import registrations
from agent.extensions.service import (
    DEFAULT_PAGE_SIZE,
    ExtensionInfo,
    ExtensionService,
)
from agent.sip.rpc import RpcError
from webadmin import access, bodies, form_versions, openapi, problems

log = logging.getLogger("edgepbx.web")

PREFIX = "/api/v1"
JSON = "application/json"
JSON_TYPES = frozenset({JSON, "application/merge-patch+json"})
#: An extension's caller ID fields, as the service names them.
CALLER_ID_FIELDS = frozenset(
    {"outside_cid_number", "outside_cid_name", "internal_cid_name", "withhold_number"}
)
NEW_FIELDS = frozenset({"number", "display_name", "email", "password"}) | (
    CALLER_ID_FIELDS
)
PATCH_FIELDS = (
    frozenset({"display_name", "email", "enabled", "pickup_group"}) | CALLER_ID_FIELDS
)
#: Fields of a JSON body that are true or false, not strings.
BOOLEAN_FIELDS = frozenset({"enabled", "withhold_number"})


class RequestProblem(PbxError):
    """A request the API cannot read at all, before any service rule."""

    status = 400


class BadRequest(RequestProblem):
    kind = "bad-request"


class UnsupportedMediaType(RequestProblem):
    kind = "unsupported-media-type"
    status = 415


class BodyTooLarge(RequestProblem):
    kind = "too-large"
    status = 413


def _json_response(value: object, status: int = 200) -> str:
    bottle.response.status = status
    bottle.response.content_type = JSON
    return json.dumps(value)


def _saved_response(saved: Saved) -> str:
    """A PUT that creates or replaces: 201 when the row is new, else 200,
    with the ETag of the row as saved."""
    return _json_response(tagged(saved.info.to_dict()), 201 if saved.created else 200)


def tagged(values: dict, version: dict | None = None) -> dict:
    """values, answered with the ETag of version (by default of values).

    The ETag is the version an edit form carries (webadmin.form_versions);
    ``version`` leaves out what changes without anyone editing the object,
    like the agents logged in to a queue.
    """
    etag = form_versions.etag_of(values if version is None else version)
    bottle.response.set_header("ETag", etag)
    return values


def unchanged_since_read(what: str, key: str, version: Callable[[], dict]) -> None:
    """Refuse (412) a PUT, PATCH or DELETE whose If-Match does not name the
    object as it is now; without If-Match, do nothing (RFC 9110 13.1.1).

    ``version`` reads the object's values as its ETag covers them. A PATCH
    or DELETE of an object that does not exist is left to answer 404, as it
    would without If-Match; a PUT that would create it answers 412.
    """
    sent = bottle.request.get_header("If-Match")
    if sent is None:
        return
    try:
        current = version()
    except NotFound:
        if bottle.request.method != "PUT":
            raise
        current = None
    form_versions.check_if_match(what, key, current, sent)


def _problem_response(status: int, body: str) -> str:
    bottle.response.status = status
    bottle.response.content_type = problems.MEDIA_TYPE
    return body


def api_route_naming(
    names: Mapping[str, str],
) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """A decorator that turns a refused request into its problem details.

    ``names`` translates the service's field names into the route's own.
    """

    def decorate(handler: Callable[..., str]) -> Callable[..., str]:
        @wraps(handler)
        def wrapper(*args: object, **kwargs: object) -> str:
            try:
                return handler(*args, **kwargs)
            except RequestProblem as exc:
                return _problem_response(
                    *problems.problem(exc.status, exc.kind, str(exc), exc.field)
                )
            except PbxError as exc:
                return _problem_response(*problems.from_error(exc, names))

        return wrapper

    return decorate


#: Turn a refused request into its problem details.
api_route = api_route_naming({})
#: The same for the extension routes, which say "number" and "display_name".
extension_route = api_route_naming(problems.EXTENSION_FIELDS)


def _body(allowed: frozenset[str]) -> dict:
    """The request's JSON object of strings (``BOOLEAN_FIELDS`` booleans)."""
    return json_object(
        {name: bool if name in BOOLEAN_FIELDS else str for name in allowed}
    )


def _caller_id(body: dict) -> dict:
    """The caller ID fields a body gives; null is "" (back to the default),
    except for withhold_number, which must be true or false."""
    given = {name: body[name] for name in CALLER_ID_FIELDS if name in body}
    for name, value in given.items():
        if value is None and name != "withhold_number":
            given[name] = ""
    return given


class _Members(list):
    """A JSON object's members as sent, in order, repeated names included."""


def _without_repeats(value: object, path: str = "") -> object:
    """The parsed body with its objects as dicts; a name given twice in one
    object is refused, naming it (``choices.1``), where Python's parser
    would silently keep the last value (RFC 8259, section 4)."""
    if isinstance(value, _Members):
        found: dict = {}
        for name, member in value:
            field = f"{path}{name}"
            if name in found:
                shown = problems.shortened(field)
                raise BadRequest(f"{shown}: given twice in one object", field=shown)
            found[name] = _without_repeats(member, f"{field}.")
        return found
    if isinstance(value, list):
        return [_without_repeats(item, path) for item in value]
    return value


#: A field's type as json_object takes it: a JSON type, several, or
#: ``list[str]`` for a list of strings.
FieldType = type | tuple[type, ...] | types.GenericAlias


def json_object(allowed: frozenset[str] | Mapping[str, FieldType]) -> dict:
    """The request's JSON object; refuse other media types and unknown fields.

    Given the fields' types (``{"hour": int, "email": (str, type(None))}``),
    a value of another type is refused here with 400, naming its field and
    the type (a boolean is no number, a number no boolean); null is left to
    the route. Every route refuses a wrong type this way; given only the
    fields' names, the route checks the values with ``BadRequest`` itself.
    """
    request = bottle.request
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES:
        raise UnsupportedMediaType("send the body as application/json")
    try:
        raw = bodies.read()
    except bodies.BodyTooLarge:
        raise BodyTooLarge(
            f"the body may be at most {bodies.MAX_BODY_BYTES} bytes"
        ) from None
    try:
        body = _without_repeats(json.loads(raw or b"null", object_pairs_hook=_Members))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    except RecursionError:
        # Python's parser recurses once per nested array or object.
        raise BadRequest("the body is nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    for name in body:
        if name not in allowed:
            shown = problems.shortened(name)
            known = (
                f"one of {', '.join(sorted(allowed))}"
                if allowed
                else "this request takes no fields"
            )
            raise BadRequest(f"{shown}: not a field here ({known})", field=shown)
    for name, value in body.items():
        if not _is_text(value):
            raise BadRequest(
                f"{name}: not valid text (a broken Unicode character)", field=name
            )
    if isinstance(allowed, Mapping):
        for name, value in body.items():
            kinds = allowed[name]
            if value is not None and not _is_of(value, kinds):
                raise BadRequest(f"{name}: must be {_type_words(kinds)}", field=name)
    return body


def _is_of(value: object, kinds: FieldType) -> bool:
    """Whether value has one of JSON's types kinds names; true and false are
    booleans only, though Python counts them as integers."""
    if isinstance(kinds, types.GenericAlias):
        (item,) = kinds.__args__
        return isinstance(value, list) and all(_is_of(v, item) for v in value)
    listed = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, bool):
        return bool in listed
    return isinstance(value, listed)


#: JSON's types as a refusal names them.
_TYPE_WORDS = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def _type_words(kinds: FieldType) -> str:
    if isinstance(kinds, types.GenericAlias):
        (item,) = kinds.__args__
        return f"a list of {_type_words(item).removeprefix('a ')}s"
    listed = kinds if isinstance(kinds, tuple) else (kinds,)
    if float in listed:
        listed = tuple(k for k in listed if k is not int)  # "a number" says both
    return " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in listed)


def _is_text(value: object) -> bool:
    """False for a string (or one inside a list or object) that UTF-8 cannot
    hold: JSON lets "\\ud800" through, and SQLite refuses it much later."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_is_text(item) for item in value)
    if isinstance(value, dict):
        return all(_is_text(k) and _is_text(v) for k, v in value.items())
    return True


def no_fields() -> None:
    """For a route that takes no body: refuse any field one carries, as
    json_object refuses an unknown field; no body at all is fine."""
    request = bottle.request
    if request.content_length > 0 or bodies.is_chunked():
        json_object(frozenset())


def known_query(*names: str) -> None:
    """Refuse a query parameter the list does not take, naming it, as
    json_object refuses an unknown field: a misspelt filter would otherwise
    answer the whole list as if it had been applied."""
    for name in bottle.request.query:
        if name not in names:
            raise InvalidInput(
                name, None, "not a parameter of this list; it takes " + ", ".join(names)
            )


def _query_int(name: str, default: int) -> int:
    raw = bottle.request.query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInput(name, raw, "a whole number")
    return int(raw)


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    """Add the /api/v1 routes to app."""

    def extensions() -> ExtensionService:
        return appliance.extensions_as(access.current().principal)

    def may_change() -> None:
        """Refuse a role that may not change anything before reading its body
        (the service checks again), so it learns nothing about the rules."""
        access.current().principal.require(Permission.CHANGE_EXTENSIONS)

    @app.get(f"{PREFIX}/openapi.json")
    @api_route
    def openapi_document() -> str:
        return _json_response(openapi.document())

    @app.get(f"{PREFIX}/extensions")
    @extension_route
    def list_extensions() -> str:
        known_query("q", "sort", "order", "page", "per_page")
        query = bottle.request.query
        order = query.get("order", "asc")
        if order not in {"asc", "desc"}:
            raise InvalidInput("order", order, "asc or desc")
        page = extensions().page(
            search=query.getunicode("q", default="") or "",
            sort=query.get("sort", "number"),
            descending=order == "desc",
            page=_query_int("page", 1),
            per_page=_query_int("per_page", DEFAULT_PAGE_SIZE),
        )
        try:
            registered = registrations.all_current(appliance.kamailio)
        except RpcError:
            registered = None  # the SIP core is down: unknown, not "none"

        def item(info: ExtensionInfo) -> dict:
            phones = (
                None if registered is None else len(registered.get(info.number, []))
            )
            return info.to_dict() | {"registered_phones": phones}

        return _json_response(
            {
                "items": [item(info) for info in page.items],
                "total": page.total,
                "page": page.page,
                "per_page": page.per_page,
                "pages": page.pages,
            }
        )

    @app.post(f"{PREFIX}/extensions")
    @extension_route
    def add_extension() -> str:
        may_change()
        body = _body(NEW_FIELDS)
        created = extensions().add(
            body.get("number") or "",
            body.get("display_name") or "",
            email=body.get("email"),
            password=body.get("password"),
            caller_id=_caller_id(body),
        )
        number = created.extension.number
        log.info("extension %s: added by %s", number, access.current().principal.name)
        bottle.response.set_header("Location", f"{PREFIX}/extensions/{number}")
        return _json_response(
            created.extension.to_dict() | {"password": created.generated_password},
            201,
        )

    @app.get(f"{PREFIX}/extensions/<number>")
    @extension_route
    def get_extension(number: str) -> str:
        info = extensions().get(number)
        try:
            regs = [
                r.to_dict() for r in registrations.current(appliance.kamailio, number)
            ]
        except RpcError:
            regs = None
        # The ETag covers the extension's settings, not the phones that
        # register and unregister on their own.
        return _json_response(
            tagged(info.to_dict() | {"registrations": regs}, info.to_dict())
        )

    @app.route(f"{PREFIX}/extensions/<number>", method="PATCH")
    @extension_route
    def patch_extension(number: str) -> str:
        may_change()
        body = _body(PATCH_FIELDS)
        changes: dict = {}
        if "display_name" in body:
            changes["display_name"] = body["display_name"] or ""
        if "email" in body:
            changes["email"] = body["email"]
        if "enabled" in body:
            changes["enabled"] = body["enabled"]
            if body["enabled"] is None:
                raise BadRequest("enabled: must be true or false", field="enabled")
        if "pickup_group" in body:
            changes["pickup_group"] = body["pickup_group"] or ""
        changes |= _caller_id(body)
        service = extensions()
        unchanged_since_read("extension", number, lambda: service.get(number).to_dict())
        current = service.get(number)
        changes = {
            name: value
            for name, value in changes.items()
            if getattr(current, name) != value
        }
        if not changes:
            # Nothing differs: answer the extension as it is, and neither
            # the audit log nor the console hears of a change.
            return _json_response(tagged(current.to_dict()))
        caller_id = {n: v for n, v in changes.items() if n in CALLER_ID_FIELDS}
        others = {n: v for n, v in changes.items() if n not in CALLER_ID_FIELDS}
        info = service.update(number, caller_id=caller_id, **others)
        log.info("extension %s: changed by %s", number, service.actor.name)
        return _json_response(tagged(info.to_dict()))

    @app.delete(f"{PREFIX}/extensions/<number>")
    @extension_route
    def delete_extension(number: str) -> str:
        service = extensions()
        unchanged_since_read("extension", number, lambda: service.get(number).to_dict())
        service.remove(number)
        log.info("extension %s: deleted by %s", number, access.current().principal.name)
        bottle.response.status = 204
        return ""
