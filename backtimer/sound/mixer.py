"""One stream of samples: scheduled sounds (tones and rendered speech) mixed together.

A :class:`Mixer` counts samples: ``position`` is the first sample of the next
:meth:`Mixer.render`. A sound is scheduled to start at a sample (or "as soon as possible");
``render(n)`` returns the next ``n`` samples with every sound that falls in them, each one
starting exactly on its sample. The same mixer feeds a sound device (a buffer at a time,
see :mod:`backtimer.sound.output`) and writes a session to a WAV file
(:mod:`backtimer.sound.render`), so tests check the one code path both use, with no device.

:meth:`Mixer.stop` drops every sound at once: the next buffer is silent. Speech is one
"channel": a new announcement cuts off the one still playing (:meth:`Mixer.cut`).
Thread-safe: the device calls ``render`` from its own thread.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from backtimer.sound.tones import SAMPLE_RATE

_MAX, _MIN = 32767, -32768


@dataclass
class Scheduled:
    """A sound on the mixer: its samples, the sample it starts at, how far it has played."""

    name: str
    samples: array[int]
    start: int
    channel: str = "tone"  # "speech": cut off by the next announcement
    played: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.samples)


@dataclass(frozen=True)
class Started:
    """A record of when a sound really started: its name, channel and first sample."""

    name: str
    channel: str
    sample: int


@dataclass
class Mixer:
    sample_rate: int = SAMPLE_RATE
    position: int = 0
    log: list[Started] = field(default_factory=list)
    _sounds: list[Scheduled] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ------------------------------------------------------------------ scheduling

    def schedule(
        self,
        name: str,
        samples: array[int],
        at: int | None = None,
        *,
        channel: str = "tone",
    ) -> Scheduled:
        """Play ``samples`` from sample ``at`` (None, or a sample already rendered: from the
        next buffer on, with nothing of it lost)."""
        with self._lock:
            start = self.position if at is None else max(at, self.position)
            sound = Scheduled(name, samples, start, channel)
            self._sounds.append(sound)
            return sound

    def at_seconds(self, seconds: float) -> int:
        """The sample at ``seconds`` from the stream's start."""
        return round(seconds * self.sample_rate)

    def cut(self, channel: str = "speech", at: int | None = None) -> None:
        """End every sound of a channel at sample ``at`` (None: now): what would play from
        there on is dropped, what played before it stays."""
        with self._lock:
            self._sounds = self._truncated(lambda s: s.channel == channel, at)

    def stop(self, at: int | None = None) -> None:
        """End every sound at sample ``at`` (None: now, so the next buffer is silent)."""
        with self._lock:
            self._sounds = self._truncated(lambda s: True, at)

    def _truncated(self, match: Callable[[Scheduled], bool], at: int | None) -> list[Scheduled]:
        at = self.position if at is None else max(at, self.position)
        kept = []
        for sound in self._sounds:
            if match(sound) and sound.end > at:
                if sound.start >= at or at <= self.position:
                    continue  # nothing of it is left to play
                sound.samples = sound.samples[: at - sound.start]
            kept.append(sound)
        return kept

    def busy(self, channel: str | None = None) -> bool:
        """Whether a sound (of ``channel``, or any) is still playing or waiting."""
        with self._lock:
            return any(channel is None or s.channel == channel for s in self._sounds)

    def playing_at(self, sample: int, channel: str | None = None) -> bool:
        """Whether a sound (of ``channel``, or any) is scheduled to sound at ``sample``."""
        with self._lock:
            return any(
                (channel is None or s.channel == channel) and s.start <= sample < s.end
                for s in self._sounds
            )

    def channel_until(self, channel: str) -> int:
        """The sample at which the last sound of ``channel`` ends (``position`` if none)."""
        with self._lock:
            ends = [s.end for s in self._sounds if s.channel == channel]
            return max(ends, default=self.position)

    def pending_until(self) -> int:
        """The sample at which the last scheduled sound ends (``position`` if none)."""
        with self._lock:
            return max((s.end for s in self._sounds), default=self.position)

    # ------------------------------------------------------------------ rendering

    def render(self, frames: int) -> array[int]:
        """The next ``frames`` samples, every sound mixed in at its own sample."""
        out = array("h", bytes(2 * frames))
        with self._lock:
            begin = self.position
            end = begin + frames
            keep = []
            filled: list[tuple[int, int]] = []  # ranges of ``out`` already holding a sound
            for sound in self._sounds:
                if sound.start >= end:
                    keep.append(sound)
                    continue
                first = max(sound.start, begin)
                offset = first - sound.start
                if sound.played == 0:
                    self.log.append(Started(sound.name, sound.channel, first))
                last = min(sound.end, end)
                if last > first:
                    _mix_into(out, first - begin, sound.samples, offset, last - first, filled)
                sound.played = last - sound.start
                if sound.end > end:
                    keep.append(sound)
            self._sounds = keep
            self.position = end
        return out


def _mix_into(
    out: array[int],
    at: int,
    samples: array[int],
    offset: int,
    count: int,
    filled: list[tuple[int, int]],
) -> None:
    """Add ``samples[offset:offset+count]`` into ``out`` from ``at``, clipping to 16 bits.

    Where nothing was mixed yet the samples are copied (fast); only overlaps are added
    sample by sample.
    """
    span = (at, at + count)
    if not any(a < span[1] and span[0] < b for a, b in filled):
        out[at : at + count] = samples[offset : offset + count]
    else:
        for i in range(count):
            value = out[at + i] + samples[offset + i]
            out[at + i] = _MAX if value > _MAX else _MIN if value < _MIN else value
    filled.append(span)


def scaled(samples: array[int], volume: float) -> array[int]:
    """``samples`` at ``volume`` (0-1)."""
    volume = min(1.0, max(0.0, volume))
    if volume >= 1.0:
        return samples
    return array("h", (round(s * volume) for s in samples))
