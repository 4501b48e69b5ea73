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
import time
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


# A speech command whose every utterance ends in 0.5 s of quiet before its process exits (as
# espeak-ng's does: "3" takes 1.02 s at 120 words per minute, 0.5 s of it quiet). Its time
# runs from when the process was started (Linux: /proc), so that what the test measures is
# the timeline's drift, not how slowly a loaded machine starts Python.
QUIET_SPEAKER = """\
import json, os, signal, sys, time
now = time.time()
try:
    with open("/proc/self/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    spawned = min(now, now - (up - ticks / os.sysconf("SC_CLK_TCK")))
except (OSError, ValueError, IndexError):
    spawned = now
args = sys.argv[1:]
if "--" in args:
    args = args[args.index("--") + 1:]
text = " ".join(args)
words = sum(1 for w in text.replace(",", " ").replace(".", " ").split() if w)
seconds = words * 60.0 / 120 + 0.5
def log(event, **more):
    with open(os.environ["SPEECH_LOG"], "a") as out:
        out.write(json.dumps({"event": event, "text": text, "t": time.time(), **more}) + "\\n")
def cut(*_):
    log("cut", heard=time.time() - spawned)
    sys.exit(0)
signal.signal(signal.SIGTERM, cut)
log("start", spawned=spawned, length=seconds)
time.sleep(max(0.0, spawned + seconds - time.time()))
log("end")
"""

COUNTED = """\
name = "Quiet tails"
[[exercises]]
name = "Knee hug"
position = "Lie on your back"
steps = ["Hug one knee to your chest."]
hold = 8
reps = 2
rest = 5
get_ready = 2
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="times processes by /proc")
def test_a_command_s_trailing_quiet_neither_cuts_nor_delays_the_count_and_the_hold(
    tmp_path: Path, isolated_dirs: dict[str, Path]
) -> None:
    # Every utterance but the countdown numbers is fitted for its whole process, quiet and
    # all; a number's quiet runs into the next second, and the next one waits for it (0.5 s
    # of words and 0.5 s of quiet at 120 words per minute: a second, no more).
    routine = tmp_path / "counted.toml"
    routine.write_text(COUNTED, encoding="utf-8")
    speaker = tmp_path / "speaker.py"
    speaker.write_text(QUIET_SPEAKER, encoding="utf-8")
    log = tmp_path / "speech.log"
    config = isolated_dirs["config"]
    config.mkdir(parents=True, exist_ok=True)
    command = shlex.join([sys.executable, "-S", str(speaker)])
    (config / "config.toml").write_text(
        f"speech_command = {json.dumps(command)}\nspeech_rate = 120\nbell = false\n",
        encoding="utf-8",
    )
    env = {**os.environ, "SPEECH_LOG": str(log), "PYTHONUNBUFFERED": "1"}
    printed: list[tuple[float, str]] = []  # when --plain said a cue is said, and the words
    with subprocess.Popen(
        [sys.executable, "-m", "backtimer", "run", str(routine), "--plain"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            match = LINE.match(line.rstrip("\n"))
            if match:
                printed.append((time.time(), match[3]))
        stderr = proc.stderr.read()
        assert proc.wait(timeout=120) == 0, stderr
    assert "Traceback" not in stderr
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    starts = [r for r in rows if r["event"] == "start"]
    assert not [r for r in rows if r["event"] == "cut"], rows  # nothing cut off
    assert len([r for r in rows if r["event"] == "end"]) == len(starts)  # each to its end
    said = [text for _, text in printed]
    assert [r["text"] for r in starts] == said
    # Counted into each hold, out of the get-ready and out of the rest, and the hold's
    # first word said; the closing words after the last "1" (not over it).
    assert said.count("Hold.") + said.count("Hold") == 2, said
    assert said[-1] == "Session complete. Well done."
    # No two overlap (quiet included): each starts once the one before has exited.
    spans = sorted((r["spawned"], r["spawned"] + r["length"], r["text"]) for r in starts)
    for (_, end, before), (start, _, after) in itertools.pairwise(spans):
        assert start >= end - 0.05, (before, after, end - start)
    # Each number, and what follows the count (the hold's first word, the rest's first
    # words, the closing words), starts within 0.3 s of when --plain printed it: the
    # numbers' quiet delays what follows by their overrun only.
    late = [(row["spawned"] - at, text) for (at, text), row in zip(printed, starts, strict=True)]
    after_count = [i + 1 for i, text in enumerate(said[:-1]) if text == "1"]
    assert len(after_count) == 4  # into each hold, out of each hold
    for index in [i for i, text in enumerate(said) if text in ("3", "2", "1")] + after_count:
        assert late[index][0] <= 0.3, late[index]
