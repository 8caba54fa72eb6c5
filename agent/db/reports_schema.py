"""Schema of migration 15: call reports.

Three covering indexes let SQLite answer a month's report from indexes
alone, in index order, with no sort: ``cdr_quarter_idx`` leads with the
quarter hour a call started in (``agent.reports.figures.QUARTER_SQL``, the
same expression text, or SQLite does not use it) and the trunk, the two
keys of the report's first pass (``started_at`` is in it too: SQLite
reads an expression's column from the table unless the index holds the
column itself); ``cdr_src_report_idx`` and
``cdr_dst_report_idx`` lead with the caller and the callee, for the
per-extension pass.
A scheduled report names its frequency, the hour it is sent (system time
zone), its recipients and attachments (JSON lists), the extension ranges of
the role that made it (NULL: every extension), and its sending state:
when it is next due, how many tries failed, when the next try is.
"""

REPORTS = """
CREATE INDEX cdr_quarter_idx ON cdr (
    CAST(started_at / 900 AS INTEGER), trunk, disposition, answered_at, ended_at,
    src, dst, started_at
);
CREATE INDEX cdr_src_report_idx ON cdr (
    src, started_at, direction, disposition, answered_at, ended_at
);
CREATE INDEX cdr_dst_report_idx ON cdr (
    dst, started_at, direction, disposition, answered_at, ended_at
);
CREATE TABLE report_schedule (
    id INTEGER PRIMARY KEY NOT NULL,
    name VARCHAR(64) NOT NULL UNIQUE,
    frequency VARCHAR(8) NOT NULL,
    hour INTEGER NOT NULL,
    recipients TEXT NOT NULL,
    attachments TEXT NOT NULL,
    groupings TEXT NOT NULL,
    extension_ranges VARCHAR(256),
    created_by VARCHAR(64) NOT NULL,
    created_at DATETIME NOT NULL,
    next_run_at REAL NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    retry_at REAL,
    last_sent_at REAL,
    last_error TEXT NOT NULL DEFAULT ''
)
"""
