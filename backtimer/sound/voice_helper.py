"""The voice's helper process: libespeak-ng (from the espeakng-loader wheel) through its C
API, run as ``python -m backtimer.sound.voice_helper --serve`` by
:class:`backtimer.sound.voice.VoiceProcess` (see :mod:`backtimer.sound.voice` for why it is a
process of its own, and for the protocol). This module imports little (no threading, no
subprocess): the helper forks for every text (see :data:`FRESH`), and what a process has
imported makes each fork slower. The rules that turn samples into what is played (the quiet
after the words trimmed) are here too, so that the helper and the player apply the same.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import time
from array import array
from pathlib import Path

from backtimer.sound.rate import SAMPLE_RATE

TYPE_CHECKING = False  # typing is not imported at run time (see the module's docstring)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import IO, Any

DEFAULT_RATE = 175  # words per minute: espeak-ng's own default
DEFAULT_VOICE = "en"
MIN_RATE, MAX_RATE = 80, 450  # what espeak-ng accepts
SILENCE = 300  # 16-bit sample amplitude below which the audio is quiet
TAIL = 0.06  # seconds of quiet kept after the last audible sample: the decay is not clipped
BUFFER_MS = 5000  # espeak-ng's output buffer: the samples of a sentence at once
#: Seconds to wait before each new try of a fork refused for a moment (EAGAIN, ENOMEM): a
#: text rendered in the helper itself changes the state every later fork starts from (see
#: :meth:`Espeak.synthesize`), so it is the last resort. 30 ms in all, for that text only.
FORK_RETRIES = (0.002, 0.008, 0.02)
#: Whether the helper renders every text from the same state (in a fork of itself, see
#: :meth:`Espeak.synthesize`): then a text's samples do not depend on what a helper rendered
#: before, and texts may be measured in several helpers at once. Not where there is no fork.
FRESH = hasattr(os, "fork")


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


def audible_end(samples: Sequence[int]) -> int:
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
    keep = _played(len(samples), audible_end(samples), sample_rate)
    return samples if keep == len(samples) else samples[:keep]


def _played(count: int, end: int, sample_rate: int = SAMPLE_RATE) -> int:
    """How many of ``count`` samples are played (see :func:`trim_quiet`), ``end`` being
    their :func:`audible_end`."""
    return min(count, end + round(TAIL * sample_rate)) if end else 0


class _Tally:
    """Samples handed over piece by piece, counted as :func:`trim_quiet` would find them
    whole, none kept: how many, and the :func:`audible_end` of them all."""

    __slots__ = ("count", "end")

    def __init__(self) -> None:
        self.count = self.end = 0

    def add(self, piece: Sequence[int]) -> None:
        end = audible_end(piece)
        if end:
            self.end = self.count + end
        self.count += len(piece)


def _speech(data: bytes, source_rate: int) -> tuple[array[int], float]:
    """An engine's 16-bit samples at ``source_rate`` as the player plays them: at
    :data:`~backtimer.sound.tones.SAMPLE_RATE`, the quiet after the words trimmed; and the
    seconds of quiet trimmed off."""
    whole = resample(_samples(data), source_rate)
    played = trim_quiet(whole)
    return played, (len(whole) - len(played)) / SAMPLE_RATE


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
        # BUFFER_MS: a sentence comes to the callback in one piece, not in 60 ms ones (the
        # same samples; 10 % less work for a text rendered in a fork).
        self.sample_rate = lib.espeak_Initialize(2, BUFFER_MS, str(data.parent).encode(), 0)
        if self.sample_rate <= 0:
            raise OSError("libespeak-ng did not start (its voice data was not found)")
        self.version = (lib.espeak_Info(None) or b"").decode("ascii", "replace")
        # espeak-ng seeds its noise (breathy voices) with the clock: one seed for every
        # helper, so that a text sounds the same in each.
        if hasattr(lib, "espeak_ng_SetRandSeed"):
            lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
            lib.espeak_ng_SetRandSeed(1)
        #: Where :meth:`_run` hands the samples, a piece at a time: 16-bit samples in the
        #: machine's byte order, a view of espeak-ng's buffer (good until it returns).
        self._sink: Callable[[memoryview], object] = _ignore
        # A view made by CPython's PyMemoryView_FromMemory: no ctypes array type made for
        # each count (a class of its own, made in every fork: ~10 % of its page faults).
        api = getattr(ctypes, "pythonapi", None)
        from_memory = getattr(api, "PyMemoryView_FromMemory", None)
        if from_memory is not None:
            from_memory.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_int]
            from_memory.restype = ctypes.py_object

        def collect(wav: int | None, count: int, events: Any) -> int:
            if wav and count > 0:
                if from_memory is not None:
                    piece = from_memory(wav, 2 * count, 0x100)  # 0x100: PyBUF_READ
                else:
                    piece = memoryview((ctypes.c_short * count).from_address(wav)).cast("B")
                self._sink(piece.cast("h"))
            return 0

        callback_type = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p
        )
        self._callback = callback_type(collect)  # kept: C holds a pointer to it
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None
        self._rate: int | None = None

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
                return self._in_fork(lambda: self._synth(text))
            except _NoFork:  # still no process to spare: said all the same, as it always
                pass  # was (this helper's later texts may then differ a little, see above)
        return self._synth(text)

    def measure(
        self, text: str, *, rate: int = DEFAULT_RATE, voice: str = DEFAULT_VOICE
    ) -> tuple[int, float]:
        """What :func:`_speech` gives of :meth:`synthesize`'s samples, as lengths: how many
        are played, and the seconds of quiet after them. Rendered as :meth:`synthesize`
        renders (in a fork, see there), but only two numbers come back from the fork: the
        samples are counted where espeak-ng writes them, none copied."""
        if self.sample_rate != SAMPLE_RATE or sys.byteorder != "little":
            samples, quiet = _speech(
                self.synthesize(text, rate=rate, voice=voice), self.sample_rate
            )
            return len(samples), quiet  # resampled or swapped: from the samples, as played
        self._set(rate, voice)
        counted = None
        if FRESH:
            with contextlib.suppress(_NoFork):  # else as in synthesize
                counted = self._in_fork(lambda: b"%d %d" % self._tally(text))
        count, end = map(int, counted.split()) if counted is not None else self._tally(text)
        played = _played(count, end)
        return played, (count - played) / SAMPLE_RATE

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

    def _in_fork(self, work: Callable[[], bytes]) -> bytes:
        """What ``work`` gives, done in a fork of this process (which it leaves as it was)."""
        try:
            read, write = os.pipe()
        except OSError as exc:
            raise _NoFork from exc
        for pause in (*FORK_RETRIES, None):
            try:
                pid = os.fork()
                break
            except OSError as exc:
                if pause is None or exc.errno not in (errno.EAGAIN, errno.ENOMEM):
                    os.close(read)
                    os.close(write)
                    raise _NoFork from exc
                time.sleep(pause)
        if pid == 0:  # the child: render, hand the samples over, and go
            status = 1
            try:
                os.close(read)
                data = memoryview(work())
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
        """``text`` rendered here: its samples (see :meth:`synthesize`)."""
        chunks: list[bytes] = []
        self._sink = lambda piece: chunks.append(piece.tobytes())
        try:
            self._run(text)
        finally:
            self._sink = _ignore
        return b"".join(chunks)

    def _tally(self, text: str) -> tuple[int, int]:
        """``text`` rendered here, its samples counted, none kept: how many, and their
        :func:`audible_end`."""
        tally = _Tally()
        self._sink = tally.add
        try:
            self._run(text)
        finally:
            self._sink = _ignore
        return tally.count, tally.end

    def _run(self, text: str) -> None:
        """Render ``text`` here, its samples handed to :attr:`_sink`."""
        data = text.encode("utf-8", "replace")
        # flags 1 = espeakCHARS_UTF8: plain text (no SSML: "<" is spoken as written),
        # no pause added after the last word, so the length is the speech's own.
        status = self.lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 1, None, None)
        if status != 0:
            raise OSError(f"espeak-ng could not render the text (error {status})")


def _ignore(piece: memoryview) -> None:
    """Samples nobody asked for."""


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
            text = str(request["text"])
            rate = int(request.get("rate") or DEFAULT_RATE)
            voice = str(request.get("voice") or DEFAULT_VOICE)
            if request.get("measure"):  # the lengths alone, as VoiceProcess.render gets them
                played, quiet = engine.measure(text, rate=rate, voice=voice)
                answer = json.dumps({"played": played, "quiet": quiet}).encode() + b"\n"
            else:
                pcm = engine.synthesize(text, rate=rate, voice=voice)
                answer = json.dumps({"frames": len(pcm) // 2}).encode() + b"\n" + pcm
        except Exception as exc:
            stdout.write(json.dumps({"error": str(exc) or type(exc).__name__}).encode() + b"\n")
        else:
            stdout.write(answer)
        stdout.flush()
    return 0


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
        "usage: python -m backtimer.sound.voice_helper --serve | --info\n"
        "The voice helper backtimer starts by itself (see backtimer.sound.voice).",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    raise SystemExit(main())
