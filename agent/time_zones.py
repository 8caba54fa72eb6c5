"""The time zones a person may choose: the IANA zones this box knows.

``zoneinfo.available_timezones()`` lists the files under the zone directory,
and Debian's holds two that name no place: ``localtime`` (a link to the
box's own zone, whatever that is) and ``Factory`` (tzdata's "zone not set
yet", shown as "-00"). ``ZoneInfo()`` opens any such file, ``posixrules``
and ``posix/Europe/Berlin`` too, so opening a name does not prove it is a
zone a phone or a report can use.
"""

from __future__ import annotations

import functools
import zoneinfo

#: Files in the zone directory that are not zones of a place.
NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def names() -> frozenset[str]:
    """Every zone that may be chosen, like "Europe/Berlin" or "UTC"."""
    return frozenset(zoneinfo.available_timezones() - NOT_PLACES)


def is_zone(name: str) -> bool:
    return name in names()
