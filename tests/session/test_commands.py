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
