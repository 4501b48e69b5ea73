"""``backtimer run ROUTINE`` and the picker (``backtimer`` with no command)."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from backtimer.core.literal import printable

if TYPE_CHECKING:
    from backtimer.files.catalog import Entry
    from backtimer.files.config import Config

# The other modules are imported where they are used: the full-screen app starts a child
# process checking the routine (files.precheck) before it loads them (see run).


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
        "--no-tones", action="store_true", help="none of the app's tones (the bell rings instead)"
    )
    parser.add_argument(
        "--level",
        choices=("current", "low", "high"),
        default="current",
        help="current: the level reached so far (it starts at the low end of every range "
        "and follows your pain-free sessions); low or high: that end of every range",
    )
    parser.add_argument(
        "--remote",
        action="store_true",
        help="serve a page that follows the session and stops it, for a phone or another "
        "browser: its address (with a new secret) and a QR code are shown first",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        metavar="N",
        help="the remote's port (default: any free one)",
    )
    parser.add_argument(
        "--lan",
        action="store_true",
        help="let the remote be reached from the local network (default: this computer only)",
    )
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        "--resume",
        action="store_true",
        default=None,
        help="go on with this routine's interrupted session without asking",
    )
    resume.add_argument(
        "--no-resume",
        dest="resume",
        action="store_false",
        help="start afresh without asking about an interrupted session",
    )
    add_data_dir(parser)
    # The full-screen app turns the garbage collector on after its first frame (cli.main).
    parser.set_defaults(handler=run, starts_app=True)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port number from 0 to 65535, not {text!r}")
    return port


def _remote(args: argparse.Namespace) -> object | None:
    """The remote's options, when asked for (deferred: only --remote loads it)."""
    if not args.remote:
        return None
    from backtimer.remote.options import RemoteOptions

    return RemoteOptions(port=args.port, lan=args.lan)


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="where the history lives (default: the user data dir, or $BACKTIMER_DATA_DIR)",
    )


def store_methods() -> None:
    """Install the compiled-method store (files.dataclass_code) before the first dataclass.
    cli.main installs it before any other command's modules; run and the picker install it
    here, once their child is started (nothing before makes a dataclass): the child starts
    sooner, and its check overlaps the store's imports too."""
    from backtimer.files import dataclass_code

    dataclass_code.install(lazy=True)


def run(args: argparse.Namespace) -> int:
    if _full_screen(args):
        # A routine not checked before is checked in a child process while this one imports
        # the app; resolve waits for it, or checks it itself (see files.precheck). With no
        # child (the routine is cached, or there is none to find: said at once, as before)
        # the app is imported where it is used.
        from backtimer.files.precheck import start_for

        started = start_for(args.routine)
        store_methods()
        if started is not None:
            # The slowest import by far, then the session's own code (see load_session_code),
            # while the child works: the routine is needed only after them.
            from backtimer.tui.app import load_session_code

            load_session_code()
    else:
        store_methods()  # the plain and remote paths: no child to start before it
    from backtimer.files import catalog
    from backtimer.remote import unavailable

    entry = catalog.resolve(args.routine)  # RoutineError -> exit 1 in cli.main
    if (args.port or args.lan) and not args.remote:
        print("backtimer: --port and --lan go with --remote", file=sys.stderr)
        return 2
    problem = unavailable() if args.remote else None
    if problem is not None:  # a virtualenv older than the remote: said, never a traceback
        print(f"backtimer: {printable(problem)}", file=sys.stderr)
        return 1
    if args.plain:
        gc.enable()  # started (see cli.main): a plain session runs with the collector
        return _run_plain(entry, args)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "backtimer: the session screen needs a terminal; use --plain for a pipe or a log",
            file=sys.stderr,
        )
        return 2
    # Deferred: Textual (the slowest import by far) loads only for the full-screen app.
    from backtimer.tui.app import run_app

    return run_app(
        entry,
        level=args.level,
        bell=not args.no_bell,
        voice=not args.no_voice,
        tones=not args.no_tones,
        data_dir=args.data_dir,
        resume=args.resume,
        remote=_remote(args),
    )


def _full_screen(args: argparse.Namespace) -> bool:
    """Whether ``run`` is going to start the full-screen app (as far as the arguments say
    before the routine is read; --remote has checks of its own first)."""
    if args.plain or args.remote or args.port or args.lan:
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


def _run_plain(entry: Entry, args: argparse.Namespace) -> int:
    # Deferred: plain mode's terminal and speech modules load only for --plain.
    import dataclasses  # here: the full-screen start imports it after starting its child

    from backtimer.files.config import unknown_bindings
    from backtimer.plain import StopSignals, run_plain
    from backtimer.remote import RemoteError
    from backtimer.session.commands import binding_ids
    from backtimer.session.launch import describe_resume, find_resume, prepare, settings

    notes: list[str] = []
    config = settings(notes)
    notes.extend(unknown_bindings(config, binding_ids()))
    if args.no_voice and config.voice:
        # Nothing is said: the plan keeps the routine's own times (no room made for words).
        config = dataclasses.replace(config, voice=False)
    resume = None
    if args.resume is not False:
        found = find_resume(entry, args.data_dir, config=config, notes=notes)
        if found is not None:
            where = describe_resume(found)
            if args.resume or _ask(f"Resume the interrupted session at {where}? [y/N] "):
                resume = found
            else:
                notes.append(
                    f"An interrupted session of this routine stopped at {where}; "
                    "run with --resume to go on with it."
                )
    if resume is None and args.level == "current":
        _review_levels_plain(entry, config, args.data_dir, notes)
    launch = prepare(entry, level=args.level, config=config, data_dir=args.data_dir, resume=resume)
    for note in [*notes, *launch.notes]:
        print(f"backtimer: {note}", file=sys.stderr)
    # Ctrl-C, SIGTERM and SIGHUP: the session is recorded as interrupted, and a second one
    # cannot cut the history's writing short (see StopSignals).
    with StopSignals() as stops:
        try:
            return run_plain(
                launch.entry,
                level=launch.level,
                bell=not args.no_bell and config.bell,
                voice=not args.no_voice and config.voice,
                speech_command=config.speech_command,
                tones=not args.no_tones and config.tones,
                volume=config.volume,
                speech_rate=config.speech_rate,
                speech_voice=config.speech_voice,
                countdown=config.countdown,
                listeners=[launch.recorder] if launch.recorder is not None else [],
                plan=launch.plan,
                routine=launch.routine,
                start_index=launch.start_index,
                keymap=dict(config.keymap),
                remote=_remote(args),
            )
        except RemoteError as exc:
            print(f"backtimer: {printable(str(exc))}", file=sys.stderr)
            return 1
        finally:
            stops.stopping = True
            message = launch.close()
            if message:
                print(f"backtimer: {printable(message)}", file=sys.stderr)


def _review_levels_plain(
    entry: Entry, config: Config, data_dir: Path | None, notes: list[str]
) -> None:
    """Steps down after pain apply by themselves; a step up is asked for on a terminal."""
    from backtimer.session.launch import accept_levels, level_changes

    accepted = []
    for change in level_changes(entry, config, data_dir):
        if change.change == "down":
            notes.append(f"Level down: {change.text}")
        elif _ask(f"Step up? {change.text} [y/N] "):
            accepted.append(change)
        else:
            notes.append(f"Step up offered, not taken (answer y on a terminal): {change.text}")
    problem = accept_levels(entry, accepted, data_dir)
    if problem:
        notes.append(problem)


def _ask(question: str) -> bool:
    """A yes/no question, only when a person is at a terminal (a pipe carries commands)."""
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def open_picker() -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "backtimer: the picker needs a terminal; try 'backtimer list' or "
            "'backtimer run ROUTINE --plain'",
            file=sys.stderr,
        )
        return 2
    # The routines not checked before are checked in a child process meanwhile (see run).
    from backtimer.files.precheck import start_for

    start_for(None)
    store_methods()
    # Deferred: Textual (the slowest import by far) loads only for the full-screen app.
    from backtimer.tui.app import run_app

    return run_app(None, level="current")
