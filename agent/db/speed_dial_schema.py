"""Schema of company speed dials (migration 20 in ``agent.db.migrations``).

Written for the schema as it stood when this migration was made, like
every migration; kept in its own module so the list in ``migrations``
stays short.
"""

# A short code any extension dials after the speed-dial prefix to reach a
# stored number: an extension, a service number or an outside number, as if
# the caller had dialled it. The SIP routing reads this table with the rest
# of the dial plan (agent/sip/outside.py load_dialplan), by code.
SPEED_DIALS = """
CREATE TABLE speed_dial (
    id INTEGER PRIMARY KEY NOT NULL,
    code VARCHAR(3) NOT NULL UNIQUE,
    number VARCHAR(32) NOT NULL,
    name VARCHAR(64) NOT NULL DEFAULT '',
    updated_at DATETIME NOT NULL
)
"""
