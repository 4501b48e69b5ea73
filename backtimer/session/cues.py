"""The cue layer: turns the engine's events into a bell and spoken words.

:class:`Cues` is a runner listener. What it says comes only from the events (a step's ``say``
from the plan, a countdown's number from the engine): it never invents timing words.

One batch of events happens at one moment, and a new announcement cuts the previous one
off, so a batch is spoken as one announcement: what is still current at the end of it. When
a late tick delivers several steps at once, only the last step's ``say`` is spoken, and the
countdown of a step that already ended in the same batch is dropped. A batch rings the bell
at most once. A pain stop silences everything at once and says nothing.

Players: :class:`SpeechPlayer` (a local speech command, see :mod:`backtimer.sound.speech`),
:class:`RecordingPlayer` for tests, and :func:`default_player` to combine speech and a bell.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from backtimer.core.durations import spoken
from backtimer.core.engine import (
    Countdown,
    EndedEarly,
    Event,
    Extended,
    Finished,
    Halfway,
    PainStopped,
    Paused,
    Resumed,
    Session,
    StepEnded,
    StepStarted,
)
from backtimer.sound.bell import terminal_bell
from backtimer.sound.player import STOPPED_TEXT, SoundStatus, open_sound
from backtimer.sound.speech import SpeechPlayer, find_command

__all__ = [
    "CuePlayer",
    "Cues",
    "PlayerGroup",
    "RecordingPlayer",
    "SpeechPlayer",
    "announcement",
    "default_player",
    "find_command",
    "is_stale",
    "terminal_bell",
]

FINISHED_TEXT = "Session complete. Well done."
ENDED_TEXT = "Session ended."
PAUSED_TEXT = "Paused."
SLEPT_TEXT = "Paused while the computer slept."
RESUMED_TEXT = "Resuming."
HALFWAY_TEXT = "Halfway."


class CuePlayer(Protocol):
    def bell(self) -> None: ...

    def say(self, text: str) -> None:
        """Start speaking in the background; cuts off an announcement still speaking."""
        ...

    def silence(self) -> None:
        """Stop any speech at once."""
        ...

    def close(self) -> None: ...


class RecordingPlayer:
    """A player that records its calls, for tests: ("bell",), ("say", text), ("silence",)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []
        self.closed = False

    def bell(self) -> None:
        self.calls.append(("bell",))

    def say(self, text: str) -> None:
        self.calls.append(("say", text))

    def silence(self) -> None:
        self.calls.append(("silence",))

    def close(self) -> None:
        self.closed = True

    @property
    def said(self) -> list[str]:
        """Only the texts, in order."""
        return [call[1] for call in self.calls if call[0] == "say"]


# ------------------------------------------------------------------------ words


def extended_text(delta: float) -> str:
    """5 -> "5 more seconds.", -5 -> "5 seconds less."; rounded to whole seconds."""
    amount = max(1, round(abs(delta)))
    if delta > 0:
        if amount < 60:
            return f"{amount} more second{'s' if amount != 1 else ''}."
        return f"{spoken(amount)} more."
    return f"{spoken(amount)} less."


def announcement(event: Event) -> str | None:
    """What one event says on its own (None: nothing). Used by plain mode's lines too."""
    match event:
        case StepStarted():
            return event.say
        case Countdown():
            return str(event.number)
        case Halfway():
            return HALFWAY_TEXT
        case Paused():
            return SLEPT_TEXT if event.reason == "sleep" else PAUSED_TEXT
        case Resumed():
            return RESUMED_TEXT
        case Extended():
            return extended_text(event.delta)
        case Finished():
            return FINISHED_TEXT
        case EndedEarly():
            return ENDED_TEXT
    return None


_RINGS = (StepStarted, Countdown, Finished)  # phase changes and the last seconds

#: The app's tone (backtimer.sound.tones.SOUNDS) for the step that starts.
PHASE_SOUNDS = {
    "hold": "go",
    "rep": "go",
    "rest": "release",
    "set_rest": "set_done",
    "switch_sides": "switch",
    "transition": "release",
    "get_ready": "release",
}


def sound_for(event: Event, session: Session | None = None) -> str | None:
    """The tone an event rings (None: none; the very first get-ready needs no release)."""
    match event:
        case StepStarted():
            if event.step.index == 0 and event.step.phase == "get_ready":
                return None
            return PHASE_SOUNDS.get(event.step.phase)
        case Countdown():
            return "tick"
        case Finished():
            return "session_done"
    return None


_TIMING = (Countdown, Halfway)


def is_stale(event: Event, session: Session | None) -> bool:
    """A countdown number whose second is long gone (a hold was just shortened, say).

    Said late it would mislead: "3" with one second left. Judged against the session's
    latest tick; a tick that is merely late (less than a second) still counts.
    """
    if not isinstance(event, Countdown) or session is None or session.last_tick is None:
        return False
    if session.over or session.index != event.step.index:
        return False
    remaining = session.remaining(session.last_tick)
    return remaining is not None and event.number > remaining + 1.0


def current_cues(events: Sequence[Event], session: Session | None = None) -> list[Event]:
    """The events of one batch that are still worth announcing, in order.

    - everything before a pain stop, and the pain stop itself, is dropped (pain is silence);
    - a Finished or EndedEarly drops everything before it;
    - of several StepStarted only the last is kept;
    - a Countdown or Halfway is kept only if its step did not end later in the batch and it
      is the batch's last announcement (a later one would cut it off anyway); a countdown
      number already well past (see :func:`is_stale`) is dropped.
    """
    events = list(events)
    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], PainStopped):
            events = events[i + 1 :]
            break
    kept: list[Event] = []
    for i, event in enumerate(events):
        if isinstance(event, Finished | EndedEarly):
            kept = [event]
        elif isinstance(event, _TIMING):
            index = event.step.index
            ended = any(
                isinstance(later, StepEnded) and later.step.index == index
                for later in events[i + 1 :]
            )
            if not ended and not is_stale(event, session):
                kept.append(event)
        elif announcement(event) is not None:
            kept.append(event)
    starts = [i for i, e in enumerate(kept) if isinstance(e, StepStarted)]
    if len(starts) > 1:
        kept = [e for i, e in enumerate(kept) if not isinstance(e, StepStarted) or i == starts[-1]]
    if starts:
        # Timing cues before the step that is now current belong to an earlier step.
        first = next(i for i, e in enumerate(kept) if isinstance(e, StepStarted))
        kept = [e for i, e in enumerate(kept) if i > first or not isinstance(e, _TIMING)]
    last = len(kept) - 1
    return [e for i, e in enumerate(kept) if i == last or not isinstance(e, _TIMING)]


class Cues:
    """A runner listener that rings and speaks. ``bell``/``voice`` False turn either off."""

    def __init__(self, player: CuePlayer, *, bell: bool = True, voice: bool = True) -> None:
        self.player = player
        self.bell = bell
        self.voice = voice

    def on_events(self, events: Sequence[Event], session: Session | None = None) -> None:
        if any(isinstance(e, PainStopped) for e in events):
            # Heard by someone who cannot see: silence first, then the stop sound and
            # "Stopped" (a player with the app's tones plays the word right after the sound).
            self.player.silence()
            self._ring("stop")
            if self.voice:
                self.player.say(STOPPED_TEXT)
        elif any(isinstance(e, Paused) for e in events):
            hush = getattr(self.player, "stop_sounds", None)  # the app's own output
            if hush is not None:
                hush()  # everything stops at once; "Paused." follows
        cues = current_cues(events, session)
        if not cues:
            return
        rings = [e for e in cues if isinstance(e, _RINGS)]
        if rings:
            self._ring(sound_for(rings[-1], session), rings[-1].at)
        if self.voice:
            text = " ".join(t for t in (announcement(e) for e in cues) if t)
            # A countdown number or "halfway" never cuts off a step's announcement still
            # being spoken (a 5 s hold's "Rep 7 of 15. Hold 5 seconds." outlasts 2 s); the
            # bell still marks the second.
            minor = all(isinstance(e, Countdown | Halfway) for e in cues)
            if text and not (minor and getattr(self.player, "speaking", False)):
                self._say(text, cues[-1].at)

    def _ring(self, name: str | None, at: float | None = None) -> None:
        """A named tone where the player has the app's tones (it knows whether tones and
        bell are on), else the bell (when ``bell`` is on)."""
        play = getattr(self.player, "sound", None)
        if play is None:
            if self.bell:
                self.player.bell()
        elif name is not None:
            play(name, at)

    def _say(self, text: str, at: float) -> None:
        if hasattr(self.player, "sound"):  # a player on the session's clock
            self.player.say(text, at)  # type: ignore[call-arg]
        else:
            self.player.say(text)

    def close(self) -> None:
        self.player.close()


# ------------------------------------------------------------------------ players


class PlayerGroup:
    """Speech (optional) plus a bell function (optional), as one CuePlayer."""

    def __init__(
        self, speech: SpeechPlayer | None = None, bell_fn: Callable[[], None] | None = None
    ) -> None:
        self.speech = speech
        self.bell_fn = bell_fn
        self.status: SoundStatus | None = None

    def bell(self) -> None:
        if self.bell_fn is not None:
            with contextlib.suppress(Exception):  # a bell must never break a session
                self.bell_fn()

    def say(self, text: str) -> None:
        if self.speech is not None:
            self.speech.say(text)

    @property
    def speaking(self) -> bool:
        """Whether an announcement is still being spoken."""
        return self.speech is not None and self.speech.speaking

    def silence(self) -> None:
        if self.speech is not None:
            self.speech.silence()

    def close(self) -> None:
        if self.speech is not None:
            self.speech.close()

    def wait_idle(self, timeout: float) -> bool:
        """Let the last announcement finish (up to ``timeout`` s); see SpeechPlayer."""
        return True if self.speech is None else self.speech.wait_idle(timeout)


def default_player(
    bell_fn: Callable[[], None] | None = None,
    *,
    voice: bool = True,
    bell: bool = True,
    command: str | Sequence[str] | None = None,
    tones: bool = True,
    volume: int = 80,
    rate: int | None = None,
) -> Any:
    """The real player: the app's tones and voice on a sound device where one opens (see
    backtimer.sound.player.open_sound), else speech through a local command (if ``voice``
    and one exists) and a bell calling ``bell_fn`` (if ``bell``; None rings the terminal
    through stdout). Either has a ``status`` saying what it found.

    ``BACKTIMER_AUDIO=none`` skips the sound device (the tests do), ``=null`` plays to
    miniaudio's null device (real timing, no sound).
    """
    mode = os.environ.get("BACKTIMER_AUDIO", "").strip().lower()
    if mode != "none":
        return open_sound(
            voice=voice,
            tones_on=tones,
            bell=bell,
            volume=volume,
            command=command,
            rate=rate,
            null_device=mode == "null",
            bell_fn=bell_fn,
        )
    speech = None
    status = SoundStatus(voice_on=voice, tones_on=tones, bell_on=bell)
    if voice:
        candidate = SpeechPlayer(command)
        speech = candidate if candidate.available else None
        if speech is not None and speech.argv is not None:
            status.engine = " ".join(speech.argv)
        else:
            status.notes.append("no speech command found")
    ring = (bell_fn if bell_fn is not None else terminal_bell()) if bell else None
    group = PlayerGroup(speech, ring)
    group.status = status
    return group
