"""The README stays true: its example routine validates and its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backtimer.cli.main import build_parser
from backtimer.files.routine_load import validate_text

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_example_routine_is_valid() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"A commented example:\n\n```toml\n(.*?)```", text, re.S)
    assert match, "the README lost its commented example"
    routine = validate_text(match.group(1), "README.md example")
    assert len(routine.exercises) >= 3
    kinds = {routine.settings(i).kind for i in range(len(routine.exercises))}
    assert kinds == {"hold", "tempo", "user_paced"}


def test_readme_commands_exist() -> None:
    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"`backtimer (\w+)", text))
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert documented <= set(sub.choices), documented - set(sub.choices)


def test_readme_quick_start_routine_is_bundled() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"\.venv/bin/backtimer run ([\w-]+)", text)
    assert match
    bundled = Path(__file__).resolve().parents[2] / "routines" / f"{match.group(1)}.toml"
    assert bundled.is_file(), f"the quick start names {match.group(1)}, which is not bundled"


def test_readme_has_one_line_that_installs_and_starts_a_bundled_routine() -> None:
    """The README's first set-up command installs backtimer and starts a bundled routine,
    in one line a fresh machine can paste (the second runs the tests, checked above)."""
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"^python3 -m venv \.venv && \.venv/bin/pip install \. && "
        r"\.venv/bin/backtimer run ([\w-]+)$",
        text,
        re.MULTILINE,
    )
    assert match, "the one-line install-and-start command is gone from the README"
    bundled = Path(__file__).resolve().parents[2] / "routines" / f"{match.group(1)}.toml"
    assert bundled.is_file(), f"the one-line command runs {match.group(1)}, which is not bundled"


def test_readme_settings_example_is_valid() -> None:
    from backtimer.files.config import parse_config

    text = README.read_text(encoding="utf-8")
    match = re.search(r"## Settings.*?```toml\n(.*?)```", text, re.S)
    assert match, "the README lost its settings example"
    config, warnings = parse_config(match.group(1), "README.md settings")
    assert warnings == []
    assert config.speech_command == "espeak-ng -s 140"
    assert config.keymap == {"pain": "p"}


def test_readme_lists_every_bundled_routine_with_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's table of bundled routines names each one, its exercise count, how long a
    session lasts with its words at the default voice settings (as ``backtimer list`` shows
    it) and its own times."""
    from backtimer.cli.main import session_length_for
    from backtimer.core.durations import about
    from backtimer.files.config import Config
    from backtimer.files.routine_load import load_routine

    monkeypatch.setenv("BACKTIMER_SPEECH_LENGTHS", "estimate")
    text = README.read_text(encoding="utf-8")
    section = text.split("## Bundled routines", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w-]+)` \| (\d+) \| ([^|]+?) \| ([^|]+?) \|", section, re.M)
    folder = README.parent / "routines"
    bundled = {p.stem: load_routine(p) for p in folder.glob("*.toml")}
    assert sorted(key for key, _, _, _ in rows) == sorted(bundled)
    spoken = session_length_for(Config())  # the default voice settings
    for key, count, with_words, length in rows:
        routine = bundled[key]
        assert int(count) == len(routine.exercises), key
        assert with_words == about(spoken(routine)), key
        assert length == about(routine.total_seconds()), key
    quick = re.search(r"`desk-break` is five .*?, about\s+(\d+) minutes", text, re.S)
    assert quick and f"{quick.group(1)} min" == about(spoken(bundled["desk-break"]))


def test_readme_test_command_is_what_ci_runs() -> None:
    """The README's command for the whole suite is the one .ci/run ends with (the two kept in
    step: what passes in CI is what a developer runs)."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"pip install -e '\.\[test\]' && (\.venv/bin/pytest[^\n`]*)", text)
    assert match, "the README lost its test command"
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if line.startswith(".venv/bin/pytest")]
    assert commands == [match.group(1).strip()]


def test_readme_names_every_stylesheet_of_the_tui() -> None:
    text = README.read_text(encoding="utf-8")
    tui = Path(__file__).resolve().parents[2] / "backtimer" / "tui"
    sheets = sorted(path.relative_to(tui).as_posix() for path in tui.rglob("*.tcss"))
    assert sheets, "the TUI lost its stylesheets"
    missing = [sheet for sheet in sheets if f"`{sheet}`" not in text]
    assert not missing, f"the README does not name {missing}"
