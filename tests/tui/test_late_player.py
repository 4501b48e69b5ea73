"""The app's own player is made after the first frame (the sound set-up takes tens of
milliseconds the first frame does without); cues from before it wait, in order, and are
played when it is made. Counted calls only, no timing."""

from __future__ import annotations

from typing import Any

from snapshot_apps.common import SHORT, FakeClock, write_routine

from backtimer.session.cues import RecordingPlayer
from backtimer.tui.app import LatePlayer, make_app


class TonePlayer(RecordingPlayer):
    """A recording player with the app's tones (``sound``) and a status."""

    status = "the status"

    def sound(self, name: str, at: float | None = None) -> None:
        self.calls.append(("sound", name))

    def say(self, text: str, at: float | None = None) -> None:  # type: ignore[override]
        self.calls.append(("say", text))


def test_cues_wait_in_order_until_the_player_is_made() -> None:
    made: list[TonePlayer] = []

    def make() -> TonePlayer:
        made.append(TonePlayer())
        return made[-1]

    late = LatePlayer(make, tones=True)
    late.sound("go", 1.0)
    late.say("Get ready", 1.0)
    assert late.speaking  # something waits to be said
    assert made == []
    player = late.ready()
    assert made == [player]
    assert player.calls == [("sound", "go"), ("say", "Get ready")]
    late.say("Hold", 2.0)  # from now on, straight through
    assert player.calls[-1] == ("say", "Hold")
    assert late.ready() is player  # made once


def test_a_pain_stop_before_the_player_drops_what_waited() -> None:
    late = LatePlayer(TonePlayer, tones=True)
    late.say("Get ready", 1.0)
    late.silence()
    late.sound("stop")
    late.say("Stopped")
    player = late.ready()
    assert player.calls == [("sound", "stop"), ("say", "Stopped")]


def test_without_tones_the_bell_rings_and_speech_has_no_clock_time() -> None:
    late = LatePlayer(RecordingPlayer, tones=False)
    assert getattr(late, "sound", None) is None  # the cues ring the bell instead
    late.bell()
    late.say("Get ready", 1.0)
    player = late.ready()
    assert player.calls == [("bell",), ("say", "Get ready")]


def test_anything_else_needs_the_player_itself() -> None:
    late = LatePlayer(TonePlayer, tones=True)
    assert not late.is_ready
    assert late.status == "the status"
    assert late.is_ready


async def test_the_app_makes_its_player_after_the_first_frame(tmp_path: Any) -> None:
    entry = write_routine(tmp_path, SHORT)
    app = make_app(entry, clock=FakeClock(), tick_interval=None, voice=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.player, LatePlayer)
        await pilot.pause()
        assert app.player.is_ready
        assert "GET READY" in str(app.screen.query_one("#phase").render())
