"""The timeline's rule for what is said after a resume (fit_resumed): cues with a deadline
keep it, the resume words and a sentence said again fit before them or give way, a safety
warning last."""

from __future__ import annotations

import itertools

from backtimer.core.timeline import GAP, RESUME_KIND, Cue, fit_resumed, resume_room

RESUMING = Cue(0.0, "Resuming.", None, 1.0, RESUME_KIND)


def spans(placed: list) -> list[tuple[float, float, str]]:
    return sorted(
        (p.due, p.due + p.cue.lead + p.cue.seconds, p.cue.say) for p in placed if p.cue.say
    )


def no_overlap(placed: list) -> bool:
    return all(b[0] >= a[1] + GAP - 1e-9 for a, b in itertools.pairwise(spans(placed)))


def count(at: float, number: int) -> Cue:
    return Cue(at, str(number), "tick", 0.5, "count", from_end=True)


def test_the_resume_words_are_said_only_where_they_end_before_the_next_deadline() -> None:
    pending = [(10.5, count(0, 3)), (11.5, count(0, 2)), (12.5, count(0, 1))]
    placed = fit_resumed(10.0, pending, words=[RESUMING], end=13.5)
    assert [p.cue.say for p in placed] == ["3", "2", "1"]  # no room: not said
    assert [p.due for p in placed] == [10.5, 11.5, 12.5]
    placed = fit_resumed(9.0, pending, words=[RESUMING], end=13.5)
    assert [(p.due, p.cue.say) for p in placed][-1] == (9.0, "Resuming.")
    assert no_overlap(placed)


def test_the_richest_words_that_fit_are_chosen() -> None:
    longer = Cue(0.0, "Resuming. Hold, 9 seconds left.", None, 3.0, RESUME_KIND)
    pending = [(12.0, count(0, 3))]
    placed = fit_resumed(10.0, pending, words=[longer, RESUMING], end=15.0)
    assert [p.cue.say for p in placed if p.source is None] == ["Resuming."]
    placed = fit_resumed(8.0, pending, words=[longer, RESUMING], end=15.0)
    assert [p.cue.say for p in placed if p.source is None] == [longer.say]


def test_a_cut_sentence_comes_first_and_the_words_after_it_move_later() -> None:
    again = Cue(0.0, "Pull one knee to your chest.", None, 2.0, "intro")
    after = Cue(0.0, "Hold 20 seconds.", None, 1.5, "intro")
    pending = [(10.5, after), (20.0, count(0, 3))]
    placed = fit_resumed(10.0, pending, again=again, end=23.0)
    said = [(p.due, p.cue.say, p.source) for p in placed]
    assert (20.0, "3", 1) in said  # the deadline kept
    assert (10.0, again.say, None) in said
    assert (10.0 + 2.0 + GAP, after.say, 0) in said  # after it, with a gap
    assert no_overlap(placed)


def test_a_safety_warning_is_heard_rather_than_chatter() -> None:
    warning = Cue(0.0, "Keep your lower back flat on the floor.", None, 4.0, "safety")
    stop_if = Cue(0.0, "Stop if you feel pain in the hip.", None, 3.0, "safety")
    timed = Cue(0.0, "Hold 20 seconds.", None, 1.5, "intro")
    nxt = Cue(0.0, "Rep 1 of 2.", None, 1.2, "next", from_end=True)
    pending = [(14.6, stop_if), (17.9, timed), (19.7, nxt), (21.0, count(0, 3))]
    placed = fit_resumed(11.0, pending, words=[RESUMING], again=warning, end=24.0)
    said = [p.cue.say for p in sorted(placed, key=lambda p: p.due)]
    # 10 s before the count: the warning again, the stop-if, then what is timed; the
    # resume words and what comes next give way.
    assert said == [warning.say, stop_if.say, timed.say, "3"]
    assert no_overlap(placed)
    # With less room the instructions give way too, never a warning.
    placed = fit_resumed(13.0, pending, words=[RESUMING], again=warning, end=24.0)
    said = [p.cue.say for p in sorted(placed, key=lambda p: p.due)]
    assert said == [warning.say, stop_if.say, "3"]
    assert no_overlap(placed)


def test_nothing_after_the_step_s_end() -> None:
    again = Cue(0.0, "A long sentence that takes its time.", None, 5.0, "intro")
    placed = fit_resumed(10.0, [], again=again, end=12.0)
    assert placed == []
    placed = fit_resumed(10.0, [], again=again, end=None)
    assert [p.cue.say for p in placed] == [again.say]


def test_a_warning_with_no_room_left_takes_the_countdown_s_words_not_its_ticks() -> None:
    # Cut 2 s before the count: the warning again takes 3.5 s. The numbers it runs over give
    # it their words (their ticks still mark the seconds); the one after it keeps its word.
    warning = Cue(0.0, "Keep your lower back flat on the floor.", None, 3.5, "safety")
    pending = [(12.0, count(0, 3)), (13.0, count(0, 2)), (14.0, count(0, 1))]
    placed = fit_resumed(10.0, pending, words=[RESUMING], again=warning, end=15.0)
    assert [(p.due, p.cue.say, p.cue.sound) for p in sorted(placed, key=lambda p: p.due)] == [
        (10.0, warning.say, None),
        (12.0, None, "tick"),
        (13.0, None, "tick"),
        (14.0, "1", "tick"),
    ]
    assert no_overlap(placed)
    # Chatter never takes the numbers' words.
    chatter = Cue(0.0, "Rep 1 of 2.", None, 4.0, "intro")
    placed = fit_resumed(10.0, pending, again=chatter, end=15.0)
    assert [p.cue.say for p in placed] == ["3", "2", "1"]


def test_the_room_a_resume_needs_is_none_where_everything_fits() -> None:
    after = Cue(0.0, "Hold 20 seconds.", None, 1.5, "intro")
    pending = [(10.5, after), (20.0, count(0, 3)), (21.0, count(0, 2)), (22.0, count(0, 1))]
    again = Cue(0.0, "Pull one knee to your chest.", None, 2.0, "intro")
    assert resume_room(10.0, pending, moves=[1, 2, 3], again=again, end=23.0) == 0.0
    assert resume_room(10.0, pending, moves=[1, 2, 3], again=again, end=None) == 0.0


def test_the_room_is_what_the_words_left_to_say_need_in_whole_seconds() -> None:
    # Cut 4 s before the count: the cut sentence again (3 s), the instruction after it
    # (2 s) and what comes next (1.2 s, timed from the end) need 3 + 2 + 1.2 + 3 gaps.
    again = Cue(0.0, "Then rotate your pelvis the other way.", None, 3.0, "intro")
    after = Cue(0.0, "If it feels comfortable, inhale.", None, 2.0, "intro")
    nxt = Cue(0.0, "10 reps.", None, 1.2, "next", from_end=True)
    pending = [(12.0, after), (14.5, nxt), (16.0, count(0, 3)), (17.0, count(0, 2))]
    pending += [(18.0, count(0, 1))]
    moves = [1, 2, 3, 4]
    room = resume_room(12.0, pending, moves=moves, again=again, end=19.0)
    # 12 + 3 + 0.3 + 2 + 0.3 + 1.2 + 0.3 = 19.1: the count ("3" at 16) 3.1 s later at least.
    assert room == 4.0
    moved = [(due + room if n in moves else due, cue) for n, (due, cue) in enumerate(pending)]
    placed = fit_resumed(12.0, moved, again=again, end=19.0 + room)
    said = [p.cue.say for p in sorted(placed, key=lambda p: p.due)]
    assert said == [again.say, after.say, nxt.say, "3", "2", "1"]
    assert no_overlap(placed)
    # One second less would leave something out: the room is the least that does.
    less = [(due + 3.0 if n in moves else due, cue) for n, (due, cue) in enumerate(pending)]
    placed = fit_resumed(12.0, less, again=again, end=22.0)
    assert len([p for p in placed if p.cue.say and p.cue.kind != "count"]) < 3


def test_a_warning_longer_than_the_time_left_gets_its_room() -> None:
    # Nothing but the count left, and a warning cut off that takes longer than the time
    # left in the step: the step is made long enough for it in full, then the count.
    warning = Cue(0.0, "Keep your lower back flat on the floor.", None, 6.0, "safety")
    pending = [(12.0, count(0, 3)), (13.0, count(0, 2)), (14.0, count(0, 1))]
    room = resume_room(10.0, pending, moves=[0, 1, 2], again=warning, end=15.0)
    assert room == 5.0  # 10 + 6 + 0.3 = 16.3: the count from 17 (whole seconds)
    moved = [(due + room, cue) for due, cue in pending]
    placed = fit_resumed(10.0, moved, again=warning, end=15.0 + room)
    said = sorted((p.due, p.cue.say) for p in placed)
    assert said == [(10.0, warning.say), (17.0, "3"), (18.0, "2"), (19.0, "1")]


def test_no_room_for_the_resume_words_alone_nor_for_a_number_cut_off() -> None:
    pending = [(10.5, count(0, 2)), (11.5, count(0, 1))]
    assert resume_room(10.0, pending, moves=[0, 1], again=count(0, 3), end=12.5) == 0.0


def test_the_next_step_s_first_words_need_no_room_in_this_one() -> None:
    # Due at the end, they are the next step's (said when it starts, on its clock).
    after = Cue(0.0, "Next: Bridge.", None, 1.5, "head")
    following = Cue(0.0, "Lie on your back.", None, 2.0, "intro")
    pending = [(10.5, after), (13.0, following)]
    assert resume_room(10.0, pending, moves=[1], following=[1], end=13.0) == 0.0
    again = Cue(0.0, "Well done.", None, 2.0, "head")
    assert resume_room(10.0, pending, moves=[1], following=[1], again=again, end=13.0) == 1.0


def test_no_room_where_more_time_would_not_let_the_words_be_said() -> None:
    # A pause in "Release." at the start of a switch: said again, it would run into
    # "Switch sides." (its sound on a time from the step's start, which a longer step does
    # not move), so no length lets it be said. The step was made 18 s longer (everything
    # said one after another), in silence: no longer than what can be said needs.
    release = Cue(0.0, "Release.", None, 1.7, "release")
    switch = Cue(2.3, "Switch sides.", "switch", 1.5, "head")
    nxt = Cue(5.35, "Left knee to your chest. Rep 1 of 3.", None, 5.8, "next", from_end=True)
    pending = [(2.3, switch), (5.35, nxt), (12.0, count(0, 3)), (13.0, count(0, 2))]
    pending += [(14.0, count(0, 1))]
    moves = [1, 2, 3, 4]
    assert resume_room(0.75, pending, moves=moves, again=release, end=15.0) == 0.0
    # What can be said still gets its room: an instruction after "Switch sides." (from
    # 4.46, after its sound and words) that ends at 12.16, and what comes next after it
    # (5.8 s), before the count: 12.46 + 5.8 + 0.3 = 18.56, the "3" 7 s later.
    longer = Cue(4.0, "Bring the other knee up and hold it with both hands.", None, 7.7, "intro")
    more = [(2.3, switch), (4.0, longer), *pending[1:]]
    room = resume_room(0.75, more, moves=[2, 3, 4, 5], again=release, end=15.0)
    assert room == 7.0
    moved = [(due + room if n > 1 else due, cue) for n, (due, cue) in enumerate(more)]
    placed = fit_resumed(0.75, moved, again=release, end=15.0 + room)
    assert {longer, nxt} <= {p.cue for p in placed}
