"""``backtimer plan ROUTINE --level current``: the levels stored in the history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backtimer.cli.main import main
from backtimer.core.routine import LevelChoice
from backtimer.files.catalog import load_entry
from backtimer.history import open_history
from backtimer.history.levels import store_level

ROUTINE = """\
name = "Evening"
[defaults]
rest = "10s"
get_ready = "10s"
[[exercises]]
name = "Knee to chest"
hold = "10-30s"
reps = "2-3"
[[exercises]]
name = "Bridge"
hold = "5s"
reps = 2
"""


@pytest.fixture
def routine_file(tmp_path: Path) -> Path:
    path = tmp_path / "evening.toml"
    path.write_text(ROUTINE, encoding="utf-8")
    return path


def plan_json(capsys, *argv: str) -> tuple[dict, str]:
    assert main(["plan", *argv, "--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def knee_holds(plan: dict) -> list[float]:
    return [
        s["seconds"] for s in plan["steps"] if s["phase"] == "hold" and s["exercise_index"] == 0
    ]


def test_current_without_a_history_is_the_low_end_and_creates_nothing(
    routine_file: Path, tmp_path: Path, capsys
) -> None:
    data = tmp_path / "data"
    low, _ = plan_json(capsys, str(routine_file))
    current, err = plan_json(
        capsys, str(routine_file), "--level", "current", "--data-dir", str(data)
    )
    assert err == ""  # an empty history is not a problem worth a note
    assert current["total_seconds"] == low["total_seconds"]
    assert knee_holds(current) == [10.0, 10.0]
    assert not data.exists()


def test_current_uses_the_stored_levels(routine_file: Path, tmp_path: Path, capsys) -> None:
    data = tmp_path / "data"
    with open_history(data) as db:
        store_level(db, load_entry(routine_file, "path"), 0, LevelChoice(hold=15, reps=3))
    plan, _ = plan_json(capsys, str(routine_file), "--level", "current", "--data-dir", str(data))
    assert knee_holds(plan) == [15.0, 15.0, 15.0]
    # The default data dir ($BACKTIMER_DATA_DIR here) has no history: the low end.
    plan, _ = plan_json(capsys, str(routine_file), "--level", "current")
    assert knee_holds(plan) == [10.0, 10.0]

    assert main(["plan", str(routine_file), "--level", "current", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "Evening (level: current)",
        "  Knee to chest: hold 15s (10-30s), 3 reps (2-3)",
    ]
    assert "Bridge:" not in out  # no ranges, no level to show


def test_an_unreadable_history_gives_the_low_end_and_a_note(
    routine_file: Path, tmp_path: Path, capsys
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.sqlite3").write_bytes(b"not a database, " * 20)
    plan, err = plan_json(capsys, str(routine_file), "--level", "current", "--data-dir", str(data))
    assert knee_holds(plan) == [10.0, 10.0]
    assert "is not a SQLite database" in err
    assert "using the low end of every range" in err
    assert (data / "history.sqlite3").read_bytes() == b"not a database, " * 20  # untouched


def test_the_level_choices_include_current(routine_file: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["plan", str(routine_file), "--level", "middle"])
    assert exited.value.code == 2
    assert "current" in capsys.readouterr().err
