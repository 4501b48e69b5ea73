"""Where routine files are: the ``.toml`` files of a folder, and the file a ROUTINE argument
names. Light on purpose (no routine model): the full-screen app looks for the routines it is
about to show before it loads anything else (:mod:`backtimer.files.precheck`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from backtimer.files import paths

Origin = Literal["bundled", "user", "path"]


def toml_files(folder: Path) -> list[Path]:
    """The routine files of ``folder``, by name (none for a folder that cannot be read)."""
    if not folder.is_dir():
        return []
    try:
        with os.scandir(folder) as found:
            names = sorted(e.name for e in found if e.name.endswith(".toml") and e.name != ".toml")
    except OSError:
        return []
    return [folder / name for name in names]


def locate(name: str) -> tuple[Path, Origin] | None:
    """The file a ROUTINE argument names: a path, a user routine's name, or a bundled
    routine's name (a user's routine shadows a bundled one of the same name); None for
    none (see :func:`backtimer.files.catalog.resolve`)."""
    looks_like_path = os.sep in name or name.endswith(".toml") or (os.altsep or "\0") in name
    try:
        candidate = Path(name).expanduser()
    except RuntimeError:  # "~someone/x.toml" for a user that does not exist
        candidate = Path(name)
    if looks_like_path or candidate.exists():
        return (candidate, "path")
    for origin, folder in (
        ("user", paths.user_routines_dir()),
        ("bundled", paths.bundled_routines_dir()),
    ):
        path = folder / f"{name}.toml"
        if path.exists():
            return (path, origin)  # type: ignore[return-value]
    return None


def picker_files() -> list[Path]:
    """The files the picker lists, in its order: the user's routines, then the bundled ones."""
    return [
        path
        for folder in (paths.user_routines_dir(), paths.bundled_routines_dir())
        for path in toml_files(folder)
    ]
