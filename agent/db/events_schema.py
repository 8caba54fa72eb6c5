"""Schema of the event center (migration 14 in ``agent.db.migrations``):
events as they happened, and the webhooks told about them.

Written for the schema as it stood when this migration was made, like
every migration; kept in its own module so the list in ``migrations``
stays short.
"""

# One row per event; ``at`` is Unix time (the agent removes rows older than
# the retention setting). ``details`` is a JSON object. ``secret`` is the
# device-key ciphertext of the webhook's signing secret; ``types`` is a JSON
# list of the event types the webhook is sent.
EVENT_CENTER = """
CREATE TABLE event (
    id INTEGER PRIMARY KEY NOT NULL,
    at REAL NOT NULL,
    type VARCHAR(48) NOT NULL,
    severity VARCHAR(8) NOT NULL,
    object VARCHAR(128) NOT NULL DEFAULT '',
    summary VARCHAR(300) NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX event_at ON event (at);
CREATE INDEX event_type_at ON event (type, at);
CREATE TABLE webhook (
    id INTEGER PRIMARY KEY NOT NULL,
    url VARCHAR(2048) NOT NULL,
    secret TEXT NOT NULL,
    types TEXT NOT NULL,
    created_at DATETIME NOT NULL
)
"""
