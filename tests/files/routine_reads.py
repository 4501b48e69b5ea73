"""A helper shared by the files tests: which routine files get read and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtimer.files import catalog


def routine_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every routine file read and validated in this process from now on."""
    seen: list[Path] = []
    original = catalog.load_routine

    def counting(path, label=None):
        seen.append(Path(path))
        return original(path, label)

    monkeypatch.setattr(catalog, "load_routine", counting)
    return seen
