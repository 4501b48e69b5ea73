"""Text from routines, files and people, shown literally: the one place that decides what
could act on a terminal and how it is shown instead.

Three uses, three functions:

- :func:`printable` for a line printed to a terminal (messages, file names, keys, plain
  mode's lines): every character that is not printable is written as a visible escape, and
  a byte that was not UTF-8 (a file name, decoded with ``surrogateescape``) as ``\\xNN``.
- :func:`shown` for text a screen shows (a routine's names and instructions, a note): the
  characters that could act on the terminal or reorder what a line says (controls,
  surrogates, bidirectional overrides) become escapes; the line breaks and tabs stay (or,
  for a one-line cell, become spaces). Markup is the screens' business: they wrap this text
  in a ``rich.text.Text``, which never parses it.
- :func:`flat` for text stored or put in a table cell: anything not printable becomes a
  space.

The routine model rejects the same control characters in a routine's text
(:func:`is_control`), so what validation lets through is exactly what a screen shows as is.
"""

from __future__ import annotations

import unicodedata

#: Bidirectional overrides and isolates: they can make a line display differently from what
#: it says.
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_control(ch: str) -> bool:
    """A control character, a lone surrogate or a bidirectional override."""
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in BIDI


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """Text safe to print to a terminal: control, format and undecodable characters escaped.

    File names and keys come from the user's disk: an escape sequence in one must not
    reach the terminal, and a file name that is not UTF-8 must not crash a print().
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def shown(text: str | None, *, lines: bool = True) -> str:
    """Text as a screen shows it: controls, surrogates and bidirectional overrides as escapes
    (``\\x1b``); newline and tab kept, or with ``lines=False`` turned into spaces."""
    out = []
    for ch in text or "":
        if ch in "\n\t":
            out.append(ch if lines else " ")
        elif is_control(ch):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def flat(text: str, *, newlines: bool = False) -> str:
    """Text with every character that is not printable as a space (newlines kept with
    ``newlines=True``): for a table cell, a CSV field, a stored note."""
    return "".join(ch if ch.isprintable() or (newlines and ch == "\n") else " " for ch in text)
