"""A yes/no question in a small dialog (quit a session, ...)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from backtimer.core.literal import shown
from backtimer.tui.keys import bindings
from backtimer.tui.screens import OwnStyles
from backtimer.tui.widgets.keybar import KeyBar


class ConfirmScreen(OwnStyles, ModalScreen[bool | None]):
    """Dismisses with True (yes) or False (no). ``y``/``n`` answer too; no is focused.
    Escape answers ``escape_answer``: no, unless the caller tells "no" (a choice that does
    something, such as starting afresh) apart from closing the question (None)."""

    # Its rules (Textual CSS), added when it is first shown (see OwnStyles).
    STYLES = """
        ConfirmScreen {
            align: center middle;
            background: $background 60%;
        }

        #confirm-dialog {
            width: 50;
            max-width: 100%;
            height: auto;
            border: thick $primary;
            background: $surface;
            padding: 1 2;
        }

        #confirm-question {
            text-style: bold;
        }

        #confirm-detail {
            color: $text-muted;
        }

        #confirm-buttons {
            height: auto;
            margin-top: 1;
            align-horizontal: center;
        }

        #confirm-buttons Button {
            margin: 0 1;
            padding: 0 1;
        }
    """

    BINDINGS: ClassVar[list[BindingType]] = [*bindings("confirm"), *bindings("dialogs")]

    def __init__(
        self,
        question: str,
        detail: str = "",
        *,
        yes: str = "Yes",
        no: str = "No",
        escape_answer: bool | None = False,
    ):
        super().__init__()
        self.escape_answer = escape_answer
        # Literal (markup=False below) and without control characters: routine and file
        # names come from the user's disk.
        self.question = shown(question)
        self.detail = shown(detail)
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.question, id="confirm-question", markup=False)
            if self.detail:
                yield Static(self.detail, id="confirm-detail", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", id="yes", variant="error", compact=True)
                yield Button(f"{self.no} (n)", id="no", variant="primary", compact=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_escape(self) -> None:
        """Escape closes the question: the answer is no, or None where the caller asked."""
        self.dismiss(self.escape_answer)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
