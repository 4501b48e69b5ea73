"""The app's own sounds, made here: no sound files.

:data:`SOUNDS` is the one table of them: each :class:`Tone` has a name (the cue timeline
names sounds by it), its pitches (one note, or a short run of notes played one after the
other: rising for "go", falling for "release"...), its length, an envelope and a loudness.
:func:`render` turns one into 16-bit mono PCM at a sample rate (stdlib ``array`` and
``math`` only).

The sounds are told apart by contour as much as by pitch, so that they stay distinct on a
small speaker or a phone: a tick is one short high click, go rises, release falls, switch
alternates, a tempo part is a soft mid blip, set done and session done climb in three and
four notes, and the pain stop is a low, falling, hard-edged pair, short (70 ms) so that the word
"Stopped" follows it within 100 ms of the key.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from typing import Literal

from backtimer.sound.rate import SAMPLE_RATE as SAMPLE_RATE  # here too, as it always was

Envelope = Literal["click", "pluck", "soft", "bell", "hard"]

#: attack and release, in seconds, of each envelope (the rest of a note is held; "pluck"
#: and "bell" decay exponentially instead of holding).
_ATTACK = {"click": 0.002, "pluck": 0.004, "soft": 0.02, "bell": 0.003, "hard": 0.001}
_RELEASE = {"click": 0.01, "pluck": 0.02, "soft": 0.03, "bell": 0.05, "hard": 0.012}
_DECAY = {"pluck": 6.0, "bell": 3.0}  # 1/s: how fast a plucked or struck note fades


@dataclass(frozen=True)
class Tone:
    """One of the app's sounds. ``pitches``: notes in Hz, played in turn, each for
    ``seconds / len(pitches)``; ``loudness``: 0 to 1 before the volume setting."""

    name: str
    pitches: tuple[float, ...]
    seconds: float
    envelope: Envelope
    loudness: float
    meaning: str

    @property
    def note_seconds(self) -> float:
        return self.seconds / len(self.pitches)


def _table(*tones: Tone) -> dict[str, Tone]:
    return {tone.name: tone for tone in tones}


#: Every sound the app makes, by name. The cue timeline refers to these names.
SOUNDS: dict[str, Tone] = _table(
    Tone("tick", (1760.0,), 0.05, "click", 0.45, "a countdown second"),
    Tone("go", (660.0, 990.0), 0.24, "pluck", 0.8, "a hold or a rep starts"),
    Tone("release", (880.0, 587.33), 0.3, "soft", 0.65, "release: a rest starts"),
    Tone("switch", (784.0, 523.25, 784.0), 0.36, "pluck", 0.7, "switch sides"),
    Tone("tempo", (698.46,), 0.09, "soft", 0.5, "each part of a paced rep"),
    Tone("set_done", (523.25, 659.26, 783.99), 0.42, "bell", 0.7, "a set is done"),
    Tone(
        "session_done",
        (523.25, 659.26, 783.99, 1046.5),
        0.9,
        "bell",
        0.75,
        "the session is done",
    ),
    # Short, so that "Stopped" follows within 100 ms of the key (issue 11).
    Tone("stop", (392.0, 261.63), 0.07, "hard", 0.95, "pain stop"),
)


def _envelope(kind: Envelope, t: float, length: float) -> float:
    attack, release = _ATTACK[kind], _RELEASE[kind]
    level = 1.0
    if t < attack:
        level = t / attack
    if kind in _DECAY:
        level *= math.exp(-_DECAY[kind] * t)
    left = length - t
    if left < release:
        level *= max(0.0, left / release)
    return level


def render(tone: Tone | str, *, sample_rate: int = SAMPLE_RATE, volume: float = 1.0) -> array[int]:
    """The tone as signed 16-bit mono samples (``array('h')``), scaled by ``volume`` (0-1).

    A few quiet harmonics give each note some body on small speakers; every note starts and
    ends at zero (no clicks between notes).
    """
    if isinstance(tone, str):
        tone = SOUNDS[tone]
    volume = min(1.0, max(0.0, volume))
    peak = 32767 * tone.loudness * volume / 1.35  # 1.35: the harmonics' sum at most
    note = max(1, round(tone.note_seconds * sample_rate))
    out = array("h")
    step = 1.0 / sample_rate
    for pitch in tone.pitches:
        w = 2.0 * math.pi * pitch
        length = note * step
        out.extend(
            round(
                peak
                * _envelope(tone.envelope, i * step, length)
                * (
                    math.sin(w * i * step)
                    + 0.25 * math.sin(2 * w * i * step)
                    + 0.1 * math.sin(3 * w * i * step)
                )
            )
            for i in range(note)
        )
    return out


def seconds(name: str) -> float:
    """How long a named sound lasts."""
    return SOUNDS[name].seconds
