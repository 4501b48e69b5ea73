"""Current levels: where each exercise with ranges is, per routine, stored in the history.

A routine's ranges ("hold 10-30s", "reps 2-3") are its prescription; the *current level*
(:class:`~backtimer.core.routine.LevelChoice`) is where in them the user is. It is kept per
routine (its key, the file stem) and exercise (its index *and* name: an exercise renamed or
moved in the file starts again at the low end instead of inheriting another's level), in the
``levels`` table, and starts at the low end.

The rules are :mod:`backtimer.core.progression`'s (pure); this module feeds them what the history
says: for each exercise, the past sessions of the routine in which it was planned (oldest
first), whether every planned hold or rep of it was done, whether a pain stop happened on
it, and the level the session ran at (the session row's ``level``: ``low``, ``high`` or the
JSON of the per-exercise levels the recorder was given).

- :func:`current_levels`: the levels the next session uses (read only). A pain step-down
  not stored yet is included, so the picker and ``plan --level current`` show what will run.
- :func:`review_levels`: at the start of a session, what changes: a pain step-down is
  stored at once and reported (``change="down"``); a step-up is only offered
  (``change="up"``) and stored by :func:`accept` if the user takes it. :func:`review`
  gives the next session's levels with it, so the session does not work them out again.
- :func:`store_hold_level`: a hold changed during a session and kept ("keep changes") for
  an exercise whose hold is a range becomes that exercise's current hold.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from backtimer.core.progression import (
    DEFAULT_SESSIONS,
    ExerciseOutcome,
    clamp_level,
    describe_change,
    has_ranges,
    high_level,
    next_level,
    routine_has_ranges,
)
from backtimer.core.routine import LevelChoice, Routine, Settings
from backtimer.files.catalog import Entry
from backtimer.history.db import STATUS_SQL, WORK_SQL, HistoryDB, guard, storable
from backtimer.history.queries import parse_level
from backtimer.history.recorder import local_now, utc_iso

#: Past sessions read per routine at most: more than any run of sessions the rules look at
#: (``progression_sessions`` is at most 100), so years of history cost the same as a week.
SESSIONS_READ = 200
#: Past sessions read per routine to decide its levels (at least ``progression_sessions``
#: + 1): a run of clean sessions longer than that is said as "after 10 or more sessions".
#: A 200-exercise routine: 2,000 outcomes read, not 40,000.
SESSIONS_LOOKED_AT = 10
#: Routines asked for in one query (SQLite allows 32,766 parameters; older builds 999).
_KEYS_AT_ONCE = 500


@dataclass(frozen=True)
class LevelChange:
    """A change of one exercise's level for the next session, in words for the user."""

    exercise_index: int
    exercise: str  # the exercise's name
    change: Literal["up", "down"]
    old: LevelChoice
    new: LevelChoice
    what: str  # "hold 10s -> 15s", "12 reps -> 10 reps"
    why: str  # "after 3 sessions without pain", "after a pain stop in the last session"

    @property
    def text(self) -> str:
        """ "Knee to chest: hold 10s -> 15s, after 3 sessions without pain" """
        return f"{self.exercise}: {self.what}, {self.why}"


# ------------------------------------------------------------------------ reading


def _level_at(settings: Settings, stored: object, index: int) -> LevelChoice:
    """The level exercise ``index`` ran at in a session whose ``level`` column was read."""
    if stored == "high":
        return high_level(settings)
    if isinstance(stored, Mapping):
        return clamp_level(settings, stored.get(index))
    return clamp_level(settings, None)  # "low", or anything unreadable


def _finite(value: float | None) -> float | None:
    """A stored number, or None (also for a damaged value: text where a number belongs)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def stored_levels(db: HistoryDB, entry: Entry) -> dict[int, LevelChoice]:
    """The stored levels of ``entry``'s exercises, as stored (not clamped), by index; an
    exercise whose stored row names another exercise (renamed, reordered) is left out."""
    routine = entry.routine
    if routine is None:
        return {}
    with db.reading() as conn:
        rows = conn.execute(
            "SELECT exercise_index, exercise, hold, reps, sets FROM levels WHERE routine_key = ?",
            (storable(entry.key),),
        ).fetchall()
    return _stored_rows(entry, rows)


def _stored_rows(entry: Entry, rows: Iterable[Sequence[Any]]) -> dict[int, LevelChoice]:
    """:func:`stored_levels` from the rows of the ``levels`` table read for ``entry``."""
    routine = entry.routine
    assert routine is not None
    out: dict[int, LevelChoice] = {}
    for index, name, hold, reps, sets in rows:
        if not isinstance(index, int) or not 0 <= index < len(routine.exercises):
            continue  # another routine's layout, or a damaged value
        if routine.exercises[index].name == name:
            out[index] = LevelChoice(_finite(hold), _finite(reps), _finite(sets))
    return out


def _outcome_rows(
    conn: sqlite3.Connection, key: str, limit: int, only: Sequence[int] | None = None
) -> list[tuple]:
    """(session id, level text, exercise index, name, planned, done, pains), oldest first,
    for the latest ``limit`` finished sessions of the routine ``key`` (of the exercises
    ``only``, if given); a session without any has one row of NULLs after its level."""
    indexes = [int(index) for index in only] if only is not None else []
    which = f"AND w.exercise_index IN ({', '.join('?' * len(indexes))})" if only is not None else ""
    return conn.execute(
        f"""
        WITH chosen AS MATERIALIZED (
            SELECT s.id, s.level, s.started_at FROM sessions s
            WHERE s.routine_key = ? AND ({STATUS_SQL}) != 'running'
            ORDER BY s.started_at DESC, s.id DESC LIMIT ?
        )
        SELECT c.id, c.level, w.exercise_index, w.exercise, SUM(w.reps),
            (SELECT COUNT(*) FROM steps t WHERE t.session_id = c.id
               AND t.exercise_index = w.exercise_index AND t.exercise = w.exercise
               AND t.phase IN {WORK_SQL} AND t.status = 'done'),
            (SELECT COUNT(*) FROM pain_events p WHERE p.session_id = c.id
               AND p.exercise_index = w.exercise_index AND p.exercise = w.exercise)
        FROM chosen c LEFT JOIN planned_work w ON w.session_id = c.id {which}
        GROUP BY c.id, w.exercise_index, w.exercise
        ORDER BY c.started_at, c.id, w.exercise_index
        """,
        (key, int(limit), *indexes),
    ).fetchall()


def exercise_history(
    db: HistoryDB, entry: Entry, *, limit: int = SESSIONS_READ
) -> dict[int, list[ExerciseOutcome]]:
    """Per exercise of ``entry`` (with ranges): its outcomes in the routine's latest ``limit``
    past sessions, oldest first, each with the level it ran at. Sessions still running are
    left out."""
    return _exercise_history(db, entry, limit)[0]


def _exercise_history(
    db: HistoryDB,
    entry: Entry,
    limit: int,
    enough: int = 0,
    settings: Sequence[Settings] | None = None,
) -> tuple[dict[int, list[ExerciseOutcome]], set[int]]:
    """:func:`exercise_history` of the latest ``limit`` sessions; the exercises with fewer
    than ``enough`` outcomes there (left out of some sessions, or new) are read again, alone,
    over :data:`SESSIONS_READ` sessions. With the exercises whose read stopped before the
    routine's oldest session. ``settings``: the routine's, exercise by exercise, if known."""
    routine = entry.routine
    if routine is None:
        return {}, set()
    if settings is None:
        settings = _all_settings(routine)
    wanted = {index: each for index, each in enumerate(settings) if has_ranges(each)}
    out: dict[int, list[ExerciseOutcome]] = {index: [] for index in wanted}
    unread: set[int] = set()
    todo: list[int] | None = None  # all of them
    with db.reading() as conn:
        while wanted:
            # One session more than asked for: whether there are older ones than those used.
            rows = _outcome_rows(conn, storable(entry.key), limit + 1, todo)
            full = len({row[0] for row in rows}) > limit
            if full:
                oldest = rows[0][0]
                rows = [row for row in rows if row[0] != oldest]
            found = _outcomes(routine.exercises, wanted if todo is None else todo, wanted, rows)
            out.update(found)
            unread = (unread - set(found)) | (set(found) if full else set())
            todo = [index for index, o in found.items() if len(o) < enough]
            if not full or not todo or limit >= SESSIONS_READ:
                break
            limit = SESSIONS_READ
    return out, unread


def _outcomes(
    exercises: Sequence[Any],
    indexes: Iterable[int],
    wanted: Mapping[int, Settings],
    rows: Sequence[tuple],
) -> dict[int, list[ExerciseOutcome]]:
    """The outcomes of exercises ``indexes`` in ``rows`` (see :func:`_outcome_rows`)."""
    out: dict[int, list[ExerciseOutcome]] = {index: [] for index in indexes}
    # Sessions at a handful of levels: each level is read and clamped once, and equal
    # levels are the same object. The outcomes are frozen and few differ (done or not, pain
    # or not, a handful of levels): equal ones are the same object, made once.
    parsed: dict[str, object] = {}
    at: dict[tuple[str, int], LevelChoice] = {}
    made: dict[tuple[bool, bool, int], ExerciseOutcome] = {}
    names = {index: exercises[index].name for index in wanted}
    for _session_id, level_text, index, name, planned, done, pains in rows:
        if index not in out or names[index] != name:
            continue
        settings = wanted[index]
        key = (level_text, index)
        level = at.get(key)
        if level is None:
            if level_text not in parsed:
                parsed[level_text] = parse_level(level_text)
            level = at[key] = _level_at(settings, parsed[level_text], index)
        completed, pain = planned > 0 and done >= planned, pains > 0
        outcome = made.get((completed, pain, id(level)))
        if outcome is None:
            outcome = made[(completed, pain, id(level))] = ExerciseOutcome(completed, pain, level)
        out[index].append(outcome)
    return out


def _run(level: LevelChoice, settings: Settings, history: Sequence[ExerciseOutcome]) -> int:
    """Sessions in a row, most recent last, completed without pain at ``level``."""
    run = 0
    here: dict[int, bool] = {}  # by id: outcomes share their level objects
    for outcome in reversed(history):
        key = id(outcome.level)
        if key not in here:
            here[key] = clamp_level(settings, outcome.level) == level
        if not here[key] or outcome.pain or not outcome.completed:
            break
        run += 1
    return run


def _all_settings(routine: Routine) -> list[Settings]:
    """Each exercise's settings (the routine's defaults applied), by index."""
    return [routine.settings(index) for index in range(len(routine.exercises))]


def _clamped(
    every: Sequence[Settings], stored: Mapping[int, LevelChoice]
) -> dict[int, LevelChoice]:
    """Each exercise's stored level (``every``: their settings) clamped into its current
    ranges, or the low end where none is stored."""
    return {index: clamp_level(each, stored.get(index)) for index, each in enumerate(every)}


def _decide(
    db: HistoryDB, entry: Entry, sessions_needed: int
) -> tuple[dict[int, LevelChoice], list[LevelChange]]:
    """The stored levels (clamped) and the changes the rules make to them."""
    routine = entry.routine
    assert routine is not None
    every = _all_settings(routine)
    current = _clamped(every, stored_levels(db, entry))
    # The rules look at the latest sessions_needed outcomes of each exercise: those are read
    # (a year of history costs what a fortnight does), and more only for an exercise left
    # out of some of them.
    history, unread = _exercise_history(
        db, entry, max(SESSIONS_LOOKED_AT, sessions_needed + 1), sessions_needed, every
    )
    changes: list[LevelChange] = []
    for index, outcomes in history.items():
        settings = every[index]
        decision = next_level(settings, current[index], outcomes, sessions_needed)
        if decision.change == "none":
            continue
        if decision.change == "down":
            why = "after a pain stop in the last session"
        else:
            run = _run(current[index], settings, outcomes)
            # A run back to the oldest session read may go on before it.
            more = " or more" if index in unread and run == len(outcomes) else ""
            why = f"after {run}{more} session{'s' if run != 1 else ''} in a row without pain"
        changes.append(
            LevelChange(
                exercise_index=index,
                exercise=routine.exercises[index].name,
                change=decision.change,
                old=current[index],
                new=decision.level,
                what=describe_change(settings, current[index], decision.level),
                why=why,
            )
        )
    return current, changes


# ------------------------------------------------------------------------ the API


def fixed_levels(entry: Entry) -> dict[int, LevelChoice] | None:
    """The levels of a routine without a range (each exercise's empty choice: nothing in it
    can step up or down, whatever the history says), worked out without reading the
    history; None for a routine with ranges (their levels are in the history)."""
    routine = entry.routine
    if routine is None or routine_has_ranges(routine):
        return None
    return _clamped(_all_settings(routine), {})


def current_levels(db: HistoryDB, entry: Entry, sessions_needed: int) -> dict[int, LevelChoice]:
    """Every exercise's level for the next session (read only), by index: the stored level
    clamped into the routine's current ranges, or the low end; with a pain step-down from
    the last session applied even before :func:`review_levels` stores it. Exercises without
    ranges get an empty :class:`LevelChoice`. Pass it as ``level`` to ``compile_plan``.

    ``sessions_needed``: the ``progression_sessions`` setting, as :func:`review` is given it
    at the start of a session (the picker, ``plan --level current`` and ``run`` say the same).

    Raises :class:`~backtimer.history.db.HistoryUnavailable` if the history cannot be read.
    """
    routine = entry.routine
    if routine is None:
        return {}
    current, changes = _decide(db, entry, sessions_needed)
    for change in changes:
        if change.change == "down":
            current[change.exercise_index] = change.new
    return current


def current_levels_of(
    db: HistoryDB, entries: Sequence[Entry], sessions_needed: int
) -> list[dict[int, LevelChoice]]:
    """:func:`current_levels` of each of ``entries`` (the picker's routines), in one read
    for them all: the stored levels of every routine in one query, and which routines had
    a pain stop in a finished session in another; only those (a pain step-down may be due)
    are looked at further, one by one. Raises HistoryUnavailable."""
    if sessions_needed < 1:
        raise ValueError("sessions_needed must be at least 1")
    keys = sorted({storable(entry.key) for entry in entries if entry.routine is not None})
    stored: dict[str, list[tuple]] = {key: [] for key in keys}
    pained: set[str] = set()
    with db.reading() as conn:
        for start in range(0, len(keys), _KEYS_AT_ONCE):
            chunk = keys[start : start + _KEYS_AT_ONCE]
            marks = ", ".join("?" * len(chunk))
            for row in conn.execute(
                "SELECT routine_key, exercise_index, exercise, hold, reps, sets FROM levels "
                f"WHERE routine_key IN ({marks})",
                chunk,
            ):
                stored[row[0]].append(row[1:])
            pained.update(
                key
                for (key,) in conn.execute(
                    f"SELECT DISTINCT s.routine_key FROM sessions s WHERE s.routine_key IN "
                    f"({marks}) AND ({STATUS_SQL}) != 'running' AND EXISTS "
                    "(SELECT 1 FROM pain_events p WHERE p.session_id = s.id)",
                    chunk,
                )
            )
    out: list[dict[int, LevelChoice]] = []
    for entry in entries:
        routine = entry.routine
        if routine is None:
            out.append({})
        elif storable(entry.key) in pained:
            out.append(current_levels(db, entry, sessions_needed))
        else:  # no pain stop ever: no step-down; the stored levels, clamped
            every = _all_settings(routine)
            out.append(_clamped(every, _stored_rows(entry, stored[storable(entry.key)])))
    return out


def review(
    db: HistoryDB, entry: Entry, sessions_needed: int = DEFAULT_SESSIONS
) -> tuple[dict[int, LevelChoice], list[LevelChange]]:
    """:func:`review_levels`, with the levels the next session runs at unless a step-up is
    taken (every exercise's, by index: :func:`current_levels` once the step-downs are
    stored). Add the accepted step-ups to them (``change.new``) once :func:`accept_all`
    stored them: the session's levels, without reading the history again."""
    if entry.routine is None:
        return {}, []
    current, changes = _decide(db, entry, sessions_needed)
    downs = [(change.exercise_index, change.new) for change in changes if change.change == "down"]
    _store_many(db, entry, downs)
    for index, level in downs:
        current[index] = level
    return current, changes


def review_levels(
    db: HistoryDB, entry: Entry, sessions_needed: int = DEFAULT_SESSIONS
) -> list[LevelChange]:
    """What changes for the next session of ``entry``, exercise by exercise.

    A pain step-down (``change="down"``) is stored here (it applies whatever the user
    says; show it to them); a step-up (``change="up"``) is only offered: store it with
    :func:`accept`. Asking again gives the same step-ups and no step-down twice. Needs a
    history opened for writing (``open_history(data_dir)``) when there may be a step-down;
    raises :class:`~backtimer.history.db.HistoryUnavailable` if it cannot be read or written.
    """
    return review(db, entry, sessions_needed)[1]


def accept(db: HistoryDB, entry: Entry, change: LevelChange) -> None:
    """Store an accepted change (a step-up the user took). Raises HistoryUnavailable."""
    _store(db, entry, change.exercise_index, change.new)


def accept_all(db: HistoryDB, entry: Entry, changes: Sequence[LevelChange]) -> None:
    """Store accepted changes in one transaction (one write to the disk, not one each: 200
    step-ups took a third of a second). Raises HistoryUnavailable; then none is stored."""
    _store_many(db, entry, [(change.exercise_index, change.new) for change in changes])


def store_level(db: HistoryDB, entry: Entry, index: int, level: LevelChoice) -> LevelChoice:
    """Store exercise ``index``'s level (clamped into its ranges); returns what was stored."""
    routine = entry.routine
    if routine is None or not 0 <= index < len(routine.exercises):
        raise ValueError(f"no exercise number {index + 1} in {entry.key}")
    clamped = clamp_level(routine.settings(index), level)
    _store(db, entry, index, clamped)
    return clamped


def store_hold_level(
    db: HistoryDB, entry: Entry, index: int, hold: float, sessions_needed: int
) -> LevelChoice:
    """A hold kept from a session (``KeepResult.hold_levels``: seconds, or breaths) becomes
    exercise ``index``'s current hold; its reps and sets stay where they are (their current
    level: ``sessions_needed`` as for :func:`current_levels`)."""
    current = current_levels(db, entry, sessions_needed).get(index, LevelChoice())
    level = LevelChoice(hold=hold, reps=current.reps, sets=current.sets)
    return store_level(db, entry, index, level)


def _store(db: HistoryDB, entry: Entry, index: int, level: LevelChoice) -> None:
    _store_many(db, entry, [(index, level)])


def _store_many(db: HistoryDB, entry: Entry, levels: Sequence[tuple[int, LevelChoice]]) -> None:
    assert entry.routine is not None
    if not levels:
        return
    exercises = entry.routine.exercises
    now = utc_iso(local_now())
    rows = [
        (storable(entry.key), index, exercises[index].name, level.hold, level.reps, level.sets, now)
        for index, level in levels
    ]
    with guard(db.label):
        conn = db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO levels (routine_key, exercise_index, exercise, hold, reps, sets, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (routine_key, exercise_index) DO UPDATE SET "
                "exercise = excluded.exercise, hold = excluded.hold, reps = excluded.reps, "
                "sets = excluded.sets, updated_at = excluded.updated_at",
                rows,
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
