"""The architecture checks itself: the import contracts hold and break when they should, and
no module takes part in an import cycle.

import-linter (``lint-imports``, contracts in ``pyproject.toml``) checks the layers; it does
not look for cycles, so this test does: on grimp's graph of every import statement, those
inside functions included (an import deferred into a function still makes the two modules
depend on each other), those under ``TYPE_CHECKING`` left out (they never run).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import grimp
import pytest

import backtimer

PACKAGE = Path(backtimer.__file__).resolve().parent
ROOT = PACKAGE.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: Import edges that still close a cycle (none: help and settings read the command table,
#: backtimer.session.commands, instead of importing the app and every screen). Any edge
#: listed here may only leave.
KNOWN_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset()


# ------------------------------------------------------------------------ cycles


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports (anywhere, but under TYPE_CHECKING)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    return {
        module: {m for m in graph.find_modules_directly_imported_by(module) if m != module}
        for module in graph.modules
    }


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_cycles() -> None:
    graph = import_graph("backtimer")
    still_there = {(a, b) for a, b in KNOWN_CYCLE_EDGES if b in graph.get(a, ())}
    assert still_there == KNOWN_CYCLE_EDGES, "gone: take them off KNOWN_CYCLE_EDGES"
    for a, b in KNOWN_CYCLE_EDGES:
        graph[a].discard(b)
    assert cycles(graph) == []


def test_cycle_search_sees_imports_in_functions_but_not_type_checking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "cyclepkg"
    package.mkdir()
    files = {
        "__init__.py": "",
        # a -> b at the top, b -> a inside a function: a cycle all the same.
        "a.py": "from cyclepkg import b\n",
        "b.py": "def f():\n    from cyclepkg import a\n    return a\n",
        # c -> d at the top, d -> c for types only: not a cycle.
        "c.py": "import cyclepkg.d\n",
        "d.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclepkg import c\n"
        ),
    }
    for name, source in files.items():
        (package / name).write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cycles(import_graph("cyclepkg")) == [["cyclepkg.a", "cyclepkg.b"]]


def test_cycles_are_found_however_long() -> None:
    ring = {"a": ["b"], "b": ["c"], "c": ["d"], "d": ["a"], "e": ["a"], "f": []}
    assert cycles(ring) == [["a", "b", "c", "d"]]
    assert cycles({"a": ["b"], "b": ["c"], "c": []}) == []


# ------------------------------------------------------------------------ contracts


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package found under ``root``, with the project's contracts."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_import_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # Standard library modules count, and an import inside a function counts.
        ("core/engine.py", "    import sqlite3", "The core is pure"),
        ("core/plan.py", "    import subprocess", "The core is pure"),
        ("core/routine.py", "    import asyncio", "The core is pure"),
        ("core/progression.py", "    from rich.text import Text", "The core is pure"),
        ("core/engine.py", "    import textual.app", "The core is pure"),
        ("core/plan.py", "    from backtimer.session import runner", "Layers"),
        ("history/db.py", "    from backtimer.tui import app", "Session, history, files"),
        ("files/catalog.py", "    import backtimer.plain", "Session, history, files"),
        ("remote/server.py", "    import textual.app", "Session, history, files"),
        ("remote/state.py", "    from backtimer.tui import app", "Layers"),
        ("tui/screens/pain.py", "    from backtimer.tui import app", "No screen"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    copy = tmp_path / "backtimer"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    source = target.read_text(encoding="utf-8")
    target.write_text(
        source + "\n\ndef _added_for_the_test():\n" + line + "\n",
        encoding="utf-8",
    )
    done = lint_imports(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = [text for text in done.stdout.splitlines() if " BROKEN" in text]
    assert any(text.startswith(contract) for text in broken), done.stdout
