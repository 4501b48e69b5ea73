"""The cue layer plays a fitted plan's timeline on its deadlines: absolute times on the
session's clock, moved by pauses and by a longer hold, silenced by a pain stop."""

from __future__ import annotations

import dataclasses

import pytest

from backtimer.core.plan import compile_plan
from backtimer.core.routine import Routine
from backtimer.core.schema import validate_routine
from backtimer.core.timeline import command_estimate, estimate, estimator, movable
from backtimer.session.cues import LATE, Cues, RecordingPlayer
from backtimer.session.runner import SessionRunner
from tests.session.speaking import SpeakingPlayer, Utterance

ROUTINE = validate_routine(
    {
        "name": "Two holds",
        "exercises": [
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "steps": ["Pull one knee to your chest."],
                "stop_if": "pain in the front of the hip",
                "hold": 8,
                "reps": 2,
                "rest": 5,
                "get_ready": 5,
            }
        ],
    }
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def setup(
    rate: int = 175, routine: Routine = ROUTINE
) -> tuple[SessionRunner, Cues, RecordingPlayer, Clock, list]:
    plan = compile_plan(routine, length=estimator(rate))
    clock = Clock()
    player = RecordingPlayer()
    heard: list[tuple[float, str]] = []
    cues = Cues(player, clock=clock, on_spoken=lambda at, text: heard.append((at, text)))
    runner = SessionRunner(plan, clock=clock, listeners=[cues], sleep_gap=None)
    return runner, cues, player, clock, heard


def run_until(runner: SessionRunner, cues: Cues, clock: Clock, end: float) -> None:
    while clock.now < end - 1e-9 and not runner.session.over:
        clock.now = round(clock.now + 0.05, 6)
        runner.tick()
        cues.poll(clock.now)


def test_every_cue_is_said_on_its_deadline() -> None:
    runner, cues, player, clock, heard = setup()
    plan = runner.plan
    runner.do("start")
    cues.poll(clock.now)
    run_until(runner, cues, clock, 100.0 + plan.total_seconds + 1)
    expected = [
        (100.0 + plan.offset(step.index) + cue.at, cue.say)
        for step in plan.steps
        for cue in step.cues
        if cue.say
    ]
    assert [text for _, text in heard] == [text for _, text in expected]
    for (at, _), (due, _) in zip(heard, expected, strict=True):
        assert abs(at - due) < 1e-6  # the cue's own deadline, not the tick's
    assert player.said[: len(expected)] == [text for _, text in expected]
    assert player.said[-1] == "Session complete. Well done."
    # The whole introduction is heard before the first hold, with the stop-if.
    intro = " ".join(t for at, t in heard if at < 100.0 + plan.offset(1))
    assert "Pull one knee to your chest." in intro
    assert "Stop if you feel pain in the front of the hip." in intro


def test_a_pause_moves_the_cues_by_its_length() -> None:
    runner, cues, _player, clock, heard = setup()
    plan = runner.plan
    runner.do("start")
    cues.poll(clock.now)
    hold_start = 100.0 + plan.offset(1)
    run_until(runner, cues, clock, hold_start + 2.0)
    runner.do("pause")
    before = len(heard)
    clock.now += 30.0
    cues.poll(clock.now)
    assert len(heard) == before  # nothing is said while paused
    assert cues.next_due() is None
    runner.do("resume")
    run_until(runner, cues, clock, hold_start + 30.0 + plan.steps[1].seconds + 0.01)
    counts = [(at, text) for at, text in heard if text in ("3", "2", "1") and at > hold_start]
    end = hold_start + 30.0 + plan.steps[1].seconds
    assert [round(end - at, 6) for at, _ in counts[:3]] == [3.0, 2.0, 1.0]


def test_a_longer_hold_moves_its_countdown() -> None:
    runner, cues, _player, clock, heard = setup()
    plan = runner.plan
    runner.do("start")
    cues.poll(clock.now)
    hold_start = 100.0 + plan.offset(1)
    run_until(runner, cues, clock, hold_start + 1.0)
    runner.do("extend", 5.0)
    run_until(runner, cues, clock, hold_start + plan.steps[1].seconds + 5.0 + 0.01)
    counts = [at for at, text in heard if text in ("3", "2", "1") and at > hold_start]
    end = hold_start + plan.steps[1].seconds + 5.0
    assert [round(end - at, 6) for at in counts[:3]] == [3.0, 2.0, 1.0]


def test_a_pain_stop_silences_at_once_and_what_was_due_waits() -> None:
    runner, cues, player, clock, heard = setup()
    plan = runner.plan
    runner.do("start")
    cues.poll(clock.now)
    run_until(runner, cues, clock, 101.0)
    said_before = len(heard)
    runner.do("pain")
    # Silence first, then the stop sound (the bell for a player without tones) and the word.
    assert player.calls[-3:] == [("silence",), ("bell",), ("say", "Stopped.")]
    assert cues.next_due() is None
    clock.now += 20.0
    cues.poll(clock.now)
    runner.tick()
    assert player.calls[-1] == ("say", "Stopped.")  # nothing after the stop
    assert len(heard) == said_before
    # Pressed by mistake: the step goes on where it was, every cue moved by the 20 s. The
    # sentence the stop cut off ("Knee to chest.", 1 s in) is said again first, in full;
    # the words after it follow it, never before their time, and every cue with a deadline
    # (the countdown, each step's first cue) keeps it exactly. Where the words after it no
    # longer fit before the countdown, what comes next gives way ("Rep 1 of 2."), never a
    # warning nor an instruction.
    cut = heard[-1]
    assert cut[0] <= 101.0 < cut[0] + plan.steps[0].cues[0].seconds
    runner.do("mistake")
    run_until(runner, cues, clock, 100.0 + 20.0 + plan.total_seconds + 1)
    expected = [
        (100.0 + 20.0 + plan.offset(step.index) + cue.at, cue)
        for step in plan.steps
        for cue in step.cues
        if cue.say
    ][said_before:]
    after = heard[said_before:]
    assert after[0] == (121.0, cut[1])
    said = iter(after[1:])
    heard_cues = []
    for due, cue in expected:
        at, text = next(said, (None, None))
        if text == cue.say:
            heard_cues.append((at, due, cue))
            continue
        assert cue.kind == "next", cue  # only what comes next gives way
        said = iter([(at, text), *said])
    assert next(said, None) is None
    assert [c.say for _, _, c in heard_cues if c.kind == "next"] == ["Last one."]
    for at, due, cue in heard_cues:
        if movable(cue):
            assert at >= due - 1e-6
        else:
            assert abs(at - due) < 1e-6
    ends = [121.0 + plan.steps[0].cues[0].seconds] + [at + c.seconds for at, _, c in heard_cues]
    for end, (start, _, _) in zip(ends, heard_cues, strict=False):
        assert start >= end - 1e-6  # nothing overlaps


def test_a_late_wake_says_what_is_due_in_order_but_no_stale_pile() -> None:
    runner, cues, _player, clock, heard = setup()
    runner.do("start")
    cues.poll(clock.now)
    first = len(heard)
    spoken = [cue for cue in runner.plan.steps[0].cues if cue.say]
    late = spoken[3].at + 0.5  # several cues of the introduction came due meanwhile
    clock.now = 100.0 + late
    cues.poll(clock.now)
    # What is still fresh is said, in its order; what is long past is not.
    fresh = [
        (100.0 + cue.at, cue.say)
        for cue in spoken
        if 0.0 < cue.at <= late and late - cue.at <= LATE
    ]
    assert fresh and heard[first:] == fresh


def test_the_thread_plays_cues_on_the_real_clock() -> None:
    import time

    plan = compile_plan(
        validate_routine(
            {"name": "Short", "exercises": [{"name": "A", "hold": 2, "get_ready": 0}]}
        ),
        length=estimator(300),
        countdown=1,
    )
    player = RecordingPlayer()
    cues = Cues(player, clock=time.monotonic)
    runner = SessionRunner(plan, clock=time.monotonic, listeners=[cues], sleep_gap=None)
    cues.start()
    try:
        runner.do("start")
        deadline = time.monotonic() + plan.total_seconds + 5
        spoken = [c.say for s in plan.steps for c in s.cues if c.say]
        while time.monotonic() < deadline and len(player.said) < len(spoken):
            time.sleep(0.3)
            runner.tick()  # a screen that wakes now and then, as the app's does
        assert player.said[: len(spoken)] == spoken
    finally:
        cues.close()


def test_a_sentence_a_pause_cuts_off_is_said_again_after_resuming_where_it_fits() -> None:
    long_rest = dataclasses.replace(
        ROUTINE, exercises=[dataclasses.replace(ROUTINE.exercises[0], rest=20)]
    )
    runner, cues, player, clock, heard = setup(routine=long_rest)
    plan = runner.plan
    runner.do("start")
    cues.poll(clock.now)
    rest = next(s for s in plan.steps if s.phase == "rest")
    first = next(c for c in rest.cues if c.say)
    start = 100.0 + plan.offset(rest.index)
    # Paused while the rest's first words are being said.
    run_until(runner, cues, clock, start + first.at + first.lead + first.seconds / 2)
    runner.do("pause")
    paused = clock.now
    clock.now += 20.0
    cues.poll(clock.now)
    resumed = clock.now
    runner.do("resume")
    run_until(runner, cues, clock, start + 20.0 + rest.seconds + 0.01)
    # "Resuming." is told to on_spoken too (--plain prints what is said), at the resume.
    assert (resumed, "Resuming.") in heard
    after = [(at, text) for at, text in heard if at >= resumed and text != "Resuming."]
    assert player.said[player.said.index("Resuming.") + 1] == first.say  # from its start
    assert after[0][1] == first.say and after[0][0] > resumed
    # and what follows keeps its time
    later = [c for c in rest.cues if c.say and c.at > first.at]
    end = start + rest.seconds + (resumed - paused)
    assert [text for at, text in after[1:] if at < end - 1e-6] == [c.say for c in later]
    assert [round(end - at, 6) for at, text in after if text in ("3", "2", "1")] == [3, 2, 1]


def test_a_hold_resumed_mid_way_says_how_long_is_left() -> None:
    runner, cues, player, clock, _heard = setup()
    plan = runner.plan
    runner.do("start")
    cues.poll(clock.now)
    hold = plan.steps[1]
    first = next(c for c in hold.cues if c.say)
    hold_start = 100.0 + plan.offset(1)
    run_until(runner, cues, clock, hold_start + first.at + first.lead + first.seconds / 2)
    left = hold_start + hold.seconds - clock.now
    runner.do("pause")
    clock.now += 20.0
    cues.poll(clock.now)
    runner.do("resume")
    run_until(runner, cues, clock, hold_start + 20.0 + hold.seconds + 0.01)
    assert f"Resuming. Hold, {round(left)} seconds left." in player.said
    assert player.said.count(first.say) == 1  # not "Hold" again besides


def test_a_cut_sentence_with_no_room_before_the_next_words_is_said_again_first() -> None:
    """A listener lost a safety caution for good: a sentence cut off with words right after
    it was not said again. Now it is, at once, in full: the words after it (no deadline of
    their own) follow it, what comes next gives way where the step has no room left, and
    the countdown keeps its seconds."""
    runner, cues, player, clock, heard = setup()
    plan = runner.plan
    runner.do("start")
    cues.poll(clock.now)
    intro = [c for c in plan.steps[0].cues if c.say]
    cut, following = intro[0], intro[1]
    assert following.at - cut.end < 1.0  # back to back: no room to say it again
    run_until(runner, cues, clock, 100.0 + cut.at + cut.lead + cut.seconds / 2)
    runner.do("pause")
    paused = clock.now
    clock.now += 10.0
    cues.poll(clock.now)
    resumed = clock.now
    runner.do("resume")
    run_until(runner, cues, clock, 100.0 + 10.0 + plan.steps[0].seconds + 0.5)
    after = [(at, text) for at, text in heard if at >= resumed]
    assert after[0] == (resumed, cut.say)
    assert after[1][1] == following.say
    assert after[1][0] >= resumed + cut.seconds + 0.3 - 1e-6  # after it, with a gap
    # "Resuming." had no room: the sentence is said at once instead (no overlap).
    assert "Resuming." not in player.said[player.said.index("Paused.") :]
    end = 100.0 + plan.steps[0].seconds + (resumed - paused)
    assert [round(end - at, 6) for at, text in after if text in ("3", "2", "1")] == [3, 2, 1]
    # Every instruction and warning after it is heard, in order; only what comes next may
    # have given way.
    words = [c for c in intro[1:] if c.kind != "count"]
    said = [t for at, t in after[1:] if t not in ("3", "2", "1") and at < end - 1e-6]
    assert [c.say for c in words if c.kind != "next"] == [
        t for t in said if t not in [c.say for c in words if c.kind == "next"]
    ]
    assert said == [c.say for c in words if c.say in said]


class FollowingPlayer(RecordingPlayer):
    """A speech command's player: ``say`` cuts off what is being said, ``say_next`` lets it
    finish first (SpeechPlayer.say_next)."""

    def say_next(self, text: str, at: float | None = None) -> None:
        self.calls.append(("say_next", text))


def test_the_closing_words_follow_the_last_count_and_cut_nothing() -> None:
    # A speech command's "1" may run past the end with its trailing quiet: "Session
    # complete" waits for it (it cut the last "1" off before).
    plan = compile_plan(ROUTINE, length=estimator(120))
    clock = Clock()
    player = FollowingPlayer()
    cues = Cues(player, clock=clock)
    runner = SessionRunner(plan, clock=clock, listeners=[cues], sleep_gap=None)
    runner.do("start")
    run_until(runner, cues, clock, 100.0 + plan.total_seconds + 1)
    assert runner.session.over
    spoken = [c for c in player.calls if c[0] != "bell"]
    assert spoken[-2:] == [("say_next", "1"), ("say_next", "Session complete. Well done.")]
    assert [c for c in spoken if c[0] == "say"] == []


def test_after_a_step_at_the_person_s_own_pace_the_closing_words_cut_in() -> None:
    # Done is the person's own command there: what is still being said gives way.
    paced = validate_routine(
        {
            "name": "Own pace",
            "exercises": [{"name": "Walk", "steps": ["Walk around the room."], "user_paced": True}],
        }
    )
    plan = compile_plan(paced, length=estimator(120))
    assert plan.steps[-1].seconds is None
    clock = Clock()
    player = FollowingPlayer()
    cues = Cues(player, clock=clock)
    runner = SessionRunner(plan, clock=clock, listeners=[cues], sleep_gap=None)
    runner.do("start")
    run_until(runner, cues, clock, 100.0 + plan.total_seconds + 1)
    runner.do("advance")
    assert runner.session.over
    spoken = [c for c in player.calls if c[0] != "bell"]
    assert spoken[-1] == ("say", "Session complete. Well done.")


SIDES = validate_routine(
    {
        "name": "Sides",
        "exercises": [
            {
                "name": "Clamshells",
                "hold": 5,
                "sides": "both",
                "switch": 3,
                "get_ready": 3,
                "side_words": {"right": "right knee on top", "left": "left knee on top"},
            }
        ],
    }
)


def test_a_hold_ends_into_the_switch_with_release_then_switch_sides() -> None:
    runner, cues, _player, clock, heard = setup(routine=SIDES)
    plan = runner.plan
    runner.do("start")
    cues.poll(clock.now)
    run_until(runner, cues, clock, 100.0 + plan.total_seconds + 1)
    said = [text for _, text in heard]
    at = said.index("Release.")
    assert said[at : at + 2] == ["Release.", "Switch sides."]
    assert said[at + 2].startswith("Left knee on top.")
    switch = next(s for s in plan.steps if s.phase == "switch_sides")
    assert [t for t, text in heard if text == "Release."] == [100.0 + plan.offset(switch.index)]


def test_a_run_resumed_at_the_switch_says_switch_sides_at_once_not_release() -> None:
    plan = compile_plan(SIDES, length=estimator(175))
    switch = next(s for s in plan.steps if s.phase == "switch_sides")
    clock = Clock()
    player = RecordingPlayer()
    heard: list[tuple[float, str]] = []
    cues = Cues(player, clock=clock, on_spoken=lambda at, text: heard.append((at, text)))
    runner = SessionRunner(
        plan, clock=clock, start_index=switch.index, listeners=[cues], sleep_gap=None
    )
    runner.do("start")
    cues.poll(clock.now)
    run_until(runner, cues, clock, 100.0 + plan.total_seconds + 1)
    # No hold ended before it in this run: the switch is said as the run starts.
    assert heard[0] == (100.0, "Switch sides.")
    assert "Release." not in [text for _, text in heard]
    assert heard[1][1].startswith("Left knee on top.")


def test_the_thread_sleeps_until_the_next_cue_is_due() -> None:
    """On the monotonic clock the cue thread does not wake every second of a long hold:
    it waits until the next cue is due (every change to the timeline wakes it)."""
    import time

    plan = compile_plan(
        validate_routine(
            {"name": "Long", "exercises": [{"name": "A", "hold": "10m", "get_ready": 0}]}
        ),
        length=estimator(300),
    )
    player = RecordingPlayer()
    cues = Cues(player, clock=time.monotonic)
    waits: list[float | None] = []
    condition = cues._wake

    class Recording:
        def wait(self, timeout: float | None = None) -> bool:
            waits.append(timeout)
            return condition.wait(timeout)

        def notify_all(self) -> None:
            condition.notify_all()

    cues._wake = Recording()  # type: ignore[assignment]
    hold = plan.steps[1]  # started at the hold: "Hold" now, "Halfway" in 5 minutes
    runner = SessionRunner(
        plan, clock=time.monotonic, listeners=[cues], sleep_gap=None, start_index=hold.index
    )
    cues.start()
    try:
        runner.do("start")
        halfway = next(c.at for c in hold.cues if c.at > 0.0)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(w and w > 1.0 for w in waits):
            time.sleep(0.05)
        assert player.said[:1] == ["Hold"]
        long_waits = [w for w in waits if w is not None and halfway - 30 < w <= halfway]
        assert long_waits and all(w is None or w > 1.0 for w in waits), waits
    finally:
        cues.close()


class QuietPlayer(FollowingPlayer):
    """A speech command's player that can stop a number's trailing quiet for the next."""

    def say_after_quiet(self, text: str, at: float | None = None, words: float = 0.0) -> None:
        self.calls.append(("say_after_quiet", text))
        self.words.append(words)

    def __init__(self) -> None:
        super().__init__()
        self.words: list[float] = []


def test_after_a_number_the_next_cue_does_not_wait_for_its_command_s_quiet() -> None:
    # A custom speech command at 100-120 words per minute: each number's process outlasts
    # its second by its quiet and start-up, and every number waited for the one before:
    # the count drifted later and later (and the hold's first word with it).
    plan = compile_plan(
        ROUTINE,
        length=lambda text: command_estimate(text, 120),
        count_length=lambda text: estimate(text, 120),
    )
    clock = Clock()
    player = QuietPlayer()
    cues = Cues(player, clock=clock)
    runner = SessionRunner(plan, clock=clock, listeners=[cues], sleep_gap=None)
    runner.do("start")
    run_until(runner, cues, clock, 100.0 + plan.offset(2) + 0.5)
    spoken = [c for c in player.calls if c[0] != "bell"]
    counted = spoken[spoken.index(("say_next", "3")) :]
    assert counted[:4] == [
        ("say_next", "3"),  # after a sentence: it waits for it to end
        ("say_after_quiet", "2"),
        ("say_after_quiet", "1"),
        ("say_after_quiet", "Hold"),  # the hold's first word on its deadline too
    ]
    # Told how long the words of the number before take (as fitted by its words).
    assert player.words[:3] == [estimate(n, 120) for n in ("3", "2", "1")]
    # Elsewhere every cue waits for what is being said.
    assert {c[0] for c in spoken if c[1] not in ("2", "1", "Hold", "Release.")} == {"say_next"}


class CommandPlayer(SpeakingPlayer):
    """A speech command on the fake clock: each text's process lasts its words and the
    quiet after them (``command_estimate``); ``say_after_quiet`` starts once the words
    before it are over (``words`` s), stopping that quiet, as SpeechPlayer does."""

    def say_after_quiet(self, text: str, at: float | None = None, words: float = 0.0) -> None:
        now = self.clock()
        last = self.heard[-1] if self.heard else None
        start = now
        if last is not None and last.end > now:
            start = max(now, min(last.end, last.start + words))
            last.end = min(last.end, start)  # its quiet stopped, never its words
        self.heard.append(Utterance(text, start, start + self.length(text), now))


def test_after_a_rep_s_count_said_in_the_rep_before_the_next_rep_does_not_wait_for_quiet() -> None:
    # At 120 words per minute "3, last one. Up." has no room in a 1.5 s part: "Last one." is
    # said at the end of the rep before, fitted by its words (ending a tempo gap before the
    # rep). The next rep's "Up." waited for that command's trailing quiet: late by it.
    routine = validate_routine(
        {
            "name": "Reps",
            "exercises": [
                {
                    "name": "Bridge",
                    "tempo": {"lift": 1.5, "lower": 2, "names": {"lift": "up"}},
                    "reps": 3,
                    "rest": 0,
                    "get_ready": 5,
                }
            ],
        }
    )
    plan = compile_plan(
        routine,
        length=lambda text: command_estimate(text, 120),
        count_length=lambda text: estimate(text, 120),
    )
    before = plan.steps[2]
    count = [c for c in before.cues if c.say == "Last one."]
    assert count and count[0].kind == "next" and count[0].by_words  # said in the rep before
    clock = Clock()
    player = CommandPlayer(clock, lambda text: command_estimate(text, 120))
    cues = Cues(player, clock=clock)
    runner = SessionRunner(plan, clock=clock, listeners=[cues], sleep_gap=None)
    runner.do("start")
    run_until(runner, cues, clock, 100.0 + plan.offset(3) + 1.0)
    last_rep = 100.0 + plan.offset(3)
    said = [u for u in player.heard if u.text == "Up."]
    assert [round(u.start - last_rep, 6) for u in said] == [0.0]  # on its deadline
    said_count = next(u for u in player.heard if u.text == "Last one.")
    assert said_count.start == pytest.approx(100.0 + plan.offset(2) + count[0].at)
    assert said_count.end - said_count.start >= estimate("Last one.", 120)  # words whole
