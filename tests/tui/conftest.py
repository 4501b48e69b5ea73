"""Shared setup for the app's tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_apps.common import SHORT, write_routine

from backtimer.files.catalog import Entry


@pytest.fixture
def short(tmp_path: Path) -> Entry:
    """The SHORT routine (every phase in a short session) as a user's routine file."""
    return write_routine(tmp_path, SHORT)
