"""The app's own sounds: one table, rendered to PCM with no sound files."""

from __future__ import annotations

import pytest

from backtimer.sound import tones

NEEDED = ("tick", "go", "release", "switch", "tempo", "set_done", "session_done", "stop")


def test_the_table_has_every_sound_the_issue_names() -> None:
    assert set(NEEDED) <= set(tones.SOUNDS)
    for name, tone in tones.SOUNDS.items():
        assert tone.name == name
        assert tone.pitches and all(50 < p < 5000 for p in tone.pitches)
        assert 0 < tone.seconds <= 1.0
        assert 0 < tone.loudness <= 1.0
        assert tone.meaning


def test_sounds_are_told_apart_by_their_notes() -> None:
    contours = {tone.pitches for tone in tones.SOUNDS.values()}
    assert len(contours) == len(tones.SOUNDS)
    go, release = tones.SOUNDS["go"].pitches, tones.SOUNDS["release"].pitches
    assert go[-1] > go[0] and release[-1] < release[0]  # go rises, release falls
    assert tones.SOUNDS["stop"].pitches[0] < 400  # the pain stop is low


@pytest.mark.parametrize("name", NEEDED)
def test_rendered_length_range_and_clean_edges(name: str) -> None:
    tone = tones.SOUNDS[name]
    samples = tones.render(name)
    notes = len(tone.pitches)
    expected = notes * max(1, round(tone.note_seconds * tones.SAMPLE_RATE))
    assert len(samples) == expected
    assert samples.typecode == "h"
    peak = max(abs(s) for s in samples)
    assert 0.3 * 32767 * tone.loudness < peak <= 32767
    # Starts and ends at (nearly) zero: no click.
    assert abs(samples[0]) < 200 and abs(samples[-1]) < 2000


def test_volume_scales_and_zero_is_silence() -> None:
    loud = tones.render("go", volume=1.0)
    soft = tones.render("go", volume=0.25)
    assert max(soft) == pytest.approx(max(loud) * 0.25, rel=0.02)
    assert not any(tones.render("go", volume=0.0))
    assert tones.render(tones.SOUNDS["tick"], sample_rate=44_100) != tones.render("tick")
