"""What a session sounds like: the app's tones and its voice on one output, or the fallback.

:func:`open_sound` looks at what this machine has and returns a :class:`SoundPlayer` whose
``status`` says what it found, in words a person can act on:

- a sound device (miniaudio) and a speech renderer (the wheel's libespeak-ng, or a system
  espeak-ng/espeak): tones and speech on one :class:`~backtimer.sound.mixer.Mixer`, each
  sound on its deadline, a stop heard within one buffer;
- a device but no renderer (``say``, ``spd-say`` or a custom ``speech_command``): tones on
  the device, speech through the command;
- no device: speech through a speech command and sounds as the terminal bell, as before.

The player is the cue layer's player (``bell``, ``say``, ``silence``, ``close``) plus
``sound(name, at)`` for a named tone and an optional ``at`` (the session clock's time of the
deadline) on ``say``.

Texts are rendered one after another, and a render may be slow or hang (it is abandoned after
a bound, see :mod:`backtimer.sound.voice`): a text with a deadline that could only start more
than :data:`~backtimer.core.timeline.LATE` seconds after it is then not said at all (not
rendered when it is that late already, not played when its render made it that late), the
rule the cue layer keeps for a cue it finds due that late: "3, 2, 1" heard in the hold, or
"Hold." in the rest after it, would mislead. What follows what is being said (``say_next``)
is judged by when it could start, after it. A text without a deadline (the pain stop's
"Stopped.", what is said on a key press) is always said. :meth:`SoundPlayer.take_dropped`
tells which texts were left out.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from backtimer.core.timeline import LATE
from backtimer.sound import tones
from backtimer.sound.bell import terminal_bell
from backtimer.sound.mixer import Mixer, scaled
from backtimer.sound.output import AudioOutput, open_output
from backtimer.sound.speech import STOPPED_TEXT, SpeechPlayer
from backtimer.sound.voice import CommandRenderer, VoiceProcess, find_renderer

#: Said often, rendered as the session starts so that they play at once (the pain stop's
#: word must be heard within 100 ms of the key).
PRERENDERED = (STOPPED_TEXT, "Paused.", "Resuming.", "1", "2", "3")


@dataclass
class SoundStatus:
    """What the session sounds through, for `backtimer sound`, the screens and plain mode."""

    engine: str | None = None  # what speaks ("espeak-ng 1.52.0", "spd-say"), None: nothing
    voice: str | None = None
    rate: int | None = None
    device: str | None = None  # the audio output, None: none (terminal bell only)
    voice_on: bool = True
    tones_on: bool = True
    bell_on: bool = True
    setup_ms: float | None = None  # opening the output, starting the voice, first renders
    notes: list[str] = field(default_factory=list)
    no_device: str | None = None  # why no sound device opened (None: one did, or none tried)

    @property
    def speech_ok(self) -> bool:
        return self.engine is not None

    @property
    def silent_voice(self) -> bool:
        """The voice is on, and nothing can speak: the session must say so at its start."""
        return self.voice_on and not self.speech_ok

    def warning(self) -> str | None:
        """One plain sentence for the start of a session, or None when all is well."""
        if not self.silent_voice:
            return None
        reason = f" ({self.notes[0]})" if self.notes else ""
        return (
            "No voice: nothing on this computer can speak the announcements"
            f"{reason}. Run 'backtimer sound' to check; watch the screen, or turn the voice "
            "off in the settings."
        )

    def fallback(self) -> str | None:
        """One sentence for a session's start when no device opened (the fallback)."""
        if self.no_device is None:
            return None
        speech = f"speech through {self.engine}" if self.engine and self.voice_on else ""
        bell = "the terminal bell for the tones" if self.bell_on else "no tones"
        joined = ", ".join(part for part in (speech, bell) if part)
        return f"No sound device ({self.no_device}): {joined}."

    def lines(self) -> list[str]:
        """A short report: engine, voice, rate, output and start-up delay."""
        if not self.voice_on:
            speech = "off"
        elif self.engine is None:
            speech = "none found"
        else:
            speech = self.engine
        out = [f"speech engine: {speech}"]
        if self.voice_on and self.engine is not None:
            out.append(f"voice: {self.voice or 'default'}")
            out.append(f"rate: {self.rate} words per minute" if self.rate else "rate: default")
        out.append(f"output: {self.device or 'none (speech command and terminal bell)'}")
        out.append(f"tones: {'on' if self.tones_on else 'off'}")
        out.append(f"terminal bell: {'on' if self.bell_on else 'off'}")
        if self.setup_ms is not None:
            out.append(f"set-up time: {self.setup_ms:.0f} ms (output, voice, first sounds)")
        out.extend(f"note: {note}" for note in self.notes)
        return out


def delay_line(delay: float | None) -> str:
    """The measured start-up delay of the speech, as ``backtimer sound`` and the settings
    screen's "Test sound" say it (None: a speech command, whose delay cannot be seen)."""
    if delay is None:
        return "start-up delay of the speech: not measurable with a speech command"
    return f"start-up delay of the speech: {delay * 1000:.0f} ms (cue to sound)"


Renderer = VoiceProcess | CommandRenderer


class SoundPlayer:
    """See the module's docstring. Thread-safe; never raises into a session."""

    def __init__(
        self,
        mixer: Mixer | None,
        *,
        output: AudioOutput | None = None,
        renderer: Renderer | None = None,
        speech: SpeechPlayer | None = None,
        bell_fn: Callable[[], None] | None = None,
        voice: bool = True,
        tones_on: bool = True,
        volume: int = 80,
        threaded: bool = True,
        status: SoundStatus | None = None,
    ) -> None:
        self.mixer = mixer
        self.output = output
        self.renderer = renderer if mixer is not None else None
        self.speech = speech
        self.bell_fn = bell_fn
        self.voice = voice
        self.tones_on = tones_on and mixer is not None
        self.volume = max(0, min(100, volume)) / 100
        self.status = status or SoundStatus()
        self._tones: dict[str, array[int]] = {}
        self._last_tone = (0, 0)  # the latest tone's first and last sample: speech follows it
        self._generation = 0
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[int, str, float | None, bool] | None] = queue.Queue()
        self._pending = 0
        # Texts asked since the last silence() and not yet placed (queued, or rendering):
        # while there are none, a ready text (see prerender) is placed at once.
        self._current = 0
        self._ready: dict[str, array[int]] = {}  # rendered ahead (prerender)
        self._idle = threading.Condition(self._lock)
        self._dropped: list[str] = []  # not said: too late (see take_dropped)
        self._worker: threading.Thread | None = None
        if threaded and self.renderer is not None:
            self._worker = threading.Thread(target=self._work, name="backtimer-voice", daemon=True)
            self._worker.start()

    # ------------------------------------------------------------------ CuePlayer

    def bell(self) -> None:
        """The terminal bell (when it is on); the tones are :meth:`sound`."""
        if self.bell_fn is not None:
            with contextlib.suppress(Exception):
                self.bell_fn()

    def sound(self, name: str, at: float | None = None) -> None:
        """Play one of the app's tones (by its name in :data:`tones.SOUNDS`) at the clock
        time ``at`` (None: now). Without the tones, the terminal bell rings instead."""
        if not self.tones_on or self.mixer is None:
            self.bell()
            return
        samples = self._tone(name)
        start = self._sample_at(at)
        scheduled = self.mixer.schedule(name, samples, start)
        with self._lock:
            self._last_tone = (scheduled.start, scheduled.end)

    def say(self, text: str, at: float | None = None) -> None:
        """Speak ``text`` (cutting off what is still being said), from clock time ``at``."""
        self._say(text, at, follow=False)

    def _say(
        self, text: str, at: float | None, *, follow: bool, words: float | None = None
    ) -> None:
        """``words``: the seconds of the words before (see :meth:`say_after_quiet`)."""
        if not self.voice or not text.strip():
            return
        if self.renderer is None:
            if self.speech is not None:
                if words is not None:
                    self.speech.say_after_quiet(text, words, at=at)
                elif follow:
                    self.speech.say_next(text, at=at)
                else:
                    self.speech.say(text)
            return
        with self._lock:
            generation = self._generation
            # A text rendered ahead ("Stopped.", "Paused.", the numbers) with nothing asked
            # before it still to place is placed now, from this thread: not after the render
            # the voice's thread is in, which may be stale (a pain stop) and slow (a helper
            # that is starting again waits up to START_TIMEOUT, see VoiceProcess.hurry).
            ready = self._ready.get(text) if self._current == 0 else None
            if ready is None:
                self._pending += 1
                self._current += 1
        if ready is not None:
            with contextlib.suppress(Exception):  # a voice must never break a session
                self._place(generation, text, ready, at, follow)
            return
        if self._worker is None:
            self._speak(generation, text, at, follow)
        else:
            self._queue.put((generation, text, at, follow))

    def say_next(self, text: str, at: float | None = None) -> None:
        """Speak ``text`` from clock time ``at`` without cutting off what is still being
        said: a cue timeline left room for both, so this only matters when one is late (see
        SpeechPlayer.say_next); then ``text`` follows what is being said."""
        self._say(text, at, follow=True)

    def say_after_quiet(self, text: str, at: float | None = None, words: float = 0.0) -> None:
        """As :meth:`say_next`, for a countdown number after a number whose words are over:
        a speech command's trailing quiet is not waited for beyond a moment (see
        SpeechPlayer.say_after_quiet). The voice's renders end with their words."""
        self._say(text, at, follow=True, words=words)

    def take_dropped(self) -> list[str]:
        """The texts left unsaid since the last call, because they could only have started
        more than LATE seconds after their deadline (see the module)."""
        with self._lock:
            dropped, self._dropped = self._dropped, []
        if self.speech is not None:
            dropped += self.speech.take_dropped()
        return dropped

    def silence(self) -> None:
        """Stop every sound at once: what waits to be said is dropped too, and a render
        under way that hangs is abandoned (see :meth:`VoiceProcess.hurry`), so that what is
        said next (the pain stop's word) is not kept waiting behind it."""
        with self._lock:
            self._generation += 1
            self._current = 0  # what was asked is dropped
            self._last_tone = (0, 0)
        if self.renderer is not None:
            with contextlib.suppress(Exception):
                self.renderer.hurry()
        if self.mixer is not None:
            self.mixer.stop()
        if self.speech is not None:
            self.speech.silence()

    def stop_sounds(self) -> None:
        """Pause: every sound stops within one buffer (see :meth:`silence`)."""
        self.silence()

    def pain_stop(self) -> None:
        """Silence, then the stop sound, then the word "Stopped" right after it."""
        self.silence()
        self.sound("stop")
        self.say(STOPPED_TEXT)

    @property
    def speaking(self) -> bool:
        with self._lock:
            if self._pending:
                return True
        if self.mixer is not None and self.mixer.busy("speech"):
            return True
        return self.speech is not None and self.speech.speaking

    def wait_idle(self, timeout: float) -> bool:
        """Let what is being said (and the tones) finish, up to ``timeout`` s (blocks)."""
        deadline = time.monotonic() + max(0.0, timeout)
        while time.monotonic() < deadline:
            with self._lock:
                pending = self._pending
            busy = pending or (self.mixer is not None and self.mixer.busy())
            if not busy:
                break
            if self.output is None and self.mixer is not None and not pending:
                break  # nothing renders this mixer: waiting would not help
            time.sleep(0.01)
        if self.speech is not None:
            return self.speech.wait_idle(max(0.0, deadline - time.monotonic()))
        return not self.speaking

    def close(self) -> None:
        self.silence()
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=2.0)
        if self.output is not None:
            self.output.close()
        if self.renderer is not None:
            self.renderer.close()
        if self.speech is not None:
            self.speech.close()

    # ------------------------------------------------------------------ extras

    def prerender(self, texts: Sequence[str] = PRERENDERED) -> None:
        """Render texts ahead (kept here: asked when nothing else waits to be placed, one is
        placed at once, never behind a render under way, see :meth:`_say`), and every tone
        that can play: without a sound device (or with the tones off) the bell rings
        instead, and rendering them would only delay the first frame."""
        if self.tones_on:
            for name in tones.SOUNDS:
                self._tone(name)
        if self.renderer is not None and self.voice:
            for text in texts:
                samples = self.renderer.render(text)
                if samples is not None:
                    with self._lock:
                        self._ready[text] = samples

    def measure_delay(self, text: str, timeout: float = 5.0) -> float | None:
        """Say ``text`` now and return the seconds until its first sample is in the device's
        buffer plus that buffer's length: how long after a cue it is heard. None without
        the app's output (a speech command's own delay cannot be seen from here)."""
        if self.mixer is None or self.renderer is None or self.output is None:
            return None
        self.output.wait_running()
        seen = len(self.mixer.log)
        began = time.perf_counter()
        self.say(text)
        while time.perf_counter() - began < timeout:
            if any(s.channel == "speech" for s in self.mixer.log[seen:]):
                return time.perf_counter() - began + self.output.buffer_ms / 1000
            time.sleep(0.001)
        return None

    # ------------------------------------------------------------------ internals

    def _tone(self, name: str) -> array[int]:
        found = self._tones.get(name)
        if found is None:
            sample_rate = self.mixer.sample_rate if self.mixer else tones.SAMPLE_RATE
            found = tones.render(name, sample_rate=sample_rate, volume=self.volume)
            self._tones[name] = found
        return found

    def _sample_at(self, at: float | None) -> int | None:
        if at is None or self.output is None:
            return None
        return self.output.sample_at(at)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._speak(*item)

    def _earliest(self, due: int | None, follow: bool) -> int:
        """The first sample a text due at sample ``due`` could start at now: not before it,
        nor before the next buffer, and when it follows (``follow``), not before what is said
        (or waits to be) has ended."""
        assert self.mixer is not None
        start = max(due or 0, self.mixer.position)
        if follow:
            start = max(start, self.mixer.channel_until("speech"))
        return start

    def _too_late(self, text: str, due: int | None, start: int) -> bool:
        """Whether ``text``, due at sample ``due`` (None: no deadline), starting at sample
        ``start`` would start more than LATE seconds after it: then it is left out (and
        kept for :meth:`take_dropped`)."""
        assert self.mixer is not None
        if due is None or start - due <= round(LATE * self.mixer.sample_rate):
            return False
        with self._lock:
            self._dropped.append(text)
        return True

    def _speak(self, generation: int, text: str, at: float | None, follow: bool = False) -> None:
        try:
            assert self.renderer is not None and self.mixer is not None
            with self._lock:
                if generation != self._generation:
                    return  # silenced since it was asked: not rendered either
            due = self._sample_at(at)
            if self._too_late(text, due, self._earliest(due, follow)):
                return  # it waited behind a render that hung: too late, not rendered either
            samples = self.renderer.render(text)
            if samples is not None:
                self._place(generation, text, samples, at, follow)
        except Exception:  # a voice must never break a session
            return
        finally:
            with self._lock:
                self._pending -= 1
                if generation == self._generation:
                    self._current -= 1

    def _place(
        self, generation: int, text: str, samples: array[int], at: float | None, follow: bool
    ) -> None:
        """Put ``text``'s samples in the mixer where they belong (see :meth:`_say`), unless
        silenced since it was asked or it would start too late."""
        assert self.mixer is not None
        with self._lock:
            current = generation == self._generation
            tone = self._last_tone
        if current:
            due = self._sample_at(at)
            start = self._earliest(due, follow)  # when it follows: after what is said
            if self._too_late(text, due, start):
                return  # its own render made it too late
            if not follow:
                self.mixer.cut("speech", start)  # what was being said ends when this is due
            if tone[0] <= start < tone[1]:
                start = tone[1]  # speech that comes with a tone follows it
            self.mixer.schedule(text, scaled(samples, self.volume), start, channel="speech")


def open_sound(
    *,
    voice: bool = True,
    tones_on: bool = True,
    bell: bool = True,
    volume: int = 80,
    command: str | Sequence[str] | None = None,
    rate: int | None = None,
    voice_name: str | None = None,
    null_device: bool = False,
    bell_fn: Callable[[], None] | None = None,
    threaded: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> SoundPlayer:
    """The session's player, having looked at what this machine has (see the module).
    ``clock``: the session's clock, on which every ``at`` is given."""
    status = SoundStatus(voice_on=voice, tones_on=tones_on, bell_on=bell)
    began = time.perf_counter()
    mixer: Mixer | None = None
    output: AudioOutput | None = None
    if tones_on or voice:
        mixer = Mixer()
        output, problem = open_output(mixer, null=null_device, clock=clock)
        if output is None:
            mixer = None
            status.no_device = problem or "none found"
            status.notes.append(f"no sound device: {status.no_device}")
        else:
            status.device = output.device
    renderer: Renderer | None = None
    speech: SpeechPlayer | None = None
    if voice:
        if mixer is not None:
            renderer = find_renderer(command, rate=rate, voice=voice_name)
            if renderer is not None and renderer.render(STOPPED_TEXT) is None:
                problem = renderer.error or getattr(renderer, "problem", None)
                status.notes.append(problem or f"{renderer.engine} did not speak")
                renderer.close()
                renderer = None
        if renderer is not None:
            status.engine, status.voice, status.rate = (
                renderer.engine,
                renderer.voice,
                renderer.rate,
            )
        else:
            candidate = SpeechPlayer(command, rate=rate, voice=voice_name, clock=clock)
            if candidate.available and candidate.argv is not None:
                speech = candidate
                status.engine = " ".join(candidate.argv)
            elif command is not None:
                status.notes.append(f"the speech command {command!r} was not found")
            else:
                status.notes.append(
                    "no speech engine: install backtimer with pip on Linux x86-64, macOS "
                    "arm64 or Windows x64 for its built-in voice, or install espeak-ng"
                )
    if bell_fn is None and bell:
        bell_fn = terminal_bell()
    player = SoundPlayer(
        mixer,
        output=output,
        renderer=renderer,
        speech=speech,
        bell_fn=bell_fn if bell else None,
        voice=voice,
        tones_on=tones_on,
        volume=volume,
        threaded=threaded,
        status=status,
    )
    player.prerender()
    if status.engine is not None or status.device is not None:
        status.setup_ms = (time.perf_counter() - began) * 1000
    return player
