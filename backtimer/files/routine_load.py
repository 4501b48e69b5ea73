"""Read routine files: every error at once, each naming the file, the line and the field.

``load_routine(path)`` returns a validated :class:`~backtimer.core.routine.Routine` or raises
:class:`RoutineError`, whatever the bytes on disk are: no other exception escapes.

The routine's schema (:mod:`backtimer.core.schema`, pydantic) is imported when a file is
validated, not with this module: reading and locating need no pydantic.
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backtimer.core.literal import printable
from backtimer.core.routine import MAX_EXERCISES, Exercise, Routine, semantic_issues

if TYPE_CHECKING:
    from pydantic import BaseModel

MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a routine file."""

    path: str  # the file, as the user named it
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None  # e.g. "exercises[2] (Cat stretch).hold", counted from 1

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


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


MAX_KEY_SHOWN = 40  # characters of a key in a message; a longer one is cut


def short_key(key: str) -> str:
    """A key as a message shows it: a 100,000-character key becomes a few words."""
    if len(key) <= MAX_KEY_SHOWN:
        return key
    return f"{key[: MAX_KEY_SHOWN - 10]}... ({len(key):,} characters)"


MAX_NAME_SHOWN = 40  # characters of an exercise's name in a location; a longer one is cut


def field_path(loc: tuple[str | int, ...], data: Any = None) -> str:
    """("exercises", 2, "hold") -> "exercises[3] (Cat stretch).hold": counted from 1, as a
    person editing the file counts, with the item's name when ``data`` (the parsed file)
    gives it one; odd keys are quoted as in TOML."""
    out = ""
    node = data
    for at, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part + 1}]"
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            name = item.get("name") if isinstance(item, dict) else None
            about_the_name = loc[at + 1 : at + 2] == ("name",)  # a bad name is not repeated
            if isinstance(name, str) and name.strip() and not about_the_name:
                name = " ".join(name.split())
                if len(name) > MAX_NAME_SHOWN:
                    name = name[: MAX_NAME_SHOWN - 3] + "..."
                out += f" ({printable(name)})"
            node = item
        else:
            node = node.get(part) if isinstance(node, dict) else None
            key = short_key(str(part))
            if not _BARE_KEY.fullmatch(key):
                key = '"' + printable(key.replace("\\", "\\\\").replace('"', '\\"')) + '"'
            out += ("." if out else "") + key
    return out


# ------------------------------------------------------------------------ reading


def not_regular(mode: int, noun: str = "routine file") -> str | None:
    """Why a file of this ``st_mode`` is not read (None: a regular file, which is read).

    A named pipe would block the reader until someone writes to it (list, check, the picker
    and run would hang), and a device or socket never holds a routine: none is opened.
    """
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return f"is a folder, not a {noun}"
    if stat.S_ISFIFO(mode):
        return f"is a named pipe (FIFO), not a {noun}: only regular files are read"
    if stat.S_ISSOCK(mode):
        return f"is a socket, not a {noun}: only regular files are read"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return f"is a device, not a {noun}: only regular files are read"
    return f"is not a regular file: only regular files are read as a {noun}"


class NotReadable(Exception):
    """A file that is not read; ``message`` says why (without the file's name)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def read_regular(path: Path, limit: int = MAX_FILE_BYTES, noun: str = "routine file") -> bytes:
    """At most ``limit + 1`` bytes of a regular file, or NotReadable saying why not.

    Never blocks on a named pipe: the type is checked before opening, the file is opened
    non-blocking (so a FIFO swapped in after the check still cannot hold us), and checked
    again on the open descriptor. Raises FileNotFoundError when there is no file at all.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise
    except PermissionError:
        raise NotReadable("permission denied") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotReadable("too many levels of symbolic links (a symlink loop?)") from None
        raise NotReadable(f"cannot read: {exc.strerror or exc}") from None
    except ValueError:  # e.g. a NUL byte in the path
        raise NotReadable("is not a valid file name") from None
    why = not_regular(info.st_mode, noun)
    if why:
        raise NotReadable(why)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except PermissionError:
        raise NotReadable("permission denied") from None
    except OSError as exc:
        raise NotReadable(f"cannot read: {exc.strerror or exc}") from None
    try:
        why = not_regular(os.fstat(fd).st_mode, noun)
        if why:  # replaced between the two looks
            raise NotReadable(why)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    except PermissionError:
        raise NotReadable("permission denied") from None
    except OSError as exc:
        raise NotReadable(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_text(path: Path, label: str | None = None) -> str:
    """The file's text, or RoutineError for anything that is not a small UTF-8 text file."""
    name = label or printable(str(path))

    def fail(message: str) -> RoutineError:
        return RoutineError([Problem(name, message)])

    try:
        size = path.stat().st_size
    except (OSError, ValueError):
        size = 0  # read_regular says what is wrong
    if size > MAX_FILE_BYTES and _is_regular(path):
        raise fail(f"is {size:,} bytes; a routine file may be at most 1 MiB")
    try:
        data = read_regular(path)
    except FileNotFoundError:
        raise fail("no such file") from None
    except NotReadable as exc:
        raise fail(exc.message) from None
    if len(data) > MAX_FILE_BYTES:  # grew since we looked
        raise fail("is larger than 1 MiB; a routine file may be at most 1 MiB")
    return decode(data, name)


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def decode(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise RoutineError([Problem(name, "is a binary file, not a TOML routine")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        raise RoutineError(
            [
                Problem(
                    name,
                    "is not valid UTF-8 text (saved in another encoding?): save it as UTF-8",
                    line=line,
                    column=column,
                )
            ]
        ) from None
    return text.removeprefix("\ufeff")


# ------------------------------------------------------------------------ parsing

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")


# tomllib's messages, said the way a person editing a routine by hand needs to hear them.
_TOML_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Cannot overwrite a value"), "this key already has a value (written twice?)"),
    (
        re.compile(r"Cannot declare \('exercises',\) twice"),
        "[exercises] is declared twice: write [[exercises]], with two brackets, "
        "before each exercise",
    ),
    (re.compile(r"Cannot declare \((.*?),?\) twice"), "the table [{0}] is declared twice"),
    (
        re.compile(r"Cannot mutate immutable namespace \((.*?),?\)"),
        "{0} is already given as a value above ({0} = ...): write it one way only, "
        "either all in that value or as [[{0}]] tables, one per item",
    ),
    (
        re.compile(r"Expected newline or end of document after a statement"),
        'expected the end of the line after the value (text such as 30s must be quoted: "30s")',
    ),
    (re.compile(r"Invalid value"), 'invalid value (text must be quoted, such as "30s")'),
    (
        re.compile(r"Illegal character '\\n'"),
        "a string must end on the line it starts on (a closing quote is missing?)",
    ),
    (re.compile(r"Unclosed array"), "a list is not closed: a ']' is missing"),
    (
        re.compile(r"Unclosed inline table"),
        "an inline table is not closed: a '}' is missing (it must fit on one line)",
    ),
    (re.compile(r"Unterminated string"), "a string is not closed: a closing quote is missing"),
]


def _toml_message(message: str) -> str:
    for pattern, better in _TOML_MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            keys = match.groups()
            return better.format(*(k.replace("'", "").replace(", ", ".") for k in keys))
    return message[:1].lower() + message[1:]


def toml_lines(text: str) -> list[str]:
    """The lines as TOML counts them: only LF and CRLF end a line.

    Not str.splitlines(), which also splits at U+0085, U+2028, form feeds and more: all of
    them allowed inside a TOML string, where they would shift every line number after them.
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


def _starts_key(text: str, line: int, column: int) -> bool:
    """Whether ``key =`` is written at this position (1-based line and column)."""
    lines = toml_lines(text)
    if not 1 <= line <= len(lines):
        return False
    return bool(re.match(r"[A-Za-z0-9_-]+\s*=", lines[line - 1][column - 1 :]))


def parse_toml(text: str, name: str) -> dict[str, Any]:
    if not text.strip():
        raise RoutineError([Problem(name, "is empty: a routine needs a name and exercises")])
    import tomllib  # here: a start with every routine checked before parses none

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = column = None
        match = _TOML_POSITION.search(message)
        at_end = False
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            message = message[: match.start()]
        elif _TOML_END.search(message):
            message = _TOML_END.sub("", message)
            line, at_end = text.count("\n") + 1, True
        if message == "Invalid value" and line and column and _starts_key(text, line, column):
            # Typically a list whose ']' is missing: the next key is read as a list item.
            message = "expected a value but found a new key: is a ']' missing above?"
        else:
            message = _toml_message(message) + (" at the end of the file" if at_end else "")
        raise RoutineError(
            [Problem(name, f"TOML syntax: {message}", line=line, column=column)]
        ) from None
    except RecursionError:
        raise RoutineError(
            [Problem(name, "TOML syntax: arrays or tables nested too deeply")]
        ) from None
    except ValueError:
        # Python refuses to read an integer of more than 4300 digits.
        long_number = re.search(r"[0-9_]{1000,}", text)
        line = text.count("\n", 0, long_number.start()) + 1 if long_number else None
        raise RoutineError(
            [Problem(name, "TOML syntax: a number has far too many digits", line=line)]
        ) from None


def load_routine(path: str | os.PathLike[str], label: str | None = None) -> Routine:
    """Read, parse and validate a routine file."""
    path = Path(path)
    name = label or printable(str(path))
    return validate_text(read_text(path, name), name)


def validate_text(text: str, name: str) -> Routine:
    """Parse and validate routine text; ``name`` labels the messages."""
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write one
    data = parse_toml(text, name)
    # Deferred: pydantic loads only when a file is validated (see the module's docstring).
    from pydantic import ValidationError

    from backtimer.core.schema import validate_routine

    try:
        routine = validate_routine(data)
    except ValidationError as exc:
        locator = LineLocator(text)  # only needed for errors: a third of the time otherwise
        problems = [_problem_from_pydantic(err, name, locator, data) for err in exc.errors()]
        problems += [
            Problem(name, message, line=locator.line_of(loc), field=field_path(loc, data))
            for loc, message in _partial_issues(data)
        ]
        problems.sort(key=lambda p: p.line or 0)
        raise RoutineError(_unique(problems)) from None
    except RecursionError:
        raise RoutineError([Problem(name, "values nested too deeply")]) from None
    issues = semantic_issues(routine)
    if issues:
        locator = LineLocator(text)
        raise RoutineError(
            [
                Problem(name, message, line=locator.line_of(loc), field=field_path(loc, data))
                for loc, message in issues
            ]
        )
    return routine


def _partial_issues(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-field issues of the exercises that are valid on their own, in a routine that
    is not: so that one run reports a typo in one exercise and a missing hold in another.

    Nothing is said when [defaults] is invalid: every exercise depends on it.
    """
    from pydantic import ValidationError

    from backtimer.core.schema import validate_defaults, validate_exercise

    try:
        defaults = validate_defaults(data.get("defaults", {}))
    except (ValidationError, RecursionError):
        return []
    items = data.get("exercises")
    if not isinstance(items, list):
        return []
    valid: list[tuple[int, Exercise]] = []
    for index, item in enumerate(items[:MAX_EXERCISES]):
        try:
            valid.append((index, validate_exercise(item)))
        except (ValidationError, RecursionError):
            continue
    partial = Routine(name="", defaults=defaults, exercises=[exercise for _, exercise in valid])
    issues = []
    for loc, message in semantic_issues(partial, whole=False):
        if len(loc) > 1 and loc[0] == "exercises" and isinstance(loc[1], int):
            loc = ("exercises", valid[loc[1]][0], *loc[2:])
        issues.append((loc, message))
    return issues


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
    from pydantic import BaseModel

    from backtimer.core import schema

    model: Any = schema.Routine
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


def _edits(a: str, b: str) -> int:
    """Edits from ``a`` to ``b``: insert, delete, replace, or swap two neighbours ("rpes" ->
    "reps" is one edit, "rpes" -> "rest" two)."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]


def _fits(model: type[BaseModel], field: str, value: Any) -> bool:
    """Whether ``value`` would be valid as ``field`` of ``model`` (its kind matches)."""
    from pydantic import TypeAdapter

    annotation = model.model_fields[field].annotation
    if annotation is None:
        return False
    try:
        TypeAdapter(annotation).validate_python(value)
    except Exception:
        return False
    return True


def _closest_field(key: str, value: Any, model: type[BaseModel]) -> str | None:
    """The field an unknown key most likely meant: fewest edits, then one whose kind fits
    the value (``rpes = "2-3"`` -> reps, not rest), then the name."""
    typed = key.lower()
    best: tuple[int, int, str] | None = None
    for field in model.model_fields:
        most = max(1, min(len(typed), len(field)) // 3)
        if abs(len(typed) - len(field)) > most:
            continue  # at least that many edits: too far, and a huge key is not compared
        edits = _edits(typed, field)
        if edits > most:
            continue
        candidate = (edits, 0 if _fits(model, field, value) else 1, field)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best else None


#: The keys at the top of a routine file (the fields of core.routine.Routine and of the
#: schema's model, which a test keeps the same).
_ROUTINE_KEYS = frozenset(f.name for f in dataclasses.fields(Routine))


def _problem_from_pydantic(err: Any, name: str, locator: LineLocator, data: Any = None) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        model = _model_at(loc)
        message = f"unknown key {printable(short_key(key))!r}"
        if len(loc) == 2 and loc[0] in ("defaults", "source") and key in _ROUTINE_KEYS:
            # TOML puts every key after [defaults] into that table: a common slip.
            message += (
                f" in [{loc[0]}]: it belongs at the top of the file, above [{loc[0]}] "
                f"(every key after [{loc[0]}] belongs to it)"
            )
        elif model is not None:
            close = _closest_field(key, err.get("input"), model)
            if close is None:
                import difflib  # here: only a file with an unknown key needs it

                found = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.6)
                close = found[0] if found else None
            if close:
                message += f" (did you mean {close!r}?)"
            else:
                message += f"; expected one of: {', '.join(sorted(model.model_fields))}"
    elif kind == "missing" and loc == ("exercises",):
        message = "is required: add an [[exercises]] table for each exercise"
    elif kind == "missing":
        message = "is required"
    else:
        message = _friendly(err)
    return Problem(name, message, line=locator.line_of(loc), field=field_path(loc, data))


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
        message = message.replace("Input should be", "expected", 1)
        return f"{message[0].lower()}{message[1:]}, got {_describe(value)}"
    if kind == "too_short" and isinstance(value, list) and not value:
        return (
            "needs at least one exercise" if err["loc"] == ("exercises",) else "must not be empty"
        )
    if kind == "too_long" and isinstance(value, list):
        limit = err.get("ctx", {}).get("max_length", "?")
        return f"has {len(value)} items; the limit is {limit}"
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
    if isinstance(value, datetime.datetime):
        return "a date and time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, datetime.time):
        return "a time of day"
    return type(value).__name__


# ------------------------------------------------------------------------ locating

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(_key_text(p) for p in parts)


def _key_text(part: str) -> str:
    """One written key as the parser reads it: quotes off, escapes such as \\u0068 decoded."""
    if part.startswith('"') and "\\" in part:
        import tomllib

        try:
            return next(iter(tomllib.loads(f"{part} = 0")))
        except (tomllib.TOMLDecodeError, StopIteration):
            pass
    return part.strip("\"'")


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
        for number, line in enumerate(toml_lines(text), start=1):
            if in_multiline:
                if in_multiline in line:
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
                value = rest.lstrip()
                for quote in ('"""', "'''"):
                    # Opened by the value itself and not closed on this line (not a count of
                    # quotes in the line: 'three quotes: """' is a one-line string).
                    if value.startswith(quote) and quote not in value[3:]:
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
