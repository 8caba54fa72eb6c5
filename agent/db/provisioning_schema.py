"""Schema of phone keys, overrides, provisioning credentials, per-model
templates and phone firmware (migration 11 in ``agent.db.migrations``).

Written for the schema as it stood when this migration was made, like
every migration; kept in its own module so the list in ``migrations``
stays short.
"""

# Programmable keys of a phone: a line key, a BLF key on an extension or a
# park slot. Per-device overrides: a setting name of the vendor's format and
# its value, written last into the phone's file. Provisioning credentials:
# the mode (site: the appliance-wide rule; off; optional: checked when
# sent; required) and the digest password sealed under the device key.
# Templates: one text per vendor, model and file kind (common or mac),
# replacing the built-in file. Firmware: files per vendor and model, and
# the version each model should run.
PHONE_KEYS_TEMPLATES_FIRMWARE = """
CREATE TABLE phone_key (
    id INTEGER PRIMARY KEY NOT NULL,
    phone_id INTEGER NOT NULL REFERENCES phone (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind VARCHAR(8) NOT NULL,
    target VARCHAR(32) NOT NULL,
    label VARCHAR(32) NOT NULL,
    line INTEGER NOT NULL DEFAULT 1,
    UNIQUE (phone_id, position)
);
CREATE TABLE phone_override (
    id INTEGER PRIMARY KEY NOT NULL,
    phone_id INTEGER NOT NULL REFERENCES phone (id) ON DELETE CASCADE,
    name VARCHAR(64) NOT NULL,
    value VARCHAR(256) NOT NULL,
    UNIQUE (phone_id, name)
);
ALTER TABLE phone ADD COLUMN http_auth VARCHAR(8) NOT NULL DEFAULT 'site';
ALTER TABLE phone ADD COLUMN http_password TEXT;
CREATE TABLE phone_template (
    id INTEGER PRIMARY KEY NOT NULL,
    vendor VARCHAR(32) NOT NULL,
    model VARCHAR(32) NOT NULL,
    file_kind VARCHAR(8) NOT NULL,
    body TEXT NOT NULL,
    updated_at DATETIME NOT NULL,
    updated_by VARCHAR(64) NOT NULL,
    UNIQUE (vendor, model, file_kind)
);
CREATE TABLE phone_firmware (
    id INTEGER PRIMARY KEY NOT NULL,
    vendor VARCHAR(32) NOT NULL,
    model VARCHAR(32) NOT NULL,
    version VARCHAR(32) NOT NULL,
    file_name VARCHAR(64) NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    uploaded_at DATETIME NOT NULL,
    UNIQUE (vendor, model, version)
);
CREATE TABLE phone_firmware_target (
    vendor VARCHAR(32) NOT NULL,
    model VARCHAR(32) NOT NULL,
    version VARCHAR(32) NOT NULL,
    PRIMARY KEY (vendor, model)
)
"""
