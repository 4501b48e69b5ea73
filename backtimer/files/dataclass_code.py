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
is not compiled when its class is made: the class gets a stand-in that compiles it (through
the file, the same text, the same call) at its first call and then puts the method in its
own place in the class (in a ``__repr__``'s wrapper, the wrapped method; an ``__init__`` in
the class that has it, which for a slots class is the one dataclasses makes anew, also when
a subclass's ``super().__init__`` is the first call) and calls it, so that first call does
and raises what the method does. A stand-in for one of :data:`DEFERRABLE` takes the
method's arguments, so inspect sees the same signature before and after; an ``__init__``'s
arguments are the fields', and its stand-in (:class:`_DeferredInit`) has the method's
``__signature__`` and ``__annotations__``, made from the text's parameter list without
compiling it (dataclasses asks inspect for the signature to make the docstring of a class
without one). Like a function it can be weakly referenced, copied (``copy`` and
``deepcopy`` return it as it is) and pickled (by its module and qualified name, the same
bytes as the method's). The differences left, all before the first call: it is not a
function (``inspect.isfunction`` and ``isinstance(..., types.FunctionType)`` are False;
``inspect.isroutine`` is True), it takes no attributes of one's own (no ``__dict__``),
and ``inspect.signature(..., eval_str=True)`` leaves string annotations (``from
__future__ import annotations``) as strings.

At a first start ever most methods are never called before the first frame (a repr, the
frozen classes' ``__setattr__``, most ``__eq__`` and ``__hash__``, and most ``__init__``:
many dataclasses are made at import and none of them before it), and many never at all.
Measured (Python 3.11, empty cache, compilations before the first frame): ``run`` of a
bundled routine, about 470 without deferring, 107 deferring all but ``__init__`` (105
``__init__``), 31 with ``__init__`` deferred too (29 of the 105 ``__init__`` are called
before it); the picker 79 -> 28 (25 of 76 called); the child checking the bundled routines
76 -> 44 (32 of 64). What is compiled is added to the file as before; a text never called
is never compiled, here or later.
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
from types import MethodType
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
        from backtimer.files.atomic import read_regular_bytes  # never blocks on a FIFO

        self.path = cache_path()
        try:
            data = marshal.loads(read_regular_bytes(self.path))
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
    methods that are not in the file are compiled at their first call (see the module's
    docstring)."""
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
                    maker = _init_maker if name == "__init__" else _deferred_maker
                    args[1]["__create_fn__"] = maker(store, source, name, args[0])
                    return None
            source = store.code(source)
        return builtins.exec(source, *args, **kwargs)

    dataclasses.exec = cached_exec  # type: ignore[attr-defined]
    if lazy:
        _name_inits()
    _store = store
    atexit.register(store.save)
    return True


#: The methods other than ``__init__`` whose compiling waits until they are first called (see
#: :func:`install`), with the arguments each takes (a stand-in takes the same: inspect sees
#: the same signature). An ``__init__``'s wait too, in a :class:`_DeferredInit`.
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
    if name == "__init__":  # its own arguments, whatever they are (see _DeferredInit)
        return name if text.endswith("\n return __init__") else None
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


def _put_in_place(cls: type, name: str, stand_in: Any, method: Any) -> type | None:
    """Replace ``stand_in`` by ``method`` in the class of ``cls``'s MRO that has it, or in
    the wrapper there that wraps it (a ``__repr__``: reprlib's recursive_repr); returns
    that class (None: none has it)."""
    for klass in cls.__mro__:
        found = vars(klass).get(name)
        if found is stand_in:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(klass, name, method)
            return klass
        if found is not None and getattr(found, "__wrapped__", None) is stand_in:
            for cell in getattr(found, "__closure__", None) or ():
                with contextlib.suppress(ValueError):  # an empty cell
                    if cell.cell_contents is stand_in:
                        cell.cell_contents = method  # the wrapper calls the method itself
                        found.__wrapped__ = method
            return klass
    return None


def _init_maker(store: _Store, text: str, name: str, globals_: dict[str, Any]) -> Any:
    """Stands for the ``__create_fn__`` that ``text`` defines, for an ``__init__``: called
    with the same arguments, it returns a :class:`_DeferredInit` of them."""

    def create_fn(**closure: Any) -> Any:
        return _DeferredInit(store, text, globals_, closure)

    return create_fn


#: What a deferred __init__ is called before dataclasses names it (as a method exec makes
#: is called until then).
_UNNAMED = "__create_fn__.<locals>.__init__"

#: A function's attributes that only the compiled method has: asking one compiles it.
_COMPILED_ATTRIBUTES = frozenset(
    ("__code__", "__defaults__", "__kwdefaults__", "__closure__", "__builtins__", "__type_params__")
)


class _ModuleName(str):
    """A class's ``__module__`` that an instance reads as its own: the name of the module
    of the ``globals`` it holds (see :class:`_DeferredInit`)."""

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        return self if instance is None else instance._globals.get("__name__")


class _DeferredInit:
    # A dataclass's __init__ whose text is not compiled yet (see the module's docstring). It
    # binds as a function does (__get__), so the class and super().__init__ call it as the
    # method; its first call compiles the text through the store (the same call as the
    # standard library's), puts the method in its place in the class (as _put_in_place does
    # for the other methods) and calls it, so what that call raises is the method's own.
    # A function cannot have a __signature__ made on demand, and the standard library asks
    # inspect.signature(cls) for the docstring of every dataclass without one: this object's
    # __signature__ and __annotations__ are made from the text's parameter list and the
    # values dataclasses gives it, without compiling (a test compares them with the
    # method's). What only a compiled function has (__code__, __defaults__, ...) is got
    # from the method, made when asked. No docstring: __doc__ is None, as the method's.

    __slots__ = (
        "__weakref__",  # as a function's: weakref.ref(C.__init__) works
        "_closure",
        "_globals",
        "_parts",
        "_placed",
        "_qualname",
        "_real",
        "_store",
        "_text",
    )

    def __init__(
        self, store: _Store, text: str, globals_: dict[str, Any], closure: dict[str, Any]
    ) -> None:
        self._store = store
        self._text = text
        self._globals = globals_
        self._closure = closure
        self._real: Any = None  # the method, once made
        self._placed = False  # the method is in its class
        self._qualname = _UNNAMED  # dataclasses names it (see _name_inits)
        self._parts: tuple[Any, dict[str, Any]] | None = None  # signature, annotations

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        return self if instance is None else MethodType(self, instance)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        real = self._real if self._placed else self._first(args)
        return real(*args, **kwargs)

    def _make(self) -> Any:
        with _FIRST_CALL:
            if self._real is None:
                namespace: dict[str, Any] = {}
                builtins.exec(self._store.code(self._text), self._globals, namespace)
                made = namespace["__create_fn__"](**self._closure)
                made.__qualname__ = self._qualname
                self._real = made
            return self._real

    def _first(self, args: tuple[Any, ...]) -> Any:
        with _FIRST_CALL:
            real = self._make()
            if not self._placed and args:
                klass = _put_in_place(type(args[0]), "__init__", self, real)
                if klass is not None:
                    if self._qualname == _UNNAMED:  # not named by dataclasses
                        self._qualname = real.__qualname__ = f"{klass.__qualname__}.__init__"
                    self._placed = True
            return real

    def _signature_parts(self) -> tuple[Any, dict[str, Any]]:
        if self._parts is None:
            try:
                parts = _init_parts(self._text, self._closure)
            except (TypeError, ValueError):  # never seen (dataclasses hides them in __doc__)
                parts = None
            if parts is None:  # not the shape expected: the method's own
                import inspect

                real = self._make()
                parts = (inspect.signature(real), real.__annotations__)
            self._parts = parts
        return self._parts

    @property
    def __signature__(self) -> Any:
        return self._signature_parts()[0]

    @property
    def __annotations__(self) -> dict[str, Any]:  # type: ignore[override]
        return self._signature_parts()[1]

    @property
    def __globals__(self) -> dict[str, Any]:
        return self._globals  # the method's: exec makes it in them

    # As exec's: the class's module (None: none). A str that is also a descriptor, so the
    # class's own __module__ is this module's name (type.__module__ returns it as it is)
    # and an instance's is its globals' (pickle looks for a function by that and its
    # __qualname__).
    __module__ = _ModuleName(__name__)

    def __copy__(self) -> Any:
        return self  # copy and deepcopy return a function as it is

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self

    def __reduce__(self) -> Any:
        # A function pickles as its module and qualified name (a GLOBAL: unpickling looks
        # it up again), so does this: the same bytes as the method's, and the same errors
        # (a local class's, a class not in its module). Once the method is in its place
        # (this is an old reference to the stand-in), the lookup finds the method: the
        # class's __init__ is then reached through getattr on the class.
        if self._placed and "<locals>" not in self._qualname:
            owner_path, _, name = self._qualname.rpartition(".")
            owner: Any = sys.modules.get(self.__module__ or "")
            for part in owner_path.split(".") if owner_path else ():
                owner = getattr(owner, part, None)
            if isinstance(owner, type) and getattr(owner, name, None) is self._real:
                return (getattr, (owner, name))
        return self._qualname

    def __getattr__(self, name: str) -> Any:
        if name == "__name__":
            return "__init__"
        if name == "__qualname__":
            return self._qualname
        if name in _COMPILED_ATTRIBUTES:
            return getattr(self._make(), name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        return f"<function {self._qualname} (not compiled yet)>"


def _init_parts(text: str, closure: dict[str, Any]) -> tuple[Any, dict[str, Any]] | None:
    """The signature and annotations of the ``__init__`` that ``text`` makes with
    ``closure``, as inspect finds them on the method, from its line ``def __init__(self,
    a:_type_a,b:_type_b=_dflt_b,*,c:_type_c)->_return_type:`` (the names differ on 3.12);
    None if the line is not of that shape."""
    from inspect import Parameter, Signature

    line = text.split("\n", 2)[1]
    head, _, rest = line.partition("(")
    listed, _, tail = rest.rpartition(")")
    if head != " def __init__" or tail[:2] != "->" or tail[-1:] != ":":
        return None
    returned = tail[2:-1]
    if returned not in closure:
        return None
    kind: Any = Parameter.POSITIONAL_OR_KEYWORD
    self_name, *items = listed.split(",")
    parameters = [Parameter(self_name, kind)]
    annotations: dict[str, Any] = {}
    for item in items:
        if item == "*":
            kind = Parameter.KEYWORD_ONLY
            continue
        name, _, typed = item.partition(":")
        annotation, has_default, default = typed.partition("=")
        if annotation not in closure or (has_default and default not in closure):
            return None
        annotations[name] = closure[annotation]
        value = closure[default] if has_default else Parameter.empty
        parameters.append(Parameter(name, kind, default=value, annotation=closure[annotation]))
    annotations["return"] = closure[returned]
    signature = Signature(
        parameters, return_annotation=closure[returned], __validate_parameters__=False
    )
    return signature, annotations


#: dataclasses' own ``_set_qualname``, while :func:`_name_inits`'s is in its place.
_set_qualname: Any = None


def _name_inits() -> None:
    """Make dataclasses name a :class:`_DeferredInit` as it names the methods it makes
    (``Class.__init__``): its ``_set_qualname`` names only functions. Everything else is
    named by the standard library's own."""
    global _set_qualname
    original = vars(dataclasses).get("_set_qualname")
    if original is None:  # named from the class at the first call instead
        return

    def set_qualname(cls: type, value: Any) -> Any:
        if type(value) is _DeferredInit:
            value._qualname = f"{cls.__qualname__}.__init__"
            return value
        return original(cls, value)

    dataclasses._set_qualname = set_qualname  # type: ignore[attr-defined]
    _set_qualname = original


def save() -> None:
    """Write what was compiled so far (the app does once its first frame is on the screen,
    so that an app that never ends normally keeps it too); again at exit if more was."""
    if _store is not None:
        _store.save()


def uninstall() -> None:
    """Back to the built-in ``exec`` (the tests)."""
    global _store, _set_qualname
    if _set_qualname is not None:
        dataclasses._set_qualname = _set_qualname  # type: ignore[attr-defined]
        _set_qualname = None
    if _store is not None:
        vars(dataclasses).pop("exec", None)
        with contextlib.suppress(Exception):
            atexit.unregister(_store.save)
    _store = None
