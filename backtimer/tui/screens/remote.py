"""Before a session with the phone remote: the page's address and its QR code.

The session starts when the person presses enter here or taps Start on the phone, so there
is time to scan the code and lie down first. Escape does not start it (the session is not
begun; the picker, if any, comes back). The address is this computer's own unless the
network was asked for (--lan, or l here: a new address that a phone on the network reaches).

The code is only of use whole: where the window is wide enough the words go beside it, so an
80x24 terminal shows the code, the address and what to do at once; where it cannot be shown
whole, the screen says so and shows the address alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from backtimer.core.literal import shown
from backtimer.tui.keys import bindings
from backtimer.tui.screens import OwnStyles
from backtimer.tui.widgets.keybar import KeyBar


class RemoteScreen(OwnStyles, ModalScreen[bool]):
    """Dismisses with True (start the session) or False (do not)."""

    # Its rules (Textual CSS), added when it is first shown (see OwnStyles).
    STYLES = """
        RemoteScreen {
            align: center middle;
        }

        #remote-dialog {
            width: 100%;
            height: 100%;
            padding: 0 1;
        }

        #remote-title, #remote-start {
            margin: 1 0 0 0;
        }

        #remote-body {
            height: auto;
        }

        #remote-qr {
            width: auto;
        }

        #remote-text {
            height: auto;
        }

        #remote-small {
            display: none;
        }

        /* The words beside the code (80x24 shows it all); under it where narrower; no code where it
           would be cut (the note says so). */
        RemoteScreen.-qr-side #remote-text {
            width: 1fr;
            margin: 0 0 0 2;
        }

        RemoteScreen.-qr-side #remote-words {
            margin: 1 0 0 0;
        }

        RemoteScreen.-qr-stacked #remote-body, RemoteScreen.-qr-none #remote-body {
            layout: vertical;
        }

        RemoteScreen.-qr-stacked #remote-qr {
            margin: 1 0 0 0;
        }

        RemoteScreen.-qr-stacked #remote-text {
            margin: 1 0 0 0;
        }

        RemoteScreen.-qr-none #remote-qr {
            display: none;
        }

        RemoteScreen.-qr-none #remote-words {
            margin: 1 0 0 0;
        }

        RemoteScreen.-qr-none #remote-small {
            display: block;
            margin: 1 0 0 0;
        }
    """

    BINDINGS: ClassVar[list[BindingType]] = [*bindings("remote"), *bindings("dialogs")]

    def __init__(
        self,
        routine_name: str,
        qr: list[str],
        words: list[str],
        *,
        lan: bool = False,
        to_lan: Callable[[], Awaitable[tuple[list[str], list[str]] | None]] | None = None,
        covered: Callable[[], None] | None = None,
    ) -> None:
        """``to_lan``: listen on the network instead (l); it returns the new code and words,
        or None if it could not. ``covered`` is called when a screen comes over this one
        and when it is shown again (the remote's page follows a pain stop shown over it)."""
        super().__init__()
        self.routine_name = shown(routine_name, lines=False)
        self.qr = qr
        self.words = [shown(line) for line in words]
        self.lan = lan
        self.to_lan = to_lan
        self.covered = covered

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="remote-dialog"):
            yield Static(
                Text(f"Phone remote · {self.routine_name}", style="bold"), id="remote-title"
            )
            with Horizontal(id="remote-body"):
                yield Static(Text("\n".join(self.qr), style="#ffffff on #000000"), id="remote-qr")
                with Vertical(id="remote-text"):
                    yield Static(Text("\n".join(self.words)), id="remote-words")
                    yield Static(Text(self._too_small()), id="remote-small")
                    yield Static(
                        Text("Press enter, or tap Start on the phone, to start the session."),
                        id="remote-start",
                    )
        yield KeyBar()

    # ------------------------------------------------------------------ fitting the code

    def _qr_size(self) -> tuple[int, int]:
        """The code's width and height in cells."""
        return (max((len(line) for line in self.qr), default=0), len(self.qr))

    def _needs(self) -> tuple[int, int]:
        """The smallest window that shows the whole code: its padding, title and footer."""
        width, height = self._qr_size()
        return width + 2, height + 3

    def _too_small(self) -> str:
        width, height = self._needs()
        return (
            f"This window is too small for the QR code (it needs {width}×{height}): make it "
            "larger to scan the code, or type the address on the phone."
        )

    def layout_for(self, width: int, height: int) -> str:
        """Where the code goes in a window of this size: "side" (the words beside it, all
        on one screen), "stacked" (the words under it) or "none" (it would be cut, so
        unreadable: the words say so instead, and the address is shown all the same)."""
        need_w, need_h = self._needs()
        if width < need_w or height < need_h:
            return "none"
        if width >= need_w + 2 + self.WORDS_WIDTH:
            return "side"
        return "stacked"

    WORDS_WIDTH = 30  # the narrowest column the words beside the code may have

    def _fit(self, width: int, height: int) -> None:
        layout = self.layout_for(width, height)
        for name in ("side", "stacked", "none"):
            self.set_class(layout == name, f"-qr-{name}")

    def on_mount(self) -> None:
        self._fit(self.app.size.width, self.app.size.height)

    def on_screen_suspend(self) -> None:
        if self.covered is not None:
            self.covered()

    def on_screen_resume(self) -> None:
        if self.covered is not None:
            self.covered()

    def on_resize(self, event: Any) -> None:
        self._fit(event.size.width, event.size.height)

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
        self.query_one("#remote-small", Static).update(Text(self._too_small()))
        self._fit(self.app.size.width, self.app.size.height)

    def action_start(self) -> None:
        self.dismiss(True)

    def action_escape(self) -> None:
        self.dismiss(False)
