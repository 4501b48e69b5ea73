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


def draw(text: str, scale: int) -> list[str]:
    """``text`` in big letters at ``scale``: one string per terminal row."""
    glyphs = [GLYPHS[ch] for ch in text.upper()]
    pixels: list[str] = []  # one string of "#" and "." per pixel row, at scale 1 horizontally
    for row in range(GLYPH_ROWS):
        pixels.append(".".join(g[row] for g in glyphs))
    wide = ["".join(ch * scale for ch in line) for line in pixels]
    tall = [line for line in wide for _ in range(scale)]
    if len(tall) % 2:
        tall.append("." * len(tall[0]))
    out = []
    for top, bottom in zip(tall[::2], tall[1::2], strict=True):
        out.append(
            "".join(HALF_BLOCKS[(a == "#", b == "#")] for a, b in zip(top, bottom, strict=True))
        )
    return out


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
        # What was drawn last: (text, scale, width, style), (plain rows, strips)
        self._strips: tuple[tuple[object, ...], tuple[list[str], list[Strip]]] | None = None

    @property
    def value(self) -> str:
        """The text shown (as it is, before being drawn big)."""
        return self._text

    def layout_for(self, width: int) -> tuple[str, int]:
        """What is drawn at ``width`` columns, and at which scale (0: one plain line)."""
        for text in (self._text, self._short):
            if not text:
                continue
            scale = fit_scale(text, width, self._largest)
            if scale and self._fit and len(self._fit) > len(text):
                scale = min(scale, fit_scale(self._fit, width, self._largest) or scale)
            if scale:
                return text, scale
        return self._text, 0

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
        """Show ``text``; a new height means a new layout, else a repaint of the columns
        that change (a countdown going from 29:53 to 29:52 repaints one digit)."""
        width = self.content_size.width
        before = self._rows(width)
        drawn = self.drawn(width) if width else None
        self._text = text
        if fit is not None:
            self._fit = fit
        if short is not None:
            self._short = short
        if largest is not None:
            self._largest = largest
        if not width or before != self._rows(width):
            self.refresh(layout=True)
            return
        changed = changed_columns(drawn, self.drawn(width))
        if changed is None:
            self.refresh()
        elif changed[1] > changed[0]:
            self.refresh(Region(changed[0], 0, changed[1] - changed[0], before))

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
        plain, rows = [], []
        for line in lines:
            after = max(0, width - pad - len(line))
            plain.append((" " * pad + line + " " * after)[:width])
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

    def render_line(self, y: int) -> Strip:
        rows = self.big_rows(self.size.width)
        if rows is None:
            return super().render_line(y)
        if 0 <= y < len(rows):
            return rows[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)
