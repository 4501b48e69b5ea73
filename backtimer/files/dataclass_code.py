"""The compiled methods of dataclasses, kept between runs (Python 3.11 and 3.12).

On these versions ``@dataclass`` writes each method it adds (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, and ``__setattr__``/``__delattr__`` for a frozen one) as source
text and compiles it, one ``exec`` each. Before a session's first frame about a hundred
dataclasses are made (backtimer's, Textual's, Rich's): some 500 compilations, an eighth of
the work of a start. Python 3.13 compiles a class's methods at once and is left alone.

:func:`install` makes ``dataclasses`` look each text up in a file of code objects compiled
before (``dataclass-code-<python>.marshal`` in the cache dir), and compile only what is not
in it; what was compiled is added to the file when the program ends. The text is built
exactly as the standard library builds it (a test compares the methods made both ways), and
a code object compiled from the same text on the same Python is the same code object, so
the classes are the same. A missing, unreadable or foreign file is the same as an empty one.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import marshal
import os
import sys
from pathlib import Path
from typing import Any

#: The versions whose ``dataclasses._create_fn`` this module reproduces.
VERSIONS = ((3, 11), (3, 12))

#: ``_create_fn``'s variables on those versions: anything else is not patched.
_ORIGINAL_VARNAMES = (
    "name",
    "args",
    "body",
    "globals",
    "locals",
    "return_type",
    "return_annotation",
    "txt",
    "local_vars",
    "ns",
)


class _Store:
    """The code objects by text: read from the file at the first dataclass, written at exit
    if anything was compiled."""

    def __init__(self) -> None:
        self.path: Path | None = None  # found at the first dataclass (--version makes none)
        self.known: dict[str, bytes] | None = None  # text -> marshalled code, once read
        self.compiled = 0  # texts compiled in this process (not found in the file)

    def _read(self) -> dict[str, bytes]:
        self.path = cache_path()
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, bytes)}

    def code(self, text: str) -> Any:
        if self.known is None:
            self.known = self._read()
        found = self.known.get(text)
        if found is not None:
            with contextlib.suppress(EOFError, ValueError, TypeError):
                return marshal.loads(found)
        code = compile(text, "<string>", "exec")
        self.known[text] = marshal.dumps(code)
        self.compiled += 1
        return code

    def save(self) -> None:
        """Write the file if this process compiled anything (a temporary file, then a
        rename: a reader sees the old file or the new one). Failing is never an error."""
        if not self.compiled or self.known is None or self.path is None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            try:
                temporary.write_bytes(marshal.dumps(self.known))
                os.replace(temporary, self.path)
            finally:
                temporary.unlink(missing_ok=True)
            self.compiled = 0


_store: _Store | None = None


def cache_path() -> Path:
    from backtimer.files import paths

    return paths.cache_dir() / f"dataclass-code-{sys.implementation.cache_tag}.marshal"


def installed() -> _Store | None:
    """The store in use (None: not installed)."""
    return _store


def install() -> bool:
    """Patch ``dataclasses`` to use the file (once; returns whether it is in use)."""
    global _store
    if _store is not None:
        return True
    original = getattr(dataclasses, "_create_fn", None)
    if (
        sys.version_info[:2] not in VERSIONS
        or original is None
        or original.__code__.co_varnames != _ORIGINAL_VARNAMES
    ):
        return False
    store = _Store()
    missing = dataclasses.MISSING

    # The standard library's _create_fn (3.11, 3.12), with the compiled text looked up.
    def _create_fn(name, args, body, *, globals=None, locals=None, return_type=missing):
        if locals is None:
            locals = {}
        return_annotation = ""
        if return_type is not missing:
            locals["_return_type"] = return_type
            return_annotation = "->_return_type"
        args = ",".join(args)
        body = "\n".join(f"  {b}" for b in body)
        txt = f" def {name}({args}){return_annotation}:\n{body}"
        local_vars = ", ".join(locals.keys())
        txt = f"def __create_fn__({local_vars}):\n{txt}\n return {name}"
        ns: dict[str, Any] = {}
        exec(store.code(txt), globals, ns)
        return ns["__create_fn__"](**locals)

    _create_fn.original = original  # type: ignore[attr-defined]  # for the tests
    dataclasses._create_fn = _create_fn  # type: ignore[attr-defined]
    _store = store
    atexit.register(store.save)
    return True


def save() -> None:
    """Write what was compiled so far (the app does once its first frame is on the screen,
    so that an app that never ends normally keeps it too); again at exit if more was."""
    if _store is not None:
        _store.save()


def uninstall() -> None:
    """Back to the standard library's (the tests)."""
    global _store
    patched = getattr(dataclasses, "_create_fn", None)
    original = getattr(patched, "original", None)
    if original is not None:
        dataclasses._create_fn = original  # type: ignore[attr-defined]
    if _store is not None:
        with contextlib.suppress(Exception):
            atexit.unregister(_store.save)
    _store = None
