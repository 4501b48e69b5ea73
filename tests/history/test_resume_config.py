"""Resume compares like with like: the stored step is matched against a plan compiled the way
``run`` compiles it, with the settings' defaults (get_ready, rest, breath) filled in; when it
really cannot match, the person is told why."""

from __future__ import annotations

from pathlib import Path

from history_driver import FakeTime, entry_for, write_routine

from backtimer.files.config import Config
from backtimer.session.launch import find_resume, prepare
from backtimer.session.runner import SessionRunner

#: No get_ready, rest or switch of its own: the settings' values are used.
ROUTINE = """\
name = "Settings routine"
[[exercises]]
name = "Knee to chest"
hold = 5
reps = 3
sides = "both"
[[exercises]]
name = "Bridges"
hold = 4
reps = 3
"""


def _interrupt(entry, data: Path, config: Config, at_exercise: int) -> int:  # type: ignore[no-untyped-def]
    from datetime import datetime

    launch = prepare(entry, config=config, data_dir=data)
    fake = FakeTime(datetime.now().astimezone())
    runner = SessionRunner(launch.plan, clock=fake, listeners=[launch.recorder], sleep_gap=None)
    runner.do("start")
    while not (runner.session.step.exercise_index == at_exercise and runner.session.step.is_work):
        fake.now = runner.session.deadline
        runner.tick()
    fake.now = runner.session.deadline
    runner.tick()  # one more: well inside the exercise
    index = runner.session.index
    launch.recorder.on_interrupted()
    assert launch.close() is None
    return index


def test_resume_with_get_ready_and_rest_from_the_settings(tmp_path: Path) -> None:
    entry = entry_for(write_routine(tmp_path / "routines", ROUTINE, "settings"))
    data = tmp_path / "data"
    config = Config(get_ready=7, rest=0)  # rest 0: no rest steps, a different plan shape
    index = _interrupt(entry, data, config, at_exercise=1)
    notes: list[str] = []
    found = find_resume(entry, data, config=config, notes=notes)
    assert found is not None, notes
    assert found.step_index == index and found.step["exercise"] == "Bridges"
    launch = prepare(entry, config=config, data_dir=data, resume=found, record=False)
    assert launch.start_index == index
    assert launch.plan.steps[index].exercise == "Bridges"
    # The settings' get-ready, as run uses (made longer only by the words it says).
    first = launch.plan.steps[0]
    assert first.seconds is not None and first.seconds - first.added == 7


def test_when_the_settings_changed_the_reason_is_given(tmp_path: Path) -> None:
    entry = entry_for(write_routine(tmp_path / "routines", ROUTINE, "settings"))
    data = tmp_path / "data"
    _interrupt(entry, data, Config(rest=0), at_exercise=1)
    notes: list[str] = []
    assert find_resume(entry, data, config=Config(rest=3), notes=notes) is None
    (note,) = notes
    assert "cannot be resumed" in note and "changed" in note and "Bridges" in note
