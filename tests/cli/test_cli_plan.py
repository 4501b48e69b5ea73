"""``backtimer plan ROUTINE [--json] [--level low|high]``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backtimer.cli.main import main
from backtimer.core.phases import PHASES

ROUTINE = """\
name = "Evening [bold]stretch[/bold]"
[source]
title = "A test"
[defaults]
rest = "10s"
[[exercises]]
name = "Knee to chest"
position = "Lie on your back"
steps = ["Pull one knee to your chest"]
hold = "10-30s"
reps = "2-3"
sides = "both"
[[exercises]]
name = "Cat cow"
position = "Kneel on all fours"
user_paced = true
[[exercises]]
name = "Bridge"
tempo = { lift = 2, hold = 1, lower = 2 }
reps = 3
sets = 2
set_rest = "1m"
rest = 0
"""
# get_ready 10 + 2 sides x (2 x 10 + 10) + switch 5 + transition 5
# + get_ready 10 + (user-paced: 0) + transition 5
# + get_ready 10 + 2 x 3 x 5 + set_rest 60
LOW_TOTAL = 10 + 2 * (2 * 10 + 10) + 5 + 5 + 10 + 5 + 10 + 2 * 3 * 5 + 60
HIGH_TOTAL = 10 + 2 * (3 * 30 + 2 * 10) + 5 + 5 + 10 + 5 + 10 + 2 * 3 * 5 + 60


@pytest.fixture
def routine_file(tmp_path: Path) -> Path:
    path = tmp_path / "evening.toml"
    path.write_text(ROUTINE, encoding="utf-8")
    return path


def added(path: Path, level: str = "low") -> float:
    """Seconds the spoken words add to the routine's own times, for the default settings
    (what ``plan`` fits the timeline for), and the closing sound and words after the last
    step (part of the total: ``backtimer audio``'s file lasts it)."""
    from backtimer.files.config import Config
    from backtimer.files.routine_load import load_routine
    from backtimer.session.launch import speech_plan

    plan = speech_plan(load_routine(path), level, Config())
    assert plan.closing > 0
    return plan.added_seconds + plan.closing


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["plan", *argv, "--json"]) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def test_json_plan(routine_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, str(routine_file))
    assert data["name"] == "Evening [bold]stretch[/bold]"
    # The real total: the routine's own times, and what its words add to get-ready and rests.
    assert data["total_seconds"] == pytest.approx(LOW_TOTAL + added(routine_file))
    assert set(data["speech"]) == {"engine", "rate", "measured"}
    assert data["speech"]["rate"] == 175
    steps = data["steps"]
    closing = data["closing"]["seconds"]
    assert data["total_seconds"] == pytest.approx(sum(s["seconds"] or 0 for s in steps) + closing)
    required = {"phase", "exercise", "side", "set", "sets", "rep", "reps", "seconds", "say"}
    for step in steps:
        assert required <= set(step)
        assert step["phase"] in PHASES
        assert step["side"] in ("right", "left", None)
        assert 1 <= step["set"] <= step["sets"]
        assert 1 <= step["rep"] <= step["reps"]
        assert step["say"]
        assert step["cues"] and step["cues"][0]["at"] == 0
        for cue in step["cues"]:
            assert set(cue) == {"at", "say", "sound", "seconds"}
        # A step's say is everything said during it, in order.
        assert step["say"] == " ".join(c["say"] for c in step["cues"] if c["say"])
    first = steps[:3]
    assert [(s["phase"], s["side"]) for s in first] == [
        ("get_ready", None),
        ("hold", "right"),
        ("rest", "right"),
    ]
    assert first[0]["seconds"] >= 10 and first[1]["seconds"] == 10 and first[2]["seconds"] >= 10
    # What comes next is said before it; the hold starts with one word, then counts down.
    assert "Right side. Rep 1 of 2." in first[0]["say"] and first[0]["say"].endswith(" 3 2 1")
    assert first[1]["say"] == "Hold 3 2 1"
    paced = [s for s in steps if s["exercise"] == "Cat cow" and s["phase"] == "rep"]
    assert [s["seconds"] for s in paced] == [None]
    assert steps[-1] == {
        **steps[-1],
        "phase": "rep",
        "exercise": "Bridge",
        "set": 2,
        "sets": 2,
        "rep": 3,
        "reps": 3,
        "seconds": 5,
    }
    parts = [(c["at"], c["say"], c["sound"]) for c in steps[-1]["cues"]]
    assert [(at, sound) for at, _, sound in parts] == [(0, "tempo"), (2, "tempo"), (3, "tempo")]
    # As much as fits in 2 s, "last one" always: the person follows the set by it.
    assert parts[0][1] in ("3, last one. Lift.", "Last one. Lift.", "3, last one.", "Last one.")
    assert [say for _, say, _ in parts[1:]] == ["Hold.", "Lower."]


def test_json_plan_at_the_high_level(routine_file: Path, capsys) -> None:
    data = run_json(capsys, str(routine_file), "--level", "high")
    assert data["total_seconds"] == pytest.approx(HIGH_TOTAL + added(routine_file, "high"))
    holds = [s for s in data["steps"] if s["phase"] == "hold"]
    assert len(holds) == 6
    assert {s["seconds"] for s in holds} == {30}


def test_table_plan(routine_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(routine_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Evening [bold]stretch[/bold] (level: low)"  # shown literally
    header = lines[1].split()
    assert header[:3] == ["start", "phase", "exercise"]
    rows = lines[2:-3]
    closing = lines[-3].split()
    assert closing[1:6] == ["closing", "-", "-", "-", "-"]
    assert lines[-3].endswith("Session complete. Well done.")
    data = run_json(capsys, str(routine_file))
    assert closing[0] == f"{int(data['closing']['at']) // 60}:{int(data['closing']['at']) % 60:02d}"
    assert len(rows) == len(data["steps"])
    for row, step in zip(rows, data["steps"], strict=True):
        assert step["phase"] in row
        assert row.endswith(step["say"])
    assert rows[0].split()[:2] == ["0:00", "get_ready"]
    assert "until key" in next(r for r in rows if "Cat cow" in r and " rep " in r)
    minutes, seconds = divmod(int(data["total_seconds"]), 60)
    assert data["total_seconds"] == pytest.approx(LOW_TOTAL + added(routine_file))
    assert lines[-2] == f"total {minutes}:{seconds:02d} ({len(rows)} steps, 1 at your own pace)"
    assert lines[-1].startswith("speech: ") and "175 words per minute" in lines[-1]


def test_a_user_routine_by_name(user_routines: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (user_routines / "mine.toml").write_text(ROUTINE, encoding="utf-8")
    data = run_json(capsys, "mine")
    assert data["total_seconds"] == pytest.approx(LOW_TOTAL + added(user_routines / "mine.toml"))


def test_a_bundled_routine_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    bundled = sorted((Path(__file__).resolve().parents[2] / "routines").glob("*.toml"))
    assert bundled
    data = run_json(capsys, bundled[0].stem)
    assert data["steps"]
    steps = sum(s["seconds"] or 0 for s in data["steps"])
    assert data["total_seconds"] == pytest.approx(steps + data["closing"]["seconds"])


def test_an_unknown_routine_exits_1_without_a_traceback(capsys) -> None:
    assert main(["plan", "no-such-routine-here"]) == 1
    err = capsys.readouterr().err
    assert "no-such-routine-here" in err
    assert "Traceback" not in err


def test_an_invalid_routine_exits_1(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[exercises]]\nname = "a"\nhold = "soon"\n', encoding="utf-8")
    assert main(["plan", str(bad), "--json"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "hold" in captured.err


def test_a_bad_level_is_a_usage_error(routine_file: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["plan", str(routine_file), "--level", "medium"])
    assert exc.value.code == 2
    assert "--level" in capsys.readouterr().err


def test_the_installed_command(routine_file: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-m", "backtimer", "plan", str(routine_file), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    total = json.loads(done.stdout)["total_seconds"]
    assert total == pytest.approx(LOW_TOTAL + added(routine_file))


def test_a_plan_is_fitted_with_the_collector_waiting_and_it_comes_back(
    routine_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plan`` prints one plan and ends: the garbage collector waits while the plan is
    fitted (its steps and cues all live until it is printed); it is on again after."""
    import gc

    from backtimer.cli import plan as plan_command

    collecting: list[bool] = []
    real = plan_command.speech_plan

    def fitted(*args: object, **kwargs: object) -> object:
        collecting.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_command, "speech_plan", fitted)
    assert gc.isenabled()
    assert main(["plan", str(routine_file)]) == 0
    assert collecting == [False]
    assert gc.isenabled()
    assert "Session complete. Well done." in capsys.readouterr().out
