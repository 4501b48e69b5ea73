"""The cues that waited for the app's player (made after the first frame) are said at once
when it is made, never left out as late: they keep no deadline (the player leaves out a text
it could only say more than LATE seconds after its deadline, see backtimer.sound.player).
What comes after it keeps its deadline."""

from __future__ import annotations

from backtimer.session.cues import RecordingPlayer
from backtimer.tui.app import LatePlayer


class TimedPlayer(RecordingPlayer):
    """A player on the session's clock: records each text with its deadline."""

    def sound(self, name: str, at: float | None = None) -> None:
        self.calls.append(("sound", name, str(at)))

    def say(self, text: str, at: float | None = None) -> None:  # type: ignore[override]
        self.calls.append(("say", text, str(at)))

    def say_next(self, text: str, at: float | None = None) -> None:
        self.calls.append(("say_next", text, str(at)))

    def say_after_quiet(self, text: str, at: float | None = None, words: float = 0.0) -> None:
        self.calls.append(("say_after_quiet", text, str(at), str(words)))


def test_what_waited_for_the_player_keeps_no_deadline() -> None:
    late = LatePlayer(TimedPlayer, tones=True)
    late.sound("release", 1.0)
    late.say_next("Knee to chest.", 1.0)
    late.say_after_quiet("2", 3.0, 0.4)
    late.say("Paused.", 4.0)
    player = late.ready()
    assert player.calls == [
        ("sound", "release", "1.0"),  # a tone at once, as before (its time is past)
        ("say_next", "Knee to chest.", "None"),
        ("say_after_quiet", "2", "None", "0.4"),
        ("say", "Paused.", "None"),
    ]
    late.say_next("Hold.", 9.0)
    late.say_after_quiet("1", 9.0, 0.4)
    assert player.calls[-2:] == [
        ("say_next", "Hold.", "9.0"),
        ("say_after_quiet", "1", "9.0", "0.4"),
    ]
