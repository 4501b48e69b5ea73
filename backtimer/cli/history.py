"""``backtimer history`` (list, export) and ``backtimer report`` (Markdown for a physio)."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from backtimer import __version__
from backtimer.core.literal import flat, printable
from backtimer.files.atomic import atomic_create_text, atomic_write_text
from backtimer.history.db import HistoryDB, HistoryUnavailable, open_history
from backtimer.history.export import CSV_HELP, write_csv, write_json
from backtimer.history.queries import list_sessions
from backtimer.history.report import build_report

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

STATUS_WORDS = {
    "completed": "completed",
    "ended_early": "ended early",
    "pain_stopped": "pain stop",
    "interrupted": "interrupted",
    "running": "running",
}


def parse_date(text: str) -> date:
    """A --since DATE: YYYY-MM-DD (a local date)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date like 2024-05-01 (year-month-day), got {text!r}"
        ) from None


def register(sub: argparse._SubParsersAction) -> None:
    history = sub.add_parser(
        "history",
        help="list past sessions, or export them (JSON, CSV)",
        description="Past sessions. In a terminal, opens the history screen; piped, or with "
        "--json or --csv, prints them (a plain table when piped without a format).",
        epilog=CSV_HELP
        + "\n\nJSON: a list of sessions, oldest first, each with its fields, status, "
        '"steps", "pauses", "pain_events" and "planned" (reps per exercise and side).',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    formats = history.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="print every session as JSON")
    formats.add_argument(
        "--csv",
        action="store_true",
        help="print CSV: one row per step (and per pain event), session fields repeated",
    )
    history.add_argument(
        "--since", type=parse_date, metavar="DATE", help="only sessions on or after DATE"
    )
    _data_dir_option(history)
    history.add_argument("--version", action="version", version=f"backtimer {__version__}")
    history.set_defaults(handler=run_history)

    report = sub.add_parser(
        "report",
        help="write a Markdown report for a physiotherapist",
        description="A Markdown summary for a physiotherapist: the routines' prescriptions, "
        "sessions per week and adherence, completion per exercise and side, and every pain "
        "event. Printed, or written to --out FILE.",
    )
    report.add_argument(
        "--since",
        type=parse_date,
        metavar="DATE",
        help="first day of the report (default: the last 4 weeks, today included)",
    )
    report.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help="write the report to FILE (never over an existing file without --force)",
    )
    report.add_argument("--force", action="store_true", help="replace FILE if it exists")
    _data_dir_option(report)
    report.add_argument("--version", action="version", version=f"backtimer {__version__}")
    report.set_defaults(handler=run_report)


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="the folder of the history file (default: the user's data folder, "
        "or $BACKTIMER_DATA_DIR)",
    )


def _fail(message: str) -> int:
    print(f"backtimer: {printable(message)}", file=sys.stderr)
    return EXIT_INVALID


def _open(args: argparse.Namespace) -> HistoryDB:
    """Read-only: nothing a reader does can change the history."""
    return open_history(args.data_dir, create=False)


def _warn(db: HistoryDB) -> None:
    """The history's notes (a damaged write-ahead file, sessions waiting in a journal,
    records with damaged values left out), on stderr."""
    for note in db.notes:
        print(f"backtimer: warning: {printable(note)}", file=sys.stderr)


# ------------------------------------------------------------------------ history


def format_table(db: HistoryDB, since: date | None) -> str:
    """The plain listing: one line per session, oldest first."""

    sessions = list_sessions(db, since=since, newest_first=False)
    if not sessions:
        return "no sessions recorded yet" if since is None else f"no sessions since {since}"
    rows = [("date", "time", "routine", "status", "min", "reps", "pain")]
    for s in sessions:
        rows.append(
            (
                s.day,
                s.started_local.strftime("%H:%M"),
                flat(s.routine),
                STATUS_WORDS.get(s.status, s.status),
                f"{s.minutes:.0f}",
                f"{s.work_done}/{s.work_planned}",
                str(s.pain_count) if s.pain_count else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {4, 5, 6}
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def run_history(args: argparse.Namespace) -> int:
    try:
        db = _open(args)
    except HistoryUnavailable as exc:
        return _fail(exc.message)
    with db:
        try:
            if args.json:
                write_json(db, sys.stdout, since=args.since)
                return EXIT_OK
            if args.csv:
                write_csv(db, sys.stdout, since=args.since)
                return EXIT_OK
            if not (sys.stdout.isatty() and sys.stdin.isatty()):
                print(format_table(db, args.since))
                return EXIT_OK
        except HistoryUnavailable as exc:
            return _fail(exc.message)
        finally:
            _warn(db)
        return run_history_app(db, args.since)


def run_history_app(db: HistoryDB, since: date | None = None) -> int:
    app = history_app(db, since)
    app.run()
    return app.return_code or EXIT_OK


def history_app(db: HistoryDB, since: date | None = None) -> Any:
    """The history screen on its own (``backtimer history`` in a terminal), with the keys
    of every screen, as in the app: x shows the safety message (nothing runs, so nothing is
    recorded), ? the keys, ctrl+c leaves at once, ctrl+z suspends, escape closes what is
    open (the history itself: back to the shell). No command palette: the app has none."""
    # Deferred: Textual loads only when the history screen opens, not for a listing or an
    # export (which a script may run often).
    from textual.app import App

    from backtimer.session.controller import EXIT_INTERRUPTED
    from backtimer.tui.keys import bindings, close_top
    from backtimer.tui.screens.help import HelpScreen
    from backtimer.tui.screens.history import HistoryScreen  # deferred with Textual
    from backtimer.tui.screens.pain import PainScreen

    class HistoryApp(App[None]):
        TITLE = "backtimer history"
        ENABLE_COMMAND_PALETTE = False
        BINDINGS = bindings("app")

        def on_mount(self) -> None:
            screen = HistoryScreen(db=db, since=since)
            self.push_screen(screen, callback=lambda _: self.exit())
            for note in db.notes:
                self.notify(note, severity="warning", timeout=15, markup=False)

        def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
            if action == "pain":
                return not isinstance(self.screen, PainScreen)
            if action == "help":
                return not isinstance(self.screen, HelpScreen)
            return True

        def action_pain(self) -> None:
            self.push_screen(PainScreen(None))

        def action_help(self) -> None:
            self.push_screen(HelpScreen())

        def action_escape(self) -> None:
            close_top(self.screen)

        def action_interrupt(self) -> None:
            self.exit(return_code=EXIT_INTERRUPTED)

        def action_suspend(self) -> None:
            self.action_suspend_process()

    return HistoryApp()


# ------------------------------------------------------------------------ report


def write_atomic(path: Path, text: str, *, force: bool) -> str | None:
    """Write ``text`` to ``path`` whole or not at all (:mod:`backtimer.files.atomic`). Without
    ``force`` an existing file is never replaced (FileExistsError); with it, the file is
    replaced as asked and the version replaced is kept as ``FILE.bak`` (it may be a file of
    the person's, not an earlier report: issue 13). Returns a message naming the backup."""
    if force:
        return atomic_write_text(path, text)
    atomic_create_text(path, text)
    return None


def run_report(args: argparse.Namespace) -> int:
    try:
        db = _open(args)
    except HistoryUnavailable as exc:
        return _fail(exc.message)
    now = datetime.now().astimezone()
    with db:
        try:
            text = build_report(db, since=args.since, until=now.date(), now=now)
        except HistoryUnavailable as exc:
            return _fail(exc.message)
        finally:
            _warn(db)
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    out: Path = args.out.expanduser()
    try:
        kept = write_atomic(out, text, force=args.force)
    except FileExistsError:
        return _fail(f"{out} already exists; use --force to replace it")
    except OSError as exc:
        return _fail(f"cannot write {out}: {exc.strerror or exc}")
    print(f"report written to {printable(str(out))}", file=sys.stderr)
    if kept:
        print(f"backtimer: {printable(kept)}", file=sys.stderr)
    return EXIT_OK
