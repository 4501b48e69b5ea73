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
from textual.geometry import Size
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
        self._strips: tuple[tuple[object, ...], list[Strip]] | None = None  # key, rows drawn

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
        """Show ``text``; a new height means a new layout, else only a repaint."""
        width = self.content_size.width
        before = self._rows(width)
        self._text = text
        if fit is not None:
            self._fit = fit
        if short is not None:
            self._short = short
        if largest is not None:
            self._largest = largest
        self.refresh(layout=not width or before != self._rows(width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._rows(width)

    def render(self) -> Text:
        """One plain line (the big rows are drawn by ``render_line``)."""
        text, _ = self.layout_for(self.content_size.width)
        return Text(text, justify="center", no_wrap=True, overflow="ellipsis")

    def big_rows(self, width: int) -> list[Strip] | None:
        """The rows of big text at ``width`` (None: it is shown as one plain line)."""
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
        rows = []
        for line in lines:
            after = max(0, width - pad - len(line))
            segments = [Segment(" " * pad, base)] if pad else []
            segments.append(Segment(line, glyph))
            if after:
                segments.append(Segment(" " * after, base))
            rows.append(Strip(segments, pad + len(line) + after).crop(0, width))
        self._strips = (key, rows)
        return rows

    def render_line(self, y: int) -> Strip:
        rows = self.big_rows(self.size.width)
        if rows is None:
            return super().render_line(y)
        if 0 <= y < len(rows):
            return rows[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)
