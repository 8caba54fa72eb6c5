"""The user portal's sign-in details, e-mailed to the extension's user.

Sent once, when the portal account is made, to the extension's e-mail
address through the appliance's mail server. Whether it went is reported
back (``SENT``, ``NO_ADDRESS``, ``NO_SERVER``, ``NOT_SENT``) so the page can say so; the
one-time password is shown to the administrator either way.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from agent.accounts.service import AccountInfo
from agent.db.models import Extension
from agent.devicekey import DeviceKey
from agent.mail import Mailer, MailNotSent, SmtpSettings, templates

log = logging.getLogger("edgepbx.accounts")

SENT = "sent"
NO_ADDRESS = "no-address"
NO_SERVER = "no-server"
NOT_SENT = "not-sent"


#: Each outcome as a sentence for the person who made the account.
OUTCOMES = {
    SENT: "e-mailed to the extension's address",
    NO_ADDRESS: "not e-mailed: the extension has no e-mail address",
    NO_SERVER: "not e-mailed: no mail server is set (System, or edgepbx mail set)",
    NOT_SENT: "not e-mailed: the mail server did not take it (the log says why)",
}


def send_credentials(key: DeviceKey, account: AccountInfo, password: str) -> str:
    extension = Extension.get_or_none(Extension.number == account.extension)
    if extension is None or not extension.email:
        return NO_ADDRESS
    if not SmtpSettings.load().configured:
        return NO_SERVER
    subject, body = templates.render(
        "portal-sign-in",
        {
            "name": extension.display_name,
            "extension": extension.number,
            "email": extension.email,
        },
    )
    # The sign-in lines are not part of the template: no template can drop,
    # move or copy the one-time password.
    message = EmailMessage()
    message["To"] = extension.email
    message["Subject"] = subject
    message.set_content(
        f"{body.rstrip()}\n\n"
        f"Sign in with: {extension.number} (or this e-mail address)\n"
        f"One-time password: {password}\n\n"
        "You will choose your own password when you first sign in.\n"
    )
    try:
        Mailer(key).send(message)
    except MailNotSent as exc:
        log.warning("account %s: sign-in details not mailed: %s", account.username, exc)
        return NOT_SENT
    return SENT
