"""A call report as a file: CSV for spreadsheets, PDF to read and print.

Both are made on the appliance from the same ``CallReport`` the page and
the API show. The CSV is one table: a ``grouping`` column says which part
of the report a row belongs to (``total`` first, then each grouping).
"""

from __future__ import annotations

import csv
import io

from fpdf import FPDF

from agent.reports.figures import GROUPING_TITLES, CallReport, Figures

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
    "talk_s",
    "average_talk_s",
)
# The PDF's table: the column titles and their widths in millimetres (an A4
# page is 210 mm wide, 15 mm margins leave 180).
PDF_COLUMNS = (
    ("", 52),
    ("Calls", 16),
    ("Answered", 20),
    ("Missed", 16),
    ("Busy", 14),
    ("Failed", 14),
    ("Talk", 24),
    ("Average", 24),
)
PDF_MARGIN_MM = 15
# The PDF's built-in Helvetica covers Latin-1; a name with other letters
# shows them as "?" (the appliance ships no Unicode font to embed).
PDF_ENCODING = "latin-1"


def csv_text(report: CallReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(_csv_row("total", report.period.title(), "", report.totals))
    for name, rows in report.groups.items():
        for row in rows:
            writer.writerow(_csv_row(name, row.key, row.label, row.figures))
    return out.getvalue()


def _csv_row(grouping: str, key: str, name: str, f: Figures) -> list:
    # A name that a spreadsheet would take for a formula is quoted with a
    # leading apostrophe (OWASP's advice on CSV injection).
    if name[:1] in {"=", "+", "-", "@"}:
        name = "'" + name
    return [
        grouping,
        key,
        name,
        f.calls,
        f.answered,
        f.missed,
        f.no_answer,
        f.busy,
        f.failed,
        f.talk_s,
        f.average_talk_s,
    ]


def duration(seconds: int) -> str:
    """Talk time as people read it: 1:02:03, 2:03."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _latin(text: str) -> str:
    return text.encode(PDF_ENCODING, "replace").decode(PDF_ENCODING)


def pdf_bytes(report: CallReport, title: str = "Call report") -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_margins(PDF_MARGIN_MM, PDF_MARGIN_MM)
    pdf.set_auto_page_break(True, PDF_MARGIN_MM)
    pdf.set_creator("edgepbx")
    pdf.set_title(_latin(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    period = report.period
    line = f"{period.title()} ({period.timezone})"
    if report.extensions:
        line += f", extensions {report.extensions}"
    pdf.cell(0, 6, _latin(line), new_x="LMARGIN", new_y="NEXT")
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
    return bytes(pdf.output())


def _table(pdf: FPDF, heading: str, lines: list[tuple[str, Figures]]) -> None:
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, _latin(heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 9)
    for title, width in PDF_COLUMNS:
        pdf.cell(width, 6, title, border="B", align="R" if title else "L")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for label, f in lines:
        values = (
            f.calls,
            f.answered,
            f.missed,
            f.busy,
            f.failed,
            duration(f.talk_s),
            duration(f.average_talk_s),
        )
        pdf.cell(PDF_COLUMNS[0][1], 5, _latin(label[:32]))
        for (_, width), value in zip(PDF_COLUMNS[1:], values, strict=True):
            pdf.cell(width, 5, str(value), align="R")
        pdf.ln()
    pdf.ln(3)
