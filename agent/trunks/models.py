"""Tables of trunks, outbound and inbound routes and call records (peewee).

The schema is migration 7's; these classes only describe it.
"""

from __future__ import annotations

import peewee

from agent.db.models import BaseModel, utcnow


class Trunk(BaseModel):
    """A carrier account (kind "register") or a carrier that trusts our
    address (kind "peer"). ``password`` is sealed under the device key."""

    name = peewee.CharField(unique=True, max_length=32)
    kind = peewee.CharField(max_length=16)
    host = peewee.CharField(max_length=253)
    port = peewee.IntegerField()
    transport = peewee.CharField(max_length=8)
    outbound_proxy = peewee.CharField(max_length=260, null=True)
    username = peewee.CharField(max_length=64, null=True)
    auth_username = peewee.CharField(max_length=64, null=True)
    password = peewee.TextField(null=True)
    realm = peewee.CharField(max_length=253, null=True)
    caller_id_header = peewee.CharField(max_length=8)
    did_header = peewee.CharField(max_length=16)
    enabled = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    #: Every call through this trunk is recorded.
    recording = peewee.BooleanField(default=False)
    #: Comma-separated codec names the carrier is offered, preferred first;
    #: "": whatever the phones offer (migration 33).
    codecs = peewee.CharField(max_length=64, default="")
    #: The number the PBX presents as its own at the carrier when neither
    #: the extension nor the route names one; "": the DID added to the
    #: trunk first (migration 42).
    main_number = peewee.CharField(max_length=16, default="")


class TrunkDid(BaseModel):
    trunk = peewee.ForeignKeyField(Trunk, backref="dids", on_delete="CASCADE")
    did = peewee.CharField(unique=True, max_length=32)

    class Meta:
        table_name = "trunk_did"


class OutboundRoute(BaseModel):
    name = peewee.CharField(unique=True, max_length=32)
    position = peewee.IntegerField()
    caller_id = peewee.CharField(max_length=32, null=True)
    #: JSON list of extension numbers allowed to use the route; [] = all.
    extensions = peewee.TextField(default="[]")
    enabled = peewee.BooleanField(default=True)

    class Meta:
        table_name = "outbound_route"


class DialPatternRow(BaseModel):
    route = peewee.ForeignKeyField(
        OutboundRoute, backref="patterns", on_delete="CASCADE"
    )
    position = peewee.IntegerField()
    pattern = peewee.CharField(max_length=64)
    strip = peewee.IntegerField(default=0)
    prepend = peewee.CharField(max_length=32, default="")

    class Meta:
        table_name = "dial_pattern"


class OutboundRouteTrunk(BaseModel):
    route = peewee.ForeignKeyField(
        OutboundRoute, backref="trunk_links", on_delete="CASCADE"
    )
    trunk = peewee.ForeignKeyField(Trunk, on_delete="RESTRICT")
    position = peewee.IntegerField()

    class Meta:
        table_name = "outbound_route_trunk"


class InboundRoute(BaseModel):
    did = peewee.CharField(max_length=32)
    #: "" matches any caller.
    caller_id = peewee.CharField(max_length=32, default="")
    destination_kind = peewee.CharField(max_length=16)
    destination = peewee.CharField(max_length=32)

    class Meta:
        table_name = "inbound_route"


class CallRecord(BaseModel):
    """One call: times are Unix seconds as Kamailio saw them."""

    call_id = peewee.CharField(unique=True, max_length=255)
    direction = peewee.CharField(max_length=8)
    src = peewee.CharField(max_length=64)
    dst = peewee.CharField(max_length=64)
    did = peewee.CharField(max_length=32, default="")
    trunk = peewee.CharField(max_length=32, default="")
    caller_name = peewee.CharField(max_length=64, default="")
    started_at = peewee.FloatField()
    answered_at = peewee.FloatField(null=True)
    ended_at = peewee.FloatField(null=True)
    disposition = peewee.CharField(max_length=16, default="")
    last_code = peewee.IntegerField(default=0)
    #: The recording's file name under recordings/, "" when there is none.
    recording = peewee.CharField(max_length=128, default="")
    #: A call that waited in a call queue: the queue's number, the agent
    #: who answered it ("" if none did), how it left the queue (answered,
    #: abandoned, timed out; "" while it waits) and its wait in seconds.
    queue = peewee.CharField(max_length=6, default="")
    agent = peewee.CharField(max_length=6, default="")
    queue_outcome = peewee.CharField(max_length=16, default="")
    queue_wait_s = peewee.FloatField(null=True)
    #: The extension that transferred the call to its caller, "" if none.
    transferred_by = peewee.CharField(max_length=64, default="")
    #: Why the call ended when the PBX cut it ("cut: the PBX stopped"),
    #: None for a call its phones ended.
    end_reason = peewee.TextField(null=True)

    class Meta:
        table_name = "cdr"


class QueueCallPart(BaseModel):
    """One queue's part of a call: a call that fails over from one queue to
    another has a part in each, so each queue counts only its own wait and
    how the caller left it. Times are Unix seconds."""

    call_id = peewee.CharField(max_length=255)
    queue = peewee.CharField(max_length=6)
    joined_at = peewee.FloatField()
    #: answered, abandoned, timed out; "" while the caller waits.
    outcome = peewee.CharField(max_length=16, default="")
    #: The agent who answered, "" if none did.
    agent = peewee.CharField(max_length=6, default="")
    wait_s = peewee.FloatField(null=True)
    answered_at = peewee.FloatField(null=True)

    class Meta:
        table_name = "queue_call"


class RingGroupRow(BaseModel):
    number = peewee.CharField(unique=True, max_length=6)
    name = peewee.CharField(max_length=64)
    strategy = peewee.CharField(max_length=16)
    ring_time_s = peewee.IntegerField()
    #: JSON list of {"extension": "101", "ring_time_s": 15}.
    members = peewee.TextField()
    failover = peewee.CharField(max_length=32, default="")

    class Meta:
        table_name = "ring_group"


class TimeConditionRow(BaseModel):
    name = peewee.CharField(unique=True, max_length=32)
    timezone = peewee.CharField(max_length=64)
    hours = peewee.TextField()
    holidays = peewee.TextField(default="[]")
    mode = peewee.CharField(max_length=8, default="auto")
    open_kind = peewee.CharField(max_length=16)
    open_destination = peewee.CharField(max_length=32)
    closed_kind = peewee.CharField(max_length=16)
    closed_destination = peewee.CharField(max_length=32)

    class Meta:
        table_name = "time_condition"


class SpeedDialRow(BaseModel):
    """A company speed dial: prefix plus code reaches number."""

    code = peewee.CharField(unique=True, max_length=3)
    number = peewee.CharField(max_length=32)
    name = peewee.CharField(max_length=64, default="")
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = "speed_dial"
