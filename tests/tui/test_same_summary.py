"""The app and --plain are two views of one session controller: for the same run, given the
same commands at the same moments, they report the same counts in the same words."""

from __future__ import annotations

import io
from pathlib import Path

from snapshot_apps.common import SHORT, FakeClock, advance, build_app, screen_text, write_routine

from backtimer.plain import run_plain
from backtimer.session.cues import RecordingPlayer
from backtimer.session.tally import summary_line, summary_rows
from backtimer.tui.screens.summary import SummaryScreen

#: (session second, the key in the app, the line in --plain)
RUN = [
    (3.5, "n", "n"),  # skip the first hold
    (5.0, "x", "x"),  # pain stop in the rest...
    (5.5, "ctrl+r", "resume"),  # ...and resume
    (7.25, "N", "N"),  # skip the rest of the first exercise
    (11.0, "q", "q"),  # quit (the app asks: y)
]


def plain_summary(entry) -> str:  # type: ignore[no-untyped-def]
    clock = FakeClock()
    schedule = iter(RUN)
    due = next(schedule, None)
    lines: list[str] = []
    start = clock.now

    class Stdin(io.StringIO):
        def readline(self, *args: object) -> str:  # type: ignore[override]
            return lines.pop(0) + "\n" if lines else ""

    def wait(timeout: float) -> bool:
        nonlocal due
        if due is not None and clock.now - start >= due[0] - 1e-9:
            lines.append(due[2])
            due = next(schedule, None)
            return True
        step = timeout if due is None else min(timeout, start + due[0] - clock.now)
        clock.advance(step)
        return False

    out = io.StringIO()
    code = run_plain(
        entry, stdin=Stdin(), stdout=out, clock=clock, wait=wait, player=RecordingPlayer()
    )
    assert code == 0
    return out.getvalue().splitlines()[-1]


async def test_the_app_and_plain_mode_say_the_same_summary(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, SHORT)
    plain = plain_summary(entry)

    clock = FakeClock()
    app = build_app(entry, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        now = 0.0
        for at, key, _ in RUN:
            advance(app, clock, at - now)
            now = at
            await pilot.press(key)
            await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        tally = app.screen.tally
        text = screen_text(app)
        rows = summary_rows(tally)
        for label, value in rows:
            assert label in text and value in text
    assert plain == summary_line(tally)
    assert dict(rows)["Skipped"] != "0" and dict(rows)["Pain stops"] == "1"
    assert "Not reached" in dict(rows)  # quit before the end
    assert plain.startswith("Summary: Done ")
