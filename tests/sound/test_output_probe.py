"""On Linux with no sound server in sight the output is looked for in a child process
first (backtimer.sound.output.probe_device): a device that does not open leaves the sound
libraries (PulseAudio's, which cannot be unloaded, and what it brings) out of the session's
memory. Where the child finds one, or cannot tell, the device is opened here as always."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from backtimer.sound import output
from backtimer.sound.mixer import Mixer
from tests.python_child import python_output

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


def no_server(monkeypatch: pytest.MonkeyPatch, runtime: Path) -> None:
    for name in ("PULSE_SERVER", "DISPLAY", "WAYLAND_DISPLAY", "PULSE_RUNTIME_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    if any(os.path.exists(f"{d}/native") for d in ("/run/pulse", "/var/run/pulse")):
        pytest.skip("a system-wide PulseAudio socket is here")


@linux_only
def test_the_child_looks_first_only_where_no_server_is_in_sight(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    no_server(monkeypatch, tmp_path)
    assert output.probe_first()
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").write_text("")  # PulseAudio's (or PipeWire's) socket
    assert not output.probe_first()
    (tmp_path / "pulse" / "native").unlink()
    for name, value in (("PULSE_SERVER", "tcp:host"), ("DISPLAY", ":0"), ("WAYLAND_DISPLAY", "w")):
        monkeypatch.setenv(name, value)
        assert not output.probe_first()
        monkeypatch.delenv(name)
    assert output.probe_first()


def test_not_on_other_systems(monkeypatch: pytest.MonkeyPatch) -> None:
    for platform in ("darwin", "win32"):
        monkeypatch.setattr(sys, "platform", platform)
        assert not output.probe_first()


class Opened:
    """Stands in for AudioOutput: records that this process opened the device."""

    made: ClassVar[list[bool]] = []

    def __init__(self, mixer: Mixer, *, null: bool = False, clock: Any = None) -> None:
        Opened.made.append(null)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    Opened.made = []
    monkeypatch.setattr(output, "AudioOutput", Opened)
    return Opened.made


def test_none_found_by_the_child_is_not_looked_for_again(
    monkeypatch: pytest.MonkeyPatch, opened: list[bool]
) -> None:
    monkeypatch.setattr(output, "probe_first", lambda: True)
    monkeypatch.setattr(output, "probe_device", lambda rate: "failed to init device, error -401")
    assert output.open_output(Mixer()) == (None, "failed to init device, error -401")
    assert opened == []


def test_a_device_found_by_the_child_is_opened_here(
    monkeypatch: pytest.MonkeyPatch, opened: list[bool]
) -> None:
    monkeypatch.setattr(output, "probe_first", lambda: True)
    monkeypatch.setattr(output, "probe_device", lambda rate: None)
    found, problem = output.open_output(Mixer())
    assert isinstance(found, Opened) and problem is None and opened == [False]


def test_no_child_with_a_server_in_sight_or_for_the_null_device(
    monkeypatch: pytest.MonkeyPatch, opened: list[bool]
) -> None:
    def never(rate: int) -> str:
        raise AssertionError("no child expected")

    monkeypatch.setattr(output, "probe_device", never)
    monkeypatch.setattr(output, "probe_first", lambda: False)
    output.open_output(Mixer())
    monkeypatch.setattr(output, "probe_first", lambda: True)
    output.open_output(Mixer(), null=True)
    assert opened == [False, True]


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        (json.dumps({"backend": "PulseAudio"}), None),
        (json.dumps({"backend": "ALSA"}), None),
        (json.dumps({"backend": "Null"}), "no sound device (only miniaudio's null backend)"),
        (
            json.dumps({"error": ["failed to init device", -401]}),
            "failed to init device, error -401",
        ),
        ("", None),  # the child said nothing: it could not tell
        ("Traceback...", None),
        (json.dumps([1, 2]), None),
    ],
)
def test_what_the_child_says(
    monkeypatch: pytest.MonkeyPatch, stdout: str, expected: str | None
) -> None:
    pytest.importorskip("miniaudio")
    seen: list[list[str]] = []

    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.append(argv)
        return subprocess.CompletedProcess(argv, 0, stdout=stdout, stderr="")

    monkeypatch.setattr(subprocess, "run", run)
    assert output.probe_device(44100) == expected
    assert seen and seen[0][0] == sys.executable and seen[0][-2:] == ["44100", "20"]


def test_a_child_that_cannot_import_miniaudio_cannot_tell(tmp_path: Path) -> None:
    """The child runs isolated, with miniaudio's folder only: where a part of it (cffi) is
    elsewhere, the child says nothing (this process then looks for itself), not that no
    device opened."""
    (tmp_path / "miniaudio.py").write_text("import _no_such_backend_here\n")
    argv = [sys.executable, "-I", "-c", output._PROBE, str(tmp_path), "44100", "20"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "")


def test_a_child_that_hangs_cannot_tell(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("miniaudio")

    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(argv, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", run)
    assert output.probe_device(44100) is None


@linux_only
def test_the_real_child(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Whatever this machine has: where no device opens, miniaudio (and the sound
    libraries) were not loaded into this process; where one does, it plays."""
    pytest.importorskip("miniaudio")
    no_server(monkeypatch, tmp_path)
    code = (
        "import sys\n"
        "from backtimer.sound.mixer import Mixer\n"
        "from backtimer.sound.output import open_output\n"
        "found, problem = open_output(Mixer())\n"
        "maps = open('/proc/self/maps').read()\n"
        "print(found is None, 'miniaudio' in sys.modules, 'libpulse' in maps, bool(problem))\n"
        "if found is not None:\n"
        "    print(found.wait_running(2.0))\n"
        "    found.close()\n"
    )
    lines = python_output(code).split("\n")
    none, loaded, pulse, why = lines[0].split()
    if none == "True":
        assert (loaded, pulse, why) == ("False", "False", "True")
    else:
        assert (loaded, why, lines[1]) == ("True", "False", "True")


def test_looking_ahead_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """look_ahead asks the child in a thread and calls back; the output opened afterwards
    takes that answer instead of asking again."""
    import threading

    asked: list[int] = []
    monkeypatch.setenv("BACKTIMER_AUDIO", "")
    monkeypatch.setattr(output, "probe_first", lambda: True)

    def probe(rate: int, **kwargs: Any) -> str:
        asked.append(rate)
        return "no device in the child"

    monkeypatch.setattr(output, "probe_device", probe)
    called = threading.Event()
    assert output.look_ahead(called.set, 22050)
    assert called.wait(10)
    assert output.open_output(Mixer(sample_rate=22050)) == (None, "no device in the child")
    assert asked == [22050]  # asked once, ahead
    for mode in ("none", "null"):
        monkeypatch.setenv("BACKTIMER_AUDIO", mode)
        assert not output.look_ahead(called.set)
    monkeypatch.setenv("BACKTIMER_AUDIO", "")
    monkeypatch.setattr(output, "probe_first", lambda: False)
    assert not output.look_ahead(called.set)
