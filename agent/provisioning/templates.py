"""Templates editable per model: an administrator's text that replaces a
vendor's built-in common file or phone file.

A template is Jinja (sandboxed: no attribute of Python internals, no
imports, no file access) rendered with:

- ``built_in``: the file as the PBX writes it without a template, so a
  template may be ``{{ built_in }}`` with settings added before or after;
- ``phone``: the phone file's values (``mac``, ``model``,
  ``admin_password``, ``lines`` with ``line``, ``number``,
  ``display_name``, ``password``; ``keys`` with ``position``, ``kind``,
  ``target``, ``label``, ``line``; ``firmware_url``, ``phonebook_url``),
  and the values the vendor's fields take in another form (Grandstream:
  ``phonebook_folder`` for P331, the folder the phone appends
  ``phonebook.xml`` to, and ``phonebook_download`` for P330, where
  ``phonebook_url`` would be wrong); absent in a common file's template;
- ``site``: ``server``, ``port``, ``transport``, ``time_zone``,
  ``ntp_server``, ``language``, ``voicemail_code``,
  ``directed_pickup_code``, ``group_pickup_code``, ``http_base``.

A value the phone does not have (no firmware target, no phonebook, a
Grandstream phonebook URL P331 cannot take) is empty text, never None:
``{{ phone.firmware_url }}`` writes nothing, and ``{% if
phone.firmware_url %}`` tells whether there is one. So no template
writes ``None`` into a phone's file.

A template is checked when saved: it must parse, render for a sample
phone that has every value a real phone file can have (a firmware URL, a
phonebook URL where the vendor takes one, keys of every kind), and give a
file of the vendor's format (XML that parses; Yealink's
version line first). Anything else is refused with the line and the cause,
and the template saved before stays. Should a saved template still fail
for one particular phone, that phone gets the built-in file and the
failure is logged, so a phone is never sent a broken file.

A template is for one model (``T54W``) or for every model of the vendor
(``*``); the model's own wins. Common files are asked for by hardware
rather than model, so their templates are for ``*`` only.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from typing import Any

import jinja2

from agent import audit
from agent.accounts.roles import Permission, Principal
from agent.db import database
from agent.db.models import PhoneTemplate, utcnow
from agent.errors import InvalidInput, NotFound
from agent.provisioning import phonebook, rules, template_sandbox
from agent.provisioning.held_models import held_models
from agent.provisioning.profile import (
    FunctionKey,
    LineAccount,
    PhoneProfile,
    SiteProfile,
)
from agent.provisioning.vendors import VENDORS, Vendor
from agent.provisioning.vendors import vendor as vendor_named

log = logging.getLogger("edgepbx.provisioning")

ANY_MODEL = "*"
COMMON = "common"
MAC = "mac"
# A template is a configuration file: tens of kilobytes at most.
BODY_MAX = 64 * 1024
DEFAULT_BODY = "{{ built_in }}"

SAMPLE_SITE = SiteProfile(
    server="192.0.2.10",
    port=5060,
    transport="udp",
    time_zone="Europe/Berlin",
    ntp_server="pool.ntp.org",
    language="en",
    http_base="http://192.0.2.10:8080/prov/",
)
SAMPLE_MAC = "805ec0aabbcc"
SAMPLE_FIRMWARE = "sample-firmware.bin"


def sample_phone(vendor: Vendor, model: str) -> PhoneProfile:
    """A phone with two lines, keys of every kind, a firmware target and
    a phonebook as a real phone file has them, to check and preview
    templates."""
    return PhoneProfile(
        mac=SAMPLE_MAC,
        vendor=vendor.name,
        model=model if model != ANY_MODEL else "SAMPLE",
        admin_password="Sample-Admin-Pw1",
        lines=(
            LineAccount(1, "101", "Front desk", "sample-sip-password-1"),
            LineAccount(2, "102", "Office", "sample-sip-password-2"),
        ),
        site=SAMPLE_SITE,
        keys=(
            FunctionKey(1, "line", "", "Line 1", 1),
            FunctionKey(2, "blf", "103", "Warehouse", 1),
            FunctionKey(3, "park", "7001", "Park 7001", 1),
        ),
        firmware_url=f"{SAMPLE_SITE.http_base}{SAMPLE_FIRMWARE}",
        phonebook_url=phonebook.url(vendor.name, SAMPLE_MAC, SAMPLE_SITE.http_base),
    )


@dataclass(frozen=True)
class TemplateInfo:
    vendor: str
    model: str
    file: str
    body: str
    built_in: bool
    updated_at: str | None
    updated_by: str | None

    def to_dict(self) -> dict:
        return asdict(self)


class TemplateError(InvalidInput):
    """A template that does not parse, render or give the vendor's format."""

    kind = "template-refused"

    def __init__(self, line: int | None, cause: str) -> None:
        where = f"line {line}: " if line else ""
        super().__init__("body", None, f"{where}{cause}")
        self.line = line


class _ValuesFirst(template_sandbox.BoundedSandbox):
    """The sandbox, with ``phone.keys`` the phone's keys: Jinja looks a
    name up as an attribute before an item, and a dict's ``keys`` method
    would hide the value of that name."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_ENVIRONMENT = _ValuesFirst(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=True,
)


def _file_kinds(vendor: Vendor) -> tuple[str, ...]:
    return ((COMMON,) if vendor.common_file else ()) + (MAC,)


def _check_kind(vendor: Vendor, model: str, file: str) -> None:
    if file not in _file_kinds(vendor):
        kinds = ", ".join(_file_kinds(vendor))
        raise InvalidInput("file", file, f"{vendor.title}: one of {kinds}")
    if file == COMMON and model != ANY_MODEL:
        raise InvalidInput("model", model, "common files have templates for * only")


def _model(vendor: Vendor, model: str) -> str:
    model = (model or "").strip()
    if model == ANY_MODEL:
        return model
    return vendor.check_model(rules.model(model), held_models(vendor.name))


def _context(built_in: bytes, site: SiteProfile, phone: PhoneProfile | None) -> dict:
    context: dict = {"built_in": built_in.decode("utf-8"), "site": asdict(site)}
    if phone is not None:
        values = asdict(phone)
        values.pop("site")
        maker = VENDORS.get(phone.vendor)
        if maker is not None and maker.template_values is not None:
            values.update(maker.template_values(phone))
        context["phone"] = values
    return _without_none(context)


def _without_none(value: Any) -> Any:
    """``value`` with every None in it, however deep, as empty text: a value
    the phone lacks is written as nothing, not as ``None``."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_without_none(item) for item in value)
    return value


def render_body(
    body: str, built_in: bytes, site: SiteProfile, phone: PhoneProfile | None
) -> bytes:
    """The template's file; TemplateError naming the line and the cause.
    The render is bounded (``template_sandbox``): a template that loops,
    calls or grows without end is refused within a fraction of a second."""
    with template_sandbox.bounded():
        try:
            template = _ENVIRONMENT.from_string(body)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(exc.lineno, exc.message or "syntax error") from None
        try:
            text = template_sandbox.render(template, _context(built_in, site, phone))
        except jinja2.TemplateError as exc:
            raise TemplateError(_error_line(exc), str(exc)) from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise TemplateError(_error_line(exc), str(exc)) from None
        except RecursionError:
            raise TemplateError(None, "macros or loops nested too deeply") from None
        except MemoryError:
            raise TemplateError(None, "more memory than a phone file takes") from None
    return text.encode("utf-8")


def _error_line(exc: BaseException) -> int | None:
    """The template line of a render error, from the traceback."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def check_format(vendor: Vendor, content: bytes) -> None:
    """The rendered file must be of the vendor's format."""
    if vendor.content_type.startswith(("application/xml", "text/xml")):
        try:
            ET.fromstring(content)
        except ET.ParseError as exc:
            line = exc.position[0] if exc.position else None
            raise TemplateError(
                line, f"the file is not well-formed XML: {exc}"
            ) from None
    elif vendor.name == "yealink":
        first = content.split(b"\n", 1)[0].strip()
        if first != b"#!version:1.0.0.1":
            raise TemplateError(1, "a Yealink file starts with #!version:1.0.0.1")


def built_in_file(vendor: Vendor, file: str, phone: PhoneProfile) -> bytes:
    if file == COMMON:
        return vendor.render_common(phone.site)
    return vendor.render_mac_file(phone)


class TemplateService:
    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def list(self) -> list[TemplateInfo]:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        query = PhoneTemplate.select().order_by(
            PhoneTemplate.vendor, PhoneTemplate.model, PhoneTemplate.file_kind
        )
        return [_info(row) for row in query]

    def get(self, vendor: str, model: str, file: str) -> TemplateInfo:
        self.actor.require(Permission.VIEW_EXTENSIONS)
        maker = vendor_named(vendor)
        model = _model(maker, model)
        _check_kind(maker, model, file)
        row = _row(maker.name, model, file)
        if row is None:
            return TemplateInfo(maker.name, model, file, DEFAULT_BODY, True, None, None)
        return _info(row)

    def save(self, vendor: str, model: str, file: str, body: str) -> TemplateInfo:
        """Check the template whole, then store it; the old one stays on
        any error."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        maker = vendor_named(vendor)
        model = _model(maker, model)
        _check_kind(maker, model, file)
        if not isinstance(body, str) or not body.strip():
            raise InvalidInput("body", None, "a template, at least {{ built_in }}")
        if len(body.encode()) > BODY_MAX:
            raise InvalidInput("body", None, f"at most {BODY_MAX} bytes")
        self.preview(maker.name, model, file, body)

        with database.atomic():
            row = _row(maker.name, model, file)
            before = {"body": row.body} if row else None
            if row is None:
                row = PhoneTemplate(vendor=maker.name, model=model, file_kind=file)
            row.body = body
            row.updated_at = utcnow()
            row.updated_by = self.actor.name
            row.save()
            audit.record(
                self.actor,
                "update",
                "phone-template",
                f"{maker.name}/{model}/{file}",
                before,
                {"body": body},
            )
        return _info(row)

    def reset(self, vendor: str, model: str, file: str) -> None:
        """Back to the built-in file."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        maker = vendor_named(vendor)
        model = _model(maker, model)
        _check_kind(maker, model, file)
        with database.atomic():
            row = _row(maker.name, model, file)
            if row is None:
                raise NotFound(
                    f"template {maker.name}/{model}/{file}: none saved", field="file"
                )
            row.delete_instance()
            audit.record(
                self.actor,
                "delete",
                "phone-template",
                f"{maker.name}/{model}/{file}",
                {"body": row.body},
            )

    def preview(
        self,
        vendor: str,
        model: str,
        file: str,
        body: str | None = None,
        phone: PhoneProfile | None = None,
    ) -> bytes:
        """The file a template gives (the saved one when body is None), for
        a sample phone or for the phone given."""
        self.actor.require(Permission.CHANGE_EXTENSIONS)
        maker = vendor_named(vendor)
        model = _model(maker, model)
        _check_kind(maker, model, file)
        if body is None:
            body = self.get(maker.name, model, file).body
        profile = phone or sample_phone(maker, model)
        built_in = built_in_file(maker, file, profile)
        content = render_body(
            body, built_in, profile.site, None if file == COMMON else profile
        )
        check_format(maker, content)
        return content


def apply(
    vendor: Vendor,
    file: str,
    phone: PhoneProfile | None,
    site: SiteProfile,
    built_in: bytes,
) -> bytes:
    """The file a phone is sent: its template's, or the built-in one."""
    models = [phone.model, ANY_MODEL] if phone is not None else [ANY_MODEL]
    rows = {
        row.model: row
        for row in PhoneTemplate.select().where(
            PhoneTemplate.vendor == vendor.name,
            PhoneTemplate.file_kind == file,
            PhoneTemplate.model.in_(models),
        )
    }
    row = next((rows[m] for m in models if m in rows), None)
    if row is None:
        return built_in
    try:
        content = render_body(row.body, built_in, site, phone)
        check_format(vendor, content)
    except TemplateError as exc:
        log.error(
            "template %s/%s/%s: %s; the built-in file was sent instead",
            vendor.name,
            row.model,
            file,
            exc,
        )
        return built_in
    return content


def _row(vendor: str, model: str, file: str) -> PhoneTemplate | None:
    return PhoneTemplate.get_or_none(
        PhoneTemplate.vendor == vendor,
        PhoneTemplate.model == model,
        PhoneTemplate.file_kind == file,
    )


def _info(row: PhoneTemplate) -> TemplateInfo:
    return TemplateInfo(
        row.vendor,
        row.model,
        row.file_kind,
        row.body,
        False,
        f"{row.updated_at}Z",
        row.updated_by,
    )
