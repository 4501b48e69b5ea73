"""Speech text is never read as an option, whichever engine speaks it (issue 13, item 6).

Each fake engine parses its arguments the way the real one does (getopt, GNU style: options
may follow the text unless ``--`` ends them), or, for macOS ``say``, reads its standard input
when no text is given. An exercise called "-90/90 hip switch" must arrive as words.
"""

from __future__ import annotations

import stat
import sys
import time
from pathlib import Path

import pytest

from backtimer.sound.speech import SpeechPlayer

pytestmark = pytest.mark.session

# espeak-ng's and espeak's short options (spd-say's are a subset of letters too).
GETOPT_ENGINE = """\
import getopt, sys
out = sys.argv[1]
try:
    opts, words = getopt.gnu_getopt(sys.argv[2:], "a:b:d:f:g:hk:l:mp:qs:v:w:xXzC", ["rate="])
except getopt.GetoptError as exc:
    words = ["OPTION ERROR: " + str(exc)]
with open(out, "a") as handle:
    handle.write(" ".join(words) + "\\n")
"""

STDIN_ENGINE = """\
import sys
out = sys.argv[1]
words = [a for a in sys.argv[2:] if not a.startswith("-")]
text = " ".join(words) if words else sys.stdin.read()
with open(out, "a") as handle:
    handle.write(text + "\\n")
"""

HOSTILE = ["-90/90 hip switch", "--help", "-v en -s 999", "- lone dash", "50% -x"]


def _engine(bin_dir: Path, name: str, program: str, out: Path) -> Path:
    source = bin_dir / f"{name}.py"
    source.write_text(program)
    path = bin_dir / name
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{source}" "{out}" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _spoken(out: Path, count: int) -> list[str]:
    end = time.monotonic() + 10
    while time.monotonic() < end:
        if out.exists() and out.read_text().count("\n") >= count:
            break
        time.sleep(0.02)
    return out.read_text().splitlines() if out.exists() else []


@pytest.mark.parametrize(
    ("name", "configured"),
    [
        ("espeak-ng", None),
        ("espeak", None),
        ("spd-say", None),
        ("say", None),
        ("espeak-ng", "espeak-ng -s 140 -v en"),
        ("my-speaker", "my-speaker --rate 150"),
    ],
)
def test_text_that_looks_like_an_option_is_spoken_as_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, configured: str | None
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    out = tmp_path / "spoken"
    program = STDIN_ENGINE if name == "say" else GETOPT_ENGINE
    _engine(bin_dir, name, program, out)
    monkeypatch.setenv("PATH", str(bin_dir))
    player = SpeechPlayer(command=configured)
    assert player.available
    try:
        for text in HOSTILE:
            player.say(text)
            assert player.wait_idle(10.0)
    finally:
        player.close()
    spoken = _spoken(out, len(HOSTILE))
    expected = [t.replace("%", "%%") if name == "spd-say" else t for t in HOSTILE]
    assert spoken == expected
