"""The routines a user can run: bundled ones, their own, and paths given on the command line.

Checked routines are kept in a cache in the user's cache folder (:class:`RoutineCache`), by
file: its absolute path, size, modification time (ns), inode and change time. A file whose
stamp is the same is not read and validated again; any difference, a cache entry that cannot
be read, or one written by other code (another version of backtimer or pydantic), and the
file is checked as usual. Files with errors are never cached (their messages name the file
as the user sees it). ``check``, ``run ROUTINE``, ``list`` and the picker use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic.version import VERSION

from backtimer import __version__
from backtimer.core import durations
from backtimer.core import routine as model
from backtimer.core.literal import printable
from backtimer.core.routine import Routine
from backtimer.files import paths, routine_load
from backtimer.files.routine_load import Problem, RoutineError, load_routine

Origin = Literal["bundled", "user", "path"]


@dataclass(frozen=True)
class Entry:
    """A routine file found on disk, valid or not."""

    key: str  # the name a user types: the file stem
    path: Path
    origin: Origin
    routine: Routine | None
    problems: tuple[Problem, ...] = ()
    pending: bool = False  # listed, not checked yet (see listed_entries)

    @property
    def valid(self) -> bool:
        return self.routine is not None


# ------------------------------------------------------------------------ the cache

Stamp = tuple[int, int, int, int]

CACHE_FOLDER = "routines"  # in the cache dir: one small file per routine file
CACHE_FORMAT = 2


def file_stamp(path: Path) -> Stamp | None:
    """What tells a changed file apart: size, modification time (ns), inode (an atomic save
    replaces it) and change time; None for a file that cannot be looked at."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def _code_stamp() -> tuple[object, ...]:
    """What the cached routines depend on: the code that builds and checks them."""
    return (
        CACHE_FORMAT,
        __version__,
        VERSION,
        sys.version_info[:2],
        *(file_stamp(Path(m.__file__ or "")) for m in (model, routine_load, durations)),
    )


class RoutineCache:
    """Valid routines by file stamp, one small file each in ``<cache dir>/routines/`` (named
    by a hash of the routine file's absolute path, which it holds to be sure).

    Only the user's cache folder is written (never a routine folder); a cache entry that
    cannot be read, or was written by other code, is not used; one that cannot be written
    is not written.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = (folder if folder is not None else paths.cache_dir()) / CACHE_FOLDER
        self.hits = self.misses = 0
        self._code = _code_stamp()
        self._writes: dict[str, tuple[Stamp, Routine] | None] = {}

    @staticmethod
    def key(path: Path) -> str:
        return os.path.abspath(path)

    def file_of(self, key: str) -> Path:
        digest = hashlib.sha256(os.fsencode(key)).hexdigest()[:32]
        return self.folder / f"{digest}.pickle"

    def get(self, path: Path, stamp: Stamp | None) -> Routine | None:
        """The routine checked from ``path`` when it had ``stamp``, or None."""
        key = self.key(path)
        found: object = None
        if stamp is not None:
            try:
                found = pickle.loads(self.file_of(key).read_bytes())
            except Exception:  # missing, torn, from an older version: not used
                found = None
        if (
            isinstance(found, tuple)
            and len(found) == 4
            and found[:3] == (self._code, key, stamp)
            and isinstance(found[3], Routine)
        ):
            self.hits += 1
            return found[3]
        self.misses += 1
        return None

    def put(self, path: Path, stamp: Stamp | None, routine: Routine | None) -> None:
        """Remember ``routine`` as checked from ``path`` at ``stamp`` (None: forget it)."""
        key = self.key(path)
        self._writes[key] = (stamp, routine) if stamp is not None and routine else None

    def save(self) -> None:
        """Write what was put (each file atomically; failures are ignored)."""
        writes, self._writes = self._writes, {}
        for key, item in writes.items():
            target = self.file_of(key)
            if item is None:
                with contextlib.suppress(OSError):
                    target.unlink(missing_ok=True)
                continue
            temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            try:
                data = pickle.dumps((self._code, key, *item), pickle.HIGHEST_PROTOCOL)
                self.folder.mkdir(parents=True, exist_ok=True)
                temp.write_bytes(data)
                os.replace(temp, target)
            except (OSError, pickle.PicklingError, RecursionError):
                with contextlib.suppress(OSError):
                    temp.unlink(missing_ok=True)


# ------------------------------------------------------------------------ listing


def _toml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".toml")
    except OSError:
        return []


def _entries(folder: Path, origin: Origin, cache: RoutineCache | None = None) -> list[Entry]:
    return [load_entry(path, origin, cache) for path in _toml_files(folder)]


def load_entry(path: Path, origin: Origin, cache: RoutineCache | None = None) -> Entry:
    """The routine in ``path``, checked (or, with ``cache``, as checked before if the file
    has not changed since)."""
    stamp = file_stamp(path) if cache is not None else None  # before reading it
    if cache is not None:
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


def check_entry(entry: Entry, cache: RoutineCache | None = None) -> Entry:
    """A listed entry, checked (itself if it already was)."""
    if not entry.pending:
        return entry
    return load_entry(entry.path, entry.origin, cache)


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
    """:func:`all_entries` without checking anything: a file unchanged since it was last
    checked comes from the cache, any other is listed ``pending`` (its ``routine`` None and
    no problems yet); :func:`check_entry` checks one. For the picker's first frame."""
    cache = RoutineCache()
    out: list[Entry] = []
    for folder, origin in (
        (paths.user_routines_dir(), "user"),
        (paths.bundled_routines_dir(), "bundled"),
    ):
        for path in _toml_files(folder):
            routine = cache.get(path, file_stamp(path))
            out.append(Entry(path.stem, path, origin, routine, pending=routine is None))  # type: ignore[arg-type]
    return out


def resolve(name: str) -> Entry:
    """A ROUTINE argument: a path, a user routine's name, or a bundled routine's name.

    Raises RoutineError (never another exception) when nothing usable is found.
    """
    looks_like_path = os.sep in name or name.endswith(".toml") or (os.altsep or "\0") in name
    try:
        candidate = Path(name).expanduser()
    except RuntimeError:  # "~someone/x.toml" for a user that does not exist
        candidate = Path(name)
    found: tuple[Path, Origin] | None = None
    if looks_like_path or candidate.exists():
        found = (candidate, "path")
    else:
        for origin, folder in (
            ("user", paths.user_routines_dir()),
            ("bundled", paths.bundled_routines_dir()),
        ):
            path = folder / f"{name}.toml"
            if path.exists():
                found = (path, origin)  # type: ignore[assignment]
                break
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
