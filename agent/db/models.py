"""Tables of the configuration database, as peewee models.

The schema itself is owned by the migrations in ``agent.db.migrations``;
these classes only describe it to peewee, so a model never creates a table.
"""

from __future__ import annotations

import datetime as dt

import peewee

from agent.db import database


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class SystemSetting(BaseModel):
    """One appliance-wide setting; the value is JSON text."""

    key = peewee.CharField(primary_key=True, max_length=64)
    value = peewee.TextField()


class Extension(BaseModel):
    """A number that phones register as and that can be called.

    ``sip_password`` is the device-key ciphertext of the SIP password (so
    provisioning can hand it to a phone); ``ha1`` and ``ha1b`` are the
    digest hashes Kamailio checks, computed with the realm recorded in the
    ``sip.realm`` setting.
    """

    number = peewee.CharField(unique=True, max_length=6)
    display_name = peewee.CharField(max_length=64)
    email = peewee.CharField(max_length=254, null=True)
    sip_password = peewee.TextField()
    ha1 = peewee.CharField(max_length=64)
    ha1b = peewee.CharField(max_length=64)
    enabled = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
