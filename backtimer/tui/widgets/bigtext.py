"""Big letters and digits drawn from a small glyph table, scaled to the space there is.

Textual's ``Digits`` is always three rows tall; a person a few steps from the screen needs the
countdown to fill the room it has. Each glyph here is a 3x5 bitmap (a few letters are wider);
a pixel is drawn one column wide and half a row tall with the half-block characters, so at
scale ``s`` a line is ``ceil(5 * s / 2)`` rows tall and its pixels are square on a usual
terminal. The owner sets the largest scale (from the terminal's height); the widget picks the
largest scale up to that which fits its width, and redraws only when its text or size changes.
Its rows are drawn as strips of segments straight away (no text layout pass), so a countdown
that changes every second costs little.
"""

from __future__ import annotations

import functools
import math

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

GLYPH_ROWS = 5

#: "#" is a pixel. Every glyph is GLYPH_ROWS rows; widths vary.
GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ":": (".", "#", ".", "#", "."),
    " ": ("..", "..", "..", "..", ".."),
    "·": (".", ".", "#", ".", "."),
    "-": ("...", "...", "###", "...", "..."),
    "→": ("#..", ".#.", "..#", ".#.", "#.."),
    "A": ("###", "#.#", "###", "#.#", "#.#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "C": ("###", "#..", "#..", "#..", "###"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "F": ("###", "#..", "##.", "#..", "#.."),
    "G": ("###", "#..", "#.#", "#.#", "###"),
    "H": ("#.#", "#.#", "###", "#.#", "#.#"),
    "I": ("###", ".#.", ".#.", ".#.", "###"),
    "J": ("..#", "..#", "..#", "#.#", "###"),
    "K": ("#.#", "#.#", "##.", "#.#", "#.#"),
    "L": ("#..", "#..", "#..", "#..", "###"),
    "M": ("#...#", "##.##", "#.#.#", "#...#", "#...#"),
    "N": ("#..#", "##.#", "#.##", "#..#", "#..#"),
    "O": ("###", "#.#", "#.#", "#.#", "###"),
    "P": ("###", "#.#", "###", "#..", "#.."),
    "Q": ("###", "#.#", "#.#", "###", "..#"),
    "R": ("##.", "#.#", "##.", "#.#", "#.#"),
    "S": ("###", "#..", "###", "..#", "###"),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "U": ("#.#", "#.#", "#.#", "#.#", "###"),
    "V": ("#.#", "#.#", "#.#", "#.#", ".#."),
    "W": ("#...#", "#...#", "#.#.#", "##.##", "#...#"),
    "X": ("#.#", "#.#", ".#.", "#.#", "#.#"),
    "Y": ("#.#", "#.#", ".#.", ".#.", ".#."),
    "Z": ("###", "..#", ".#.", "#..", "###"),
}

#: The glyphs' own style ("not dim" changes nothing on screen): a segment of their own, so
#: that an SVG screenshot places them by their column, not after squeezed spaces.
GLYPH_STYLE = Style(dim=False)

#: Top pixel, bottom pixel -> the character that draws them in one cell.
HALF_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def can_draw(text: str) -> bool:
    return bool(text) and all(ch in GLYPHS for ch in text.upper())


def pixel_width(text: str) -> int:
    """Width in pixels at scale 1 (one blank pixel between glyphs)."""
    glyphs = [GLYPHS[ch] for ch in text.upper()]
    return sum(len(g[0]) for g in glyphs) + max(0, len(glyphs) - 1)


def rows_at(scale: int) -> int:
    """Terminal rows a line of big text takes at ``scale``."""
    return math.ceil(GLYPH_ROWS * scale / 2)


def fit_scale(text: str, width: int, largest: int) -> int:
    """The largest scale up to ``largest`` at which ``text`` fits ``width`` columns (0: none)."""
    if not can_draw(text) or largest < 1:
        return 0
    return max(0, min(largest, width // pixel_width(text)))


@functools.lru_cache(maxsize=512)
def glyph_rows(char: str, scale: int) -> tuple[str, ...]:
    """One glyph (an upper-case key of GLYPHS) at ``scale``: one string per terminal row.
    Every glyph has the same rows, so a line is its glyphs' rows side by side."""
    wide = ["".join(ch * scale for ch in line) for line in GLYPHS[char]]
    tall = [line for line in wide for _ in range(scale)]
    if len(tall) % 2:
        tall.append("." * len(tall[0]))
    return tuple(
        "".join(HALF_BLOCKS[(a == "#", b == "#")] for a, b in zip(top, bottom, strict=True))
        for top, bottom in zip(tall[::2], tall[1::2], strict=True)
    )


def draw(text: str, scale: int) -> list[str]:
    """``text`` in big letters at ``scale``: one string per terminal row (one blank pixel,
    ``scale`` columns, between glyphs)."""
    glyphs = [glyph_rows(ch, scale) for ch in text.upper()]
    gap = " " * scale
    return [gap.join(rows[row] for rows in glyphs) for row in range(rows_at(scale))]


def glyph_columns(text: str, scale: int) -> list[tuple[int, int]]:
    """Where each glyph of ``text`` lies in its drawing at ``scale``: ``[start, end)``."""
    spans, x = [], 0
    for ch in text.upper():
        width = len(GLYPHS[ch][0]) * scale
        spans.append((x, x + width))
        x += width + scale
    return spans


def padded(text: str, scale: int, *, width: int) -> list[str]:
    """``text`` drawn at ``scale`` and centred in ``width`` columns, as plain strings."""
    lines = draw(text, scale)
    pad = max(0, (width - len(lines[0])) // 2)
    return [(" " * pad + line).ljust(width)[:width] for line in lines]


def changed_columns(before: list[str] | None, after: list[str] | None) -> tuple[int, int] | None:
    """The columns ``[start, end)`` in which two drawings of the same size differ (start ==
    end: none); None when they cannot be compared (plain text, or another size)."""
    if before is None or after is None or len(before) != len(after):
        return None
    if any(len(a) != len(b) for a, b in zip(before, after, strict=True)):
        return None
    start, end = len(after[0]) if after else 0, 0
    for old, new in zip(before, after, strict=True):
        if old == new:
            continue
        left = next(i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b)
        right = len(new) - next(
            i for i, (a, b) in enumerate(zip(reversed(old), reversed(new), strict=True)) if a != b
        )
        start, end = min(start, left), max(end, right)
    return (start, end) if end > start else (0, 0)


class BigText(Widget):
    """A line of big text, centred. ``largest`` caps the scale; the width may lower it.

    ``fit`` is a sample of the widest text this widget will show soon (e.g. "8:88" for a
    countdown), so that the scale does not jump as the text changes from "10" to "9".
    ``short`` is drawn instead when the text does not fit at scale 1. Text that cannot be
    drawn big at all (or a widget too narrow for it) is shown as one plain line.
    """

    DEFAULT_CSS = """
    BigText {
        width: 100%;
        height: auto;
    }
    """

    def __init__(
        self,
        text: str = "",
        *,
        largest: int = 1,
        fit: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._text = text
        self._fit = fit
        self._short = ""
        self._largest = largest
        # What is drawn at a width: (width, text, short, fit, largest) -> (text, scale).
        self._layout: tuple[tuple[object, ...], tuple[str, int]] | None = None
        # What was drawn last: (text, scale, width, style), (plain rows, strips)
        self._strips: tuple[tuple[object, ...], tuple[list[str], list[Strip]]] | None = None
        # The strips render_line hands out, by (outer size, text version, style version):
        # Textual asks for each row in turn, and working out the key in full for each
        # (the content width, the style) costs more than the row.
        self._rows_for: tuple[tuple[object, ...], list[Strip] | None] | None = None
        self._version = 0  # changes when the text, its fit or its scale may have
        self._style_version = 0

    @property
    def value(self) -> str:
        """The text shown (as it is, before being drawn big)."""
        return self._text

    def layout_for(self, width: int) -> tuple[str, int]:
        """What is drawn at ``width`` columns, and at which scale (0: one plain line)."""
        key = (width, self._text, self._short, self._fit, self._largest)
        if self._layout is not None and self._layout[0] == key:
            return self._layout[1]
        found = self._text, 0
        for text in (self._text, self._short):
            if not text:
                continue
            scale = fit_scale(text, width, self._largest)
            if scale and self._fit and len(self._fit) > len(text):
                scale = min(scale, fit_scale(self._fit, width, self._largest) or scale)
            if scale:
                found = text, scale
                break
        self._layout = key, found
        return found

    @property
    def scale(self) -> int:
        """The scale the text is drawn at now (0: one plain line)."""
        return self.layout_for(self.content_size.width)[1]

    def _rows(self, width: int) -> int:
        scale = self.layout_for(width)[1]
        return rows_at(scale) if scale else 1

    def update(
        self,
        text: str,
        *,
        fit: str | None = None,
        short: str | None = None,
        largest: int | None = None,
    ) -> None:
        """Show ``text``; a new height means a new layout, else a repaint of the cells that
        change (a countdown going from 29:53 to 29:52 repaints one digit, in the rows where
        a 3 and a 2 differ)."""
        if (
            text == self._text
            and fit in (None, self._fit)
            and short in (None, self._short)
            and largest in (None, self._largest)
        ):
            return  # nothing shown changes
        if self.is_mounted and not self.display:
            # Hidden (the clock line stands in for the countdown in a tiny terminal): keep
            # it; shown again, it is laid out anyway. A hidden widget's refresh would lay
            # out the whole screen, every second.
            self._set(text, fit, short, largest)
            return
        width = self.content_size.width
        before = self.layout_for(width) if width else None
        rows = self._rows(width)
        self._set(text, fit, short, largest)
        if before is None or rows != self._rows(width):
            self.refresh(layout=True)
            return
        after = self.layout_for(width)
        changed = self._changed_glyphs(before, after, width)
        if changed is None and before[1] and after[1]:
            # Glyphs of other widths ("HOLD" -> "REST"): the columns that differ, if any.
            columns = changed_columns(padded(*before, width=width), padded(*after, width=width))
            if columns is not None:
                start, end = columns
                changed = [Region(start, 0, end - start, rows)] if end > start else []
        if changed is None:
            self.refresh()
        elif changed:
            self.refresh(*changed)

    def _set(self, text: str, fit: str | None, short: str | None, largest: int | None) -> None:
        self._text = text
        if fit is not None:
            self._fit = fit
        if short is not None:
            self._short = short
        if largest is not None:
            self._largest = largest
        self._version += 1

    def _changed_glyphs(
        self, before: tuple[str, int], after: tuple[str, int], width: int
    ) -> list[Region] | None:
        """What differs between two drawings at the same scale and of the same width: the
        columns of the glyphs that changed, in the rows where they did (one region per run
        of rows; none: nothing changed). None when they cannot be compared glyph by glyph
        (plain text, another scale or width)."""
        (old, scale), (new, new_scale) = before, after
        if not scale or scale != new_scale or len(old) != len(new):
            return None
        spans = glyph_columns(new, scale)
        if spans != glyph_columns(old, scale):
            return None
        pad = max(0, (width - spans[-1][1]) // 2)
        start, end, rows = width, 0, set()
        for (left, right), a, b in zip(spans, old.upper(), new.upper(), strict=True):
            if a == b:
                continue
            pairs = zip(glyph_rows(a, scale), glyph_rows(b, scale), strict=True)
            differ = [y for y, (was, now) in enumerate(pairs) if was != now]
            if differ:
                rows.update(differ)
                start, end = min(start, pad + left), max(end, pad + right)
        end = min(end, width)
        if end <= start:
            return []
        regions, ordered = [], sorted(rows)
        first = previous = ordered[0]
        for y in [*ordered[1:], None]:
            if y is not None and y == previous + 1:
                previous = y
                continue
            regions.append(Region(start, first, end - start, previous - first + 1))
            if y is not None:
                first = previous = y
        return regions

    def drawn(self, width: int) -> list[str] | None:
        """The rows of big text at ``width``, as plain strings ``width`` long (None: it is
        shown as one plain line)."""
        found = self._draw(width)
        return found[0] if found is not None else None

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._rows(width)

    def render(self) -> Text:
        """One plain line (the big rows are drawn by ``render_line``)."""
        text, _ = self.layout_for(self.content_size.width)
        return Text(text, justify="center", no_wrap=True, overflow="ellipsis")

    def _draw(self, width: int) -> tuple[list[str], list[Strip]] | None:
        text, scale = self.layout_for(width)
        if not scale:
            return None
        base = self.visual_style.rich_style
        key = (text, scale, width, base)
        if self._strips is not None and self._strips[0] == key:
            return self._strips[1]
        lines = draw(text, scale)
        pad = max(0, (width - len(lines[0])) // 2)
        glyph = base + GLYPH_STYLE
        plain, rows = padded(text, scale, width=width), []
        for line in lines:
            after = max(0, width - pad - len(line))
            segments = [Segment(" " * pad, base)] if pad else []
            segments.append(Segment(line, glyph))
            if after:
                segments.append(Segment(" " * after, base))
            rows.append(Strip(segments, pad + len(line) + after).crop(0, width))
        self._strips = (key, (plain, rows))
        return plain, rows

    def big_rows(self, width: int) -> list[Strip] | None:
        """The rows of big text at ``width`` (None: it is shown as one plain line)."""
        found = self._draw(width)
        return found[1] if found is not None else None

    def notify_style_update(self) -> None:
        self._style_version += 1
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        stamp = (self.outer_size, self._version, self._style_version)
        known = self._rows_for
        if known is None or known[0] != stamp:
            known = self._rows_for = (stamp, self.big_rows(self.size.width))
        rows = known[1]
        if rows is None:
            return super().render_line(y)
        if 0 <= y < len(rows):
            return rows[y]
        return Strip.blank(rows[0].cell_length, self.visual_style.rich_style)
