"""The pain stop heard in the app: "Stopped.", then once what the pain screen says with the
app's keys (a keymap moves them); a redraw does not say it again, a choice cuts it off."""

from __future__ import annotations

from pathlib import Path

from snapshot_apps.common import SHORT, FakeClock, advance, build_app, write_routine

from backtimer.core.engine import State
from backtimer.files.config_schema import validate_config
from backtimer.session.cues import RecordingPlayer
from backtimer.session.safety import SAFETY_MESSAGE
from backtimer.tui.screens.pain import PainScreen
from backtimer.tui.screens.session import SessionScreen


def advice(player: RecordingPlayer) -> list[str]:
    return [text for text in player.said if text.startswith(SAFETY_MESSAGE[6:])]


async def test_the_pain_screens_words_are_said_once_with_the_apps_keys(tmp_path: Path) -> None:
    entry = write_routine(tmp_path, SHORT)
    clock = FakeClock()
    player = RecordingPlayer()
    config = validate_config({"keymap": {"pain_resume": "ctrl+o"}})
    app = build_app(entry, clock=clock, player=player, config=config)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        session = app.session_screen.session
        advance(app, clock, 3.0)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, PainScreen)
        [said] = advice(player)
        assert player.said[-2:] == ["Stopped.", said]
        assert said.endswith(
            "Press control E to end, control S to skip this exercise, control O to resume, "
            "control U if pressed by mistake."
        )
        # Redrawn (a smaller terminal, a larger one), typed into, ticked: not said again.
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await pilot.press("4")
        advance(app, clock, 10.0)
        await pilot.pause()
        assert len(advice(player)) == 1
        calls = len(player.calls)
        await pilot.press("ctrl+o")  # the moved resume key
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen)
        assert session.state is State.RUNNING
        assert player.calls[calls] == ("silence",)  # cut off before the step's words
        assert len(advice(player)) == 1
