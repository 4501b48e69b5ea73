"""Before a session with the phone remote: the page's address and its QR code.

The session starts when the person presses enter here or taps Start on the phone, so there
is time to scan the code and lie down first. Escape does not start it (the session is not
begun; the picker, if any, comes back). The address is this computer's own unless the
network was asked for (--lan, or l here: a new address that a phone on the network reaches).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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

    def __init__(
        self,
        routine_name: str,
        qr: list[str],
        words: list[str],
        *,
        lan: bool = False,
        to_lan: Callable[[], Awaitable[tuple[list[str], list[str]] | None]] | None = None,
    ) -> None:
        """``to_lan``: listen on the network instead (l); it returns the new code and words,
        or None if it could not."""
        super().__init__()
        self.routine_name = shown(routine_name, lines=False)
        self.qr = qr
        self.words = [shown(line) for line in words]
        self.lan = lan
        self.to_lan = to_lan

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lan":
            return not self.lan and self.to_lan is not None
        return True

    async def action_lan(self) -> None:
        """Listen on the network (a new address and secret): the person asked for it here,
        as --lan asks on the command line."""
        if self.lan or self.to_lan is None:
            return
        found = await self.to_lan()
        if found is None:
            return
        self.lan = True
        self.show_address(*found)
        self.refresh_bindings()

    def show_address(self, qr: list[str], words: list[str]) -> None:
        self.qr = qr
        self.words = [shown(line) for line in words]
        self.query_one("#remote-qr", Static).update(
            Text("\n".join(self.qr), style="#ffffff on #000000")
        )
        self.query_one("#remote-words", Static).update(Text("\n".join(self.words)))

    def action_start(self) -> None:
        self.dismiss(True)

    def action_escape(self) -> None:
        self.dismiss(False)
