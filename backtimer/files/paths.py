"""Where backtimer keeps things: platformdirs, overridable by environment variables.

``BACKTIMER_CONFIG_DIR``, ``BACKTIMER_DATA_DIR`` and ``BACKTIMER_CACHE_DIR`` replace the
platform's folders (the tests set them, so nothing in them touches the real home directory).
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_path, user_config_path, user_data_path

APP_NAME = "backtimer"


def config_dir() -> Path:
    override = os.environ.get("BACKTIMER_CONFIG_DIR")
    return Path(override).expanduser() if override else user_config_path(APP_NAME)


def data_dir() -> Path:
    override = os.environ.get("BACKTIMER_DATA_DIR")
    return Path(override).expanduser() if override else user_data_path(APP_NAME)


def cache_dir() -> Path:
    """Where backtimer keeps what it can always work out again (the checked routines)."""
    override = os.environ.get("BACKTIMER_CACHE_DIR")
    return Path(override).expanduser() if override else user_cache_path(APP_NAME)


def user_routines_dir() -> Path:
    return config_dir() / "routines"


def bundled_routines_dir() -> Path:
    """The routines shipped with backtimer.

    In an installed wheel they sit inside the package; in a source checkout (editable
    install, or running from the tree) they are the top-level ``routines/`` folder.
    """
    package = Path(__file__).resolve().parent.parent
    inside = package / "routines"
    if inside.is_dir():
        return inside
    return package.parent / "routines"
