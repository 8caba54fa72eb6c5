"""An e-mail address belongs to one extension, whatever its case.

The user portal signs people in by their extension's address, and voicemail
and notices are sent to it; with one address on two extensions, signing in
by it reaches whichever the database returns first. So no extension may
take an address another already has, compared without regard to case
(``ANA@example.com`` is ``ana@example.com``: mail servers treat the domain
so, and people expect the same of the name before the @).

The column has no unique index: an index could not ignore case the way
Python does for addresses beyond ASCII, and adding one is a schema change
that a database already holding a duplicate would fail. The extension
service checks inside its write transaction instead, which holds the write
lock from its first statement (``agent.db.LOCK_TYPE``), so two requests
cannot both find the address free.
"""

from __future__ import annotations

from agent.accounts.roles import Permission, Principal
from agent.db.models import Extension
from agent.errors import InvalidInput


def same(a: str, b: str) -> bool:
    """Whether two addresses are one, whatever their case."""
    return a.casefold() == b.casefold()


def holder(address: str, besides: str | None = None) -> Extension | None:
    """The extension whose address this is, other than extension besides.

    Compared in Python, not SQL: SQLite's lower() folds ASCII letters only.
    One short column of every extension is read, which costs little even
    for thousands.
    """
    query = (
        Extension.select(Extension.id, Extension.number, Extension.email)
        .where(Extension.email.is_null(False))
        .order_by(Extension.number.cast("INTEGER"))
    )
    if besides is not None:
        query = query.where(Extension.number != besides)
    for row in query:
        if same(row.email, address):
            return row
    return None


def require_free(
    address: str | None, actor: Principal, besides: str | None = None
) -> None:
    """Refuse an address another extension has (besides: the one changed).

    The other extension is named to whoever may see it; anyone else (a
    portal user changing their own address) learns only that it is taken.
    """
    if address is None:
        return
    other = holder(address, besides)
    if other is None:
        return
    if actor.can(Permission.VIEW_EXTENSIONS) and actor.sees_extension(other.number):
        owner = f"extension {other.number}'s"
    else:
        owner = "another extension's"
    raise InvalidInput(
        "email", address, f"already {owner} address, and one address is one person's"
    )
