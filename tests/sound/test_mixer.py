"""The mixer: every sound on its sample, stops and cuts at once, overlaps add."""

from __future__ import annotations

from array import array

from backtimer.sound.mixer import Mixer, scaled
from backtimer.sound.output import ClockMap
from backtimer.sound.tones import SAMPLE_RATE, render

TEN_MS = SAMPLE_RATE // 100


def render_all(mixer: Mixer, frames: int, sizes: tuple[int, ...] = (441, 1000, 37)) -> array[int]:
    out = array("h")
    i = 0
    while len(out) < frames:
        out.extend(mixer.render(min(sizes[i % len(sizes)], frames - len(out))))
        i += 1
    return out


def test_each_sound_starts_on_its_sample_whatever_the_buffers() -> None:
    mixer = Mixer()
    starts = {"tick": 5_000, "go": 12_345, "switch": 30_001}
    sounds = {name: render(name) for name in starts}
    for name, at in starts.items():
        mixer.schedule(name, sounds[name], at)
    out = render_all(mixer, 50_000)
    assert {s.name: s.sample for s in mixer.log} == starts
    for name, at in starts.items():
        # Exactly the sound's samples, from its sample on (none of them overlap).
        assert out[at : at + len(sounds[name])] == sounds[name]
        assert not any(out[at - TEN_MS : at])


def test_a_sound_for_a_sample_already_played_starts_at_the_next_buffer() -> None:
    mixer = Mixer()
    mixer.render(1000)
    sound = mixer.schedule("tick", render("tick"), at=400)
    assert sound.start == 1000
    assert mixer.schedule("go", render("go")).start == 1000  # None: as soon as possible


def test_stop_silences_the_very_next_buffer() -> None:
    mixer = Mixer()
    mixer.schedule("speech", array("h", [3000] * 50_000), 0, channel="speech")
    mixer.schedule("later", render("go"), 60_000)
    assert any(mixer.render(441))
    mixer.stop()
    assert not any(mixer.render(441))
    assert not mixer.busy()
    assert not any(render_all(mixer, 70_000))  # what waited is gone too


def test_cut_ends_one_channel_at_a_sample_and_keeps_what_came_before() -> None:
    mixer = Mixer()
    mixer.schedule("a", array("h", [100] * 1000), 0, channel="speech")
    mixer.schedule("t", array("h", [7] * 1000), 0)
    mixer.cut("speech", at=600)
    out = mixer.render(1000)
    assert out[:600] == array("h", [107] * 600)
    assert out[600:] == array("h", [7] * 400)


def test_overlaps_add_and_clip() -> None:
    mixer = Mixer()
    mixer.schedule("a", array("h", [30_000] * 10), 0)
    mixer.schedule("b", array("h", [30_000] * 10), 5)
    mixer.schedule("c", array("h", [-30_000] * 10), 20)
    mixer.schedule("d", array("h", [-30_000] * 10), 20)
    out = mixer.render(40)
    assert out[:5] == array("h", [30_000] * 5)
    assert out[5:10] == array("h", [32_767] * 5)
    assert out[20:30] == array("h", [-32_768] * 10)


def test_scaled() -> None:
    samples = array("h", [1000, -1000, 32767])
    assert scaled(samples, 1.0) is samples
    assert scaled(samples, 0.5) == array("h", [500, -500, 16384])
    assert not any(scaled(samples, 0))


def test_clock_map_puts_a_deadline_on_its_sample() -> None:
    clock_map = ClockMap(SAMPLE_RATE)
    assert clock_map.sample_at(5.0) is None  # no buffer asked for yet: play at once
    clock_map.anchor(100.0, 44_100)
    assert clock_map.sample_at(100.5) == 44_100 + SAMPLE_RATE // 2
    assert clock_map.sample_at(None) is None
