"""Schema of per-extension call features (migration 12 in
``agent.db.migrations``): do-not-disturb and call forwarding.

Written for the schema as it stood when this migration was made, like
every migration; kept in its own module so the list in ``migrations``
stays short.
"""

# One row per extension that has ever had a feature set; no row is every
# feature off. A forward target is an extension number or an external
# number ('' = no forward of that kind); no_answer_s is how long the phones
# ring before a call forwards on no answer. The SIP routing reads this table
# directly (agent/sip/forwarding.py), by extension number.
EXTENSION_FEATURES = """
CREATE TABLE extension_feature (
    extension_id INTEGER PRIMARY KEY NOT NULL
        REFERENCES extension (id) ON DELETE CASCADE,
    dnd BOOLEAN NOT NULL DEFAULT 0,
    forward_always VARCHAR(32) NOT NULL DEFAULT '',
    forward_busy VARCHAR(32) NOT NULL DEFAULT '',
    forward_no_answer VARCHAR(32) NOT NULL DEFAULT '',
    no_answer_s INTEGER NOT NULL DEFAULT 20,
    forward_unreachable VARCHAR(32) NOT NULL DEFAULT '',
    updated_at DATETIME NOT NULL
)
"""

# Migration 19: call waiting, on unless turned off (the routing treats an
# extension already in a call as busy when it is off); and the feature codes
# changed from their defaults, one row each (agent/sip/feature_codes.py).
CALL_WAITING_AND_FEATURE_CODES = """
ALTER TABLE extension_feature ADD COLUMN call_waiting BOOLEAN NOT NULL DEFAULT 1;
CREATE TABLE feature_code (
    feature VARCHAR(32) PRIMARY KEY NOT NULL,
    code VARCHAR(8) NOT NULL,
    updated_at DATETIME NOT NULL
)
"""
