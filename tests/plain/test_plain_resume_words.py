"""--plain prints what is said: "Resuming." only where the cue layer says it, from the one
cue layer (not a line of its own for every resume)."""

from __future__ import annotations

import pytest

from backtimer.core.plan import compile_plan
from backtimer.core.timeline import estimator
from backtimer.files.routine_load import validate_text
from backtimer.plain import LINE_ANSWERS, MISTAKE_TEXT
from backtimer.session.cues import RESUMED_TEXT, RecordingPlayer
from tests.plain.test_plain import TWO, run

pytestmark = pytest.mark.plain


def fitted_run(schedule: list[tuple[float, str]]) -> tuple[list[str], RecordingPlayer]:
    """A run of TWO with its cue timeline (fitted at 175 words per minute), as a session
    with a voice has."""
    routine = validate_text(TWO, "two.toml")
    plan = compile_plan(routine, length=estimator(175))
    assert plan.steps[0].cues
    code, lines, player, _clock = run(schedule, plan=plan)
    assert code == 0
    return lines, player


def resuming(lines: list[str]) -> int:
    return sum(1 for line in lines if line.endswith(f"] {RESUMED_TEXT}"))


@pytest.mark.parametrize(
    "schedule",
    [
        [(4.0, "x"), (9.0, "resume")],  # the step starts again: its own words, no "Resuming."
        [(4.0, "p"), (10.0, "p")],
        [(1.0, "p"), (3.0, "p")],
        [(4.0, "x"), (9.0, "mistake")],
        [(6.0, "p"), (8.0, "x"), (9.0, "mistake"), (12.0, "p")],
        # Six seconds into the Bridge's 20 s hold (from 81 s): room for "Resuming.".
        [(87.0, "p"), (91.0, "p")],
        [(87.0, "x"), (89.0, "mistake")],
    ],
)
def test_resuming_is_printed_exactly_where_it_is_said(schedule: list[tuple[float, str]]) -> None:
    lines, player = fitted_run(schedule)
    assert resuming(lines) == player.said.count(RESUMED_TEXT)


@pytest.mark.parametrize("schedule", [[(87.0, "p"), (91.0, "p")], [(87.0, "x"), (89.0, "mistake")]])
def test_a_resume_mid_hold_with_room_prints_the_resuming_it_says(
    schedule: list[tuple[float, str]],
) -> None:
    # The cases above where it is said: without them every count was 0 == 0, true of a
    # front end that never printed it.
    lines, player = fitted_run(schedule)
    assert player.said.count(RESUMED_TEXT) == 1
    assert [line for line in lines if line.endswith(f"] {RESUMED_TEXT}")] == [
        f"[01:27] {RESUMED_TEXT}"  # when the clock runs again, where it stood
    ]


def test_after_a_pain_stop_and_resume_no_resuming_is_printed_the_step_s_words_are() -> None:
    # Printed "[00:04] Resuming." where nothing said it: a resume after a pain stop starts
    # the step again, and its own first words say what it is.
    lines, player = fitted_run([(4.0, "x"), (9.0, "resume")])
    assert RESUMED_TEXT not in player.said
    assert resuming(lines) == 0


def test_pressed_by_mistake_is_printed_before_what_is_said_after_it() -> None:
    # The cue layer hears the batch first: the sentence the stop cut off, said again at
    # once, was printed before the line that says the stop was taken back.
    lines, _player = fitted_run([(4.0, "x"), (9.0, "mistake")])
    i = lines.index(f"[00:04] {MISTAKE_TEXT}")
    assert lines[i - 1] == LINE_ANSWERS
    assert lines[i + 1] == "[00:04] Pull one knee to your chest."  # said again, after it
