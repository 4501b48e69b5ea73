"""The cue layer gives the player each text's deadline where it has one: a timeline cue is due
on its own time (the player leaves it out when it could only start more than LATE seconds
after it, see backtimer.sound.player); what must always be heard has none: the words of a
key press ("Paused.", "Resuming.", "5 more seconds.", "Session ended."), the pain stop's
word and what follows it, and the session's end."""

from __future__ import annotations

from backtimer.core.plan import compile_plan
from backtimer.core.timeline import estimator
from backtimer.session.cues import (
    ENDED_TEXT,
    FINISHED_TEXT,
    PAUSED_TEXT,
    STOPPED_TEXT,
    Cues,
)
from backtimer.session.runner import SessionRunner
from tests.session.test_cue_timeline import ROUTINE, Clock, run_until


class TimedPlayer:
    """A player on the session's clock: records every text with the deadline it was given."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, float | None]] = []

    def bell(self) -> None:
        pass

    def sound(self, name: str, at: float | None = None) -> None:
        pass

    def say(self, text: str, at: float | None = None) -> None:
        self.texts.append((text, at))

    def say_next(self, text: str, at: float | None = None) -> None:
        self.texts.append((text, at))

    def say_after_quiet(self, text: str, at: float | None = None, words: float = 0.0) -> None:
        self.texts.append((text, at))

    speaking = False

    def silence(self) -> None:
        pass

    def stop_sounds(self) -> None:
        pass

    def close(self) -> None:
        pass


def setup() -> tuple[SessionRunner, Cues, TimedPlayer, Clock, list[tuple[float, str]]]:
    plan = compile_plan(ROUTINE, length=estimator(175))
    clock = Clock()
    player = TimedPlayer()
    heard: list[tuple[float, str]] = []
    cues = Cues(
        player,
        clock=clock,
        on_spoken=lambda at, text: heard.append((at, text)),
        pain_words=lambda event: "Seek advice if the pain persists.",
    )
    runner = SessionRunner(plan, clock=clock, listeners=[cues], sleep_gap=None)
    return runner, cues, player, clock, heard


def test_timeline_cues_have_their_deadline_and_the_end_has_none() -> None:
    runner, cues, player, clock, heard = setup()
    runner.do("start")
    cues.poll(clock.now)
    run_until(runner, cues, clock, 100.0 + runner.plan.total_seconds + 1)
    assert runner.session.over
    timeline = [(text, at) for at, text in heard]
    assert player.texts == [*timeline, (FINISHED_TEXT, None)]
    assert all(at is not None for _, at in timeline)


def test_what_a_key_press_says_has_no_deadline() -> None:
    runner, cues, player, clock, _ = setup()
    runner.do("start")
    hold = runner.plan.offset(1)  # the first hold
    run_until(runner, cues, clock, 100.0 + hold + 2.0)
    said = len(player.texts)
    runner.do("pause")
    clock.now += 10
    runner.do("resume")
    runner.do("extend", 5.0)
    keys = player.texts[said:]
    texts = [text for text, _ in keys]
    assert len(texts) == 3
    assert texts[0] == PAUSED_TEXT
    assert texts[1].startswith("Resuming.")  # "Resuming. Hold, 8 seconds left." where it fits
    assert texts[2] == "5 more seconds."
    assert all(at is None for _, at in keys)
    said = len(player.texts)
    runner.do("pain")
    runner.do("end")
    stop = player.texts[said:]
    assert [text for text, _ in stop] == [
        STOPPED_TEXT,
        "Seek advice if the pain persists.",
        ENDED_TEXT,
    ]
    assert all(at is None for _, at in stop)
