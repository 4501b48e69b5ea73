"""``backtimer new NAME [--from ROUTINE]`` and ``backtimer edit NAME``."""

from __future__ import annotations

import argparse
import shutil
import sys

from backtimer import __version__
from backtimer.core.literal import printable
from backtimer.files import catalog, editing, paths

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    new = sub.add_parser(
        "new",
        help="create a routine in your routines folder, from a commented template",
        description="Create NAME.toml in your routines folder: from a template whose comments "
        "explain every field, or as a copy of another routine (comments included). "
        "An existing file is never overwritten.",
    )
    new.add_argument("name", metavar="NAME", help="the new routine's name: letters, digits, - _")
    new.add_argument(
        "--from",
        dest="source",
        metavar="ROUTINE",
        help="copy this routine (a bundled or user routine's name, or a path) instead",
    )
    new.add_argument("--version", action="version", version=f"backtimer {__version__}")
    new.set_defaults(handler=cmd_new)

    edit = sub.add_parser(
        "edit",
        help="edit a routine in your editor, then check it",
        description="Open a routine in $VISUAL or $EDITOR (else nano or vi) and check it when "
        "the editor closes; on errors, choose to edit again, keep the file, or restore the "
        "version from before. A bundled routine is copied to your routines folder first.",
    )
    edit.add_argument("name", metavar="NAME", help="a routine's name, or a path to a file")
    edit.add_argument("--version", action="version", version=f"backtimer {__version__}")
    edit.set_defaults(handler=cmd_edit)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def cmd_new(args: argparse.Namespace) -> int:
    problem = editing.check_name(args.name)
    if problem:
        _err(f"backtimer new: {problem}")
        return EXIT_USAGE
    source = catalog.resolve(args.source) if args.source else None  # RoutineError -> exit 1
    try:
        path, notes = editing.create_routine(args.name, source)
    except FileExistsError:
        target = catalog.display_path(paths.user_routines_dir() / f"{args.name}.toml")
        _err(
            f"backtimer new: {target} already exists; it was left as it is "
            f"(edit it with: backtimer edit {args.name})"
        )
        return EXIT_INVALID
    except editing.EditError as exc:
        _err(f"backtimer new: {exc}")
        return EXIT_INVALID
    except OSError as exc:
        _err(f"backtimer new: cannot write the routine: {exc.strerror or exc}")
        return EXIT_INVALID
    for note in notes:
        _err(f"note: {note}")
    print(printable(str(path)))  # stdout: the path alone, for scripts
    name = printable(args.name)
    _err(
        "What next:\n"
        f"  backtimer edit {name}    open it in your editor (each exercise's hold, reps, steps)\n"
        f"  backtimer check {name}   say what is wrong in it, with the line\n"
        f"  backtimer run {name}     start a session with it"
    )
    return EXIT_OK


def ask_stdin(question: str) -> str | None:
    """An answer typed on the terminal; None without one (not a terminal, end of input)."""
    if sys.stdin is None or not sys.stdin.isatty():
        return None
    sys.stderr.write(question)
    sys.stderr.flush()
    line = sys.stdin.readline()
    return line.strip() if line else None


def cmd_edit(args: argparse.Namespace) -> int:
    editor = editing.find_editor()
    if editor is None:
        _err(
            "backtimer edit: no editor found: set $VISUAL or $EDITOR "
            "(for example: export EDITOR=nano)"
        )
        return EXIT_INVALID
    if shutil.which(editor[0]) is None:
        # Before anything is copied: a bundled routine's copy would be left behind.
        _err(
            f"backtimer edit: cannot start the editor {printable(editor[0])!r}: it was not "
            "found (set $VISUAL or $EDITOR to an installed editor, e.g. export EDITOR=nano)"
        )
        return EXIT_INVALID
    try:
        target = editing.edit_target(args.name)
    except editing.EditError as exc:
        _err(f"backtimer edit: {exc}")
        return EXIT_INVALID
    except OSError as exc:
        _err(f"backtimer edit: cannot copy the routine: {exc.strerror or exc}")
        return EXIT_INVALID
    return editing.edit_routine(target, editor, ask=ask_stdin, say=print, say_err=_err)
