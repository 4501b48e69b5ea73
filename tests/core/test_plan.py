"""The plan compiler: step order, counts, timing, and what is said at each step."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from backtimer.core.durations import spoken as spoken_duration
from backtimer.core.phases import PHASES
from backtimer.core.plan import Plan, Step, compile_plan, plan_steps
from backtimer.core.routine import LevelChoice, Routine
from backtimer.core.schema import validate_routine


def routine(*exercises: dict[str, Any], **top: Any) -> Routine:
    return validate_routine({"name": "Test", **top, "exercises": list(exercises)})


def shape(plan: Plan) -> list[tuple[Any, ...]]:
    return [(s.phase, s.side, s.set, s.rep) for s in plan.steps]


# ------------------------------------------------------------ reading the words back


def said_seconds(text: str) -> float:
    """A spoken duration ("1 minute 30 seconds", "2.5 seconds", "1 hour") in seconds."""
    total = 0.0
    found = False
    for number, unit in re.findall(r"(\d+(?:\.\d+)?) (hour|minute|second)s?\b", text):
        total += float(number) * {"hour": 3600, "minute": 60, "second": 1}[unit]
        found = True
    assert found, f"no duration in {text!r}"
    return total


def announced_hold(say: str) -> tuple[str, float]:
    """("breaths", n) or ("seconds", s) from a hold's announcement."""
    match = re.search(r"Hold for (\d+) breaths?\.", say)
    if match:
        return "breaths", float(match.group(1))
    match = re.search(r"Hold ((?:\d+(?:\.\d+)? (?:hours?|minutes?|seconds?) ?)+)\.", say)
    assert match, f"a hold that names no time: {say!r}"
    return "seconds", said_seconds(match.group(1))


def announced_rest(say: str) -> float:
    match = re.search(r"Rest ((?:\d+(?:\.\d+)? (?:hours?|minutes?|seconds?) ?)+)\.", say)
    assert match, f"a rest that names no time: {say!r}"
    return said_seconds(match.group(1))


def check_words_match_timing(plan: Plan) -> None:
    """Every step says something, and nothing said contradicts the step's timing."""
    for step in plan.steps:
        assert step.say.strip(), step
        assert step.say[-1] in ".!?", step.say
        if step.phase == "hold":
            unit, amount = announced_hold(step.say)
            if unit == "breaths":
                assert step.breaths == amount
            else:
                assert step.breaths is None
                assert step.seconds == amount
        elif step.phase in ("rest", "set_rest"):
            assert announced_rest(step.say) == step.seconds
        elif step.phase == "get_ready":
            match = re.search(r"Starting in (.+)\.$", step.say)
            assert match, step.say
            assert said_seconds(match.group(1)) == step.seconds
        elif step.phase == "switch_sides":
            assert f"Switch to the {step.side} side." in step.say


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (2, "2 seconds"),
        (0.5, "0.5 seconds"),
        (1.5, "1.5 seconds"),
        (7199.125, "7199.125 seconds"),  # not rounded to 6 digits
        (59, "59 seconds"),
        (60, "1 minute"),
        (61, "1 minute 1 second"),
        (90, "1 minute 30 seconds"),
        (120, "2 minutes"),
        (3600, "1 hour"),
        (3661, "1 hour 1 minute 1 second"),
        (7200, "2 hours"),
    ],
)
def test_spoken_duration(seconds: float, words: str) -> None:
    assert spoken_duration(seconds) == words
    assert said_seconds(words) == seconds


# ------------------------------------------------------------------------- order


def test_one_rep_one_set_no_sides_is_get_ready_then_one_hold() -> None:
    plan = compile_plan(routine({"name": "Corner stretch", "hold": "20s"}))
    assert shape(plan) == [("get_ready", None, 1, 1), ("hold", None, 1, 1)]
    assert plan.steps[-1].phase == "hold"  # nothing trails the last exercise
    assert plan.total_seconds == 10 + 20
    assert [s.index for s in plan.steps] == [0, 1]
    assert plan.steps[1].say == "Hold 20 seconds."


def test_sequential_sides_with_sets() -> None:
    plan = compile_plan(
        routine(
            {
                "name": "Side plank",
                "hold": 10,
                "reps": 2,
                "sets": 2,
                "sides": "both",
                "rest": 3,
                "switch": 4,
                "set_rest": 20,
                "get_ready": 6,
            }
        )
    )
    one_set = lambda n: [  # noqa: E731
        ("hold", "right", n, 1),
        ("rest", "right", n, 1),
        ("hold", "right", n, 2),
        ("switch_sides", "left", n, 1),
        ("hold", "left", n, 1),
        ("rest", "left", n, 1),
        ("hold", "left", n, 2),
    ]
    assert shape(plan) == [
        ("get_ready", None, 1, 1),
        *one_set(1),
        ("set_rest", None, 1, 2),
        *one_set(2),
    ]
    assert plan.total_seconds == 6 + 2 * (4 * 10 + 2 * 3 + 4) + 20
    assert all(s.sets == 2 and s.reps == 2 for s in plan.steps)
    check_words_match_timing(plan)


def test_first_side_left() -> None:
    plan = compile_plan(routine({"name": "x", "hold": 5, "sides": "both", "first_side": "left"}))
    assert [s.side for s in plan.steps if s.phase == "hold"] == ["left", "right"]
    assert "Left side first." in plan.steps[0].say


def test_alternating_with_rest_zero() -> None:
    plan = compile_plan(
        routine(
            {
                "name": "Bird dog",
                "tempo": {"lift": 2, "hold": 3, "lower": 2},
                "reps": 3,
                "sides": "both",
                "side_order": "alternating",
                "rest": 0,
                "switch": 2,
            }
        )
    )
    assert shape(plan) == [
        ("get_ready", None, 1, 1),
        ("rep", "right", 1, 1),
        ("switch_sides", "left", 1, 1),
        ("rep", "left", 1, 1),
        ("rep", "right", 1, 2),
        ("switch_sides", "left", 1, 2),
        ("rep", "left", 1, 2),
        ("rep", "right", 1, 3),
        ("switch_sides", "left", 1, 3),
        ("rep", "left", 1, 3),
    ]
    assert plan.total_seconds == 10 + 6 * 7 + 3 * 2
    # Every alternating rep names its side, since there is no switch step before it.
    assert all(s.say.startswith(s.side.capitalize()) for s in plan.steps if s.phase == "rep")


def test_alternating_with_rests_and_switch_zero() -> None:
    plan = compile_plan(
        routine(
            {
                "name": "x",
                "hold": 5,
                "reps": 2,
                "sides": "both",
                "side_order": "alternating",
                "rest": 4,
                "switch": 0,
                "get_ready": 0,
            }
        )
    )
    assert shape(plan) == [
        ("hold", "right", 1, 1),
        ("hold", "left", 1, 1),
        ("rest", "left", 1, 1),
        ("hold", "right", 1, 2),
        ("hold", "left", 1, 2),
    ]
    assert plan.total_seconds == 4 * 5 + 4


def test_transitions_between_exercises_announce_a_change_of_position() -> None:
    plan = compile_plan(
        routine(
            {"name": "A", "position": "Lie on your back", "hold": 5},
            {"name": "B", "position": "Lie on your back", "hold": 5},
            {"name": "C", "position": "Kneel on all fours", "hold": 5},
            {"name": "D", "hold": 5},
        )
    )
    transitions = [s for s in plan.steps if s.phase == "transition"]
    assert [t.exercise for t in transitions] == ["A", "B", "C"]
    assert transitions[0].say == "Well done. Next: B."
    assert transitions[1].say == "Well done. Next: C. Change position."
    get_ready_c = plan.steps[transitions[1].index + 1]
    assert get_ready_c.say.startswith("C. Kneel on all fours.")
    assert transitions[2].say == "Well done. Next: D."
    assert plan.steps[-1].exercise == "D"
    assert plan.steps[-1].phase == "hold"
    assert [plan.exercise_start(i) for i in range(4)] == [0, 3, 6, 9]
    assert plan.exercise_start(4) is None
    assert plan.next_exercise_start(0) == 3
    assert plan.next_exercise_start(len(plan.steps) - 1) is None


def test_zero_gaps_are_left_out_and_the_intro_moves_to_the_first_hold() -> None:
    plan = compile_plan(
        routine(
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "steps": ["Pull one knee to your chest.", "Hold it."],
                "hold": 30,
                "reps": 2,
                "sets": 2,
                "sides": "both",
                "rest": 0,
                "set_rest": 0,
                "switch": 0,
                "get_ready": 0,
            },
            {"name": "Next one", "hold": 5, "get_ready": 0},
            defaults={"transition": 0},
        )
    )
    assert {s.phase for s in plan.steps} == {"hold"}
    assert len(plan.steps) == 2 * 2 * 2 + 1
    assert plan.steps[0].say == (
        "Knee to chest. Lie on your back. Pull one knee to your chest. Set 1 of 2. "
        "Right side. Rep 1 of 2. Hold 30 seconds."
    )
    assert plan.steps[-1].say == "Next one. Hold 5 seconds."
    assert all(s.seconds and s.seconds > 0 for s in plan.steps)


def test_breath_holds_last_breaths_times_breath_length() -> None:
    plan = compile_plan(
        routine({"name": "Child's pose", "hold": "6-10 breaths", "breath": "4.5s"}),
    )
    hold = plan.steps[1]
    assert hold.seconds == 6 * 4.5
    assert hold.breaths == 6
    assert hold.say == "Hold for 6 breaths."
    high = compile_plan(
        routine({"name": "Child's pose", "hold": "6-10 breaths", "breath": "4.5s"}), "high"
    )
    assert high.steps[1].seconds == 45
    assert high.steps[1].say == "Hold for 10 breaths."


def test_one_breath_is_singular() -> None:
    plan = compile_plan(routine({"name": "x", "hold": "1 breath"}))
    assert plan.steps[1].say == "Hold for 1 breath."


def test_levels_pick_the_ends_of_every_range() -> None:
    r = routine(
        {"name": "x", "hold": "10-30s", "reps": "2-3", "sets": "1-2", "rest": 5, "set_rest": 10}
    )
    low, high = compile_plan(r), compile_plan(r, "high")
    assert low.level == "low" and high.level == "high"
    assert [s.seconds for s in low.steps if s.phase == "hold"] == [10, 10]
    assert [s.seconds for s in high.steps if s.phase == "hold"] == [30] * 6
    assert len([s for s in high.steps if s.phase == "set_rest"]) == 1
    assert low.total_seconds == r.total_seconds("low") == 10 + 2 * 10 + 5
    assert high.total_seconds == r.total_seconds("high") == 10 + 2 * (3 * 30 + 2 * 5) + 10
    mixed = compile_plan(r, {0: LevelChoice(hold=20, reps=3, sets=1)})
    assert mixed.level == "current"
    assert [s.seconds for s in mixed.steps if s.phase == "hold"] == [20, 20, 20]


def test_counted_reps_last_their_tempo() -> None:
    plan = compile_plan(
        routine(
            {
                "name": "Bridge",
                "tempo": {"lift": 2, "hold": 1, "lower": 2, "pause": 0.5},
                "reps": 3,
                "sets": 2,
                "rest": 0,
                "set_rest": 30,
            }
        )
    )
    reps = [s for s in plan.steps if s.phase == "rep"]
    assert len(reps) == 6
    assert {s.seconds for s in reps} == {5.5}
    get_ready = plan.steps[0]
    assert get_ready.say.startswith(
        "Bridge. 3 reps: lift 2 seconds, hold 1 second, lower 2 seconds, pause 0.5 seconds."
    )
    assert reps[0].say == "Set 1 of 2. 3 reps. 1."
    assert reps[1].say == "2."
    assert reps[2].say == "3, last one."
    assert reps[3].say.startswith("Set 2 of 2.")
    set_rest = next(s for s in plan.steps if s.phase == "set_rest")
    assert set_rest.say == "Set 1 of 2 done. Rest 30 seconds."


def test_a_rep_keeps_its_count_where_its_first_part_words_do_not_fit() -> None:
    # Half a second a word: "2. Toes pointed, head down." needs 2.5 s of a 2 s part, and the
    # part's words alone 2 s; the count still fits, so the person can follow the set.
    slow = compile_plan(
        routine(
            {
                "name": "Flossing",
                "tempo": {"lift": 2, "lower": 3, "names": {"lift": "toes pointed, head down"}},
                "reps": 3,
                "rest": 0,
            }
        ),
        length=lambda text: 0.5 * len(text.split()),
    )
    firsts = [s.cues[0] for s in slow.steps if s.phase == "rep"]
    assert [(c.say, c.sound) for c in firsts] == [
        ("1.", "tempo"),
        ("2.", "tempo"),
        ("3, last one.", "tempo"),
    ]
    assert all(c.at + c.seconds <= 2 for c in firsts)


def test_a_rep_count_with_no_room_in_its_first_part_is_said_at_the_end_of_the_rep_before() -> None:
    # A second a word: "2." needs 1.09 s with its sound, the 1 s lift has 0.85 s before the
    # next part's sound. The count is said at the end of the rep before, on its own.
    slow = compile_plan(
        routine({"name": "Tilts", "tempo": {"lift": 1, "lower": 3}, "reps": 3, "rest": 0}),
        length=lambda text: 1.0 * len(text.split()),
    )
    reps = [s for s in slow.steps if s.phase == "rep"]
    assert [c.say for c in reps[1].cues if c.kind == "go"] == [None]
    told = [(c.say, c.at) for c in reps[0].cues if c.kind == "next"]
    assert told == [("2.", pytest.approx(4 - 0.15 - 1.0))]
    assert [c.say for c in reps[1].cues if c.kind == "next"] == ["Last one."]
    # The lowering's words still fit before it, and every part keeps its sound.
    assert [c.say for c in reps[0].cues if c.kind == "tempo"] == ["Lower."]
    assert all(c.sound == "tempo" for r in reps for c in r.cues if c.kind in ("go", "tempo"))


def test_a_single_counted_rep_is_not_numbered() -> None:
    plan = compile_plan(routine({"name": "x", "tempo": {"lift": 3, "lower": 3}}))
    assert "One rep: lift 3 seconds, lower 3 seconds." in plan.steps[0].say
    assert plan.steps[1].say == "Go."


def test_user_paced_steps_have_no_length_and_count_zero() -> None:
    r = routine(
        {"name": "Walk", "user_paced": True, "reps": 2, "rest": 10},
        {"name": "Stretch", "hold": 15},
    )
    plan = compile_plan(r)
    paced = [s for s in plan.steps if s.user_paced]
    assert [(s.phase, s.rep) for s in paced] == [("rep", 1), ("rep", 2)]
    assert paced[0].say == (
        "Round 1 of 2. Repeat as tolerated, at your own pace. Press enter when you are done."
    )
    assert plan.total_seconds == 10 + 10 + 5 + 10 + 15 == r.total_seconds()
    assert sum(s.seconds or 0 for s in plan.steps) == plan.total_seconds


def test_a_physiotherapist_would_say_it_like_this() -> None:
    plan = compile_plan(
        routine(
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "steps": ["Pull one knee to your chest"],
                "hold": "30s",
                "reps": 3,
                "sets": 3,
                "sides": "both",
                "rest": "10s",
            }
        )
    )
    says = [s.say for s in plan.steps]
    assert says[0] == (
        "Knee to chest. Lie on your back. Pull one knee to your chest. Right side first. "
        "Starting in 10 seconds."
    )
    assert says[1] == "Set 1 of 3. Right side. Rep 1 of 3. Hold 30 seconds."
    assert "Release. Rest 10 seconds." in says
    assert "Switch to the left side." in says
    assert "Last one. Hold 30 seconds." in says
    assert any(s.startswith("Set 2 of 3.") for s in says)
    assert "Set 2 of 3 done. Rest 30 seconds." in says
    check_words_match_timing(plan)


def test_set_one_is_announced_when_there_are_several_sets() -> None:
    plan = compile_plan(routine({"name": "x", "hold": 5, "sets": 2}))
    holds = [s.say for s in plan.steps if s.phase == "hold"]
    assert holds == ["Set 1 of 2. Hold 5 seconds.", "Set 2 of 2. Hold 5 seconds."]


def test_fractional_durations_are_said_exactly() -> None:
    plan = compile_plan(
        routine(
            {
                "name": "x",
                "hold": "7.25s",
                "reps": 2,
                "rest": "2.5s",
                "get_ready": "3.75",
                "sets": 2,
                "set_rest": "1m0.5s",
            }
        )
    )
    check_words_match_timing(plan)
    assert plan.steps[1].say.endswith("Hold 7.25 seconds.")
    assert plan.total_seconds == 3.75 + 2 * (2 * 7.25 + 2.5) + 60.5


# ------------------------------------------------------------------ the plan object


def test_plan_and_steps_are_immutable() -> None:
    plan = compile_plan(routine({"name": "x", "hold": 5}))
    assert isinstance(plan.steps, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.steps[0].seconds = 99  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.name = "y"  # type: ignore[misc]


@pytest.mark.parametrize("rest", [0, 2])
def test_a_plan_s_steps_are_steps_like_any_other(rest: float) -> None:
    """The builder makes its steps without Step's own __init__ (a 10,000-step plan makes
    10,000): each is what Step(...) makes of its fields, equal, hashed alike, frozen."""
    made = compile_plan(
        routine({"name": "x", "hold": 3, "reps": 3, "sets": 2, "sides": "both", "rest": rest})
    )
    assert len(made.steps) == (24 if rest else 16)  # 8 rests between reps, or none
    for index, step in enumerate(made.steps):
        again = Step(**{f.name: getattr(step, f.name) for f in dataclasses.fields(Step)})
        assert step == again and hash(step) == hash(again) and vars(step) == vars(again)
        assert step.index == index and step.cues == () and step.added == 0.0
        with pytest.raises(dataclasses.FrozenInstanceError):
            step.say = "y"  # type: ignore[misc]


def test_a_plan_fitted_from_steps_built_before_is_the_same_plan() -> None:
    """A plan fitted twice (a first plan: by the lengths at hand, then measured) builds its
    steps once: fitted from them, the same plan as from the routine."""
    from backtimer.core.timeline import estimator

    made = routine(
        {"name": "x", "hold": 3, "reps": 3, "sets": 2, "sides": "both", "get_ready": 0},
        {"name": "y", "hold": "5-8s", "reps": 2, "side_order": "alternating", "sides": "both"},
    )
    for level in ("low", "high"):
        length = estimator(150)
        fitted = plan_steps(made, level, fitted=True)
        again = compile_plan(made, level, length=length, steps=fitted)
        assert again == compile_plan(made, level, length=length)
        assert compile_plan(made, level, length=estimator(120), steps=fitted) == compile_plan(
            made, level, length=estimator(120)
        )
        plain = plan_steps(made, level)
        assert compile_plan(made, level, steps=plain) == compile_plan(made, level)
        assert [s.phase for s in fitted] == ["get_ready", *(s.phase for s in plain)]


def test_total_offsets_and_time_left_after_each_step() -> None:
    plan = compile_plan(
        routine(
            {"name": "a", "hold": 10, "reps": 2, "rest": 5},
            {"name": "b", "user_paced": True},
            {"name": "c", "hold": 20},
        )
    )
    lengths = [s.seconds or 0.0 for s in plan.steps]
    assert plan.total_seconds == sum(lengths) == 10 + 25 + 5 + 10 + 5 + 10 + 20
    for i in range(len(plan.steps)):
        assert plan.offset(i) == sum(lengths[:i])
        assert plan.remaining_after(i) == sum(lengths[i + 1 :])
    assert plan.remaining_after(len(plan.steps) - 1) == 0


def test_to_json_has_the_documented_fields() -> None:
    plan = compile_plan(routine({"name": "x", "hold": 5, "sides": "both"}))
    data = plan.to_json()
    assert data["name"] == "Test"
    assert data["total_seconds"] == plan.total_seconds
    required = {"phase", "exercise", "side", "set", "sets", "rep", "reps", "seconds", "say"}
    for item, step in zip(data["steps"], plan.steps, strict=True):
        assert required <= set(item)
        assert item["phase"] in PHASES
        assert (item["phase"], item["side"], item["seconds"], item["say"]) == (
            step.phase,
            step.side,
            step.seconds,
            step.say,
        )
    assert Step.to_json(plan.steps[0])["exercise_index"] == 0


def test_sets_per_side_does_every_set_on_one_side_then_switches() -> None:
    """ "Hold for two seconds, repeat 10 times. Perform three sets, then switch sides." """
    plan = compile_plan(
        routine(
            {
                "name": "Hip abductor",
                "hold": 2,
                "reps": 2,
                "sets": 2,
                "sides": "both",
                "side_order": "sets_per_side",
                "rest": 1,
                "set_rest": 30,
                "switch": 5,
            }
        )
    )
    body = [(s.phase, s.side, s.set, s.rep) for s in plan.steps[1:]]
    assert body == [
        ("hold", "right", 1, 1),
        ("rest", "right", 1, 1),
        ("hold", "right", 1, 2),
        ("set_rest", "right", 1, 2),
        ("hold", "right", 2, 1),
        ("rest", "right", 2, 1),
        ("hold", "right", 2, 2),
        ("switch_sides", "left", 1, 1),
        ("hold", "left", 1, 1),
        ("rest", "left", 1, 1),
        ("hold", "left", 1, 2),
        ("set_rest", "left", 1, 2),
        ("hold", "left", 2, 1),
        ("rest", "left", 2, 1),
        ("hold", "left", 2, 2),
    ]
    says = [s.say for s in plan.steps if s.phase == "hold" and s.rep == 1]
    assert says[1].startswith("Set 2 of 2. Right side.")
    assert says[2].startswith("Set 1 of 2. Left side.")
    # The routine's own duration formula (routine.py), not the plan's steps, agrees:
    # get ready 10 + per side (2 sets x (2 holds of 2 + 1 rest) + 1 set rest of 30) x 2
    # + one switch of 5.
    source = routine(
        {
            "name": "Hip abductor",
            "hold": 2,
            "reps": 2,
            "sets": 2,
            "sides": "both",
            "side_order": "sets_per_side",
            "rest": 1,
            "set_rest": 30,
            "switch": 5,
        }
    )
    assert source.total_seconds() == 10 + 2 * (2 * (2 * 2 + 1) + 30) + 5 == plan.total_seconds


def test_the_position_is_not_read_twice_when_the_first_step_says_it() -> None:
    plan = compile_plan(
        routine(
            {
                "name": "Piriformis",
                "position": "Lie on your back",
                "steps": ["While lying on your back, cross one leg over the other."],
                "hold": 30,
            }
        )
    )
    assert plan.steps[0].say.startswith(
        "Piriformis. While lying on your back, cross one leg over the other."
    )
    other = compile_plan(
        routine(
            {
                "name": "Knee to chest",
                "position": "Lie on your back",
                "steps": ["Pull one knee to your chest."],
                "hold": 30,
            }
        )
    )
    assert other.steps[0].say.startswith("Knee to chest. Lie on your back. Pull one knee")


def test_a_short_hold_is_announced_briefly() -> None:
    """ "Rep 2 of 3. Hold 1 second." takes longer to say than the hold lasts."""
    plan = compile_plan(routine({"name": "Tuck", "hold": 1, "reps": 3, "rest": 2}))
    holds = [s.say for s in plan.steps if s.phase == "hold"]
    assert holds == ["Hold 1 second.", "Hold 1 second.", "Last one. Hold 1 second."]
    longer = compile_plan(routine({"name": "Tuck", "hold": 5, "reps": 3, "rest": 2}))
    first = next(s.say for s in longer.steps if s.phase == "hold")
    assert first == "Rep 1 of 3. Hold 5 seconds."
