"""``edit`` and ``new`` under faults: a missing editor leaves no copy of a bundled routine
behind; SIGTERM and SIGHUP during ``edit`` end the editor too (real signals, a real editor
process); a routines folder that is a file gets one clear message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backtimer.cli.main import main
from backtimer.files import editing, paths
from backtimer.files.editing import EditorStopped, EditTarget, _run_editor, edit_routine

ROOT = Path(__file__).resolve().parents[2]


def _bundled_name() -> str:
    return sorted(paths.bundled_routines_dir().glob("*.toml"))[0].stem


def test_a_missing_editor_leaves_no_copy_of_a_bundled_routine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _bundled_name()
    monkeypatch.setenv("VISUAL", str(tmp_path / "no-such-editor"))
    assert main(["edit", name]) == 1
    assert "cannot start the editor" in capsys.readouterr().err
    assert not (paths.user_routines_dir() / f"{name}.toml").exists()


def test_an_editor_that_fails_to_start_after_the_copy_removes_it(tmp_path: Path) -> None:
    bundled = paths.bundled_routines_dir() / f"{_bundled_name()}.toml"
    copy = tmp_path / "copy.toml"
    copy.write_bytes(bundled.read_bytes())
    said: list[str] = []

    def cannot_start(argv: object, path: object) -> int:
        raise FileNotFoundError(2, "No such file or directory")

    target = EditTarget(copy, copied_from=bundled)
    code = edit_routine(
        target, ["x"], ask=lambda q: None, say=said.append, say_err=said.append,
        run_editor=cannot_start,
    )  # fmt: skip
    assert code == 1 and not copy.exists()
    assert any("removed the unchanged copy" in line for line in said)


def test_a_routines_folder_that_is_a_file_gets_one_clear_message(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    folder = paths.user_routines_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")
    monkeypatch.setenv("VISUAL", sys.executable)
    for argv in (["new", "mine"], ["edit", _bundled_name()], ["edit", "mine"]):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err  # one line
        assert "is a file, not a folder" in err and "Traceback" not in err
    assert folder.read_text() == "not a folder"


EDIT_UNDER_SIGNAL = """
import sys
sys.argv = ["backtimer", "edit", sys.argv[1]]
from backtimer.cli.main import main
raise SystemExit(main())
"""

#: An editor that writes its pid, then waits to be told to stop.
SLEEPY_EDITOR = """#!{python}
import os, pathlib, sys, time
pathlib.Path({pidfile!r}).write_text(str(os.getpid()))
time.sleep(60)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_edit_ends_the_editor_too(tmp_path: Path, signum: int) -> None:
    routine = tmp_path / "mine.toml"
    routine.write_text('name = "Mine"\n[[exercises]]\nname = "A"\nhold = 10\n')
    pidfile = tmp_path / "editor.pid"
    editor = tmp_path / "editor"
    editor.write_text(SLEEPY_EDITOR.format(python=sys.executable, pidfile=str(pidfile)))
    editor.chmod(0o755)
    env = {
        **os.environ,
        "VISUAL": str(editor),
        "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
        "BACKTIMER_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", EDIT_UNDER_SIGNAL, str(routine)],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the signal goes to backtimer alone, as `kill PID` does
    )
    deadline = time.monotonic() + 30
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    editor_pid = int(pidfile.read_text())
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 128 + signum, err
    assert "the editor was closed too" in err and "Traceback" not in err
    # The editor is gone (not left behind holding the terminal).
    deadline = time.monotonic() + 5
    while True:
        try:
            os.kill(editor_pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "the editor is still running"
        time.sleep(0.05)
    assert routine.read_text().startswith('name = "Mine"')


def test_a_signal_while_the_editor_starts_is_passed_on_once_it_has_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM that comes while the editor is being started (a loaded machine: the editor
    can be running before backtimer's next line) still ends the editor and backtimer: the
    handler is in place before the editor starts. CI found this: backtimer died of the
    signal's default action and the orphaned editor kept the terminal."""
    real_popen = subprocess.Popen

    def popen_under_signal(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        os.kill(os.getpid(), signal.SIGTERM)  # the signal comes while the editor starts
        return real_popen(*args, **kwargs)  # type: ignore[call-overload, no-any-return]

    # Should the signal not be caught, it lands here instead of ending the test run.
    outer: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: outer.append(signum))
    try:
        monkeypatch.setattr(editing.subprocess, "Popen", popen_under_signal)
        editor = [sys.executable, "-c", "import time; time.sleep(20)"]
        with pytest.raises(EditorStopped) as stopped:
            _run_editor(editor, tmp_path / "mine.toml")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stopped.value.signum == signal.SIGTERM
    assert outer == []  # backtimer's own handler had it, not the one outside


def test_an_editor_that_ignores_the_signal_is_killed_after_its_grace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(editing, "EDITOR_GRACE", 0.5)
    started = tmp_path / "started"
    finished = tmp_path / "finished"
    stubborn = (
        "import pathlib, signal, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"pathlib.Path({str(started)!r}).write_text('x')\n"
        "time.sleep(30)\n"
        f"pathlib.Path({str(finished)!r}).write_text('x')\n"
    )
    import threading

    def send_when_started() -> None:
        deadline = time.monotonic() + 30
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    sender = threading.Thread(target=send_when_started, daemon=True)
    sender.start()
    with pytest.raises(EditorStopped) as stopped:
        _run_editor([sys.executable, "-c", stubborn], tmp_path / "mine.toml")
    sender.join(5)
    assert stopped.value.signum == signal.SIGTERM
    assert started.exists()
    assert not finished.exists()  # killed after its grace, not waited for to the end


def test_run_editor_outside_the_main_thread_still_runs(tmp_path: Path) -> None:
    import threading

    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(_run_editor([sys.executable, "-c", "pass"], tmp_path))
    )
    thread.start()
    thread.join(30)
    assert result == [0]
