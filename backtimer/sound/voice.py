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
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import shutil
import subprocess
import sys
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

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
    :meth:`render` return None and ``error`` say why; the session goes on.
    """

    def __init__(self, *, rate: int | None = None, voice: str | None = None) -> None:
        self.rate = _clamp_rate(rate)
        self.voice = voice or DEFAULT_VOICE
        self.engine = "espeak-ng (espeakng-loader)"
        self.sample_rate = SAMPLE_RATE
        self.error: str | None = None
        self.startup_seconds: float | None = None
        #: Whether the helper renders every text from the same state (see :data:`FRESH`):
        #: known once it has started.
        self.fresh = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._cache = _Cache()
        self._closed = False

    def start(self) -> bool:
        """Start the helper now (rather than on the first sentence); True when it runs."""
        with self._lock:
            return self._ensure()

    def _ensure(self) -> bool:
        if self._proc is not None and self._proc.poll() is None:
            return True
        if self._closed or self.error is not None:
            return False
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
            hello = self._read_header()
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            self._fail(f"the voice process did not start: {exc}")
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
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(self._request(text))
                proc.stdin.flush()
                header = self._read_header()
                if header is None:
                    self._fail("the voice process stopped")
                    return None
                if "error" in header:
                    return None  # this text only (an unknown voice, say)
                data = proc.stdout.read(2 * int(header["frames"]))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self._fail(f"the voice process failed: {exc}")
                return None
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
        them all. None for a text that could not be rendered."""
        out: list[tuple[int, float] | None] = [None] * len(texts)
        asked: list[int] = []
        lines = []
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
                    lines.append(self._request(text, measure=True))
            if not asked or not self._ensure():
                return out
            assert self._proc is not None
            proc = self._proc
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(b"".join(lines))
                proc.stdin.flush()
                for index in asked:
                    header = self._read_header()
                    if header is None:
                        self._fail("the voice process stopped")
                        return out
                    if "error" not in header:  # else: this text only
                        out[index] = (int(header["played"]), float(header["quiet"]))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self._fail(f"the voice process failed: {exc}")
        return out

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop_process()

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            if proc.stdin is not None:
                proc.stdin.close()  # the helper's loop ends at end of input
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2.0)
        with contextlib.suppress(OSError):
            if proc.stdout is not None:
                proc.stdout.close()


RENDERING_COMMANDS = ("espeak-ng", "espeak")


class CommandRenderer:
    """A system espeak-ng or espeak, writing each sentence as a WAV to its stdout."""

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
        done = subprocess.run(
            [*argv, "--stdout", "--", text],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
            check=False,
        )
        try:
            with wave.open(io.BytesIO(done.stdout)) as wav:
                if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                    raise ValueError("not 16-bit mono")
                return wav.readframes(wav.getnframes()), wav.getframerate()
        except (wave.Error, EOFError) as exc:
            raise ValueError(str(exc) or type(exc).__name__) from exc

    def quiet(self, text: str) -> float:
        with self._lock:
            return self._cache.quiet(" ".join(text.split()))

    def close(self) -> None:
        pass


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
