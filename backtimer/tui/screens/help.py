"""Help: every key of every screen, as currently bound (a keymap's changes included).

The keys come from the command table (:mod:`backtimer.session.commands`), not from the
screens' classes, so help imports no screen and no app."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen
from textual.widgets import Static

from backtimer.session.commands import SECTIONS
from backtimer.tui.keys import bindings
from backtimer.tui.screens import OwnStyles
from backtimer.tui.widgets.keybar import KeyBar

KEY_WORDS = {"enter": "enter", "escape": "esc", "space": "space"}


def key_text(app_keymap: dict[str, str], binding: Binding) -> str:
    """The keys of a binding as a user reads them: "x", "+ / =", "enter"."""
    if binding.id and binding.id in app_keymap:
        keys = app_keymap[binding.id]
    elif binding.key_display and "," not in binding.key and binding.key_display.isascii():
        if "/" not in binding.key_display:
            return binding.key_display
        keys = binding.key
    else:
        keys = binding.key
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    return " / ".join(KEY_WORDS.get(k, format_key(k)) for k in parts)


def describe(binding: Binding) -> str:
    return binding.tooltip or binding.description


def sections() -> list[tuple[str, list[Binding]]]:
    """Every screen's bindings, in the order a user meets them (from the command table)."""
    out = []
    for where, title in SECTIONS:
        if title:
            # Each key once: space pauses and resumes, one line says so.
            seen: set[str] = set()
            own = []
            for binding in bindings(where):
                if isinstance(binding, Binding) and binding.key not in seen:
                    seen.add(binding.key)
                    own.append(binding)
            out.append((title, own))
    return out


class HelpScreen(OwnStyles, ModalScreen[None]):
    # Its rules (Textual CSS), added when it is first shown (see OwnStyles).
    STYLES = """
        HelpScreen {
            align: center middle;
            background: $background 60%;
        }

        #help-dialog {
            width: 76;
            max-width: 100%;
            height: auto;
            max-height: 100%;
            border: round $primary;
            background: $surface;
            padding: 0 1;
        }

        #help-title {
            text-style: bold;
            margin-bottom: 1;
        }

        .help-section {
            margin-top: 1;
        }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("help")

    def compose(self) -> ComposeResult:
        keymap = getattr(self.app, "_keymap", {}) or {}
        with VerticalScroll(id="help-dialog"):
            yield Static("Keys", id="help-title")
            for title, bindings in sections():
                table = Table.grid(padding=(0, 2))
                table.add_column(style="bold", no_wrap=True, min_width=9)
                table.add_column()
                for binding in bindings:
                    table.add_row(key_text(keymap, binding), describe(binding))
                yield Static(Text(title, style="bold underline"), classes="help-section")
                yield Static(table, classes="help-keys")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#help-dialog").focus()

    def action_close(self) -> None:
        self.dismiss(None)
