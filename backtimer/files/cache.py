"""The cache of checked routines, in the user's cache folder (``BACKTIMER_CACHE_DIR``).

One small file per routine file, named by a hash of its absolute path (which it holds, to be
sure), with the file's stamp when it was checked (size, modification time in ns, inode and
change time), a summary (exercise count, length and name: what ``check`` prints and the picker
lists) and the routine itself, pickled apart so that a summary is read without it.
A file whose stamp is the same is not read and validated again; any difference, an entry that
cannot be read, or one written by other code (another version of backtimer, its routine
model or pydantic), and the file is checked as usual. Files with errors are never cached
(their messages name the file as the user sees it).

Light on purpose: reading a summary imports neither pydantic nor the routine model, so
``check`` of unchanged files answers about as fast as the interpreter starts; reading a whole
routine back imports its data types (plain dataclasses), never pydantic, so that ``run`` and
the picker start without it.

Beside them one file (``listings.pickle``) keeps every routine's listing (name, exercise
count, length) by path and stamp: the picker lists a folder of routines from it with one read,
and takes any routine it lacks (or has with another stamp) from the routine's own file.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import shutil
import sys
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from backtimer import __version__
from backtimer.core.digest import sha256_hex
from backtimer.files import paths
from backtimer.files.atomic import read_regular_bytes, write_cache_file

if TYPE_CHECKING:
    from backtimer.core.routine import Routine

Stamp = tuple[int, int, int, int]
Summary = tuple[int, float]  # exercises, seconds at the low end
Listing = tuple[str, int, float]  # the routine's name, exercises, seconds at the low end

CACHE_FOLDER = "routines"
LISTINGS_FILE = "listings.pickle"
CACHE_FORMAT = 5  # 4: the routine as plain dataclasses; 5: the summary has its name


def file_stamp(path: Path) -> Stamp | None:
    """What tells a changed file apart: size, modification time (ns), inode (an atomic save
    replaces it) and change time; None for a file that cannot be looked at."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def source_stamp(module: str, file: str | None = None) -> Stamp | None:
    """The stamp of a module's source (or of ``file`` beside a package), found without
    importing it."""
    try:
        spec = find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    origin = Path(spec.origin)
    return file_stamp(origin.parent / file if file else origin)


@functools.cache
def code_stamp() -> tuple[object, ...]:
    """What the cached routines depend on: the code that builds and checks them (that of
    this process: found once)."""

    return (
        CACHE_FORMAT,
        __version__,
        sys.version_info[:2],
        source_stamp("pydantic", "version.py"),
        *(
            source_stamp(f"backtimer.{name}")
            for name in ("core.routine", "core.schema", "core.durations", "files.routine_load")
        ),
    )


def speech_context() -> tuple[object, ...]:
    """What ``check``'s lines on lengthened steps depend on besides the routine: the settings
    file (speech command, rate, voice, detail, countdown, defaults), the voices installed, the
    code that fits the words, and whether lengths are estimated (found without pydantic)."""
    config = paths.config_dir() / "config.toml"
    return (
        file_stamp(config),
        os.environ.get("BACKTIMER_SPEECH_LENGTHS", ""),
        os.environ.get("BACKTIMER_SPEECH_CACHE_DIR", ""),
        tuple(shutil.which(name) for name in ("espeak-ng", "espeak", "spd-say", "say")),
        find_spec("espeakng_loader") is not None,
        *(
            source_stamp(f"backtimer.{name}")
            for name in ("core.plan", "core.timeline", "sound.lengths", "sound.voice")
        ),
    )


class RoutineCache:
    """Checked routines by file stamp (see the module's docstring)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = (folder if folder is not None else paths.cache_dir()) / CACHE_FOLDER
        self.hits = self.misses = 0
        self._code = code_stamp()
        # What is put, to write at save(): (stamp, (exercises, seconds, name), routine pickled)
        self._writes: dict[str, tuple[Stamp, tuple[int, float, str], bytes] | None] = {}
        # The listings file's contents (read once, when first needed), and what to add to it.
        self._listings: dict[str, tuple[Stamp, Listing]] | None = None
        self._new_listings: dict[str, tuple[Stamp, Listing] | None] = {}

    @staticmethod
    def key(path: Path) -> str:
        return os.path.abspath(path)

    def file_of(self, key: str) -> Path:
        digest = sha256_hex(os.fsencode(key))[:32]
        return self.folder / f"{digest}.pickle"

    def _entry(
        self, path: Path, stamp: Stamp | None
    ) -> tuple[tuple[int, float, str], bytes] | None:
        key = self.key(path)
        found: object = None
        if stamp is not None:
            try:
                found = pickle.loads(read_regular_bytes(self.file_of(key)))
            except Exception:  # missing, torn, from an older version: not used
                found = None
        if isinstance(found, tuple) and len(found) == 5 and found[:3] == (self._code, key, stamp):
            self.hits += 1
            return found[3], found[4]
        self.misses += 1
        return None

    def summary(self, path: Path, stamp: Stamp | None) -> Summary | None:
        """(exercises, seconds) of the routine checked from ``path`` at ``stamp``, or None."""
        entry = self._entry(path, stamp)
        return entry[0][:2] if entry is not None else None

    def _read_listings(self) -> dict[str, tuple[Stamp, Listing]]:
        try:
            found = pickle.loads(read_regular_bytes(self.folder / LISTINGS_FILE))
        except Exception:  # missing, torn, from an older version: not used
            return {}
        ours = isinstance(found, tuple) and len(found) == 2 and found[0] == self._code
        return found[1] if ours and isinstance(found[1], dict) else {}

    def listing(self, path: Path, stamp: Stamp | None) -> Listing | None:
        """(name, exercises, seconds) of the routine checked from ``path`` at ``stamp``, or
        None: what the picker lists, read without the routine (see :meth:`get`), from the
        listings file if it has it (:meth:`save` adds to it the ones it lacked)."""
        if stamp is None:
            return None
        if self._listings is None:
            self._listings = self._read_listings()
        key = self.key(path)
        known = self._listings.get(key)
        if known is not None and known[0] == stamp:
            self.hits += 1
            return known[1]
        entry = self._entry(path, stamp)
        if entry is None:
            return None
        count, seconds, name = entry[0]
        self._new_listings[key] = (stamp, (name, count, seconds))
        return name, count, seconds

    def get(self, path: Path, stamp: Stamp | None) -> Routine | None:
        """The routine checked from ``path`` when it had ``stamp``, or None."""
        found = self.read(path, stamp)
        return found[0] if found is not None else None

    def read(self, path: Path, stamp: Stamp | None) -> tuple[Routine, Listing] | None:
        """The routine checked from ``path`` when it had ``stamp`` and its listing (see
        :meth:`listing`), or None."""
        entry = self._entry(path, stamp)
        if entry is None:
            return None
        count, seconds, name = entry[0]
        # Deferred: the routine's data types load only when a whole routine is read back (no
        # pydantic: they are plain dataclasses); a check of unchanged files reads summaries.
        from backtimer.core.routine import Routine

        try:
            routine = pickle.loads(entry[1])
        except Exception:
            return None
        return (routine, (name, count, seconds)) if isinstance(routine, Routine) else None

    def _notes_file(self, key: str) -> Path:
        return self.file_of(key).with_suffix(".speech")

    def notes(
        self, path: Path, stamp: Stamp | None, context: tuple[object, ...]
    ) -> list[str] | None:
        """Lines kept with the routine checked from ``path`` at ``stamp`` in ``context`` (see
        :func:`speech_context`), or None."""
        key = self.key(path)
        if stamp is None:
            return None
        try:
            found = pickle.loads(read_regular_bytes(self._notes_file(key)))
        except Exception:  # missing, torn, from an older version: not used
            return None
        if (
            isinstance(found, tuple)
            and len(found) == 3
            and found[0] == (self._code, key, stamp, context)
            and isinstance(found[1], list)
        ):
            return [str(line) for line in found[1]]
        return None

    def put_notes(
        self, path: Path, stamp: Stamp | None, context: tuple[object, ...], lines: list[str]
    ) -> None:
        """Keep ``lines`` with the routine checked from ``path`` at ``stamp`` (at once,
        atomically; failures are ignored)."""
        if stamp is None:
            return
        key = self.key(path)
        try:
            data = pickle.dumps(((self._code, key, stamp, context), list(lines), None))
        except pickle.PicklingError:
            return
        write_cache_file(self._notes_file(key), data)

    def put(self, path: Path, stamp: Stamp | None, routine: Routine | None) -> None:
        """Remember ``routine`` as checked from ``path`` at ``stamp`` (None: forget it)."""
        key = self.key(path)
        if stamp is None or routine is None:
            self._writes[key] = None
            return
        try:
            data = pickle.dumps(routine, pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, RecursionError, TypeError):
            self._writes[key] = None
            return
        summary = (len(routine.exercises), routine.total_seconds(), routine.name)
        self._writes[key] = (stamp, summary, data)

    def save(self, *, listings: bool = True) -> None:
        """Write what was put (each file atomically; failures are ignored), and the listings
        file with what it lacked (``listings`` False: not yet, at a later save)."""
        writes, self._writes = self._writes, {}
        changes = self._new_listings
        for key, item in writes.items():
            target = self.file_of(key)
            if item is None:
                changes[key] = None
                with contextlib.suppress(OSError):
                    target.unlink(missing_ok=True)
                continue
            count, seconds, name = item[1]
            changes[key] = (item[0], (name, count, seconds))
            write_cache_file(
                target, pickle.dumps((self._code, key, *item), pickle.HIGHEST_PROTOCOL)
            )
        if listings and changes:
            self._new_listings = {}
            self._save_listings(changes)

    def _save_listings(self, changes: dict[str, tuple[Stamp, Listing] | None]) -> None:
        # Read again just before: another process may have added to it since (what one of
        # two writing at once adds may be lost: those routines are read from their files).
        known = self._read_listings()
        for key, item in changes.items():
            if item is None:
                known.pop(key, None)
            else:
                known[key] = item
        data = pickle.dumps((self._code, known), pickle.HIGHEST_PROTOCOL)
        write_cache_file(self.folder / LISTINGS_FILE, data)
        self._listings = known
