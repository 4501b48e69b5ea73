"""One label for an exercise's "stop if" and caution, in the app and --plain alike."""

from __future__ import annotations

import pytest

from backtimer.session.safety import caution_text, stop_if_parts


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        ("pain in the hip", ("Stop if", "pain in the hip")),
        (
            "Pain: move only in a pain-free range.",
            ("Stop if pain", "move only in a pain-free range."),
        ),
        ("Sharp pain: stop.", ("Stop if sharp pain", "stop.")),
        ("Stop if: sharp pain", ("Stop if", "sharp pain")),
        ("STOP: it hurts", ("Stop", "it hurts")),
        ("If you feel pain, discontinue.", ("Stop", "If you feel pain, discontinue.")),
        (
            "Stop the set early if you feel fatigue.",
            ("Stop", "Stop the set early if you feel fatigue."),
        ),
        (
            "  Stop if:\n\t- it hurts\n\t- you feel dizzy ",
            ("Stop if", "- it hurts\n\t- you feel dizzy"),
        ),
        ("numbness: in the legs or feet", ("Stop if numbness", "in the legs or feet")),
        ("a time: 10:30", ("Stop if a time", "10:30")),
        ("one two three: four", ("Stop if", "one two three: four")),
        (":", ("Stop if", ":")),
    ],
)
def test_stop_if_parts(value: str, parts: tuple[str, str]) -> None:
    assert stop_if_parts(value) == parts
    label, text = parts
    assert f"{label}: {text}".lower().count("stop if") <= 1


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Caution: go slowly.", "go slowly."),
        ("caution:go slowly", "go slowly"),
        ("Warning: osteoporosis", "osteoporosis"),
        ("Be cautious if you have osteoporosis.", "Be cautious if you have osteoporosis."),
        ("Caution:", "Caution:"),
    ],
)
def test_caution_text(value: str, text: str) -> None:
    assert caution_text(value) == text
