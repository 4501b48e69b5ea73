"""The cue timeline of every step: what is said and which sound plays, and when.

Pure: the length of a spoken text comes from a function passed in (``length(text) ->
seconds``), like the clock is passed to the engine. The shell measures it with the speech
engine where it can (see :mod:`backtimer.sound.lengths`); :func:`estimate` is the fallback,
from the words-per-minute rate with a safety margin.

A :class:`Cue` is at ``at`` seconds from its step's start, says ``say`` (or nothing) and/or
plays ``sound`` (one of :data:`SOUNDS`), and its words take ``seconds``. :func:`fit_steps`
lays the cues of a compiled plan out so that, for a listener on the floor:

- no two spoken cues overlap, and every spoken cue ends before its step does (nothing is cut
  off except by the person: pause, pain stop, skip, quit);
- every hold and rep starts on its deadline with a cue at its first instant: one word or a
  sound (a rep: the first tempo part's words, with the rep number);
- what comes next (side, set, rep, hold length, "last one") is said in the step before, and
  the last ``countdown`` seconds before every timed hold or set of reps are counted, out of
  get-ready, rest, switch, set rest and transition; a hold keeps its own countdown;
- words that do not fit move to the step before where they fit (an exercise's introduction
  into the transition before it), then get-ready, transition, switch and rests are made
  longer, by whole seconds, only as much as their words need. Holds, reps and tempo parts
  never change length.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from backtimer.core.durations import spoken as spoken_duration
from backtimer.core.routine import level_for

if TYPE_CHECKING:  # plan imports this module; the types are only for annotations
    from backtimer.core.plan import Step
    from backtimer.core.routine import Exercise, Level, Routine, Settings

LengthFn = Callable[[str], float]
Detail = Literal["full", "brief"]
DETAILS: tuple[Detail, ...] = ("full", "brief")

#: The app's own sounds, by name: what each one marks. The sound layer's table of tones
#: (backtimer.sound.tones.SOUNDS) has these names; where no tone can play, the terminal bell
#: stands in.
SOUNDS: dict[str, str] = {
    "tick": "a countdown second",
    "go": "a hold starts",
    "release": "a hold ends: release",
    "switch": "switch sides",
    "tempo": "a tempo part of a rep starts",
    "set_done": "a set is done",
    "session_done": "the session is complete",
    "stop": "a pain stop",
}

#: How long each sound lasts, in seconds (as the tones table makes them; a test checks):
#: words that come with a sound are said after it, so the sound is part of their time.
SOUND_SECONDS: dict[str, float] = {
    "tick": 0.05,
    "go": 0.24,
    "release": 0.3,
    "switch": 0.36,
    "tempo": 0.09,
    "set_done": 0.42,
    "session_done": 0.9,
    "stop": 0.07,
}

GAP = 0.3  # seconds of quiet between two utterances, so they do not run together
TEMPO_GAP = 0.15  # seconds of quiet before the next tempo part's sound
COUNT_ROOM = 0.95  # a countdown number must be said within this part of its second
HALFWAY_FROM = 20.0  # holds at least this long get a "Halfway" (as the engine's)
DEFAULT_RATE = 175  # words per minute: espeak-ng's default
MIN_RATE, MAX_RATE = 80, 450
ESTIMATE_MARGIN = 1.2  # an estimate errs on the long side
SENTENCE_PAUSE = 0.15  # seconds an engine pauses at a full stop or comma (estimate)
SYLLABLE_MARGIN = 0.95  # seconds per syllable, in minutes per word (see estimate)
SYLLABLE_PAUSE = 0.3  # seconds at a full stop or comma at the default rate, by syllables
COMMAND_OVERHEAD = 1.1  # words of time a speech command outlasts its words by (trailing quiet)
#: Seconds after its time past which a cue is not said at all: said that late it would mislead
#: ("3" with no second left, "Hold." in the rest after the hold). The cue layer leaves out a
#: cue found due later than this (a late wake, a sleep); the sound layer a text with a
#: deadline that could only start later than this (it waited behind a voice that hung).
LATE = 1.0


@dataclass(frozen=True)
class Cue:
    """One moment of a step's timeline."""

    at: float  # seconds from the step's start
    say: str | None = None
    sound: str | None = None
    seconds: float = 0.0  # how long the words take (0: a sound only)
    kind: str = "say"  # for: intro, safety, head, release, next, count, go, tempo, halfway, moved
    from_end: bool = False  # timed from the step's end: moves when a hold is made longer
    # Fitted by its words alone (a countdown number, a rep's tempo part, a rep's count said
    # at the end of the rep before): a speech command's trailing quiet after them may run
    # into what follows, which need not wait for it (see fit_steps' count_length).
    by_words: bool = False

    @property
    def lead(self) -> float:
        """Seconds before the words start: the length of the sound they come with."""
        return lead(self.sound) if self.say else 0.0

    @property
    def end(self) -> float:
        """When the words end (the sound, then the words)."""
        return self.at + self.lead + self.seconds

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "say": self.say, "sound": self.sound, "seconds": self.seconds}


def lead(sound: str | None) -> float:
    """How long a sound delays the words that come with it."""
    return SOUND_SECONDS.get(sound, 0.0) if sound else 0.0


# ------------------------------------------------------------------------ lengths


def _number_words(token: str) -> int:
    """How many words a number is said in: 3 -> 1, 30 -> 1, 45 -> 2, 120 -> 3, 2.5 -> 3."""
    if "." in token:
        whole, _, frac = token.partition(".")
        return _number_words(whole or "0") + 1 + len(frac)
    value = int(token) if len(token) < 10 else 10**9
    if value < 20 or (value < 100 and value % 10 == 0):
        return 1
    if value < 100:
        return 2
    if value < 1000:
        return 2 + _number_words(str(value % 100)) if value % 100 else 2
    return 2 + _number_words(str(value % 1000))


def spoken_words(text: str) -> int:
    """The number of words ``text`` is said in (numbers spelt out)."""
    count = 0
    for token in re.findall(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+(?:'[^\W\d_]+)?", text):
        count += _number_words(token) if token[0].isdigit() else 1
    return count


def _number_syllables(token: str) -> int:
    """ "3" -> 1 ("three"), "7" -> 2, "15" -> 2, "45" -> 3; longer numbers two a word."""
    if token.isdigit() and len(token) == 1:
        return 2 if token in "07" else 1
    if token.isdigit() and len(token) == 2 and int(token) < 20:
        return 3 if token in ("11", "17") else 2
    return 2 * _number_words(token)


def syllables(text: str) -> int:
    """About how many syllables ``text`` is said in (vowel groups; a number word as two)."""
    count = 0
    for token in re.findall(r"[0-9]+(?:\.[0-9]+)?|[^\W\d_]+(?:'[^\W\d_]+)?", text):
        if token[0].isdigit():
            count += _number_syllables(token)
        else:
            count += max(1, len(re.findall(r"[aeiouy]+", token.lower().rstrip("e"))))
    return count


def estimate(text: str, rate: float = DEFAULT_RATE) -> float:
    """Seconds ``text`` takes at ``rate`` words per minute, erring on the long side.

    The longer of two guesses: by words, and by syllables (long words such as "Transversus
    abdominis" take longer than their count of words says), each with the pauses an engine
    makes at punctuation. Checked against espeak-ng on every text of the bundled routines
    at 100-300 words per minute: never shorter.
    """
    words = spoken_words(text)
    if not words:
        return 0.0
    pauses = len(re.findall(r"[.,;:!?](?=\s|$)", text.strip()))
    inner = len(re.findall(r"[.,;:!?](?=\s)", text.strip()))  # not the last one
    by_words = words * 60.0 / rate * ESTIMATE_MARGIN + pauses * SENTENCE_PAUSE + 0.1
    by_syllables = (
        syllables(text) * 60.0 / rate * SYLLABLE_MARGIN
        + 0.2
        + inner * SYLLABLE_PAUSE * DEFAULT_RATE / rate
    )
    return round(max(by_words, by_syllables), 3)


def estimator(rate: float = DEFAULT_RATE) -> LengthFn:
    return lambda text: estimate(text, rate)


def command_estimate(text: str, rate: float = DEFAULT_RATE) -> float:
    """Seconds a speech command takes to say ``text``: until its process exits.

    An engine run as a process per utterance plays its trailing silence too (espeak-ng at
    120 words per minute plays "3" for 1.02 s, 0.55 s of it quiet), about a word's time at
    its rate: :func:`estimate` plus :data:`COMMAND_OVERHEAD` words. Checked against the
    whole WAV espeak-ng writes for every text of the bundled routines at 100-300 words per
    minute: never shorter.

    The countdown numbers and the words of a rep's tempo parts are the exception (see
    :func:`fit_steps`' ``count_length``): they are fitted by their words and their trailing
    quiet may run into the next second or part, which then starts late by only that
    overrun."""
    seconds = estimate(text, rate)
    if not seconds:
        return 0.0
    return round(seconds + COMMAND_OVERHEAD * 60.0 / rate, 3)


# ------------------------------------------------------------------------ words


_STEMS = {"lying": "lie", "lay": "lie", "kneeling": "kneel", "sitting": "sit", "seated": "sit"}
_STEMS |= {"standing": "stand", "back,": "back"}
_FILLER = frozenset({"a", "an", "the", "on", "your", "one", "while", "down", "in", "at", "with"})


def _content_words(text: str) -> list[str]:
    words = [w.strip(".,;:!?()").lower() for w in text.split()]
    return [_STEMS.get(w, w) for w in words if w and w not in _FILLER]


def _says_position(step: str, position: str) -> bool:
    """Whether an instruction's opening already says the position ("Lie on one side" for
    "Lie on your side"), so that the position need not be read out before it."""
    wanted = _content_words(position)
    opening = _content_words(step)[: len(wanted) + 3]
    return bool(wanted) and all(word in opening for word in wanted)


@lru_cache(maxsize=4096)  # pure; a 10,000-step plan says the same few sentences over and over
def sentence(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        return ""
    if text[-1] not in ".!?":
        text += "."
    return text[0].upper() + text[1:]


@lru_cache(maxsize=4096)
def join(*parts: str) -> str:
    return " ".join(p for p in (sentence(x) for x in parts if x) if p)


def side_words(exercise: Exercise | None, side: str | None) -> str:
    """How a side is named: the exercise's own words ("right leg") or "right side"."""
    if side is None:
        return ""
    own = getattr(exercise, "side_words", None)
    if own is not None:
        words = getattr(own, side, None)
        if words:
            return " ".join(str(words).split())
    return f"{side} side"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def stop_if_words(text: str) -> str:
    """ "pain in the hip" -> "Stop if you feel pain in the hip." (a sentence that already
    says when to stop is kept as it is)."""
    text = " ".join(text.split())
    lowered = text.lower()
    if any(w in lowered for w in ("stop", "discontinue", "if you", "pain:")):
        return sentence(text)
    return sentence(f"Stop if you feel {text[0].lower()}{text[1:]}")


def is_last_rep(settings: Settings, dose: Any, side: str | None, rep: int) -> bool:
    """Whether a rep is the set's real last one, said "Last one": with the sides taken in
    turn rep by rep (right, left, right, left), only the last side's last rep is; the last
    rep on the first side has the other side's still to come."""
    if dose.reps <= 1 or rep != dose.reps:
        return False
    sides = settings.side_list
    if settings.side_order == "alternating" and len(sides) == 2 and side is not None:
        return side == sides[-1]
    return True


# ------------------------------------------------------------------------ fitting


@dataclass
class _Slot:
    """Words for one place of the timeline, richest first; None: the place may stay quiet."""

    variants: list[str | None]
    kind: str
    sound: str | None = None


def _with(step: Step, **changes: Any) -> Step:
    """``dataclasses.replace(step, **changes)`` without its checks and ``__init__`` call (a
    10,000-step plan makes a copy of each step): the fields copied, the changed ones set."""
    fields = getattr(step, "__dict__", None)
    if fields is None:  # a dataclass with slots
        return replace(step, **changes)
    copy = object.__new__(type(step))
    copy.__dict__.update(fields)
    copy.__dict__.update(changes)
    return copy


def _no_length(text: str) -> float:
    """No time at all: the least any words take (see _Fitter._fit_gap)."""
    return 0.0


def _speak(length: LengthFn, text: str | None) -> float:
    if not text:
        return 0.0
    return max(0.0, float(length(text)))


#: Gaps whose words and length depend on nothing but what they say and what follows them (a
#: get-ready may take words from the transition before it; a transition may be given them).
#: The cue lists of these steps and of timed holds are shared by equal steps (see
#: _Fitter.fit_gap and fit_work): never changed once made (a step's list is replaced).
_SAME_GAPS = frozenset({"rest", "switch_sides", "set_rest"})


class _Fitter:
    #: Equal steps share what is worked out for them (see _SAME_GAPS); False: every step is
    #: laid out by itself, the reference the tests compare the shared layout with.
    share = True

    def __init__(
        self,
        steps: Sequence[Step],
        routine: Routine,
        level: Level,
        length: LengthFn,
        countdown: int,
        detail: Detail,
        count_length: LengthFn | None = None,
    ) -> None:
        self.steps = list(steps)
        self.routine = routine
        self.level = level
        self.countdown = max(0, countdown)
        self.detail = detail
        self._cache: dict[str, float] = {}
        self._settings: dict[int, Settings] = {}  # by exercise: asked for at every step
        self._doses: dict[int, Any] = {}  # by exercise, as the settings
        # What a work step is said to be (next_slot) and a hold's cues (fit_work), by what
        # they are made of: a set of 50 reps says the same few things 50 times.
        self._slots: dict[tuple, _Slot] = {}
        self._work_cues: dict[tuple, list[Cue]] = {}
        self._gaps: dict[tuple, tuple[float | None, list[Cue]]] = {}
        self._first_get_ready = next(
            (i for i, s in enumerate(self.steps) if s.phase == "get_ready"), None
        )
        self._length = length
        self._count_length = count_length
        self._count_cache: dict[str, float] = {}
        self.cues: list[list[Cue]] = [[] for _ in self.steps]
        self.seconds: list[float | None] = [s.seconds for s in self.steps]
        self._work_places: tuple[list[bool], list[Step | None]] | None = None

    def length(self, text: str | None) -> float:
        if not text:
            return 0.0
        if text not in self._cache:
            self._cache[text] = _speak(self._length, text)
        return self._cache[text]

    def words_length(self, text: str | None) -> float:
        """How long the words alone of a countdown number or of a rep's tempo part take
        (see :func:`fit_steps`)."""
        if not text:
            return 0.0
        if self._count_length is None:
            return self.length(text)
        if text not in self._count_cache:
            self._count_cache[text] = _speak(self._count_length, text)
        return self._count_cache[text]

    # -------------------------------------------------------------- what is said

    def settings(self, step: Step) -> Settings:
        index = step.exercise_index
        found = self._settings.get(index)
        if found is None:
            found = self._settings[index] = self.routine.settings(index)
        return found

    def dose(self, step: Step) -> Any:
        index = step.exercise_index
        found = self._doses.get(index)
        if found is None:
            found = self._doses[index] = self.settings(step).dose(level_for(self.level, index))
        return found

    def exercise(self, step: Step) -> Exercise:
        return self.routine.exercises[step.exercise_index]

    def timed_work(self, index: int) -> bool:
        if not 0 <= index < len(self.steps):
            return False
        step = self.steps[index]
        return step.is_work and step.seconds is not None

    def hold_words(self, step: Step) -> str:
        dose = self.dose(step)
        if dose.breaths is not None:
            return f"Hold for {dose.breaths} breath" + ("s" if dose.breaths != 1 else "")
        return f"Hold {spoken_duration(dose.rep_seconds)}"

    def timed_words(self, step: Step) -> str:
        """What is timed: "Hold 30 seconds, 3 times on each side, right leg first"."""
        settings, dose = self.settings(step), self.dose(step)
        exercise = self.exercise(step)
        if settings.kind == "user_paced":
            what = "At your own pace: press enter when you are done"
        elif settings.kind == "tempo":
            assert settings.tempo is not None
            count = f"{dose.reps} reps" if dose.reps > 1 else "One rep"
            what = f"{count}: {settings.tempo.describe()}"
        else:
            what = self.hold_words(step)
            if dose.reps > 1:
                what += f", {dose.reps} times"
        sides = settings.side_list
        if sides[0] is not None and settings.kind != "tempo":
            what += " on each side"
        elif sides[0] is not None:
            what += ", on each side"
        if dose.sets > 1:
            what += f", {dose.sets} sets"
        if sides[0] is not None:
            what += f", {side_words(exercise, sides[0])} first"
        return sentence(what)

    def intro(self, step: Step) -> list[tuple[str, str]]:
        """Before an exercise: name, position, every instruction, caution, stop-if, timing;
        each line with its kind of cue ("safety" for the caution and the stop-if)."""
        exercise = self.exercise(step)
        lines = [(sentence(exercise.name), "intro")]
        first = exercise.steps[0] if exercise.steps else ""
        if exercise.position and not _says_position(first, exercise.position):
            lines.append((sentence(exercise.position), "intro"))
        if self.detail == "brief":
            if first:
                lines.append((sentence(first), "intro"))
            return lines
        lines += [(sentence(line), "intro") for line in exercise.steps]
        if exercise.caution:
            lines.append((sentence(exercise.caution), "safety"))
        if exercise.stop_if:
            lines.append((stop_if_words(exercise.stop_if), "safety"))
        lines.append((self.timed_words(step), "intro"))
        return [(line, kind) for line, kind in lines if line]

    def _places(self) -> tuple[list[bool], list[Step | None]]:
        """For every step: whether it is the first work step of its set (of its side too,
        with every set on one side), and the work step before it in its exercise (None
        for the first); worked out in one pass (a 10,000-step plan asks at every step)."""
        if self._work_places is None:
            firsts: list[bool] = []
            before: list[Step | None] = []
            seen: set[tuple[int, str | None]] = set()
            last: Step | None = None
            for index, step in enumerate(self.steps):
                if index and self.steps[index - 1].exercise_index != step.exercise_index:
                    seen, last = set(), None  # another exercise: nothing before it counts
                per_side = self.settings(step).side_order == "sets_per_side"
                key = (step.set, step.side if per_side else None)
                firsts.append(key not in seen)
                before.append(last)
                if step.is_work:
                    seen.add(key)
                    last = step
            self._work_places = (firsts, before)
        return self._work_places

    def first_of_set(self, index: int) -> bool:
        """The first work step of its set (of its side too, with every set on one side)."""
        return self._places()[0][index]

    def previous_work(self, index: int) -> Step | None:
        return self._places()[1][index]

    def next_slot(self, index: int) -> _Slot | None:
        """What the work step ``index`` is, said in the step before it."""
        step = self.steps[index]
        if step.seconds is None:
            return None  # at your own pace: it says itself, with no deadline to meet
        before = self.previous_work(index)
        # Everything the words depend on besides the exercise's settings and dose: the set
        # where it is said, the side where it is said, the rep.
        said_set = step.set if self.dose(step).sets > 1 and self.first_of_set(index) else None
        changed = step.side is not None and (before is None or before.side != step.side)
        last = is_last_rep(self.settings(step), self.dose(step), step.side, step.rep)
        key = (step.exercise_index, said_set, step.side if changed else None, step.rep, last)
        found = self._slots.get(key) if self.share else None
        if found is None:
            found = self._slots[key] = self._next_slot(step, said_set, key[2], last)
        return found

    def _next_slot(
        self, step: Step, said_set: int | None, said_side: str | None, last: bool
    ) -> _Slot:
        """The words of :meth:`next_slot`, from what its key holds (and the exercise's
        settings and dose, the rep): nothing else of the step."""
        dose = self.dose(step)
        settings = self.settings(step)
        needed: list[str] = []
        if said_set is not None:
            needed.append(f"Set {said_set} of {dose.sets}")
        if said_side is not None:
            needed.append(_cap(side_words(self.exercise(step), said_side)))
        if settings.kind == "tempo":
            if step.rep != 1:
                # Said with its first tempo part too, where reps follow each other.
                needed.append("Last one" if last else f"Rep {step.rep}")
            elif dose.reps > 1:
                needed.append(f"{dose.reps} reps")
            else:
                needed.append("One rep")
            return _Slot([join(*needed)], "next")
        if dose.reps > 1:
            needed.append("Last one" if last else f"Rep {step.rep} of {dose.reps}")
        full = join(*needed, self.hold_words(step))
        short = join(*needed) or full  # the hold's length at least
        return _Slot([full, short] if short != full else [full], "next")

    def head_slots(self, index: int) -> list[_Slot]:
        """What a gap step says when it starts."""
        step = self.steps[index]
        following = self.steps[index + 1] if index + 1 < len(self.steps) else None
        if step.phase == "get_ready":
            lines: list[tuple[str, str]] = []
            if index == 0 or index == self._first_get_ready:  # the routine's cautions first
                lines += [(sentence(c), "safety") for c in self.routine.cautions]
            intro = self.intro(step)
            if index > 0 and self.steps[index - 1].phase == "transition":
                intro = intro[1:]  # the transition said "Next: Bridge.": not "Bridge." again
            lines += intro
            return [_Slot([line], kind) for line, kind in lines if line]
        if step.phase == "rest":
            rest = spoken_duration(step.seconds or 0.0)
            return [_Slot([f"Release and rest {rest}.", "Release."], "head", "release")]
        if step.phase == "switch_sides":
            switch = _Slot(["Switch sides."], "head", "switch")
            before = self.steps[index - 1] if index > 0 else None
            if before is not None and before.phase == "hold" and before.seconds is not None:
                # A timed hold ends into the switch: its end is said, as a rest's is.
                return [_Slot(["Release."], "release", "release"), switch]
            return [switch]
        if step.phase == "set_rest":
            done = f"Set {step.set} of {step.sets} done."
            rest = spoken_duration(step.seconds or 0.0)
            return [_Slot([f"{done} Rest {rest}.", done], "head", "set_done")]
        if step.phase == "transition":
            slots = [_Slot(["Well done."], "head", "release")]
            if following is not None:
                nxt = self.exercise(following)
                here = self.exercise(step)
                words = f"Next: {' '.join(nxt.name.split())}."
                if nxt.position and nxt.position != here.position:
                    words += " Change position."
                slots.append(_Slot([words], "head"))
            return slots
        return []

    # -------------------------------------------------------------- layout

    def fit(self) -> list[Step]:
        for index, step in enumerate(self.steps):
            if step.is_work:
                self.fit_work(index)
            else:
                self.fit_gap(index)
        out = []
        # Steps laid out alike share their list of cues: sorted and said once (by the list's
        # identity: every list lives in self.cues until this is done).
        made: dict[int, tuple[tuple[Cue, ...], str]] = {}
        for index, step in enumerate(self.steps):
            laid = self.cues[index]
            found = made.get(id(laid))
            if found is None:
                ordered = tuple(sorted(laid, key=lambda c: c.at))
                found = made[id(laid)] = (ordered, " ".join(c.say for c in ordered if c.say))
            cues, said = found
            seconds = self.seconds[index]
            added = 0.0
            if seconds is not None and step.seconds is not None:
                added = max(0.0, seconds - step.seconds)
            out.append(_with(step, seconds=seconds, say=said, cues=cues, added=added))
        return out

    def fit_gap(self, index: int) -> None:
        step = self.steps[index]
        base = step.seconds
        heads = self.head_slots(index)
        nxt = self.next_slot(index + 1) if self.timed_work(index + 1) else None
        if nxt is not None and heads and heads[-1].variants == nxt.variants[:1]:
            heads = heads[:-1]  # "Hold 4 seconds." would be said twice in a row
        counts = self.countdown if self.timed_work(index + 1) else 0
        key: tuple | None = None
        if self.share and step.phase in _SAME_GAPS:
            # Laid out from these alone: equal ones (a rest between every two reps) once.
            slots = tuple((tuple(slot.variants), slot.kind, slot.sound) for slot in heads)
            key = (step.phase, base, slots, None if nxt is None else tuple(nxt.variants), counts)
            found = self._gaps.get(key)
            if found is not None:
                self.seconds[index], self.cues[index] = found
                return
        self._fit_gap(index, heads, nxt, counts)
        if key is not None:
            self._gaps[key] = (self.seconds[index], self.cues[index])

    def _fit_gap(self, index: int, heads: list[_Slot], nxt: _Slot | None, counts: int) -> None:
        step = self.steps[index]
        base = step.seconds
        if base is None:  # never: gaps are timed; but a gap without a deadline cannot overrun
            base = 0.0

        def need(
            head: list[str | None], next_words: str | None, length: LengthFn | None = None
        ) -> float:
            # A place's sound, if it has one, comes before its words.
            length = length or self.length
            total = sum(lead(s.sound) for s in heads) if len(head) == len(heads) else 0.0
            for text in head:
                if text:
                    total += length(text) + GAP
            if next_words:
                total += length(next_words) + GAP
            return total + counts

        def fits(head: list[str | None], next_words: str | None) -> bool:
            # Words whose quiet and sounds alone do not fit (a length is never below 0: the
            # same sum with none is never more) are not asked the length of: a first plan
            # renders every text it asks for.
            if need(head, next_words, _no_length) > base + 1e-9:
                return False
            return need(head, next_words) <= base + 1e-9

        rich = [s.variants[0] for s in heads]
        lean = [s.variants[-1] for s in heads]
        n_rich = nxt.variants[0] if nxt else None
        n_lean = nxt.variants[-1] if nxt else None
        choice = None
        for head, words in ((rich, n_rich), (lean, n_rich), (rich, n_lean), (lean, n_lean)):
            if fits(head, words):
                choice = (head, words)
                break
        if choice is None and step.phase == "get_ready" and index > 0:
            # Fit by moving words: the start of the introduction into the transition before.
            spare = self._spare(index - 1)
            keep = list(heads)
            shifted: list[_Slot] = []
            while keep and spare > 0 and need(lean[len(shifted) + 1 :], n_lean) > base:
                first = keep[0]
                cost = self.length(first.variants[-1]) + GAP
                if cost > spare:
                    break
                spare -= cost
                shifted.append(keep.pop(0))
            if shifted:
                self._append_moved(index - 1, shifted)
                heads = keep
                rich = [s.variants[0] for s in heads]
                lean = [s.variants[-1] for s in heads]
                for head, words in ((rich, n_rich), (lean, n_rich), (rich, n_lean)):
                    if fits(head, words):
                        choice = (head, words)
                        break
        if choice is None:
            # Fit by time: longer, by whole seconds, only as much as the words need.
            choice = (lean, n_lean)
        head, words = choice
        seconds = max(base, math.ceil(need(head, words) - 1e-9))
        self.seconds[index] = float(seconds) if seconds != base else step.seconds
        cues: list[Cue] = []
        t = 0.0
        for slot, text in zip(heads, head, strict=True):
            sound = slot.sound
            if not text and sound is None:
                continue
            spoken = self.length(text)
            cues.append(Cue(t, text or None, sound, spoken, slot.kind))
            t += lead(sound) + (spoken + GAP if text else 0.0)
        total = float(seconds)
        if words:
            spoken = self.length(words)
            at = max(t, total - counts - GAP - spoken)
            cues.append(Cue(at, words, None, spoken, "next", from_end=True))
        cues += self.count_cues(total, counts)
        self.cues[index] = cues

    def _spare(self, index: int) -> float:
        """Quiet time at the end of an already fitted gap step (no countdown in it)."""
        seconds = self.seconds[index]
        if seconds is None or self.steps[index].phase != "transition":
            return 0.0
        used = max((c.end for c in self.cues[index] if c.say), default=0.0)
        return max(0.0, seconds - used - GAP)

    def _append_moved(self, index: int, slots: list[_Slot]) -> None:
        # A new list, not the old one changed: a step's list may be shared (see _SAME_GAPS;
        # only a transition is given words today, and its list is its own).
        cues = self.cues[index] = list(self.cues[index])
        t = max((c.end + GAP for c in cues if c.say), default=0.0)
        said = [c.say or "" for c in cues]
        for slot in slots:
            text = slot.variants[-1]
            if text and any(line.startswith(f"Next: {text}") for line in said):
                continue  # "Next: Bridge." was just said: not "Bridge." again
            spoken = self.length(text)
            kind = "safety" if slot.kind == "safety" else "moved"
            cues.append(Cue(t, text, None, spoken, kind))
            t += spoken + GAP

    def count_cues(self, total: float, counts: int) -> list[Cue]:
        cues = []
        for number in range(counts, 0, -1):
            word = str(number)
            spoken = self.words_length(word)
            fits = lead("tick") + spoken <= COUNT_ROOM
            cues.append(
                Cue(
                    total - number,
                    word if fits else None,
                    "tick",
                    spoken if fits else 0.0,
                    "count",
                    from_end=True,
                    by_words=True,
                )
            )
        return cues

    def fit_work(self, index: int) -> None:
        step = self.steps[index]
        if step.seconds is None:
            text = step.say
            self.cues[index] = [Cue(0.0, text, "go", self.length(text), "head")]
            return
        total = step.seconds
        if step.phase == "rep" and self.settings(step).kind == "tempo":
            self.cues[index] = self.tempo_cues(step, total)
            return
        # The cues of a hold depend on its length and what the next step is said to be, no
        # more: a set of equal holds is laid out once.
        slot = self.next_slot(index + 1) if self.timed_work(index + 1) else None
        key = (total, None if slot is None else tuple(slot.variants))
        cues = self._work_cues.get(key) if self.share else None
        if cues is None:
            cues = self._work_cues[key] = self._hold_cues(total, slot)
        self.cues[index] = cues  # shared with the equal holds: never changed

    def _hold_cues(self, total: float, slot: _Slot | None) -> list[Cue]:
        """The cues of a timed hold of ``total`` seconds, followed by the work step ``slot``
        says (None: not work at once, or not timed)."""
        counts = min(self.countdown, int(total) - 1) if total >= 2 else 0
        counts = max(0, counts)
        cues = self.count_cues(total, counts)
        limit = total - counts - GAP if counts else total
        # Words whose place is too short for any words at all (a length is never below 0)
        # are not asked for: their length would be measured (rendered) for nothing.
        go_words = "Hold"
        room = (total - counts if counts else total) - (GAP if counts else 0.0)
        go_len = self.length(go_words) if lead("go") <= room else 0.0
        if lead("go") <= room and lead("go") + go_len <= room:
            cues.append(Cue(0.0, go_words, "go", go_len, "go"))
            free_from = lead("go") + go_len + GAP
        else:
            cues.append(Cue(0.0, None, "go", 0.0, "go"))
            free_from = lead("go")
        # What the next work step is, when it follows at once (no rest between them).
        late: Cue | None = None
        if slot is not None and limit >= free_from:  # else not even words of no length fit
            for option in slot.variants:
                if not option:
                    continue
                spoken = self.length(option)
                at = limit - spoken
                if at >= free_from:
                    late = Cue(at, option, None, spoken, "next", from_end=True)
                    break
        if late is not None:
            cues.append(late)
            limit = late.at - GAP
        if total >= HALFWAY_FROM and free_from <= total / 2 <= limit:
            spoken = self.length("Halfway")
            at = total / 2
            if at + spoken <= limit:
                cues.append(Cue(at, "Halfway", None, spoken, "halfway"))
        return cues

    def tempo_cues(self, step: Step, total: float) -> list[Cue]:
        settings = self.settings(step)
        assert settings.tempo is not None
        dose = self.dose(step)
        parts = settings.tempo.parts()
        counted = dose.reps > 1
        last = counted and is_last_rep(settings, dose, step.side, step.rep)
        cues: list[Cue] = []
        t = 0.0
        missing: str | None = None  # the count, where not even it fits in the first part
        sided = self.rep_side_words(step, parts[0][0])
        for number, (word, seconds) in enumerate(parts):
            # The next part starts with its sound, before its words: a shorter quiet will do.
            room = seconds - (TEMPO_GAP if number < len(parts) - 1 else 0.0)
            options: list[str] = []
            if number == 0 and counted:
                # The count is kept before the part's words: the person follows the set by it.
                count = f"{step.rep}, last one" if last else f"{step.rep}"
                if sided:  # "2. Knees to the left.": which way this rep goes, where it fits
                    options.append(join(count, sided))
                    if last:
                        options.append(join("Last one", sided))
                options.append(join(count, word))
                if last:
                    options.append(join("Last one", word))
                options += [sentence(count)] + (["Last one."] if last else [])
            else:
                options += [sentence(sided)] if number == 0 and sided else []
                options.append(sentence(word))
            # By their words alone (see fit_steps): the pace of every rep is said.
            chosen = next(
                (o for o in options if lead("tempo") + self.words_length(o) <= room), None
            )
            if number == 0 and counted and chosen is None:
                missing = "Last one." if last else sentence(str(step.rep))
                shorts = ([sentence(sided)] if sided else []) + [sentence(word)]
                chosen = next(
                    (o for o in shorts if lead("tempo") + self.words_length(o) <= room), None
                )
            spoken = self.words_length(chosen)
            kind = "tempo" if number else "go"
            cues.append(Cue(t, chosen, "tempo", spoken, kind, by_words=True))
            t += seconds
        if missing is not None:
            self._count_before(step, missing)
        return cues

    def rep_side_words(self, step: Step, word: str) -> str | None:
        """The words that say which way a rep goes, with its first tempo part, where the
        side changes from one rep to the next with nothing said between them: every rep of
        an exercise that alternates sides ("right, left, right, left"), and the first rep
        on a side that follows the other side's last rep at once (no switch step). The
        exercise's own side words stand for the part's name ("Knees to the left" for "Knees
        over": they say the same movement, and which way); without them, "Left side" comes
        before it. None: the rep's side goes without saying (the step before said it)."""
        if step.side is None:
            return None
        settings = self.settings(step)
        alternating = settings.side_order == "alternating" and len(settings.side_list) == 2
        index = step.index
        before = self.steps[index - 1] if index > 0 else None
        changed = (
            before is not None
            and before.is_work
            and before.exercise_index == step.exercise_index
            and before.side != step.side
        )
        if not (alternating or changed):
            return None
        own = getattr(getattr(self.exercise(step), "side_words", None), step.side, None)
        if own:
            return _cap(side_words(self.exercise(step), step.side))
        return join(_cap(side_words(self.exercise(step), step.side)), word)

    def _count_before(self, step: Step, words: str) -> None:
        """Say a rep's count ("4." or "Last one.") at the end of the rep before it, where the
        rep's own first part has no room for it: the words of the parts it runs into give way
        to it (their sounds still play)."""
        index = step.index - 1
        if index < 0 or not self.cues[index]:
            return
        before = self.steps[index]
        total = self.seconds[index]
        if before.phase != "rep" or before.exercise_index != step.exercise_index or not total:
            return  # a gap before it says "Rep 4" or "Last one" as what comes next
        spoken = self.words_length(words)  # a rep's count: by its words (see fit_steps)
        at = total - TEMPO_GAP - spoken
        cues = self.cues[index]
        keep = [c for c in cues if not c.say or c.end + GAP <= at]
        if len(keep) < len(cues):
            # The part's words do not leave room: its sound stays, the count is said.
            keep = [
                c if not c.say or c.end + GAP <= at else replace(c, say=None, seconds=0.0)
                for c in cues
            ]
        if at < lead(keep[0].sound if keep else None):
            return  # (a part's sound may play under it: the sounds are kept)
        keep.append(Cue(at, words, None, spoken, "next", from_end=True, by_words=True))
        self.cues[index] = keep


def fit_steps(
    steps: Sequence[Step],
    routine: Routine,
    level: Level,
    length: LengthFn,
    *,
    countdown: int = 3,
    detail: Detail = "full",
    count_length: LengthFn | None = None,
) -> list[Step]:
    """The steps with their cue timelines, gaps made as long as their words need.

    ``length(text)``: how long saying ``text`` takes, the whole of it (for a speech command
    run as a process per utterance: until its process exits, trailing quiet included, see
    :func:`command_estimate`). ``count_length(text)``, if given: how long the words alone
    take, without that quiet, for the countdown numbers and for a rep's tempo parts (the
    words at the start of each part, and the rep's count). A number has a second and no
    more, and a tempo part as long as the routine says, so they are fitted by their words:
    the count and the pace of every rep are said at slow rates too. Their quiet may run into
    the next second or part, and what is said next, when it has ended (nothing is cut off),
    starts late by only that overrun (espeak-ng says "3" in 1.02 s at 120 words per minute:
    0.02 s). Every other cue gets the whole length, so the cue before a countdown has ended
    when "3" is due."""
    fitter = _Fitter(steps, routine, level, length, countdown, detail, count_length)
    return fitter.fit()


# ------------------------------------------------------------------------ resuming

#: Kinds of cue whose words have no deadline of their own: after a resume they may come a
#: little later than fitted (never past the next cue that has one), or give way.
MOVABLE = frozenset({"intro", "safety", "moved", "next", "head", "say"})
RESUME_KIND = "resume"  # the words said as the clock runs again ("Resuming.")


@dataclass(frozen=True)
class Placed:
    """A cue after a resume: when it is due (on the session's clock) and which of the
    pending cues it is (its index; None: new, the resume words or a sentence said again)."""

    due: float
    cue: Cue
    source: int | None

    @property
    def end(self) -> float:
        """When its words end (its sound, then its words), as :attr:`Cue.end` does."""
        return self.due + self.cue.lead + self.cue.seconds


@dataclass
class _Candidate:
    cue: Cue
    due: float
    rank: int
    source: int | None


def _rank(cue: Cue, again: bool = False) -> int:
    """What gives way first where a resume has more to say than time before the next cue
    with a deadline: the resume words (0), then what comes next and the instructions (1),
    then a sentence the stop cut off (2); a safety warning (3) never gives way to those."""
    if cue.kind == "safety":
        return 3
    if again:
        return 2
    return 0 if cue.kind == RESUME_KIND else 1


def movable(cue: Cue) -> bool:
    """Words with no deadline of their own (no sound marks their moment)."""
    return bool(cue.say) and cue.sound is None and cue.kind in MOVABLE


def fit_resumed(
    at: float,
    pending: Sequence[tuple[float, Cue]],
    *,
    words: Sequence[Cue] = (),
    again: Cue | None = None,
    end: float | None = None,
) -> list[Placed]:
    """What is said after the clock runs again at ``at`` (a resume, or a pain stop pressed
    by mistake), and when: nothing overlaps, nothing with a deadline is late.

    ``pending``: the step's cues not yet said, each with its due time (already moved by the
    time stopped), and the next step's first cue at the step's end. ``words``: what the
    resume may say first, richest first ("Resuming. Hold, 12 seconds left.", "Resuming.");
    ``again``: the sentence the stop cut off, said again in full from its start; ``end``:
    when the step ends (words without a deadline end before it; None: no deadline).

    Cues with a sound, the countdown, "Halfway" and the next step's cue keep their times.
    The others (instructions, warnings, what comes next) keep their order and move later
    where the resume words or the sentence said again need their time; what does not fit
    before the next cue with a deadline gives way, least needed first (see :func:`_rank`):
    a safety warning is heard rather than chatter. The fixed cues come first in the result,
    then the rest in the order said.

    Where a safety warning has no room even so, the countdown's numbers give it theirs:
    their ticks still mark the seconds (the numbers it does not need keep their words)."""
    placed = _fit_resumed(at, pending, words, again, end)
    wanted = sum(1 for _, c in pending if c.kind == "safety" and movable(c))
    wanted += 1 if again is not None and again.say and again.kind == "safety" else 0
    heard = sum(1 for p in placed if p.cue.kind == "safety")
    if heard >= wanted or not any(c.kind == "count" and c.say for _, c in pending):
        return placed
    hushed = [
        (due, replace(cue, say=None, seconds=0.0) if cue.kind == "count" else cue)
        for due, cue in pending
    ]
    quieter = _fit_resumed(at, hushed, (), again, end)  # no resume words either
    if sum(1 for p in quieter if p.cue.kind == "safety") <= heard:
        return placed
    said = [
        (p.due, p.end + GAP)
        for p in quieter
        if (p.cue.say and p.source is None) or (p.source is not None and movable(p.cue))
    ]
    out: list[Placed] = []
    for item in quieter:
        original = pending[item.source][1] if item.source is not None else item.cue
        if item.source is not None and original.kind == "count" and original.say:
            whole = Placed(item.due, original, item.source)
            if not any(b < whole.end + GAP and whole.due < f for b, f in said):
                item = whole  # not in the way: its words
        out.append(item)
    return out


def _fit_resumed(
    at: float,
    pending: Sequence[tuple[float, Cue]],
    words: Sequence[Cue],
    again: Cue | None,
    end: float | None,
) -> list[Placed]:
    """:func:`fit_resumed`'s layout, before the countdown's numbers give their words to a
    safety warning with no room."""
    fixed: list[Placed] = []
    moving: list[_Candidate] = []
    for number, (due, cue) in enumerate(pending):
        if movable(cue):
            moving.append(_Candidate(cue, due, _rank(cue), number))
        else:
            fixed.append(Placed(due, cue, number))
    # What is said at a fixed time; a sound alone (a tick) may come under words.
    spans = sorted((p.due, p.end + GAP) for p in fixed if p.cue.say)
    head = (
        [_Candidate(again, at, _rank(again, again=True), None)]
        if again is not None and again.say
        else []
    )
    options = [w for w in words if w.say]
    dropped: set[int] = set()  # by position in the candidates after the words

    def layout(items: list[_Candidate]) -> tuple[list[tuple[float, int]], list[int]]:
        """Each item at its time or after the one before; (start, position) of those that
        fit, and the positions of those that do not."""
        t = at
        placed: list[tuple[float, int]] = []
        failed: list[int] = []
        for position, item in enumerate(items):
            span = item.cue.lead + item.cue.seconds
            start = max(item.due, t)
            for begin, finish in spans:
                if begin < start + span + GAP - 1e-9 and start < finish - 1e-9:
                    start = finish
            # Never past a deadline that came after it (said between the countdown's
            # numbers, or after them, it would be heard as the next step's words).
            limits = [b - GAP for b, _ in spans if b >= item.due - 1e-9]
            limits += [end] if end is not None else []
            if limits and start + span > min(limits) + 1e-9:
                failed.append(position)
                continue
            placed.append((start, position))
            t = start + span + GAP
        return placed, failed

    candidates = head + moving
    choice = 0
    while True:
        said = options[choice] if choice < len(options) else None
        first = [_Candidate(said, at, 0, None)] if said is not None else []
        kept = [n for n in range(len(candidates)) if n not in dropped]
        items = first + [candidates[n] for n in kept]
        placed, failed = layout(items)
        if first and 0 in failed:
            choice += 1  # a shorter way to say it, or none
            continue
        # The most needed of what does not fit: what said before it and is less needed
        # gives way (the latest of the least needed first), and all is laid out again.
        worst = max(failed, key=lambda n: (items[n].rank, -n), default=None)
        if worst is None:
            break
        victims = [n for _, n in placed if n < worst and items[n].rank < items[worst].rank]
        if not victims:
            break
        victim = min(victims, key=lambda n: (items[n].rank, -n))
        if first and victim == 0:
            choice += 1
        else:
            dropped.add(kept[victim - len(first)])
    out = list(fixed)
    for start, position in placed:
        item = items[position]
        out.append(Placed(start, item.cue, item.source))
    return out


def resume_room(
    at: float,
    pending: Sequence[tuple[float, Cue]],
    *,
    moves: Collection[int],
    following: Collection[int] = (),
    again: Cue | None = None,
    end: float | None = None,
) -> float:
    """How many seconds longer a step must be so that a resume at ``at`` says everything
    still to say in it (see :func:`fit_resumed`, whose arguments these are): the sentence a
    stop cut off, again (not a countdown number), and every instruction, warning and "what
    comes next" after it, each in full before the countdown, which then comes on time. A
    step that lasts as long as its words need (a get-ready, a rest) is made that much longer
    (the engine's ``_make_room``); the words of a hold or a rep still give way (they never
    change length).

    ``moves``: the positions in ``pending`` of the cues timed from the step's end (its
    countdown, what comes next) and of the next step's first cue (``following``: said at
    the end, not words this step must say): they move later with the end. Whole seconds,
    as :func:`fit_steps` makes a gap longer. No room is made for the resume words
    ("Resuming."): they are said where they fit, else the sentence said again is the first
    thing heard, at once, and tells the person the clock runs again."""
    if end is None:
        return 0.0
    wanted = {n for n, (_, cue) in enumerate(pending) if movable(cue) and n not in following}
    again = again if again is not None and again.say else None
    # A countdown number cut off is not worth a longer step: the next one marks the time.
    needed = again if again is not None and again.kind != "count" else None

    def heard(extra: float) -> tuple[set[int], bool]:
        """What of ``wanted`` is said, and whether the sentence cut off is, ``extra`` longer."""
        moved = [(due + extra if n in moves else due, cue) for n, (due, cue) in enumerate(pending)]
        placed = _fit_resumed(at, moved, (), again, end + extra)
        said = wanted & {p.source for p in placed if p.source is not None}
        return said, any(p.source is None and p.cue == needed for p in placed)

    def fits(extra: float, best: tuple[set[int], bool]) -> bool:
        said, whole = heard(extra)
        return said >= best[0] and (whole or not best[1])

    everything = (wanted, needed is not None)
    if fits(0.0, everything):
        return 0.0
    # Never more than everything said one after another. What that much does not let be
    # said (a sentence said again that would run into a cue timed from the step's start,
    # which a longer step does not move) no length does: the room is for the rest only.
    spans = [c.lead + c.seconds + GAP for _, c in pending if c.say]
    spans += [again.lead + again.seconds + GAP] if again is not None else []
    most = math.ceil(sum(spans) + max(0.0, at - end)) + 1
    best = heard(float(most))
    for extra in range(most):
        if fits(float(extra), best):
            return float(extra)
    return float(most)
