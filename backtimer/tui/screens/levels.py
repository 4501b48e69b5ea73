"""Before a session: the level changes the progression rules make (see ``history.levels``).

``LevelOfferScreen(changes)`` lists each offered step-up with a checkbox (ticked: take it)
and each automatic step-down after a pain stop (already applied: only said). ``s``, or the
Start button, dismisses with the step-ups the user kept ticked; the caller stores them
(:func:`backtimer.history.levels.accept`) and starts the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from backtimer.history.levels import LevelChange
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.text import literal


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
    LevelOfferScreen Checkbox {
        width: 100%;
        border: none;
        padding: 0;
    }
    LevelOfferScreen .levels-why {
        color: $text-muted;
        padding-left: 4;
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

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start", "Start", id="levels_start", tooltip="Start with these levels"),
    ]

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
                    for number, change in enumerate(self.ups):
                        label = literal(change.exercise, "bold").append(f": {change.what}")
                        yield Checkbox(label, value=True, id=f"levels-up-{number}")
                        yield Static(Text(change.why), classes="levels-why")
                if self.downs:
                    heading = "Stepped down after pain" if len(self.downs) > 1 else "Stepped down"
                    yield Static(heading, classes="levels-heading levels-down")
                    for change in self.downs:
                        line = Text("• ").append_text(literal(change.exercise, "bold"))
                        line.append(f": {change.what}, {change.why}")
                        yield Static(line, classes="levels-down-line")
            with Horizontal(id="levels-buttons"):
                yield Button("Start (s)", id="levels-start", variant="primary", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#levels-start", Button).focus()

    @property
    def accepted(self) -> list[LevelChange]:
        """The step-ups ticked now."""
        return [
            change
            for number, change in enumerate(self.ups)
            if self.query_one(f"#levels-up-{number}", Checkbox).value
        ]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "levels-start":
            self.action_start()

    def action_start(self) -> None:
        self.dismiss(self.accepted)
