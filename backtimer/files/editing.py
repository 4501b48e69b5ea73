"""Creating and changing routine files without losing a word of what the user wrote.

- :func:`new_routine_text` / :func:`create_routine`: a new routine from the commented template
  (``backtimer/template.toml``) or as a copy of another routine's file, as text.
- :func:`edit_routine`: the ``backtimer edit`` loop: the user's editor, then validation, and
  on errors a choice to edit again, keep the file, or restore the version from before (as
  ``visudo`` does). The invalid text is saved beside the file before a restore.
- :func:`set_hold` and :func:`keep_changes`: write a hold changed during a session back into
  the file, touching only that one value; every other byte, comments included, stays.

No terminal UI here: the CLI (``cli_edit``) and the app call these functions and print.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from backtimer.core.durations import compact
from backtimer.core.literal import printable
from backtimer.core.routine import MAX_NAME, Hold, Routine, Span, _num
from backtimer.files import paths
from backtimer.files.atomic import (
    atomic_create_bytes,
    atomic_create_text,
    atomic_write_bytes,
    atomic_write_text,
    backup_path,
)
from backtimer.files.catalog import Entry, display_path
from backtimer.files.routine_load import (
    LineLocator,
    NotReadable,
    Problem,
    RoutineError,
    not_regular,
    read_regular,
    read_text,
    validate_text,
)

MAX_NAME_LENGTH = 64
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*", re.ASCII)


class EditError(Exception):
    """A change that cannot be made; the message says why, in words for the user."""


# ------------------------------------------------------------------------ names


def check_name(name: str) -> str | None:
    """Why ``name`` cannot be a routine's file name (``NAME.toml``), or None if it can.

    Letters, digits, ``-`` and ``_`` only, starting with a letter or digit, at most 64
    characters: no folders (``../x``), no hidden files, nothing a shell or a file system
    treats specially.
    """
    if not name:
        return "a routine name must not be empty"
    if len(name) > MAX_NAME_LENGTH:
        return (
            f"a routine name may be at most {MAX_NAME_LENGTH} characters (this one has {len(name)})"
        )
    if not _SAFE_NAME.fullmatch(name):
        return (
            f"{printable(name)!r} is not a usable routine name: use letters, digits, - and _ "
            "(starting with a letter or digit), such as my-morning-routine"
        )
    return None


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string, escaped: ``a"b`` -> ``"a\\"b"``."""
    return tomli_w.dumps({"v": value}).split("=", 1)[1].strip()


# ------------------------------------------------------------------- line surgery


def _key_pattern(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    return re.compile(rf"""^[ \t]*(?:{k}|"{k}"|'{k}')[ \t]*=[ \t]*""")


def _value_span(line: str, key: str) -> tuple[int, int] | None:
    """Start and end of the value of ``key = value`` on ``line``, if it is written there
    whole (a number, a bare word, or a one-line string); None otherwise."""
    match = _key_pattern(key).match(line)
    if not match:
        return None
    start = match.end()
    rest = line[start:]
    if rest.startswith(('"""', "'''")):
        quote = rest[:3]
        end = rest.find(quote, 3)
        if end < 0:
            return None
        end += 3
        while end < len(rest) and rest[end] == quote[0]:  # """a""""" ends with extra quotes
            end += 1
        return start, start + end
    if rest.startswith('"'):
        i = 1
        while i < len(rest):
            if rest[i] == "\\":
                i += 2
                continue
            if rest[i] == '"':
                return start, start + i + 1
            if rest[i] in "\r\n":
                return None
            i += 1
        return None
    if rest.startswith("'"):
        end = rest.find("'", 1)
        return None if end < 0 else (start, start + end + 1)
    bare = re.match(r"[^\s#,\[\]{}\"']+", rest)
    return (start, start + bare.end()) if bare else None


def _split_lines(text: str) -> list[str]:
    # The same line splitting as LineLocator, so that its line numbers index this list.
    return text.splitlines(keepends=True)


def _line_ending(line: str) -> str:
    stripped = line.rstrip("\r\n")
    return line[len(stripped) :] or "\n"


def replace_value(text: str, path: tuple[str | int, ...], key: str, new_value: str) -> str | None:
    """``text`` with the value of the key at ``path`` (whose last part is ``key``) replaced by
    ``new_value`` (TOML source), the rest of its line (an inline comment) and every other
    line kept byte for byte. None when the value is not written on one line where expected.
    """
    locator = LineLocator(text)
    number = locator.lines.get(path)
    if number is None:
        return None
    lines = _split_lines(text)
    line = lines[number - 1]
    span = _value_span(line, key)
    if span is None:
        return None
    lines[number - 1] = line[: span[0]] + new_value + line[span[1] :]
    return "".join(lines)


def insert_after(text: str, path: tuple[str | int, ...], new_line: str) -> str | None:
    """``text`` with ``new_line`` inserted after the line of the key at ``path``, with that
    line's indentation and line ending. None when the key is not found."""
    locator = LineLocator(text)
    number = locator.lines.get(path)
    if number is None:
        return None
    lines = _split_lines(text)
    anchor = lines[number - 1]
    if not anchor.endswith(("\n", "\r")):  # the last line, without a newline
        lines[number - 1] = anchor + "\n"
    indent = anchor[: len(anchor) - len(anchor.lstrip(" \t"))]
    lines.insert(number, indent + new_line + _line_ending(anchor))
    return "".join(lines)


def insert_before(text: str, path: tuple[str | int, ...], new_line: str) -> str | None:
    """``text`` with ``new_line`` inserted just before the line of the key at ``path``."""
    number = LineLocator(text).lines.get(path)
    if number is None:
        return None
    lines = _split_lines(text)
    anchor = lines[number - 1]
    indent = anchor[: len(anchor) - len(anchor.lstrip(" \t"))]
    lines.insert(number - 1, indent + new_line + _line_ending(anchor))
    return "".join(lines)


# ------------------------------------------------------------------------ template


def template_source() -> str:
    """The commented template shipped in the package (``backtimer/template.toml``)."""
    return resources.files("backtimer").joinpath("template.toml").read_text(encoding="utf-8")


def rename_text(text: str, new_name: str, *, note: str | None = None) -> str:
    """Routine text with its top-level ``name`` set to ``new_name`` (escaped); everything
    else kept. ``note``: a comment line put just above the name line.

    Raises EditError if the name line cannot be rewritten in place.
    """
    renamed = replace_value(text, ("name",), "name", toml_string(new_name))
    if renamed is None:
        raise EditError(
            'the routine\'s name is not written on one line (name = "..."), so it '
            "cannot be changed automatically"
        )
    if note is not None:
        commented = insert_before(renamed, ("name",), "# " + note)
        renamed = commented if commented is not None else renamed
    return renamed


def template_text(name: str) -> str:
    """The template, with ``name = ...`` set to ``name``."""
    return rename_text(template_source(), name)


def _origin_words(entry: Entry) -> str:
    if entry.origin == "bundled":
        return f"the bundled routine {entry.key}"
    if entry.origin == "user":
        return f"your routine {entry.key}"
    return f"the file {display_path(entry.path)}"


def new_routine_text(name: str, source: Entry | None = None) -> tuple[str, list[str]]:
    """The text of a new routine called ``name`` (the template, or ``source``'s file), and
    notes for the user.

    A copy is the source's text, comments and layout included, with one change: its
    ``name`` gets `` (NAME)`` added ("Desk break (my-desk)"), so that the two routines can be
    told apart in the picker and in the history while the copy keeps a name that says what
    it is; a comment above the name line says where it was copied from. (A name that would
    get too long becomes just NAME.) Raises RoutineError if the result is not valid.
    """
    notes: list[str] = []
    if source is None:
        text = template_text(name)
    else:
        label = display_path(source.path)
        original = read_text(source.path, label)
        old = validate_text(original, label)
        new_name = f"{old.name} ({name})"
        if len(new_name) > MAX_NAME:
            new_name = name
        note = f"Copied from {_origin_words(source)}, whose name is {printable(old.name)}"
        try:
            text = rename_text(original, new_name, note=note)
        except EditError as exc:
            text = original  # kept whole
            notes.append(f"the copy keeps the name {printable(old.name)!r}: {exc}")
    validate_text(text, f"{name}.toml")
    return text, notes


def routines_folder_problem() -> str | None:
    """A message when the user's routines folder cannot hold routines (something that is
    not a folder is in its place); None when it is a folder or does not exist yet."""
    folder = paths.user_routines_dir()
    try:
        if not os.path.lexists(folder) or folder.is_dir():
            return None
    except OSError as exc:
        return f"your routines folder {display_path(folder)} cannot be used: {exc.strerror or exc}"
    for parent in [folder, *folder.parents]:
        if os.path.lexists(parent) and not parent.is_dir():
            where = f"your routines folder {display_path(folder)}"
            if parent != folder:
                where += f" cannot be made: {display_path(parent)}"
            return f"{where} is a file, not a folder; move it away or rename it"
    return None


def create_routine(name: str, source: Entry | None = None) -> tuple[Path, list[str]]:
    """Write ``<user routines>/NAME.toml``; returns its path and notes for the user.

    FileExistsError if the file exists (it is untouched); ValueError if ``name`` does not
    pass :func:`check_name`; RoutineError if the source is not a valid routine.
    """
    problem = check_name(name)
    if problem:
        raise ValueError(problem)
    text, notes = new_routine_text(name, source)
    folder = paths.user_routines_dir()
    problem = routines_folder_problem()
    if problem:
        raise EditError(f"cannot write the routine: {problem}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where the folder should be
        raise NotADirectoryError(20, "Not a directory", str(folder)) from None
    target = folder / f"{name}.toml"
    atomic_create_text(target, text)
    if (paths.bundled_routines_dir() / target.name).is_file():
        notes.append(f"it takes the place of the bundled routine {name}")
    return target, notes


# ------------------------------------------------------------------- hold changes


def _new_hold(routine: Routine, index: int, seconds: float) -> Hold:
    """The single-value hold that lasts about ``seconds`` (breath holds: whole breaths)."""
    settings = routine.settings(index)
    assert settings.hold is not None
    if settings.hold.unit == "breaths":
        breaths = float(max(1, round(seconds / settings.breath)))
        return Hold(Span(breaths, breaths), "breaths")
    return Hold(Span(float(seconds), float(seconds)), "seconds")


def _hold_source(hold: Hold, bare_number: bool) -> str:
    if hold.unit == "breaths":
        return toml_string(str(hold))
    if bare_number:
        return _num(hold.span.low)
    return toml_string(compact(hold.span.low))


def _hold_exercise(routine: Routine, index: int) -> None:
    if not 0 <= index < len(routine.exercises):
        raise EditError(f"there is no exercise number {index + 1}")
    settings = routine.settings(index)
    if settings.kind != "hold" or settings.hold is None:
        what = {"tempo": "counted reps with a tempo", "user_paced": "user-paced"}.get(
            settings.kind, "not timed"
        )
        raise EditError(f"{routine.exercises[index].name} has no hold to change (it is {what})")


def set_hold(text: str, exercise_index: int, new_seconds: float, *, label: str = "routine") -> str:
    """``text`` with exercise ``exercise_index``'s hold set to ``new_seconds``.

    Only that value changes: its ``hold = ...`` line keeps its key, spacing and inline
    comment (and its style: a bare number stays a number, a string a string); every other
    line is kept byte for byte. If the hold comes from ``[defaults]``, a ``hold = "Ns"`` line
    is inserted after the exercise's ``name`` line (the defaults, which other exercises
    share, are left alone).

    A hold in breaths stays in breaths: ``new_seconds`` becomes the nearest whole number of
    breaths (at least 1) at the exercise's breath length.

    A hold given as a range ("10-30s") is the source's prescription and is never rewritten:
    the text is returned unchanged, and the new value is a level inside the range (see
    :func:`hold_level`, which :func:`keep_changes` uses).

    Raises RoutineError if ``text`` is not a valid routine, EditError if the exercise has no
    hold, or if the change cannot be made on this file's layout (say, an exercise written as
    an inline table) or would make the routine invalid (a hold over the limits).
    """
    routine = validate_text(text, label)
    _hold_exercise(routine, exercise_index)
    settings = routine.settings(exercise_index)
    assert settings.hold is not None
    if settings.hold.span.is_range:
        return text
    hold = _new_hold(routine, exercise_index, new_seconds)
    if hold == settings.hold:
        return text
    exercise = routine.exercises[exercise_index]
    path: tuple[str | int, ...] = ("exercises", exercise_index)
    if exercise.hold is not None:
        number = LineLocator(text).lines.get((*path, "hold"))
        line = _split_lines(text)[number - 1] if number else ""
        span = _value_span(line, "hold")
        bare = span is not None and line[span[0]] not in "\"'"
        result = replace_value(text, (*path, "hold"), "hold", _hold_source(hold, bare))
    else:
        result = insert_after(text, (*path, "name"), "hold = " + _hold_source(hold, False))
    if result is None:
        raise EditError(
            f"cannot find the hold of {exercise.name} on a line of its own in this file; "
            "change it by hand (backtimer edit)"
        )
    exercises = list(routine.exercises)
    exercises[exercise_index] = dataclasses.replace(exercise, hold=hold)
    expected = dataclasses.replace(routine, exercises=exercises)
    try:
        changed = validate_text(result, label)
    except RoutineError as exc:
        raise EditError(
            f"a hold of {hold} for {exercise.name} would make the routine invalid: "
            + "; ".join(p.message for p in exc.problems)
        ) from None
    if changed != expected:  # the layout fooled the line search: touch nothing
        raise EditError(
            f"cannot change the hold of {exercise.name} safely in this file's layout; "
            "change it by hand (backtimer edit)"
        )
    return result


def hold_level(routine: Routine, exercise_index: int, new_seconds: float) -> float | None:
    """For a hold given as a range: the level inside it closest to ``new_seconds`` (seconds,
    or whole breaths for a hold in breaths), clamped to the range. None for other holds."""
    settings = routine.settings(exercise_index)
    if settings.kind != "hold" or settings.hold is None or not settings.hold.span.is_range:
        return None
    amount = new_seconds
    if settings.hold.unit == "breaths":
        amount = float(round(new_seconds / settings.breath))
    return settings.hold.span.at(amount)


@dataclass(frozen=True)
class KeepResult:
    """What :func:`keep_changes` did."""

    path: Path | None  # the file written; None when nothing needed writing
    message: str  # for the user, one line per change
    hold_levels: dict[int, float] = field(default_factory=dict)  # range holds: new level
    backup: Path | None = None  # the previous version, when one was kept


def _describe_hold(settings_hold: Hold | None) -> str:
    return str(settings_hold) if settings_hold is not None else "none"


def user_copy_path(bundled: Path) -> Path:
    """Where the user's own copy of a bundled routine lives: their folder, the same name (a
    user routine takes the place of the bundled one of its name)."""
    return paths.user_routines_dir() / bundled.name


def copy_to_user(bundled: Path, text: str | None = None) -> Path:
    """Copy a bundled routine (or ``text``, a changed version of it) into the user's folder,
    as text, atomically and never over an existing file (FileExistsError). The one way a
    bundled routine becomes the user's: to edit it, to keep a session's changes, from the
    picker. Returns the copy's path."""
    target = user_copy_path(bundled)
    if text is None:
        text = bundled.read_text(encoding="utf-8")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_create_text(target, text)
    return target


def keep_changes(entry: Entry, changes: Mapping[int, float]) -> KeepResult:
    """Write holds changed during a session (exercise index -> hold seconds) into the file.

    Single-value holds are rewritten with :func:`set_hold`. A range is the source's
    prescription: the file keeps it, and the new value is returned in ``hold_levels`` as
    the exercise's new current level (in the hold's unit), for the caller to store.

    A bundled routine is first copied, as text, to the user's folder under the same name
    (it then takes the place of the bundled one); a user's or a path's file is replaced
    atomically, with a ``.bak`` of the old version when it had comments. If the file on disk
    no longer holds the routine the session ran (edited meanwhile), nothing is written.
    Raises EditError (or RoutineError, OSError) with nothing written when it cannot be done.
    """
    if entry.routine is None:
        raise EditError(f"{entry.key} is not a valid routine")
    label = display_path(entry.path)
    text = read_text(entry.path, label)
    routine = validate_text(text, label)
    if routine != entry.routine:
        raise EditError(
            f"{label} changed since the session started; your changes were not written "
            "(open it with backtimer edit to change it by hand)"
        )
    lines: list[str] = []
    levels: dict[int, float] = {}
    new_text = text
    for index, seconds in sorted(changes.items()):
        _hold_exercise(routine, index)
        settings = routine.settings(index)
        name = routine.exercises[index].name
        level = hold_level(routine, index, seconds)
        if level is not None:
            levels[index] = level
            unit = "breaths" if settings.hold and settings.hold.unit == "breaths" else "s"
            lines.append(
                f"{name}: the hold {_describe_hold(settings.hold)} is a range from the "
                f"routine; {_num(level)}{' ' if unit == 'breaths' else ''}{unit} becomes its "
                "current level (the file keeps the range)"
            )
            continue
        before = new_text
        new_text = set_hold(new_text, index, seconds, label=label)
        if new_text != before:
            hold = _new_hold(routine, index, seconds)
            lines.append(f"{name}: hold {_describe_hold(settings.hold)} -> {hold}")
    if new_text == text:
        if not lines:
            lines.append("nothing to change")
        return KeepResult(None, "\n".join(lines), levels)
    backup: Path | None = None
    if entry.origin == "bundled":
        target = user_copy_path(entry.path)
        try:
            copy_to_user(entry.path, new_text)
        except FileExistsError:
            raise EditError(
                f"{display_path(target)} already exists; your changes were not written"
            ) from None
        lines.insert(
            0,
            f"{entry.key} is a bundled routine: saved your version as {display_path(target)} "
            "(it now takes the place of the bundled one)",
        )
    else:
        target = entry.path
        if atomic_write_text(target, new_text) is not None:
            backup = backup_path(Path(os.path.realpath(target)))
        lines.insert(0, f"saved {display_path(target)}")
        if backup is not None:
            lines.append(f"(the previous version is kept in {display_path(backup)})")
    return KeepResult(target, "\n".join(lines), levels, backup)


# ------------------------------------------------------------------------ editing

Ask = Callable[[str], str | None]
Say = Callable[[str], None]

EDITOR_FALLBACKS = ("nano", "vi")


def find_editor(environ: Mapping[str, str] | None = None) -> list[str] | None:
    """The user's editor as argv: $VISUAL, else $EDITOR, else nano or vi if installed.

    The variables are split like a shell would (``code --wait`` works); an empty or
    unparsable one is passed over.
    """
    env = os.environ if environ is None else environ
    for variable in ("VISUAL", "EDITOR"):
        value = env.get(variable, "").strip()
        if not value:
            continue
        try:
            argv = shlex.split(value)
        except ValueError:
            continue
        if argv:
            return argv
    for fallback in EDITOR_FALLBACKS:
        found = shutil.which(fallback)
        if found:
            return [found]
    return None


@dataclass(frozen=True)
class EditTarget:
    path: Path  # the file to edit
    copied_from: Path | None = None  # a bundled routine copied for this edit
    note: str | None = None  # what to tell the user before the editor opens


def edit_target(name: str) -> EditTarget:
    """The file ``backtimer edit NAME`` edits: a path, a user routine, or a bundled routine,
    which is first copied (as text) to the user's folder: the copy is what is edited.

    Raises EditError when there is nothing of that name.
    """
    looks_like_path = os.sep in name or name.endswith(".toml") or (os.altsep or "\0") in name
    try:
        candidate = Path(name).expanduser()
    except RuntimeError:  # "~nobody/x.toml"
        candidate = Path(name)
    if not looks_like_path and check_name(name) is None:
        user_file = paths.user_routines_dir() / f"{name}.toml"
        if user_file.exists():
            return EditTarget(_regular(user_file, display_path(user_file)))
        bundled = paths.bundled_routines_dir() / f"{name}.toml"
        problem = routines_folder_problem()
        if problem and not candidate.is_file():
            raise EditError(problem)
        if bundled.is_file():
            copy_to_user(bundled)
            return EditTarget(
                user_file,
                copied_from=bundled,
                note=f"{name} is a bundled routine: editing your own copy, "
                f"{display_path(user_file)}; it takes the place of the bundled one "
                "(delete it to go back)",
            )
    if candidate.is_dir():
        raise EditError(f"{printable(name)}: is a folder, not a routine file")
    if candidate.exists():
        return EditTarget(_regular(candidate, printable(name)))
    if looks_like_path:
        raise EditError(f"{printable(name)}: no such file (to start a routine: backtimer new NAME)")
    raise EditError(
        f"no routine named {printable(name)} (to create it: backtimer new {printable(name)})"
    )


def _regular(path: Path, label: str) -> Path:
    """``path`` if it is a regular file (or a link to one); an editor is never started on a
    named pipe, a device or a socket (reading one would block or never end)."""
    try:
        why = not_regular(path.stat().st_mode)
    except (OSError, ValueError):
        return path  # edit_routine says what is wrong
    if why:
        raise EditError(f"{label}: {why}")
    return path


def rejected_path(path: Path) -> Path:
    """A free name beside ``path`` for text that failed validation: NAME.toml.rejected,
    then NAME.toml.rejected-2, -3, ... (an earlier one is never overwritten)."""
    first = path.with_name(path.name + ".rejected")
    if not os.path.lexists(first):
        return first
    number = 2
    while os.path.lexists(path.with_name(f"{path.name}.rejected-{number}")):
        number += 1
    return path.with_name(f"{path.name}.rejected-{number}")


def _problems(path: Path, label: str) -> tuple[list[Problem], Routine | None]:
    try:
        routine = validate_text(read_text(path, label), label)
    except RoutineError as exc:
        return list(exc.problems), None
    return [], routine


PROMPT = (
    "What now? [E]dit again, [k]eep the file as it is (not valid), "
    "or [r]estore the version from before this edit{note}? [E/k/r] "
)


def _choice(ask: Ask, say_err: Say, original_valid: bool) -> str:
    question = PROMPT.format(note="" if original_valid else " (not valid either)")
    while True:
        answer = ask(question)
        if answer is None:
            return "k"
        answer = answer.strip().lower()
        if answer in ("", "e", "edit"):
            return "e"
        if answer in ("k", "keep"):
            return "k"
        if answer in ("r", "restore"):
            return "r"
        say_err("Please answer e (edit again), k (keep) or r (restore).")


class EditorStopped(Exception):
    """backtimer was told to stop (SIGTERM, SIGHUP) while the editor was open; the editor
    was stopped too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: How long an editor gets to end after the signal is passed on, before it is killed.
EDITOR_GRACE = 3.0
#: How often the wait for the editor looks whether backtimer was told to stop.
EDITOR_POLL = 0.25


def run_editor_process(editor: Sequence[str], path: Path) -> int:
    """The editor's exit status; OSError if it cannot be started.

    SIGTERM and SIGHUP sent to backtimer while the editor is open are passed on to the
    editor (it would otherwise stay behind, holding the terminal), which is then waited for
    (killed after :data:`EDITOR_GRACE` seconds); :class:`EditorStopped` is raised.
    """
    stopped: list[int] = []
    started: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _frame: object) -> None:
        stopped.append(signum)
        for proc in started:
            with contextlib.suppress(OSError):
                proc.send_signal(signum)

    # The handlers are in place before the editor starts: a signal that comes while it is
    # starting is passed on as soon as it has started (with the default action instead,
    # backtimer would die and leave the editor behind, holding the terminal).
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(OSError, ValueError):
                previous[sig] = signal.signal(sig, forward)
    try:
        proc = subprocess.Popen([*editor, os.path.abspath(path)])
    except BaseException:
        _restore_handlers(previous)
        raise
    started.append(proc)
    if stopped:
        with contextlib.suppress(OSError):
            proc.send_signal(stopped[0])
    try:
        # Waits in short slices, so that an editor that ignores the signal passed on is
        # killed after its grace (a wait without a timeout would go on after the handler).
        grace_until: float | None = None
        while True:
            try:
                status = proc.wait(timeout=EDITOR_POLL)
                break
            except subprocess.TimeoutExpired:
                if not stopped:
                    continue
                if grace_until is None:
                    grace_until = time.monotonic() + EDITOR_GRACE
                elif time.monotonic() >= grace_until:
                    proc.kill()
    except BaseException:
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait()
        raise
    finally:
        _restore_handlers(previous)
    if stopped:
        raise EditorStopped(stopped[0])
    return status


def _restore_handlers(previous: dict[signal.Signals, Any]) -> None:
    for restored, handler in previous.items():
        with contextlib.suppress(OSError, ValueError, TypeError):
            signal.signal(restored, handler)


_run_editor = run_editor_process


def _drop_unchanged_copy(target: EditTarget, original: bytes, say: Say) -> None:
    """A bundled routine's copy made for this edit goes when it was not changed (it would
    otherwise take the bundled one's place for nothing)."""
    if target.copied_from is None:
        return
    try:
        unchanged = target.path.read_bytes() == original
    except OSError:
        return
    if unchanged:
        with contextlib.suppress(OSError):
            target.path.unlink()
            say(f"removed the unchanged copy {display_path(target.path)}")


def edit_routine(
    target: EditTarget,
    editor: Sequence[str],
    *,
    ask: Ask,
    say: Say,
    say_err: Say,
    run_editor: Callable[[Sequence[str], Path], int] = _run_editor,
) -> int:
    """Edit ``target`` until it is valid or the user says otherwise; returns the exit code.

    Before the editor opens, the file's current content is kept in memory (for a restore)
    and, if it is valid, also written to ``NAME.toml.bak`` (so that the last valid version
    survives even if backtimer is killed while the editor is open; an invalid file does not
    replace an older, valid backup). After the editor closes, the file is validated; if it
    has errors they are shown (file:line: field: message) and ``ask`` chooses: edit again
    (the default), keep the file as it is, or restore the version from before this edit,
    after saving the rejected text in ``NAME.toml.rejected`` (never overwritten: -2, -3...).
    ``ask`` returning None (no terminal, end of input) means keep.

    Exit code: 0 when the file on disk is valid at the end, 1 when it is not (or the editor
    could not be started). A bundled routine's fresh copy that ends unchanged is removed.
    """
    path = target.path
    label = display_path(path)
    if target.note:
        say(target.note)
    try:
        original = read_regular(path, limit=1 << 62)
    except FileNotFoundError as exc:
        say_err(f"{label}: cannot read: {exc.strerror or exc}")
        return 1
    except NotReadable as exc:
        say_err(f"{label}: {exc.message}")
        return 1
    original_valid = not _problems(path, label)[0]
    bak: Path | None = None
    if original and original_valid and target.copied_from is None:
        bak = backup_path(path)
        try:
            atomic_write_bytes(bak, original, backup=False)
        except OSError as exc:
            say_err(f"cannot keep a copy of {label} before editing: {exc.strerror or exc}")
            return 1
    while True:
        try:
            status = run_editor(editor, path)
        except (OSError, EditorStopped) as exc:
            if isinstance(exc, EditorStopped):
                say_err(f"stopped (signal {exc.signum}); the editor was closed too")
            else:
                say_err(
                    f"cannot start the editor {printable(editor[0])!r}: "
                    f"{exc.strerror or exc} (set $VISUAL or $EDITOR)"
                )
            _drop_unchanged_copy(target, original, say)
            return 128 + exc.signum if isinstance(exc, EditorStopped) else 1
        if status != 0:
            say_err(f"the editor exited with status {status}")
        problems, routine = _problems(path, label)
        if routine is not None:
            try:
                now = path.read_bytes()
            except OSError:
                now = None
            if now == original:
                if target.copied_from is not None:
                    path.unlink(missing_ok=True)
                    say(f"no changes: removed the unchanged copy {label}")
                else:
                    say(f"no changes to {label}")
                return 0
            count = len(routine.exercises)
            minutes = max(1, round(routine.total_seconds() / 60))
            say(f"ok {label} ({count} exercise{'s' if count != 1 else ''}, about {minutes} min)")
            if bak is not None:
                say(f"the previous version is kept in {display_path(bak)}")
            return 0
        for problem in problems:
            say_err(str(problem))
        choice = _choice(ask, say_err, original_valid)
        if choice == "e":
            continue
        if choice == "k":
            say_err(f"kept {label} as it is; it is not valid until the errors above are fixed")
            return 1
        # Restore: first save what the user wrote, then put the old version back.
        try:
            rejected = path.read_bytes()
        except FileNotFoundError:
            rejected = None
        except OSError as exc:
            say_err(f"cannot read {label} to save it: {exc.strerror or exc}; nothing restored")
            return 1
        if rejected:
            saved = rejected_path(path)
            try:
                atomic_create_bytes(saved, rejected)
            except OSError as exc:
                say_err(f"cannot save your text: {exc.strerror or exc}; nothing restored")
                return 1
            say(f"your edited text is saved in {display_path(saved)}")
        try:
            atomic_write_bytes(path, original, backup=False)
        except OSError as exc:
            say_err(f"cannot restore {label}: {exc.strerror or exc}")
            return 1
        say(f"restored {label} as it was before this edit")
        return 0 if original_valid else 1
