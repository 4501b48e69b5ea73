"""The compiled methods of dataclasses, kept between runs (Python 3.11 and 3.12).

On these versions ``@dataclass`` writes each method it adds (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, and ``__setattr__``/``__delattr__`` for a frozen one) as source
text and compiles it, one ``exec`` each. Before a session's first frame about a hundred
dataclasses are made (backtimer's, Textual's, Rich's): some 500 compilations, an eighth of
the work of a start. Python 3.13 compiles a class's methods at once and is left alone.

:func:`install` makes ``dataclasses`` look each text up in a file of code objects compiled
before (``dataclass-code-<python>.marshal`` in the cache dir), and compile only what is not
in it; what was compiled is added to the file when the program ends. Only the compiling is
taken over: the text is the standard library's own, compiled with the same flags as its
``exec`` would (a test compares the methods made both ways, flags and annotations too), and
a code object compiled from the same text on the same Python is the same code object, so
the classes are the same. A missing, unreadable or foreign file is the same as an empty one.

With ``install(lazy=True)`` (the commands, see ``cli.main``) a text that is not in the file
and makes one of :data:`DEFERRABLE` (every method but ``__init__``) is not compiled when its
class is made: the class gets a stand-in that compiles it (through the file, the same text,
the same call) at its first call and then puts the method in its own place in the class (in
a ``__repr__``'s wrapper, the wrapped method); the stand-in takes the method's arguments, so
inspect sees the same signature before and after. At
a first start ever most of them are never called before the first frame (a repr, the
frozen classes' ``__setattr__``, most ``__eq__`` and ``__hash__``), and many never at all:
about 300 of the ~470 compilations before it are not made. What is compiled is added to the
file as before; a text never called is never compiled, here or later.
"""

from __future__ import annotations

import _thread
import atexit
import builtins
import contextlib
import dataclasses
import marshal
import sys
from pathlib import Path
from typing import Any

#: The versions whose ``dataclasses._create_fn`` this module reproduces.
VERSIONS = ((3, 11), (3, 12))


class _Store:
    """The code objects by text: read from the file at the first dataclass, written at exit
    if anything was compiled."""

    def __init__(self) -> None:
        self.path: Path | None = None  # found at the first dataclass (--version makes none)
        # text -> marshalled code, once read; None once used: its code lives on in the
        # class's methods, and the bytes (most of the file) are let go at once.
        self.known: dict[str, bytes | None] | None = None
        self.new: dict[str, bytes] = {}  # compiled in this process, for the file
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

    def has(self, text: str) -> bool:
        """Whether ``text``'s code is in the file (read at the first call)."""
        if self.known is None:
            self.known = dict(self._read())
        return text in self.known

    def code(self, text: str) -> Any:
        if self.known is None:
            self.known = dict(self._read())
        if text in self.known:
            found = self.known[text]
            self.known[text] = None  # used
            if found is None:  # a second class with the same text: the file has it
                return _compile(text)
            with contextlib.suppress(EOFError, ValueError, TypeError):
                return marshal.loads(found)
        code = _compile(text)
        self.new[text] = marshal.dumps(code)
        self.known[text] = None
        self.compiled += 1
        return code

    def save(self) -> None:
        """Write the file if this process compiled anything: what it holds now (read again:
        the texts used here were let go) and what was compiled (a temporary file, then a
        rename: a reader sees the old file or the new one). Failing is never an error."""
        if not self.compiled or self.path is None:
            return
        from backtimer.files.atomic import write_cache_file  # not needed before then

        whole = self._read()
        whole.update(self.new)
        if write_cache_file(self.path, marshal.dumps(whole)):
            self.compiled = 0
            self.new = {}


def _compile(text: str) -> Any:
    # dont_inherit: compiled as exec() compiles dataclasses' text, without this module's
    # ``from __future__ import annotations`` (which would turn the annotations of every
    # generated __init__ into strings).
    return compile(text, "<string>", "exec", dont_inherit=True)


_store: _Store | None = None


def cache_path() -> Path:
    from backtimer.files import paths

    return paths.cache_dir() / f"dataclass-code-{sys.implementation.cache_tag}.marshal"


def installed() -> _Store | None:
    """The store in use (None: not installed)."""
    return _store


def install(*, lazy: bool = False) -> bool:
    """Make ``dataclasses`` use the file (once; returns whether it is in use).

    ``dataclasses`` calls ``exec`` with each method's text; a module-level name ``exec`` in
    it is found before the built-in, so this puts there the built-in ``exec`` with the text
    replaced by its code compiled before. Nothing of the standard library is reproduced:
    the text, the namespaces and the call are the standard library's own. ``lazy``: the
    methods of :data:`DEFERRABLE` that are not in the file are compiled at their first call
    (see the module's docstring)."""
    global _store
    if _store is not None:
        return True
    if sys.version_info[:2] not in VERSIONS or "exec" in vars(dataclasses):
        return False
    store = _Store()

    def cached_exec(source: Any, /, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, str):
            if lazy and not store.has(source):
                name = _deferrable(source)
                if name is not None and len(args) == 2 and not kwargs:
                    args[1]["__create_fn__"] = _deferred_maker(store, source, name, args[0])
                    return None
            source = store.code(source)
        return builtins.exec(source, *args, **kwargs)

    dataclasses.exec = cached_exec  # type: ignore[attr-defined]
    _store = store
    atexit.register(store.save)
    return True


#: The methods whose compiling waits until they are first called (see :func:`install`), with
#: the arguments each takes (a stand-in takes the same: inspect sees the same signature).
DEFERRABLE = {
    "__repr__": "self",
    "__eq__": "self,other",
    "__hash__": "self",
    "__setattr__": "self,name,value",
    "__delattr__": "self,name",
    "__lt__": "self,other",
    "__le__": "self,other",
    "__gt__": "self,other",
    "__ge__": "self,other",
}

#: Held while a stand-in makes its method (two threads at a first call make it once).
_FIRST_CALL = _thread.RLock()


def _deferrable(text: str) -> str | None:
    """The name of the method ``text`` makes, when it is one of :data:`DEFERRABLE` and takes
    the arguments listed there."""
    lines = text.split("\n", 2)
    if len(lines) < 2 or not lines[1].startswith(" def "):
        return None
    name, _, rest = lines[1][5:].partition("(")
    arguments = DEFERRABLE.get(name)
    if arguments is None or not rest.startswith(arguments + "):"):
        return None
    return name


def _deferred_maker(store: _Store, text: str, name: str, globals_: dict[str, Any]) -> Any:
    """Stands for the ``__create_fn__`` that ``text`` defines: called with the same
    arguments, it returns a function with the method's arguments that compiles ``text``
    (through the store) and makes the method from it at its first call, puts that in its
    place in the class it is found in, and calls it."""

    def create_fn(**closure: Any) -> Any:
        real: Any = None

        def first(args: tuple[Any, ...]) -> Any:
            nonlocal real
            with _FIRST_CALL:
                if real is None:
                    namespace: dict[str, Any] = {}
                    builtins.exec(store.code(text), globals_, namespace)
                    made = namespace["__create_fn__"](**closure)
                    made.__qualname__ = method.__qualname__
                    _put_in_place(type(args[0]), name, method, made)
                    real = made
            return real

        # The method's own arguments (see DEFERRABLE), no compiling: the stand-in's
        # signature is the method's.
        method: Any
        arguments = DEFERRABLE[name]
        if arguments == "self":

            def method(self: Any) -> Any:
                return (real or first((self,)))(self)

        elif arguments == "self,other":

            def method(self: Any, other: Any) -> Any:
                return (real or first((self,)))(self, other)

        elif arguments == "self,name,value":

            def method(self: Any, name: Any, value: Any) -> Any:
                return (real or first((self,)))(self, name, value)

        else:

            def method(self: Any, name: Any) -> Any:
                return (real or first((self,)))(self, name)

        method.__name__ = name
        method.__qualname__ = f"__create_fn__.<locals>.{name}"  # as exec's would be named
        method.__annotations__ = {}  # as the text's (a __repr__'s wrapper copies them)
        method.__module__ = globals_.get("__name__")  # as exec's: the class's (None: none)
        return method

    return create_fn


def _put_in_place(cls: type, name: str, stand_in: Any, method: Any) -> None:
    """Replace ``stand_in`` by ``method`` in the class of ``cls``'s MRO that has it, or in
    the wrapper there that wraps it (a ``__repr__``: reprlib's recursive_repr)."""
    for klass in cls.__mro__:
        found = vars(klass).get(name)
        if found is stand_in:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(klass, name, method)
            return
        if found is not None and getattr(found, "__wrapped__", None) is stand_in:
            for cell in getattr(found, "__closure__", None) or ():
                with contextlib.suppress(ValueError):  # an empty cell
                    if cell.cell_contents is stand_in:
                        cell.cell_contents = method  # the wrapper calls the method itself
                        found.__wrapped__ = method
            return


def save() -> None:
    """Write what was compiled so far (the app does once its first frame is on the screen,
    so that an app that never ends normally keeps it too); again at exit if more was."""
    if _store is not None:
        _store.save()


def uninstall() -> None:
    """Back to the built-in ``exec`` (the tests)."""
    global _store
    if _store is not None:
        vars(dataclasses).pop("exec", None)
        with contextlib.suppress(Exception):
            atexit.unregister(_store.save)
    _store = None
