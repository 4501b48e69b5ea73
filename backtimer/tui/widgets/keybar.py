"""The bottom line of every screen: the pain-stop key first (never scrolled off), then the
screen's other keys in a Textual ``Footer``."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.keys import format_key
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from backtimer.session.commands import commands


def pain_keys(app_keymap: dict[str, str], escape: bool = True) -> str:
    """The pain-stop keys as bound now (a keymap may have moved them): "x/esc", or "x"
    where escape closes what is open instead."""
    keys: list[str] = []
    for command in commands("app"):
        if command.action != "pain" and not (escape and command.id == "pain_escape"):
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
        escape = bool(getattr(self.screen, "ESCAPE_IS_PAIN", False))
        self.update(Text(f"{pain_keys(keymap, escape)} Pain stop"))

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        await self.app.run_action("pain")


class KeyFooter(Footer):
    """A ``Footer`` whose "? Help" key sits at its right end: a narrow terminal cuts the
    keys in the middle, never the way to the list of them all."""

    DEFAULT_CSS = """
    KeyFooter FooterKey.-help-key {
        dock: right;
    }
    """

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action in ("help", "app.help"):
                widget.add_class("-help-key")
            yield widget


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
        yield KeyFooter(compact=True)
