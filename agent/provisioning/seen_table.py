"""The table of phones seen but not assigned, for the modules that read or
write it: ``sightings`` (the agent fills it), ``seen`` (people act on it)
and ``inventory`` (a phone added by any means leaves it)."""

from __future__ import annotations

import peewee

from agent.db.models import BaseModel


class SeenPhone(BaseModel):
    """A phone that asked for its own file but is not in the inventory
    (migration 13). ``vendor`` and ``model`` are "" while unknown."""

    mac = peewee.CharField(unique=True, max_length=12)
    vendor = peewee.CharField(max_length=32, default="")
    model = peewee.CharField(max_length=32, default="")
    source_ip = peewee.CharField(max_length=45)
    via = peewee.CharField(max_length=8)
    user_agent = peewee.CharField(max_length=256, null=True)
    first_seen = peewee.DateTimeField()
    last_seen = peewee.DateTimeField()
    times_seen = peewee.IntegerField(default=1)

    class Meta:
        table_name = "seen_phone"
