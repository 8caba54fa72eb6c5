"""Schema of call recording (migration 25 in ``agent.db.migrations``).

Written for the schema as it stood when this migration was made, like
every migration; kept in its own module so the list in ``migrations``
stays short.
"""

# Which calls of an extension are recorded: "off", "inbound" (calls it
# takes), "outbound" (calls it makes) or "both"; a trunk records every call
# it carries when its flag is set. The call record names its recording's
# file under recordings/ once the agent has made it ("" while there is none).
RECORDINGS = """
ALTER TABLE extension ADD COLUMN recording VARCHAR(8) NOT NULL DEFAULT 'off';
ALTER TABLE trunk ADD COLUMN recording BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE cdr ADD COLUMN recording VARCHAR(128) NOT NULL DEFAULT ''
"""
