"""The command line: ``backtimer [COMMAND] ...``.

Each command lives in a function (or a module of its own for the larger ones) that returns an
exit code: 0 ok, 1 invalid input (routine errors), 2 usage errors. Nothing but argparse's
usage errors and our own messages reaches the user: no tracebacks.

Start-up is kept short: this module imports nothing heavy (no pydantic, Textual or sqlite3);
a command's module is imported only when that command is run or its ``--help`` asked for
(``backtimer --help`` lists them from :data:`COMMANDS`), so ``--version`` and ``--help`` answer
at once. pydantic is told not to scan the installed packages for plugins (backtimer uses none),
and the methods ``@dataclass`` compiles are kept between runs (``files.dataclass_code``).

The garbage collector waits while the program starts: importing Textual, pydantic and the
app makes hundreds of thousands of objects that all live on, and the collector's passes over
them are about 5 % of a start (nothing it could free is made then). A command turns it on
before it runs; the full-screen app once its first frame is on the screen.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backtimer import __version__
from backtimer.core.durations import about
from backtimer.core.literal import printable

if TYPE_CHECKING:
    from backtimer.files.routine_load import Problem

# Before pydantic builds the first model: no scan of every installed package's entry points.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

#: The commands that live in modules of their own, in the order ``--help`` lists them, with
#: the line it shows for each (the same as the module's own ``register`` gives; a test checks).
COMMANDS: dict[str, tuple[str, str]] = {
    "plan": ("backtimer.cli.plan", "print the timed plan of a routine"),
    "run": ("backtimer.cli.run", "run a routine (full screen, or --plain)"),
    "history": ("backtimer.cli.history", "list past sessions, or export them (JSON, CSV)"),
    "report": ("backtimer.cli.history", "write a Markdown report for a physiotherapist"),
    "new": (
        "backtimer.cli.edit",
        "create a routine in your routines folder, from a commented template",
    ),
    "edit": ("backtimer.cli.edit", "edit a routine in your editor, then check it"),
    "sound": (
        "backtimer.cli.sound",
        "check the sound: play each tone and a sentence, print the engine, voice, rate, "
        "output and start-up delay",
    ),
    "audio": ("backtimer.cli.audio", "render a guided session (speech and tones) into a WAV file"),
}


class _Parser(argparse.ArgumentParser):
    """argparse with a short message on errors (usage line plus the error), exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\nTry '{self.prog} --help'.\n")


# ------------------------------------------------------------------------ check


def _spoken_plan(routine: Any) -> Any:
    """The routine's plan fitted for the user's voice settings (None if it cannot be made)."""
    # Here, not at the top: check alone needs the session layer, and the CLI starts light.
    from backtimer.files.config import with_config_defaults
    from backtimer.session.launch import settings, speech_plan

    try:
        config = settings()
        return speech_plan(with_config_defaults(routine, config), "low", config)
    except (ValueError, OSError):
        return None


def _lengthened_lines(routine: Any) -> list[str]:
    """Under a checked file: where its spoken words make steps longer than it says."""
    plan = _spoken_plan(routine)
    if plan is None or not plan.added_seconds:
        return []
    from backtimer.cli.plan import lengthened

    lines = [f"  with its words, about {about(plan.total_seconds)}; they lengthen:"]
    return lines + [f"    {line}" for line in lengthened(plan)]


def _toml_files(target: Path) -> list[Path]:
    if target.is_dir():
        # Everything but folders: a named pipe or a device gets its message, not silence.
        return sorted(p for p in target.rglob("*.toml") if not p.is_dir())
    return [target]


def cmd_check(args: argparse.Namespace) -> int:
    """Validate routine files and folders; print every error of every file."""
    # Deferred (start-up, see above): the cache is light; pydantic loads only for a file
    # that is not in it (below).
    from backtimer.files.cache import RoutineCache, file_stamp, speech_context

    # A file unchanged since it last passed is not checked again: its summary is in the
    # cache, and with every file unchanged neither pydantic nor the routine model is loaded.
    cache = RoutineCache()
    context = speech_context()
    status = EXIT_OK
    for raw in args.paths:
        target = Path(raw)
        try:
            files = _toml_files(target)
        except OSError:  # e.g. a folder on the way that cannot be searched
            files = [target]
        if not files:
            print(f"{printable(raw)}: no .toml files in this folder", file=sys.stderr)
            status = EXIT_INVALID
        for path in files:
            label = printable(str(path))
            stamp = file_stamp(path)  # before reading it
            summary = cache.summary(path, stamp)
            routine: Any = None
            if summary is None:
                # Deferred (start-up, see above): pydantic loads only for a file that changed.
                from backtimer.files.routine_load import RoutineError, load_routine

                try:
                    routine = load_routine(path, label)
                except RoutineError as exc:
                    status = EXIT_INVALID
                    for problem in exc.problems:
                        print(problem, file=sys.stderr)
                    cache.put(path, stamp, None)
                    continue
                cache.put(path, stamp, routine)
                summary = (len(routine.exercises), routine.total_seconds())
            count, seconds = summary
            noun = "exercise" if count == 1 else "exercises"
            print(f"ok {label} ({count} {noun}, about {about(seconds)})")
            # The lines on lengthened steps are kept with the file's summary: an unchanged
            # file with unchanged settings needs neither pydantic nor the voice.
            notes = cache.notes(path, stamp, context) if routine is None else None
            if notes is None:
                if routine is None:
                    routine = cache.get(path, stamp)
                notes = _lengthened_lines(routine) if routine is not None else []
                cache.put_notes(path, stamp, context, notes)
            for line in notes:
                print(line)
    cache.save()
    return status


# ------------------------------------------------------------------------ list


def session_length_for(config: Any) -> Callable[[Any], float]:
    """How long a routine's session lasts with its words, for the user's voice settings,
    at the low end of every range (see :mod:`backtimer.session.length`: estimated, so that
    ``list`` answers at once; ``plan`` measures)."""
    from backtimer.session.length import session_length_for as for_config

    total = for_config(config)
    return lambda routine: total(routine, "low")


def _length_column(config: Any) -> tuple[str, str]:
    """The length column's header, and the line under the table that says what it is."""
    if not config.voice:
        return "length", "length: the routine's own times, at the low end (the voice is off)."
    how = (
        f"about: how long a session lasts with its spoken words ({config.voice_detail}), "
        f"estimated at {config.speech_rate} words per minute, at the low end of every range; "
        "'backtimer plan ROUTINE' measures it with your voice."
    )
    return "about", how


def cmd_list(args: argparse.Namespace) -> int:
    # Deferred (start-up, see above): pydantic loads only for a command that reads routines.
    import json

    from backtimer.files import catalog
    from backtimer.session.launch import settings

    entries = catalog.all_entries()
    notes: list[str] = []
    config = settings(notes)
    for note in notes:
        print(f"backtimer: {printable(note)}", file=sys.stderr)
    session_length = session_length_for(config)
    if args.json:
        out = []
        for entry in entries:
            item: dict[str, object] = {
                "key": printable(entry.key),
                "origin": entry.origin,
                "path": printable(str(entry.path)),
                "valid": entry.valid,
            }
            if entry.routine is not None:
                item |= {
                    "name": entry.routine.name,
                    "exercises": len(entry.routine.exercises),
                    "total_seconds": entry.routine.total_seconds(),
                    "total_seconds_high": entry.routine.total_seconds("high"),
                    "session_seconds": round(session_length(entry.routine), 1),
                    "session_speech": {
                        "voice": config.voice,
                        "rate": config.speech_rate,
                        "detail": config.voice_detail,
                        "measured": False,
                    },
                }
            else:
                item["error"] = str(entry.problems[0]) if entry.problems else "invalid"
            out.append(item)
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return EXIT_OK
    if not entries:
        print("no routines found")
        return EXIT_OK
    width = max(len(printable(e.key)) for e in entries)
    # The length column: how long a session lasts with its words (the header says how it
    # was found), not only the routine's own times.
    column, legend = _length_column(config)
    print(f"{'routine':<{width}}  {'from':<7}  {'exercises':>13}  {column:>7}  name")
    for entry in entries:
        key = printable(entry.key)
        where = f"{entry.origin:<7}"
        if entry.routine is not None:
            count = len(entry.routine.exercises)
            noun = "exercise " if count == 1 else "exercises"
            print(
                f"{key:<{width}}  {where}  {count:>3} {noun}  "
                f"{about(session_length(entry.routine)):>7}  {entry.routine.name}"
            )
        else:
            first = entry.problems[0] if entry.problems else "invalid"
            print(f"{key:<{width}}  {where}  INVALID  {first}")
    print(legend)
    return EXIT_OK


# ------------------------------------------------------------------------ schema


def cmd_schema(args: argparse.Namespace) -> int:
    # Deferred (start-up, see above): pydantic loads only for a command that needs it.
    import json

    from backtimer.core.schema import routine_json_schema

    print(json.dumps(routine_json_schema(), indent=2, ensure_ascii=False))
    return EXIT_OK


# ------------------------------------------------------------------------ keys


def cmd_keys(args: argparse.Namespace) -> int:
    """Every key of the app and --plain, with the binding id that ``[keymap]`` may name."""
    # Deferred: only this command needs the settings model (pydantic); the CLI starts lean.
    import json

    from backtimer.files.config import load_config, unknown_bindings
    from backtimer.files.routine_load import printable
    from backtimer.session.commands import SECTIONS, binding_ids, commands, key_words

    if args.preset:
        from backtimer.session.commands import preset_toml

        print(preset_toml(args.preset), end="")
        return EXIT_OK
    config, warnings = load_config()
    keymap = dict(config.keymap)
    for message in [*warnings, *unknown_bindings(config, binding_ids())]:
        print(f"backtimer: {printable(message)}", file=sys.stderr)
    if args.json:
        out = [
            {
                "id": key.id,
                "keys": keymap.get(key.id, key.keys),
                "default_keys": key.keys,
                "where": where,
                "description": key.description,
            }
            for where, _ in SECTIONS
            for key in commands(where)
        ]
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return EXIT_OK
    rows = [
        (key.id, key_words(keymap.get(key.id, key.keys)), key.description, key.id in keymap)
        for where, _ in SECTIONS
        for key in commands(where)
    ]
    id_width = max(len(row[0]) for row in rows)
    key_width = max(len(row[1]) for row in rows)
    for where, title in SECTIONS:
        print(f"{title or 'The routine list'}:")
        for key in commands(where):
            keys = key_words(keymap.get(key.id, key.keys))
            moved = "  (moved by your keymap)" if key.id in keymap else ""
            print(f"  {key.id:<{id_width}}  {keys:<{key_width}}  {key.description}{moved}")
    print(
        '\nMove a key in config.toml: [keymap] then binding_id = key, e.g. pain = "p"; '
        "see 'backtimer --help' and the settings screen."
    )
    return EXIT_OK


# ------------------------------------------------------------------------ parser

Handler = Callable[[argparse.Namespace], int]


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``chosen`` (the command being run), the modules of the
    other commands in :data:`COMMANDS` are not imported: they are listed, not defined."""
    parser = _Parser(
        prog="backtimer",
        description="A terminal interval timer for guided back-pain stretching sessions. "
        "With no command, opens the routine picker.",
    )
    parser.add_argument("--version", action="version", version=f"backtimer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="validate routine files or folders")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a .toml file or a folder")
    check.add_argument("--version", action="version", version=f"backtimer {__version__}")
    check.set_defaults(handler=cmd_check)

    listing = sub.add_parser("list", help="list bundled and user routines")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.add_argument("--version", action="version", version=f"backtimer {__version__}")
    listing.set_defaults(handler=cmd_list)

    schema = sub.add_parser("schema", help="print the JSON Schema of a routine file")
    schema.add_argument("--version", action="version", version=f"backtimer {__version__}")
    schema.set_defaults(handler=cmd_schema)

    keys = sub.add_parser(
        "keys", help="list every key and its binding id (for [keymap] in config.toml)"
    )
    keys.add_argument("--json", action="store_true", help="print JSON")
    keys.add_argument(
        "--preset",
        choices=("presenter",),
        help="print a [keymap] block for config.toml: presenter, a presentation clicker's "
        "keys (page down/up pause and resume; b, F5 and escape are the pain stop)",
    )
    keys.set_defaults(handler=cmd_keys)

    registered: set[str] = set()
    for name, (module, summary) in COMMANDS.items():
        if chosen is None or (chosen in COMMANDS and COMMANDS[chosen][0] == module):
            if module not in registered:
                registered.add(module)
                importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=summary)  # listed in --help; never parses (not chosen)
    # --version everywhere, whichever module a command lives in.
    for command in sub.choices.values():
        if "--version" not in command._option_string_actions:
            command.add_argument("--version", action="version", version=f"backtimer {__version__}")
    return parser


def print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)


def chosen_command(argv: Sequence[str]) -> str:
    """The command named on a command line: its first word that is not an option (the
    top-level options take no value), or "" for none."""
    return next((arg for arg in argv if not arg.startswith("-")), "")


def main(argv: Sequence[str] | None = None) -> int:
    collecting = gc.isenabled()
    gc.disable()  # while starting (see the module's docstring)
    try:
        code = _main(argv)
        sys.stdout.flush()  # a full disk shows only here when stdout is a file
        return code
    except KeyboardInterrupt:  # Ctrl-C, or SIGINT from outside: the shell's 128 + 2
        return 130
    except OSError as exc:
        return _output_failed(exc)
    finally:
        if collecting:
            gc.enable()


#: Arguments that only ask about backtimer itself: they make no dataclass.
_ABOUT = frozenset(("--version", "-h", "--help"))

#: The commands that install the compiled-method store themselves ("": the picker), after
#: starting the child that checks their routines (cli.run): their parser makes no dataclass,
#: and the child starts before the store's imports instead of after them.
_STORE_LATER = frozenset(("", "run"))


def _main(argv: Sequence[str] | None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    chosen = chosen_command(words)
    if chosen not in _STORE_LATER and not set(words) <= _ABOUT:
        # Before the first dataclass (the command's modules): their methods compiled once,
        # not at every start. --version and --help make none: nor do they load dataclasses.
        from backtimer.files import dataclass_code

        dataclass_code.install(lazy=True)
    parser = build_parser(chosen)
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is not None and not getattr(args, "starts_app", False):
        gc.enable()  # started: the command runs with the collector (the app turns it on)
    try:
        if handler is None:
            # Deferred (start-up, see above): the picker's modules load only to open it.
            from backtimer.cli.run import open_picker

            return open_picker()
        return handler(args)
    except Exception as exc:
        # A routine error comes from the routine loader, so it is loaded by then (importing
        # it only to catch its errors would load pydantic for every command).
        loader = sys.modules.get("backtimer.files.routine_load")
        if loader is None or not isinstance(exc, loader.RoutineError):
            raise
        print_problems(exc.problems)
        return EXIT_INVALID


#: Write errors that mean "the output cannot be written", whatever the command was printing.
_OUTPUT_ERRORS = {errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF}


def _output_failed(exc: OSError) -> int:
    """Output that cannot be written: a closed pipe (``| head -1``) ends quietly, as Unix
    tools do; a full disk or another write error is said in one line, exit 1. Never a
    traceback, and nothing more is tried on the broken stream (not even at exit)."""
    if exc.errno not in _OUTPUT_ERRORS:
        raise exc
    _drop_stdout()
    if exc.errno == errno.EPIPE:
        return EXIT_OK
    with contextlib.suppress(OSError, ValueError):
        print(f"backtimer: cannot write the output: {exc.strerror or exc}", file=sys.stderr)
        sys.stderr.flush()
    return EXIT_INVALID


def _drop_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush at exit does not
    fail again (the way Python's documentation recommends for SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
