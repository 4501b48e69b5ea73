"""Before a session with the phone remote: the page's address and its QR code.

The session starts when the person presses enter here or taps Start on the phone, so there
is time to scan the code and lie down first. Escape does not start it (the session is not
begun; the picker, if any, comes back).
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Center, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from backtimer.core.literal import shown
from backtimer.tui.keys import bindings
from backtimer.tui.widgets.keybar import KeyBar


class RemoteScreen(ModalScreen[bool]):
    """Dismisses with True (start the session) or False (do not)."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("remote")

    def __init__(self, routine_name: str, qr: list[str], words: list[str]) -> None:
        super().__init__()
        self.routine_name = shown(routine_name, lines=False)
        self.qr = qr
        self.words = [shown(line) for line in words]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="remote-dialog"):
            yield Static(
                Text(f"Phone remote · {self.routine_name}", style="bold"), id="remote-title"
            )
            with Center():
                yield Static(Text("\n".join(self.qr), style="#ffffff on #000000"), id="remote-qr")
            yield Static(Text("\n".join(self.words)), id="remote-words")
            yield Static(
                Text("Press enter, or tap Start on the phone, to start the session."),
                id="remote-start",
            )
        yield KeyBar()

    def action_start(self) -> None:
        self.dismiss(True)

    def action_escape(self) -> None:
        self.dismiss(False)
