"""The bottom line of every screen: the pain-stop key first (never scrolled off), then the
screen's other keys in a Textual ``Footer``."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.keys import format_key
from textual.widgets import Footer, Static

from backtimer.session.commands import commands


def pain_keys(app_keymap: dict[str, str]) -> str:
    """The pain-stop keys as bound now (a keymap may have moved them): "x/esc"."""
    keys: list[str] = []
    for command in commands("app"):
        if command.action != "pain":
            continue
        for key in app_keymap.get(command.id, command.keys).split(","):
            keys.append(format_key(key.strip()))
    return "/".join(k for k in keys if k)


class PainKey(Static):
    """ "x/esc Pain stop", in the stop colour; clicking it is a pain stop too."""

    DEFAULT_CSS = """
    PainKey {
        width: auto;
        height: 1;
        padding: 0 1;
        background: #a8322d;
        color: #ffffff;
        text-style: bold;
    }
    """

    def on_mount(self) -> None:
        keymap = getattr(self.app, "_keymap", {}) or {}
        self.update(Text(f"{pain_keys(keymap)} Pain stop"))

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        await self.app.run_action("pain")


class KeyBar(Horizontal):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 100%;
    }
    KeyBar > Footer {
        dock: none;
        width: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        yield PainKey()
        yield Footer(compact=True)
