"""Read routine files: every error at once, each naming the file, the line and the field.

``load_routine(path)`` returns a validated :class:`~backtimer.routine.Routine` or raises
:class:`RoutineError`, whatever the bytes on disk are: no other exception escapes.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from backtimer.routine import Routine, semantic_issues

MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a routine file."""

    path: str  # the file, as the user named it
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None  # e.g. "exercises[2].hold"

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class RoutineError(Exception):
    """A routine file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def field_path(loc: tuple[str | int, ...]) -> str:
    """("exercises", 2, "hold") -> "exercises[2].hold"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


# ------------------------------------------------------------------------ reading


def read_text(path: Path, label: str | None = None) -> str:
    """The file's text, or RoutineError for anything that is not a small UTF-8 text file."""
    name = label or str(path)

    def fail(message: str) -> RoutineError:
        return RoutineError([Problem(name, message)])

    try:
        info = path.stat()
    except FileNotFoundError:
        raise fail("no such file") from None
    except PermissionError:
        raise fail("permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise fail("too many levels of symbolic links (a symlink loop?)") from None
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    if path.is_dir():
        raise fail("is a folder, not a routine file")
    if info.st_size > MAX_FILE_BYTES:
        raise fail(f"is {info.st_size:,} bytes; a routine file may be at most 1 MiB")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        raise fail("permission denied") from None
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:  # grew, or a device that reports no size
        raise fail("is larger than 1 MiB; a routine file may be at most 1 MiB")
    return decode(data, name)


def decode(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise RoutineError([Problem(name, "is a binary file, not a TOML routine")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RoutineError(
            [Problem(name, f"is not valid UTF-8 text (byte {exc.start + 1})", line=line)]
        ) from None
    return text.removeprefix("\ufeff")


# ------------------------------------------------------------------------ parsing

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")


def parse_toml(text: str, name: str) -> dict[str, Any]:
    if not text.strip():
        raise RoutineError([Problem(name, "is empty: a routine needs a name and exercises")])
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = column = None
        match = _TOML_POSITION.search(message)
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            message = message[: match.start()]
        elif _TOML_END.search(message):
            message = _TOML_END.sub("", message) + " at the end of the file"
            line = text.count("\n") + 1
        raise RoutineError(
            [Problem(name, f"TOML syntax: {message}", line=line, column=column)]
        ) from None
    except RecursionError:
        raise RoutineError(
            [Problem(name, "TOML syntax: arrays or tables nested too deeply")]
        ) from None


def load_routine(path: str | os.PathLike[str], label: str | None = None) -> Routine:
    """Read, parse and validate a routine file."""
    path = Path(path)
    name = label or str(path)
    return validate_text(read_text(path, name), name)


def validate_text(text: str, name: str) -> Routine:
    """Parse and validate routine text; ``name`` labels the messages."""
    data = parse_toml(text, name)
    locator = LineLocator(text)
    try:
        routine = Routine.model_validate(data)
    except ValidationError as exc:
        problems = [_problem_from_pydantic(err, name, locator) for err in exc.errors()]
        problems.sort(key=lambda p: p.line or 0)
        raise RoutineError(_unique(problems)) from None
    except RecursionError:
        raise RoutineError([Problem(name, "values nested too deeply")]) from None
    issues = semantic_issues(routine)
    if issues:
        raise RoutineError(
            [
                Problem(name, message, line=locator.line_of(loc), field=field_path(loc))
                for loc, message in issues
            ]
        )
    return routine


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that owns the last key of ``loc`` (for did-you-mean hints)."""
    model: Any = Routine
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        for candidate in candidates:
            inner = [candidate, *getattr(candidate, "__args__", ())]
            found = next(
                (c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None
            )
            if found:
                model = found
                break
        else:
            return None
    return model


def _problem_from_pydantic(err: Any, name: str, locator: LineLocator) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc)
        message = f"unknown key {key!r}"
        if model is not None:
            close = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.6)
            if close:
                message += f" (did you mean {close[0]!r}?)"
            else:
                message += f"; expected one of: {', '.join(model.model_fields)}"
    elif kind == "missing":
        message = "is required"
    else:
        message = _friendly(err)
    return Problem(name, message, line=locator.line_of(loc), field=field_path(loc))


def _friendly(err: Any) -> str:
    message: str = err["msg"]
    message = message.removeprefix("Value error, ")
    kind = err["type"]
    value = err.get("input")
    if kind in ("string_type", "bool_type", "list_type", "model_type", "dict_type"):
        expected = {
            "string_type": "text (a quoted string)",
            "bool_type": "true or false",
            "list_type": "a list [ ... ]",
            "model_type": "a table",
            "dict_type": "a table",
        }[kind]
        return f"expected {expected}, got {_describe(value)}"
    if kind == "literal_error":
        return f"{message[0].lower()}{message[1:]}, got {_describe(value)}"
    if kind == "too_short" and isinstance(value, list) and not value:
        return "must not be empty"
    return message[0].lower() + message[1:] if message else message


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


# ------------------------------------------------------------------------ locating

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p.strip("\"'") for p in parts)


class LineLocator:
    """Finds the line of a key path in TOML text, without a position-keeping parser.

    Tables (``[defaults]``), arrays of tables (``[[exercises]]``, counted) and keys, dotted
    or not, are tracked line by line; multi-line strings and arrays are skipped over. A path
    that is not written in the file (a missing key) falls back to its closest written parent.
    """

    def __init__(self, text: str):
        self.lines: dict[tuple[str | int, ...], int] = {}
        counters: dict[tuple[str | int, ...], int] = {}
        table: tuple[str | int, ...] = ()
        in_multiline: str | None = None
        depth = 0
        array_path: tuple[str | int, ...] | None = None
        item = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            if depth > 0:
                if array_path is not None and depth == 1:
                    starts = _item_starts(line)
                    if starts:
                        self.lines.setdefault((*array_path, item), number)
                        item += starts
                depth += _bracket_balance(line)
                continue
            header = _HEADER.match(line)
            if header and "=" not in header.group(2):
                keys = _split_key(header.group(2))
                if header.group(1) == "[[":
                    index = counters.get(keys, -1) + 1
                    counters[keys] = index
                    table = (*keys, index)
                else:
                    # A sub-table of the latest array element: [exercises.tempo]
                    table = self._resolve(keys, counters)
                self.lines.setdefault(table, number)
                self.lines.setdefault(table[:-1] if isinstance(table[-1], int) else table, number)
                continue
            key = _KEY.match(line)
            if key:
                path = (*table, *_split_key(key.group(1)))
                for end in range(len(table) + 1, len(path) + 1):
                    self.lines.setdefault(path[:end], number)
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote
                depth = _bracket_balance(rest)
                array_path = None
                if depth > 0 and rest.lstrip().startswith("["):
                    # A list over several lines: note the line of each item that starts a line.
                    array_path, item = path, _item_starts(rest.lstrip()[1:])
                    if item:
                        self.lines.setdefault((*path, 0), number)

    @staticmethod
    def _resolve(
        keys: tuple[str, ...], counters: dict[tuple[str | int, ...], int]
    ) -> tuple[str | int, ...]:
        out: tuple[str | int, ...] = ()
        plain: tuple[str, ...] = ()
        for key in keys:
            plain = (*plain, key)
            out = (*out, key)
            if plain in counters:
                out = (*out, counters[plain])
        return out

    def line_of(self, loc: tuple[str | int, ...]) -> int | None:
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return 1 if self.lines else None


def _bracket_balance(text: str) -> int:
    """Open minus closed brackets outside strings and comments."""
    balance = 0
    quote: str | None = None
    escaped = False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            balance += 1
        elif ch in "]}":
            balance -= 1
    return balance


def _item_starts(text: str) -> int:
    """How many list items start on this line (at the list's own level)."""
    starts = 0
    depth = 0
    quote: str | None = None
    escaped = False
    expecting = True
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = None
            continue
        if ch == "#":
            break
        if ch.isspace():
            continue
        if depth == 0 and expecting and ch not in ",]":
            starts += 1
            expecting = False
        if ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            expecting = True
    return starts
