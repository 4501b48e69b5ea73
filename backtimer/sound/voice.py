"""Speech rendered to samples, so that it plays on the app's own audio output and its length
is known exactly.

Renderers (each gives 16-bit mono samples at :data:`~backtimer.sound.tones.SAMPLE_RATE`):

- :class:`VoiceProcess`: libespeak-ng from the ``espeakng-loader`` wheel (installed with
  backtimer on Linux x86-64, macOS arm64 and Windows x64), driven through its C API in a
  separate process: ``python -m backtimer.sound.voice_helper --serve``. backtimer is MIT-licensed
  and espeak-ng is GPL-3.0, so backtimer's own process never loads the library: it sends
  text down a pipe and reads samples back, as it runs the ``espeak-ng`` command. The helper
  process starts once per session and renders a sentence in a few milliseconds.
- :class:`CommandRenderer`: a system ``espeak-ng`` or ``espeak`` writing a WAV to stdout.

:func:`find_renderer` picks one; None means speech can only be played by a speech command
(``say``, ``spd-say``, or a custom one), see :mod:`backtimer.sound.speech`.

A render ends :data:`TAIL` after its last audible sample: the quiet an engine writes after the
words (espeak-ng's ``--stdout``: 0.55 s at 120 words per minute) is trimmed, in
:meth:`Renderer.render`, which both the player (the mixer plays every sample it gets) and the
spoken lengths (:mod:`backtimer.sound.lengths`) use, so a measured length is exactly what is
played and the next cue can follow the words, not their silence.

The protocol of ``--serve`` (requests answered in order): backtimer writes one JSON line
``{"text": ..., "rate": words per minute, "voice": name}``; the helper answers one JSON line
``{"frames": N}`` (or ``{"error": message}``) followed by ``2 * N`` bytes of little-endian
16-bit samples. With ``"measure": true`` it answers ``{"played": N, "quiet": seconds}``
alone: the lengths :meth:`VoiceProcess.render` and :meth:`VoiceProcess.quiet` would give.
Its first line, before any request, is ``{"engine", "sample_rate", "fresh"}`` (``fresh``:
every text is rendered from the same state, see :data:`FRESH`).

No wait on a renderer is unbounded: a helper has :data:`START_TIMEOUT` seconds to send its
first line, and each text :func:`render_timeout` seconds (a generous multiple of how long
its words take to say, never less than :data:`RENDER_FLOOR`) to be rendered or measured. A
render that takes longer is abandoned: the helper and the fork it renders in (its whole
process group) are killed and reaped, the text gives None (as a text that fails: its cue's
tone or bell is heard without the words), and the next text starts a new helper, so the
cues after it are spoken. After :data:`MAX_HANGS` such texts in a row the voice is given up
(``error``). :meth:`VoiceProcess.hurry` cuts the wait short for the pain stop, whose word
must not wait behind a render that hangs. A system espeak-ng run by
:class:`CommandRenderer` gets the same bound per text.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from backtimer.core.timeline import estimate
from backtimer.sound.speech import find_command
from backtimer.sound.tones import SAMPLE_RATE
from backtimer.sound.voice_helper import (  # the helper's, and the rules both apply
    DEFAULT_RATE,
    DEFAULT_VOICE,
    FRESH,
    MAX_RATE,
    MIN_RATE,
    SILENCE,
    TAIL,
    _clamp_rate,
    _speech,
    audible_end,
    resample,
    trim_quiet,
)

__all__ = [
    "DEFAULT_RATE",
    "DEFAULT_VOICE",
    "FRESH",
    "HELPER",
    "MAX_RATE",
    "MIN_RATE",
    "SILENCE",
    "TAIL",
    "CommandRenderer",
    "Renderer",
    "VoiceProcess",
    "audible_end",
    "find_renderer",
    "loader_installed",
    "resample",
    "seconds_of",
    "trim_quiet",
]

CACHE_SIZE = 512  # rendered texts kept per renderer (a session repeats many)
HELPER = "backtimer.sound.voice_helper"  # the helper process: python -m HELPER --serve
LOADER = "espeakng_loader"
#: Seconds a helper may take to start (to send its first line): it usually takes well
#: under one, on a busy machine a few.
START_TIMEOUT = 20.0
#: A text's render is abandoned after RENDER_FACTOR times the seconds its words take to
#: say (estimated from the rate), and never before RENDER_FLOOR seconds. A render takes a
#: few hundredths of the words' length: a render still running after the words would have
#: been said is of no use to a cue on its deadline, and is taken to hang.
RENDER_FLOOR = 4.0
RENDER_FACTOR = 1.5
#: Texts in a row that hang before the voice is given up (each one starts a new helper).
MAX_HANGS = 3
#: Seconds a render already under way is given when every sound must stop (the pain stop,
#: :meth:`VoiceProcess.hurry`): one that takes longer is abandoned, so that the stop's own
#: word is not kept waiting behind a render that hangs.
HURRY = 0.1


def render_timeout(text: str, rate: int = DEFAULT_RATE) -> float:
    """Seconds a renderer has to render ``text`` at ``rate`` (see :data:`RENDER_FLOOR`)."""
    return max(RENDER_FLOOR, RENDER_FACTOR * estimate(text, rate))


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started that are still there (Linux; elsewhere none known)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
            return [int(part) for part in listing.read().split()]
    except (OSError, ValueError):
        return []


def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended and been reaped (or is not ours to know: not Linux)."""
    return not os.path.exists(f"/proc/{pid}")


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill a renderer's process and what it started (it leads a process group of its own:
    ``start_new_session``), never raising. The voice helper's fork of the moment is killed
    first and given a moment to be reaped by the helper (a fork orphaned by the helper's
    death would wait for the system to reap it); then the whole group. The caller reaps
    ``proc`` itself (``wait``)."""
    if proc.returncode is not None:
        return
    if not hasattr(os, "killpg"):
        with contextlib.suppress(OSError):
            proc.kill()
        return
    forks = _children(proc.pid)
    for pid in forks:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 0.5
    while forks and time.monotonic() < deadline and not all(_gone(pid) for pid in forks):
        time.sleep(0.005)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        with contextlib.suppress(OSError):
            proc.kill()


class _Watch:
    """Kills a renderer's process that has not answered by a deadline, from a thread of its
    own, so that a blocked read on its pipe ends (at end of file). :meth:`stop` ends the
    watch; ``expired`` then says whether it killed the process."""

    def __init__(self, proc: subprocess.Popen[bytes], seconds: float) -> None:
        self.proc = proc
        self.seconds = seconds
        self.expired = False
        self.hurried = False  # brought forward by hurry(): stopped, not taken to hang
        self._deadline = time.monotonic() + seconds
        self._done = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="backtimer-voice-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self._changed:
            while not self._done:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    self.expired = True
                    break
                self._changed.wait(left)
            else:
                return
        kill_group(self.proc)

    def rearm(self, seconds: float) -> None:
        """A new deadline, ``seconds`` from now (the next answer of a batch). The watch is
        woken only for an earlier one: it finds a later one when the one it waits for comes
        (a batch of texts measured does not wake it for every answer)."""
        with self._changed:
            self.seconds = seconds
            deadline = time.monotonic() + seconds
            earlier = deadline < self._deadline
            self._deadline = deadline
            if earlier:
                self._changed.notify()

    def hurry(self, seconds: float) -> None:
        """The deadline brought forward to ``seconds`` from now, if it is later."""
        with self._changed:
            if time.monotonic() + seconds < self._deadline:
                self._deadline = time.monotonic() + seconds
                self.hurried = True
            self._changed.notify()

    def stop(self) -> None:
        with self._changed:
            self._done = True
            self._changed.notify()
        self._thread.join()


def _reap(proc: subprocess.Popen[bytes]) -> None:
    """Wait for a killed process (so it is no zombie) and close its pipes."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5.0)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        with contextlib.suppress(OSError, ValueError):
            if pipe is not None:
                pipe.close()


class Renderer(Protocol):
    engine: str
    voice: str
    rate: int

    def render(self, text: str) -> array[int] | None:
        """The text spoken, as samples, without the quiet after the words but for
        :data:`TAIL`; None if it cannot be rendered."""
        ...

    def quiet(self, text: str) -> float:
        """Seconds of quiet the engine wrote after the words of ``text`` beyond what
        :meth:`render` gives (0 if it was not rendered)."""
        ...

    def close(self) -> None: ...


def seconds_of(samples: array[int], sample_rate: int = SAMPLE_RATE) -> float:
    return len(samples) / sample_rate


class _Cache:
    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[array[int], float]] = OrderedDict()

    def get(self, text: str) -> array[int] | None:
        found = self._items.get(text)
        if found is None:
            return None
        self._items.move_to_end(text)
        return found[0]

    def quiet(self, text: str) -> float:
        found = self._items.get(text)
        return found[1] if found is not None else 0.0

    def put(self, text: str, samples: array[int], quiet: float = 0.0) -> None:
        self._items[text] = (samples, quiet)
        while len(self._items) > CACHE_SIZE:
            self._items.popitem(last=False)


# ---------------------------------------------------------------------- renderers


def loader_installed() -> bool:
    """Whether the espeakng-loader wheel is installed (without loading it here)."""
    try:
        return importlib.util.find_spec(LOADER) is not None
    except (ImportError, ValueError):
        return False


class VoiceProcess:
    """Renders through the helper process (started on first use). Thread-safe.

    Anything that goes wrong (the helper cannot start, dies, answers nonsense) makes
    :meth:`render` return None and ``error`` say why; the session goes on. A text whose
    render hangs gives None too, after :func:`render_timeout` seconds: its helper is killed
    and the next text starts a new one (see the module's docstring); ``problem`` says what
    happened, ``hangs`` counts such texts.
    """

    def __init__(self, *, rate: int | None = None, voice: str | None = None) -> None:
        self.rate = _clamp_rate(rate)
        self.voice = voice or DEFAULT_VOICE
        self.engine = "espeak-ng (espeakng-loader)"
        self.sample_rate = SAMPLE_RATE
        self.error: str | None = None
        #: The latest text abandoned because its render hung (the voice goes on), if any.
        self.problem: str | None = None
        self.hangs = 0  # texts abandoned so far
        self.startup_seconds: float | None = None
        #: Whether the helper renders every text from the same state (see :data:`FRESH`):
        #: known once it has started.
        self.fresh = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._cache = _Cache()
        self._closed = False
        self._in_a_row = 0  # texts abandoned since the last one rendered
        self._watch: _Watch | None = None  # the wait under way, for hurry()
        self._starting: _Watch | None = None  # the same, while the helper starts

    def start(self) -> bool:
        """Start the helper now (rather than on the first sentence); True when it runs."""
        with self._lock:
            return self._ensure()

    def render_timeout(self, text: str) -> float:
        """Seconds the helper has to render or measure ``text`` (see :func:`render_timeout`)."""
        return render_timeout(text, self.rate)

    def hurry(self, seconds: float = HURRY, *, starting: bool = False) -> None:
        """Give a render under way (from another thread) ``seconds`` more at most: for the
        pain stop, whose own word must not wait behind a render that hangs. One that ends in
        time is kept; one that does not is abandoned (see :meth:`render`). A helper that is
        starting is let start (it would be given up), unless ``starting`` (closing)."""
        watch = self._watch
        if watch is not None and (starting or watch is not self._starting):
            watch.hurry(seconds)

    @contextlib.contextmanager
    def _watching(
        self, proc: subprocess.Popen[bytes], seconds: float, *, start: bool = False
    ) -> Iterator[_Watch]:
        """A wait on ``proc`` that ends, at the latest, ``seconds`` from now (its process
        killed); ``start``: the helper's start. Called with the lock."""
        watch = _Watch(proc, seconds)
        self._starting = watch if start else None
        self._watch = watch
        try:
            yield watch
        finally:
            self._watch = self._starting = None
            watch.stop()

    def _ensure(self) -> bool:
        if self._proc is not None and self._proc.poll() is None:
            return True
        if self._closed or self.error is not None:
            return False
        if self._proc is not None:  # ended by itself since the last text: reaped
            _reap(self._proc)
            self._proc = None
        began = time.perf_counter()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", HELPER, "--serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            self._fail(f"the voice process did not start: {exc}")
            return False
        with self._watching(self._proc, START_TIMEOUT, start=True) as watch:
            try:
                hello = self._read_header()
            except (OSError, ValueError) as exc:
                hello = {"error": str(exc) or type(exc).__name__}
        if watch.expired:
            why = "it was closed" if watch.hurried else f"no answer within {START_TIMEOUT:g} s"
            self._fail(f"the voice process did not start: {why}")
            return False
        if hello is None or "error" in hello:
            reason = hello.get("error") if hello else "it stopped at once"
            self._fail(f"the voice process did not start: {reason}")
            return False
        self.engine = str(hello.get("engine", self.engine))
        self.sample_rate = int(hello.get("sample_rate", SAMPLE_RATE))
        self.fresh = hello.get("fresh") is True
        self.startup_seconds = time.perf_counter() - began
        return True

    def _read_header(self) -> dict[str, Any] | None:
        assert self._proc is not None and self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            return None
        value = json.loads(line)
        return value if isinstance(value, dict) else None

    def _fail(self, message: str) -> None:
        self.error = message
        self._stop_process()

    def _abandon(self, text: str, watch: _Watch) -> None:
        """``text`` was not rendered by ``watch``'s deadline: its helper (killed by the
        watch) is reaped, and the next text starts a new one, unless :data:`MAX_HANGS`
        texts in a row have hung (then the voice is given up). A render cut short by
        :meth:`hurry` is not taken to hang."""
        proc, self._proc = self._proc, None
        if proc is not None:
            kill_group(proc)
            _reap(proc)
        shown = text if len(text) <= 60 else text[:57] + "..."
        if watch.hurried:
            self.problem = f"the render of {shown!r} was stopped with every sound"
            return
        self.hangs += 1
        self._in_a_row += 1
        self.problem = f"the voice took over {watch.seconds:.1f} s to render {shown!r}: stopped"
        if self._in_a_row >= MAX_HANGS:
            self.error = f"the voice stopped answering ({self._in_a_row} texts in a row hung)"

    def render(self, text: str) -> array[int] | None:
        text = " ".join(text.split())
        if not text:
            return array("h")
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                return cached
            if not self._ensure():
                return None
            assert self._proc is not None
            proc = self._proc
            header: dict[str, Any] | None = None
            data = b""
            failure: str | None = None
            with self._watching(proc, self.render_timeout(text)) as watch:
                try:
                    assert proc.stdin is not None and proc.stdout is not None
                    proc.stdin.write(self._request(text))
                    proc.stdin.flush()
                    header = self._read_header()
                    if header is not None and "error" not in header:
                        data = proc.stdout.read(2 * int(header["frames"]))
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    failure = f"the voice process failed: {exc}"
            if watch.expired:
                self._abandon(text, watch)
                return None
            if failure is not None:
                self._fail(failure)
                return None
            if header is None:
                self._fail("the voice process stopped")
                return None
            if "error" in header:
                return None  # this text only (an unknown voice, say)
            if len(data) < 2 * int(header["frames"]):
                self._fail("the voice process stopped")
                return None
            self._in_a_row = 0
            samples, quiet = _speech(data, self.sample_rate)
            self._cache.put(text, samples, quiet)
            return samples

    def _request(self, text: str, *, measure: bool = False) -> bytes:
        """The helper's request line for ``text`` (see the module's docstring)."""
        request: dict[str, Any] = {"text": text, "rate": self.rate, "voice": self.voice}
        if measure:
            request["measure"] = True
        return json.dumps(request).encode() + b"\n"

    def quiet(self, text: str) -> float:
        with self._lock:
            return self._cache.quiet(" ".join(text.split()))

    def measure(self, texts: Sequence[str]) -> list[tuple[int, float] | None]:
        """For each text, what :meth:`render` and :meth:`quiet` would give as lengths: the
        samples played and the seconds of quiet after them, computed by the helper from
        the very samples it renders (none are sent). Asked all at once: one round trip for
        them all. None for a text that could not be rendered; a text that hangs (each has
        :meth:`render_timeout` seconds from the answer before it) leaves None for it and
        the texts after it, and its helper is abandoned as in :meth:`render`."""
        out: list[tuple[int, float] | None] = [None] * len(texts)
        asked: list[int] = []
        lines = []
        spoken: dict[int, str] = {}
        with self._lock:
            for index, text in enumerate(texts):
                text = " ".join(text.split())
                cached = self._cache.get(text)
                if not text:
                    out[index] = (0, 0.0)
                elif cached is not None:
                    out[index] = (len(cached), self._cache.quiet(text))
                else:
                    asked.append(index)
                    spoken[index] = text
                    lines.append(self._request(text, measure=True))
            if not asked or not self._ensure():
                return out
            assert self._proc is not None
            proc = self._proc
            failure: str | None = None
            waiting = asked[0]  # the text whose answer is awaited
            with self._watching(proc, self.render_timeout(spoken[waiting])) as watch:
                try:
                    assert proc.stdin is not None and proc.stdout is not None
                    proc.stdin.write(b"".join(lines))
                    proc.stdin.flush()
                    for index in asked:
                        waiting = index
                        watch.rearm(self.render_timeout(spoken[index]))
                        header = self._read_header()
                        if header is None:
                            failure = "the voice process stopped"
                            break
                        if "error" not in header:  # else: this text only
                            out[index] = (int(header["played"]), float(header["quiet"]))
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    failure = f"the voice process failed: {exc}"
            if watch.expired:
                for index in asked[asked.index(waiting) :]:
                    out[index] = None  # not answered in time: not to be trusted
                self._abandon(spoken[waiting], watch)
            elif failure is not None:
                self._fail(failure)
            elif any(out[index] is not None for index in asked):
                self._in_a_row = 0
        return out

    def close(self) -> None:
        self.hurry(0.0, starting=True)  # a render under way (another thread's) ends now
        with self._lock:
            self._closed = True
            self._stop_process()

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin is not None:
                proc.stdin.close()  # the helper's loop ends at end of input
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            kill_group(proc)
        _reap(proc)


RENDERING_COMMANDS = ("espeak-ng", "espeak")


class CommandRenderer:
    """A system espeak-ng or espeak, writing each sentence as a WAV to its stdout: a
    process per text, killed (its process group) when it takes longer than
    :meth:`render_timeout` (the text then gives None, and ``error`` says why)."""

    def __init__(self, argv: Sequence[str], *, rate: int | None = None) -> None:
        self.argv = list(argv)
        self.engine = Path(self.argv[0]).name
        self.voice = _option(self.argv, "-v") or DEFAULT_VOICE
        given = _option(self.argv, "-s")
        self.rate = _clamp_rate(int(given) if given and given.isdigit() else rate)
        self.error: str | None = None
        self.startup_seconds: float | None = None
        self._cache = _Cache()
        self._lock = threading.Lock()
        self._watches: set[_Watch] = set()  # the renders under way, for hurry()

    def render_timeout(self, text: str) -> float:
        """Seconds the command has to render ``text`` (see :func:`render_timeout`)."""
        return render_timeout(text, self.rate)

    def hurry(self, seconds: float = HURRY) -> None:
        """As :meth:`VoiceProcess.hurry`, for every render under way."""
        with self._lock:
            watches = list(self._watches)
        for watch in watches:
            watch.hurry(seconds)

    def render(self, text: str) -> array[int] | None:
        text = " ".join(text.split())
        if not text:
            return array("h")
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                return cached
        began = time.perf_counter()
        try:
            data, rate = self._synthesize(text)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            self.error = f"{self.engine} did not render speech: {exc}"
            return None
        if self.startup_seconds is None:
            self.startup_seconds = time.perf_counter() - began
        samples, quiet = _speech(data, rate)
        with self._lock:
            self._cache.put(text, samples, quiet)
        return samples

    def _synthesize(self, text: str) -> tuple[bytes, int]:
        """The command's 16-bit mono samples of ``text``, whole, and their sample rate."""
        import wave  # here: only a speech command's audio is read as a WAV file

        argv = list(self.argv)
        if _option(argv, "-s") is None:
            argv += ["-s", str(self.rate)]
        proc = subprocess.Popen(
            [*argv, "--stdout", "--", text],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its group is killed if it hangs (see _Watch)
            close_fds=True,
        )
        watch = _Watch(proc, self.render_timeout(text))
        with self._lock:
            self._watches.add(watch)
        try:
            out, _ = proc.communicate()
        finally:
            with self._lock:
                self._watches.discard(watch)
            watch.stop()
            kill_group(proc)  # what it left running
            _reap(proc)
        if watch.hurried and watch.expired:
            raise ValueError(f"stopped with every sound while it rendered {text!r}")
        if watch.expired:
            raise ValueError(f"it took over {watch.seconds:.1f} s to render {text!r}")
        try:
            with wave.open(io.BytesIO(out)) as wav:
                if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                    raise ValueError("not 16-bit mono")
                return wav.readframes(wav.getnframes()), wav.getframerate()
        except (wave.Error, EOFError) as exc:
            raise ValueError(str(exc) or type(exc).__name__) from exc

    def quiet(self, text: str) -> float:
        with self._lock:
            return self._cache.quiet(" ".join(text.split()))

    def close(self) -> None:
        self.hurry(0.0)  # a render under way (another thread's) ends now


def _option(argv: Sequence[str], flag: str) -> str | None:
    for i, part in enumerate(argv[1:-1], start=1):
        if part == flag:
            return argv[i + 1]
    for part in argv[1:]:
        if part.startswith(flag) and len(part) > len(flag) and not part.startswith("--"):
            return part[len(flag) :]
    return None


def find_renderer(
    command: str | Sequence[str] | None = None,
    *,
    rate: int | None = None,
    voice: str | None = None,
) -> VoiceProcess | CommandRenderer | None:
    """The renderer to use: a configured ``speech_command`` wins (rendered when it is
    espeak-ng or espeak, else None: it can only be played); without one, the wheel's
    libespeak-ng, then a system espeak-ng or espeak."""
    if command is not None:
        argv = find_command(command)
        if argv is None or Path(argv[0]).name.removesuffix(".exe") not in RENDERING_COMMANDS:
            return None
        if voice and _option(argv, "-v") is None:
            argv += ["-v", voice]  # the speech_voice setting, unless the command sets one
        return CommandRenderer(argv, rate=rate)
    if loader_installed():
        return VoiceProcess(rate=rate, voice=voice)
    for name in RENDERING_COMMANDS:
        path = shutil.which(name)
        if path:
            argv = [path] if voice is None else [path, "-v", voice]
            return CommandRenderer(argv, rate=rate)
    return None
