"""Smaller input faults from issue 13 (item 14) and the located step limit (item 9)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backtimer.core.routine import MAX_PLAN_STEPS
from backtimer.files.config import MAX_KEYMAP, load_config, parse_config
from backtimer.files.routine_load import RoutineError, validate_text

HEAD = 'name = "R"\n'


def problems(text: str) -> list[str]:
    with pytest.raises(RoutineError) as caught:
        validate_text(text, "r.toml")
    return [str(p) for p in caught.value.problems]


def test_inline_exercises_mixed_with_tables_get_a_plain_message() -> None:
    text = HEAD + 'exercises = [{ name = "A", hold = 5 }]\n[[exercises]]\nname = "B"\nhold = 5\n'
    [message] = problems(text)
    assert message == (
        "r.toml:3:12: TOML syntax: exercises is already given as a value above "
        "(exercises = ...): write it one way only, either all in that value or as "
        "[[exercises]] tables, one per item"
    )
    assert "immutable namespace" not in message


@pytest.mark.parametrize("hold", ["1e-300", "0.001", '"0.01s"', '"1e-9-5s"'])
def test_a_vanishing_hold_is_refused(hold: str) -> None:
    text = HEAD + f'[[exercises]]\nname = "A"\nhold = {hold}\n'
    [message] = problems(text)
    assert message.startswith("r.toml:4: exercises[1] (A).hold: ")
    assert "at least 0.05 seconds" in message or "expected seconds" in message


def test_a_vanishing_rest_is_refused_but_zero_leaves_it_out() -> None:
    text = HEAD + '[[exercises]]\nname = "A"\nhold = 5\nreps = 2\nrest = 1e-300\n'
    assert problems(text) == [
        "r.toml:6: exercises[1] (A).rest: must be 0 (left out) or at least 0.05 seconds, got 1e-300"
    ]
    validate_text(text.replace("1e-300", "0"), "r.toml")


def test_a_huge_unknown_key_gets_a_short_message() -> None:
    key = "k" * 100_000
    [message] = problems(HEAD + f'[[exercises]]\nname = "A"\nhold = 5\n{key} = 1\n')
    assert len(message) < 400
    assert message.startswith("r.toml:5: ")
    assert "(100,000 characters)" in message
    _, warnings = parse_config(f"{key} = 1\n", "config.toml")
    [warning] = warnings
    assert len(warning) < 400 and "(100,000 characters)" in warning


def test_a_key_written_with_unicode_escapes_is_located_on_its_own_line() -> None:
    text = HEAD + '[[exercises]]\nname = "A"\nhold = 5\n\n\n"\\u0068old2" = 3\n'
    assert problems(text) == [
        "r.toml:7: exercises[1] (A).hold2: unknown key 'hold2' (did you mean 'hold'?)"
    ]
    _, warnings = parse_config('voice = true\n\n"\\u0063ountdown" = 99\n', "config.toml")
    assert warnings[0].startswith("config.toml:3: countdown: ")


def test_user_paced_false_without_a_hold_is_an_error() -> None:
    alone = HEAD + '[[exercises]]\nname = "A"\nuser_paced = false\n'
    assert problems(alone) == [
        "r.toml:4: exercises[1] (A).user_paced: user_paced = false needs a hold or a tempo to "
        "time the exercise (in the exercise or in [defaults])"
    ]
    # [defaults] saying user_paced = true must not override the exercise's own false.
    paced = HEAD + "[defaults]\nuser_paced = true\n" + alone.removeprefix(HEAD)
    assert "user_paced = false needs a hold or a tempo" in problems(paced)[0]
    # With a hold to time it, false is simply the default.
    validate_text(alone + "hold = 5\n", "r.toml")
    validate_text(HEAD + "[defaults]\nhold = 5\n" + alone.removeprefix(HEAD), "r.toml")


def test_a_huge_keymap_is_refused_quickly_and_the_rest_kept(tmp_path: Path) -> None:
    entries = "".join(f'a{i} = "x"\n' for i in range(MAX_KEYMAP + 1))
    config, warnings = parse_config(f"countdown = 5\n[keymap]\n{entries}", "config.toml")
    assert warnings == [
        f"config.toml:2: keymap: has 101 bindings; the limit is {MAX_KEYMAP} (all ignored)"
    ]
    assert config.countdown == 5 and config.keymap == {}
    # Far larger: refused from its size alone, before it is parsed.
    path = tmp_path / "config.toml"
    path.write_text("[keymap]\n" + "".join(f'a{i} = "x"\n' for i in range(100_000)))
    assert load_config(path)[1] == [f"{path}: is larger than 64 KiB; using the default settings"]


def test_check_locates_a_routine_over_the_step_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    exercise = '[[exercises]]\nname = "E"\nhold = 0.1\nreps = 100\nsets = 100\nsides = "both"\n'
    path.write_text(HEAD + exercise * 200)
    result = subprocess.run(
        [sys.executable, "-m", "backtimer", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == (
        f"{path}:2: exercises[1] (E): this exercise alone has 40,000 steps at its highest level "
        f"(the whole session 8,000,199); the limit is {MAX_PLAN_STEPS:,}: fewer reps, sets "
        "or exercises\n"
    )
