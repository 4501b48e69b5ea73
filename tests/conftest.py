"""Shared test setup: no test reads or writes the real home directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache of measured speech lengths for the whole run (a text is rendered once)."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, speech_cache: Path
):
    """Point backtimer's config, data and cache folders at fresh temporary folders (spoken
    lengths: one cache for the whole run)."""
    root = tmp_path_factory.mktemp("home")
    config, data, cache = root / "config", root / "data", root / "cache"
    monkeypatch.setenv("BACKTIMER_CONFIG_DIR", str(config))
    monkeypatch.setenv("BACKTIMER_DATA_DIR", str(data))
    monkeypatch.setenv("BACKTIMER_CACHE_DIR", str(cache))
    # No sound device in tests: speech commands and the bell, as the tests expect (the
    # sound tests open miniaudio's null device themselves).
    monkeypatch.setenv("BACKTIMER_AUDIO", "none")
    monkeypatch.setenv("BACKTIMER_SPEECH_CACHE_DIR", str(speech_cache))
    # Spoken lengths estimated from the rate: what the tests expect does not depend on the
    # voice's version (tests of measured lengths take this away).
    monkeypatch.setenv("BACKTIMER_SPEECH_LENGTHS", "estimate")
    return {"config": config, "data": data, "cache": cache}


@pytest.fixture
def user_routines(isolated_dirs: dict[str, Path]) -> Path:
    """The user's routines folder (created, empty)."""
    folder = isolated_dirs["config"] / "routines"
    folder.mkdir(parents=True)
    return folder


#: Each folder of tests is a layer of the code, and a marker: ``pytest -m core`` runs the pure
#: core's tests alone, in seconds; ``-m "not e2e"`` leaves out the real processes and tmux.
LAYERS = (
    "core",
    "files",
    "session",
    "sound",
    "history",
    "plain",
    "remote",
    "tui",
    "cli",
    "e2e",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        layer = Path(str(item.fspath)).parent.name
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))
