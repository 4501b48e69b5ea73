"""``backtimer history`` and ``backtimer report``: output, exit codes, and the report's numbers
for a synthetic month written through the real recorder."""

from __future__ import annotations

import os
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fifo_guard import outcome_within
from history_driver import DAILY_TOML, entry_for, record_session, write_routine

from backtimer.cli import history as cli_history
from backtimer.cli.main import main
from backtimer.core.durations import hours_minutes
from backtimer.core.plan import compile_plan
from backtimer.history import open_history
from backtimer.history.report import build_report

TZ = timezone(timedelta(hours=2))
APRIL = date(2024, 4, 1)  # a Monday
NOTE = "sharp | when *lifting*"


def schedule():
    """Day number in April (0-based) -> record_session options; every 4th day missed."""
    plan = {}
    for i in range(30):
        if i % 4 == 3:
            continue
        plan[i] = {}
    plan[5] = {"pain_at": 20, "pain": ("lower back", 6, NOTE)}  # Bridges, set 2 rep 1
    plan[10] = {"end_at": 14}  # in the first rep of Bridges
    plan[12] = {"pain_at": 5, "pain": ("hip", 3, None), "after_pain": "resume"}
    plan[16] = {"interrupt_at": 8}
    return plan


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    root = tmp_path_factory.mktemp("month")
    routine = write_routine(root / "routines", DAILY_TOML, "daily")
    entry = entry_for(routine)
    with open_history(root / "data") as db:
        for i, options in schedule().items():
            start = datetime(2024, 4, 1 + i, 7, 30, tzinfo=TZ)
            record_session(db, entry, start, **options)
    return {"data": root / "data", "routine": routine, "plan": compile_plan(entry.routine)}


def report(month, **kw) -> str:
    with open_history(month["data"], create=False) as db:
        return build_report(
            db,
            since=kw.get("since", APRIL),
            until=kw.get("until", date(2024, 4, 30)),
            now=datetime(2024, 4, 30, 20, 0, tzinfo=TZ),
        )


def test_report_summary_numbers(month):
    text = report(month)
    plan = month["plan"]
    assert "Period: 2024-04-01 to 2024-04-30 (30 days)." in text
    assert "- Sessions: 23 (20 completed, 1 ended early, 1 interrupted, 1 stopped for pain)" in text
    assert "- Days with exercise: 23 of 30 (77%)" in text
    total = (
        19 * plan.total_seconds
        + (plan.total_seconds + 1.0)  # day 12: the pain-stopped step ran again
        + (plan.offset(20) + 1.0)  # day 5
        + (plan.offset(14) + 1.0)  # day 10
        + (plan.offset(8) + 0.5)  # day 16
    )
    assert f"- Time exercising: {hours_minutes(total)}," in text
    assert "- Pain events: 2" in text


def test_report_weeks_and_adherence(month):
    text = report(month)
    assert "| 2024-04-01 | 6 | 5 | 6 of 7 |" in text and text.count("| 86% |") == 1
    assert "| 2024-04-08 | 5 | 4 | 5 of 7 |" in text
    assert "| 2024-04-15 | 5 | 4 | 5 of 7 |" in text
    assert "| 2024-04-22 | 5 | 5 | 5 of 7 |" in text
    assert "| 2024-04-29 | 2 | 2 | 2 of 2 |" in text and "| 100% |" in text
    assert text.count("| 71% |") == 3


def test_report_completion_per_exercise_and_side(month):
    text = report(month)
    assert "| Daily back care | Knee to chest | right | 69 | 69 | 100% | 0 |" in text
    assert "| Daily back care | Knee to chest | left | 67 | 69 | 97% | 0 |" in text
    assert "| Daily back care | Bridges | - | 123 | 138 | 89% | 2 |" in text
    assert "| Daily back care | Cat-cow | - | 40 | 46 | 87% | 0 |" in text


def test_report_pain_events(month):
    text = report(month)
    plan = month["plan"]
    first = datetime(2024, 4, 6, 7, 30, tzinfo=TZ) + timedelta(seconds=plan.offset(20) + 1)
    second = datetime(2024, 4, 13, 7, 30, tzinfo=TZ) + timedelta(seconds=plan.offset(5) + 1)
    m, s = divmod(int(plan.offset(20) + 1), 60)
    assert (
        f"| {first:%Y-%m-%d %H:%M} | Daily back care | Bridges | - | 2 | 1 | rep | {m}:{s:02d} "
        "| lower back | 6/10 | sharp \\| when \\*lifting\\* |"
    ) in text
    m, s = divmod(int(plan.offset(5) + 1), 60)
    assert (
        f"| {second:%Y-%m-%d %H:%M} | Daily back care | Knee to chest | right | 1 | 3 | hold "
        f"| {m}:{s:02d} | hip | 3/10 | - |"
    ) in text


def test_report_prescription_from_the_routine_file(month):
    text = report(month)
    assert "### Daily back care" in text
    assert "Source: Test routine, Spine clinic" in text
    assert "| 1 | Knee to chest | Lie on your back | hold 20s-30s | 3 | 1 | each side |" in text
    assert (
        "| 2 | Bridges | Lie on your back | lift 2 seconds, hold 2 seconds, lower 2 seconds" in text
    )
    assert "23 sessions from 2024-04-01 to 2024-04-30 · level: low" in text
    assert "changed" not in text


def test_report_prescription_of_a_routine_file_whose_name_is_not_utf8(tmp_path):
    """Its path is stored with the byte written out (bad\\xffname.toml): the report read
    that as the file's name, found none and showed no prescription."""
    routine = write_routine(tmp_path / "routines", DAILY_TOML, os.fsdecode(b"bad\xffname"))
    with open_history(tmp_path / "data") as db:
        record_session(db, entry_for(routine), datetime(2024, 4, 2, 7, 30, tzinfo=TZ))
        text = build_report(db, since=APRIL, now=datetime(2024, 4, 30, 20, 0, tzinfo=TZ))
    assert "cannot be loaded" not in text and "changed" not in text
    assert "| 1 | Knee to chest | Lie on your back | hold 20s-30s | 3 | 1 | each side |" in text
    assert "bad\\\\xffname.toml" in text  # the byte shown as stored, not left out


def test_report_for_a_period_without_sessions(month):
    text = report(month, since=date(2023, 1, 1), until=date(2023, 1, 31))
    assert "- Sessions: 0" in text and "No sessions were recorded in this period." in text


def test_report_when_the_routine_changed_or_is_gone(tmp_path):
    routine = write_routine(tmp_path / "routines", DAILY_TOML, "daily")
    entry = entry_for(routine)
    with open_history(tmp_path / "data") as db:
        record_session(db, entry, datetime(2024, 4, 1, 7, 30, tzinfo=TZ))
        routine.write_text(DAILY_TOML.replace("reps = 3\n", "reps = 4\n"))
        text = build_report(db, since=APRIL, until=APRIL, now=datetime(2024, 4, 1, 9, tzinfo=TZ))
        assert "The file has changed since" in text and "| 4 | 1 | each side |" in text
        routine.unlink()
        text = build_report(db, since=APRIL, until=APRIL, now=datetime(2024, 4, 1, 9, tzinfo=TZ))
        assert "cannot be" in text and "no prescription" in text
        assert "| Daily back care | Knee to chest | right | 3 | 3 | 100% | 0 |" in text


# ------------------------------------------------------------------------ the commands


def test_history_plain_table_when_piped(month, capsys):
    assert main(["history", "--data-dir", str(month["data"])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["date", "time", "routine", "status", "min", "reps", "pain"]
    assert len(lines) == 1 + 23
    assert lines[1].startswith("2024-04-01  07:30  Daily back care  completed")
    assert "pain stop" in lines[5] and lines[5].endswith("1")  # April 6
    assert "ended early" in lines[9] and "interrupted" in lines[13]
    assert lines[1].endswith("14/14     -")


def test_history_in_a_terminal_opens_the_screen(month, monkeypatch):
    calls = []
    since = []
    monkeypatch.setattr(
        cli_history,
        "run_history_app",
        lambda db, after=None: calls.append(db) or since.append(after) or 0,
    )
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    assert main(["history", "--data-dir", str(month["data"])]) == 0
    assert len(calls) == 1 and calls[0].path == month["data"] / "history.sqlite3"
    # --since reaches the screen.
    assert main(["history", "--since", "2024-04-10", "--data-dir", str(month["data"])]) == 0
    assert since == [None, date(2024, 4, 10)]


def test_bad_dates_are_usage_errors(capsys):
    for bad in ("2024-13-01", "yesterday", ""):
        with pytest.raises(SystemExit) as info:
            main(["history", "--since", bad])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert "expected a date like 2024-05-01" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as info:
        main(["report", "--since", "01/04/2024"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["history", "--json", "--csv"])
    assert info.value.code == 2


def test_a_damaged_history_is_exit_1_and_left_alone(tmp_path, capsys):
    path = tmp_path / "history.sqlite3"
    junk = os.urandom(2048)
    path.write_bytes(junk)
    for argv in (["history"], ["history", "--json"], ["report"]):
        assert main([*argv, "--data-dir", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        assert err.startswith("backtimer: the history file") and "not a SQLite database" in err
    assert path.read_bytes() == junk


def test_report_to_stdout_and_to_a_file(month, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(
        cli_history, "datetime", type("D", (), {"now": staticmethod(lambda: _now())})
    )
    assert main(["report", "--data-dir", str(month["data"]), "--since", "2024-04-01"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# Back exercise report")
    assert "- Sessions: 23" in printed

    out = tmp_path / "reports" / "april.md"
    out.parent.mkdir()
    argv = ["report", "--data-dir", str(month["data"]), "--since", "2024-04-01", "--out"]
    assert main([*argv, str(out)]) == 0
    assert out.read_text() == printed
    assert "report written to" in capsys.readouterr().err
    # Never over an existing file without --force.
    out.write_text("my notes\n")
    assert main([*argv, str(out)]) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    assert out.read_text() == "my notes\n"
    assert main([*argv, str(out), "--force"]) == 0
    assert out.read_text() == printed
    # No temp file left; the replaced file is kept (issue 13: every write keeps a backup).
    assert sorted(p.name for p in out.parent.iterdir()) == ["april.md", "april.md.bak"]
    assert (out.parent / "april.md.bak").read_text() == "my notes\n"
    assert "april.md.bak" in capsys.readouterr().err
    # A folder that does not exist.
    assert main([*argv, str(tmp_path / "nowhere" / "r.md")]) == 1
    assert "cannot write" in capsys.readouterr().err


def _now() -> datetime:
    return datetime(2024, 4, 30, 20, 0, tzinfo=TZ)


def test_write_atomic_never_leaves_a_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "r.md"
    target.write_text("old")

    def boom(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        cli_history.write_atomic(target, "new", force=True)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_default_report_period_is_the_last_four_weeks(month):
    with open_history(month["data"], create=False) as db:
        text = build_report(db, now=datetime(2024, 4, 30, 20, 0, tzinfo=TZ))
    assert "Period: 2024-04-03 to 2024-04-30 (28 days)." in text


def test_help_documents_the_csv_shape(capsys):
    with pytest.raises(SystemExit):
        main(["history", "--help"])
    out = capsys.readouterr().out
    assert "one row per step" in out and '"record"' in out and "--data-dir" in out


def test_no_history_yet(tmp_path, capsys):
    assert main(["history", "--data-dir", str(tmp_path / "d")]) == 0
    assert capsys.readouterr().out.strip() == "no sessions recorded yet"
    assert main(["report", "--data-dir", str(tmp_path / "d")]) == 0
    assert "No sessions were recorded in this period." in capsys.readouterr().out
    assert not Path(tmp_path / "d").exists()


def test_report_out_to_a_named_pipe_with_force_says_so_and_does_not_hang(month, tmp_path, capsys):
    """--force over a FIFO read it for a backup and blocked forever; it is not a file that
    can be replaced: exit 1 with a message, the pipe left in place."""
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    argv = ["report", "--data-dir", str(month["data"]), "--out", str(fifo), "--force"]
    assert outcome_within(lambda: main(argv), fifo, "report --out FIFO --force") == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "named pipe" in err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


async def test_the_history_screen_on_its_own_has_the_keys_of_every_screen(month):
    """`backtimer history` in a terminal: x and ? did nothing, ctrl+c only said "press
    ctrl+q to quit", and ctrl+p opened a command palette the README does not know."""
    with open_history(month["data"], create=False) as db:
        app = cli_history.history_app(db)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()

            def top() -> str:
                return type(app.screen).__name__

            assert top() == "HistoryScreen"
            await pilot.press("x")  # the safety message (nothing runs: nothing recorded)
            await pilot.pause()
            assert top() == "PainScreen"
            await pilot.press("escape")  # closes it
            await pilot.pause()
            assert top() == "HistoryScreen"
            await pilot.press("question_mark")
            await pilot.pause()
            assert top() == "HelpScreen"
            await pilot.press("escape")
            await pilot.pause()
            assert top() == "HistoryScreen"
            await pilot.press("ctrl+p")  # no command palette
            await pilot.pause()
            assert top() == "HistoryScreen"
            await pilot.press("ctrl+c")  # leaves at once
            await pilot.pause()
        assert app.return_code == 130
