"""The parsed CSS kept between runs (``tui.css_cache``): the rules read back are the rules
parsed, a second start parses nothing, and anything the parse depends on (the text, the
theme's variables, Textual itself) makes it parse again; a damaged file is an empty one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import textual.css.stylesheet as stylesheet_module
from snapshot_apps.common import SHORT, FakeClock, build_app, write_routine
from textual.app import App
from textual.css.stylesheet import Stylesheet

from backtimer.tui import css_cache

APP_TCSS = Path(css_cache.__file__).with_name("app.tcss")
#: The largest of backtimer's own sources: the session screen's rules.
TCSS = Path(css_cache.__file__).parent / "screens" / "session.tcss"


@pytest.fixture
def store(isolated_dirs: dict[str, Path]) -> Iterator[None]:
    """A store of its own (in this test's cache dir), forgotten after the test."""
    css_cache.forget()
    yield
    css_cache.forget()


@pytest.fixture(scope="module")
def variables() -> dict[str, str]:
    return App().get_css_variables()


class Parses:
    """Counts the sources Textual really parses."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sources: list[Any] = []
        parse = stylesheet_module.parse

        def counting(scope: str, css: str, read_from: Any, *args: Any, **kwargs: Any) -> Any:
            self.sources.append(read_from)
            return parse(scope, css, read_from, *args, **kwargs)

        monkeypatch.setattr(stylesheet_module, "parse", counting)


def cached_stylesheet(variables: dict[str, str]) -> Stylesheet:
    stylesheet = Stylesheet(variables=variables)
    css_cache.use(stylesheet)
    # Its parses go through the cache (without use() this is Stylesheet._parse_rules).
    assert stylesheet._parse_rules.__qualname__.endswith("cached_parse_rules")
    return stylesheet


def described(rules: list[Any], *, with_css: bool = True) -> list[tuple[Any, ...]]:
    """Everything of the rules that styling a widget reads (``with_css``: and the rule as
    Textual CSS, which Textual cannot write for some rules, such as a value "initial")."""
    return [
        (
            rule.css if with_css else rule.selectors,
            [(s.css, s.specificity) for s in rule.selector_set],
            sorted(rule.selector_names),
            sorted(rule.pseudo_classes),
            rule.is_default_rules,
            rule.tie_breaker,
            sorted(rule.styles.get_rules()),
            [repr(value) for _, value in sorted(rule.styles.get_rules().items())],
        )
        for rule in rules
    ]


def test_the_rules_read_back_are_the_rules_parsed(
    store: None, variables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Footer, OptionList

    sources = [
        (TCSS.read_text("utf-8"), (str(TCSS), ""), False, 0, ""),
        (Footer.DEFAULT_CSS, ("footer", "Footer.DEFAULT_CSS"), True, -2, "footer"),
        (OptionList.DEFAULT_CSS, ("option", "OptionList.DEFAULT_CSS"), True, -3, ""),
        (App.DEFAULT_CSS, ("app", "App.DEFAULT_CSS"), True, -1, ""),
    ]
    first = cached_stylesheet(variables)
    parsed = [first._parse_rules(*source) for source in sources]
    css_cache.forget()  # written, and a new store reads it (as the next start)
    parses = Parses(monkeypatch)
    second = cached_stylesheet(variables)
    read = [second._parse_rules(*source) for source in sources]
    assert parses.sources == []
    for a, b in zip(parsed, read, strict=True):
        assert a is not b
        assert described(a) == described(b)


async def test_a_second_start_parses_no_css(
    store: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = write_routine(tmp_path, SHORT)
    parses = Parses(monkeypatch)
    for start in range(2):
        parses.sources.clear()
        app = build_app(entry, clock=FakeClock())
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert "GET READY" in app.screen.query_one("#phase").render().plain  # type: ignore[attr-defined]
        css_cache.forget()  # the program ends (the file is written at exit)
        if start == 0:
            assert (str(APP_TCSS), "") in parses.sources
            assert (str(TCSS), "") in parses.sources
            assert css_cache.cache_path().is_file()
        else:
            assert parses.sources == []


def test_what_the_parse_depends_on_makes_it_parse_again(
    store: None, variables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    css = TCSS.read_text("utf-8")
    source = (css, (str(TCSS), ""), False, 0, "")
    cached_stylesheet(variables)._parse_rules(*source)
    css_cache.forget()
    parses = Parses(monkeypatch)
    # The same: read back.
    cached_stylesheet(variables)._parse_rules(*source)
    assert parses.sources == []
    # Another text from the same file (an edited session.tcss), another tier, priority, scope.
    changed = css.replace("width: 100%;", "width: 99%;")
    assert changed != css
    cached_stylesheet(variables)._parse_rules(changed, *source[1:])
    cached_stylesheet(variables)._parse_rules(css, source[1], True, 0, "")
    cached_stylesheet(variables)._parse_rules(css, source[1], False, -1, "")
    cached_stylesheet(variables)._parse_rules(css, source[1], False, 0, "screen")
    assert len(parses.sources) == 4
    # Another theme: its colours are in the rules.
    other = {**variables, "panel": "#123456"}
    rules = cached_stylesheet(other)._parse_rules(*source)
    assert len(parses.sources) == 5
    assert "#123456" in "".join(rule.css for rule in rules).upper()
    # Another Textual (its files' sizes and times are kept with the file).
    css_cache.forget()
    monkeypatch.setattr(css_cache, "textual_stamp", lambda: ("another textual",))
    cached_stylesheet(variables)._parse_rules(*source)
    assert len(parses.sources) == 6


@pytest.mark.parametrize("junk", [b"", b"not a pickle", b"\x80\x05N."])
def test_a_damaged_file_is_an_empty_one(
    store: None, variables: dict[str, str], monkeypatch: pytest.MonkeyPatch, junk: bytes
) -> None:
    path = css_cache.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(junk)
    parses = Parses(monkeypatch)
    css = TCSS.read_text("utf-8")
    rules = cached_stylesheet(variables)._parse_rules(css, (str(TCSS), ""), False, 0, "")
    assert rules and len(parses.sources) == 1
    css_cache.forget()
    assert path.stat().st_size > 1000  # written again, whole


def test_a_named_pipe_in_place_of_the_file_is_no_file(
    store: None, variables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO where the file lives blocked the app's start (its read waited for a writer):
    it is taken for no file, the CSS parsed as without one."""
    from fifo_guard import outcome_within

    path = css_cache.cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    parses = Parses(monkeypatch)
    css = APP_TCSS.read_text("utf-8")
    stylesheet = cached_stylesheet(variables)
    rules = outcome_within(
        lambda: stylesheet._parse_rules(css, (str(APP_TCSS), ""), False, 0, ""),
        path,
        "reading the CSS cache",
    )
    assert isinstance(rules, list) and rules and len(parses.sources) == 1


def test_rules_are_pickled_as_the_file_is_written_not_as_they_are_parsed(
    store: None, variables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    dumped: list[Any] = []
    dumps = pickle.dumps

    def counting(obj: Any, *args: Any, **kwargs: Any) -> bytes:
        dumped.append(obj)
        return dumps(obj, *args, **kwargs)

    monkeypatch.setattr(pickle, "dumps", counting)
    css = TCSS.read_text("utf-8")
    stylesheet = cached_stylesheet(variables)
    rules = stylesheet._parse_rules(css, (str(TCSS), ""), False, 0, "")
    # The same source again in this process: the rules parsed, not a copy.
    assert cached_stylesheet(variables)._parse_rules(css, (str(TCSS), ""), False, 0, "") is rules
    assert dumped == []  # nothing pickled while the app starts
    css_cache.save()  # after the first frame
    assert rules in dumped
    assert css_cache.cache_path().is_file()
    count = len(dumped)
    css_cache.save()  # nothing new: not written again
    assert len(dumped) == count
    monkeypatch.setattr(pickle, "dumps", dumps)
    parses = Parses(monkeypatch)
    css_cache.forget()
    read = cached_stylesheet(variables)._parse_rules(css, (str(TCSS), ""), False, 0, "")
    assert parses.sources == []
    assert described(read) == described(rules)


async def test_the_rules_written_after_a_session_are_the_rules_parsed(
    store: None, tmp_path: Path
) -> None:
    """Pickled after the first frame (and at exit), the rules are as the parse gave them:
    showing and styling the screens changed nothing in them."""
    import pickle

    entry = write_routine(tmp_path, SHORT)
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("space")  # paused: other classes, other rules
        await pilot.pause()
        await pilot.resize_terminal(60, 16)  # the tiny layout
        await pilot.pause()
    css_cache.forget()  # the program ends (the file is written at exit)
    data = pickle.loads(css_cache.cache_path().read_bytes())
    written = [
        (dict(theme), key, pickle.loads(rules))
        for theme, sources in data["themes"].items()
        for key, rules in sources.items()
    ]
    assert len(written) > 10
    for theme, key, rules in written:
        parsed = Stylesheet(variables=theme)._parse_rules(*key)
        assert described(rules, with_css=False) == described(parsed, with_css=False)


def default_css_sources() -> list[tuple[str, tuple[str, str], str]]:
    """(text, where, scope) of every DEFAULT_CSS of Textual's widgets and backtimer's, and
    backtimer's own files of rules."""
    import inspect

    import textual.containers
    import textual.screen
    import textual.widgets
    from textual.dom import DOMNode

    import backtimer.tui.screens
    import backtimer.tui.widgets

    modules: list[Any] = [textual.containers, textual.screen, textual.widgets]
    modules.append(__import__("textual.app", fromlist=["App"]))
    for package in (backtimer.tui.screens, backtimer.tui.widgets):
        folder = Path(package.__file__).parent
        for path in sorted(folder.glob("*.py")):
            if path.stem != "__init__":
                modules.append(__import__(f"{package.__name__}.{path.stem}", fromlist=["x"]))
    found: dict[tuple[str, str], tuple[str, tuple[str, str], str]] = {}
    for module in modules:
        for name in dir(module):
            cls = getattr(module, name, None)
            if inspect.isclass(cls) and issubclass(cls, DOMNode):
                for base in cls.__mro__:
                    css = base.__dict__.get("DEFAULT_CSS", "")
                    if css and issubclass(base, DOMNode):
                        where = (base.__module__, f"{base.__name__}.DEFAULT_CSS")
                        found[where] = (css, where, base._css_type_name)
    for path in (APP_TCSS, TCSS, TCSS.with_name("picker.tcss")):
        found[(str(path), "")] = (path.read_text("utf-8"), (str(path), ""), "")
    return list(found.values())


def test_a_source_at_another_priority_is_the_parse_at_that_priority(
    variables: dict[str, str],
) -> None:
    """Textual parses a source again for each priority (tie-breaker) it is asked at; the
    rules at one priority give the rules at any other, as the parse gives them."""
    sources = default_css_sources()
    assert len(sources) > 40
    nested = 0
    for css, where, scope in sources:
        is_default = where[1].endswith(".DEFAULT_CSS")
        probe = Stylesheet(variables=variables)._parse_rules(css, where, is_default, 1, scope)
        nested += any(rule.tie_breaker > 1 for rule in probe)
        for now in (0, -1, -2, -5):
            parsed = Stylesheet(variables=variables)._parse_rules(
                css, where, is_default, now, scope
            )
            derived = css_cache.with_priority(probe, 1, now)
            assert derived is not None, where
            assert [rule.tie_breaker for rule in derived] == [r.tie_breaker for r in parsed]
            assert described(derived, with_css=False) == described(parsed, with_css=False)
        # From another priority than 1 as well; never from 0 (every rule's is 0 then).
        at_two = Stylesheet(variables=variables)._parse_rules(css, where, is_default, -2, scope)
        derived = css_cache.with_priority(at_two, -2, -3)
        parsed = Stylesheet(variables=variables)._parse_rules(css, where, is_default, -3, scope)
        assert derived is not None
        assert described(derived, with_css=False) == described(parsed, with_css=False)
        assert css_cache.with_priority(probe, 0, -1) is None
    assert nested > 5  # nested rules (``&:focus``), whose priority is a multiple of it


async def test_a_session_parses_each_source_once(
    store: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Widget's rules were parsed three times before a session's first frame (at the
    priorities of Screen's, and of deeper widgets'), Screen's and Static's twice."""
    entry = write_routine(tmp_path, SHORT)
    parses = Parses(monkeypatch)
    app = build_app(entry, clock=FakeClock())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "GET READY" in app.screen.query_one("#phase").render().plain  # type: ignore[attr-defined]
        assert len(parses.sources) > 10
        assert len(set(parses.sources)) == len(parses.sources)


def test_variables_tokenized_as_the_rules_name_them_parse_as_textual_does(
    variables: dict[str, str],
) -> None:
    """The theme's variables are tokenized as a rule first names one (not all ~170 before
    the first source): the rules are those of Textual's own tokens, and so is the error
    for a variable that does not exist (with the name it suggests)."""
    from textual.css.tokenizer import TokenError

    def eager() -> Stylesheet:
        stylesheet = Stylesheet(variables=variables)
        assert not isinstance(stylesheet._variable_tokens, css_cache.VariableTokens)
        return stylesheet

    def lazy() -> Stylesheet:
        stylesheet = Stylesheet(variables=variables)
        css_cache.lazy_tokens(stylesheet)
        assert isinstance(stylesheet._variable_tokens, css_cache.VariableTokens)
        return stylesheet

    one_lazy = lazy()  # one stylesheet for every source, as the app's
    for css, where, scope in default_css_sources():
        is_default = where[1].endswith(".DEFAULT_CSS")
        expected = eager()._parse_rules(css, where, is_default, 0, scope)
        got = one_lazy._parse_rules(css, where, is_default, 0, scope)
        assert described(got, with_css=False) == described(expected, with_css=False)
    tokens = one_lazy._variable_tokens
    assert isinstance(tokens, css_cache.VariableTokens)
    assert 10 < len(tokens.made) < len(variables)  # only the variables named (every widget's)
    # Variables set by a source are its own: not seen by the next source.
    assert "stopped" in TCSS.read_text("utf-8") and "stopped" not in tokens
    for css in ("Static { color: $primry; }", "Static { color: $stopped; }"):
        errors = []
        for stylesheet in (eager(), lazy()):
            with pytest.raises(TokenError) as raised:
                stylesheet._parse_rules(css, ("x", ""), False, 0, "")
            errors.append(str(raised.value))
        assert errors[0] == errors[1]
    # Inline styles (content markup) read the app's tokens as well.
    from textual._context import active_app
    from textual.markup import parse_style

    styles = []
    for made in (App(), App()):
        if styles:
            css_cache.lazy_tokens(made.stylesheet)
        token = active_app.set(made)
        try:
            styles.append(parse_style("bold $accent on $panel"))
        finally:
            active_app.reset(token)
    assert isinstance(made.stylesheet._variable_tokens, css_cache.VariableTokens)
    assert styles[0] == styles[1]
    assert styles[1].foreground is not None and styles[1].bold
