"""Shared setup for the end-to-end tests: the short routine the --plain signal and output
tests run for real."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Three 1-second holds with no get-ready or transition of their own: a --plain session that
#: prints its first lines at once and is over in seconds.
QUICK_ROUTINE = """\
name = "Quick"
[defaults]
get_ready = 0
transition = 0
hold = 1
[[exercises]]
name = "One"
[[exercises]]
name = "Two"
[[exercises]]
name = "Three"
"""


@pytest.fixture
def quick_routine(tmp_path: Path) -> Path:
    """:data:`QUICK_ROUTINE` in a file."""
    path = tmp_path / "quick.toml"
    path.write_text(QUICK_ROUTINE)
    return path
