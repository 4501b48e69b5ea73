"""A speech renderer for tests: deterministic samples whose length depends on the text."""

from __future__ import annotations

from array import array

from backtimer.sound.tones import SAMPLE_RATE

PER_CHAR = 0.05  # seconds of "speech" per character


class FakeRenderer:
    engine = "fake"
    voice = "test"
    rate = 175
    error: str | None = None

    def __init__(self) -> None:
        self.rendered: list[str] = []
        self.closed = False

    def render(self, text: str) -> array[int]:
        self.rendered.append(text)
        count = round(len(text) * PER_CHAR * SAMPLE_RATE)
        return array("h", [1000 + (i % 7) for i in range(count)])

    def close(self) -> None:
        self.closed = True
