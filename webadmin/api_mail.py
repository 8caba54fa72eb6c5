"""The REST API of the mail settings: ``/api/v1/mail``.

The same service as ``edgepbx mail`` and the System page
(``agent.mail.MailService``); the SMTP password goes in, never out.
"""

from __future__ import annotations

import bottle

from agent.appliance import Appliance
from agent.mail import MailService
from agent.mail.templates import MailTemplateService
from webadmin import access
from webadmin.api import PREFIX, BadRequest, _json_response, api_route, json_object

SETTING_FIELDS = frozenset(
    {
        "host",
        "port",
        "security",
        "verify_certificate",
        "username",
        "password",
        "sender",
        "sender_name",
    }
)
TEXT_FIELDS = SETTING_FIELDS - {"port", "verify_certificate"}
TEST_FIELDS = frozenset({"to"})
TEMPLATE_FIELDS = {"subject": (str, type(None)), "body": (str, type(None))}


def _changes() -> dict:
    body = json_object(SETTING_FIELDS)
    for name in TEXT_FIELDS & set(body):
        if body[name] is not None and not isinstance(body[name], str):
            raise BadRequest(f"{name}: must be a string", field=name)
    return body


def install(app: bottle.Bottle, appliance: Appliance) -> None:
    def mail() -> MailService:
        return MailService(appliance.key, access.current().principal)

    @app.get(f"{PREFIX}/mail")
    @api_route
    def show_mail() -> str:
        return _json_response(mail().show())

    @app.route(f"{PREFIX}/mail", method="PATCH")
    @api_route
    def change_mail() -> str:
        return _json_response(mail().change(**_changes()))

    @app.post(f"{PREFIX}/mail/test")
    @api_route
    def send_test_mail() -> str:
        body = json_object(TEST_FIELDS)
        if not isinstance(body.get("to"), str):
            raise BadRequest("to: the address to send the test to", field="to")
        return _json_response(mail().send_test(body["to"]))

    def templates() -> MailTemplateService:
        return MailTemplateService(appliance.key, access.current().principal)

    @app.get(f"{PREFIX}/mail/templates")
    @api_route
    def list_mail_templates() -> str:
        return _json_response(templates().list())

    @app.get(f"{PREFIX}/mail/templates/<kind>")
    @api_route
    def show_mail_template(kind: str) -> str:
        return _json_response(templates().show(kind))

    @app.route(f"{PREFIX}/mail/templates/<kind>", method="PATCH")
    @api_route
    def change_mail_template(kind: str) -> str:
        body = json_object(TEMPLATE_FIELDS)
        return _json_response(templates().change(kind, **body))

    @app.delete(f"{PREFIX}/mail/templates/<kind>")
    @api_route
    def reset_mail_template(kind: str) -> str:
        return _json_response(templates().reset(kind))

    @app.get(f"{PREFIX}/mail/templates/<kind>/preview")
    @api_route
    def preview_mail_template(kind: str) -> str:
        return _json_response(templates().preview(kind))

    @app.post(f"{PREFIX}/mail/templates/<kind>/test")
    @api_route
    def send_mail_template_test(kind: str) -> str:
        body = json_object(TEST_FIELDS)
        if not isinstance(body.get("to"), str):
            raise BadRequest("to: the address to send the test to", field="to")
        return _json_response(templates().send_test(kind, body["to"]))
