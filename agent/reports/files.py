"""A call report as a file: CSV for spreadsheets, PDF to read and print.

Both are made on the appliance from the same ``CallReport`` the page and
the API show. The CSV is one table: a ``grouping`` column says which part
of the report a row belongs to (``total`` first, then each grouping, then
``queue`` rows and each queue's ``queue agent`` rows). A queue row's calls
are the calls offered to it and its missed calls those abandoned or timed
out; the queue columns are empty on the other rows.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from agent.reports.figures import (
    GROUPING_TITLES,
    CallReport,
    Figures,
    QueueFigures,
)

if TYPE_CHECKING:
    from fpdf import FPDF

CSV_COLUMNS = (
    "grouping",
    "key",
    "name",
    "calls",
    "answered",
    "missed",
    "no_answer",
    "busy",
    "failed",
    "voicemail",
    "talk_s",
    "average_talk_s",
    "abandoned",
    "timed_out",
    "average_wait_s",
    "longest_wait_s",
    "service_level_s",
    "service_level_percent",
)
# The PDF's table of queues, as PDF_COLUMNS.
PDF_QUEUE_COLUMNS = (
    ("", 44),
    ("Offered", 16),
    ("Answered", 18),
    ("Abandoned", 20),
    ("Timed out", 20),
    ("Avg wait", 18),
    ("Longest", 18),
    ("In level", 26),
)
# The PDF's table: the column titles and their widths in millimetres (an A4
# page is 210 mm wide, 15 mm margins leave 180).
PDF_COLUMNS = (
    ("", 46),
    ("Calls", 14),
    ("Answered", 18),
    ("Missed", 15),
    ("Busy", 12),
    ("Failed", 13),
    ("Voicemail", 20),
    ("Talk", 21),
    ("Average", 21),
)
PDF_MARGIN_MM = 15
# Names are written in DejaVu Sans, embedded (only the letters used), which
# covers Latin, Greek, Cyrillic, Hebrew, Arabic, Armenian and Georgian but no
# Chinese, Japanese or Korean: Debian's fonts-dejavu-core, or the image's
# Buildroot dejavu package.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FONT_FAMILY = "DejaVu"
# Without it, the PDF's built-in Helvetica covers Latin-1 only and other
# letters show as "?".
FALLBACK_FAMILY = "Helvetica"
PDF_ENCODING = "latin-1"
# Subsetting the font logs each step at INFO: noise in the appliance's log.
logging.getLogger("fontTools").setLevel(logging.WARNING)


def csv_text(report: CallReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(_csv_row("total", report.period.title(), "", report.totals))
    for name, rows in report.groups.items():
        for row in rows:
            writer.writerow(_csv_row(name, row.key, row.label, row.figures))
    for queue in report.queues:
        writer.writerow(_queue_row(queue))
        for agent in queue.agents:
            writer.writerow(
                [
                    "queue agent",
                    f"{queue.number}/{agent.extension}",
                    "",
                    agent.answered,
                    agent.answered,
                    0,
                    "",
                    "",
                    "",
                    "",
                    agent.talk_s,
                    round(agent.talk_s / agent.answered) if agent.answered else 0,
                ]
            )
    return out.getvalue()


def _queue_row(q: QueueFigures) -> list:
    talk = sum(a.talk_s for a in q.agents)
    level = q.service_level_percent
    return [
        "queue",
        q.number,
        _spreadsheet_safe(q.name),
        q.offered,
        q.answered,
        q.abandoned + q.timed_out,
        "",
        "",
        "",
        "",
        talk,
        round(talk / q.answered) if q.answered else 0,
        q.abandoned,
        q.timed_out,
        q.average_wait_s,
        q.longest_wait_s,
        q.service_level_s,
        "" if level is None else level,
    ]


def _spreadsheet_safe(name: str) -> str:
    # A name that a spreadsheet would take for a formula is quoted with a
    # leading apostrophe (OWASP's advice on CSV injection).
    if name[:1] in {"=", "+", "-", "@"}:
        return "'" + name
    return name


def _csv_row(grouping: str, key: str, name: str, f: Figures) -> list:
    return [
        grouping,
        key,
        _spreadsheet_safe(name),
        f.calls,
        f.answered,
        f.missed,
        f.no_answer,
        f.busy,
        f.failed,
        f.voicemail,
        f.talk_s,
        f.average_talk_s,
    ]


def duration(seconds: int) -> str:
    """Talk time as people read it: 1:02:03, 2:03."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@functools.cache
def _font_dir() -> Path | None:
    for folder in FONT_DIRS:
        if all((folder / name).is_file() for name in FONT_FILES.values()):
            return folder
    return None


@functools.cache
def _pdf_class() -> type[FPDF]:
    # fpdf takes longer to import than the rest of the command line put
    # together: only the making of a PDF waits for it, not every command.
    from fpdf import FPDF

    class Pdf(FPDF):
        """An A4 page in the Unicode font when the appliance has it."""

        def __init__(self) -> None:
            super().__init__(format="A4")
            folder = _font_dir()
            self.unicode = folder is not None
            if folder is not None:
                for style, name in FONT_FILES.items():
                    self.add_font(FONT_FAMILY, style, str(folder / name))

        def text_of(self, text: str) -> str:
            if self.unicode:
                return text
            return text.encode(PDF_ENCODING, "replace").decode(PDF_ENCODING)

        def face(self, style: str, size: int) -> None:
            family = FONT_FAMILY if self.unicode else FALLBACK_FAMILY
            self.set_font(family, style, size)

    return Pdf


def pdf_bytes(report: CallReport, title: str = "Call report") -> bytes:
    pdf = _pdf_class()()
    pdf.set_margins(PDF_MARGIN_MM, PDF_MARGIN_MM)
    pdf.set_auto_page_break(True, PDF_MARGIN_MM)
    pdf.set_creator("edgepbx")
    pdf.set_title(pdf.text_of(title))
    pdf.add_page()
    pdf.face("B", 16)
    pdf.cell(0, 9, pdf.text_of(title), new_x="LMARGIN", new_y="NEXT")
    pdf.face("", 10)
    period = report.period
    line = f"{period.title()} ({period.timezone})"
    if report.extensions:
        line += f", extensions {report.extensions}"
    pdf.cell(0, 6, pdf.text_of(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _table(pdf, "Totals", [("All calls", report.totals)])
    for name, rows in report.groups.items():
        if not rows:
            continue
        lines = [
            (
                row.key
                if not row.label or row.label == row.key
                else f"{row.key} {row.label}",
                row.figures,
            )
            for row in rows
        ]
        _table(pdf, GROUPING_TITLES[name], lines)
    if report.queues:
        _queue_table(pdf, report.queues)
    return bytes(pdf.output())


def _queue_table(pdf: FPDF, queues: list[QueueFigures]) -> None:
    pdf.face("B", 12)
    pdf.cell(0, 8, "Call queues", new_x="LMARGIN", new_y="NEXT")
    pdf.face("B", 9)
    for title, width in PDF_QUEUE_COLUMNS:
        pdf.cell(width, 6, title, border="B", align="R" if title else "L")
    pdf.ln()
    pdf.face("", 9)
    for q in queues:
        level = q.service_level_percent
        values = (
            q.offered,
            q.answered,
            q.abandoned,
            q.timed_out,
            duration(q.average_wait_s),
            duration(q.longest_wait_s),
            "-" if level is None else f"{level} % in {q.service_level_s} s",
        )
        pdf.cell(PDF_QUEUE_COLUMNS[0][1], 5, pdf.text_of(f"{q.number} {q.name}"[:28]))
        for (_, width), value in zip(PDF_QUEUE_COLUMNS[1:], values, strict=True):
            pdf.cell(width, 5, str(value), align="R")
        pdf.ln()
        for agent in q.agents:
            line = (
                f"    agent {agent.extension}: {agent.answered} answered, "
                f"{duration(agent.talk_s)} talking"
            )
            pdf.cell(0, 5, pdf.text_of(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)


def _table(pdf: FPDF, heading: str, lines: list[tuple[str, Figures]]) -> None:
    pdf.face("B", 12)
    pdf.cell(0, 8, pdf.text_of(heading), new_x="LMARGIN", new_y="NEXT")
    pdf.face("B", 9)
    for title, width in PDF_COLUMNS:
        pdf.cell(width, 6, title, border="B", align="R" if title else "L")
    pdf.ln()
    pdf.face("", 9)
    for label, f in lines:
        values = (
            f.calls,
            f.answered,
            f.missed,
            f.busy,
            f.failed,
            f.voicemail,
            duration(f.talk_s),
            duration(f.average_talk_s),
        )
        pdf.cell(PDF_COLUMNS[0][1], 5, pdf.text_of(label[:28]))
        for (_, width), value in zip(PDF_COLUMNS[1:], values, strict=True):
            pdf.cell(width, 5, str(value), align="R")
        pdf.ln()
    pdf.ln(3)
