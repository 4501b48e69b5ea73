"""A one-line progress meter that reads without colour: ``━━━━━━──────  label``."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget


class Meter(Widget):
    """Done part drawn with heavy lines, the rest with thin ones, and an optional label.

    Only redraws when the number of done cells or the label changes: a long hold moves the
    bar by a cell every few seconds, and the screen is not repainted in between. The line is
    drawn as one strip of three segments (no text layout pass): a label that changes every
    second ("4:39 left") costs little.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"meter--done", "meter--todo", "meter--label"}

    DEFAULT_CSS = """
    Meter {
        height: 1;
        width: 1fr;
    }
    Meter > .meter--done { color: $accent; }
    Meter > .meter--todo { color: $foreground 30%; }
    Meter > .meter--label { color: $foreground 70%; }
    """

    label: reactive[str] = reactive("")

    def __init__(self, label: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.set_reactive(Meter.label, label)
        self._fraction = 0.0
        self.painted: tuple[int, int, str] | None = None  # (width, done cells, label) shown
        self.paints = 0  # how many times it was rendered (for tests and benchmarks)

    @property
    def fraction(self) -> float:
        return self._fraction

    def _cells(self, width: int, label: str) -> tuple[int, int]:
        """The bar's length and its done cells at ``width`` with ``label``."""
        bar = max(0, width - len(f" {label}" if label else ""))
        return bar, round(self._fraction * bar)

    def update(self, fraction: float, label: str | None = None) -> None:
        """Set the done fraction (and the label); repaints only if what is shown changes."""
        self._fraction = min(1.0, max(0.0, fraction))
        if label is not None and label != self.label:
            self.label = label  # a reactive: repaints
            return
        width = self.size.width
        if self.painted is not None and self.painted[0] == width:
            _, done = self._cells(width, self.label)
            if done == self.painted[1]:
                return
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.visual_style.rich_style
        if y:
            return Strip.blank(width, base)
        label = f" {self.label}" if self.label else ""
        bar, done = self._cells(width, self.label)
        self.painted = (width, done, self.label)
        self.paints += 1
        parts = (
            ("━" * done, "meter--done"),
            ("─" * (bar - done), "meter--todo"),
            (label, "meter--label"),
        )
        segments = [
            Segment(text, base + self.get_component_rich_style(name))
            for text, name in parts
            if text
        ]
        return Strip(segments).adjust_cell_length(width, base)
