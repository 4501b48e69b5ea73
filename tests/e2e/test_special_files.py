"""Only regular files are read as routines and settings (issue 13, item 10).

A named pipe (FIFO) in the routines folder once hung ``list``, ``check``, the picker and every
``run`` (ignoring Ctrl-C and SIGTERM): nobody ever writes to it, so opening it waits forever.
These tests make real FIFOs, sockets and device links and run the real commands with a
timeout: each must answer with a message, never block.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

GOOD = """\
name = "Good one"
[[exercises]]
name = "Knee to chest"
hold = "1s"
get_ready = 0
"""

COMMAND = (sys.executable, "-m", "backtimer")
LIMIT = 30.0  # seconds: far longer than any of these commands takes; a hang fails the test


@pytest.fixture
def odd_files(user_routines: Path, isolated_dirs: dict[str, Path]) -> Iterator[Path]:
    """The user's routines folder with a good routine, a FIFO, a socket and a device link;
    config.toml is a FIFO too."""
    (user_routines / "good.toml").write_text(GOOD)
    os.mkfifo(user_routines / "pipe.toml")
    os.mkfifo(isolated_dirs["config"] / "config.toml")
    if Path("/dev/zero").exists():
        (user_routines / "zero.toml").symlink_to("/dev/zero")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # A socket path must be short: bind from inside the folder.
    cwd = os.getcwd()
    os.chdir(user_routines)
    try:
        sock.bind("sock.toml")
    finally:
        os.chdir(cwd)
    try:
        yield user_routines
    finally:
        sock.close()


def backtimer(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=LIMIT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


PIPE = "is a named pipe (FIFO), not a routine file: only regular files are read"
SOCKET = "is a socket, not a routine file: only regular files are read"
DEVICE = "is a device, not a routine file: only regular files are read"


def test_list_names_each_odd_file_and_lists_the_rest(odd_files: Path) -> None:
    result = backtimer("list")
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "INVALID" not in lines["good"] and "Good one" in lines["good"]
    assert PIPE in lines["pipe"] and "INVALID" in lines["pipe"]
    assert SOCKET in lines["sock"]
    if (odd_files / "zero.toml").exists():
        assert DEVICE in lines["zero"]
    assert "Traceback" not in result.stderr


def test_check_a_fifo_a_socket_and_a_folder_holding_them(odd_files: Path) -> None:
    result = backtimer("check", str(odd_files / "pipe.toml"), str(odd_files / "sock.toml"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{odd_files / 'pipe.toml'}: {PIPE}",
        f"{odd_files / 'sock.toml'}: {SOCKET}",
    ]
    folder = backtimer("check", str(odd_files))
    assert folder.returncode == 1
    assert f"ok {odd_files / 'good.toml'}" in folder.stdout
    assert f"{odd_files / 'pipe.toml'}: {PIPE}" in folder.stderr
    assert f"{odd_files / 'sock.toml'}: {SOCKET}" in folder.stderr


def test_run_and_plan_refuse_a_fifo_and_ignore_a_fifo_config(odd_files: Path) -> None:
    for args in (("run", "pipe", "--plain"), ("run", str(odd_files / "pipe.toml"), "--plain")):
        result = backtimer(*args, "--no-voice", "--no-bell")
        assert result.returncode == 1
        assert PIPE in result.stderr and "Traceback" not in result.stderr
    # A good routine still plans and runs; the FIFO config.toml is reported, defaults used.
    planned = backtimer("plan", "good")
    assert planned.returncode == 0, planned.stderr
    assert "Knee to chest" in planned.stdout
    ran = backtimer("run", "good", "--plain", "--no-voice", "--no-bell")
    assert ran.returncode == 0, ran.stderr
    assert "config.toml: is a named pipe (FIFO), not a settings file" in ran.stderr
    assert "Session complete" in ran.stdout


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)")
def test_the_picker_opens_with_a_fifo_in_the_routines_folder(
    odd_files: Path, tmp_path: Path, isolated_dirs: dict[str, Path]
) -> None:
    from test_e2e_tmux_app import Tmux

    tmux = Tmux(tmp_path)
    env = {
        "BACKTIMER_CONFIG_DIR": str(isolated_dirs["config"]),
        "BACKTIMER_DATA_DIR": str(isolated_dirs["data"]),
        "HOME": str(tmp_path / "home"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    try:
        tmux.start([*COMMAND], env, (120, 40))
        screen = tmux.wait_for(lambda t: "Good one" in t, "the picker", timeout=LIMIT)
        assert "pipe" in screen
        tmux.keys("q")
        end = time.monotonic() + LIMIT
        while time.monotonic() < end and "Good one" in tmux.screen():
            time.sleep(0.05)
    finally:
        tmux.kill()


def test_edit_never_starts_an_editor_on_a_fifo(odd_files: Path, tmp_path: Path) -> None:
    marker = tmp_path / "editor-ran"
    editor = tmp_path / "editor"
    editor.write_text(f'#!/bin/sh\ntouch "{marker}"\n')
    editor.chmod(0o755)
    for name in ("pipe", str(odd_files / "pipe.toml")):
        result = subprocess.run(
            [*COMMAND, "edit", name],
            capture_output=True,
            text=True,
            timeout=LIMIT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "EDITOR": str(editor), "VISUAL": str(editor)},
        )
        assert result.returncode == 1
        assert PIPE in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()


def test_a_fifo_in_place_of_each_cache_file_is_taken_for_no_cache(
    user_routines: Path, isolated_dirs: dict[str, Path]
) -> None:
    """A named pipe where a cache file lives (the checked routines and their listing, the
    checked settings, the dataclasses' code) hung ``list`` and the app at start: a cache is
    read without blocking, and one that is not a regular file is no cache."""
    (user_routines / "good.toml").write_text(GOOD)
    (isolated_dirs["config"] / "config.toml").write_text("speech_rate = 150\n")
    first = backtimer("list")
    assert first.returncode == 0, first.stderr
    backtimer("list")  # what a second start adds (the listing of the checked routines)
    cache = isolated_dirs["cache"]
    files = sorted(p for p in cache.rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert {"listings.pickle", "settings.pickle"} <= names, names
    assert any(n.startswith("dataclass-code-") for n in names), names
    assert sum(n.endswith(".pickle") for n in names) > 2, names  # the routines' own
    for path in files:
        path.unlink()
        os.mkfifo(path)
    again = backtimer("list")  # a hang is a TimeoutExpired: the test fails
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    plan = backtimer("plan", "good")
    assert plan.returncode == 0, plan.stderr
    # What was written since replaced the pipes (a cache is made again when absent).
    assert backtimer("list").stdout == first.stdout
