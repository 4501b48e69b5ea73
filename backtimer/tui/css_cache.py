"""Textual CSS parsed once, kept between runs.

Before a session's first frame Textual parses every rule the app uses: app.tcss, the
rules of the screen shown (screens/session.tcss or picker.tcss) and the ``DEFAULT_CSS`` of
each kind of widget shown (Textual's own and backtimer's), a source at a time, on each
start. It is the same text, parsed the same way, every time: about a twentieth
of the work before the first frame. :func:`use` makes the app's stylesheet look each
source up in ``textual-css-<python>.pickle`` in the cache dir before parsing it, and the
rules parsed are added to the file after the first frame (:func:`save`) and at exit. They
are pickled then too, not as they are parsed: at a first start ever (an empty file),
pickling each source as it came was about a quarter of the CSS's work before the first
frame (valgrind: 22 M of 82 M instructions). Textual only reads rules once they are parsed,
so what is pickled after the first frame is what the parse gave.

What is looked up is exactly what the parse depends on: the source's whole text, where it
was read from, its tier (a widget's default or the app's), its priority and its scope, with
the values of the CSS variables (the theme's colours) the parse put in. The file holds the
rules of one Textual: the stamps (size, times, inode) of the files of Textual that parse
them and define their classes are kept with it; any other Textual, or another Python, finds
it empty. A missing, damaged or foreign file counts as empty (the sources are parsed, as
without it).

Only the stylesheet the app starts with uses it. Textual parses everything again in a new
stylesheet of its own when the theme changes (``reparse``): that is parsed as before.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.css.model import RuleSet
    from textual.css.stylesheet import Stylesheet

#: The modules of Textual whose code parses the rules or defines what they are made of.
#: A new Textual (or one changed in place) changes their stamps: the file is then
#: another Textual's and is not read.
TEXTUAL_FILES = (
    "__init__.py",
    "_border.py",
    "_easing.py",
    "color.py",
    "geometry.py",
    "css/constants.py",
    "css/model.py",
    "css/parse.py",
    "css/scalar.py",
    "css/styles.py",
    "css/_styles_builder.py",
    "css/tokenize.py",
    "css/tokenizer.py",
    "css/transition.py",
    "css/stylesheet.py",
    "css/types.py",
    "layouts/horizontal.py",
    "layouts/vertical.py",
    "layouts/grid.py",
)

#: At most this many sets of CSS variables (themes) are kept.
MAX_THEMES = 4
#: At most this many sources are kept per theme (a source whose text changed is a new one).
MAX_SOURCES = 400

Key = tuple[str, tuple[str, str], bool, int, str]
Theme = tuple[tuple[str, str], ...]
#: A source with a theme, whatever its priority (a :data:`Key` without its tie-breaker).
Source = tuple[Theme, str, tuple[str, str], bool, str]


def textual_stamp() -> tuple[Any, ...] | None:
    """The stamps (size, times, inode: ``files.cache.file_stamp``) of Textual's files that
    the rules depend on (None: one is not found)."""
    import textual

    from backtimer.files.cache import file_stamp

    folder = Path(textual.__file__).parent
    stamps = [file_stamp(folder / name) for name in TEXTUAL_FILES]
    if None in stamps:
        return None
    return (sys.implementation.cache_tag, str(folder), *zip(TEXTUAL_FILES, stamps, strict=True))


def cache_path() -> Path:
    from backtimer.files import paths

    return paths.cache_dir() / f"textual-css-{sys.implementation.cache_tag}.pickle"


class _Store:
    """The parsed rules, by theme (the CSS variables) and by source: read from the file at
    the first source looked up (pickled bytes, unpickled when asked for); the rules parsed
    in this process are kept as they are and pickled as the file is written (:meth:`save`)."""

    def __init__(self, path: Path, stamp: tuple[Any, ...] | None) -> None:
        self.path = path
        self.stamp = stamp
        self.themes: dict[Theme, dict[Key, bytes]] | None = None
        self.used: set[tuple[Theme, Key]] = set()
        # Parsed in this process (not found in the file), not written yet.
        self.fresh: dict[tuple[Theme, Key], list[RuleSet]] = {}
        self.unwritten = False  # pickled into ``themes``, the file not written since
        # The theme of the variables last asked about (the stylesheet's dict, the same at
        # every source): sorting ~170 variables for each source was ~1 ms before a first frame.
        self._last: tuple[dict[str, str], dict[str, str], Theme] | None = None
        # Each source's rules at a priority (tie-breaker) other than 0, by theme and source
        # without the priority: Textual parses a source again when it finds a class deeper
        # in the hierarchy than before (Widget's rules three times before a session's first
        # frame); see :func:`with_priority`.
        self.by_source: dict[Source, tuple[int, list[RuleSet]]] = {}

    def _read(self) -> dict[Theme, dict[Key, bytes]]:
        if self.stamp is None:
            return {}
        from backtimer.files.atomic import read_regular_bytes  # never blocks on a FIFO

        try:
            data = pickle.loads(read_regular_bytes(self.path))
        except Exception:  # a damaged file is an empty one (pickle raises many kinds)
            return {}
        if not isinstance(data, dict) or data.get("textual") != self.stamp:
            return {}
        themes = data.get("themes")
        return themes if isinstance(themes, dict) else {}

    def _theme(self, variables: dict[str, str]) -> Theme:
        last = self._last
        if last is not None and last[0] is variables and last[1] == variables:
            return last[2]
        theme = tuple(sorted(variables.items()))
        self._last = (variables, dict(variables), theme)
        return theme

    def rules(self, variables: dict[str, str], key: Key) -> list[RuleSet] | None:
        """The rules kept for ``key`` with these variables: parsed in this process, read
        from the file, or those of the same source at another priority with this one
        (None: not kept)."""
        theme = self._theme(variables)
        fresh = self.fresh.get((theme, key))
        if fresh is not None:
            return fresh
        if self.themes is None:
            self.themes = self._read()
        found = self.themes.get(theme, {}).get(key)
        if found is None:
            return self._at_priority(theme, key)
        try:
            rules = pickle.loads(found)
        except Exception:
            return None
        if not isinstance(rules, list):
            return None
        self.used.add((theme, key))
        self._priced(theme, key, rules)
        return rules

    def keep(self, variables: dict[str, str], key: Key, rules: list[RuleSet]) -> None:
        """Keep rules just parsed, to be written with the file (:meth:`save`)."""
        theme = self._theme(variables)
        self.fresh[(theme, key)] = rules
        self.used.add((theme, key))
        self._priced(theme, key, rules)

    def priced(self, variables: dict[str, str], key: Key, rules: list[RuleSet]) -> None:
        """Note rules parsed for ``key`` to give the source's rules at another priority
        (not kept in the file)."""
        self._priced(self._theme(variables), key, rules)

    def _priced(self, theme: Theme, key: Key, rules: list[RuleSet]) -> None:
        css, read_from, is_default_rules, tie_breaker, scope = key
        if tie_breaker:
            source = (theme, css, read_from, is_default_rules, scope)
            self.by_source[source] = (tie_breaker, rules)

    def _at_priority(self, theme: Theme, key: Key) -> list[RuleSet] | None:
        css, read_from, is_default_rules, tie_breaker, scope = key
        found = self.by_source.get((theme, css, read_from, is_default_rules, scope))
        if found is None:
            return None
        rules = with_priority(found[1], found[0], tie_breaker)
        if rules is not None:
            self.fresh[(theme, key)] = rules
            self.used.add((theme, key))
        return rules

    def save(self) -> None:
        """Write the file if this process parsed anything (a temporary file, then a rename).
        Failing is never an error. Themes and sources beyond the limits that this process
        did not use are left out."""
        if not (self.fresh or self.unwritten) or self.stamp is None:
            return
        if self.themes is None:
            self.themes = self._read()
        for (theme, key), rules in self.fresh.items():
            try:
                data = pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # not picklable (a Textual of the future): parsed every time
                continue
            self.themes.setdefault(theme, {})[key] = data
            self.unwritten = True
        self.fresh.clear()
        used_themes = {theme for theme, _ in self.used}
        themes = dict(self.themes)
        for theme in list(themes):
            if len(themes) <= MAX_THEMES:
                break
            if theme not in used_themes:
                del themes[theme]
        for theme, sources in themes.items():
            if len(sources) > MAX_SOURCES:
                themes[theme] = {k: v for k, v in sources.items() if (theme, k) in self.used}
        from backtimer.files.atomic import write_cache_file

        data = pickle.dumps(
            {"textual": self.stamp, "themes": themes}, protocol=pickle.HIGHEST_PROTOCOL
        )
        if write_cache_file(self.path, data):
            self.unwritten = False


def with_priority(rules: list[RuleSet], was: int, now: int) -> list[RuleSet] | None:
    """Rules parsed with the tie-breaker ``was`` (not 0) as the parse gives them with ``now``
    (copies; None: they are not as that parse makes them).

    Textual's parse gives every rule of a source the source's tie-breaker times one more
    than the rule's depth in the nesting (``&:focus {...}`` in a rule: twice), and nothing
    else in the rules depends on it (textual/css/parse.py, ``parse_rule_set``). A test
    checks it against the parse for the rules of Textual's widgets and backtimer's."""
    if not was:
        return None
    copies = []
    for rule in rules:
        times, rest = divmod(rule.tie_breaker, was)
        if rest or times < 1:
            return None
        try:  # a shallow copy (copy.copy takes 7 times as long)
            twin = object.__new__(type(rule))
            twin.__dict__.update(rule.__dict__)
        except AttributeError:  # no __dict__ (slots)
            twin = copy.copy(rule)
        twin.tie_breaker = times * now
        copies.append(twin)
    return copies


class VariableTokens(dict[str, list[Any]]):
    """The CSS variables' tokens, each variable tokenized as a rule first names it.

    Textual tokenizes all ~170 variables of the theme before the first source is parsed
    (``Stylesheet._variable_tokens``), for the ~40 the rules name: 6 M instructions at a
    first start ever. This dict is what it makes (``tokenize_values``), made as it is read:
    Textual's parse copies it (``copy``), asks ``in``, reads ``[name]``, ``setdefault`` for a
    variable the source sets, ``keys()`` for the names it suggests for an unknown one, and
    ``if`` it is empty. A test checks the rules and the errors against Textual's own."""

    def __init__(self, variables: dict[str, str], made: dict[str, list[Any]] | None = None) -> None:
        super().__init__()
        self.variables = variables
        # The tokens made so far, shared by the copies (each parse works on a copy).
        self.made: dict[str, list[Any]] = {} if made is None else made

    def __missing__(self, name: str) -> list[Any]:
        tokens = self.made.get(name)
        if tokens is None:
            if name not in self.variables:
                raise KeyError(name)
            from textual.css.tokenize import tokenize_value

            tokens = self.made[name] = list(tokenize_value(self.variables[name], ("__name__", "")))
        self[name] = tokens
        return tokens

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self.variables

    def __len__(self) -> int:
        return len(self.keys())

    def __bool__(self) -> bool:
        return bool(self.variables) or dict.__len__(self) > 0

    def keys(self) -> Any:
        return dict.fromkeys([*self.variables, *dict.keys(self)]).keys()

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    def setdefault(self, name: str, default: Any = None) -> Any:
        if not dict.__contains__(self, name) and name in self.variables:
            self.__missing__(name)
        return dict.setdefault(self, name, default)

    def copy(self) -> VariableTokens:
        twin = VariableTokens(self.variables, self.made)
        dict.update(twin, self)
        return twin


def lazy_tokens(stylesheet: Stylesheet) -> None:
    """Make ``stylesheet`` tokenize its variables as its rules name them (see
    :class:`VariableTokens`), unless it has tokenized them already."""
    name = "_Stylesheet__variable_tokens"
    if name in stylesheet.__dict__ and stylesheet.__dict__[name] is None:
        stylesheet.__dict__[name] = VariableTokens(stylesheet._variables)


_store: _Store | None = None


def use(stylesheet: Stylesheet) -> None:
    """Make ``stylesheet`` (the app's, before anything was parsed) take each source's rules
    from the file when they are there."""
    global _store
    path = cache_path()
    if _store is None or _store.path != path:  # another cache dir: the tests
        forget()
        _store = _Store(path, textual_stamp())
        atexit.register(_store.save)
    store = _store
    parse_rules = stylesheet._parse_rules

    def cached_parse_rules(
        css: str,
        read_from: tuple[str, str],
        is_default_rules: bool = False,
        tie_breaker: int = 0,
        scope: str = "",
    ) -> list[RuleSet]:
        # Each parse, as a theme change (Textual's set_variables) sets them to None. Inline
        # styles in markup read the same tokens without parsing a source: they get these
        # lazy ones only where a parse made them; if markup reads them first after a theme
        # change, Textual tokenizes every variable at once (the same tokens, not lazy) and
        # those stay until the next theme change.
        lazy_tokens(stylesheet)
        key: Key = (css, read_from, is_default_rules, tie_breaker, scope)
        try:
            # Textual's own cache of this stylesheet (it parses every source at each
            # change of the sources, taking the ones it has from here).
            return stylesheet._parse_cache[key]
        except KeyError:
            pass
        variables = stylesheet._variables
        rules = store.rules(variables, key)
        if rules is not None:
            stylesheet._parse_cache[key] = rules
            return rules
        probe: list[RuleSet] | None = None
        if not tie_breaker:
            # Parsed with the tie-breaker 1, whose rules give this source's at every
            # priority (see with_priority): Textual asks for a widget's at 0 when the widget
            # itself is first shown, at -1, -2... for its subclasses'.
            probe = parse_rules(css, read_from, is_default_rules, 1, scope)
            rules = with_priority(probe, 1, 0)
        if rules is None:
            rules = parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
        if not any(rule.errors for rule in rules):
            store.keep(variables, key, rules)
            if probe is not None:
                store.priced(variables, (css, read_from, is_default_rules, 1, scope), probe)
        return rules

    stylesheet._parse_rules = cached_parse_rules  # type: ignore[method-assign]


def save() -> None:
    """Write what was parsed so far (the app does once its first frame is on the screen;
    again at exit if more was)."""
    if _store is not None:
        _store.save()


def forget() -> None:
    """No store (written first if anything new was parsed)."""
    global _store
    if _store is not None:
        _store.save()
        with contextlib.suppress(Exception):
            atexit.unregister(_store.save)
    _store = None
