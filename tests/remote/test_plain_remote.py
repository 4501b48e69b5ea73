"""``backtimer run --plain --remote`` in a real process: what the page sends reaches the
session and its history, recorded exactly as the keys' commands are."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from remote_helpers import PlainRun, get, history, write_routine


def test_pause_a_mistake_and_a_pain_stop_from_the_page(tmp_path: Path) -> None:
    routine = write_routine(tmp_path)
    data = tmp_path / "data"
    run = PlainRun(routine, data)
    try:
        first = run.wait_for(lambda s: s.get("state") == "running")
        assert first["exercise"] == r"<script>alert(1)</script> & [bold]knee[/bold] \x1b"
        assert first["phase"] == "get_ready"
        assert run.command("pause") == 202
        run.wait_for(lambda s: s["state"] == "paused")
        assert run.command("pause") == 202  # space again: resume
        run.wait_for(lambda s: s["state"] == "running")

        assert run.command("pain") == 202
        stopped = run.wait_for(lambda s: s["state"] == "pain_stopped")
        assert stopped["pain"]["stop_if"] == "pain down the leg"
        # Pressed by mistake: the step goes on where it was (the history keeps a pause).
        assert run.command("pain_mistake") == 202
        run.wait_for(lambda s: s["state"] == "running" and s["pain"] is None)

        assert run.command("skip_step") == 202
        run.wait_for(lambda s: s["phase"] == "hold")
        assert run.command("pain") == 202
        run.wait_for(lambda s: s["state"] == "pain_stopped")
        assert run.command("pain_end", where="lower back", how_much=6, note="sharp") == 202
        assert run.finish() == 0
    finally:
        run.stop()
    # The server stopped with the session.
    with pytest.raises(OSError):
        get(run.url)
    out = "".join(run.stdout)
    assert "Paused" in out or "paused" in out
    assert "Pain stop:" in out
    assert "Pressed by mistake: no pain recorded" in out

    [session] = history(data)
    assert session["status"] == "pain_stopped"  # as the keys record a pain stop that ends it
    [pain] = session["pain_events"]  # the mistake left none
    assert pain["where"] == "lower back"
    assert pain["severity"] == 6
    assert pain["note"] == "sharp"
    assert pain["phase"] == "hold"
    assert len(session["pauses"]) >= 2  # the pause, and the mistake kept as one


def run_cli(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["BACKTIMER_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "backtimer.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_a_port_in_use_is_said_in_words(tmp_path: Path) -> None:
    routine = write_routine(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli(
            "run",
            str(routine),
            "--plain",
            "--no-voice",
            "--remote",
            "--port",
            str(port),
            data=tmp_path / "data",
        )
    assert done.returncode == 1
    assert f"the phone remote cannot listen on port {port}" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""  # the session did not begin


def test_remote_options_need_remote_and_a_real_port(tmp_path: Path) -> None:
    routine = write_routine(tmp_path)
    alone = run_cli("run", str(routine), "--plain", "--lan", data=tmp_path)
    assert alone.returncode == 2 and "--port and --lan go with --remote" in alone.stderr
    bad = run_cli("run", str(routine), "--plain", "--remote", "--port", "70000", data=tmp_path)
    assert bad.returncode == 2 and "a port number from 0 to 65535" in bad.stderr
