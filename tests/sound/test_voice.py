"""The voice that comes with pip: libespeak-ng from the espeakng-loader wheel, in a helper
process (the GPL library is never loaded into backtimer's own process)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from array import array

import pytest

from backtimer.sound import voice
from backtimer.sound.voice import (
    HELPER,
    VoiceProcess,
    _option,
    find_renderer,
    loader_installed,
    resample,
    seconds_of,
)


def wheel_expected() -> bool:
    import platform

    machine = platform.machine().lower()
    return (
        (sys.platform == "linux" and machine == "x86_64")
        or (sys.platform == "darwin" and machine == "arm64")
        or (sys.platform == "win32" and machine == "amd64")
    )


needs_wheel = pytest.mark.skipif(
    not wheel_expected(), reason="espeakng-loader ships no wheel for this platform"
)


@needs_wheel
def test_the_install_brings_the_voice() -> None:
    assert loader_installed()


@needs_wheel
def test_a_sentence_has_the_length_the_timeline_expects() -> None:
    """Rendered once, the length is known exactly, the same every time, and plausible for
    the words-per-minute rate (what the cue timeline estimates without a renderer)."""
    sentence = "Lie on your back with both knees bent. Hold 30 seconds."
    words = len(sentence.split())
    with_voice = VoiceProcess(rate=175)
    try:
        assert with_voice.start(), with_voice.error
        first = with_voice.render(sentence)
        assert first is not None
        seconds = seconds_of(first)
        estimate = words / 175 * 60
        assert 0.5 * estimate < seconds < 2.0 * estimate
        # Nothing but speech: no long silence after the last word.
        assert any(first[-2205:]) or any(first[-4410:])
    finally:
        with_voice.close()
    again = VoiceProcess(rate=175)
    try:
        second = again.render(sentence)
        assert second is not None and len(second) == len(first)
        slower = VoiceProcess(rate=120)
        try:
            slow = slower.render(sentence)
            assert slow is not None and len(slow) > len(first)
        finally:
            slower.close()
    finally:
        again.close()


@needs_wheel
def test_the_library_stays_out_of_backtimer_s_process() -> None:
    code = (
        "import sys; from backtimer.sound.voice import VoiceProcess; v = VoiceProcess(); "
        "assert v.render('Stopped.'); v.close(); "
        "assert 'espeakng_loader' not in sys.modules; "
        "maps = open('/proc/self/maps').read() if sys.platform == 'linux' else ''; "
        "assert 'libespeak' not in maps; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


@needs_wheel
def test_the_helper_protocol() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", HELPER, "--serve"],
        input=b'{"text": "One.", "rate": 175, "voice": "en"}\n{"text": "x", "voice": "no-such"}\n',
        capture_output=True,
        timeout=60,
    )
    out = io.BytesIO(proc.stdout)
    hello = json.loads(out.readline())
    assert hello["engine"].startswith("espeak-ng") and hello["sample_rate"] == 22050
    header = json.loads(out.readline())
    assert header["frames"] > 1000
    assert len(out.read(2 * header["frames"])) == 2 * header["frames"]
    assert "error" in json.loads(out.readline())  # an unknown voice: that text only


def test_a_helper_that_cannot_start_is_reported_not_raised(monkeypatch) -> None:
    monkeypatch.setattr(voice.sys, "executable", "/no/such/python")
    broken = VoiceProcess()
    assert broken.render("Hello") is None
    assert broken.error and "did not start" in broken.error
    assert broken.render("Hello") is None  # tried once, not again and again
    broken.close()


def test_usage_of_the_helper_module() -> None:
    done = subprocess.run([sys.executable, "-m", HELPER], capture_output=True, text=True)
    assert done.returncode == 2 and "--serve" in done.stderr


def test_resample_and_options() -> None:
    samples = array("h", range(0, 1000, 10))
    assert resample(samples, 22050) is samples
    doubled = resample(samples, 11025, 22050)
    assert len(doubled) == 200 and doubled[0] == 0 and doubled[2] == 10
    assert _option(["espeak-ng", "-s", "140", "-v", "en-us"], "-s") == "140"
    assert _option(["espeak-ng", "-s140"], "-s") == "140"
    assert _option(["espeak-ng"], "-v") is None


def test_a_custom_command_that_cannot_render_gives_no_renderer() -> None:
    assert find_renderer("/no/such/command") is None
    assert find_renderer("true") is None  # found, but not espeak-ng or espeak
