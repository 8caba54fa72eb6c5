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
    #: Comma-separated networks the phones may register and call from;
    #: empty: from anywhere (agent.security.extension_networks).
    allowed_networks = peewee.TextField(default="")
    #: The call pickup group (agent/sip/pickup.py); empty: in none.
    pickup_group = peewee.CharField(max_length=16, default="")
    #: Which calls are recorded: off, inbound, outbound or both
    #: (agent.recordings.settings).
    recording = peewee.CharField(max_length=8, default="off")
    #: The number and name a carrier is given on its outside calls; "": the
    #: route's caller ID, else the trunk's main number (agent/sip/outside.py).
    outside_cid_number = peewee.CharField(max_length=16, default="")
    outside_cid_name = peewee.CharField(max_length=64, default="")
    #: The name other extensions' phones show on its calls; "": the
    #: display name.
    internal_cid_name = peewee.CharField(max_length=64, default="")
    #: Its outside calls go out anonymous (RFC 3323 Privacy: id).
    withhold_number = peewee.BooleanField(default=False)


class UserAccount(BaseModel):
    """A person who signs in to the web admin or the user portal.

    ``password_hash`` is a scrypt hash (``agent.accounts.passwords``).
    ``role`` names a predefined role or a ``CustomRole``. ``extension`` is
    set for the user of one extension, who signs in to the user portal
    with the extension's number or e-mail address.
    """

    username = peewee.CharField(unique=True, max_length=32)
    role = peewee.CharField(max_length=32)
    password_hash = peewee.TextField()
    must_change_password = peewee.BooleanField(default=True)
    extension = peewee.ForeignKeyField(
        Extension, null=True, unique=True, on_delete="CASCADE"
    )
    created_at = peewee.DateTimeField(default=utcnow)
    password_changed_at = peewee.DateTimeField(default=utcnow)


class WebSession(BaseModel):
    """A signed-in browser; the cookie holds the token, the table its hash."""

    token_hash = peewee.CharField(unique=True, max_length=64)
    csrf_token = peewee.CharField(max_length=64)
    account = peewee.ForeignKeyField(UserAccount, on_delete="CASCADE")
    source_ip = peewee.CharField(max_length=45)
    created_at = peewee.FloatField()
    last_seen_at = peewee.FloatField()


class ApiToken(BaseModel):
    """A bearer token for scripts; only its SHA-256 digest is stored."""

    token_hash = peewee.CharField(unique=True, max_length=64)
    name = peewee.CharField(max_length=64)
    role = peewee.CharField(max_length=32)
    created_by = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=utcnow)
    last_used_at = peewee.DateTimeField(null=True)


class SigninThrottle(BaseModel):
    """Recent failed sign-ins of one user name or one source address."""

    subject = peewee.CharField(primary_key=True, max_length=96)
    failures = peewee.IntegerField()
    last_failure_at = peewee.FloatField()
    locked_until = peewee.FloatField()


class AuditEntry(BaseModel):
    """Who changed what, when; before and after are JSON, secrets masked."""

    at = peewee.DateTimeField(default=utcnow)
    actor = peewee.CharField(max_length=64)
    action = peewee.CharField(max_length=32)
    object_type = peewee.CharField(max_length=32)
    object_id = peewee.CharField(max_length=64)
    before = peewee.TextField(null=True)
    after = peewee.TextField(null=True)

    class Meta:
        table_name = "audit_log"


class Phone(BaseModel):
    """A desk phone the PBX provisions, known by its MAC address.

    ``admin_password`` is the device-key ciphertext of the password of the
    phone's own web page, random per phone, written into its configuration.
    ``config_version`` goes up with every change to the phone or its lines.
    """

    mac = peewee.CharField(unique=True, max_length=12)
    vendor = peewee.CharField(max_length=32)
    model = peewee.CharField(max_length=32)
    admin_password = peewee.TextField()
    config_version = peewee.IntegerField(default=1)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    last_request_at = peewee.DateTimeField(null=True)
    last_request_ip = peewee.CharField(max_length=45, null=True)
    last_request_file = peewee.CharField(max_length=128, null=True)
    last_user_agent = peewee.CharField(max_length=256, null=True)
    #: site, off, optional or required: HTTP digest on ``/prov/``.
    http_auth = peewee.CharField(max_length=8, default="site")
    #: Device-key ciphertext of the phone's provisioning digest password.
    http_password = peewee.TextField(null=True)


class PhoneLine(BaseModel):
    """One line (SIP account) of a phone and the extension it registers as."""

    phone = peewee.ForeignKeyField(Phone, backref="lines", on_delete="CASCADE")
    line = peewee.IntegerField()
    extension = peewee.ForeignKeyField(Extension, on_delete="CASCADE")

    class Meta:
        table_name = "phone_line"


class Ban(BaseModel):
    """An address the security jail blocks, or blocked before.

    ``active`` is cleared when the ban expires or is lifted; the row stays so
    that ``offences`` makes the next ban of a repeat offender longer.
    """

    address = peewee.CharField(primary_key=True, max_length=45)
    reason = peewee.TextField()
    banned_at = peewee.FloatField()
    expires_at = peewee.FloatField()
    offences = peewee.IntegerField(default=1)
    active = peewee.BooleanField(default=True)


class CustomRole(BaseModel):
    """A role made on the appliance: view or edit per module (``modules`` is
    JSON, module name to "view" or "edit") and, when ``extension_ranges`` is
    set, only the extensions whose numbers fall in those ranges."""

    name = peewee.CharField(unique=True, max_length=32)
    description = peewee.CharField(max_length=128, default="")
    modules = peewee.TextField()
    extension_ranges = peewee.CharField(max_length=256, null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "custom_role"


class Phonebook(BaseModel):
    """A company phonebook; ``visible_to`` is number ranges, None for all."""

    name = peewee.CharField(unique=True, max_length=64)
    visible_to = peewee.CharField(max_length=256, null=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Contact(BaseModel):
    """A contact in a company phonebook, or a personal one of an extension."""

    phonebook = peewee.ForeignKeyField(
        Phonebook, null=True, backref="contacts", on_delete="CASCADE"
    )
    owner = peewee.ForeignKeyField(Extension, null=True, on_delete="CASCADE")
    name = peewee.CharField(max_length=64)
    company = peewee.CharField(max_length=64, default="")
    number = peewee.CharField(max_length=32)
    email = peewee.CharField(max_length=254, null=True)
    created_at = peewee.DateTimeField(default=utcnow)


class PhoneKey(BaseModel):
    """A programmable key of a phone: line, BLF or park slot."""

    phone = peewee.ForeignKeyField(Phone, backref="keys", on_delete="CASCADE")
    position = peewee.IntegerField()
    kind = peewee.CharField(max_length=8)
    target = peewee.CharField(max_length=32)
    label = peewee.CharField(max_length=32)
    line = peewee.IntegerField(default=1)

    class Meta:
        table_name = "phone_key"


class PhoneOverride(BaseModel):
    """A setting of the vendor's format written last into one phone's file."""

    phone = peewee.ForeignKeyField(Phone, backref="overrides", on_delete="CASCADE")
    name = peewee.CharField(max_length=64)
    value = peewee.CharField(max_length=256)

    class Meta:
        table_name = "phone_override"


class PhoneTemplate(BaseModel):
    """An administrator's template replacing a model's built-in file."""

    vendor = peewee.CharField(max_length=32)
    model = peewee.CharField(max_length=32)
    file_kind = peewee.CharField(max_length=8)
    body = peewee.TextField()
    updated_at = peewee.DateTimeField(default=utcnow)
    updated_by = peewee.CharField(max_length=64)

    class Meta:
        table_name = "phone_template"


class PhoneFirmware(BaseModel):
    """A firmware file uploaded for one vendor and model."""

    vendor = peewee.CharField(max_length=32)
    model = peewee.CharField(max_length=32)
    version = peewee.CharField(max_length=32)
    file_name = peewee.CharField(max_length=64, unique=True)
    size = peewee.IntegerField()
    sha256 = peewee.CharField(max_length=64)
    uploaded_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "phone_firmware"


class PhoneFirmwareTarget(BaseModel):
    """The firmware version a model should run."""

    vendor = peewee.CharField(max_length=32)
    model = peewee.CharField(max_length=32)
    version = peewee.CharField(max_length=32)

    class Meta:
        table_name = "phone_firmware_target"
        primary_key = peewee.CompositeKey("vendor", "model")


class Mailbox(BaseModel):
    """The voicemail box of one extension; ``pin_hash`` is a scrypt hash."""

    extension = peewee.ForeignKeyField(Extension, unique=True, on_delete="CASCADE")
    enabled = peewee.BooleanField(default=True)
    pin_hash = peewee.TextField()
    email_enabled = peewee.BooleanField(default=False)
    max_message_s = peewee.IntegerField(default=120)
    transcribe = peewee.BooleanField(default=True)
    updated_at = peewee.DateTimeField(default=utcnow)


class VoicemailMessage(BaseModel):
    """One message left in a mailbox; the audio is ``file_name`` beside it."""

    mailbox = peewee.ForeignKeyField(Mailbox, backref="messages", on_delete="CASCADE")
    caller = peewee.CharField(max_length=64)
    caller_name = peewee.CharField(max_length=64, default="")
    reason = peewee.CharField(max_length=16)
    received_at = peewee.DateTimeField(default=utcnow)
    duration_s = peewee.FloatField()
    file_name = peewee.CharField(max_length=128)
    heard = peewee.BooleanField(default=False)
    transcript = peewee.TextField(default="")

    class Meta:
        table_name = "voicemail_message"


class IvrMenu(BaseModel):
    """An auto-attendant menu, called by its number."""

    number = peewee.CharField(unique=True, max_length=6)
    name = peewee.CharField(max_length=64)
    prompt = peewee.CharField(max_length=128)
    digit_timeout_s = peewee.IntegerField(default=5)
    retries = peewee.IntegerField(default=3)
    dial_by_extension = peewee.BooleanField(default=True)
    fallback = peewee.CharField(max_length=32, default="hangup")
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "ivr_menu"


class IvrChoice(BaseModel):
    """One DTMF key of a menu and where it leads."""

    menu = peewee.ForeignKeyField(IvrMenu, backref="choices", on_delete="CASCADE")
    digit = peewee.CharField(max_length=1)
    destination = peewee.CharField(max_length=32)

    class Meta:
        table_name = "ivr_choice"


class ConferenceRoom(BaseModel):
    """A conference room, called by its number; both PINs are optional.

    With ``wait_for_moderator`` members hear music until a caller who gave
    the moderator PIN is in the room; with ``end_with_moderator`` the room
    empties when the last moderator leaves.
    """

    number = peewee.CharField(unique=True, max_length=6)
    name = peewee.CharField(max_length=64)
    pin_hash = peewee.TextField(null=True)
    moderator_pin_hash = peewee.TextField(null=True)
    wait_for_moderator = peewee.BooleanField(default=False)
    end_with_moderator = peewee.BooleanField(default=False)
    max_members = peewee.IntegerField(default=4)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "conference_room"


class PageGroup(BaseModel):
    """A page group, called by its number: the media service calls every
    member with the auto-answer header and plays the caller to them one-way.
    ``members`` is the member extensions' numbers, comma-separated, in order.
    """

    number = peewee.CharField(unique=True, max_length=6)
    name = peewee.CharField(max_length=64)
    members = peewee.TextField(default="")
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "page_group"


class PageBroadcast(BaseModel):
    """A prompt played to a page group at set times (agent/paging/broadcasts.py).

    ``prompt`` is ``upload:NAME`` or ``system:NAME``; ``weekdays`` is
    ``mon,tue,...`` for a weekly broadcast, empty for a single one on
    ``on_date``. ``time_of_day`` (HH:MM) and the date are in the appliance's
    zone; ``next_run_at`` is Unix seconds, None when nothing is due again.
    """

    name = peewee.CharField(unique=True, max_length=64)
    page_group = peewee.CharField(max_length=6)
    prompt = peewee.CharField(max_length=80)
    weekdays = peewee.CharField(max_length=32, default="")
    time_of_day = peewee.CharField(max_length=5)
    on_date = peewee.CharField(max_length=10, null=True)
    enabled = peewee.BooleanField(default=True)
    next_run_at = peewee.FloatField(null=True)
    last_run_at = peewee.FloatField(null=True)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "page_broadcast"


class CallQueue(BaseModel):
    """A call queue: callers wait with music until one of its agents answers.

    ``agents`` are the static agents' extension numbers in ring order,
    comma-separated; ``failover`` is a destination as an IVR key has one
    (agent/destinations.py); ``music`` is "default" or the name of an
    uploaded piece of music on hold.
    """

    number = peewee.CharField(unique=True, max_length=6)
    name = peewee.CharField(max_length=64)
    strategy = peewee.CharField(max_length=16, default="ring-all")
    agents = peewee.TextField(default="")
    ring_s = peewee.IntegerField(default=15)
    max_wait_s = peewee.IntegerField(default=300)
    failover = peewee.CharField(max_length=32, default="hangup")
    music = peewee.CharField(max_length=64, default="default")
    announce_position = peewee.BooleanField(default=False)
    announce_wait = peewee.BooleanField(default=False)
    announce_every_s = peewee.IntegerField(default=60)
    #: An answered call counts toward the service level if an agent
    #: answered within this many seconds of the caller joining the queue.
    service_level_s = peewee.IntegerField(default=20)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "call_queue"


class QueueLogin(BaseModel):
    """A dynamic agent: an extension logged in to a queue by feature code."""

    queue = peewee.ForeignKeyField(CallQueue, backref="logins", on_delete="CASCADE")
    extension = peewee.CharField(max_length=6)
    logged_in_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "queue_login"
        indexes = ((("queue", "extension"), True),)
