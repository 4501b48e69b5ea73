"""``backtimer run ROUTINE`` and the picker (``backtimer`` with no command)."""

from __future__ import annotations

import argparse
import sys

from backtimer import catalog


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="run a routine (full screen, or --plain)")
    parser.add_argument("routine", metavar="ROUTINE", help="a routine's name or a path")
    parser.add_argument(
        "--plain",
        action="store_true",
        help="no full-screen UI: print each announcement as a line (screen readers, logs)",
    )
    parser.add_argument("--no-bell", action="store_true", help="no terminal bell")
    parser.add_argument("--no-voice", action="store_true", help="no speech")
    parser.add_argument(
        "--level", choices=("low", "high"), default="low", help="end of every range to use"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    entry = catalog.resolve(args.routine)  # RoutineError -> exit 1 in cli.main
    if args.plain:
        from backtimer.plain import run_plain

        return run_plain(entry, level=args.level, bell=not args.no_bell, voice=not args.no_voice)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "backtimer: the session screen needs a terminal; use --plain for a pipe or a log",
            file=sys.stderr,
        )
        return 2
    from backtimer.app import run_app

    return run_app(entry, level=args.level, bell=not args.no_bell, voice=not args.no_voice)


def open_picker() -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "backtimer: the picker needs a terminal; try 'backtimer list' or "
            "'backtimer run ROUTINE --plain'",
            file=sys.stderr,
        )
        return 2
    from backtimer.app import run_app

    return run_app(None)
