"""The dataclasses' compiled methods, kept between runs (backtimer.files.dataclass_code)."""

from __future__ import annotations

import contextlib
import dataclasses
import marshal
import os
import sys
import typing
from typing import ClassVar

import pytest

from backtimer.files import dataclass_code
from tests.python_child import python_output

pytestmark = pytest.mark.skipif(
    sys.version_info[:2] not in dataclass_code.VERSIONS, reason="3.13 compiles them at once"
)


def make_classes() -> list[type]:
    """Dataclasses of every kind the options make (each made afresh)."""

    @dataclasses.dataclass
    class Plain:
        a: int
        b: str = "x"
        c: list[int] = dataclasses.field(default_factory=list)
        d: ClassVar[int] = 3

    @dataclasses.dataclass(frozen=True)
    class Frozen:
        a: int
        b: tuple[int, ...] = ()

    @dataclasses.dataclass(order=True, unsafe_hash=True)
    class Ordered:
        a: int
        b: float = 0.5

    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Slotted:
        a: int
        b: str | None = None

    @dataclasses.dataclass
    class WithInitVar:
        a: int
        scale: dataclasses.InitVar[int] = 2

        def __post_init__(self, scale: int) -> None:
            self.a *= scale

    return [Plain, Frozen, Ordered, Slotted, WithInitVar]


METHODS = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__lt__")


def shapes(classes: list[type]) -> list[tuple]:
    """What each generated method is: its code, flags, constants, names and annotations."""
    out = []
    for cls in classes:
        for name in METHODS:
            method = cls.__dict__.get(name)
            code = getattr(method, "__code__", None)
            if code is None:
                out.append((cls.__name__, name, repr(method)[:20]))
                continue
            consts = tuple(c for c in code.co_consts if not hasattr(c, "co_code"))
            out.append(
                (
                    cls.__name__,
                    name,
                    code.co_code,
                    code.co_flags,  # e.g. no ``from __future__ import annotations`` leaking in
                    consts,
                    code.co_names,
                    code.co_varnames,
                    repr(method.__annotations__),
                )
            )
    return out


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKTIMER_CACHE_DIR", str(tmp_path))
    was = dataclass_code.installed() is not None
    dataclass_code.uninstall()
    yield tmp_path
    dataclass_code.uninstall()
    if was:
        dataclass_code.install()


def test_the_methods_are_the_standard_librarys(cache) -> None:
    expected = shapes(make_classes())
    assert dataclass_code.install()
    compiled = shapes(make_classes())  # compiled, and kept
    store = dataclass_code.installed()
    assert store is not None and store.compiled > 10
    dataclass_code.save()
    dataclass_code.uninstall()
    assert dataclass_code.install()
    from_file = shapes(make_classes())  # all from the file
    assert dataclass_code.installed().compiled == 0
    assert compiled == expected
    assert from_file == expected


def test_the_classes_behave_the_same(cache) -> None:
    dataclass_code.install()
    make_classes()
    dataclass_code.save()
    dataclass_code.uninstall()
    dataclass_code.install()
    plain, frozen, ordered, slotted, with_init_var = make_classes()
    assert dataclass_code.installed().compiled == 0
    assert plain(1) == plain(1, "x", []) and plain(1).c is not plain(1).c
    assert repr(plain(1)).endswith("Plain(a=1, b='x', c=[])")
    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen(1).a = 2  # type: ignore[misc]
    assert hash(frozen(1, (2,))) == hash(frozen(1, (2,)))
    assert ordered(1) < ordered(2) and hash(ordered(1)) == hash(ordered(1))
    assert slotted(a=1).b is None and not hasattr(slotted(a=1), "__dict__")
    with pytest.raises(TypeError):
        slotted(1)  # type: ignore[misc]
    assert with_init_var(2).a == 4 and with_init_var(2, 3).a == 6


def test_init_annotations_are_the_types(cache) -> None:
    """A generated __init__'s annotations are the fields' types, as without the file (the
    text was once compiled with this module's future import: they became strings)."""
    assert dataclass_code.install()
    plain = make_classes()[0]
    hints = typing.get_type_hints(plain.__init__)  # a NameError on "_type_a" before
    assert hints == {"a": int, "b": str, "c": list[int], "return": type(None)}


def test_a_damaged_or_foreign_file_is_an_empty_one(cache) -> None:
    dataclass_code.cache_path().parent.mkdir(parents=True, exist_ok=True)
    for junk in (b"", b"not marshal at all", b"\x00\x01", b"N"):
        dataclass_code.cache_path().write_bytes(junk)
        dataclass_code.uninstall()
        dataclass_code.install()
        assert make_classes()[1](1).b == ()  # made all the same
        assert dataclass_code.installed().compiled > 0
    dataclass_code.save()
    dataclass_code.uninstall()
    dataclass_code.install()
    make_classes()[1]
    assert dataclass_code.installed().compiled == 0  # written again, whole


def test_a_second_start_compiles_none(tmp_path) -> None:
    """Two processes, as two starts of backtimer: the second compiles nothing."""
    code = (
        "import contextlib, io\n"
        "from backtimer.cli.main import main\n"
        "from backtimer.files import dataclass_code\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['plan', 'desk-break'])\n"  # a command: installed before its modules
        "import backtimer.core.routine, backtimer.core.engine\n"
        "print(dataclass_code.installed().compiled)\n"
    )
    env = {**os.environ, "BACKTIMER_CACHE_DIR": str(tmp_path)}
    counts = [int(python_output(code, env=env).split()[-1]) for _ in range(2)]
    assert counts[0] > 20 and counts[1] == 0


def test_version_and_help_load_no_dataclasses() -> None:
    """They make no dataclass: the store is not installed, and dataclasses (with inspect)
    is not even imported."""
    code = (
        "import contextlib, io, sys\n"
        "from backtimer.cli.main import main\n"
        "for words in (['--version'], ['--help']):\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main(words)\n"
        "print('dataclasses' in sys.modules, 'inspect' in sys.modules)\n"
    )
    assert python_output(code).split() == ["False", "False"]


def test_used_code_is_let_go_and_the_file_keeps_every_text(cache) -> None:
    """A text's marshalled code is dropped once its class is made (the code lives on in the
    methods); the file written later still has every text, used here or not."""
    dataclass_code.install()
    make_classes()
    dataclass_code.save()
    on_file = set(marshal.loads(dataclass_code.cache_path().read_bytes()))
    dataclass_code.uninstall()

    dataclass_code.install()
    make_classes()  # every text is on file: nothing compiled, every text used

    @dataclasses.dataclass
    class New:  # one text more: compiled
        z: int

    store = dataclass_code.installed()
    assert store is not None and store.compiled > 0 and store.known is not None
    assert on_file <= set(store.known)
    assert all(value is None for value in store.known.values())  # their bytes let go
    assert New(1) == New(1)
    dataclass_code.save()
    assert set(marshal.loads(dataclass_code.cache_path().read_bytes())) > on_file
    dataclass_code.uninstall()
    dataclass_code.install()
    make_classes()
    assert dataclass_code.installed().compiled == 0  # the texts made before, all read back


def called(classes: list[type]) -> None:
    """Call every generated method of ``make_classes()``'s classes once."""
    plain, frozen, ordered, slotted, with_init_var = classes
    for made in (plain(1), frozen(1), ordered(1), slotted(a=1), with_init_var(1)):
        repr(made)
        assert made == made
        with contextlib.suppress(TypeError):
            hash(made)
    for made in (frozen(1), slotted(a=1)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.a = 2  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            del made.a  # type: ignore[misc]
    assert ordered(1) < ordered(2) <= ordered(2) and ordered(3) > ordered(2) >= ordered(2)


def test_lazy_methods_are_compiled_at_their_first_call(cache) -> None:
    """With ``lazy``, the methods that are not in the file are compiled when first called,
    each then put in its place in its class: the same methods as the standard library's
    (code, flags, constants, names, annotations)."""
    expected_classes = make_classes()
    called(expected_classes)
    expected = shapes(expected_classes)
    assert dataclass_code.install(lazy=True)
    classes = make_classes()
    store = dataclass_code.installed()
    assert store is not None
    assert store.compiled == 0  # none so far, not even the __init__s
    assert shapes(classes) != expected  # stand-ins
    called(classes)
    assert store.compiled > len(classes)
    assert shapes(classes) == expected
    # Written to the file like any other: a start after it compiles none of them.
    dataclass_code.save()
    dataclass_code.uninstall()
    assert dataclass_code.install(lazy=True)
    again = make_classes()
    assert shapes(again) == expected
    assert dataclass_code.installed().compiled == 0


def test_lazy_classes_behave_the_same(cache) -> None:
    """The behaviour test above, with stand-ins: every method does what it did."""
    assert dataclass_code.install(lazy=True)
    plain, frozen, ordered, slotted, with_init_var = make_classes()
    assert plain(1) == plain(1, "x", []) and plain(1).c is not plain(1).c
    assert plain(1) != plain(2) and plain(1).__eq__(3) is NotImplemented
    assert repr(plain(1)).endswith("Plain(a=1, b='x', c=[])")
    assert repr(plain(1)).endswith("Plain(a=1, b='x', c=[])")  # the second call too
    with pytest.raises(dataclasses.FrozenInstanceError):
        frozen(1).a = 2  # type: ignore[misc]
    assert hash(frozen(1, (2,))) == hash(frozen(1, (2,))) == hash(frozen(1, (2,)))
    assert ordered(1) < ordered(2) and hash(ordered(1)) == hash(ordered(1))
    assert not ordered(2) < ordered(1)
    assert slotted(a=1).b is None and not hasattr(slotted(a=1), "__dict__")
    assert slotted(a=1) == slotted(a=1) and hash(slotted(a=1)) == hash(slotted(a=1))
    with pytest.raises(TypeError):
        slotted(1)  # type: ignore[misc]
    assert with_init_var(2).a == 4 and with_init_var(2, 3).a == 6

    @dataclasses.dataclass(frozen=True)
    class Base:
        a: int

    @dataclasses.dataclass(frozen=True, eq=False)
    class Child(Base):  # inherits Base's __eq__ and __hash__
        b: int = 0

    stand_in = vars(Base)["__eq__"]
    assert (stand_in.__module__, stand_in.__name__) == (Base.__module__, "__eq__")
    assert stand_in.__qualname__ == f"{Base.__qualname__}.__eq__"
    assert Child(1, 2) == Child(1, 2) and hash(Child(1)) == hash(Base(1))
    assert "__eq__" not in vars(Child) and vars(Base)["__eq__"].__code__.co_name == "__eq__"


def signatures(classes: list[type]) -> list[tuple[str, str, str]]:
    """Each generated method's signature, as inspect (and anything that asks it) sees it."""
    import inspect

    return [
        (cls.__name__, name, str(inspect.signature(cls.__dict__[name])))
        for cls in classes
        for name in METHODS
        if callable(cls.__dict__.get(name))
    ]


def test_lazy_methods_have_the_standard_signatures_before_and_after_their_first_call(
    cache,
) -> None:
    """A stand-in takes the arguments the method takes (not *args, **kwargs): inspect sees
    the standard library's signature before the first call, and after it, __repr__ too
    (the standard library wraps it, and the wrapper's signature is the wrapped one's)."""
    expected = signatures(make_classes())
    assert dataclass_code.install(lazy=True)
    classes = make_classes()
    assert signatures(classes) == expected
    called(classes)
    assert signatures(classes) == expected


def test_a_lazy_repr_is_the_standard_one_after_its_first_call(cache) -> None:
    """The standard library wraps a dataclass's __repr__ (reprlib's recursive_repr): once
    called, the wrapper wraps the compiled method itself, not the stand-in (nothing of it
    left in later calls); a repr of a dataclass that holds itself says '...' from the first
    call on, as without the stand-in."""
    import inspect

    expected_classes = make_classes()
    called(expected_classes)
    expected = shapes([inspect.unwrap(c.__repr__) for c in expected_classes])  # type: ignore[misc]

    assert dataclass_code.install(lazy=True)
    classes = make_classes()
    plain = classes[0]
    looped = plain(1)
    looped.c.append(looped)  # type: ignore[arg-type]
    assert repr(looped).endswith("Plain(a=1, b='x', c=[...])")
    called(classes)
    inner = [inspect.unwrap(c.__repr__) for c in classes]  # type: ignore[misc]
    assert all(f.__code__.co_filename == "<string>" for f in inner)  # the compiled method
    assert shapes(inner) == expected  # type: ignore[arg-type]
    assert repr(looped).endswith("Plain(a=1, b='x', c=[...])")


def test_a_runtime_class_outside_any_module_gets_the_same_methods(cache) -> None:
    """A class whose module is not imported (made at run time): its methods' module is
    None with the standard library (no __name__ in the namespace they are made in); the
    stand-ins' too."""

    def make() -> type:
        return dataclasses.make_dataclass(
            "Runtime", [("x", int)], frozen=True, namespace={"__module__": "not.imported"}
        )

    expected = make()
    assert dataclass_code.install(lazy=True)
    made = make()
    for name in ("__eq__", "__hash__", "__setattr__", "__delattr__"):
        assert vars(made)[name].__module__ == vars(expected)[name].__module__, name
    assert made(1) == made(1) and hash(made(1)) == hash(expected(1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made(1).x = 2  # type: ignore[attr-defined]


def test_two_threads_at_a_first_call_compile_the_method_once(cache, monkeypatch) -> None:
    """A second thread calling a stand-in while the first compiles it waits for that
    method (one compilation, one method in the class) instead of making its own."""
    import threading

    assert dataclass_code.install(lazy=True)
    plain = make_classes()[0]
    plain(1)  # its __init__ compiled first (lazy too): this one is about __eq__
    stand_in = vars(plain)["__eq__"]
    compiled: list[str] = []
    others: list[threading.Thread] = []
    results: list[bool] = []  # the other thread's comparison
    compile_ = dataclass_code._compile

    def compiling(text: str):
        compiled.append(text)
        if len(others) == 0:  # the first thread: another one comes while it compiles
            other = threading.Thread(target=lambda: results.append(plain(1) == plain(1)))
            others.append(other)
            other.start()
            other.join(timeout=0.5)  # it waits (a lock) or it compiles too (no lock)
        return compile_(text)

    monkeypatch.setattr(dataclass_code, "_compile", compiling)
    assert plain(1) == plain(1)
    others[0].join()
    assert results == [True]  # it got the method, not an error
    assert len(compiled) == 1
    assert vars(plain)["__eq__"] is not stand_in
    assert vars(plain)["__eq__"].__code__.co_filename == "<string>"


def is_stand_in(method: object) -> bool:
    """Whether ``method`` is a lazy __init__'s stand-in (not a function compiled yet)."""
    import types

    return not isinstance(method, types.FunctionType)


def test_a_lazy_init_is_compiled_at_its_first_call_and_put_in_place(cache) -> None:
    """An __init__ not in the file is not compiled when its class is made: its first call
    compiles it (through the store), puts the method in the class and calls it; it is the
    standard library's method (code, flags, annotations, name), here and in a slots class
    (made anew by dataclasses: the method lands in the class that is returned)."""
    expected_classes = make_classes()
    expected = [(shapes([cls])[0], vars(cls)["__init__"].__qualname__) for cls in expected_classes]
    assert dataclass_code.install(lazy=True)
    classes = make_classes()
    store = dataclass_code.installed()
    assert store is not None and store.compiled == 0
    assert all(is_stand_in(vars(cls)["__init__"]) for cls in classes)
    plain, frozen, ordered, slotted, with_init_var = classes
    assert (
        vars(slotted)["__init__"].__qualname__ == vars(expected_classes[3])["__init__"].__qualname__
    )
    plain(1), frozen(1), ordered(1), slotted(a=1), with_init_var(1)
    assert store.compiled == len(classes)  # the __init__s, and nothing else
    assert not any(is_stand_in(vars(cls)["__init__"]) for cls in classes)
    assert [(shapes([cls])[0], vars(cls)["__init__"].__qualname__) for cls in classes] == expected
    assert vars(slotted)["__init__"].__code__.co_filename == "<string>"


def test_a_lazy_init_behaves_the_same(cache) -> None:
    """Arguments, defaults and their factories, keyword-only fields, InitVar and
    __post_init__, frozen and slots classes: as without the stand-in, from the first call."""
    assert dataclass_code.install(lazy=True)
    plain, frozen, ordered, slotted, with_init_var = make_classes()
    first = plain(1)
    assert (first.a, first.b, first.c) == (1, "x", []) and plain(2).c is not first.c
    assert plain(1, "y", c=[2]).c == [2]
    made = frozen(1, (2,))
    assert (made.a, made.b) == (1, (2,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.a = 2  # type: ignore[misc]
    assert ordered(3).b == 0.5
    slot = slotted(a=1, b="z")
    assert (slot.a, slot.b) == (1, "z") and not hasattr(slot, "__dict__")
    assert with_init_var(2).a == 4 and with_init_var(2, 3).a == 6
    assert "scale" not in vars(with_init_var(1))  # an InitVar: passed on, not kept


def test_a_bad_first_call_raises_what_the_method_raises(cache) -> None:
    """The first call of a stand-in with the wrong arguments raises the method's own error
    (the same TypeError, the same words); the method is in place after it all the same."""
    standard = make_classes()
    assert dataclass_code.install(lazy=True)
    classes = make_classes()
    bad_calls = [
        (0, (), {}),  # a missing argument
        (1, (1, 2, 3), {}),  # too many
        (2, (1,), {"z": 1}),  # an unknown keyword
        (3, (1,), {}),  # keyword-only, given by position
        (4, (), {"scale": 3}),  # an InitVar without the field
    ]
    for index, args, kwargs in bad_calls:
        with pytest.raises(TypeError) as expected:
            standard[index](*args, **kwargs)
        with pytest.raises(TypeError) as first:
            classes[index](*args, **kwargs)
        assert str(first.value) == str(expected.value), classes[index]
        assert not is_stand_in(vars(classes[index])["__init__"])
        with pytest.raises(TypeError) as again:
            classes[index](*args, **kwargs)
        assert str(again.value) == str(expected.value)


def test_a_post_init_error_at_the_first_call_is_the_post_inits(cache) -> None:
    assert dataclass_code.install(lazy=True)

    @dataclasses.dataclass
    class Checked:
        a: int

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")

    with pytest.raises(ValueError, match="negative"):
        Checked(-1)
    assert not is_stand_in(vars(Checked)["__init__"]) and Checked(1).a == 1


def make_family() -> tuple[type, type, type, type]:
    """A frozen dataclass, a plain subclass and a dataclass subclass calling its
    __init__ through super(), and a dataclass subclass that inherits it (init=False)."""

    @dataclasses.dataclass(frozen=True)
    class Base:
        a: int
        b: str = "x"

    class Plain(Base):
        def __init__(self, a: int) -> None:
            super().__init__(a, "from plain")

    @dataclasses.dataclass(frozen=True)
    class Child(Base):
        c: int = 0

        def __post_init__(self) -> None:
            object.__setattr__(self, "b", self.b * 2)

    @dataclasses.dataclass(frozen=True, init=False)
    class Inheriting(Base):
        def __init__(self, a: int) -> None:
            super().__init__(a)

    return Base, Plain, Child, Inheriting


def test_subclasses_calling_a_lazy_init_through_super(cache) -> None:
    """A subclass (a dataclass or not) calling a stand-in through super().__init__: the
    method made at that first call lands in the class that has the stand-in, not in the
    subclass."""
    assert dataclass_code.install(lazy=True)
    base, plain, child, inheriting = make_family()
    stand_in = vars(base)["__init__"]
    made = plain(1)
    assert (made.a, made.b) == (1, "from plain")
    assert vars(base)["__init__"] is not stand_in and not is_stand_in(vars(base)["__init__"])
    assert vars(plain)["__init__"].__code__.co_filename != "<string>"  # its own, untouched
    assert vars(base)["__init__"].__qualname__.endswith("Base.__init__")
    assert (inheriting(2).a, inheriting(2).b) == (2, "x")
    assert child(1, "y", 3) == child(1, "y", 3) and child(1, "y").b == "yy"
    assert child(1).c == 0

    # A subclass's first call of the stand-in that it inherits (not made through super()).
    base2 = make_family()[0]

    class Bare(base2):  # type: ignore[valid-type, misc]
        pass

    assert Bare(5).a == 5 and not is_stand_in(vars(base2)["__init__"])
    assert "__init__" not in vars(Bare)


def lazy_signatures(classes: list[type]) -> list[tuple[str, ...]]:
    """What inspect says of each class and its __init__ (unbound, bound, the class), what
    typing says of its hints, and the docstring dataclasses makes from the signature."""
    import inspect

    out = []
    for cls in classes:
        init = cls.__init__  # type: ignore[misc]
        out.append(
            (
                cls.__name__,
                str(inspect.signature(cls)),
                str(inspect.signature(init)),
                str(inspect.signature(init, follow_wrapped=False)),
                repr(inspect.signature(init).parameters),
                repr(init.__annotations__),
                repr(typing.get_type_hints(init)),
                str(cls.__doc__),
                str(init.__name__),
                str(init.__module__),
                init.__qualname__,
            )
        )
    return out


def test_inspect_sees_a_lazy_init_as_the_method_before_and_after_its_first_call(
    cache,
) -> None:
    """inspect.signature of the class and of its __init__, the annotations and type hints
    (the fields' types, resolved in the class's module), the name and module, and the
    docstring dataclasses makes from the signature: the method's, before the first call
    (without compiling it) and after it."""
    import inspect

    def everything() -> list[type]:
        base, plain, child, inheriting = make_family()
        return [*make_classes(), base, plain, child, inheriting]

    expected = lazy_signatures(everything())
    assert dataclass_code.install(lazy=True)
    classes = everything()
    store = dataclass_code.installed()
    assert lazy_signatures(classes) == expected
    assert store is not None and store.compiled == 0  # none compiled to say so
    made = classes[0](1)
    assert str(inspect.signature(made.__init__)) == str(
        inspect.signature(make_classes()[0](1).__init__)
    )
    called(classes[:5])
    classes[5](1), classes[6](1), classes[7](1), classes[8](1)
    assert not any(is_stand_in(vars(cls).get("__init__")) for cls in classes[:5])
    assert lazy_signatures(classes) == expected


def test_a_lazy_inits_function_attributes_are_the_methods(cache) -> None:
    """What only a compiled function has (its code, defaults) is the method's: asked
    before the first call, it is made then (and the first call puts that one in place)."""
    standard = vars(make_classes()[0])["__init__"]
    assert dataclass_code.install(lazy=True)
    plain = make_classes()[0]
    stand_in = vars(plain)["__init__"]
    assert stand_in.__code__.co_varnames == standard.__code__.co_varnames
    assert stand_in.__defaults__ == standard.__defaults__
    assert stand_in.__kwdefaults__ == standard.__kwdefaults__
    assert stand_in.__globals__ is standard.__globals__
    assert stand_in.__doc__ is None and standard.__doc__ is None
    assert not hasattr(stand_in, "__wrapped__")
    assert dataclass_code.installed().compiled == 1
    assert plain(1).a == 1
    assert vars(plain)["__init__"].__code__ is stand_in.__code__
    assert dataclass_code.installed().compiled == 1


def test_two_threads_at_a_first_init_compile_it_once(cache, monkeypatch) -> None:
    """As for the other methods: a second thread making an instance while the first
    compiles its __init__ waits for that method."""
    import threading

    assert dataclass_code.install(lazy=True)
    plain = make_classes()[0]
    compiled: list[str] = []
    others: list[threading.Thread] = []
    made: list[object] = []
    compile_ = dataclass_code._compile

    def compiling(text: str):
        compiled.append(text)
        if len(others) == 0:
            other = threading.Thread(target=lambda: made.append(plain(2)))
            others.append(other)
            other.start()
            other.join(timeout=0.5)
        return compile_(text)

    monkeypatch.setattr(dataclass_code, "_compile", compiling)
    assert plain(1).a == 1
    others[0].join()
    assert len(compiled) == 1 and made[0].a == 2  # type: ignore[attr-defined]
    assert not is_stand_in(vars(plain)["__init__"])


def test_a_second_start_reads_a_called_init_from_the_file(tmp_path) -> None:
    """Two processes: the first calls one lazy __init__ and not another, and writes the
    file at exit; the second finds the called one's code in the file (a function from the
    start, nothing compiled) and still defers the one never called."""
    code = (
        "import dataclasses, types\n"
        "from backtimer.files import dataclass_code\n"
        "dataclass_code.install(lazy=True)\n"
        "@dataclasses.dataclass\n"
        "class Called:\n"
        "    a: int\n"
        "    b: str = 'x'\n"
        "@dataclasses.dataclass\n"
        "class NeverCalled:\n"
        "    z: float\n"
        "kinds = [isinstance(vars(c)['__init__'], types.FunctionType)"
        " for c in (Called, NeverCalled)]\n"
        "assert Called(1).b == 'x'\n"
        "print(kinds, dataclass_code.installed().compiled)\n"
    )
    env = {**os.environ, "BACKTIMER_CACHE_DIR": str(tmp_path)}
    outputs = [python_output(code, env=env).strip() for _ in range(2)]
    # First: both stand-ins, the called __init__ compiled (the __eq__ and __repr__ never).
    assert outputs == ["[False, False] 1", "[True, False] 0"]


def test_a_lazy_init_of_a_text_not_understood_says_the_methods_signature(
    cache, monkeypatch
) -> None:
    """Where the stand-in cannot read the text's parameter list, it gives the method's
    signature and annotations all the same: it compiles the method to ask it."""
    expected = lazy_signatures(make_classes())
    for failing in (lambda text, closure: None, lambda text, closure: int("x")):
        dataclass_code.uninstall()  # a store that has compiled nothing (the file is not written)
        assert dataclass_code.install(lazy=True)
        monkeypatch.setattr(dataclass_code, "_init_parts", failing)
        classes = make_classes()
        assert lazy_signatures(classes) == expected
        assert all(is_stand_in(vars(cls)["__init__"]) for cls in classes)
        called(classes)
        assert not any(is_stand_in(vars(cls)["__init__"]) for cls in classes)


def module_with_class(monkeypatch, name: str, lazy: bool) -> type:
    """A dataclass ``P`` made in a fresh module ``name`` (in sys.modules, so pickle finds
    it), with a lazy __init__ or the standard one."""
    import types

    dataclass_code.uninstall()
    if lazy:
        assert dataclass_code.install(lazy=True)
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)
    exec("import dataclasses\n@dataclasses.dataclass\nclass P:\n    a: int\n", vars(module))
    return module.P


def test_a_lazy_init_is_weakly_referenced_and_copied_as_a_function(cache) -> None:
    """weakref.ref, copy.copy and copy.deepcopy take a lazy __init__ as they take a
    function: a reference to it, and itself for both copies."""
    import copy
    import weakref

    assert dataclass_code.install(lazy=True)
    plain = make_classes()[0]
    stand_in = plain.__init__
    assert is_stand_in(stand_in)
    ref = weakref.ref(stand_in)
    assert ref() is stand_in
    assert copy.copy(stand_in) is stand_in
    assert copy.deepcopy(stand_in) is stand_in
    assert copy.deepcopy({"init": stand_in})["init"] is stand_in
    assert plain(1).a == 1  # still the method, at its first call
    assert not is_stand_in(vars(plain)["__init__"])


def test_a_lazy_init_pickles_as_the_method(cache, monkeypatch) -> None:
    """pickle takes a lazy __init__ by its module and qualified name, as the method: the
    same bytes, and loading finds the class's __init__ (also through an old reference
    to the stand-in, once the method is in its place)."""
    import pickle

    standard = module_with_class(monkeypatch, "dc_probe_standard", lazy=False)
    expected = pickle.dumps(standard.__init__).replace(b"dc_probe_standard", b"dc_probe_lazy____")
    lazy = module_with_class(monkeypatch, "dc_probe_lazy____", lazy=True)
    stand_in = lazy.__init__
    assert is_stand_in(stand_in)
    assert stand_in.__module__ == "dc_probe_lazy____"
    assert pickle.dumps(stand_in) == expected
    assert pickle.loads(pickle.dumps(stand_in)) is stand_in
    assert dataclass_code.installed().compiled == 0  # pickling compiles nothing
    assert lazy(1).a == 1
    method = vars(lazy)["__init__"]
    assert not is_stand_in(method)
    assert pickle.loads(pickle.dumps(stand_in)) is method
    assert pickle.loads(pickle.dumps(method)) is method


def test_a_lazy_init_that_pickle_cannot_find_fails_as_the_methods(cache, monkeypatch) -> None:
    """A local class's __init__, or one whose class is not in its module, fails to pickle
    with the error the method gives; the stand-in's class keeps its module's name."""
    import pickle

    def errors(classes: list[type]) -> list[tuple[type, str]]:
        out = []
        for cls in classes:
            with pytest.raises(Exception) as caught:
                pickle.dumps(cls.__init__)
            # the same message but for the object's repr, which says "not compiled yet"
            out.append((type(caught.value), str(caught.value).replace(repr(cls.__init__), "F")))
        return out

    standard = module_with_class(monkeypatch, "dc_probe_gone", lazy=False)
    monkeypatch.delattr(sys.modules["dc_probe_gone"], "P")
    expected = errors([make_classes()[0], standard])
    lazy = module_with_class(monkeypatch, "dc_probe_gone", lazy=True)
    monkeypatch.delattr(sys.modules["dc_probe_gone"], "P")
    local = make_classes()[0]
    assert is_stand_in(local.__init__) and is_stand_in(lazy.__init__)
    assert errors([local, lazy]) == expected
    stand_in_class = type(lazy.__init__)
    assert stand_in_class.__module__ == dataclass_code.__name__
    assert isinstance(stand_in_class.__module__, str)


def test_a_lazy_init_is_not_a_function_before_its_first_call(cache) -> None:
    """The difference the module's docstring lists: before its first call the stand-in is
    not a function to inspect (it is a routine), and it is the method after."""
    import inspect

    assert dataclass_code.install(lazy=True)
    plain = make_classes()[0]
    assert not inspect.isfunction(plain.__init__)
    assert inspect.isroutine(plain.__init__)
    plain(1)
    assert inspect.isfunction(plain.__init__)
