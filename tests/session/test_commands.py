"""The command table: one source for the app's bindings, --plain's keys, help and the README."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from backtimer.files.config import Config, unknown_bindings
from backtimer.session.commands import (
    COMMANDS,
    SECTIONS,
    binding_ids,
    char_key,
    commands,
    plain_keymap,
    plain_words,
    readme_keys,
    split_keys,
    terminal_keys,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_key_tables_are_generated_from_the_table() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- keys:[^\n]*-->\n(.*?)<!-- /keys -->", text, re.S)
    assert match, "the README lost its generated key tables"
    assert match.group(1) == readme_keys(), (
        "README key tables are stale: paste `python -m backtimer.session.commands`"
    )


def test_every_section_is_known_and_ids_are_unique_within_a_section() -> None:
    known = dict(SECTIONS)
    for key in COMMANDS:
        assert key.where in known, key
    for where, _ in SECTIONS:
        ids = [key.id for key in commands(where)]
        assert len(ids) == len(set(ids)), where
    # An id shared by several screens means the same thing there (quit).
    shared = {k.id for k in COMMANDS if sum(1 for o in COMMANDS if o.id == k.id) > 1}
    assert shared == {"quit"}


def test_the_same_key_does_the_same_thing_in_the_app_and_in_plain_mode() -> None:
    for where in ("app", "session", "pain"):
        keys = plain_keymap(where)
        for name, key in keys.items():
            app_keys = [k for k in commands(where) if name in split_keys(k.keys)]
            if app_keys:  # a key the app binds here too runs the same command
                assert app_keys[0].id == key.id, (where, name)
    session = plain_keymap("session") | plain_keymap("app")
    assert session["N"].id == "skip_exercise" and session["n"].id == "skip_step"
    assert session["space"].id == "pause" and session["escape"].plain == "pain"
    assert "s" not in session  # the old --plain key for skipping an exercise is gone


def test_plain_words_match_keys_case_first() -> None:
    words = plain_words("session")
    assert words["N"].plain == "skip_exercise"
    assert words["n"].plain == "skip_step"
    assert words["skip exercise"].plain == "skip_exercise"
    assert plain_words("pain")["skip"].plain == "skip_exercise"


def test_a_keymap_moves_a_plain_key() -> None:
    keys = plain_keymap("app", {"pain": "p"})
    assert keys["p"].id == "pain" and "x" not in keys and keys["escape"].id == "pain_escape"


def test_terminal_characters_become_key_names() -> None:
    assert [char_key(c) for c in " \r?+-=Nn\x05"] == [
        "space",
        "enter",
        "question_mark",
        "plus",
        "minus",
        "equals_sign",
        "N",
        "n",
        "ctrl+e",
    ]


def test_the_config_hints_name_real_binding_ids() -> None:
    ids = binding_ids()
    (message,) = unknown_bindings(Config(keymap={"skip_exercse": "S"}), ids)
    assert message == "keymap.skip_exercse: no such binding (did you mean 'skip_exercise'?)"
    assert unknown_bindings(Config(keymap={"pain": "p", "pause": "p"}), ids) == []


def test_backtimer_keys_lists_every_binding_id() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "backtimer", "keys"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")}
    assert listed == set(binding_ids())


def test_what_a_terminal_sends_in_one_read_becomes_every_key_in_it() -> None:
    """--plain on a terminal reads up to 64 bytes at a time: two keys pressed close together
    arrive in one read. An arrow after a key was read as escape (a false pain stop), and a
    key after an arrow or a double escape was dropped (a pain stop lost)."""
    assert terminal_keys("x") == ["x"]
    assert terminal_keys("\x1b") == ["escape"]
    assert terminal_keys(" \x1b[B") == ["space"]  # space, then the down arrow: no pain stop
    assert terminal_keys("n\x1bOB") == ["n"]  # an arrow in application mode
    assert terminal_keys("\x1b[Ax") == ["x"]  # the arrow, then x: the pain stop is kept
    assert terminal_keys("\x1b[1;5Ax") == ["x"]  # ctrl+up has parameters
    assert terminal_keys("\x1bOPx") == ["x"]  # F1, then x
    assert terminal_keys("\x1b[[Ax") == ["x"]  # the Linux console's F1, then x
    assert terminal_keys("\x1b[6~\x1b[6~") == ["pagedown", "pagedown"]
    assert terminal_keys("\x1b[6~x") == ["pagedown", "x"]
    assert terminal_keys("\x1b[[E") == ["f5"]
    assert terminal_keys("\x1b\x1b") == ["escape", "escape"]  # escape pressed twice
    # Escape and then a clicker's page key (or alt+pagedown on some terminals: the same
    # bytes) is the escape and the page key, as the app's Textual reads it: the pain stop is
    # kept. It had been skipped whole as alt and the key.
    assert terminal_keys("\x1b\x1b[6~") == ["escape", "pagedown"]
    assert terminal_keys("\x1b\x1b[A") == ["escape"]  # escape, then an arrow (nothing)
    # Escape and a key at once (or alt and the key: the same bytes, and alt means nothing
    # here) is escape and then the key: a pain stop is never lost for a false one, which
    # "pressed by mistake" undoes. Escape and q had quit at once, with no pain recorded.
    assert terminal_keys("\x1bx") == ["escape", "x"]
    assert terminal_keys("\x1bq") == ["escape", "q"]
    assert terminal_keys("\x1b ") == ["escape", "space"]
    assert terminal_keys("\x1b\x1bx") == ["escape", "escape", "x"]
    assert terminal_keys("\x1b[") == []  # a sequence cut off at the end of the read
    assert terminal_keys("ab\x05") == ["a", "b", "ctrl+e"]
