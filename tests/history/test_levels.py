"""Current levels stored in the history: progression over synthetic histories.

Sessions are written straight into the history's tables (the shape the recorder writes:
a session row with its level, planned work, steps done, pain events), so each table row
below is one history; one test runs real sessions through the recorder end to end.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from history_driver import record_session

from backtimer.core.plan import compile_plan
from backtimer.core.progression import DEFAULT_SESSIONS, describe_level
from backtimer.core.routine import LevelChoice
from backtimer.files.catalog import Entry, load_entry
from backtimer.history import open_history
from backtimer.history.db import HistoryDB, storable
from backtimer.history.levels import (
    SESSIONS_LOOKED_AT,
    LevelChange,
    accept,
    accept_all,
    current_levels,
    current_levels_of,
    exercise_history,
    review_levels,
    store_hold_level,
    store_level,
)
from backtimer.history.recorder import level_text, utc_iso

ROUTINE = """\
name = "Levels"
[defaults]
rest = 1
get_ready = 1
transition = 1
[[exercises]]
name = "Knee to chest"
hold = "10-30s"
reps = 2
[[exercises]]
name = "Bridges"
tempo = { lift = 1, lower = 1 }
reps = "10-12"
sets = "1-2"
[[exercises]]
name = "Fixed"
hold = "20s"
[[exercises]]
name = "Breaths"
hold = "5-6 breaths"
"""

FIXED_ONLY = """\
name = "No ranges"
[[exercises]]
name = "Knee to chest"
hold = "30s"
reps = 2
"""

KNEE, BRIDGES, FIXED, BREATHS = range(4)
START = datetime(2024, 5, 1, 7, 30, tzinfo=timezone(timedelta(hours=1)))
_clock = itertools.count()


def L(hold: float | None = None, reps: float | None = None, sets: float | None = None):
    return LevelChoice(hold=hold, reps=reps, sets=sets)


def write(folder: Path, text: str = ROUTINE, key: str = "levels") -> Entry:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key}.toml"
    path.write_text(text, encoding="utf-8")
    entry = load_entry(path, "user")
    assert entry.routine is not None, entry.problems
    return entry


@pytest.fixture
def entry(tmp_path: Path) -> Entry:
    return write(tmp_path / "routines")


@pytest.fixture
def db(tmp_path: Path):
    with open_history(tmp_path / "data") as opened:
        yield opened


def add_session(
    db: HistoryDB,
    entry: Entry,
    outcomes: dict[int, str] | None = None,
    *,
    level: object = "low",
    status: str | None = None,
) -> int:
    """One finished session of ``entry`` at ``level``: per exercise index, "ok" (every rep
    done, the default), "pain" (every rep done, a pain stop on it), "skip" (one rep skipped)
    or "absent" (not planned, as if the exercise was not in the file then)."""
    assert entry.routine is not None
    outcomes = outcomes or {}
    plan = compile_plan(entry.routine, level)  # type: ignore[arg-type]
    started = utc_iso(START + timedelta(minutes=next(_clock)))
    conn = db.conn
    conn.execute("BEGIN")
    sid = conn.execute(
        "INSERT INTO sessions (routine, routine_key, origin, path, sha256, level, started_at, "
        "day, utc_offset, status, plan_steps) VALUES (?, ?, 'user', ?, '', ?, ?, ?, 3600, ?, ?)",
        (
            entry.routine.name,
            storable(entry.key),  # as the recorder writes it
            storable(str(entry.path)),
            level_text(level),
            started,
            started[:10],
            status or ("pain_stopped" if "pain" in outcomes.values() else "completed"),
            len(plan.steps),
        ),
    ).lastrowid
    planned: dict[tuple[int, str, str | None], int] = {}
    skipped: set[int] = set()
    for step in plan.steps:
        kind = outcomes.get(step.exercise_index, "ok")
        if not step.is_work or kind == "absent":
            continue
        key = (step.exercise_index, step.exercise, step.side)
        planned[key] = planned.get(key, 0) + 1
        status_ = "done"
        if kind == "skip" and step.exercise_index not in skipped:
            skipped.add(step.exercise_index)
            status_ = "skipped"
        conn.execute(
            "INSERT INTO steps (session_id, step_index, phase, exercise_index, exercise, side, "
            "set_no, rep, planned_seconds, actual_seconds, status, started_at, ended_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, step.index, step.phase, step.exercise_index, step.exercise, step.side,
             step.set, step.rep, step.seconds, step.seconds or 0, status_, started, started),
        )  # fmt: skip
    for (index, name, side), reps in planned.items():
        conn.execute(
            "INSERT INTO planned_work VALUES (?, ?, ?, ?, ?)", (sid, index, name, side, reps)
        )
    for index, kind in outcomes.items():
        if kind == "pain":
            step = next(s for s in plan.steps if s.exercise_index == index and s.is_work)
            conn.execute(
                "INSERT INTO pain_events (session_id, step_index, phase, exercise_index, "
                "exercise, side, set_no, rep, session_second, at) "
                "VALUES (?, ?, ?, ?, ?, ?, 1, 1, 12.0, ?)",
                (sid, step.index, step.phase, index, step.exercise, step.side, started),
            )
    conn.execute("COMMIT")
    return sid


def changes_by_index(changes: list[LevelChange]) -> dict[int, LevelChange]:
    return {c.exercise_index: c for c in changes}


# ------------------------------------------------------------------------ table tests

OK, PAIN, SKIP = "ok", "pain", "skip"


@pytest.mark.parametrize(
    ("stored", "history", "change", "new"),
    [
        # three sessions without pain at the current level: a step up is offered
        (None, [OK, OK, OK], "up", L(15)),
        # two are not enough
        (None, [OK, OK], None, L(10)),
        # a pain stop on the exercise steps it down for the next session
        (L(20), [OK, OK, PAIN], "down", L(15)),
        # ... but never below the low end
        (L(10), [PAIN], None, L(10)),
        # a skipped rep breaks the run without stepping down
        (None, [OK, OK, SKIP], None, L(10)),
        (None, [SKIP, OK, OK, OK], "up", L(15)),
        # pain earlier in the run, then three clean sessions: up again
        (None, [PAIN, OK, OK, OK], "up", L(15)),
        # at the top of the range: nothing more to offer
        (L(30), [OK, OK, OK], None, L(30)),
    ],
)
def test_the_rules_over_synthetic_histories(db, entry, stored, history, change, new) -> None:
    if stored is not None:
        store_level(db, entry, KNEE, stored)
    level = current_levels(db, entry, DEFAULT_SESSIONS)
    for outcome in history:
        add_session(db, entry, {KNEE: outcome}, level=level)
    changes = changes_by_index(review_levels(db, entry))
    if change is None:
        assert KNEE not in changes
    else:
        assert changes[KNEE].change == change
        assert changes[KNEE].new == new
    after = current_levels(db, entry, DEFAULT_SESSIONS)[KNEE]
    # A step down is stored at once; a step up only once accepted.
    assert after == (new if change == "down" else (stored or L(10)))


def test_accepting_many_step_ups_is_one_transaction(db, entry) -> None:
    """Every accepted step-up is stored, with one commit (one write to the disk) for all."""
    for _ in range(3):
        add_session(db, entry, level=current_levels(db, entry, DEFAULT_SESSIONS))
    changes = review_levels(db, entry)
    assert len(changes) == 3
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        accept_all(db, entry, changes)
    finally:
        db.conn.set_trace_callback(None)
    assert sum(s.strip().upper() == "COMMIT" for s in statements) == 1
    levels = current_levels(db, entry, DEFAULT_SESSIONS)
    assert {index: levels[index] for index in (KNEE, BRIDGES, BREATHS)} == {
        change.exercise_index: change.new for change in changes
    }
    accept_all(db, entry, [])  # nothing to store: no transaction at all


def test_three_clean_sessions_offer_a_step_up_that_is_stored_only_when_accepted(db, entry):
    for _ in range(3):
        add_session(db, entry, level=current_levels(db, entry, DEFAULT_SESSIONS))
    changes = changes_by_index(review_levels(db, entry))
    # Every exercise with ranges, each by one step in its own order (hold first).
    assert set(changes) == {KNEE, BRIDGES, BREATHS}
    knee = changes[KNEE]
    assert (knee.change, knee.old, knee.new) == ("up", L(10), L(15))
    assert knee.text == "Knee to chest: hold 10s -> 15s, after 3 sessions in a row without pain"
    assert changes[BRIDGES].new == L(reps=11, sets=1)
    assert changes[BRIDGES].what == "10 reps -> 11 reps"
    assert changes[BREATHS].what == "hold 5 breaths -> 6 breaths"
    # Not stored: asking again offers the same, and the next session still runs low.
    assert review_levels(db, entry) == list(changes.values())
    assert current_levels(db, entry, DEFAULT_SESSIONS)[KNEE] == L(10)

    accept(db, entry, knee)
    assert current_levels(db, entry, DEFAULT_SESSIONS)[KNEE] == L(15)
    # The sessions at 10 s no longer count at 15 s: no further offer for it.
    assert KNEE not in changes_by_index(review_levels(db, entry))
    # Three more at 15 s: the next step.
    for _ in range(3):
        add_session(db, entry, level=current_levels(db, entry, DEFAULT_SESSIONS))
    assert changes_by_index(review_levels(db, entry))[KNEE].new == L(20)


def test_the_number_of_sessions_is_a_setting(db, entry) -> None:
    add_session(db, entry, level=current_levels(db, entry, DEFAULT_SESSIONS))
    assert review_levels(db, entry) == []
    assert KNEE in changes_by_index(review_levels(db, entry, sessions_needed=1))
    with pytest.raises(ValueError):
        review_levels(db, entry, sessions_needed=0)


def test_pain_steps_down_once_and_the_user_is_told(db, entry) -> None:
    store_level(db, entry, BRIDGES, L(reps=12, sets=2))
    add_session(db, entry, {BRIDGES: PAIN}, level=current_levels(db, entry, DEFAULT_SESSIONS))
    # Before the review stores it, the level the next session uses already includes it.
    assert current_levels(db, entry, DEFAULT_SESSIONS)[BRIDGES] == L(reps=12, sets=1)
    changes = review_levels(db, entry)
    assert [(c.exercise_index, c.change) for c in changes] == [(BRIDGES, "down")]
    # Down is the reverse of up: the sets go first.
    assert changes[0].text == "Bridges: 2 sets -> 1 set, after a pain stop in the last session"
    assert current_levels(db, entry, DEFAULT_SESSIONS)[BRIDGES] == L(reps=12, sets=1)
    # Stored: asking again does not step down a second time.
    assert review_levels(db, entry) == []
    assert current_levels(db, entry, DEFAULT_SESSIONS)[BRIDGES] == L(reps=12, sets=1)
    # The next session has pain again: one more step (reps now).
    add_session(db, entry, {BRIDGES: PAIN}, level=current_levels(db, entry, DEFAULT_SESSIONS))
    assert changes_by_index(review_levels(db, entry))[BRIDGES].what == "12 reps -> 11 reps"


def test_pain_on_one_exercise_leaves_the_others_alone(db, entry) -> None:
    for outcome in (OK, OK, PAIN):
        add_session(db, entry, {KNEE: outcome}, level=current_levels(db, entry, DEFAULT_SESSIONS))
    changes = changes_by_index(review_levels(db, entry))
    assert KNEE not in changes  # already at the low end: nothing to step down
    assert changes[BRIDGES].change == "up"  # three clean sessions for the bridges


def test_levels_are_clamped_into_the_ranges(db, entry) -> None:
    assert store_level(db, entry, KNEE, L(45)) == L(30)
    assert store_level(db, entry, BRIDGES, L(reps=10.6, sets=0)) == L(reps=11, sets=1)
    assert store_level(db, entry, FIXED, L(45)) == L()  # no range: nothing to store
    levels = current_levels(db, entry, DEFAULT_SESSIONS)
    assert levels == {KNEE: L(30), BRIDGES: L(reps=11, sets=1), FIXED: L(), BREATHS: L(5)}
    plan = compile_plan(entry.routine, levels)
    holds = {s.seconds for s in plan.steps if s.exercise_index == KNEE and s.is_work}
    assert holds == {30.0}


def test_a_routine_whose_ranges_changed_gets_clamped_levels(db, entry) -> None:
    store_level(db, entry, KNEE, L(25))
    store_level(db, entry, BRIDGES, L(reps=12, sets=2))
    narrower = (
        ROUTINE.replace('hold = "10-30s"', 'hold = "10-20s"')
        .replace('reps = "10-12"', 'reps = "8-10"')
        .replace('sets = "1-2"', "sets = 1")
    )
    changed = write(entry.path.parent, narrower)
    levels = current_levels(db, changed, DEFAULT_SESSIONS)
    assert levels[KNEE] == L(20)
    assert levels[BRIDGES] == L(reps=10)  # sets is no longer a range
    # Widened again: the stored values come back as they were.
    assert current_levels(db, entry, DEFAULT_SESSIONS)[KNEE] == L(25)


def test_a_renamed_or_moved_exercise_starts_at_the_low_end(db, entry) -> None:
    store_level(db, entry, KNEE, L(25))
    renamed = write(entry.path.parent, ROUTINE.replace("Knee to chest", "Knee hug"))
    assert current_levels(db, renamed, DEFAULT_SESSIONS)[KNEE] == L(10)
    # Its old sessions do not count for the new exercise either.
    for _ in range(3):
        add_session(db, entry, level=current_levels(db, entry, DEFAULT_SESSIONS))
    assert KNEE not in changes_by_index(review_levels(db, renamed))
    assert KNEE in changes_by_index(review_levels(db, entry))


def test_a_routine_without_ranges_never_changes(db, tmp_path) -> None:
    plain = write(tmp_path / "routines", FIXED_ONLY, "plain")
    for outcome in (OK, OK, OK, PAIN, OK, OK, OK):
        add_session(db, plain, {0: outcome})
    assert review_levels(db, plain, sessions_needed=1) == []
    assert current_levels(db, plain, DEFAULT_SESSIONS) == {0: L()}
    assert exercise_history(db, plain) == {}


def test_sessions_of_other_routines_and_sessions_at_other_levels_do_not_count(db, entry):
    other = write(entry.path.parent, ROUTINE, "other")
    for _ in range(3):
        add_session(db, other)
    assert review_levels(db, entry) == []
    # Sessions run at the high end are not at the current (low) level either.
    for _ in range(3):
        add_session(db, entry, level="high")
    assert review_levels(db, entry) == []
    history = exercise_history(db, entry)[KNEE]
    assert [o.level for o in history] == [L(30)] * 3


def test_an_exercise_absent_from_a_session_is_not_counted(db, entry) -> None:
    for outcome in (OK, "absent", OK, OK):
        add_session(db, entry, {KNEE: outcome}, level=current_levels(db, entry, DEFAULT_SESSIONS))
    assert len(exercise_history(db, entry)[KNEE]) == 3
    assert changes_by_index(review_levels(db, entry))[KNEE].change == "up"


def test_an_empty_history_reads_as_the_low_end_and_never_creates_a_file(tmp_path, entry):
    data = tmp_path / "nothing"
    with open_history(data, create=False) as empty:
        assert current_levels(empty, entry, DEFAULT_SESSIONS) == {
            KNEE: L(10), BRIDGES: L(reps=10, sets=1), FIXED: L(), BREATHS: L(5)
        }  # fmt: skip
        assert review_levels(empty, entry) == []
    assert not data.exists()


def test_store_hold_level_keeps_the_reps_and_sets(db, entry) -> None:
    store_level(db, entry, BRIDGES, L(reps=11, sets=2))
    assert store_hold_level(db, entry, KNEE, 27, DEFAULT_SESSIONS) == L(27)
    assert current_levels(db, entry, DEFAULT_SESSIONS)[KNEE] == L(27)
    # clamped to 5-6 breaths
    assert store_hold_level(db, entry, BREATHS, 9, DEFAULT_SESSIONS) == L(6)
    assert current_levels(db, entry, DEFAULT_SESSIONS)[BRIDGES] == L(reps=11, sets=2)


def test_describe_level_shows_the_level_inside_each_range(entry) -> None:
    routine = entry.routine
    assert describe_level(routine.settings(KNEE), L(15)) == ["hold 15s (10-30s)"]
    assert describe_level(routine.settings(BRIDGES), L(reps=11, sets=2)) == [
        "11 reps (10-12)",
        "2 sets (1-2)",
    ]
    assert describe_level(routine.settings(BREATHS), L(6)) == ["hold 6 breaths (5-6)"]
    assert describe_level(routine.settings(FIXED), L()) == []


def test_real_sessions_through_the_recorder(db, entry) -> None:
    """End to end: the recorder stores the levels a session ran at, and its pain stops."""
    for day in range(3):
        levels = current_levels(db, entry, DEFAULT_SESSIONS)
        plan = compile_plan(entry.routine, levels)
        record_session(db, entry, START + timedelta(days=day), plan=plan, level=levels)
    changes = changes_by_index(review_levels(db, entry))
    assert changes[KNEE].new == L(15)
    accept(db, entry, changes[KNEE])

    levels = current_levels(db, entry, DEFAULT_SESSIONS)
    plan = compile_plan(entry.routine, levels)
    first_hold = next(s.index for s in plan.steps if s.exercise_index == KNEE and s.is_work)
    assert plan.steps[first_hold].seconds == 15
    record_session(db, entry, START + timedelta(days=4), plan=plan, level=levels,
                   pain_at=first_hold)  # fmt: skip
    changes = changes_by_index(review_levels(db, entry))
    assert changes[KNEE].change == "down" and changes[KNEE].new == L(10)
    assert current_levels(db, entry, DEFAULT_SESSIONS)[KNEE] == L(10)


# ------------------------------------------------------------------------ reading little


def outcome_queries(db: HistoryDB) -> list[str]:
    """Trace the statements that read past sessions' outcomes (see the calls below)."""
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    return statements


def read_outcomes(statements: list[str]) -> list[str]:
    return [s for s in statements if "planned_work" in s]


def test_a_long_run_is_decided_from_the_latest_sessions_in_one_query(db, entry) -> None:
    """A year of clean sessions: the rules read the latest few (one query), and the offer
    says the run goes on before them."""
    for _ in range(SESSIONS_LOOKED_AT + 5):
        add_session(db, entry)
    statements = outcome_queries(db)
    try:
        changes = changes_by_index(review_levels(db, entry))
    finally:
        db.conn.set_trace_callback(None)
    assert len(read_outcomes(statements)) == 1
    knee = changes[KNEE]
    assert (knee.change, knee.new) == ("up", L(15))
    assert knee.why == f"after {SESSIONS_LOOKED_AT} or more sessions in a row without pain"


def test_a_run_as_long_as_the_history_is_counted_exactly(db, entry) -> None:
    for _ in range(SESSIONS_LOOKED_AT):
        add_session(db, entry)
    knee = changes_by_index(review_levels(db, entry))[KNEE]
    assert knee.why == f"after {SESSIONS_LOOKED_AT} sessions in a row without pain"


def test_an_exercise_left_out_of_the_latest_sessions_is_read_further_back(db, entry) -> None:
    """Knee to chest was done three times, then left out of the file for a while: the
    sessions before count (as they always did), read again for it alone."""
    for _ in range(3):
        add_session(db, entry)
    for _ in range(SESSIONS_LOOKED_AT + 2):
        add_session(db, entry, {KNEE: "absent"})
    statements = outcome_queries(db)
    try:
        changes = changes_by_index(review_levels(db, entry))
    finally:
        db.conn.set_trace_callback(None)
    assert changes[KNEE].change == "up"
    assert changes[KNEE].why == "after 3 sessions in a row without pain"
    assert changes[BRIDGES].why.startswith(f"after {SESSIONS_LOOKED_AT} or more sessions")
    queries = read_outcomes(statements)
    assert len(queries) == 2  # the second for that one exercise
    assert "exercise_index IN (0)" in queries[1] and "exercise_index IN" not in queries[0]


@pytest.mark.parametrize("seed", range(10))
def test_reading_the_latest_sessions_decides_as_reading_them_all(db, entry, seed) -> None:
    """Random histories longer than what is read: the same change (or none) and the same
    new level for every exercise as the rules over every past session."""
    import random

    from backtimer.core.progression import next_level

    rng = random.Random(seed)
    kinds = [OK] * 12 + [PAIN, SKIP, "absent", "absent"]
    level: object = "low"
    for number in range(SESSIONS_LOOKED_AT * 2 + rng.randrange(10)):
        outcomes = {index: rng.choice(kinds) for index in (KNEE, BRIDGES, BREATHS)}
        if number % 7 == 6:
            level = current_levels(db, entry, DEFAULT_SESSIONS)  # a level stored now and then
        add_session(db, entry, outcomes, level=level)
        if rng.random() < 0.15:
            accept_all(db, entry, [c for c in review_levels(db, entry) if c.change == "up"])
    assert entry.routine is not None
    stored = {i: current_levels(db, entry, DEFAULT_SESSIONS)[i] for i in (KNEE, BRIDGES, BREATHS)}
    full = exercise_history(db, entry)
    expected = {}
    for index, outcomes in full.items():
        decision = next_level(entry.routine.settings(index), stored[index], outcomes)
        if decision.change != "none":
            expected[index] = (decision.change, decision.level)
    got = {c.exercise_index: (c.change, c.new) for c in review_levels(db, entry)}
    assert got == expected


def test_the_levels_of_many_routines_are_each_one_s_current_levels(
    db: HistoryDB, entry: Entry, tmp_path: Path
) -> None:
    """The picker reads the levels of all its routines at once (current_levels_of): for each,
    what current_levels gives, whatever the history: stored levels, a pain step-down due, a
    pain stop in an older session only, a renamed exercise, no history, no ranges, an
    invalid file; at every progression_sessions."""
    folder = entry.path.parent
    stored = write(folder, key="stored")
    pained = write(folder, key="pained")
    older_pain = write(folder, key="older")
    renamed = write(folder, ROUTINE.replace("Knee to chest", "Knee hug"), key="renamed")
    fresh = write(folder, key="fresh")
    plain = write(folder, FIXED_ONLY, key="plain")
    broken_path = folder / "broken.toml"
    broken_path.write_text('name = "Broken"\n[[exercises]]\nname = 3\n', encoding="utf-8")
    broken = load_entry(broken_path, "user")
    assert broken.routine is None
    store_level(db, stored, KNEE, L(25))
    store_level(db, stored, BRIDGES, L(reps=12, sets=2))
    store_level(db, pained, BRIDGES, L(reps=12, sets=1))
    store_level(db, renamed, KNEE, L(20))  # under its own name, "Knee hug"
    for _ in range(3):
        add_session(db, stored, level=current_levels(db, stored, DEFAULT_SESSIONS))
    add_session(db, pained, level=current_levels(db, pained, DEFAULT_SESSIONS))
    add_session(db, pained, {BRIDGES: PAIN}, level=current_levels(db, pained, DEFAULT_SESSIONS))
    add_session(db, older_pain, {KNEE: PAIN})
    add_session(db, older_pain)
    add_session(db, entry, {KNEE: PAIN})
    entries = [entry, stored, pained, older_pain, renamed, fresh, plain, broken]
    for sessions in (1, 2, DEFAULT_SESSIONS, 7, 100):
        each = [current_levels(db, e, sessions) for e in entries]
        assert current_levels_of(db, entries, sessions) == each
    assert current_levels(db, pained, DEFAULT_SESSIONS)[BRIDGES] == L(reps=11, sets=1)
    assert current_levels(db, stored, DEFAULT_SESSIONS)[KNEE] == L(25)
    assert current_levels_of(db, [], DEFAULT_SESSIONS) == []
    with pytest.raises(ValueError):
        current_levels_of(db, entries, 0)


def test_a_routine_whose_file_name_is_not_utf8_has_levels(db, tmp_path) -> None:
    """The file's stem is the routine's key in the history; a byte that is not UTF-8 in it
    (a lone surrogate) made every level query raise UnicodeEncodeError: `run` and `plan
    --level current` ended with a traceback, and the picker did not open."""
    import os

    entry = write(tmp_path / "routines", key=os.fsdecode(b"lev\xffels"))
    for _ in range(3):
        add_session(db, entry, level=current_levels(db, entry, DEFAULT_SESSIONS))
    changes = changes_by_index(review_levels(db, entry))
    assert changes[KNEE].new == L(15)
    accept(db, entry, changes[KNEE])
    assert current_levels(db, entry, DEFAULT_SESSIONS)[KNEE] == L(15)
    (levels,) = current_levels_of(db, [entry], DEFAULT_SESSIONS)
    assert levels[KNEE] == L(15)
    add_session(db, entry, {KNEE: PAIN}, level=current_levels(db, entry, DEFAULT_SESSIONS))
    (levels,) = current_levels_of(db, [entry], DEFAULT_SESSIONS)
    assert levels[KNEE] == L(10)  # the pain stop steps it down, found by the same key


# ------------------------------------------------------------ a live session at its pain screen


def test_a_live_session_waiting_at_a_pain_stop_is_not_counted(db, entry) -> None:
    """A session at the pain screen is stored as stopped for pain (so a kill there reads so),
    but while its process lives it is still going on (the person may resume): another
    backtimer reading the levels meanwhile leaves it out, and does not step down for it. Once
    its process is gone (killed there), it reads as a finished pain stop."""
    import subprocess
    import sys

    from history_driver import FakeTime

    from backtimer.history import Recorder
    from backtimer.history import queries as q
    from backtimer.session.runner import SessionRunner

    store_level(db, entry, BRIDGES, L(reps=12, sets=2))
    levels = current_levels(db, entry, DEFAULT_SESSIONS)
    plan = compile_plan(entry.routine, levels)
    fake = FakeTime(START)
    recorder = Recorder(db, entry, plan, levels, clock=fake, wall=fake.wall)
    runner = SessionRunner(plan, clock=fake, listeners=[recorder], sleep_gap=None)
    runner.do("start")
    bridges = next(s.index for s in plan.steps if s.exercise_index == BRIDGES and s.is_work)
    while runner.session.index < bridges:
        if runner.session.deadline is None:
            fake.now += 5
            runner.do("advance")
        else:
            fake.now = runner.session.deadline
            runner.tick()
    fake.now += 1.0
    runner.do("pain")  # the pain screen stays up: no choice yet
    assert recorder.flush()
    (sid,) = [row[0] for row in db.conn.execute("SELECT id FROM sessions")]
    assert db.conn.execute("SELECT status FROM sessions").fetchone()[0] == "pain_stopped"

    with open_history(db.path.parent) as other:  # another backtimer, this process alive
        assert current_levels(other, entry, DEFAULT_SESSIONS)[BRIDGES] == L(reps=12, sets=2)
        assert all(not outcomes for outcomes in exercise_history(other, entry).values())
        assert review_levels(other, entry) == []
        (row,) = q.list_sessions(other)
        assert row.status == "running"

    # The process gone (a kill at the pain screen): a pain stop, and the step down is due.
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()  # a process that has ended (and been reaped)
    db.conn.execute("UPDATE sessions SET pid = ? WHERE id = ?", (gone.pid, sid))
    with open_history(db.path.parent) as other:
        (row,) = q.list_sessions(other)
        assert row.status == "pain_stopped"
        assert current_levels(other, entry, DEFAULT_SESSIONS)[BRIDGES] == L(reps=12, sets=1)
        outcomes = exercise_history(other, entry)  # the exercises with ranges
        assert sorted(outcomes) == [KNEE, BRIDGES, BREATHS]
        assert all(len(each) == 1 for each in outcomes.values())
    recorder.close()
