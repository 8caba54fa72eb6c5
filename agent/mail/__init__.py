"""E-mail from the appliance: the SMTP server it sends through, and sending.

Voicemail to e-mail, event notifications and the installation wizard's test
mail all go through ``Mailer.send``; the settings are kept in the
system_setting table with the password sealed by the device key.
"""

from agent.mail.service import (
    Mailer,
    MailNotSent,
    MailService,
    SmtpSettings,
)

__all__ = ["MailNotSent", "MailService", "Mailer", "SmtpSettings"]
