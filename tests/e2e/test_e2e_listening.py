"""A real-time ``--plain`` session with a slow custom speech command: every utterance is heard
in full, none overlaps another, and each comes when ``--plain`` says it does (issue 10).

The speech command is a stand-in that speaks for as long as its words take at a slow rate
(120 words per minute, the rate set in ``speech_rate``) and logs when each utterance starts
and ends, or that it was cut off (a SIGTERM before its end)."""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROUTINE = """\
name = "Slow voice"
cautions = ["Stop if anything hurts."]
[[exercises]]
name = "Knee hug"
position = "Lie on your back"
steps = ["Hug one knee to your chest."]
caution = "Breathe out as you pull."
stop_if = "pain in the front of the hip"
hold = 4
get_ready = 2
"""

SPEAKER = """\
import json, os, re, signal, sys, time
args = sys.argv[1:]
if "--" in args:
    args = args[args.index("--") + 1:]
text = " ".join(args)
seconds = len(re.findall(r"[\\w']+", text)) * 60.0 / 120
began = time.time()
def log(event, **more):
    with open(os.environ["SPEECH_LOG"], "a") as out:
        out.write(json.dumps({"event": event, "text": text, "t": time.time(), **more}) + "\\n")
def cut(*_):
    log("cut", heard=time.time() - began)
    sys.exit(0)
signal.signal(signal.SIGTERM, cut)
log("start", length=seconds)
time.sleep(seconds)
log("end")
"""

LINE = re.compile(r"^\[(\d\d):(\d\d)\] (.*)$")


def test_a_slow_speech_command_is_never_cut_off_nor_overlapped(
    tmp_path: Path, isolated_dirs: dict[str, Path]
) -> None:
    routine = tmp_path / "slow.toml"
    routine.write_text(ROUTINE, encoding="utf-8")
    speaker = tmp_path / "speaker.py"
    speaker.write_text(SPEAKER, encoding="utf-8")
    log = tmp_path / "speech.log"
    config = isolated_dirs["config"]
    config.mkdir(parents=True, exist_ok=True)
    command = shlex.join([sys.executable, str(speaker)])
    (config / "config.toml").write_text(
        f"speech_command = {json.dumps(command)}\nspeech_rate = 120\nbell = false\n",
        encoding="utf-8",
    )
    env = {**os.environ, "SPEECH_LOG": str(log), "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "backtimer", "run", str(routine), "--plain"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    said = [m[3] for m in map(LINE.match, result.stdout.splitlines()) if m]
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    starts = [r for r in rows if r["event"] == "start"]
    assert not [r for r in rows if r["event"] == "cut"], rows  # nothing cut off
    assert len([r for r in rows if r["event"] == "end"]) == len(starts)  # each to its end
    # Every line --plain printed was spoken, in the same order (the countdown numbers too).
    assert [r["text"] for r in starts] == said
    # The whole introduction, with the caution and the stop-if, then the count to the hold.
    assert said[: said.index("1") + 1] == [
        "Stop if anything hurts.",
        "Knee hug.",
        "Lie on your back.",
        "Hug one knee to your chest.",
        "Breathe out as you pull.",
        "Stop if you feel pain in the front of the hip.",
        "Hold 4 seconds.",
        "3",
        "2",
        "1",
    ]
    # No two overlap: each starts after the one before has ended (its process's start
    # comes a moment after the cue, so allow for that).
    spans = sorted((r["t"], r["t"] + r["length"], r["text"]) for r in starts)
    for (_, end, before), (start, _, after) in itertools.pairwise(spans):
        assert start >= end - 0.05, (before, after, end - start)
