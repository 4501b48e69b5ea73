"""The routines a user can run: bundled ones, their own, and paths given on the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from backtimer.core.routine import Routine
from backtimer.files import paths
from backtimer.files.routine_load import Problem, RoutineError, load_routine, printable

Origin = Literal["bundled", "user", "path"]


@dataclass(frozen=True)
class Entry:
    """A routine file found on disk, valid or not."""

    key: str  # the name a user types: the file stem
    path: Path
    origin: Origin
    routine: Routine | None
    problems: tuple[Problem, ...] = ()

    @property
    def valid(self) -> bool:
        return self.routine is not None


def _entries(folder: Path, origin: Origin) -> list[Entry]:
    if not folder.is_dir():
        return []
    found = []
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix == ".toml")
    except OSError:
        return []
    for path in files:
        found.append(load_entry(path, origin))
    return found


def load_entry(path: Path, origin: Origin) -> Entry:
    label = display_path(path)
    try:
        routine = load_routine(path, label)
    except RoutineError as exc:
        return Entry(path.stem, path, origin, None, tuple(exc.problems))
    return Entry(path.stem, path, origin, routine)


def display_path(path: Path) -> str:
    """A path as short as it can be said: relative to the current folder, or with ~.

    Safe to print: undecodable bytes and control characters in a name are escaped.
    """
    # Not resolve(): that raises RuntimeError on a symlink loop, and would show a
    # symlink's target instead of the name the user knows.
    try:
        absolute = Path(os.path.abspath(path))
    except (ValueError, OSError):
        return printable(str(path))
    for base, prefix in ((Path.cwd, ""), (Path.home, "~/")):
        try:
            return printable(prefix + str(absolute.relative_to(base())))
        except (ValueError, OSError, RuntimeError):
            continue
    return printable(str(path))


def bundled() -> list[Entry]:
    return _entries(paths.bundled_routines_dir(), "bundled")


def user() -> list[Entry]:
    return _entries(paths.user_routines_dir(), "user")


def all_entries() -> list[Entry]:
    """User routines first (a user's routine of the same name shadows a bundled one)."""
    return user() + bundled()


def resolve(name: str) -> Entry:
    """A ROUTINE argument: a path, a user routine's name, or a bundled routine's name.

    Raises RoutineError (never another exception) when nothing usable is found.
    """
    looks_like_path = os.sep in name or name.endswith(".toml") or (os.altsep or "\0") in name
    try:
        candidate = Path(name).expanduser()
    except RuntimeError:  # "~someone/x.toml" for a user that does not exist
        candidate = Path(name)
    if looks_like_path or candidate.exists():
        entry = load_entry(candidate, "path")
        if entry.problems:
            raise RoutineError(list(entry.problems))
        return entry
    for origin, folder in (
        ("user", paths.user_routines_dir()),
        ("bundled", paths.bundled_routines_dir()),
    ):
        path = folder / f"{name}.toml"
        if path.exists():
            entry = load_entry(path, origin)  # type: ignore[arg-type]
            if entry.problems:
                raise RoutineError(list(entry.problems))
            return entry
    known = sorted({e.key for e in all_entries()})
    hint = f"; known routines: {', '.join(known)}" if known else ""
    raise RoutineError([Problem(printable(name), f"no routine or file of that name{hint}")])
