"""Writing the user's files safely: never half-written, never overwritten without a backup.

Every write goes to a temporary file in the same folder (hidden: ``.NAME.XXXXXXXX.tmp``, so
the catalog, which lists ``*.toml``, never sees one), which is written, flushed and fsync'd,
then renamed over the target with ``os.replace`` (atomic on POSIX and Windows), and the folder
is fsync'd so that the rename itself survives a power cut. A crash at any moment leaves either
the old file or the new one, byte for byte; at worst a stray temporary file.

Every existing, non-empty file gets a backup, ``NAME.bak`` (the version being replaced), before
it is replaced: a program rewriting a person's file could otherwise lose what they meant,
with comments or without. Only ``backup=False`` (restoring a version the caller kept itself,
or writing the backup itself) skips it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

#: Called with the temporary file's path just before the rename (tests use it to crash there).
Hook = Callable[[Path], None]


def has_comments(text: str) -> bool:
    """True when TOML text has a comment: a line starting with ``#``, or a ``#`` after a value.

    A ``#`` inside a string (``"#1"``, ``'''...#...'''``) is not a comment.
    """
    quote: str | None = None  # the delimiter of the string we are in: " ' """ or '''
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if quote is None:
            if ch == "#":
                return True
            if ch in "\"'":
                quote = ch * 3 if text.startswith(ch * 3, i) else ch
                i += len(quote)
                continue
        elif quote == '"' or quote == '"""':
            if ch == "\\":
                i += 2
                continue
            if text.startswith(quote, i):
                i += len(quote)
                # A multi-line string may end with up to two extra quotes: """a""""".
                while len(quote) == 3 and i < n and text[i] == '"':
                    i += 1
                quote = None
                continue
            if ch == "\n" and quote == '"':  # an unclosed string ends at the line's end
                quote = None
        else:  # literal strings: no escapes
            if text.startswith(quote, i):
                i += len(quote)
                while len(quote) == 3 and i < n and text[i] == "'":
                    i += 1
                quote = None
                continue
            if ch == "\n" and quote == "'":
                quote = None
        i += 1
    return False


def backup_path(path: Path) -> Path:
    """Where the previous version of ``path`` is kept: ``NAME.toml.bak`` beside it."""
    return path.with_name(path.name + ".bak")


def _target(path: str | os.PathLike[str]) -> Path:
    """The file to replace: a symlink's target (replacing the link would cut it)."""
    path = Path(path)
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (not possible, and not needed, on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace_with(
    target: Path, data: bytes, *, mode: int | None, before_replace: Hook | None = None
) -> None:
    """Write ``data`` to a temporary file beside ``target`` and rename it over ``target``."""
    folder = target.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0)
    while True:
        temp = folder / f".{target.name}.{os.urandom(4).hex()}.tmp"
        try:
            # 0o666 minus the umask: the permissions a new file would get.
            fd = os.open(temp, flags, 0o666)
            break
        except FileExistsError:  # pragma: no cover - 32 random bits already taken
            continue
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        if before_replace is not None:
            before_replace(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(folder)


def _kind(mode: int) -> str | None:
    """What a file of this ``st_mode`` is, when it is not a regular file (None: it is)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def special_file(path: Path) -> str | None:
    """What ``path`` is when it exists and is not a regular file ("a named pipe (FIFO)");
    None for a file, or nothing there. Opening a named pipe to read it blocks until
    something writes into it (for ever): look before reading a file that may be one."""
    try:
        return _kind(path.stat().st_mode)
    except OSError:
        return None


def read_regular_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the regular file at ``path``, read without ever blocking: a named pipe
    (FIFO), a device, a socket or a folder there raises OSError, as a file that cannot be
    read does (a cache then takes it for no cache at all). Opening a named pipe to read
    waits for a writer, for ever: it is opened without waiting and looked at before anything
    is read (no window between a look and the open)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        kind = special_file(Path(path))  # a socket cannot be opened at all: say what it is
        if kind is None:
            raise
        raise OSError(errno.EINVAL, f"is {kind}, not a regular file", os.fspath(path)) from exc
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise OSError(errno.EINVAL, f"is {kind}, not a regular file", os.fspath(path))
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        return handle.read()


def _mode_of(path: Path) -> int | None:
    """The permission bits of the file to replace (None: there is none yet).

    Only a regular file is ever replaced: a named pipe would block the read for its backup
    forever, and a device or a socket (``/dev/null``, as root) would be renamed over.
    Raises OSError saying what it is instead.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    kind = _kind(mode)
    if kind is not None:
        raise OSError(
            errno.EINVAL, f"is {kind}, not a regular file: only files are replaced", str(path)
        )
    return stat.S_IMODE(mode)


def atomic_write_bytes(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    backup: bool = True,
    backup_always: bool = False,
    _before_replace: Hook | None = None,
) -> Path | None:
    """Replace ``path`` with ``data`` atomically; returns the backup's path if one was kept.

    With ``backup`` (the default) an existing, non-empty file is first copied to ``NAME.bak``,
    itself written atomically and fsync'd (``backup_always`` is the same, kept for callers
    that say so). The file's permission bits are kept. Raises OSError if anything fails;
    the temporary file is then removed and ``path`` is as it was.
    """
    target = _target(path)
    mode = _mode_of(target)  # None: a new file
    kept: Path | None = None
    if mode is not None and (backup or backup_always):
        old = target.read_bytes()
        if old and old != data:
            kept = backup_path(target)
            _replace_with(kept, old, mode=mode)
    _replace_with(target, data, mode=mode, before_replace=_before_replace)
    return kept


def atomic_write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    backup: bool = True,
    backup_always: bool = False,
    _before_replace: Hook | None = None,
) -> str | None:
    """Replace ``path`` with ``text`` (UTF-8, line endings as given) atomically.

    Returns a message naming the backup when one was kept (see :func:`atomic_write_bytes`),
    else None.
    """
    kept = atomic_write_bytes(
        path,
        text.encode("utf-8"),
        backup=backup,
        backup_always=backup_always,
        _before_replace=_before_replace,
    )
    if kept is None:
        return None
    return f"the previous version is kept in {kept}"


def atomic_create_text(path: str | os.PathLike[str], text: str) -> None:
    """Create ``path`` with ``text`` (UTF-8); see :func:`atomic_create_bytes`."""
    atomic_create_bytes(path, text.encode("utf-8"))


def atomic_create_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Create ``path`` with ``data``, atomically; FileExistsError if it exists (untouched).

    The new file appears whole or not at all: it is written to a temporary file and then
    hard-linked to its name, which fails if the name is taken (no window for a race). On a
    file system without hard links, it falls back to checking first and renaming.
    """
    target = Path(path)
    folder = target.parent
    if os.path.lexists(target):
        raise FileExistsError(17, "File exists", str(target))

    def link_instead(temp: Path) -> None:
        try:
            os.link(temp, target)
        except FileExistsError:
            raise
        except OSError:
            return  # no hard links here: let the rename happen
        raise _Linked  # in place; _replace_with removes the temporary name

    try:
        _replace_with(target, data, mode=None, before_replace=link_instead)
    except _Linked:
        _fsync_dir(folder)


class _Linked(Exception):
    """Internal: the new file is in place as a hard link (the temporary name is removed)."""


#: The folders :func:`write_cache_file` has looked for stale temporary files in, in this
#: process (once each).
_SWEPT: set[str] = set()

#: A temporary cache file of a process that is not running is removed once it is this many
#: seconds old (a file system shared with another machine: a process there may be writing).
#: A process of another machine or PID namespace whose id is free here, and that is still
#: between its write and its rename (it takes milliseconds: only one stopped there, or a
#: clock a minute off, is caught), loses nothing but that write: its rename fails, and
#: :func:`write_cache_file` returns False there, the old file left in place.
STALE_AFTER = 60.0


def write_cache_file(target: Path, data: bytes) -> bool:
    """Replace a cache file with ``data``, best effort: a temporary file beside it, then a
    rename (a reader sees the old file or the new one, never half of one), its folder made
    if missing. A cache is never worth an error: a failure leaves the old file (or none) and
    returns False. No fsync, no backup: it is made again from the user's files if lost.

    The temporary file is named with this process's id; one left by a process killed while
    it wrote is removed at the first write into its folder by a later process (see
    :func:`remove_stale_temporaries`)."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    folder = str(target.parent)
    if folder not in _SWEPT:
        _SWEPT.add(folder)
        remove_stale_temporaries(target.parent)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(data)
        os.replace(temp, target)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        return False
    return True


def remove_stale_temporaries(folder: Path) -> int:
    """Remove the temporary files of :func:`write_cache_file` in ``folder``
    (``.NAME.PID.tmp``) whose process is not running and that are :data:`STALE_AFTER`
    seconds old; returns how many. Any other file, and one that cannot be looked at, is
    left alone."""
    import time

    removed = 0
    now = time.time()
    try:
        with os.scandir(folder) as found:
            names = [e.name for e in found if e.name.startswith(".") and e.name.endswith(".tmp")]
    except OSError:
        return 0
    for name in names:
        pid_text = name[: -len(".tmp")].rpartition(".")[2]
        if not pid_text.isdigit() or int(pid_text) <= 0 or _running(int(pid_text)):
            continue
        path = folder / name
        try:
            if now - path.stat().st_mtime < STALE_AFTER:
                continue
            path.unlink()
        except OSError:
            continue
        removed += 1
    return removed


def _running(pid: int) -> bool:
    """Whether a process ``pid`` exists (this one too; one of another user's counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True
