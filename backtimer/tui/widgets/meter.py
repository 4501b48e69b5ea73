"""A one-line progress meter that reads without colour: ``━━━━━━──────  label``."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

PARTS = ("meter--done", "meter--todo", "meter--label")


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
        # The parts' styles, by the widget's own style and its component styles (new objects
        # when the CSS applied changes): Textual forgets the rich styles at every refresh,
        # and working them out again costs more than drawing the line.
        self._part_styles: tuple[tuple[object, ...], tuple[Style, Style, Style]] | None = None

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
            width, painted = self.size.width, self.painted
            if painted is None or painted[0] != width or len(label) != len(painted[2]):
                self.label = label  # a reactive: repaints it all
                return
            # "29:53 left" -> "29:52 left": the same length, so the bar is as long as it was.
            self.set_reactive(Meter.label, label)
            bar, done = self._cells(width, label)
            start = bar if done == painted[1] else min(done, painted[1])
            self.refresh(Region(start, 0, width - start, 1))
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
        key = (base, *(self._component_styles.get(name) for name in PARTS))
        known = self._part_styles
        if (
            known is None
            or known[0][0] != base
            or any(a is not b for a, b in zip(known[0][1:], key[1:], strict=True))
        ):
            done_style, todo_style, label_style = (
                base + self.get_component_rich_style(name) for name in PARTS
            )
            known = self._part_styles = (key, (done_style, todo_style, label_style))
        styles = known[1]
        parts = ("━" * done, "─" * (bar - done), label)
        segments = [Segment(text, style) for text, style in zip(parts, styles, strict=True) if text]
        return Strip(segments).adjust_cell_length(width, base)

    def notify_style_update(self) -> None:
        self._part_styles = None
        super().notify_style_update()
