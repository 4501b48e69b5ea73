"""The pain stop through the session controller: what "pressed by mistake" gives back, and
what the person hears (a recording player)."""

from __future__ import annotations

import dataclasses

import pytest

from backtimer.core.engine import ClockRestarted, Command, EndedEarly, State
from backtimer.core.plan import compile_plan
from backtimer.core.schema import validate_routine
from backtimer.remote.state import snapshot
from backtimer.session.commands import (
    commands,
    pain_choices_spoken,
    plain_keymap,
    plain_words,
    split_keys,
    spoken_key,
)
from backtimer.session.controller import SessionController
from backtimer.session.cues import RecordingPlayer
from backtimer.session.safety import PainDetails
from backtimer.session.tally import summary_rows
from backtimer.sound import tones
from backtimer.sound.mixer import Mixer
from backtimer.sound.player import STOPPED_TEXT, SoundPlayer
from tests.sound.helpers import FakeRenderer

ROUTINE = validate_routine(
    {
        "name": "Two holds",
        "exercises": [
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "steps": ["Pull one knee to your chest."],
                "stop_if": "pain in the front of the hip",
                "hold": 30,
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


def controller(**options: object) -> tuple[SessionController, RecordingPlayer, Clock]:
    clock = Clock()
    player = RecordingPlayer()
    made = SessionController(
        compile_plan(ROUTINE),
        ROUTINE,
        clock=clock,
        player=player,
        **options,  # type: ignore[arg-type]
    )
    return made, player, clock


def run_for(made: SessionController, clock: Clock, seconds: float) -> None:
    end = clock.now + seconds
    while clock.now < end - 1e-9:
        clock.now = round(clock.now + 0.25, 6)
        made.tick()


def test_by_mistake_after_a_pain_stop_while_paused_stays_paused() -> None:
    made, player, clock = controller()
    made.start()
    run_for(made, clock, 10.0)  # 5 s into the first hold
    assert made.session.step.phase == "hold"
    made.pause()
    left = made.session.remaining(clock())
    run_for(made, clock, 3.0)
    stopped = made.pain()
    assert stopped is not None and made.session.state is State.PAIN_STOPPED
    run_for(made, clock, 20.0)
    said = len(player.said)
    made.finish_pain(PainDetails("mistake", event=stopped))
    assert made.session.state is State.PAUSED  # not resumed behind the person's back
    assert made.tally.pains == []
    assert "Resuming." not in player.said[said:]
    run_for(made, clock, 30.0)  # still paused: the hold's time is not spent
    assert made.session.remaining(clock()) == pytest.approx(left)
    made.pause()  # space: now it resumes, with the time the pause left
    assert made.session.state is State.RUNNING
    assert made.session.remaining(clock()) == pytest.approx(left)


def test_by_mistake_after_a_pain_stop_while_running_goes_on() -> None:
    made, _, clock = controller()
    made.start()
    run_for(made, clock, 10.0)
    left = made.session.remaining(clock())
    stopped = made.pain()
    assert stopped is not None
    run_for(made, clock, 20.0)
    made.finish_pain(PainDetails("mistake", event=stopped))
    assert made.session.state is State.RUNNING
    assert made.session.remaining(clock()) == pytest.approx(left)


# ------------------------------------------------------------------ what is heard

#: What the pain screen shows for this routine, said once after "Stopped." with the app's keys.
SAID_IN_THE_APP = (
    "If pain persists, seek advice from a physiotherapist or doctor. "
    "Stop if: pain in the front of the hip. "
    "Press control E to end, control S to skip this exercise, control R to resume, "
    "control U if pressed by mistake."
)


class FollowingPlayer(RecordingPlayer):
    """A recording player with the real players' ``say_next`` (speech that follows what is
    being said instead of cutting it off), recorded as ("say_next", text)."""

    def say_next(self, text: str, at: float | None = None) -> None:
        self.calls.append(("say_next", text))


def stopped_in_a_hold(
    player: RecordingPlayer | None = None, **options: object
) -> tuple[SessionController, RecordingPlayer, Clock, int]:
    """A controller 5 s into the first hold, just pain-stopped; the index of the player's
    first call from the stop."""
    clock = Clock()
    player = player if player is not None else FollowingPlayer()
    made = SessionController(
        compile_plan(ROUTINE),
        ROUTINE,
        clock=clock,
        player=player,
        **options,  # type: ignore[arg-type]
    )
    made.start()
    run_for(made, clock, 10.0)
    first = len(player.calls)
    assert made.pain() is not None
    return made, player, clock, first


def test_after_stopped_the_screens_words_are_said_once_without_cutting_it() -> None:
    made, player, clock, first = stopped_in_a_hold()
    assert player.calls[first:] == [
        ("silence",),
        ("bell",),
        ("say", "Stopped."),  # at once, as before
        ("say_next", SAID_IN_THE_APP),  # after it: never over it
    ]
    run_for(made, clock, 60.0)  # a minute on the pain screen: ticks say nothing more
    assert player.calls[first + 4 :] == []


@pytest.mark.parametrize("choice", ["end", "skip_exercise", "resume", "mistake"])
def test_the_persons_choice_cuts_the_words_off_at_once(choice: str) -> None:
    made, player, clock, _first = stopped_in_a_hold()
    run_for(made, clock, 2.0)  # still being said
    said = len(player.calls)
    form = made.pain_form
    assert form is not None
    made.finish_pain(form.details(choice))  # type: ignore[arg-type]
    after = player.calls[said:]
    assert after and after[0] == ("silence",)  # before any word of what follows
    run_for(made, clock, 5.0)
    assert all(call[1:] != (SAID_IN_THE_APP,) for call in player.calls[said:])


def test_voice_off_says_nothing_after_a_pain_stop() -> None:
    _made, player, _clock, first = stopped_in_a_hold(voice=False)
    assert [c for c in player.calls[first:] if c[0] in ("say", "say_next")] == []
    assert player.calls[first:] == [("silence",), ("bell",)]


def test_without_a_stop_if_the_advice_and_the_choices_are_said() -> None:
    routine = dataclasses.replace(
        ROUTINE, exercises=[dataclasses.replace(ROUTINE.exercises[0], stop_if=None)]
    )
    player = FollowingPlayer()
    made = SessionController(compile_plan(routine), routine, clock=Clock(), player=player)
    made.start()
    made.pain()
    assert player.calls[-1] == (
        "say_next",
        "If pain persists, seek advice from a physiotherapist or doctor. Press control E to "
        "end, control S to skip this exercise, control R to resume, control U if pressed by "
        "mistake.",
    )


def test_a_player_without_say_next_still_hears_stopped_first() -> None:
    _made, player, _clock, _first = stopped_in_a_hold(RecordingPlayer())
    assert player.said[-2:] == ["Stopped.", SAID_IN_THE_APP]


def test_the_choices_are_said_with_the_front_ends_keys() -> None:
    _made, player, _, _ = stopped_in_a_hold(pain_choices=pain_choices_spoken("plain"))
    assert player.calls[-1][1].endswith(
        "Press E to end, S to skip this exercise, R to resume, M if pressed by mistake."
    )
    assert pain_choices_spoken("words") == (
        "Type end to end, skip to skip this exercise, resume to resume, mistake if pressed "
        "by mistake."
    )
    # A keymap moves the keys, as it moves the bindings.
    moved = pain_choices_spoken("app", {"pain_resume": "f5,ctrl+r", "pain_mistake": "M"})
    assert moved == (
        "Press control E to end, control S to skip this exercise, f5 to resume, capital M if "
        "pressed by mistake."
    )


def test_the_spoken_choices_are_the_command_tables_keys() -> None:
    """Each choice is said with a key that really makes it, in every front end."""
    for kind in ("app", "plain"):
        text = pain_choices_spoken(kind)  # type: ignore[arg-type]
        table = plain_keymap("pain") if kind == "plain" else None
        for key in commands("pain"):
            first = split_keys(key.plain_keys or key.keys if kind == "plain" else key.keys)[0]
            assert f"{spoken_key(first)} {key.said}" in text
            if table is not None:
                assert table[first] is key
    for key in commands("pain"):
        word = next(w for w in key.words if w)
        assert f"{word} {key.said}" in pain_choices_spoken("words")
        assert plain_words("pain")[word] is key


def test_stopped_keeps_its_time_and_the_words_follow_it_on_the_sound_output() -> None:
    """With the app's own output: "Stopped." right after the stop sound, as before; the
    words start when it has ended (never cutting it), and a choice stops them at once."""
    mixer = Mixer()
    renderer = FakeRenderer()
    player = SoundPlayer(mixer, renderer=renderer, threaded=False, volume=100)
    clock = Clock()
    made = SessionController(compile_plan(ROUTINE), ROUTINE, clock=clock, player=player)
    made.start()
    run_for(made, clock, 10.0)
    mixer.render(441 * 5)
    key = mixer.position
    made.pain()
    stop = len(tones.render("stop", volume=1.0))
    word = len(renderer.render(STOPPED_TEXT))
    mixer.render(tones.SAMPLE_RATE)
    names = [(s.name, s.sample) for s in mixer.log if s.sample >= key]
    assert names[:2] == [("stop", key), (STOPPED_TEXT, key + stop)]
    assert names[2] == (SAID_IN_THE_APP, key + stop + word)
    assert mixer.busy("speech")  # the words are long: still being said
    form = made.pain_form
    assert form is not None
    made.finish_pain(form.details("resume"))
    mixer.render(441)
    assert SAID_IN_THE_APP not in [s.name for s in mixer._sounds]


#: The routine with a second exercise, so that "skip this exercise" goes on with it.
TWO_EXERCISES = dataclasses.replace(
    ROUTINE,
    exercises=[
        *ROUTINE.exercises,
        dataclasses.replace(ROUTINE.exercises[0], name="Bridge", stop_if=None),
    ],
)


@pytest.mark.parametrize("choice", ["skip_exercise", "resume"])
def test_a_choice_after_a_pain_stop_while_paused_starts_the_clock_once(choice: str) -> None:
    """Paused 5 s into the first hold, a pain stop, then skip or resume: the clock runs again
    at the choice, with an event that says so (a listener closes its pause there); the
    summary's active time counts neither the pause nor the stop; the phone page counts
    down again."""
    clock = Clock()
    heard: list[ClockRestarted] = []

    class Listener:
        def on_events(self, events, session) -> None:  # type: ignore[no-untyped-def]
            heard.extend(e for e in events if isinstance(e, ClockRestarted))

    made = SessionController(
        compile_plan(TWO_EXERCISES),
        TWO_EXERCISES,
        clock=clock,
        player=RecordingPlayer(),
        listeners=[Listener()],
    )
    made.start()
    run_for(made, clock, 10.0)  # 5 s of getting ready, 5 s into the first hold
    made.pause()
    run_for(made, clock, 5.0)
    stopped = made.pain()
    assert stopped is not None
    run_for(made, clock, 20.0)
    chose_at = clock()
    made.finish_pain(PainDetails(choice, event=stopped))  # type: ignore[arg-type]
    assert made.session.state is State.RUNNING
    assert [(e.at, e.paused_seconds) for e in heard] == [(chose_at, 25.0)]
    run_for(made, clock, 3.0)
    page = snapshot(made.session, TWO_EXERCISES, clock())
    assert page["state"] == "running"
    assert page["exercise"] == ("Bridge" if choice == "skip_exercise" else "Knee to chest")
    assert page["remaining"] == pytest.approx(2.0 if choice == "skip_exercise" else 27.0)
    made.do(Command.END)
    assert made.tally.active_seconds == pytest.approx(10.0 + 3.0)
    assert ("Active time", "13 s") in summary_rows(made.tally)


@pytest.mark.parametrize("pain", [True, False], ids=["pain_stop", "no_pain_stop"])
def test_end_after_a_pause_ends_when_pressed_and_the_summary_counts_active_time(pain: bool) -> None:
    """Paused 5 s into the first hold, (a pain stop 5 s later,) "end" 25 s after the pause
    began: the end says when the person ended it (where a record of the session ends,
    after every pause and pain stop) besides where the clock stopped; the summary's
    active time is the 10 s before the pause, neither the pause nor the stop."""
    clock = Clock()
    heard: list[EndedEarly] = []

    class Listener:
        def on_events(self, events, session) -> None:  # type: ignore[no-untyped-def]
            heard.extend(e for e in events if isinstance(e, EndedEarly))

    made = SessionController(
        compile_plan(ROUTINE),
        ROUTINE,
        clock=clock,
        player=RecordingPlayer(),
        listeners=[Listener()],
    )
    made.start()
    run_for(made, clock, 10.0)  # 5 s of getting ready, 5 s into the first hold
    paused_at = clock()
    made.pause()
    run_for(made, clock, 5.0)
    if pain:
        assert made.pain() is not None
    run_for(made, clock, 20.0)
    ended_at = clock()
    made.do(Command.END)
    assert made.session.state is State.ENDED_EARLY
    ((end,),) = [heard]
    assert (end.at, end.requested_at) == (paused_at, ended_at)
    assert end.requested_at - end.at == pytest.approx(25.0)
    assert end.active_seconds == pytest.approx(10.0)
    assert made.tally.active_seconds == pytest.approx(10.0)
    assert ("Active time", "10 s") in summary_rows(made.tally)
    assert ("Pain stops", str(int(pain))) in summary_rows(made.tally)


class Heard:
    """A listener that keeps the pain details and the interruption it hears, in order."""

    def __init__(self) -> None:
        self.heard: list[object] = []

    def on_events(self, events: object, session: object) -> None:
        pass

    def on_pain_details(self, details: PainDetails, session: object) -> None:
        self.heard.append(details)

    def on_interrupted(self) -> None:
        self.heard.append("interrupted")


def test_answers_given_after_a_pain_stop_are_kept_when_the_process_is_stopped() -> None:
    """Where it hurts, how much and a note, answered (--plain: "Note kept."), then SIGTERM,
    SIGHUP or ctrl+c before the choice: the answers were dropped, the pain stop recorded
    without them."""
    heard = Heard()
    made, _, clock = controller(listeners=[heard])
    made.start()
    run_for(made, clock, 10.0)
    stopped = made.pain()
    assert stopped is not None and made.pain_form is not None
    made.pain_form.where = "hip"
    made.pain_form.how_much = 7
    made.pain_form.note = "sharp "
    made.interrupted()
    details, last = heard.heard
    assert isinstance(details, PainDetails)
    assert (details.where, details.how_much, details.note) == ("hip", 7, "sharp")
    assert details.event == stopped
    assert last == "interrupted"  # after the answers: the stop is recorded with them


def test_no_answers_no_details_when_the_process_is_stopped() -> None:
    heard = Heard()
    made, _, clock = controller(listeners=[heard])
    made.start()
    run_for(made, clock, 10.0)
    assert made.pain() is not None
    made.interrupted()
    assert heard.heard == ["interrupted"]
