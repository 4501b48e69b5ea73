"""Helpers for the remote's tests: a routine, a real ``backtimer run --plain --remote``
process, and HTTP over loopback (the standard library's client: nothing else in between)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

#: Long steps (nothing ends while a test taps), an escape-laden name, a stop_if.
SLOW_TOML = """\
name = "Floor <b>test</b>"
[source]
title = "Test routine"
[defaults]
get_ready = 30
rest = 30
[[exercises]]
name = "<script>alert(1)</script> & [bold]knee[/bold] \\\\x1b"
position = "Lie on your back"
hold = "60s"
reps = 2
sides = "both"
stop_if = "pain down the leg"
[[exercises]]
name = "Bridges"
hold = "30s"
"""

URL = re.compile(r"Phone remote: (http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]+/)")


def write_routine(folder: Path, text: str = SLOW_TOML) -> Path:
    path = folder / "floor.toml"
    path.write_text(text, encoding="utf-8")
    return path


class PlainRun:
    """``backtimer run ROUTINE --plain --remote`` in a real process, its commands from a pipe
    that stays open (so the session goes on until the remote ends it)."""

    def __init__(self, routine: Path, data_dir: Path, *extra: str) -> None:
        env = dict(os.environ)
        env["BACKTIMER_DATA_DIR"] = str(data_dir)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backtimer.cli.main",
                "run",
                str(routine),
                "--plain",
                "--remote",
                "--no-voice",
                "--no-bell",
                "--no-tones",
                "--no-resume",
                *extra,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.stderr: list[str] = []
        self.stdout: list[str] = []
        self._found = threading.Event()
        self.url = ""
        self._readers = [
            threading.Thread(target=self._read_err, daemon=True),
            threading.Thread(target=self._read_out, daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        if not self._found.wait(30):
            self.stop()
            raise AssertionError("no remote address: " + "".join(self.stderr))

    def _read_err(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)
            found = URL.search(line)
            if found:
                self.url = found.group(1)
                self._found.set()

    def _read_out(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout.append(line)

    def state(self) -> dict[str, Any]:
        return get_json(self.url + "state")

    def wait_for(self, check: Any, timeout: float = 20.0) -> dict[str, Any]:
        end = time.monotonic() + timeout
        state: dict[str, Any] = {}
        while time.monotonic() < end:
            state = self.state()
            if check(state):
                return state
            time.sleep(0.05)
        raise AssertionError(f"state never came: {state}")

    def command(self, name: str, **fields: Any) -> int:
        return post(self.url + "command", {"command": name, **fields})[0]

    def finish(self, timeout: float = 30.0) -> int:
        """The exit code, once the process has ended and all it wrote has been read."""
        code = self.process.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def get(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read(), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def get_json(url: str) -> dict[str, Any]:
    status, body, _ = get(url)
    assert status == 200, (status, body)
    return json.loads(body)


def post(url: str, data: Any) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def history(data_dir: Path) -> list[dict[str, Any]]:
    env = dict(os.environ)
    env["BACKTIMER_DATA_DIR"] = str(data_dir)
    done = subprocess.run(
        [sys.executable, "-m", "backtimer.cli.main", "history", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)
