"""The user's settings: ``config.toml`` in the config folder.

``load_config()`` never fails and never changes the file: a missing file gives the defaults;
a file with mistakes gives every valid setting it has, the defaults for the rest, and one
located message per mistake (``config.toml:4: countdown: ...``), the way routine errors are
reported. ``save_config()`` writes the whole file atomically (keeping a ``.bak`` of a file
someone wrote by hand, with comments, or of one that had mistakes).

Precedence of timing defaults (``breath``, ``get_ready``, ``rest``): an exercise's own
value, then the routine's ``[defaults]``, then these settings, then the built-in defaults.
:func:`with_config_defaults` applies them to a routine (pure).
"""

from __future__ import annotations

import dataclasses
import difflib
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from backtimer.core.durations import compact
from backtimer.core.literal import printable
from backtimer.core.routine import Routine
from backtimer.files import paths
from backtimer.files.atomic import atomic_write_text, read_regular_bytes, write_cache_file
from backtimer.files.cache import code_stamp, source_stamp
from backtimer.files.catalog import display_path
from backtimer.files.config_types import MAX_KEYMAP, SETTING_NAMES, Config
from backtimer.files.routine_load import (
    LineLocator,
    NotReadable,
    Problem,
    RoutineError,
    decode,
    field_path,
    parse_toml,
    read_regular,
    short_key,
)

CONFIG_NAME = "config.toml"
#: A settings file is a few hundred bytes; a larger one is refused before it is parsed, so a
#: huge [keymap] costs milliseconds, not seconds.
MAX_CONFIG_BYTES = 64 * 1024
DURATION_FIELDS = ("breath", "get_ready", "rest")


# ------------------------------------------------------------------------ loading


def config_path() -> Path:
    return paths.config_dir() / CONFIG_NAME


def _label(path: Path) -> str:
    return display_path(path)


_BOUNDS = {
    "countdown": (0, 10),
    "progression_sessions": (1, 100),
    "volume": (0, 100),
    "speech_rate": (80, 450),
}


def _message(err: Any) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    if kind == "extra_forbidden":
        key = str(loc[-1])
        close = difflib.get_close_matches(key, list(SETTING_NAMES), n=1, cutoff=0.6)
        if close:
            return f"unknown setting {printable(short_key(key))!r} (did you mean {close[0]!r}?)"
        return f"unknown setting {printable(short_key(key))!r}; known settings: " + ", ".join(
            SETTING_NAMES
        )
    if kind in ("less_than_equal", "greater_than_equal") and loc and loc[0] in _BOUNDS:
        low, high = _BOUNDS[str(loc[0])]
        return f"expected a whole number from {low} to {high}, got {err.get('input')!r}"
    if kind in ("bool_type", "bool_parsing"):
        return "expected true or false"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "expected a whole number"
    if kind == "string_type":
        return "expected text (a quoted string)"
    if kind in ("dict_type", "model_type"):
        return "expected a table"
    message: str = err["msg"].removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _drop(data: dict[str, Any], loc: tuple[str | int, ...]) -> None:
    """Remove the value at ``loc`` (a setting, or one binding of the keymap)."""
    if not loc:
        return
    top = loc[0]
    if top == "keymap" and len(loc) > 1 and isinstance(data.get("keymap"), dict):
        data["keymap"].pop(loc[1], None)
        return
    if isinstance(top, str):
        data.pop(top, None)


def parse_config(text: str, label: str) -> tuple[Config, list[str]]:
    """Settings from config text: the valid ones, defaults for the rest, and messages."""
    if not text.strip():
        return Config(), []
    try:
        data = parse_toml(text, label)
    except RoutineError as exc:
        return Config(), [f"{p}; using the default settings" for p in exc.problems]
    keymap = data.get("keymap")
    if isinstance(keymap, dict) and len(keymap) > MAX_KEYMAP:
        del data["keymap"]
        line = LineLocator(text).line_of(("keymap",))
        problem = Problem(
            label,
            f"has {len(keymap):,} bindings; the limit is {MAX_KEYMAP} (all ignored)",
            line=line,
            field="keymap",
        )
        config, warnings = parse_config_data(data, text, label)
        return config, [str(problem), *warnings]
    return parse_config_data(data, text, label)


def parse_config_data(data: dict[str, Any], text: str, label: str) -> tuple[Config, list[str]]:
    """Settings from parsed config ``data`` (``text`` locates its mistakes)."""
    # Deferred: pydantic loads only to validate a settings file (see load_config).
    from pydantic import ValidationError

    from backtimer.files.config_schema import validate_config

    try:
        return validate_config(data), []
    except ValidationError as exc:
        errors = exc.errors()
    except RecursionError:
        return Config(), [f"{label}: values nested too deeply; using the default settings"]
    problems = []
    locator = LineLocator(text)  # only needed for mistakes
    for err in errors:
        loc = tuple(part for part in err["loc"] if part != "[key]")
        message = _message(err)
        ignored = err["type"] == "extra_forbidden" or (loc[:1] == ("keymap",) and len(loc) > 1)
        message += " (ignored)" if ignored else " (using the default)"
        problems.append(Problem(label, message, line=locator.line_of(loc), field=field_path(loc)))
        _drop(data, loc)
    problems.sort(key=lambda p: p.line or 0)
    warnings = [str(p) for p in problems]
    try:
        return validate_config(data), warnings
    except (ValidationError, RecursionError):  # pragma: no cover - every error was dropped
        return Config(), warnings


def load_config(path: Path | None = None) -> tuple[Config, list[str]]:
    """The settings, and a message for each problem (none: the file is fine or missing).

    Never raises for anything in or about the file, and never writes it.
    """
    path = config_path() if path is None else path
    label = _label(path)
    try:
        data = read_regular(path, limit=MAX_CONFIG_BYTES, noun="settings file")
    except FileNotFoundError:  # the usual case: the defaults, nothing to validate
        return Config(), []
    except NotReadable as exc:
        return Config(), [f"{label}: {exc.message}; using the defaults"]
    if len(data) > MAX_CONFIG_BYTES:
        return Config(), [f"{label}: is larger than 64 KiB; using the default settings"]
    try:
        text = decode(data, label)
    except RoutineError as exc:
        return Config(), [
            str(p).replace("a TOML routine", "a settings file") + "; using the defaults"
            for p in exc.problems
        ]
    code = _checked_code()
    found = _checked(code, label, data)
    if found is not None:
        return found
    config, warnings = parse_config(text, label)
    _keep_checked(code, label, data, config, warnings)
    return config, warnings


# The settings as checked last: a file read before (the same bytes, under the same name) is
# not validated again, so that a start with settings loads no pydantic. Kept by the file's
# bytes, not its stamp: a settings file is small, and a quick edit that keeps its size and
# time stamp is still seen.
CHECKED_NAME = "settings.pickle"


def _checked_code() -> tuple[object, ...]:
    """What the checked settings depend on: the code that validates them."""
    modules = ("files.config", "files.config_types", "files.config_schema")
    return (code_stamp(), *(source_stamp(f"backtimer.{name}") for name in modules))


def _checked(code: tuple[object, ...], label: str, data: bytes) -> tuple[Config, list[str]] | None:
    """The settings and messages of ``data`` as checked before, or None."""
    try:
        found = pickle.loads(read_regular_bytes(paths.cache_dir() / CHECKED_NAME))
    except Exception:  # missing, torn, from an older version: not used
        return None
    if (
        isinstance(found, tuple)
        and len(found) == 3
        and found[0] == (code, label, data)
        and isinstance(found[1], Config)
        and isinstance(found[2], list)
    ):
        return found[1], [str(line) for line in found[2]]
    return None


def _keep_checked(
    code: tuple[object, ...], label: str, data: bytes, config: Config, warnings: list[str]
) -> None:
    """Remember the settings checked from ``data`` (atomically; failures are ignored)."""
    try:
        blob = pickle.dumps(((code, label, data), config, list(warnings)), pickle.HIGHEST_PROTOCOL)
    except pickle.PicklingError:
        return
    write_cache_file(paths.cache_dir() / CHECKED_NAME, blob)


# ------------------------------------------------------------------------ saving


def config_toml(config: Config) -> str:
    """The settings as TOML: durations as "5s", an unset speech command left out."""
    data = {k: v for k, v in dataclasses.asdict(config).items() if v is not None}
    for name in DURATION_FIELDS:
        data[name] = compact(data[name])
    if not data["keymap"]:
        del data["keymap"]
    import tomli_w  # here: only the settings screen writes them (not needed to start)

    return tomli_w.dumps(data)


def save_config(config: Config, path: Path | None = None) -> str | None:
    """Write the settings atomically; returns a message if a backup of the old file was kept.

    The old file is kept as ``config.toml.bak`` when it had comments, or when it held
    something these settings do not (a mistake dropped by :func:`load_config`, TOML that
    does not read back the same): nothing a person wrote is lost without a copy.
    Raises OSError if the file cannot be written (the old one is then untouched).
    """
    path = config_path() if path is None else path
    text = config_toml(config)
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        old = None
    # Comments are kept by atomic_write_text (backup=True); a file we cannot read, or one
    # whose mistakes load_config dropped, is kept whatever it holds.
    keep_always = old is None and path.exists()
    if old is not None and old.strip():
        keep_always = bool(parse_config(old, "")[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write_text(path, text, backup=True, backup_always=keep_always)


# ------------------------------------------------------------------------ using


def with_config_defaults(routine: Routine, config: Config) -> Routine:
    """``routine`` with the settings' breath, get-ready and rest times filled into its
    ``[defaults]`` where the routine does not set them (an exercise's own value and the
    routine's defaults still win). Pure: the routine's file is not involved."""
    update = {}
    for name in DURATION_FIELDS:
        if getattr(routine.defaults, name) is None:
            update[name] = getattr(config, name)
    if not update:
        return routine
    return dataclasses.replace(routine, defaults=dataclasses.replace(routine.defaults, **update))


def unknown_bindings(config: Config, known: Iterable[str]) -> list[str]:
    """Messages for keymap entries that name no binding of the app (``known``: its ids)."""
    known = list(known)
    messages = []
    for binding in config.keymap:
        if binding in known:
            continue
        close = difflib.get_close_matches(binding, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"
        messages.append(f"keymap.{binding}: no such binding{hint}")
    return messages
