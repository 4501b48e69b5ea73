"""The remote's address as a QR code drawn with block characters, for a terminal.

segno (a maintained, pure-Python QR library) makes the code; two rows of modules share one
line of half blocks. Light modules (and the quiet zone) are drawn, dark ones left blank, as
``qrencode -t UTF8`` does: light text on a dark background scans as a normal code. Where the
colours are the other way round, the app draws it white on black itself.
"""

from __future__ import annotations

import segno

QUIET_ZONE = 2  # modules of light border around the code (phones read it well with 2)

_HALVES = {
    (True, True): "█",
    (True, False): "▀",
    (False, True): "▄",
    (False, False): " ",
}


def qr_lines(text: str, *, border: int = QUIET_ZONE) -> list[str]:
    """``text`` as a QR code: one string per terminal line (half as many as modules)."""
    code = segno.make(text, error="m", micro=False)
    rows = [[not dark for dark in row] for row in code.matrix_iter(scale=1, border=border)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))  # an odd last row: the lower half stays dark
    lines = []
    for upper, lower in zip(rows[::2], rows[1::2], strict=True):
        pairs = zip(upper, lower, strict=True)
        lines.append("".join(_HALVES[pair] for pair in pairs))
    return lines


def qr_text(text: str) -> str:
    return "\n".join(qr_lines(text))
