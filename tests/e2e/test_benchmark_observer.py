"""benchmarks/ratios.py reads the screen through one tmux client in control mode: an answer
that does not come ends the wait (no hang), and a client that fails is not asked again,
each look after it made by a process and counted (said at the end of the run)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

RATIOS = Path(__file__).resolve().parents[2] / "benchmarks" / "ratios.py"


@pytest.fixture
def ratios(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bt_ratios_under_test", RATIOS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


def control_of(ratios: ModuleType, script: str) -> object:
    """A Control whose client is ``python -c script`` (its input and output piped)."""
    control = ratios.Control.__new__(ratios.Control)
    control.process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    control.waiting = 1
    control.read = b""
    return control


ANSWERS = (
    "import sys\n"
    "print('%begin 1 0 1'); print('%end 1 0 1'); sys.stdout.flush()\n"
    "for n, line in enumerate(sys.stdin, 2):\n"
    "    print(f'%begin {n} 0 1'); print('line one'); print('line two')\n"
    "    print(f'%end {n} 0 1'); sys.stdout.flush()\n"
)


def test_a_command_reads_its_answer(ratios: ModuleType) -> None:
    control = control_of(ratios, ANSWERS)
    try:
        assert control.command("capture-pane -p") == "line one\nline two\n"
        assert control.command("capture-pane -p") == "line one\nline two\n"
    finally:
        control.close()


def test_a_command_with_no_answer_ends_at_its_deadline(
    ratios: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratios.Control, "TIMEOUT", 0.3)
    control = control_of(ratios, "import time; time.sleep(60)")
    try:
        with pytest.raises(RuntimeError, match="did not answer"):
            control.command("capture-pane -p")
    finally:
        control.process.kill()
        control.process.wait()


def test_a_command_to_an_ended_client_fails(ratios: ModuleType) -> None:
    control = control_of(ratios, "pass")
    try:
        with pytest.raises((RuntimeError, OSError)) as failed:
            control.command("capture-pane -p")
        # Said at once as ended, not after the deadline as a client that did not answer.
        assert isinstance(failed.value, OSError) or "ended" in str(failed.value)
    finally:
        control.process.wait()


def test_a_failed_control_client_is_not_asked_again_and_the_looks_are_counted(
    ratios: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    control = control_of(ratios, "pass")  # ends at once: its command fails
    asked: list[str] = []
    command = control.command

    def counted(line: str) -> str:
        asked.append(line)
        return command(line)

    control.command = counted
    tmux = ratios.Tmux.__new__(ratios.Tmux)
    tmux.control = control
    monkeypatch.setattr(tmux, "run", lambda *args: "the screen\n")
    monkeypatch.setattr(ratios.Tmux, "fallbacks", 0)
    assert tmux.screen() == "the screen\n"
    assert tmux.control is None and control.process.poll() is not None
    assert tmux.screen() == "the screen\n"
    assert asked == ["capture-pane -p"]
    assert ratios.Tmux.fallbacks == 2


def test_spawn_looks_are_not_counted_as_fallbacks(
    ratios: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratios, "OBSERVER", "spawn")
    tmux = ratios.Tmux.__new__(ratios.Tmux)
    tmux.control = None
    monkeypatch.setattr(tmux, "run", lambda *args: "the screen\n")
    monkeypatch.setattr(ratios.Tmux, "fallbacks", 0)
    assert tmux.screen() == "the screen\n"
    assert ratios.Tmux.fallbacks == 0
