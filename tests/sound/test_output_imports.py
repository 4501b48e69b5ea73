"""The audio output loads miniaudio without the modules of its internet radio client
(module lists, no timing): they would be a session's heaviest imports after Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("miniaudio")

HEAVY = ("http.client", "email.message", "ssl")


def run(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_miniaudio_loads_without_urllib_request_and_html() -> None:
    modules = run(
        "import sys\n"
        "from backtimer.sound.output import load_miniaudio\n"
        "load_miniaudio()\n"
        "print(*sorted(sys.modules))"
    )
    assert "miniaudio" in modules
    assert not set(HEAVY) & set(modules)


def test_the_lazy_modules_work_when_something_uses_them() -> None:
    out = run(
        "import sys\n"
        "from backtimer.sound.output import load_miniaudio\n"
        "miniaudio = load_miniaudio()\n"
        "print(miniaudio.html.unescape('&lt;'))\n"  # the reference miniaudio kept
        "import html, urllib.request\n"
        "request = urllib.request.Request('http://localhost/', headers={'a': 'b'})\n"
        "print(request.get_header('A'), html.unescape('&amp;'), 'http.client' in sys.modules)"
    )
    assert out == ["<", "b", "&", "True"]
