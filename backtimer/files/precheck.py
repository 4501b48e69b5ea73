"""Routines checked in a child process while this one starts the full-screen app.

At a first start (or after a routine file changed) the routine to run, or the routines the
picker lists, are not in the cache of checked routines (:mod:`backtimer.files.cache`):
checking one imports pydantic and builds the routine's model, a third of such a start. The
machine has more than one core and that work needs nothing of the app, so :func:`start` hands
it to a child process (``sys.executable``, this process's ``sys.path``) that checks the files
and writes what it found into the same cache, saying on its standard output which file is
done. This process meanwhile imports Textual and builds the app, and waits for a file only
where it needs the routine (:func:`catalog.load_entry <backtimer.files.catalog.load_entry>`
calls :func:`wait_for` before it looks in the cache), then reads it from the cache as if an
earlier start had checked it.

The child only ever fills the cache; what is used is always what this process reads from it
(the file's stamp and the code's must match, as for any cache entry). So whatever goes wrong
with the child (it cannot start, fails, is killed, says nothing for :data:`TIMEOUT` seconds,
finds the routine invalid: errors are never cached, or cannot write the cache) the routine
is checked in this process exactly as without it, with the same messages. A child that is
waited for no longer is killed and reaped; at exit, any child still running is too. A child
that ends is reaped at once by a thread that waits for it, whether or not it is asked for.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from backtimer.files.cache import RoutineCache, file_stamp

if TYPE_CHECKING:
    import subprocess  # imported where a child is started (the child itself needs none)

#: Seconds a wait for one file gives the child at most; then it is stopped and this process
#: checks the file itself (normally it answers in a tenth of a second).
TIMEOUT = 3.0

#: A file this many places after the last one the child has done is not waited for (the
#: picker asked for a routine far down its list): it is checked here at once.
AHEAD = 8

#: The child's program: this process's ``sys.path`` (given before ``--``), then the files.
#: ``-P``: the current folder is not put first (a ``json.py`` there is not imported). The
#: garbage collector is off from the first line: nothing the short-lived child makes is freed
#: before it ends, and its passes over the imports' objects were 1-2 % of its work.
CHILD_CODE = (
    "import gc, sys; gc.disable(); i = sys.argv.index('--'); sys.path[:] = sys.argv[1:i]; "
    "from backtimer.files.precheck import child; child(sys.argv[i + 1 :])"
)


class Precheck:
    """A child checking ``paths`` in order (see the module's docstring)."""

    def __init__(self, process: subprocess.Popen[bytes], paths: Sequence[Path]) -> None:
        self.process: subprocess.Popen[bytes] | None = process
        self.order = {RoutineCache.key(path): number for number, path in enumerate(paths)}
        self.done: set[int] = set()  # the files the child has said are done
        self._partial = b""
        self.heard = time.monotonic()  # when it started, or last said a file was done

    @property
    def running(self) -> bool:
        return self.process is not None

    def wait_for(self, path: Path, timeout: float | None = None) -> bool:
        """Wait until the child is done with ``path`` (True), or is not going to be: it
        ended, failed or took longer than ``timeout`` seconds (:data:`TIMEOUT`), and is
        stopped (False; also for a path it was not given, and at once for one
        :data:`AHEAD` places or more after the last it has done, leaving it running)."""
        number = self.order.get(RoutineCache.key(path))
        if number is None:
            return False
        if number >= len(self.done) + AHEAD:
            self._drain()
            if self.running and number >= len(self.done) + AHEAD:
                return False  # far down its list: checked here sooner than it gets there
        deadline = time.monotonic() + (TIMEOUT if timeout is None else timeout)
        while number not in self.done:
            process = self.process
            if process is None or process.stdout is None:
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                return False
            try:
                ready, _, _ = select.select([process.stdout], [], [], left)
                data = os.read(process.stdout.fileno(), 4096) if ready else None
            except (OSError, ValueError):
                data = b""
            if data == b"":  # the end of its output: it has ended
                self.stop()
            elif data:
                self._read(data)
        if len(self.done) == len(self.order):
            self.stop()  # all done: it exits at once (nothing is left for it to do)
        return True

    def pending(self, path: Path) -> bool:
        """Whether the child is still to say ``path`` is done, without waiting: False once
        it has, or will not (a path it was not given, one :data:`AHEAD` places or more
        after the last it has done, a child that ended, or one that has said nothing for
        :data:`TIMEOUT` seconds: stopped). For a caller that must not block (the picker,
        after its first frame), which asks again a moment later."""
        number = self.order.get(RoutineCache.key(path))
        if number is None:
            return False
        self._drain()
        if number in self.done or not self.running:
            return False
        if number >= len(self.done) + AHEAD:
            return False
        if time.monotonic() - self.heard > TIMEOUT:
            self.stop()  # hung: this process checks what is left
            return False
        return True

    def _drain(self) -> None:
        """Read what the child has said so far, without waiting (stopped if it ended)."""
        process = self.process
        if process is None or process.stdout is None:
            return
        try:
            while select.select([process.stdout], [], [], 0)[0]:
                data = os.read(process.stdout.fileno(), 4096)
                if not data:
                    self.stop()
                    return
                self._read(data)
        except (OSError, ValueError):
            self.stop()

    def _read(self, data: bytes) -> None:
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                self.done.add(int(line))
                self.heard = time.monotonic()

    def stop(self) -> None:
        """End the child: wait a moment for one that has done all its files, kill any other
        one, and reap it (never a process left behind)."""
        process, self.process = self.process, None
        if process is None:
            return
        if len(self.done) < len(self.order):
            with contextlib.suppress(OSError):
                process.kill()
        import subprocess  # loaded by start, which made the process

        try:
            process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


_current: Precheck | None = None

#: The folder backtimer's package is in.
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def current() -> Precheck | None:
    """The child started by :func:`start` (None: none, or it is stopped)."""
    return _current if _current is not None and _current.running else None


def start(paths: Sequence[Path], timeout: float | None = None) -> Precheck | None:
    """Start a child checking ``paths`` in order (see the module's docstring); None when
    there is nothing to check or it cannot start (then this process checks them)."""
    global _current
    stop()
    if not paths or _cpus() < 2:  # one core: the child would only take turns with this one
        return None
    # -S: no site module either, when this process's sys.path finds backtimer as it is (a
    # .pth file that installs an import hook instead would need it).
    import subprocess

    flags = "-PS" if _ROOT in sys.path or _ROOT + os.sep in sys.path else "-P"
    command = [sys.executable, flags, "-c", CHILD_CODE, *sys.path, "--", *map(str, paths)]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a child's failure is never shown: this process checks
            close_fds=True,
        )
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    _current = Precheck(process, paths)
    # Reaped as soon as it ends, whether or not anything waits for it (the picker may be
    # covered by another screen before its first frame, and never ask for its routines):
    # a thread that only waits for it, never a zombie left for the whole session.
    threading.Thread(target=_reap, args=(process,), name="precheck-reaper", daemon=True).start()
    atexit.register(stop)
    return _current


def _reap(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(Exception):
        process.wait()


def start_for(name: str | None) -> Precheck | None:
    """Before the full-screen app is loaded: when the cache of checked routines lacks the
    routine ``name`` names (None: any of those the picker lists), :func:`start` a child
    checking it (them, in the picker's order); None when none was started. Nothing is said
    here: a name that is not found, or a file that cannot be read, is said when the routine
    is looked for."""
    from backtimer.files.locate import locate, picker_files

    try:
        cache = RoutineCache()
        if name is None:
            lacking = [p for p in picker_files() if cache.listing(p, file_stamp(p)) is None]
        else:
            found = locate(name)
            lacking = [found[0]] if found is not None else []
            # A path to no file has nothing to check: its error is said at once.
            lacking = [
                p
                for p in lacking
                if (stamp := file_stamp(p)) is not None and cache.summary(p, stamp) is None
            ]
    except (OSError, ValueError, RuntimeError):
        return None
    return start(lacking)


def wait_for(path: Path) -> bool:
    """Wait for the child started by :func:`start` to be done with ``path`` (see
    :meth:`Precheck.wait_for`); False at once when there is none."""
    found = current()
    return found.wait_for(path) if found is not None else False


def pending(path: Path) -> bool:
    """Whether the child started by :func:`start` is still to be done with ``path``,
    without waiting (see :meth:`Precheck.pending`); False when there is none."""
    found = current()
    return found.pending(path) if found is not None else False


def stop() -> None:
    """Stop the child started by :func:`start`, if any (also at exit)."""
    global _current
    found, _current = _current, None
    if found is not None:
        found.stop()


def _cpus() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def child(arguments: Sequence[str]) -> None:
    """The child's side: check each file (those the cache has are skipped), write it to the
    cache at once and say its number on a line; the cache's listings file is written with
    the last one. A routine with errors is left out of the cache, as ever."""
    import gc

    gc.disable()  # a short-lived process (as CHILD_CODE does first: also when called alone)
    # Before pydantic builds the first model: no scan of every installed package's plugins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # The routine's dataclasses: their methods compiled when first called, as in the app
    # (this process ends with os._exit: nothing is written to the file from here).
    from backtimer.files import dataclass_code

    dataclass_code.install(lazy=True)
    from backtimer.files.routine_load import RoutineError, load_routine

    cache = RoutineCache()
    out = sys.stdout.buffer
    for number, name in enumerate(arguments):
        # As catalog.load_entry does with a cache (without waiting for a child: this is it).
        path = Path(name)
        stamp = file_stamp(path)  # before reading it
        if cache.summary(path, stamp) is None:
            try:
                routine = load_routine(path)
            except RoutineError:
                routine = None  # never cached: its messages are made where they are shown
            cache.put(path, stamp, routine)
        if number == len(arguments) - 1:
            cache.save()
        else:
            cache.save(listings=False)
        out.write(b"%d\n" % number)
        out.flush()
    os._exit(0)  # nothing else to do: no interpreter shutdown to wait for
