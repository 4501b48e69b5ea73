"""A one-line progress meter that reads without colour: ``━━━━━━──────  label``."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class Meter(Widget):
    """Done part drawn with heavy lines, the rest with thin ones, and an optional label.

    Only redraws when its fraction (to the cell) or its label changes.
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

    fraction: reactive[float] = reactive(0.0)
    label: reactive[str] = reactive("")

    def __init__(self, label: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.set_reactive(Meter.label, label)

    def update(self, fraction: float, label: str | None = None) -> None:
        self.fraction = min(1.0, max(0.0, fraction))
        if label is not None:
            self.label = label

    def render(self) -> Text:
        width = self.size.width
        label = f" {self.label}" if self.label else ""
        bar = max(0, width - len(label))
        done = round(self.fraction * bar)
        text = Text(no_wrap=True, overflow="crop")
        text.append("━" * done, style=self.get_component_rich_style("meter--done"))
        text.append("─" * (bar - done), style=self.get_component_rich_style("meter--todo"))
        text.append(label, style=self.get_component_rich_style("meter--label"))
        return text
