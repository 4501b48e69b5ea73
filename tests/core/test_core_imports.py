"""The functional core (``backtimer.core``), the routine loader and the session runner never
import textual or rich; the core imports nothing of backtimer outside ``backtimer.core``.

import-linter's contracts (``pyproject.toml``) check the layers statically in CI; this test
keeps a second, independent check that runs with the suite.

Checked two ways: by importing the core in a fresh interpreter and looking at ``sys.modules``,
and by reading every import statement in the core's source (including ones inside functions,
which an import test would miss until the function runs).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import backtimer

PACKAGE = Path(backtimer.__file__).resolve().parent
#: Every module of the pure core, found on disk so a new one is checked too.
CORE = tuple(sorted(f"core.{p.stem}" for p in (PACKAGE / "core").glob("*.py")))
#: Modules outside the core that must not load a UI library either.
UI_FREE = (*CORE, "files.routine_load", "session.runner")
FORBIDDEN = ("textual", "rich")
#: What the core may import from backtimer itself: only other core modules.
ALLOWED_OWN = {"backtimer", "backtimer.core", *(f"backtimer.{name}" for name in CORE)}


def test_importing_the_core_loads_no_ui_library() -> None:
    code = (
        "import json, sys\n"
        + "".join(f"import backtimer.{name}\n" for name in UI_FREE)
        + "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(done.stdout)
    assert all(f"backtimer.{name}" in loaded for name in UI_FREE)
    ui = [m for m in loaded if m.split(".")[0].startswith(FORBIDDEN)]
    assert ui == []


def imported_modules(source: str) -> list[str]:
    """Every module an import statement in ``source`` names, wherever the statement is."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = f"backtimer.{module}".rstrip(".")
            if module == "backtimer":
                # ``from backtimer import app`` imports the module backtimer.app.
                found += [
                    f"backtimer.{alias.name}"
                    for alias in node.names
                    if not alias.name.startswith("__")
                ] or ["backtimer"]
            else:
                found.append(module)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("import_module", "__import__"):
                found.append("<dynamic import>")
    return found


def problems_in(source: str) -> list[str]:
    bad = []
    for module in imported_modules(source):
        top = module.split(".")[0]
        ui = module == "<dynamic import>" or top.startswith(FORBIDDEN)
        if ui or (top == "backtimer" and module not in ALLOWED_OWN):
            bad.append(module)
    return bad


@pytest.mark.parametrize("name", ["__init__", *CORE])
def test_core_source_imports_no_ui_library(name: str) -> None:
    source = (PACKAGE / f"{name.replace('.', '/')}.py").read_text(encoding="utf-8")
    if name not in ("__init__", "core.__init__"):
        assert imported_modules(source)  # the scan sees the file's imports at all
    assert problems_in(source) == []


def test_the_scan_finds_imports_hidden_in_functions() -> None:
    source = (
        "import os\n"
        "def f():\n"
        "    import rich.text\n"
        "    from textual.app import App\n"
        "    from backtimer import app\n"
        "    from backtimer.session.cues import Player\n"
        "    importlib.import_module('x')\n"
    )
    assert sorted(problems_in(source)) == [
        "<dynamic import>",
        "backtimer.app",
        "backtimer.session.cues",
        "rich.text",
        "textual.app",
    ]
