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


# Migration 40: the report's figures kept as call records are written. Two
# tables of sums, each row the Figures of agent.reports.figures in its field
# order: per quarter hour (the call's start, as QUARTER_SQL counts it) and
# trunk, which give days, hours, trunks and totals; per quarter hour and
# number, the extension's side of a call (the caller of an outbound or
# internal call, the callee of an inbound or internal one), which gives the
# extension and ring group rows. Quarter hours, so a local day or hour in any
# zone is a whole number of them. Triggers on cdr keep both in the same
# transaction as the record's insert, change or removal, whoever writes it
# (the agent, a restore, the storage cleanup); a changed record takes its old
# sums away and adds its new ones. Talk time is rounded per call, as the
# report's SQL over the records does.
_FIGURE_COLUMNS = ("calls", "answered", "no_answer", "busy", "failed", "voicemail")
_SUMS = (*_FIGURE_COLUMNS, "talk_s")


def _figures_of(row: str) -> list[str]:
    """The SQL of one record's contribution to each sum, row NEW or OLD."""
    return [
        "1",
        f"{row}.disposition = 'answered'",
        f"{row}.disposition = 'no answer'",
        f"{row}.disposition = 'busy'",
        f"{row}.disposition = 'failed'",
        f"{row}.disposition = 'voicemail'",
        f"COALESCE(CASE WHEN {row}.disposition = 'answered' "
        f"AND {row}.ended_at IS NOT NULL "
        f"THEN CAST(ROUND({row}.ended_at - {row}.answered_at) AS INTEGER) END, 0)",
    ]


def _upsert(table: str, keys: dict[str, str], row: str, sign: str, when: str) -> str:
    values = [f"{sign}({v})" for v in _figures_of(row)]
    sums = ", ".join(f"{c} = {c} + excluded.{c}" for c in _SUMS)
    return (
        f"INSERT INTO {table} ({', '.join(keys)}, {', '.join(_SUMS)}) "
        f"SELECT {', '.join(keys.values())}, {', '.join(values)} WHERE {when} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sums}"
    )


def _sums_of(row: str, sign: str) -> str:
    quarter = f"CAST({row}.started_at / 900 AS INTEGER)"
    return ";\n".join(
        [
            _upsert(
                "cdr_quarter_sum",
                {"quarter": quarter, "trunk": f"{row}.trunk"},
                row,
                sign,
                "1",
            ),
            _upsert(
                "cdr_number_sum",
                {"number": f"{row}.src", "quarter": quarter},
                row,
                sign,
                f"{row}.direction IN ('out', 'internal')",
            ),
            _upsert(
                "cdr_number_sum",
                {"number": f"{row}.dst", "quarter": quarter},
                row,
                sign,
                f"{row}.direction IN ('in', 'internal')",
            ),
        ]
    )


def _fill(table: str, keys: dict[str, str], when: str) -> str:
    sums = [f"SUM({v})" for v in _figures_of("cdr")]
    return (
        f"INSERT INTO {table} ({', '.join(keys)}, {', '.join(_SUMS)}) "
        f"SELECT {', '.join(keys.values())}, {', '.join(sums)} FROM cdr "
        f"WHERE {when} GROUP BY 1, 2 "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
        + ", ".join(f"{c} = {c} + excluded.{c}" for c in _SUMS)
    )


_COLUMNS = ", ".join(f"{c} INTEGER NOT NULL" for c in _SUMS)
_QUARTER = "CAST(started_at / 900 AS INTEGER)"
_CHANGED = "started_at, direction, src, dst, trunk, disposition, answered_at, ended_at"

#: Migration 40 statement by statement: a trigger's body holds semicolons.
REPORT_SUMS = [
    f"""CREATE TABLE cdr_quarter_sum (
    quarter INTEGER NOT NULL,
    trunk VARCHAR(32) NOT NULL,
    {_COLUMNS},
    PRIMARY KEY (quarter, trunk)
) WITHOUT ROWID""",
    f"""CREATE TABLE cdr_number_sum (
    number VARCHAR(64) NOT NULL,
    quarter INTEGER NOT NULL,
    {_COLUMNS},
    PRIMARY KEY (number, quarter)
) WITHOUT ROWID""",
    _fill("cdr_quarter_sum", {"quarter": _QUARTER, "trunk": "trunk"}, "1"),
    _fill(
        "cdr_number_sum",
        {"number": "src", "quarter": _QUARTER},
        "direction IN ('out', 'internal')",
    ),
    _fill(
        "cdr_number_sum",
        {"number": "dst", "quarter": _QUARTER},
        "direction IN ('in', 'internal')",
    ),
    f"CREATE TRIGGER cdr_sums_insert AFTER INSERT ON cdr BEGIN\n"
    f"{_sums_of('NEW', '+')};\nEND",
    f"CREATE TRIGGER cdr_sums_update AFTER UPDATE OF {_CHANGED} ON cdr BEGIN\n"
    f"{_sums_of('OLD', '-')};\n{_sums_of('NEW', '+')};\nEND",
    f"CREATE TRIGGER cdr_sums_delete AFTER DELETE ON cdr BEGIN\n"
    f"{_sums_of('OLD', '-')};\nEND",
]
