"""The bottom line of every screen: the pain-stop key first (never scrolled off), then the
screen's other keys in a Textual ``Footer``."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.keys import format_key
from textual.widget import Widget
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
    """A ``Footer`` whose "? Help" key sits at its right end, always shown: the other keys
    (most needed first) are shown as far as they fit before it, whole; a narrow terminal
    leaves out the last ones, never the way to the list of them all. (Textual's footer
    scrolls its keys under a key docked on the right: "N S? Help" at 60 columns.)"""

    DEFAULT_CSS = """
    KeyFooter FooterKey.-help-key {
        dock: right;
    }
    """

    def compose(self) -> ComposeResult:
        # The keys' classes are set before their styles are first worked out (update=False):
        # set after, each key was styled again ("-compact" comes from the footer's own
        # compact, which FooterKey would set once mounted), before the first frame.
        widgets = list(super().compose())
        for widget in widgets:
            if isinstance(widget, FooterKey):
                if widget.action in ("help", "app.help"):
                    widget.add_class("-help-key", update=False)
                widget.set_class(self.compact, "-compact", update=False)
        if self.size.width:
            fit_keys(widgets, self.size.width, compact=self.compact)
        yield from widgets

    def on_resize(self, event: events.Resize) -> None:
        fit_keys(list(self.children), event.size.width, compact=self.compact)


def key_cells(key: FooterKey, compact: bool) -> int:
    """The cells a footer key takes (Textual's footer styles): compact, "x Pain stop" and
    the margin after it; else " x Pain stop "."""
    cells = cell_len(key.key_display)
    if key.description:
        cells += 1 + cell_len(key.description)
    return cells + (1 if compact else 2)


def fit_keys(widgets: list[Widget], width: int, *, compact: bool) -> None:
    """Show the footer's keys that fit in ``width`` beside its help key (docked on its
    right), in order: the first that does not fit hides it and every one after it. (The
    app has no command palette, Textual's other key docked there.)"""
    keys = [w for w in widgets if isinstance(w, FooterKey)]
    room = width - sum(key_cells(k, compact) for k in keys if k.has_class("-help-key"))
    fits = True
    for key in keys:
        if key.has_class("-help-key"):
            continue
        room -= key_cells(key, compact)
        fits = fits and room >= 0
        key.display = fits


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
