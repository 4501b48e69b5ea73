"""Before a session: the level changes the progression rules make (see ``history.levels``).

``LevelOfferScreen(changes)`` lists each offered step-up with a tick box (ticked: take it)
and each automatic step-down after a pain stop (already applied: only said). The list has
the focus when it opens (space ticks the highlighted offer). ``s`` or enter, or the Start
button, dismisses with the step-ups the user kept ticked; ``n`` (or its button) with none;
the caller stores them (:func:`backtimer.history.levels.accept`) and starts the session.
Escape dismisses with None: no session is started (back to the routines, or quit).

However many exercises step up (a 200-exercise routine can offer 200), the offers are one
:class:`OfferList` (drawn line by line, only the lines on the screen) and the step-downs one
``Static``: a handful of widgets, not one per line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.console import Group
from rich.segment import Segment
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Region, Size
from textual.screen import ModalScreen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Button, Static

from backtimer.history.levels import LevelChange
from backtimer.tui.keys import bindings
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.text import literal


class _Cursor(ScrollView, can_focus=True):
    """Moving a highlight through a list (the keys of Textual's own lists, not shown)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("up", "cursor_up", "Up", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("pagedown", "page_down", "Page Down", show=False),
        Binding("pageup", "page_up", "Page Up", show=False),
    ]


class OfferList(_Cursor):
    """The step-ups, each ``[x] name: what`` with why below it; space or a click ticks or
    unticks the highlighted one (up, down, home, end and the page keys move; enter is the
    screen's: start).

    One widget drawing its lines itself (the Line API): its height for a width is each
    line's length measured (a line wider than the list is wrapped, alone, its next rows
    indented under the name, clear of the tick column), and only the lines on the screen
    are drawn; a tick changes "[x]" to "[ ]", never a height.
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("levels_list")

    COMPONENT_CLASSES: ClassVar[set[str]] = {"offer-list--highlight"}

    DEFAULT_CSS = """
    OfferList {
        height: auto;
        overflow-x: hidden;
        overflow-y: auto;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    OfferList > .offer-list--highlight {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
    }
    OfferList:focus > .offer-list--highlight {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    """

    def __init__(self, changes: Sequence[LevelChange], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.changes = list(changes)
        self.ticked = [True] * len(self.changes)
        self.highlighted: int | None = None  # the first offer once the list has the focus
        # The rows for a width: (offer number, its text on that row), and each offer's
        # first row. Textual asks for the height at every layout pass (six before the
        # first frame, at a few widths); it is worked out once per width.
        self._texts: list[tuple[Text, Text] | None] = [None] * len(self.changes)
        self._layouts: dict[int, tuple[list[tuple[int, Text]], list[int]]] = {}
        self._width = -1  # the width drawn at
        self._rows: list[tuple[int, Text]] = []
        self._first: list[int] = []

    # ------------------------------------------------------------------ the lines

    def _lines(self, number: int) -> tuple[Text, Text]:
        """Offer ``number``'s two lines, each without its first four cells: "name: what"
        (after "[x] ") and why (after four spaces)."""
        texts = self._texts[number]
        if texts is None:
            change = self.changes[number]
            head = literal(change.exercise, "bold").append(f": {change.what}")
            why = Text(change.why, style="dim")
            texts = self._texts[number] = (head, why)
        return texts

    def _wrapped(self, number: int, width: int) -> list[Text]:
        """Offer ``number``'s rows at ``width``: "[x] " (or "[ ] ") before its first, and
        four spaces before every other (a name wrapped goes on under the name)."""
        rows: list[Text] = []
        tick = Text("[x] " if self.ticked[number] else "[ ] ", style="bold")
        room = width - INDENT_CELLS
        for prefix, line in zip((tick, Text(INDENT)), self._lines(number), strict=True):
            if room < MIN_ROOM:  # too narrow to indent: wrapped as one line
                whole = prefix.copy().append_text(line)
                rows.extend(whole.wrap(self.app.console, max(1, width)))
                continue
            parts = [line] if cell_len(line.plain) <= room else line.wrap(self.app.console, room)
            for index, part in enumerate(parts):
                row = (prefix if index == 0 else Text(INDENT)).copy()
                rows.append(row.append_text(part))
        return rows

    def _rows_at(self, width: int) -> tuple[list[tuple[int, Text]], list[int]]:
        """The rows at ``width`` and each offer's first row (worked out once per width)."""
        if width not in self._layouts:
            rows: list[tuple[int, Text]] = []
            first: list[int] = []
            for number in range(len(self.changes)):
                first.append(len(rows))
                rows.extend((number, line) for line in self._wrapped(number, width))
            self._layouts[width] = (rows, first)
        return self._layouts[width]

    def _layout(self, width: int) -> list[tuple[int, Text]]:
        """The rows drawn, at ``width`` (the list's own)."""
        if width != self._width:
            self._width = width
            self._rows, self._first = self._rows_at(width)
        return self._rows

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._rows_at(width)[0])

    def _content_width(self) -> int:
        return self.scrollable_content_region.width

    def on_resize(self, event: events.Resize) -> None:
        width = self._content_width()
        self.virtual_size = Size(width, len(self._layout(width)))

    def render_line(self, y: int) -> Strip:
        width = self._content_width()
        rows = self._layout(width)
        row = self.scroll_offset.y + y
        base = self.rich_style
        if row >= len(rows):
            return Strip.blank(width, base)
        number, text = rows[row]
        style = base
        if number == self.highlighted:
            style = base + self.get_component_rich_style("offer-list--highlight")
        segments = Segment.apply_style(text.render(self.app.console, end=""), style)
        return Strip(segments).adjust_cell_length(width, style)

    # ------------------------------------------------------------------ ticks and moves

    def _refresh_offer(self, number: int) -> None:
        if self._width >= 0:
            start = self._first[number]
            end = self._first[number + 1] if number + 1 < len(self._first) else len(self._rows)
            self.refresh(Region(0, start - self.scroll_offset.y, self.size.width, end - start))

    def toggle(self, number: int) -> None:
        self.ticked[number] = not self.ticked[number]
        self._texts[number] = None
        # The same rows at every width, with "[ ]" for "[x]" (or back).
        for width, (rows, first) in self._layouts.items():
            for offset, line in enumerate(self._wrapped(number, width)):
                rows[first[number] + offset] = (number, line)
        self._refresh_offer(number)

    def _highlight(self, number: int) -> None:
        if not self.changes:
            return
        number = max(0, min(number, len(self.changes) - 1))
        old, self.highlighted = self.highlighted, number
        if old is not None:
            self._refresh_offer(old)
        self._refresh_offer(number)
        if self._width >= 0:
            start = self._first[number]
            end = self._first[number + 1] if number + 1 < len(self._first) else len(self._rows)
            self.scroll_to_region(Region(0, start, self._width, end - start), animate=False)

    def on_focus(self) -> None:
        if self.highlighted is None:
            self._highlight(0)

    def action_cursor_down(self) -> None:
        self._highlight(0 if self.highlighted is None else self.highlighted + 1)

    def action_cursor_up(self) -> None:
        self._highlight(0 if self.highlighted is None else self.highlighted - 1)

    def action_first(self) -> None:
        self._highlight(0)

    def action_last(self) -> None:
        self._highlight(len(self.changes) - 1)

    def _page(self, direction: int) -> None:
        if self.highlighted is None or self._width < 0:
            self._highlight(0)
            return
        page = max(1, self.scrollable_content_region.height)
        row = self._first[self.highlighted] + direction * page
        row = max(0, min(row, len(self._rows) - 1))
        self._highlight(self._rows[row][0])

    def action_page_down(self) -> None:
        self._page(1)

    def action_page_up(self) -> None:
        self._page(-1)

    def action_tick(self) -> None:
        if self.highlighted is not None:
            self.toggle(self.highlighted)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = self.scroll_offset.y + offset.y
        if 0 <= row < len(self._rows):
            event.stop()
            number = self._rows[row][0]
            self._highlight(number)
            self.toggle(number)

    @property
    def accepted(self) -> list[LevelChange]:
        return [change for change, ticked in zip(self.changes, self.ticked, strict=True) if ticked]


INDENT = "    "  # under the name: the width of "[x] "
INDENT_CELLS = len(INDENT)
MIN_ROOM = 8  # narrower than this beside the ticks, a line wraps as one (no indent)

HEADING = (
    "Ready for a step up? Untick what you would rather keep as it is "
    "(it is offered again next time)."
)


class LevelOfferScreen(ModalScreen[list[LevelChange]]):
    """Step-ups to accept or decline (default: accept), step-downs to read; then Start.

    The list of step-ups is as tall as the screen leaves it room (it scrolls itself): the
    dialog fits on the screen, its heading and Start button in view.
    """

    DEFAULT_CSS = """
    LevelOfferScreen {
        align: center middle;
    }
    LevelOfferScreen #levels-dialog {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        border: round $primary;
        background: $surface;
    }
    LevelOfferScreen #levels-title {
        text-style: bold;
        margin-bottom: 1;
    }
    LevelOfferScreen #levels-body {
        height: auto;
        max-height: 1fr;
    }
    LevelOfferScreen .levels-heading {
        text-style: bold;
    }
    LevelOfferScreen #levels-ups {
        height: auto;
        max-height: 100%;
        border: none;
        padding: 0;
        background: $surface;
    }
    LevelOfferScreen .levels-down.-after-ups {
        margin-top: 1;
    }
    LevelOfferScreen #levels-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    LevelOfferScreen #levels-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [*bindings("levels"), *bindings("dialogs")]

    def __init__(self, changes: Sequence[LevelChange]) -> None:
        super().__init__()
        self.changes = list(changes)
        self.ups = [c for c in self.changes if c.change == "up"]
        self.downs = [c for c in self.changes if c.change == "down"]

    def compose(self) -> ComposeResult:
        with Vertical(id="levels-dialog"):
            yield Static("Before you start: your levels", id="levels-title")
            with VerticalScroll(id="levels-body", can_focus=False):
                if self.ups:
                    yield Static(HEADING, classes="levels-heading")
                    offers = OfferList(self.ups, id="levels-ups")
                    offers.styles.max_height = self._room(self.app.size)
                    yield offers
                if self.downs:
                    after = " -after-ups" if self.ups else ""
                    yield Static(self._downs_text(), classes="levels-down" + after)
            with Horizontal(id="levels-buttons"):
                if self.ups:
                    yield Button("No step-ups (n)", id="levels-decline", compact=True)
                yield Button("Start (s)", id="levels-start", variant="primary", compact=True)
        yield KeyBar()

    def _downs_text(self) -> Group:
        """The heading, then each step-down after a bullet, a wrapped line going on under
        its text (not under the bullet)."""
        heading = "Stepped down after pain" if len(self.downs) > 1 else "Stepped down"
        table = Table.grid()
        table.add_column(no_wrap=True)
        table.add_column()
        for change in self.downs:
            text = literal(change.exercise, "bold").append(f": {change.what}, {change.why}")
            table.add_row("• ", text)
        return Group(Text(heading, style="bold"), table)

    def _room(self, size: Size) -> int:
        """The rows the list of step-ups has on a screen of ``size``: what the key bar, the
        dialog's border, title, heading, step-downs and Start button leave."""
        width = max(1, min(76, size.width) - 4)  # the dialog's border and padding
        console = self.app.console
        used = 1 + 2 + 2 + 2  # key bar; border; title and its margin; Start and its margin
        used += len(Text(HEADING).wrap(console, width))
        if self.downs:
            downs = console.render_lines(self._downs_text(), console.options.update_width(width))
            used += 1 + len(downs)
        return max(3, size.height - used)

    def on_resize(self, event: events.Resize) -> None:
        if self.ups:
            self.query_one("#levels-ups", OfferList).styles.max_height = self._room(event.size)

    def on_mount(self) -> None:
        """The list of step-ups has the focus, its first offer highlighted (space ticks it,
        enter starts); with only step-downs to read, the Start button."""
        if self.ups:
            self.query_one("#levels-ups", OfferList).focus(scroll_visible=False)
        else:
            self.query_one("#levels-start", Button).focus()

    @property
    def accepted(self) -> list[LevelChange]:
        """The step-ups ticked now."""
        if not self.ups:
            return []
        return self.query_one("#levels-ups", OfferList).accepted

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "levels-start":
            self.action_start()
        elif event.button.id == "levels-decline":
            self.action_decline()

    def action_start(self) -> None:
        self.dismiss(self.accepted)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No step-ups to decline: n is not shown (enter or s starts)."""
        if action == "decline":
            return bool(self.ups)
        return True

    def action_decline(self) -> None:
        """Start with none of the step-ups (they are offered again next time); the
        step-downs are kept, as they are not offered."""
        self.dismiss([])

    def action_escape(self) -> None:
        """Escape: no session now (the caller goes back to the routines, or quits)."""
        self.dismiss(None)
