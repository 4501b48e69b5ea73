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


class GuardedPlayer(TonePlayer):
    """Records every call; a call that starts while another is still inside the player
    (two threads at once) is recorded as ("overlap", name)."""

    def __init__(self) -> None:
        super().__init__()
        import threading

        self._inside = threading.Lock()

    def _enter(self, *call: str) -> None:
        import time

        if not self._inside.acquire(blocking=False):
            self.calls.append(("overlap", call[0]))
            return
        try:
            self.calls.append(call)
            time.sleep(0)  # let another thread in, if it can get in
        finally:
            self._inside.release()

    def sound(self, name: str, at: float | None = None) -> None:
        self._enter("sound", name)

    def say(self, text: str, at: float | None = None) -> None:  # type: ignore[override]
        self._enter("say", text)

    def say_next(self, text: str, at: float | None = None) -> None:
        self._enter("say_next", text)

    def silence(self) -> None:
        self._enter("silence")

    def stop_sounds(self) -> None:
        self._enter("stop_sounds")

    def mark(self, what: str) -> None:
        self._enter("mark", what)


def test_cues_from_a_thread_never_play_after_a_pain_stops_silence() -> None:
    """The app's cue thread plays the timeline while the main thread pauses, stops for pain
    and goes on: calls never reach the player from two threads at once, nothing raises, and
    between a pain stop's silence and going on only the stop sound and word are heard."""
    import random
    import sys
    import threading

    from backtimer.core.plan import compile_plan
    from backtimer.core.schema import validate_routine
    from backtimer.core.timeline import estimator
    from backtimer.session.cues import STOPPED_TEXT, Cues
    from backtimer.session.runner import SessionRunner

    routine = validate_routine(
        {
            "name": "Many cues",
            "exercises": [
                {"name": "Knee to chest", "hold": 5, "reps": 6, "rest": 3, "get_ready": 3},
                {"name": "Bridge", "hold": 5, "reps": 6, "rest": 3, "sides": "both"},
            ],
        }
    )
    plan = compile_plan(routine, length=estimator(300))
    now = [100.0]
    made: list[GuardedPlayer] = []

    def make() -> GuardedPlayer:
        made.append(GuardedPlayer())
        return made[-1]

    late = LatePlayer(make, tones=True)
    cues = Cues(late, clock=lambda: now[0])
    runner = SessionRunner(plan, clock=lambda: now[0], listeners=[cues], sleep_gap=None)
    errors: list[BaseException] = []
    done = threading.Event()

    def hammer() -> None:  # the app's cue thread, polling as fast as it can
        try:
            while not done.is_set():
                cues.poll(now[0])
        except BaseException as exc:  # reported below
            errors.append(exc)

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads change hands as often as they can
    thread = threading.Thread(target=hammer, daemon=True)
    random.seed(11)
    try:
        runner.do("start")
        thread.start()
        steps = 0
        while not runner.session.over and steps < plan.total_seconds * 40:
            steps += 1
            if steps == 40:
                late.ready()  # the player is made while the thread plays cues
            now[0] = round(now[0] + 0.05, 6)
            runner.tick()
            roll = random.random()
            if roll < 0.02:
                runner.do("pain")
                late.mark("going on")  # what the player hears next comes after going on
                runner.do("mistake")
            elif roll < 0.04:
                runner.do("pause")
                now[0] += 0.5
                runner.do("resume")
    finally:
        done.set()
        thread.join(timeout=10)
        sys.setswitchinterval(switch)
    assert not thread.is_alive()
    assert errors == []
    assert runner.session.over
    assert made, "the player was made"
    calls = made[0].calls
    assert not [c for c in calls if c[0] == "overlap"]
    assert any(c[0] == "say_next" for c in calls), "the thread played cues"
    stops = [i for i, c in enumerate(calls) if c == ("say", STOPPED_TEXT)]
    assert stops, "a pain stop was made after the player was ready"
    for i, call in enumerate(calls):
        if call != ("silence",) or ("say", STOPPED_TEXT) not in calls[i + 1 : i + 3]:
            continue  # not a pain stop's silence
        after = calls[i + 1 : calls.index(("mark", "going on"), i)]
        assert after == [("sound", "stop"), ("say", STOPPED_TEXT)], after


async def test_where_a_child_looks_for_the_device_the_player_is_made_once_it_answered(
    tmp_path: Any, monkeypatch: Any
) -> None:
    """No sound server in sight: the child's look (backtimer.sound.output.look_ahead) runs
    beside the screen, and the player is made when it has answered."""
    import threading

    from backtimer.sound import output

    answered: list[Any] = []

    def look_ahead(then: Any, sample_rate: int = 0) -> bool:
        answered.append(then)
        return True

    monkeypatch.setattr(output, "look_ahead", look_ahead)
    entry = write_routine(tmp_path, SHORT)
    app = make_app(entry, clock=FakeClock(), tick_interval=None, voice=False, bell=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.player, LatePlayer) and len(answered) == 1
        assert not app.player.is_ready  # the screen went on; the cues wait
        assert "GET READY" in str(app.screen.query_one("#phase").render())
        thread = threading.Thread(target=answered[0])  # the child answered, in its thread
        thread.start()
        thread.join()
        await pilot.pause()
        assert app.player.is_ready and len(answered) == 1  # looked at once


class NextPlayer(TonePlayer):
    def say_next(self, text: str, at: float | None = None) -> None:
        self.calls.append(("say_next", text, at))


class QuietPlayer(NextPlayer):
    def say_after_quiet(self, text: str, at: float | None = None, words: float = 0.0) -> None:
        self.calls.append(("say_after_quiet", text, at, words))


def test_a_number_after_a_number_reaches_the_player_as_it_can_take_it() -> None:
    # A speech command's player stops the number before's trailing quiet; a player without
    # one (the voice's renders end with their words) says it next, as any timeline cue.
    # What waited for the player reaches it without its deadline (said at once, never left
    # out as late: see test_late_player_deadlines.py); straight through, with it.
    for cls, waited, expected in (
        (QuietPlayer, ("say_after_quiet", "2", None, 0.6), ("say_after_quiet", "2", 5.0, 0.6)),
        (NextPlayer, ("say_next", "2", None), ("say_next", "2", 5.0)),
    ):
        late = LatePlayer(cls, tones=True)
        late.say_after_quiet("2", 5.0, 0.6)  # waits for the player
        assert late.speaking
        player = late.ready()
        late.say_after_quiet("2", 5.0, 0.6)  # straight through
        assert player.calls == [waited, expected]
