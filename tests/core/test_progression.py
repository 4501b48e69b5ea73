"""Progression rules over synthetic histories: up after N clean sessions, down after pain."""

from __future__ import annotations

import pytest

from backtimer.core.progression import (
    Decision,
    ExerciseOutcome,
    clamp_level,
    has_ranges,
    next_level,
    next_levels,
    start_level,
    step_down,
    step_up,
)
from backtimer.core.routine import LevelChoice, Settings
from backtimer.files.routine_load import validate_text

ROUTINE = """
name = "Progression"
[defaults]
rest = 0
[[exercises]]
name = "Ranged hold"
hold = "10-30s"
reps = "2-3"
sets = "1-2"
[[exercises]]
name = "Breaths"
hold = "10-12 breaths"
[[exercises]]
name = "Fixed"
hold = "30s"
reps = 3
[[exercises]]
name = "Bridges"
tempo = { lift = 2, lower = 2 }
reps = "10-12"
[[exercises]]
name = "Hold range only"
hold = "20-30s"
"""

routine = validate_text(ROUTINE, "progression.toml")
RANGED, BREATHS, FIXED, TEMPO, HOLD_ONLY = (routine.settings(i) for i in range(5))

OK = ExerciseOutcome(completed=True, pain=False)
PAIN = ExerciseOutcome(completed=True, pain=True)
SKIPPED = ExerciseOutcome(completed=False, pain=False)


def L(hold: float | None = None, reps: float | None = None, sets: float | None = None):
    return LevelChoice(hold=hold, reps=reps, sets=sets)


def at(level: LevelChoice, *, pain: bool = False, completed: bool = True) -> ExerciseOutcome:
    return ExerciseOutcome(completed=completed, pain=pain, level=level)


def test_start_level_is_the_low_end_of_every_range() -> None:
    assert start_level(RANGED) == L(10, 2, 1)
    assert start_level(BREATHS) == L(hold=10)
    assert start_level(TEMPO) == L(reps=10)
    assert start_level(FIXED) == L()
    assert not has_ranges(FIXED) and has_ranges(TEMPO)


@pytest.mark.parametrize(
    ("settings", "current", "history", "change", "level"),
    [
        # three clean sessions at the current level: one step up (the hold first, +5 s)
        (RANGED, L(10, 2, 1), [OK, OK, OK], "up", L(15, 2, 1)),
        # only two: no change yet
        (RANGED, L(10, 2, 1), [OK, OK], "none", L(10, 2, 1)),
        # more than enough still steps only once
        (RANGED, L(10, 2, 1), [OK] * 7, "up", L(15, 2, 1)),
        # no stored level: the low end, and the steps count from there
        (RANGED, None, [OK, OK, OK], "up", L(15, 2, 1)),
        # the hold never passes its top: 28 -> 30, not 33
        (RANGED, L(28, 2, 1), [OK, OK, OK], "up", L(30, 2, 1)),
        # hold at its top: the reps go up next, then the sets
        (RANGED, L(30, 2, 1), [OK, OK, OK], "up", L(30, 3, 1)),
        (RANGED, L(30, 3, 1), [OK, OK, OK], "up", L(30, 3, 2)),
        # the top of every range: nothing more
        (RANGED, L(30, 3, 2), [OK, OK, OK], "none", L(30, 3, 2)),
        # pain in the last session: one step down, the last thing added first
        (RANGED, L(30, 3, 2), [OK, OK, PAIN], "down", L(30, 3, 1)),
        (RANGED, L(30, 3, 1), [PAIN], "down", L(30, 2, 1)),
        (RANGED, L(30, 2, 1), [PAIN], "down", L(25, 2, 1)),
        (RANGED, L(12, 2, 1), [PAIN], "down", L(10, 2, 1)),
        # pain at the low end: nowhere lower
        (RANGED, L(10, 2, 1), [OK, OK, PAIN], "none", L(10, 2, 1)),
        # pain earlier breaks the run: only the sessions after it count
        (RANGED, L(10, 2, 1), [OK, OK, PAIN, OK, OK], "none", L(10, 2, 1)),
        (RANGED, L(15, 2, 1), [OK, PAIN, OK, OK, OK], "up", L(20, 2, 1)),
        # a session that did not complete the exercise breaks the run but is no step down
        (RANGED, L(15, 2, 1), [OK, OK, SKIPPED], "none", L(15, 2, 1)),
        (RANGED, L(15, 2, 1), [OK, SKIPPED, OK, OK], "none", L(15, 2, 1)),
        # breaths step by one breath
        (BREATHS, L(hold=10), [OK, OK, OK], "up", L(hold=11)),
        (BREATHS, L(hold=12), [OK, OK, OK], "none", L(hold=12)),
        (BREATHS, L(hold=11), [PAIN], "down", L(hold=10)),
        # tempo exercises step their reps
        (TEMPO, L(reps=10), [OK, OK, OK], "up", L(reps=11)),
        # no ranges: never changes, whatever happens
        (FIXED, L(), [OK] * 10, "none", L()),
        (FIXED, L(), [PAIN], "none", L()),
        # a stored level outside the (since edited) range is brought back into it
        (HOLD_ONLY, L(hold=45), [OK], "none", L(hold=30)),
        (HOLD_ONLY, L(hold=5), [OK, OK, OK], "up", L(hold=25)),
    ],
)
def test_next_level(
    settings: Settings,
    current: LevelChoice | None,
    history: list[ExerciseOutcome],
    change: str,
    level: LevelChoice,
) -> None:
    decision = next_level(settings, current, history)
    assert (decision.change, decision.level) == (change, level), decision.reason


def test_only_sessions_at_the_current_level_count() -> None:
    low, up = L(10, 2, 1), L(15, 2, 1)
    # Just stepped up: the three clean sessions were at the old level.
    assert next_level(RANGED, up, [at(low)] * 3).change == "none"
    assert next_level(RANGED, up, [*([at(low)] * 3), at(up), at(up)]).change == "none"
    assert next_level(RANGED, up, [*([at(low)] * 3), *([at(up)] * 3)]).level == L(20, 2, 1)


def test_pain_steps_down_only_once() -> None:
    high, lower = L(30, 2, 1), L(25, 2, 1)
    first = next_level(RANGED, high, [at(high, pain=True)])
    assert first.change == "down" and first.level == lower
    # Asked again after the step down was stored: the pain was at the old level.
    again = next_level(RANGED, lower, [at(high, pain=True)])
    assert again.change == "none" and again.level == lower


def test_sessions_needed_is_configurable() -> None:
    assert next_level(RANGED, None, [OK], sessions_needed=1).change == "up"
    assert next_level(RANGED, None, [OK] * 4, sessions_needed=5).change == "none"
    assert next_level(RANGED, None, [OK] * 5, sessions_needed=5).change == "up"
    with pytest.raises(ValueError):
        next_level(RANGED, None, [OK], sessions_needed=0)


def test_reasons_say_what_and_why() -> None:
    up = next_level(RANGED, L(10, 2, 1), [OK, OK, OK])
    assert up.reason == (
        "3 sessions in a row completed without pain at this level: hold 10s to 15s"
    )
    down = next_level(BREATHS, L(hold=11), [PAIN])
    assert down.reason == "pain in the last session: hold 11 breaths to 10 breaths"
    waiting = next_level(RANGED, L(10, 2, 1), [OK, OK])
    assert waiting.reason == "2 of 3 sessions in a row completed without pain at this level"
    assert "no ranges" in next_level(FIXED, None, [OK] * 3).reason
    assert "lowest" in next_level(RANGED, None, [PAIN]).reason
    assert "top" in next_level(RANGED, L(30, 3, 2), [OK] * 3).reason


def test_level_never_leaves_the_ranges() -> None:
    """Walk up from the bottom to the top and back down, one decision at a time."""
    level: LevelChoice | None = None
    seen = []
    for _ in range(20):
        decision = next_level(RANGED, level, [at(clamp_level(RANGED, level))] * 3)
        if decision.change == "none":
            break
        level = decision.level
        seen.append(level)
    assert level == L(30, 3, 2)
    # 10 -> 30 in 5 s steps (4), reps 2 -> 3 (1), sets 1 -> 2 (1)
    assert len(seen) == 6
    for _ in range(20):
        decision = next_level(RANGED, level, [at(clamp_level(RANGED, level), pain=True)])
        if decision.change == "none":
            break
        level = decision.level
    assert level == L(10, 2, 1)
    for step in seen:
        assert step.hold is not None and 10 <= step.hold <= 30
        assert step.reps in (2, 3) and step.sets in (1, 2)


def test_step_helpers_and_clamp() -> None:
    assert step_up(FIXED, None) is None and step_down(FIXED, None) is None
    assert step_up(RANGED, None) == L(15, 2, 1)
    assert step_down(RANGED, None) is None
    assert clamp_level(BREATHS, L(hold=10.6)) == L(hold=11)
    assert clamp_level(RANGED, L(reps=9, sets=0)) == L(10, 3, 1)
    assert clamp_level(FIXED, L(30, 3, 1)) == L()


def test_levels_work_with_the_routine_doses() -> None:
    decision = next_level(RANGED, L(30, 2, 1), [OK] * 3)
    dose = RANGED.dose(decision.level)
    assert (dose.rep_seconds, dose.reps, dose.sets) == (30, 3, 1)
    breaths = BREATHS.dose(next_level(BREATHS, None, [OK] * 3).level)
    assert breaths.breaths == 11


def test_next_levels_for_a_whole_routine() -> None:
    decisions = next_levels(routine, {0: L(10, 2, 1)}, {0: [OK] * 3, 1: [PAIN], 3: [OK] * 2})
    assert set(decisions) == {0, 1, 2, 3, 4}
    assert decisions[0] == Decision(L(15, 2, 1), "up", decisions[0].reason)
    assert decisions[1].change == "none"  # pain at the low end
    assert decisions[2].change == "none" and decisions[3].change == "none"
    assert decisions[4].level == L(hold=20)
