"""Getting a session ready to run, for the app and for ``--plain`` alike.

Settings are applied, the plan is compiled at the chosen level, the history recorder is
opened (or a stand-in that records nothing, with the reason), and a resume of an interrupted
session is prepared. The session itself is run by the caller.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backtimer.core.plan import CLOSING_SOUND, Plan, compile_plan, plan_steps
from backtimer.core.routine import Exercise, Routine
from backtimer.core.timeline import LengthFn, estimate, side_words
from backtimer.files.catalog import Entry
from backtimer.files.config import Config, load_config, with_config_defaults
from backtimer.history.db import HistoryUnavailable, open_history
from backtimer.history.levels import accept_all, current_levels, fixed_levels, review
from backtimer.history.queries import find_resumable
from backtimer.history.recorder import start_recorder, step_identity
from backtimer.history.writer import merge_pending, unmerged_sessions
from backtimer.session.runner import Clock
from backtimer.sound import tones
from backtimer.sound.lengths import TEXTS_PER_HELPER, SpeechLengths


@dataclass
class Launch:
    """Everything a run needs; ``notes`` are messages for the user (history off, ...)."""

    entry: Entry  # as on disk: what the history and "keep changes" refer to
    routine: Routine  # with the settings' defaults filled in: what is run
    plan: Plan
    level: Any
    start_index: int = 0
    recorder: Any = None
    resume: Any = None
    notes: list[str] = field(default_factory=list)

    def close(self) -> str | None:
        """Stop the history writer; returns a message for the person when records could
        not be written in time (kept in a journal beside the history, or lost: it says)."""
        if self.recorder is not None:
            message = self.recorder.close()
            return message if isinstance(message, str) else None
        return None


def speech_lengths(config: Config) -> SpeechLengths:
    """The spoken-length function for the user's voice settings (measured or estimated)."""
    return SpeechLengths(
        config.speech_command,
        rate=config.speech_rate,
        voice=config.speech_voice,
        enabled=config.voice,
    )


def speech_plan(
    routine: Routine, level: Any, config: Config, lengths: SpeechLengths | None = None
) -> Plan:
    """The plan with its cue timeline, fitted for the user's voice settings: what a session
    runs, what ``plan`` shows and what ``backtimer audio`` renders."""
    own = lengths is None
    if lengths is None:
        lengths = speech_lengths(config)
    closing_sound = tones.seconds(CLOSING_SOUND) if config.tones else 0.0
    try:
        # Fitted with the lengths at hand (measured before, in the cache): where every text
        # the fit asks for is, that is the plan. Else the texts that fit asked for and were
        # not at hand are measured together (several at once, see SpeechLengths.prefetch),
        # and the plan fitted with them; what that fit asks for besides is measured one at
        # a time. Where an engine's lengths depend on what it rendered before
        # (SpeechLengths.fresh False), the texts measured together are, as they always
        # were, those a fit by estimates alone asks for.
        missing: list[str] = []
        steps = plan_steps(routine, level, fitted=True)  # the same for every fit below

        def at_hand(measure: LengthFn) -> LengthFn:
            def length(text: str) -> float:
                if lengths.known(text):
                    return measure(text)
                missing.append(text)
                if len(missing) % TEXTS_PER_HELPER == 1:  # start what measuring them takes
                    lengths.warm(len(missing))
                return estimate(text, lengths.rate)

            return length

        def fitted(length: LengthFn, count_length: LengthFn) -> Plan:
            return compile_plan(
                routine,
                level,
                length=length,
                countdown=config.countdown,
                detail=config.voice_detail,
                closing_sound=closing_sound,
                count_length=count_length,
                steps=steps,
            )

        plan = fitted(at_hand(lengths), at_hand(lengths.count_words))
        if missing and lengths.fresh:
            lengths.prefetch(missing)
            plan = fitted(lengths, lengths.count_words)
        elif missing:
            asked: list[str] = []

            def guess(text: str) -> float:
                asked.append(text)
                return estimate(text, lengths.rate)

            compile_plan(
                routine,
                level,
                length=guess,
                countdown=config.countdown,
                detail=config.voice_detail,
                steps=steps,
            )
            lengths.prefetch(asked)
            plan = fitted(lengths, lengths.count_words)
    finally:
        if own:
            lengths.close()
        else:
            lengths.save()
    return dataclasses.replace(
        plan, speech=dataclasses.replace(lengths.speech, detail=config.voice_detail)
    )


def settings(notes: list[str] | None = None) -> Config:
    """The user's settings; problems in config.toml go to ``notes`` (defaults are used)."""
    config, warnings = load_config()
    if notes is not None:
        notes.extend(warnings)
    return config


#: Routines whose levels :func:`level_changes` has just worked out in this process, with the
#: levels their next session runs at (step-downs stored; step-ups added by
#: :func:`accept_levels` once stored): the next :func:`resolve_level` of one takes them as
#: they are, without opening the history to work them out again. Each is used once.
_REVIEWED: dict[tuple[str, str], dict[int, Any]] = {}


def _review_key(entry: Entry, data_dir: Path | None) -> tuple[str, str]:
    return (str(entry.path), str(data_dir))


class _PlanAhead:
    """The plan of a session at ``level`` with ``config``, compiled in a thread of its own
    while the person reads the level offer (see :func:`plan_ahead`)."""

    def __init__(self, entry: Entry, level: dict[int, Any], config: Config) -> None:
        self.entry, self.level, self.config = entry, dict(level), config
        self.plan: Plan | None = None
        self._done = threading.Event()
        threading.Thread(target=self._compile, name="plan-ahead", daemon=True).start()

    def _compile(self) -> None:
        try:
            assert self.entry.routine is not None
            routine = with_config_defaults(self.entry.routine, self.config)
            self.plan = speech_plan(routine, self.level, self.config)
        except Exception:  # the session compiles it itself, and says what is wrong
            self.plan = None
        finally:
            self._done.set()

    def plan_for(self, entry: Entry, level: Any, config: Config) -> Plan | None:
        """The plan, once compiled, if it is the one asked for (else None). Waited for even
        when it is not: the plan compiled instead then finds the speech lengths it measured
        in their cache, rather than measuring the same texts beside it."""
        self._done.wait()
        # The same settings (equal: the app makes its voice-off copy at each use).
        if entry is not self.entry or config != self.config or level != self.level:
            return None
        return self.plan


#: The plan compiled ahead for the next session of a routine (see :func:`plan_ahead`).
_AHEAD: dict[tuple[str, str], _PlanAhead] = {}


def plan_ahead(entry: Entry, changes: list[Any], config: Config, data_dir: Path | None) -> None:
    """While the level offer is read: compile, in a thread, the plan of the session at the
    levels it starts with if every step-up offered is taken (the offer's default), for
    ``config`` (the settings the session runs with). :func:`prepare` takes it when the
    levels are those; others are compiled then, as without it. Call after
    :func:`level_changes`."""
    key = _review_key(entry, data_dir)
    levels = _REVIEWED.get(key)
    if levels is None or entry.routine is None:
        return
    taken = dict(levels)
    for change in changes:
        if change.change == "up":
            taken[change.exercise_index] = change.new
    _AHEAD[key] = _PlanAhead(entry, taken, config)


def forget_offer(entry: Entry, data_dir: Path | None) -> None:
    """The level offer was closed without a start: what :func:`level_changes` and
    :func:`plan_ahead` kept for the session it would have started is let go (the next start
    works the levels out again from the history, as it may have changed by then)."""
    key = _review_key(entry, data_dir)
    _REVIEWED.pop(key, None)
    _AHEAD.pop(key, None)


def resolve_level(
    entry: Entry, level: str, data_dir: Path | None, notes: list[str], sessions_needed: int
) -> Any:
    """``low``/``high`` as they are; ``current``: the levels stored in the history (with
    the ``progression_sessions`` setting, ``sessions_needed``, as the level offer)."""
    if level != "current":
        return level

    reviewed = _REVIEWED.pop(_review_key(entry, data_dir), None)
    if reviewed is not None:
        return reviewed
    fixed = fixed_levels(entry)
    if fixed is not None:  # no range: the history has nothing to say
        return fixed
    try:
        db = open_history(data_dir, create=False)
    except HistoryUnavailable as exc:
        notes.append(f"{exc.message} (using the low end of every range)")
        return "low"
    try:
        return current_levels(db, entry, sessions_needed)
    finally:
        db.close()


def prepare(
    entry: Entry,
    *,
    level: Any = "low",
    config: Config | None = None,
    data_dir: Path | None = None,
    clock: Clock = time.monotonic,
    resume: Any = None,
    record: bool = True,
    hold_history: bool = False,
) -> Launch:
    """A run of ``entry`` (or, with ``resume``, the rest of an interrupted session).
    ``hold_history``: the recorder writes nothing until its ``release()`` (the app releases
    it once the session's first frame is on the screen); its ``flush`` and ``close``
    release it too."""
    held = _HELD.pop(_review_key(entry, data_dir), None)  # see _hold_open
    try:
        return _prepare(entry, level, config, data_dir, clock, resume, record, hold_history)
    finally:
        if held is not None:  # the recorder's own connection is open now
            held.close()


def _prepare(
    entry: Entry,
    level: Any,
    config: Config | None,
    data_dir: Path | None,
    clock: Clock,
    resume: Any,
    record: bool,
    hold_history: bool = False,
) -> Launch:
    notes: list[str] = []
    if config is None:
        config = settings(notes)
    if resume is not None:
        entry, level = resume.entry, resume.level
    assert entry.routine is not None, "only valid routines are run"
    if isinstance(level, str):
        level = resolve_level(entry, level, data_dir, notes, config.progression_sessions)
    routine = with_config_defaults(entry.routine, config)
    ahead = _AHEAD.pop(_review_key(entry, data_dir), None)
    plan = ahead.plan_for(entry, level, config) if ahead is not None else None
    if plan is None:
        plan = speech_plan(routine, level, config)
    start_index = 0
    if resume is not None:
        # Settings can change the plan's shape (a rest of 0 leaves steps out): resume on the
        # plan the stored step was checked against unless this one has it at the same place.
        start_index = resume.step_index
        if start_index >= len(plan.steps) or step_identity(plan.steps[start_index]) != resume.step:
            plan = resume.plan
    launch = Launch(entry, routine, plan, level, start_index, resume=resume, notes=notes)
    if record:
        launch.recorder = start_recorder(
            entry, plan, level, data_dir=data_dir, resume=resume, clock=clock, hold=hold_history
        )
        notes.extend(getattr(launch.recorder, "notes", ()))
        problem = getattr(launch.recorder, "problem", None)
        if problem:
            notes.append(f"History is off for this session: {problem}")
    return launch


def level_changes(entry: Entry, config: Config, data_dir: Path | None) -> list[Any]:
    """Before a session at the current level: steps down after pain (already stored) and
    steps up to offer, from the history. None when the history cannot be opened:
    ``prepare`` tells the user that history is off. A routine without a range has none:
    the history is not opened."""
    fixed = fixed_levels(entry)
    if fixed is not None:
        _REVIEWED[_review_key(entry, data_dir)] = fixed  # resolve_level takes them as they are
        return []
    try:
        db = open_history(data_dir)
    except HistoryUnavailable:
        return []
    try:
        levels, changes = review(db, entry, config.progression_sessions)
    except HistoryUnavailable:
        return []
    finally:
        db.close()
    _REVIEWED[_review_key(entry, data_dir)] = levels
    return changes


def accept_levels(entry: Entry, accepted: list[Any], data_dir: Path | None) -> str | None:
    """Store accepted steps up; returns a message for the user if they could not be."""
    if not accepted:
        return None

    try:
        db = open_history(data_dir)
    except HistoryUnavailable as exc:
        return f"The new level could not be stored: {exc.message}"
    try:
        accept_all(db, entry, accepted)  # one transaction: one write to the disk
    except HistoryUnavailable as exc:
        db.close()
        return f"The new level could not be stored: {exc.message}"
    except BaseException:  # not kept open for a session that will not start
        db.close()
        raise
    _hold_open(_review_key(entry, data_dir), db)
    levels = _REVIEWED.get(_review_key(entry, data_dir))
    if levels is not None:  # the session runs at what is stored now
        for change in accepted:
            levels[change.exercise_index] = change.new
    return None


#: A history just written to before a session starts, kept open until the session's
#: recorder has opened it (see _hold_open).
_HELD: dict[tuple[str, str], Any] = {}


def _hold_open(key: tuple[str, str], db: Any) -> None:
    """Keep ``db`` open until :func:`prepare` has started the session's recorder: closing
    the last connection to a history checkpoints its write-ahead file into it, with a sync
    to the disk (20 ms, between the Start key and the session), which the recorder's
    connection, open by then, leaves to its own close at the session's end."""
    old = _HELD.pop(key, None)
    if old is not None:
        old.close()
    _HELD[key] = db


def find_resume(
    entry: Entry | None,
    data_dir: Path | None,
    *,
    config: Config | None = None,
    notes: list[str] | None = None,
) -> Any:
    """An interrupted session of the last 24 hours to offer (of ``entry``'s file, if given).

    Its plan is compiled the way ``run`` compiles one (the settings' defaults filled in), so
    that the stored step is compared with like; when it cannot be resumed, ``notes`` gets why.
    """

    if config is None:
        config = settings()
    # A session kept in a journal (not written in time) may be the one to resume: add it.
    added = merge_pending(data_dir)
    if notes is not None:
        notes.extend(added)
    try:
        db = open_history(data_dir, create=False)
    except HistoryUnavailable:
        return None
    reasons: list[str] = []
    try:
        found = find_resumable(
            db,
            prepare=lambda routine: with_config_defaults(routine, config),
            plan_for=lambda routine, level: speech_plan(routine, level, config),
            reasons=reasons,
        )
        if found is not None and db.path is not None:
            # Some of its records still wait in a journal (the history was busy just now: a
            # pain stop kept there, say): its row is not what it recorded, not to resume.
            with db.reading() as conn:
                waiting = unmerged_sessions(conn, db.path).get(found.session_id)
            if waiting is not None:
                if notes is not None:
                    notes.append(
                        f"the last session is not offered to resume: some of its records "
                        f"still wait in {waiting} to be added to the history"
                    )
                return None
    except HistoryUnavailable:
        return None
    finally:
        db.close()
    if found is None:
        if notes is not None and reasons:
            matching = entry is None or any(_mentions(reason, entry) for reason in reasons)
            if matching:
                notes.extend(reasons)
        return None
    if entry is not None and _same_file(entry.path, found.path) is False:
        return None
    return found


def _mentions(reason: str, entry: Entry) -> bool:
    return entry.routine is not None and entry.routine.name in reason


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def describe_place(
    exercise: str,
    side: str | None,
    set_no: int,
    rep: int,
    sets: int = 0,
    reps: int = 0,
    *,
    own: Exercise | None = None,
) -> str:
    """ "Knee to chest, right side, set 1 of 2, rep 2 of 3" (the counts when known); the
    side in ``own``'s side words where it has them ("right leg on top"), as the voice says."""
    parts = [exercise]
    if side:
        parts.append(side_words(own, side))
    parts.append(f"set {set_no} of {sets}" if sets else f"set {set_no}")
    parts.append(f"rep {rep} of {reps}" if reps else f"rep {rep}")
    return ", ".join(parts)


def _exercise_at(routine: Routine | None, index: Any, name: Any) -> Exercise | None:
    """The routine's exercise at ``index`` if it is the one named ``name`` (else None)."""
    if routine is None or not isinstance(index, int) or not 0 <= index < len(routine.exercises):
        return None
    exercise = routine.exercises[index]
    return exercise if exercise.name == name else None


def describe_resume(found: Any) -> str:
    """Where a stored interrupted session stopped: "Knee to chest, right side, set 1, rep 2"."""
    step = found.step
    entry = getattr(found, "entry", None)
    own = _exercise_at(
        getattr(entry, "routine", None), step.get("exercise_index"), step.get("exercise")
    )
    return describe_place(
        str(step.get("exercise", "?")),
        step.get("side"),
        step.get("set", 1),
        step.get("rep", 1),
        own=own,
    )


def resume_prompt(step: Any, exercise: Exercise | None = None) -> str:
    """What a resumed session says before its clock runs: where, and to get ready."""
    where = describe_place(
        step.exercise, step.side, step.set, step.rep, step.sets, step.reps, own=exercise
    )
    return f"Resuming at {where}. Get into position."
