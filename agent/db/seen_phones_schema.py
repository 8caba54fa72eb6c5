"""Schema of phones seen but not assigned (migration 13 in
``agent.db.migrations``).

Written for the schema as it stood when this migration was made, like
every migration; kept in its own module so the list in ``migrations``
stays short.
"""

# A phone that asked for its own file (by MAC) but is not in the inventory.
# vendor and model are '' until a request names them; via is how it was
# seen last (tftp, http, https or pnp). The agent alone writes this table,
# from the sightings the provisioning server and the web workers send it
# (agent.provisioning.sightings), and keeps it to a bounded number of rows.
SEEN_PHONES = """
CREATE TABLE seen_phone (
    id INTEGER PRIMARY KEY NOT NULL,
    mac VARCHAR(12) NOT NULL UNIQUE,
    vendor VARCHAR(32) NOT NULL DEFAULT '',
    model VARCHAR(32) NOT NULL DEFAULT '',
    source_ip VARCHAR(45) NOT NULL,
    via VARCHAR(8) NOT NULL,
    user_agent VARCHAR(256),
    first_seen DATETIME NOT NULL,
    last_seen DATETIME NOT NULL,
    times_seen INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX seen_phone_last_seen ON seen_phone (last_seen)
"""
