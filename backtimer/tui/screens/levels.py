"""Before a session: the level changes the progression rules make (see ``history.levels``).

``LevelOfferScreen(changes)`` lists each offered step-up with a tick box (ticked: take it)
and each automatic step-down after a pain stop (already applied: only said). ``s``, or the
Start button, dismisses with the step-ups the user kept ticked; the caller stores them
(:func:`backtimer.history.levels.accept`) and starts the session.

However many exercises step up (a 200-exercise routine can offer 200), the offers are one
:class:`OfferList` (an ``OptionList``: drawn line by line as it scrolls) and the step-downs
one ``Static``: a handful of widgets, not one per line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static

from backtimer.history.levels import LevelChange
from backtimer.tui.keys import bindings
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.text import literal


class OfferList(OptionList):
    """The step-ups, each ``[x] name: what`` with why below it; space, enter or a click
    ticks or unticks the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("levels_list")

    def __init__(self, changes: Sequence[LevelChange], *, id: str | None = None) -> None:
        self.changes = list(changes)
        self.ticked = [True] * len(self.changes)
        # The list's height for a width: Textual asks for it at every layout pass (six
        # before the first frame), and each time wraps every option's text again (200
        # step-ups: 1,200 wraps). A tick changes "[x]" to "[ ]", never a height.
        self._content_heights: dict[tuple[object, ...], int] = {}
        super().__init__(*(self._prompt(i) for i in range(len(self.changes))), id=id)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        styles = self.styles
        key = (
            width,
            self.get_component_styles("option-list--option").padding,
            styles.text_wrap,
            styles.text_overflow,
        )
        if key not in self._content_heights:
            self._content_heights[key] = super().get_content_height(container, viewport, width)
        return self._content_heights[key]

    def _prompt(self, number: int) -> Text:
        change = self.changes[number]
        text = Text("[x] " if self.ticked[number] else "[ ] ", style="bold")
        text.append_text(literal(change.exercise, "bold")).append(f": {change.what}")
        return text.append("\n    ").append(change.why, style="dim")

    def toggle(self, number: int) -> None:
        self.ticked[number] = not self.ticked[number]
        self.replace_option_prompt_at_index(number, self._prompt(number))

    def action_tick(self) -> None:
        if self.highlighted is not None:
            self.toggle(self.highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.toggle(event.option_index)

    @property
    def accepted(self) -> list[LevelChange]:
        return [change for change, ticked in zip(self.changes, self.ticked, strict=True) if ticked]


class LevelOfferScreen(ModalScreen[list[LevelChange]]):
    """Step-ups to accept or decline (default: accept), step-downs to read; then Start."""

    DEFAULT_CSS = """
    LevelOfferScreen {
        align: center middle;
    }
    LevelOfferScreen #levels-dialog {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        border: round $primary;
        background: $surface;
    }
    LevelOfferScreen #levels-title {
        text-style: bold;
        margin-bottom: 1;
    }
    LevelOfferScreen #levels-body {
        height: auto;
        max-height: 1fr;
    }
    LevelOfferScreen .levels-heading {
        text-style: bold;
    }
    LevelOfferScreen #levels-ups {
        height: auto;
        max-height: 100%;
        border: none;
        padding: 0;
        background: $surface;
    }
    LevelOfferScreen .levels-down {
        margin-top: 1;
    }
    LevelOfferScreen #levels-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("levels")

    def __init__(self, changes: Sequence[LevelChange]) -> None:
        super().__init__()
        self.changes = list(changes)
        self.ups = [c for c in self.changes if c.change == "up"]
        self.downs = [c for c in self.changes if c.change == "down"]

    def compose(self) -> ComposeResult:
        with Vertical(id="levels-dialog"):
            yield Static("Before you start: your levels", id="levels-title")
            with VerticalScroll(id="levels-body", can_focus=False):
                if self.ups:
                    yield Static(
                        "Ready for a step up? Untick what you would rather keep as it is "
                        "(it is offered again next time).",
                        classes="levels-heading",
                    )
                    yield OfferList(self.ups, id="levels-ups")
                if self.downs:
                    heading = "Stepped down after pain" if len(self.downs) > 1 else "Stepped down"
                    text = Text(heading, style="bold")
                    for change in self.downs:
                        text.append("\n• ").append_text(literal(change.exercise, "bold"))
                        text.append(f": {change.what}, {change.why}")
                    yield Static(text, classes="levels-down")
            with Horizontal(id="levels-buttons"):
                yield Button("Start (s)", id="levels-start", variant="primary", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#levels-start", Button).focus()

    @property
    def accepted(self) -> list[LevelChange]:
        """The step-ups ticked now."""
        if not self.ups:
            return []
        return self.query_one("#levels-ups", OfferList).accepted

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "levels-start":
            self.action_start()

    def action_start(self) -> None:
        self.dismiss(self.accepted)
