"""Speech rendered to samples, so that it plays on the app's own audio output and its length
is known exactly.

Renderers (each gives 16-bit mono samples at :data:`~backtimer.sound.tones.SAMPLE_RATE`):

- :class:`VoiceProcess`: libespeak-ng from the ``espeakng-loader`` wheel (installed with
  backtimer on Linux x86-64, macOS arm64 and Windows x64), driven through its C API in a
  separate process: ``python -m backtimer.sound.voice --serve``. backtimer is MIT-licensed
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
import os
import shutil
import subprocess
import sys
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from backtimer.sound.speech import find_command
from backtimer.sound.tones import SAMPLE_RATE

DEFAULT_RATE = 175  # words per minute: espeak-ng's own default
DEFAULT_VOICE = "en"
MIN_RATE, MAX_RATE = 80, 450  # what espeak-ng accepts
CACHE_SIZE = 512  # rendered texts kept per renderer (a session repeats many)
SILENCE = 300  # 16-bit sample amplitude below which the audio is quiet
TAIL = 0.06  # seconds of quiet kept after the last audible sample: the decay is not clipped
LOADER = "espeakng_loader"
#: Whether the helper renders every text from the same state (in a fork of itself, see
#: :meth:`Espeak.synthesize`): then a text's samples do not depend on what a helper rendered
#: before, and texts may be measured in several helpers at once. Not where there is no fork.
FRESH = hasattr(os, "fork")


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


def _clamp_rate(rate: int | None) -> int:
    return DEFAULT_RATE if rate is None else max(MIN_RATE, min(MAX_RATE, int(rate)))


def resample(samples: array[int], source: int, target: int = SAMPLE_RATE) -> array[int]:
    """Linear resampling (speech only, so quality is not critical)."""
    if source == target or not samples:
        return samples
    count = max(1, round(len(samples) * target / source))
    ratio = source / target
    last = len(samples) - 1
    out = array("h", bytes(2 * count))
    for i in range(count):
        x = i * ratio
        j = int(x)
        if j >= last:
            out[i] = samples[last]
        else:
            frac = x - j
            out[i] = round(samples[j] * (1 - frac) + samples[j + 1] * frac)
    return out


def _samples(data: bytes) -> array[int]:
    out = array("h")
    out.frombytes(data[: len(data) - len(data) % 2])
    if sys.byteorder == "big":
        out.byteswap()
    return out


def audible_end(samples: array[int]) -> int:
    """The index after the last sample at or above :data:`SILENCE` (0: all quiet)."""
    end = len(samples)
    while end > 0:  # whole blocks of quiet first, then sample by sample
        start = max(0, end - 512)
        block = samples[start:end]
        if max(block) < SILENCE and min(block) > -SILENCE:
            end = start
            continue
        while -SILENCE < samples[end - 1] < SILENCE:
            end -= 1
        break
    return end


def trim_quiet(samples: array[int], sample_rate: int = SAMPLE_RATE) -> array[int]:
    """``samples`` without the quiet after the last audible one, but for :data:`TAIL` of it
    (the voice's decay); all quiet: no samples."""
    end = audible_end(samples)
    keep = min(len(samples), end + round(TAIL * sample_rate)) if end else 0
    return samples if keep == len(samples) else samples[:keep]


def _speech(data: bytes, source_rate: int) -> tuple[array[int], float]:
    """An engine's 16-bit samples at ``source_rate`` as the player plays them: at
    :data:`~backtimer.sound.tones.SAMPLE_RATE`, the quiet after the words trimmed; and the
    seconds of quiet trimmed off."""
    whole = resample(_samples(data), source_rate)
    played = trim_quiet(whole)
    return played, (len(whole) - len(played)) / SAMPLE_RATE


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


# ---------------------------------------------------------------------- the helper process


class _NoFork(Exception):
    """The helper could not fork to render a text afresh."""


class Espeak:
    """libespeak-ng through ctypes, synthesizing to memory. Used in the helper process only
    (see the module's docstring for why)."""

    def __init__(self) -> None:
        # Here, not at the top: only the helper process needs them (a session that measures
        # its words imports this module before its first frame).
        import ctypes

        import espeakng_loader  # type: ignore[import-not-found,import-untyped,unused-ignore]

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = Path(espeakng_loader.get_data_path())
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        # 2 = AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth returns when the text is rendered,
        # having handed every buffer to the callback on this thread.
        self.sample_rate = lib.espeak_Initialize(2, 0, str(data.parent).encode(), 0)
        if self.sample_rate <= 0:
            raise OSError("libespeak-ng did not start (its voice data was not found)")
        self.version = (lib.espeak_Info(None) or b"").decode("ascii", "replace")
        # espeak-ng seeds its noise (breathy voices) with the clock: one seed for every
        # helper, so that a text sounds the same in each.
        if hasattr(lib, "espeak_ng_SetRandSeed"):
            lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
            lib.espeak_ng_SetRandSeed(1)
        self._chunks: list[bytes] = []
        callback_type = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
        )
        self._callback = callback_type(self._collect)  # kept: C holds a pointer to it
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None
        self._rate: int | None = None

    def _collect(self, wav: Any, count: int, events: Any) -> int:
        import ctypes  # imported by __init__: a lookup

        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def synthesize(
        self, text: str, *, rate: int = DEFAULT_RATE, voice: str = DEFAULT_VOICE
    ) -> bytes:
        """``text`` spoken: 16-bit samples at :attr:`sample_rate`. The synthesizer keeps
        state from one text to the next (its pitch jitter runs on: a text's length differs
        by up to 20 ms with what was rendered before), so where the system can fork, each
        text is rendered in a fork of this process as it was after :meth:`_set` (see
        :data:`FRESH`): the same samples for a text in every helper, in any order."""
        self._set(rate, voice)
        if FRESH:
            try:
                return self._in_fork(text)
            except _NoFork:  # no process to spare: said all the same, as it always was
                pass
        return self._synth(text)

    def _set(self, rate: int, voice: str) -> None:
        if voice != self._voice:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ValueError(f"no espeak-ng voice called {voice!r}")
            self._voice = voice
            self._rate = None  # set again after a new voice, as it always was
        rate = _clamp_rate(rate)
        # Set only when it changes: each call leaves something behind for the next text
        # (300 calls with no text rendered between them cut the next text short).
        if rate != self._rate:
            self.lib.espeak_SetParameter(1, rate, 0)  # 1 = espeakRATE
            self._rate = rate

    def _in_fork(self, text: str) -> bytes:
        try:
            read, write = os.pipe()
        except OSError as exc:
            raise _NoFork from exc
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(read)
            os.close(write)
            raise _NoFork from exc
        if pid == 0:  # the child: render, hand the samples over, and go
            status = 1
            try:
                os.close(read)
                data = memoryview(self._synth(text))
                while data:
                    data = data[os.write(write, data) :]
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        chunks = []
        with open(read, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                chunks.append(chunk)
        _, status = os.waitpid(pid, 0)
        if status != 0:
            raise OSError("espeak-ng could not render the text")
        return b"".join(chunks)

    def _synth(self, text: str) -> bytes:
        data = text.encode("utf-8", "replace")
        self._chunks = []
        # flags 1 = espeakCHARS_UTF8: plain text (no SSML: "<" is spoken as written),
        # no pause added after the last word, so the length is the speech's own.
        status = self.lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 1, None, None)
        if status != 0:
            raise OSError(f"espeak-ng could not render the text (error {status})")
        return b"".join(self._chunks)


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """The helper's loop: see the module's docstring for the protocol."""
    try:
        engine = Espeak()
    except Exception as exc:  # no wheel, a broken library: say why, then stop
        stdout.write(json.dumps({"error": str(exc) or type(exc).__name__}).encode() + b"\n")
        stdout.flush()
        return 1
    hello = {
        "engine": f"espeak-ng {engine.version}",
        "sample_rate": engine.sample_rate,
        "fresh": FRESH,
    }
    stdout.write(json.dumps(hello).encode() + b"\n")
    stdout.flush()
    for line in stdin:
        try:
            request = json.loads(line)
            pcm = engine.synthesize(
                str(request["text"]),
                rate=int(request.get("rate") or DEFAULT_RATE),
                voice=str(request.get("voice") or DEFAULT_VOICE),
            )
        except Exception as exc:
            stdout.write(json.dumps({"error": str(exc) or type(exc).__name__}).encode() + b"\n")
        else:
            if request.get("measure"):  # the lengths alone, as VoiceProcess.render gets them
                played, quiet = _speech(pcm, engine.sample_rate)
                answer = {"played": len(played), "quiet": quiet}
                stdout.write(json.dumps(answer).encode() + b"\n")
            else:
                stdout.write(json.dumps({"frames": len(pcm) // 2}).encode() + b"\n")
                stdout.write(pcm)
        stdout.flush()
    return 0


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
                [sys.executable, "-m", "backtimer.sound.voice", "--serve"],
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
            request = json.dumps({"text": text, "rate": self.rate, "voice": self.voice})
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(request.encode() + b"\n")
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
                    request = {"text": text, "rate": self.rate, "voice": self.voice}
                    lines.append(json.dumps({**request, "measure": True}).encode() + b"\n")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--serve"]:
        return serve(sys.stdin.buffer, sys.stdout.buffer)
    if args == ["--info"]:
        try:
            engine = Espeak()
        except Exception as exc:
            print(f"no voice: {exc}", file=sys.stderr)
            return 1
        print(f"espeak-ng {engine.version}, {engine.sample_rate} Hz")
        return 0
    print(
        "usage: python -m backtimer.sound.voice --serve | --info\n"
        "The voice helper backtimer starts by itself (see the module's docstring).",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    raise SystemExit(main())
