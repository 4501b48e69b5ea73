"""Literal text: one module decides what could act on a terminal and how it is shown."""

from __future__ import annotations

from backtimer.core.literal import flat, is_control, printable, shown


def test_shown_escapes_what_acts_on_a_terminal_and_keeps_the_rest() -> None:
    assert shown("[bold]Knee[/bold] 膝 café") == "[bold]Knee[/bold] 膝 café"
    assert shown("a\x1b[31mb") == "a\\x1b[31mb"
    assert shown("\u202eevil") == "\\u202eevil"
    assert shown("one\ntwo\tthree") == "one\ntwo\tthree"
    assert shown("one\ntwo\tthree", lines=False) == "one two three"
    assert shown(None) == ""


def test_printable_escapes_everything_not_printable() -> None:
    assert printable("tab\tnew\nline") == "tab\\x09new\\x0aline"
    assert printable("bad\udcffbyte") == "bad\\xffbyte"
    assert printable("nbsp\u00a0") == "nbsp\\xa0"


def test_flat_turns_what_is_not_printable_into_spaces() -> None:
    assert flat("a\x1bb\tc") == "a b c"
    assert flat("a\nb\x07", newlines=True) == "a\nb "


def test_control_characters_are_what_a_routine_may_not_hold() -> None:
    assert is_control("\x1b") and is_control("\x85") and is_control("\u2066")
    assert not is_control("a") and not is_control("\u00a0") and not is_control("\u200d")
