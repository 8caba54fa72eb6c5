"""Who is told about each event type, and the event center's options.

Both are system settings (JSON in the ``system_setting`` table): the
per-type notifications under ``events.notify``, the options (retention,
the mail window, emergency numbers, the sampler's thresholds) under
``events.options``. Every value is checked here, naming the field.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

from agent import system_settings
from agent.errors import InvalidInput
from agent.events.catalogue import NOT_BY_MAIL, TYPES
from agent.extensions import rules

NOTIFY_KEY = "events.notify"
OPTIONS_KEY = "events.options"

# A notice goes to a few people, not a mailing list.
RECIPIENTS_MAX = 20
# Ninety days of events answer "what happened last quarter" and stay small.
DEFAULT_RETENTION_DAYS = 90
RETENTION_DAYS_MAX = 3650
# A storm is summed up per type over this window: the first event is mailed
# at once, the rest in one follow-up when the window closes.
DEFAULT_MAIL_WINDOW_S = 600
MAIL_WINDOW_MIN_S = 60
MAIL_WINDOW_MAX_S = 86400
# 112 (Europe and most GSM networks) and 911 (North America).
DEFAULT_EMERGENCY_NUMBERS = ("112", "911")
EMERGENCY_NUMBER = re.compile(r"[0-9]{2,8}")
EMERGENCY_NUMBERS_MAX = 10
# The sampler warns past these (percent of the data partition, of the
# processors over a minute, of memory in use).
DEFAULT_DISK_PERCENT = 90
DEFAULT_CPU_PERCENT = 90
DEFAULT_MEMORY_PERCENT = 90


def unknown_type(name: object, field_name: str = "type") -> InvalidInput:
    return InvalidInput(field_name, name, "one of " + ", ".join(TYPES))


def check_type(name: object, field_name: str = "type") -> str:
    if not isinstance(name, str) or name not in TYPES:
        raise unknown_type(name, field_name)
    return name


def check_recipients(value: object) -> tuple[str, ...]:
    """A list of e-mail addresses (or one text, comma or space separated)."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple):
        raise InvalidInput("recipients", value, "a list of e-mail addresses")
    if len(value) > RECIPIENTS_MAX:
        raise InvalidInput(
            "recipients", None, f"at most {RECIPIENTS_MAX} e-mail addresses"
        )
    checked: list[str] = []
    for item in value:
        text = item.strip() if isinstance(item, str) else item
        try:
            address = rules.email(text) if isinstance(text, str) else None
        except InvalidInput:
            address = None
        if not address:
            raise InvalidInput(
                "recipients", item, "an e-mail address like name@example.com"
            )
        if address not in checked:
            checked.append(address)
    return tuple(checked)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(name, value, "true or false")
    return value


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not low <= value <= high
    ):
        raise InvalidInput(name, value, f"a whole number from {low} to {high}")
    return value


@dataclass(frozen=True)
class Notification:
    """How people hear of one event type."""

    type: str
    email: bool = False
    recipients: tuple[str, ...] = ()
    webhook: bool = True

    def to_dict(self) -> dict:
        kind = TYPES[self.type]
        return {
            "type": self.type,
            "label": kind.label,
            "severity": kind.severity.value,
            "cause": kind.cause,
            "email": self.email,
            "recipients": list(self.recipients),
            "webhook": self.webhook,
        }

    def changed(self, changes: dict) -> Notification:
        unknown = set(changes) - {"email", "recipients", "webhook"}
        if unknown:
            raise InvalidInput(sorted(unknown)[0], None, "not a notification setting")
        values: dict = {}
        if "email" in changes:
            values["email"] = _flag("email", changes["email"])
        if "recipients" in changes:
            values["recipients"] = check_recipients(changes["recipients"])
        if "webhook" in changes:
            values["webhook"] = _flag("webhook", changes["webhook"])
        after = replace(self, **values)
        if after.email and self.type in NOT_BY_MAIL:
            raise InvalidInput(
                "email", None, f"{self.type} cannot be sent by mail: use a webhook"
            )
        if after.email and not after.recipients:
            raise InvalidInput("recipients", None, "at least one address to mail")
        return after


def load_notifications() -> dict[str, Notification]:
    stored = system_settings.get(NOTIFY_KEY) or {}
    found = {}
    for name in TYPES:
        values = stored.get(name) or {}
        found[name] = Notification(
            name,
            email=bool(values.get("email", False)),
            recipients=tuple(values.get("recipients", ())),
            webhook=bool(values.get("webhook", True)),
        )
    return found


def save_notification(notification: Notification) -> None:
    stored = system_settings.get(NOTIFY_KEY) or {}
    values = asdict(notification)
    values.pop("type")
    values["recipients"] = list(notification.recipients)
    stored[notification.type] = values
    system_settings.put(NOTIFY_KEY, stored)


@dataclass(frozen=True)
class EventOptions:
    retention_days: int = DEFAULT_RETENTION_DAYS
    mail_window_s: int = DEFAULT_MAIL_WINDOW_S
    emergency_numbers: tuple[str, ...] = field(default=DEFAULT_EMERGENCY_NUMBERS)
    disk_percent: int = DEFAULT_DISK_PERCENT
    cpu_percent: int = DEFAULT_CPU_PERCENT
    memory_percent: int = DEFAULT_MEMORY_PERCENT

    @classmethod
    def load(cls) -> EventOptions:
        stored = system_settings.get(OPTIONS_KEY) or {}
        known = {k: v for k, v in stored.items() if k in cls.__dataclass_fields__}
        if "emergency_numbers" in known:
            known["emergency_numbers"] = tuple(known["emergency_numbers"])
        return cls(**known)

    def save(self) -> None:
        values = asdict(self)
        values["emergency_numbers"] = list(self.emergency_numbers)
        system_settings.put(OPTIONS_KEY, values)

    def to_dict(self) -> dict:
        values = asdict(self)
        values["emergency_numbers"] = list(self.emergency_numbers)
        return values

    def changed(self, changes: dict) -> EventOptions:
        unknown = set(changes) - set(self.__dataclass_fields__)
        if unknown:
            raise InvalidInput(sorted(unknown)[0], None, "not an event center option")
        values: dict = {}
        if "retention_days" in changes:
            values["retention_days"] = _whole(
                "retention_days", changes["retention_days"], 1, RETENTION_DAYS_MAX
            )
        if "mail_window_s" in changes:
            values["mail_window_s"] = _whole(
                "mail_window_s",
                changes["mail_window_s"],
                MAIL_WINDOW_MIN_S,
                MAIL_WINDOW_MAX_S,
            )
        for name in ("disk_percent", "cpu_percent", "memory_percent"):
            if name in changes:
                values[name] = _whole(name, changes[name], 1, 100)
        if "emergency_numbers" in changes:
            values["emergency_numbers"] = _emergency(changes["emergency_numbers"])
        return replace(self, **values)


def _emergency(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list | tuple) or len(value) > EMERGENCY_NUMBERS_MAX:
        raise InvalidInput(
            "emergency_numbers",
            None,
            f"a list of at most {EMERGENCY_NUMBERS_MAX} numbers",
        )
    for item in value:
        if not isinstance(item, str) or not EMERGENCY_NUMBER.fullmatch(item):
            raise InvalidInput("emergency_numbers", item, "2 to 8 digits each")
    return tuple(dict.fromkeys(value))
