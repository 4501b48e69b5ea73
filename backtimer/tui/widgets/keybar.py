"""The bottom line of every screen: the pain-stop key first (never scrolled off), then the
screen's other keys in a Textual ``Footer``.

The app's first screen draws its keys at its first frame with :class:`KeyLine`, one widget
that draws the line the footer's keys (a widget each) would, and gets the footer itself
right after that frame (see :class:`KeyBar`): the footer's keys were about a tenth of the
work before a session's first frame, and more of the picker's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
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
    #: The width the keys are fitted to when composed before the footer has a size (the
    #: width of the :class:`KeyLine` it takes the place of).
    width_hint = 0

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
        width = self.size.width or self.width_hint
        if width:
            fit_keys(widgets, width, compact=self.compact)
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
        return shown_keys(self.app, self.screen)


def shown_keys(app: App[Any], screen: Screen) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """The keys Footer.compose makes of the screen's active bindings (each shown action's
    first binding), each as what it shows (key, display, words, enabled, whether it is the
    help key, group) and what it does not (action, tooltip)."""
    keys: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
    for _, binding, enabled, tooltip in screen.active_bindings.values():
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
    return cells_of(key.key_display, key.description, compact)


def cells_of(key_display: str, description: str, compact: bool) -> int:
    """:func:`key_cells` of a key shown as ``key_display`` with ``description``."""
    cells = cell_len(key_display)
    if description:
        cells += 1 + cell_len(description)
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


class KeyLine(FooterKey):
    """The compact footer's keys drawn as one line: what a :class:`KeyFooter` of
    :class:`FooterKey` widgets (each styled, laid out and drawn on its own) shows, in one
    widget. A ``FooterKey`` itself, so that Textual's styles of a footer key (its colours,
    padding and the compact rules) are the ones it draws with. Shown by :class:`KeyBar` on
    the app's first screen until its first frame is on the terminal; a click on a key
    presses it, as on the footer's."""

    DEFAULT_CSS = """
    KeyLine {
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
    }
    /* FooterKey:hover lights the one key it is; this is the whole line: not lit (its
       cells keep the footer's colours, as the footer's margins and blanks do). */
    KeyLine:hover {
        color: $footer-foreground;
        background: $footer-background;
    }
    """

    def __init__(self) -> None:
        super().__init__("", "", "", "", classes="-compact")
        #: Where each key drawn is: (first cell, cell after it, key, enabled).
        self.spans: list[tuple[int, int, str, bool]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        self.refresh()

    def render(self) -> Text:
        width = self.size.width
        keys = [shown for shown, _ in shown_keys(self.app, self.screen)]
        # Placed as the compact footer places its keys (see fit_keys): in order while they
        # fit beside the help key, which is docked on the right; a margin after each.
        room = width - sum(cells_of(k[1], k[2], True) for k in keys if k[4])
        left: list[tuple[Any, ...]] = []
        for key in keys:
            if key[4]:
                continue
            room -= cells_of(key[1], key[2], True)
            if room < 0:
                break
            left.append(key)
        right = [key for key in keys if key[4]]
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        key_padding = self.get_component_styles("footer-key--key").padding
        description_padding = self.get_component_styles("footer-key--description").padding
        base = self.rich_style
        text = Text(no_wrap=True, overflow="crop", end="")
        self.spans = []

        def draw(key: tuple[Any, ...]) -> None:
            # As FooterKey.render draws one (a disabled key: dim, as FooterKey.-disabled).
            start = text.cell_len
            label = (
                Text.assemble(
                    (" " * key_padding.left + key[1] + " " * key_padding.right, key_style),
                    (
                        " " * description_padding.left + key[2] + " " * description_padding.right,
                        description_style,
                    ),
                )
                if key[2]
                else Text.assemble((key[1], key_style))
            )
            label.stylize_before(base if key[3] else base + Style(dim=True))
            text.append_text(label)
            self.spans.append((start, text.cell_len, key[0], bool(key[3])))
            text.append(" ")  # the margin (the footer's own background)

        for key in left:
            draw(key)
        used = sum(cells_of(k[1], k[2], True) for k in right)
        text.append(" " * max(0, width - text.cell_len - used))
        for key in right:
            draw(key)
        return text

    async def _on_mouse_down(self, event: events.MouseDown) -> None:
        # In place of FooterKey's own (which presses the one key it is): the handlers of the
        # classes after this one are left out, Widget's is called here.
        event.prevent_default()
        for start, end, key, enabled in self.spans:
            if start <= event.x < end:
                if enabled:
                    self.app.simulate_key(key)
                else:
                    self.app.bell()
                break
        await super()._on_mouse_down(event)


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
        waiting = self._first_frame_waiting()
        if waiting is None:
            yield KeyFooter(compact=True)
        else:
            # The app's first screen, before its first frame: the keys in one widget, and
            # the footer (a widget for each key) once the frame is on the terminal.
            yield KeyLine()
            waiting.append(self._after_first_frame)

    def _first_frame_waiting(self) -> list[Callable[[], None]] | None:
        """The callables the screen calls at its first frame if it is the app's first
        screen and it is not drawn yet (see screens.DrawnAfterStartUp and the app's
        ``first_frame_drawn``); else None."""
        if getattr(self.app, "first_frame_drawn", True):
            return None
        waiting = getattr(self.screen, "when_drawn", None)
        if not isinstance(waiting, list):
            return None
        if any(shown[5] is not None for shown, _ in shown_keys(self.app, self.screen)):
            return None  # grouped keys (none of backtimer's): KeyLine draws no groups
        return waiting

    def _after_first_frame(self) -> None:
        self.call_later(self._footer_after_first_frame)

    async def _footer_after_first_frame(self) -> None:
        """The footer in the place of the line, showing the same, in one frame: mounted
        hidden, then shown as the line is hidden, then the line is let go."""
        lines = [child for child in self.children if isinstance(child, KeyLine)]
        if not lines or not self.is_attached:
            return
        line = lines[0]
        footer = KeyFooter(compact=True)
        footer.width_hint = line.size.width
        footer.display = False
        await self.mount(footer, after=line)
        with self.app.batch_update():
            footer.display = True
            line.display = False
        await line.remove()
