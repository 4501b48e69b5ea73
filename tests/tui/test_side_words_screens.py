"""Issue 10: the screens name a side in the exercise's own side words ("right knee up"), as
the voice does; "right side" only where the exercise has none. Shown literally."""

from __future__ import annotations

from pathlib import Path

from snapshot_apps.common import (
    SHORT,
    advance,
    pain_stop_at,
    screen_text,
    start_of,
    started,
    write_routine,
)

from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.summary import SummaryScreen

OWN = SHORT.replace(
    'sides = "both"\n',
    'sides = "both"\nside_words = { right = "right knee [b]up[/b]", left = "left knee up" }\n',
)


def _line(app, widget: str) -> str:
    return str(app.session_screen.query_one(widget).render())


async def test_the_session_screen_names_the_side_in_the_exercises_own_words(
    tmp_path: Path,
) -> None:
    assert OWN != SHORT
    entry = write_routine(tmp_path, OWN)
    async with started(entry) as (app, pilot, clock):
        plan = app.session_screen.session.plan
        hold = next(s for s in plan.steps if s.phase == "hold")
        switch = next(s for s in plan.steps if s.phase == "switch_sides")
        # Getting ready: what comes next is the first hold, on the right knee.
        assert "Next: Hold · right knee [b]up[/b] · rep 1 of 2" in _line(app, "#next")
        advance(app, clock, start_of(app, hold.index) + 0.5)
        await pilot.pause()
        assert "Knee to chest · Right knee [b]up[/b] · rep 1 of 2" in _line(app, "#exercise")
        advance(app, clock, start_of(app, switch.index) - start_of(app, hold.index))
        await pilot.pause()
        assert app.session_screen.session.step.phase == "switch_sides"
        assert "Now left knee up" in _line(app, "#exercise")
        assert "right side" not in screen_text(app).lower()
        assert "left side" not in screen_text(app).lower()


async def test_the_pain_screen_and_summary_name_the_side_in_the_exercises_own_words(
    tmp_path: Path,
) -> None:
    entry = write_routine(tmp_path, OWN)
    async with started(entry) as (app, pilot, clock):
        plan = app.session_screen.session.plan
        hold = next(s for s in plan.steps if s.phase == "hold")
        await pain_stop_at(app, pilot, clock, start_of(app, hold.index) + 1.0)
        assert isinstance(app.screen, PainScreen)
        shown = screen_text(app)
        assert "Stopped at: Knee to chest, right knee [b]up[/b], rep 1 of 2" in shown
        assert "right side" not in shown
        await pilot.press("enter")  # the default choice: end the session
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        shown = screen_text(app)
        assert "Knee to chest, right knee [b]up[/b], rep 1 of 2" in shown
        assert "right side" not in shown


async def test_without_side_words_the_screens_still_say_right_side(short) -> None:
    async with started(short) as (app, _pilot, _clock):
        assert "Next: Hold · right side · rep 1 of 2" in _line(app, "#next")
