"""The IVR service: auto-attendant menus, checked whole before they are saved.

A menu is saved only if every destination exists (the extension, its
mailbox, the other menu) and no chain of menus leads back to where it
started: a caller must always get out, so loops are refused at save time,
with the field that closes the loop named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from agent import audit, numbering
from agent.accounts.roles import Permission, Principal
from agent.db import Saved, database, upsert
from agent.db.models import CallQueue, Extension, IvrChoice, IvrMenu, utcnow
from agent.destinations import MENU_KINDS, Destination, refuse_if_used
from agent.errors import AlreadyExists, InvalidInput, NotFound
from agent.media.prompts import SYSTEM_PROMPTS_DIR
from agent.settings import Settings
from agent.voicemail.service import VoicemailService

NUMBER_DIGITS = (2, 6)
NAME_MAX = 64
CHOICE_KEYS = "0123456789*#"
# Time to press a key after the prompt, and tries before the fallback:
# long enough for a caller reading a number off a letter, short enough not
# to feel dead.
DIGIT_TIMEOUT_S = (1, 30)
RETRIES = (1, 10)
_PROMPT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class MenuInfo:
    number: str
    name: str
    prompt: str
    digit_timeout_s: int
    retries: int
    dial_by_extension: bool
    fallback: str
    choices: dict[str, str]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, menu: IvrMenu) -> MenuInfo:
        return cls(
            number=menu.number,
            name=menu.name,
            prompt=menu.prompt,
            digit_timeout_s=menu.digit_timeout_s,
            retries=menu.retries,
            dial_by_extension=bool(menu.dial_by_extension),
            fallback=menu.fallback,
            choices={
                c.digit: c.destination for c in menu.choices.order_by(IvrChoice.digit)
            },
        )


class IvrService:
    def __init__(self, settings: Settings, actor: Principal) -> None:
        self.settings = settings
        self.actor = actor

    def list(self) -> list[MenuInfo]:
        self.actor.require(Permission.VIEW_MEDIA)
        return [MenuInfo.of(m) for m in IvrMenu.select().order_by(IvrMenu.number)]

    def show(self, number: str) -> MenuInfo:
        self.actor.require(Permission.VIEW_MEDIA)
        return MenuInfo.of(self._menu(number))

    def _menu(self, number: str) -> IvrMenu:
        menu = IvrMenu.get_or_none(IvrMenu.number == number)
        if menu is None:
            raise NotFound(f"IVR menu {number} does not exist", field="number")
        return menu

    def save(
        self,
        number: str,
        *,
        name: str,
        prompt: str,
        choices: dict[str, str],
        fallback: str = "hangup",
        digit_timeout_s: int = 5,
        retries: int = 3,
        dial_by_extension: bool = True,
        create: bool | None = None,
    ) -> Saved[MenuInfo]:
        """Create or replace a menu. ``create`` True: must be new; False: must
        exist; None: either."""
        self.actor.require(Permission.MANAGE_MEDIA)

        # Step 1: each field on its own.
        self._check_number(number)
        existing = IvrMenu.get_or_none(IvrMenu.number == number)
        if create is True and existing is not None:
            raise AlreadyExists(f"IVR menu {number} already exists", field="number")
        if create is False and existing is None:
            raise NotFound(f"IVR menu {number} does not exist", field="number")
        name = (name or "").strip()
        if not name or len(name) > NAME_MAX:
            raise InvalidInput("name", name, f"1 to {NAME_MAX} characters")
        self._check_prompt(prompt)
        _in_range("digit_timeout_s", digit_timeout_s, DIGIT_TIMEOUT_S, "seconds")
        _in_range("retries", retries, RETRIES, "tries")
        parsed: dict[str, Destination] = {}
        for key, text in choices.items():
            field = f"choices.{key}"
            if len(key) != 1 or key not in CHOICE_KEYS:
                raise InvalidInput(field, key, "a single key: 0-9, * or #")
            parsed[key] = Destination.parse(text, field, MENU_KINDS)
        parsed_fallback = Destination.parse(fallback, "fallback", MENU_KINDS)

        # Step 2: every destination exists, and none leads back here.
        targets = {f"choices.{k}": d for k, d in sorted(parsed.items())}
        targets["fallback"] = parsed_fallback
        for field, destination in targets.items():
            self._check_exists(field, destination, number)
        for field, destination in targets.items():
            if destination.kind == "ivr":
                path = self._path_back(destination.target, number, [number])
                if path is not None:
                    raise InvalidInput(
                        field,
                        str(destination),
                        "leads back to this menu (" + " → ".join(path) + ")",
                    )

        # Step 3: write it all in one transaction, where the menu is looked
        # for again: another request may have made it since step 1.
        with upsert(IvrMenu, IvrMenu.number == number, number=number) as found:
            # In the write transaction: another kind's request waits for it.
            numbering.refuse_taken("number", number, "IVR menu")
            menu = found.row
            if create is True and not found.created:
                raise AlreadyExists(f"IVR menu {number} already exists", field="number")
            if create is False and found.created:
                raise NotFound(f"IVR menu {number} does not exist", field="number")
            before = None if found.created else MenuInfo.of(menu).to_dict()
            menu.name = name
            menu.prompt = prompt
            menu.digit_timeout_s = digit_timeout_s
            menu.retries = retries
            menu.dial_by_extension = dial_by_extension
            menu.fallback = str(parsed_fallback)
            menu.updated_at = utcnow()
            menu.save()
            IvrChoice.delete().where(IvrChoice.menu == menu).execute()
            for key, destination in parsed.items():
                IvrChoice.create(menu=menu, digit=key, destination=str(destination))
            after = MenuInfo.of(menu)
            audit.record(
                self.actor,
                "create" if found.created else "update",
                "ivr menu",
                number,
                before,
                after.to_dict(),
            )
        return Saved(after, found.created)

    def remove(self, number: str) -> None:
        self.actor.require(Permission.MANAGE_MEDIA)
        menu = self._menu(number)
        refuse_if_used("number", "ivr", number, own=f"IVR {number} (")
        with database.atomic():
            before = MenuInfo.of(menu).to_dict()
            menu.delete_instance(recursive=True)
            audit.record(self.actor, "delete", "ivr menu", number, before, None)

    # -- rules ---------------------------------------------------------------

    def _check_number(self, number: str) -> None:
        low, high = NUMBER_DIGITS
        if (
            not ((number or "").isascii() and (number or "").isdigit())
            or not low <= len(number) <= high
        ):
            raise InvalidInput("number", number, f"digits only, {low} to {high}")

    def _check_prompt(self, prompt: str) -> None:
        if not _PROMPT.fullmatch(prompt or ""):
            raise InvalidInput(
                "prompt", prompt, "a prompt name: letters, digits, - _ . only"
            )
        uploaded = self.settings.data_dir / "prompts" / f"{prompt}.wav"
        system = SYSTEM_PROMPTS_DIR / f"{prompt}.wav"
        if not uploaded.is_file() and not system.is_file():
            raise InvalidInput(
                "prompt", prompt, "no uploaded or system prompt has this name"
            )

    def _check_exists(self, field: str, destination: Destination, own: str) -> None:
        kind, target = destination.kind, destination.target
        if kind == "extension":
            if Extension.get_or_none(Extension.number == target) is None:
                raise InvalidInput(field, str(destination), "no such extension")
        elif kind == "voicemail":
            if VoicemailService(self.settings).find(target) is None:
                raise InvalidInput(
                    field, str(destination), "that extension has no mailbox"
                )
        elif kind == "ivr":
            if target == own:
                raise InvalidInput(field, str(destination), "leads back to this menu")
            if IvrMenu.get_or_none(IvrMenu.number == target) is None:
                raise InvalidInput(field, str(destination), "no such IVR menu")
        elif kind == "queue" and not CallQueue.get_or_none(CallQueue.number == target):
            raise InvalidInput(field, str(destination), "no such queue")

    def _path_back(self, start: str, home: str, path: list[str]) -> list[str] | None:
        """The chain of menus from start back to home, if there is one."""
        if start == home:
            return [*path, home]
        if start in path:
            return None  # a loop elsewhere, refused when it was saved
        menu = IvrMenu.get_or_none(IvrMenu.number == start)
        if menu is None:
            return None
        nexts = [c.destination for c in menu.choices] + [menu.fallback]
        for text in nexts:
            kind, _, target = text.partition(":")
            if kind == "ivr":
                found = self._path_back(target, home, [*path, start])
                if found is not None:
                    return found
        return None


def choices_of(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A menu's choices from KEY=DESTINATION pairs in the order given.

    A key leads to one destination, so a key given twice is refused rather
    than the last one quietly kept.
    """
    choices: dict[str, str] = {}
    for key, destination in pairs:
        if key in choices:
            raise InvalidInput(
                f"choices.{key}", key, "given twice; each key leads to one destination"
            )
        choices[key] = destination
    return choices


def _in_range(field: str, value: int, bounds: tuple[int, int], unit: str) -> None:
    low, high = bounds
    if not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(field, value, f"from {low} to {high} {unit}")
