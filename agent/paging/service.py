"""The paging service: page groups with a number, a name and member extensions.

A call to a group's number goes to a media worker (agent/paging/flow.py),
which calls the members with the auto-answer header (agent/sip/auto_answer.py)
and plays the caller to them one-way. The whole page is on one worker, which
holds CALLS_PER_WORKER calls (agent/media/pool.py): the caller's and one per
member, so a group has at most one member fewer than that; larger groups
need workers linked to each other, not built yet.

Known shortcoming: removing an extension leaves its number in the groups it
was a member of; a page then reaches the others and that number gets 404,
until the group is saved again (which refuses the missing extension).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from agent import audit, numbering
from agent.accounts.roles import Permission, Principal
from agent.db import Saved, database, upsert
from agent.db.models import Extension, PageBroadcast, PageGroup, utcnow
from agent.errors import InvalidInput, NotFound
from agent.extensions import rules
from agent.media.pool import CALLS_PER_WORKER

NUMBER_DIGITS = (2, 6)
NAME_MAX = 64
#: One call of the worker is the caller's.
MAX_MEMBERS = CALLS_PER_WORKER - 1


@dataclass(frozen=True)
class PageGroupInfo:
    number: str
    name: str
    members: list[str]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def of(cls, group: PageGroup) -> PageGroupInfo:
        return cls(group.number, group.name, member_numbers(group.members))


def member_numbers(stored: str) -> list[str]:
    return [m for m in (stored or "").split(",") if m]


class PagingService:
    def __init__(self, actor: Principal) -> None:
        self.actor = actor

    def list(self) -> list[PageGroupInfo]:
        self.actor.require(Permission.VIEW_MEDIA)
        groups = PageGroup.select().order_by(PageGroup.number)
        return [PageGroupInfo.of(g) for g in groups]

    def show(self, number: str) -> PageGroupInfo:
        self.actor.require(Permission.VIEW_MEDIA)
        return PageGroupInfo.of(self._group(number))

    def _group(self, number: str) -> PageGroup:
        group = PageGroup.get_or_none(PageGroup.number == number)
        if group is None:
            raise NotFound(f"page group {number} does not exist", field="number")
        return group

    def add(self, number: str, *, name: str, members: list[str]) -> PageGroupInfo:
        """A new group; refused if the number is already a page group."""
        self.actor.require(Permission.MANAGE_MEDIA)
        if PageGroup.select().where(PageGroup.number == number).exists():
            raise InvalidInput("number", number, "already a page group's number")
        return self.save(number, name=name, members=members).info

    def set(
        self,
        number: str,
        *,
        name: str | None = None,
        members: list[str] | None = None,
    ) -> PageGroupInfo:
        """Change an existing group; what is not given stays."""
        self.actor.require(Permission.MANAGE_MEDIA)
        group = self._group(number)
        return self.save(
            number,
            name=group.name if name is None else name,
            members=member_numbers(group.members) if members is None else members,
        ).info

    def save(self, number: str, *, name: str, members: list[str]) -> Saved:
        self.actor.require(Permission.MANAGE_MEDIA)
        low, high = NUMBER_DIGITS
        if (
            not ((number or "").isascii() and (number or "").isdigit())
            or not low <= len(number) <= high
        ):
            raise InvalidInput("number", number, f"digits only, {low} to {high}")
        name = rules.display_name(name, NAME_MAX)
        members = check_members(members)

        where = PageGroup.number == number
        with upsert(PageGroup, where, number=number) as found:
            # In the write transaction: another kind's request waits for it.
            numbering.refuse_taken("number", number, "page group")
            group = found.row
            before = None if found.created else PageGroupInfo.of(group).to_dict()
            group.name = name
            group.members = ",".join(members)
            group.updated_at = utcnow()
            group.save()
            after = PageGroupInfo.of(group)
            audit.record(
                self.actor,
                "create" if found.created else "update",
                "page group",
                number,
                before,
                after.to_dict(),
            )
        return Saved(after, found.created)

    def remove(self, number: str) -> None:
        self.actor.require(Permission.MANAGE_MEDIA)
        group = self._group(number)
        users = PageBroadcast.select().where(PageBroadcast.page_group == number)
        if users.exists():
            raise InvalidInput(
                "number",
                number,
                "still the page group of broadcast " + ", ".join(b.name for b in users),
            )
        with database.atomic():
            before = PageGroupInfo.of(group).to_dict()
            group.delete_instance()
            audit.record(self.actor, "delete", "page group", number, before, None)


def check_members(members: list[str]) -> list[str]:
    """The member list, each an existing extension, once, at most MAX_MEMBERS."""
    cleaned: list[str] = []
    for member in members or []:
        member = (member or "").strip()
        if not member:
            continue
        if not Extension.select().where(Extension.number == member).exists():
            raise InvalidInput("members", member, "not an extension")
        if member in cleaned:
            raise InvalidInput("members", member, "listed twice")
        cleaned.append(member)
    if not cleaned:
        raise InvalidInput("members", "", "at least one extension")
    if len(cleaned) > MAX_MEMBERS:
        raise InvalidInput(
            "members",
            ",".join(cleaned),
            f"at most {MAX_MEMBERS} (a media worker's calls, less the caller's)",
        )
    return cleaned
