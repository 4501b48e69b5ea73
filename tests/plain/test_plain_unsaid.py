"""--plain prints what the session says as it is said; when the voice then leaves a text out
(it waited behind a voice that hung, and said that late it would mislead: see
backtimer.sound.player), a line says so, so that no printed line stands as said when it was
not heard."""

from __future__ import annotations

from backtimer.plain import UNSAID_PREFIX
from backtimer.session.cues import RecordingPlayer
from tests.plain.test_plain import run


class DroppingPlayer(RecordingPlayer):
    """Leaves out the first countdown "3" it is given, as a player whose voice hung would."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped: list[str] = []
        self.once = False

    def say(self, text: str) -> None:
        super().say(text)
        if text == "3" and not self.once:
            self.once = True
            self.dropped.append(text)

    def take_dropped(self) -> list[str]:
        dropped, self.dropped = self.dropped, []
        return dropped


def test_a_text_the_voice_left_out_gets_a_line() -> None:
    code, lines, _, _ = run(player=DroppingPlayer())
    assert code == 0
    unsaid = [line for line in lines if UNSAID_PREFIX in line]
    assert unsaid == [f"[00:05] {UNSAID_PREFIX}3"]  # told at the next tick, after its line
    assert lines.index(unsaid[0]) == lines.index("[00:05] 3") + 1
