"""A session as an audio file: the cue layer's sounds and speech, placed on the session's
timeline by the same :class:`~backtimer.sound.mixer.Mixer` that feeds a sound device.

:class:`OfflinePlayer` is a cue player whose clock is the timeline itself: every tone and
sentence starts on the sample of its event's time (``at``, seconds on the session clock
whose zero is the session's start). The driver (``backtimer audio``) runs the real engine
and cue layer on a simulated clock, calls :meth:`OfflinePlayer.advance` as time goes on,
and :class:`WavWriter` streams the samples into a 16-bit mono WAV file (stdlib ``wave``).
"""

from __future__ import annotations

import sys
import wave
from array import array
from pathlib import Path
from types import TracebackType

from backtimer.sound import tones
from backtimer.sound.mixer import Mixer, scaled
from backtimer.sound.voice import CommandRenderer, VoiceProcess

STOPPED_TEXT = "Stopped."


class WavWriter:
    """Samples into a WAV file, as they come (a long session never sits in memory)."""

    def __init__(self, path: Path, sample_rate: int = tones.SAMPLE_RATE) -> None:
        self.path = path
        self.sample_rate = sample_rate
        self.frames = 0
        self._wav = wave.open(str(path), "wb")  # noqa: SIM115 - closed in close()
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(sample_rate)

    def write(self, samples: array[int]) -> None:
        if sys.byteorder == "big":  # pragma: no cover - WAV is little-endian
            samples = array("h", samples)
            samples.byteswap()
        self._wav.writeframesraw(samples.tobytes())
        self.frames += len(samples)

    def close(self) -> None:
        self._wav.close()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class OfflinePlayer:
    """A cue player that places everything on a mixer by its time (see the module).

    ``start`` is the session clock's time of sample 0. Speech comes from ``renderer``
    (None: tones only). ``now`` is the simulated clock, moved by :meth:`advance`.
    """

    def __init__(
        self,
        mixer: Mixer,
        renderer: VoiceProcess | CommandRenderer | None,
        *,
        start: float = 0.0,
        voice: bool = True,
        tones_on: bool = True,
        volume: int = 100,
    ) -> None:
        self.mixer = mixer
        self.renderer = renderer
        self.start = start
        self.now = start
        self.voice = voice and renderer is not None
        self.tones_on = tones_on
        self.volume = max(0, min(100, volume)) / 100
        self.unrendered: list[str] = []  # texts the renderer failed on
        self._tones: dict[str, array[int]] = {}
        self._tone = (0, 0)  # the latest tone's first and last sample

    def sample(self, when: float) -> int:
        return round((when - self.start) * self.mixer.sample_rate)

    def advance(self, now: float) -> None:
        self.now = now

    # ------------------------------------------------------------------ CuePlayer

    def bell(self) -> None:
        """No terminal in a file: the tones stand for the bell."""

    def sound(self, name: str, at: float | None = None) -> None:
        if not self.tones_on:
            return
        samples = self._tones.get(name)
        if samples is None:
            samples = tones.render(name, sample_rate=self.mixer.sample_rate, volume=self.volume)
            self._tones[name] = samples
        start = self.sample(self.now if at is None else at)
        scheduled = self.mixer.schedule(name, samples, start)
        self._tone = (scheduled.start, scheduled.end)

    def say(self, text: str, at: float | None = None, *, follow: bool = False) -> None:
        if not self.voice or self.renderer is None or not text.strip():
            return
        samples = self.renderer.render(text)
        if samples is None:
            self.unrendered.append(text)
            return
        start = self.sample(self.now if at is None else at)
        if follow:  # a cue of the timeline: never cuts what is being said, follows it
            start = max(start, self.mixer.channel_until("speech"))
        else:
            self.mixer.cut("speech", start)  # what was being said ends when this is due
        # Speech that comes with a tone (a pain stop's sound, say) follows the tone.
        if self._tone[0] <= start < self._tone[1]:
            start = self._tone[1]
        self.mixer.schedule(text, scaled(samples, self.volume), start, channel="speech")

    def say_next(self, text: str, at: float | None = None) -> None:
        """A timeline cue: said from ``at``, after anything still being said."""
        self.say(text, at, follow=True)

    def silence(self) -> None:
        self.mixer.stop(self.sample(self.now))

    def pain_stop(self) -> None:
        self.silence()
        self.sound("stop")
        self.say(STOPPED_TEXT)

    @property
    def speaking(self) -> bool:
        """Whether speech is still playing at the simulated ``now``."""
        return self.mixer.playing_at(self.sample(self.now), "speech")

    def close(self) -> None:
        pass
