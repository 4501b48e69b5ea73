"""The routines a user can run: bundled ones, their own, and paths given on the command line.

Checked routines come from the cache of :mod:`backtimer.files.cache` when their files have
not changed since (``run ROUTINE``, ``list`` and the picker; ``check`` uses it directly).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from backtimer.core.literal import printable
from backtimer.core.routine import Routine
from backtimer.files import paths, precheck
from backtimer.files.cache import Listing, RoutineCache, file_stamp
from backtimer.files.locate import Origin, locate
from backtimer.files.locate import toml_files as _toml_files
from backtimer.files.routine_load import Problem, RoutineError, load_routine


@dataclass(frozen=True)
class Entry:
    """A routine file found on disk, valid or not."""

    key: str  # the name a user types: the file stem
    path: Path
    origin: Origin
    routine: Routine | None
    problems: tuple[Problem, ...] = ()
    pending: bool = False  # listed, not checked yet (see listed_entries)
    # Its name, exercise count and length at the low end as the cache has them: a pending
    # entry's whose file is unchanged since it last passed (its routine is read when it is
    # needed), and the one it was read with from the cache by check_entry.
    listing: Listing | None = None

    @property
    def valid(self) -> bool:
        return self.routine is not None


# ------------------------------------------------------------------------ listing


def _entries(folder: Path, origin: Origin, cache: RoutineCache | None = None) -> list[Entry]:
    return [load_entry(path, origin, cache) for path in _toml_files(folder)]


def load_entry(
    path: Path, origin: Origin, cache: RoutineCache | None = None, *, wait: bool = True
) -> Entry:
    """The routine in ``path``, checked (or, with ``cache``, as checked before if the file
    has not changed since). ``wait`` False: a child checking it (files.precheck) is not
    waited for; unless it is done with it, it is checked here at once."""
    stamp = file_stamp(path) if cache is not None else None  # before reading it
    if cache is not None and wait:
        # A child checking it beside this process puts it there (files.precheck): wait for
        # it to say so (a child done with all its files is reaped then).
        precheck.wait_for(path)
        cached = cache.get(path, stamp)
        if cached is not None:
            return Entry(path.stem, path, origin, cached)
    label = display_path(path)
    try:
        routine = load_routine(path, label)
    except RoutineError as exc:
        if cache is not None:
            cache.put(path, stamp, None)
        return Entry(path.stem, path, origin, None, tuple(exc.problems))
    if cache is not None:
        cache.put(path, stamp, routine)
    return Entry(path.stem, path, origin, routine)


def check_entry(entry: Entry, cache: RoutineCache | None = None, *, wait: bool = True) -> Entry:
    """A listed entry, checked (itself if it already was); one listed from ``cache`` is read
    from it if its file is still unchanged. ``wait``: see :func:`load_entry`."""
    if not entry.pending:
        return entry
    if cache is not None and entry.listing is not None:
        found = cache.read(entry.path, file_stamp(entry.path))
        if found is not None:
            routine, listing = found
            return Entry(entry.key, entry.path, entry.origin, routine, listing=listing)
    return load_entry(entry.path, entry.origin, cache, wait=wait)


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
    """User routines first (a user's routine of the same name shadows a bundled one), each
    checked (those unchanged since they were last checked are taken from the cache)."""
    cache = RoutineCache()
    entries = _entries(paths.user_routines_dir(), "user", cache)
    entries += _entries(paths.bundled_routines_dir(), "bundled", cache)
    cache.save()
    return entries


def listed_entries() -> list[Entry]:
    """:func:`all_entries` without checking or reading a routine: every entry is ``pending``
    (its ``routine`` None and no problems yet); one whose file is unchanged since it last
    passed has its ``listing`` from the cache (name, exercise count, length), the others
    none yet. :func:`check_entry` reads one (from the cache if its file is still unchanged).
    For the picker's first frame, which shows the list and one routine."""
    cache = RoutineCache()
    out: list[Entry] = []
    for folder, origin in (
        (paths.user_routines_dir(), "user"),
        (paths.bundled_routines_dir(), "bundled"),
    ):
        for path in _toml_files(folder):
            listing = cache.listing(path, file_stamp(path))
            out.append(Entry(path.stem, path, origin, None, pending=True, listing=listing))  # type: ignore[arg-type]
    cache.save()  # the listings its listings file lacked (once)
    return out


def resolve(name: str) -> Entry:
    """A ROUTINE argument: a path, a user routine's name, or a bundled routine's name.

    Raises RoutineError (never another exception) when nothing usable is found.
    """
    found = locate(name)
    if found is not None:
        cache = RoutineCache()
        entry = load_entry(*found, cache)
        cache.save()
        if entry.problems:
            raise RoutineError(list(entry.problems))
        return entry
    known = sorted({e.key for e in all_entries()})
    hint = f"; known routines: {', '.join(known)}" if known else ""
    raise RoutineError([Problem(printable(name), f"no routine or file of that name{hint}")])
