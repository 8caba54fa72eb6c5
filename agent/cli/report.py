"""``edgepbx report show|csv|pdf`` and ``edgepbx report schedule
add|list|remove|send``: call reports and the reports e-mailed on a schedule.

The same services as the Reports page and ``/api/v1/reports``
(``agent.reports``), as the console.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from agent.accounts.roles import CONSOLE
from agent.appliance import Appliance
from agent.cli import parsers
from agent.cli.output import print_json
from agent.reports import files
from agent.reports.figures import (
    GROUPING_TITLES,
    GROUPINGS,
    PRESETS,
    CallReport,
    ReportService,
    groupings,
    period,
)
from agent.reports.schedules import ATTACHMENTS, FREQUENCIES, Schedule, ScheduleService

EXIT_OK = 0


def _report(args: argparse.Namespace) -> CallReport:
    span = period(args.preset, args.since, args.until)
    return ReportService(CONSOLE).report(span, groupings(args.group or ""))


def _figures_line(label: str, f) -> str:
    return (
        f"{label[:28]:<28} {f.calls:>7} {f.answered:>8} {f.missed:>7} {f.busy:>5} "
        f"{f.failed:>6} {f.voicemail:>9} {files.duration(f.talk_s):>10} "
        f"{files.duration(f.average_talk_s):>8}"
    )


def report_show(app: Appliance, args: argparse.Namespace) -> int:
    report = _report(args)
    if args.json:
        print_json(report.to_dict())
        return EXIT_OK
    title = (
        f"{'':<28} {'calls':>7} {'answered':>8} {'missed':>7} {'busy':>5} "
        f"{'failed':>6} {'voicemail':>9} {'talk':>10} {'average':>8}"
    )
    print(f"calls {report.period.title()} ({report.period.timezone})")
    print(title)
    print(_figures_line("total", report.totals))
    for name, rows in report.groups.items():
        print(f"\nby {GROUPING_TITLES[name].lower()}")
        if not rows:
            print("  no calls")
        for row in rows:
            label = row.key if row.label in {"", row.key} else f"{row.key} {row.label}"
            print(_figures_line(label, row.figures))
    if report.queues:
        print("\ncall queues")
        for q in report.queues:
            level = (
                "no calls"
                if q.service_level_percent is None
                else f"{q.service_level_percent} % within {q.service_level_s} s"
            )
            print(
                f"{q.number} {q.name}: {q.offered} offered, {q.answered} answered, "
                f"{q.abandoned} abandoned, {q.timed_out} timed out; wait "
                f"{q.average_wait_s} s on average, {q.longest_wait_s} s longest; "
                f"{level}"
            )
            for agent in q.agents:
                print(
                    f"  agent {agent.extension}: {agent.answered} answered, "
                    f"{files.duration(agent.talk_s)} talking"
                )
    return EXIT_OK


def report_csv(app: Appliance, args: argparse.Namespace) -> int:
    text = files.csv_text(_report(args))
    if args.output:
        _write(args.output, text.encode())
    else:
        sys.stdout.write(text)
    return EXIT_OK


def report_pdf(app: Appliance, args: argparse.Namespace) -> int:
    _write(args.output, files.pdf_bytes(_report(args)))
    return EXIT_OK


def _write(output: str, data: bytes) -> None:
    Path(output).write_bytes(data)
    print(f"report written to {output} ({len(data)} bytes)")


def _show_schedule(s: Schedule) -> None:
    last = s.last_sent or "never"
    failed = f", last try failed: {s.last_error}" if s.last_error else ""
    print(
        f"{s.name}: {s.frequency} at {s.hour:02d}:00 to {', '.join(s.recipients)} "
        f"({', '.join(s.attachments)}); next {s.next_run}, last sent {last}{failed}"
    )


def schedule_add(app: Appliance, args: argparse.Namespace) -> int:
    added = ScheduleService(app.key, CONSOLE).add(
        args.name,
        args.frequency,
        args.hour,
        args.to,
        args.attach or list(ATTACHMENTS),
        args.group or "",
    )
    if args.json:
        print_json(added.to_dict())
    else:
        _show_schedule(added)
    return EXIT_OK


def schedule_list(app: Appliance, args: argparse.Namespace) -> int:
    listed = ScheduleService(app.key, CONSOLE).list()
    if args.json:
        print_json([s.to_dict() for s in listed])
        return EXIT_OK
    if not listed:
        print("no scheduled reports")
    for s in listed:
        _show_schedule(s)
    return EXIT_OK


def schedule_remove(app: Appliance, args: argparse.Namespace) -> int:
    ScheduleService(app.key, CONSOLE).remove(args.name)
    if not args.json:
        print(f"scheduled report {args.name} removed")
    return EXIT_OK


def schedule_send(app: Appliance, args: argparse.Namespace) -> int:
    sent = ScheduleService(app.key, CONSOLE).send_now(args.name)
    if args.json:
        print_json(sent.to_dict())
    else:
        print(f"report {sent.name} sent to {', '.join(sent.recipients)}")
    return EXIT_OK


def _period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=PRESETS, help="a period by name")
    parser.add_argument("--from", dest="since", metavar="DATE", help="first day")
    parser.add_argument("--to", dest="until", metavar="DATE", help="last day")
    parser.add_argument(
        "--group",
        metavar="NAMES",
        help="groupings, comma-separated: " + ",".join(GROUPINGS) + " (default all)",
    )
    parsers.fields_named(parser, {"from": "since", "to": "until"})


def register(sub: argparse._SubParsersAction) -> None:
    """Add the report commands to the edgepbx parser."""
    report = sub.add_parser("report", help="call reports, shown, as files, by mail")
    actions = report.add_subparsers(dest="action", required=True, metavar="ACTION")
    command = partial(parsers.command, actions)

    show = command("show", report_show, "show the call figures of a period")
    _period_options(show)
    csv_file = command("csv", report_csv, "the report as CSV")
    _period_options(csv_file)
    csv_file.add_argument("-o", "--output", help="file to write (default: stdout)")
    pdf_file = command("pdf", report_pdf, "the report as a PDF file")
    _period_options(pdf_file)
    pdf_file.add_argument("-o", "--output", required=True, help="file to write")

    schedule = actions.add_parser("schedule", help="reports e-mailed on a schedule")
    schedule_actions = schedule.add_subparsers(
        dest="schedule_action", required=True, metavar="ACTION"
    )
    scheduled = partial(parsers.command, schedule_actions)
    add = scheduled("add", schedule_add, "e-mail a report daily, weekly or monthly")
    add.add_argument("name")
    add.add_argument("--frequency", required=True, choices=tuple(FREQUENCIES))
    add.add_argument(
        "--hour", required=True, help="hour it is sent, 0 to 23, system time zone"
    )
    add.add_argument("--to", required=True, help="recipients, comma-separated")
    add.add_argument(
        "--attach",
        action="append",
        choices=ATTACHMENTS,
        help="csv, pdf (repeat for both; default both)",
    )
    add.add_argument("--group", metavar="NAMES", help="groupings (default all)")
    parsers.fields_named(add, {"recipients": "to", "attachments": "attach"})
    scheduled("list", schedule_list, "list the scheduled reports")
    remove = scheduled("remove", schedule_remove, "stop e-mailing a report")
    remove.add_argument("name")
    send = scheduled("send", schedule_send, "send a scheduled report now")
    send.add_argument("name")
