"""The bottom line of every screen: the pain-stop key first (never scrolled off), then the
screen's other keys in a Textual ``Footer``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from textual.screen import Screen


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

    #: The keys composed last (see :meth:`_keys`); None before the first compose.
    _composed: list[tuple[tuple[Any, ...], tuple[Any, ...]]] | None = None
    #: The key widgets made then, in the same order (mounted or about to be).
    _composed_keys: list[FooterKey] = []  # noqa: RUF012 (replaced, never changed in place)

    def compose(self) -> ComposeResult:
        # The keys are there from the footer's first compose, so that they are in the
        # screen's first frame: Textual's footer composes none until the screen says its
        # bindings changed, and then only after the next refresh, which put the keys a
        # frame after the first (and made every key again once the screen was shown).
        # When the bindings change later, the keys are made again only if what they show
        # changed (see bindings_changed).
        self.set_reactive(Footer._bindings_ready, True)
        self._composed = self._keys()
        # The keys' classes are set before their styles are first worked out (update=False):
        # set after, each key was styled again ("-compact" comes from the footer's own
        # compact, which FooterKey would set once mounted), before the first frame.
        widgets = list(super().compose())
        for widget in widgets:
            if isinstance(widget, FooterKey):
                if widget.action in ("help", "app.help"):
                    widget.add_class("-help-key", update=False)
                widget.set_class(self.compact, "-compact", update=False)
        self._composed_keys = [
            widget
            for widget in widgets
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette")
        ]
        if self.size.width:
            fit_keys(widgets, self.size.width, compact=self.compact)
        yield from widgets

    def on_resize(self, event: events.Resize) -> None:
        fit_keys(list(self.children), event.size.width, compact=self.compact)

    def bindings_changed(self, screen: Screen) -> None:
        """The screen's bindings may have changed (focus moved, an action was enabled or
        disabled). Keys that show the same as those composed are kept, given the actions
        and tooltips of the bindings now active (the picker's list, focused once the screen
        is shown, has its own binding for enter, shown the same as the screen's): made again
        (after the next refresh, as Textual's footer does) only if what they show changed."""
        if self.is_attached and screen is self.screen and self._composed is not None:
            now = self._keys()
            keys = self._composed_keys
            shown = [seen for seen, _ in now]
            if (
                shown == [seen for seen, _ in self._composed]
                and len(keys) == len(now)
                and all(group is None for *_, group in shown)
            ):
                for key, (_, (action, tooltip)) in zip(keys, now, strict=True):
                    key.action = action
                    key.tooltip = tooltip or None
                self._composed = now
                return
        super().bindings_changed(screen)

    def _keys(self) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        """The keys Footer.compose makes of the screen's active bindings (each shown
        action's first binding), each as what it shows (key, display, words, enabled,
        group, whether it is the help key) and what it does not (action, tooltip)."""
        app = self.app
        keys: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in keys:
                shown = (
                    binding.key,
                    app.get_key_display(binding),
                    binding.description,
                    enabled,
                    binding.action in ("help", "app.help"),
                    binding.group,
                )
                keys[binding.action] = (shown, (binding.action, tooltip))
        return list(keys.values())


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
