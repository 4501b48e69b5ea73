"""What a command imports before it answers (module lists, no timing).

``--version`` and ``--help`` answer from the argument parser alone: no Textual, pydantic or
sqlite3. A command's module is imported only when it is run, and ``backtimer --help`` lists
every command all the same.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from backtimer.cli.main import COMMANDS, build_parser
from tests.python_child import python_output

HEAVY = ("textual", "pydantic", "sqlite3", "_sqlite3", "rich")


def imported_modules(*args: str) -> set[str]:
    """The modules ``python -m backtimer ARGS`` imports, from ``-X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "backtimer", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    assert "backtimer.cli.main" in modules  # the listing was read
    return modules


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--version"]])
def test_version_and_help_import_nothing_heavy(args: list[str]) -> None:
    assert not top_level(imported_modules(*args)) & set(HEAVY)


def test_a_command_imports_only_its_own_module() -> None:
    modules = imported_modules("schema", "--help")
    others = {module for module, _ in COMMANDS.values()}
    assert not modules & others
    assert not top_level(modules) & {"textual", "sqlite3", "_sqlite3"}


def test_check_does_not_import_the_app_or_the_history() -> None:
    modules = imported_modules("check", "--help")
    assert not top_level(modules) & {"textual", "sqlite3", "_sqlite3"}


def test_the_listing_is_the_same_whatever_command_is_chosen() -> None:
    """``--help`` lists the lazily imported commands with the words of their own modules."""
    full = build_parser().format_help()
    for chosen in ("", "check", "run", "history", "edit"):
        assert build_parser(chosen).format_help() == full


def test_pydantic_plugins_are_not_scanned() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, backtimer.cli.main; print(os.environ['PYDANTIC_DISABLE_PLUGINS'])",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.stdout.strip() == "__all__"


def screens_imported(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(*sorted(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return {m for m in result.stdout.split() if m.startswith("backtimer.tui.screens.")}


def test_the_app_imports_each_screen_where_it_is_first_shown() -> None:
    """The app's module imports no screen: ``run`` needs the session screen (its pain and
    confirm dialogs come after its first frame, see the next test), the picker its own
    module; settings, history, summary, help and the level offer are imported when they
    are opened."""
    assert screens_imported("import backtimer.tui.app") == set()
    picker = screens_imported("import backtimer.tui.app, backtimer.tui.screens.picker")
    assert picker == {"backtimer.tui.screens.picker"}
    session = screens_imported("import backtimer.tui.app, backtimer.tui.screens.session")
    assert session == {"backtimer.tui.screens.session"}


def test_the_picker_reads_the_history_only_after_its_first_frame() -> None:
    """The picker's levels are read from the history after its first frame: its module
    (and the app's) load none of the history's code, nor sqlite3."""
    loaded = python_output(
        "import sys, backtimer.tui.app, backtimer.tui.screens.picker; print(*sys.modules)"
    ).split()
    assert not {m for m in loaded if m.startswith("backtimer.history")}
    assert not {"sqlite3", "_sqlite3"} & set(loaded)


def test_the_session_screen_has_its_dialogs_once_it_is_shown(tmp_path) -> None:
    """A pain stop or a quit shows its dialog without an import: the session screen loads
    them just after its first frame."""
    code = """
import asyncio, sys
from backtimer.files import catalog
from backtimer.files.config import Config
from backtimer.tui.app import make_app

async def main():
    app = make_app(catalog.resolve("desk-break"), config=Config(), tick_interval=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        print(type(app.screen).__name__)
        print(*sorted(m for m in sys.modules if m.startswith("backtimer.tui.screens.")))

asyncio.run(main())
"""
    env = {
        **os.environ,
        "BACKTIMER_AUDIO": "none",
        "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
        "BACKTIMER_DATA_DIR": str(tmp_path / "data"),
        "BACKTIMER_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    shown, modules = result.stdout.splitlines()[-2:]
    assert shown == "SessionScreen"
    assert {"backtimer.tui.screens.pain", "backtimer.tui.screens.confirm"} <= set(modules.split())


PICKER_FIRST_FRAME = """
import asyncio, sys
from backtimer.files.config import Config
from backtimer.tui.app import make_app

async def main():
    app = make_app(None, config=Config(), tick_interval=None, offer_resume=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print(type(app.screen).__name__)
        print(*sorted(m for m in sys.modules if m.startswith("backtimer.")))

asyncio.run(main())
"""


@pytest.mark.parametrize("history", [False, True])
def test_the_picker_loads_the_session_code_only_to_look_for_a_resume(tmp_path, history) -> None:
    """At a first start ever (nothing in the data dir) the picker's first frame loads none
    of the session's code (controller, launch): there is no session to offer to resume.
    With something in the data dir the resume is looked for, as ever."""
    data = tmp_path / "data"
    if history:
        data.mkdir()
        (data / "history.sqlite3").write_bytes(b"")  # not a history: looked at all the same
    env = {
        **os.environ,
        "BACKTIMER_AUDIO": "none",
        "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
        "BACKTIMER_DATA_DIR": str(data),
        "BACKTIMER_CACHE_DIR": str(tmp_path / "cache"),
    }
    shown, modules = python_output(PICKER_FIRST_FRAME, env=env, timeout=120).splitlines()[-2:]
    assert shown == "PickerScreen"
    session_code = {"backtimer.session.launch", "backtimer.session.controller"}
    if history:
        assert "backtimer.session.launch" in modules.split()  # its find_resume
    else:
        assert not session_code & set(modules.split())


WARM_START = """
import asyncio, gc, sys
gc.disable()  # as backtimer.cli.main does at start
import backtimer.cli.main  # noqa: F401 - what the command line sets up first
from backtimer.files import catalog
from backtimer.tui.app import make_app

name = sys.argv[1]
entry = catalog.resolve(name) if name else None
if entry is not None:
    import backtimer.tui.screens.session  # noqa: F401
else:
    import backtimer.tui.screens.picker  # noqa: F401

async def main():
    app = make_app(entry, bell=False, voice=False, record=True, tick_interval=None)
    notes = list(app.notes)  # the settings' problems, shown as notices once it runs
    async with app.run_test(size=(100, 30)):
        # The first screen is up: what was imported to show it.
        print(type(app.screen).__name__, "settings:", app.config.countdown, *notes)
        print(*sorted(m for m in sys.modules if m.split(".")[0] == "pydantic"
                      or m in ("backtimer.core.schema", "backtimer.files.config_schema")))
        app.exit(0)

asyncio.run(main())
"""


def warm_start_modules(name: str) -> tuple[str, set[str]]:
    """(the first screen and settings, pydantic's and the schemas' modules loaded by then)
    for ``backtimer run NAME`` ("": the picker), with the cache and settings as they are."""
    output = python_output(
        WARM_START, name, env={**os.environ, "BACKTIMER_AUDIO": "none"}, timeout=120
    )
    shown, modules = output.splitlines()[-2:]
    return shown, set(modules.split())


@pytest.mark.parametrize("name", ["desk-break", ""], ids=["run", "picker"])
def test_a_warm_start_imports_no_pydantic(name: str, isolated_dirs: dict[str, Any]) -> None:
    """With the routines and the settings file checked before (the cache of checked
    routines, the settings kept by their bytes), ``run ROUTINE`` and the picker reach their
    first screen without pydantic: the routine is plain dataclasses, and so are the
    settings. A settings file that changed is validated again (pydantic, once)."""
    config = isolated_dirs["config"] / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('countdown = 5\nrest = "4s"\n[keymap]\npain_stop = "p"\n', encoding="utf-8")
    cold = subprocess.run(
        [sys.executable, "-m", "backtimer", "list"], capture_output=True, text=True, timeout=120
    )
    assert cold.returncode == 0, cold.stderr  # checks every routine, and reads the settings
    screen = "SessionScreen" if name else "PickerScreen"
    assert warm_start_modules(name) == (f"{screen} settings: 5", set())
    # Edited: validated again (its mistake reported as ever), then kept.
    config.write_text("countdown = 50\n", encoding="utf-8")
    shown, modules = warm_start_modules(name)
    assert shown.startswith(f"{screen} settings: 3 ")
    assert "config.toml:1: countdown: expected a whole number from 0 to 10" in shown
    assert "pydantic" in modules and "backtimer.files.config_schema" in modules
    assert warm_start_modules(name) == (shown, set())


def modules_imported(code: str, prefix: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(*sorted(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return {m for m in result.stdout.split() if m.startswith(prefix)}


def test_the_first_frame_needs_no_sound_output() -> None:
    """The app's player is made once the first frame is on the screen (LatePlayer): the
    sound device's modules (the mixer, the output, miniaudio) load then, not before."""
    code = "import backtimer.cli.run, backtimer.tui.app, backtimer.tui.screens.session"
    output = {"backtimer.sound.player", "backtimer.sound.mixer", "backtimer.sound.output"}
    assert not modules_imported(code, "backtimer.sound.") & output
    assert not modules_imported(code, "miniaudio")
    # ... and they are there once a player is made.
    made = modules_imported(
        "import os\nos.environ['BACKTIMER_AUDIO'] = 'none'\n"
        "from backtimer.session.cues import default_player\n"
        "default_player(lambda: None, voice=False, bell=False).close()",
        "backtimer.sound.",
    )
    assert "backtimer.sound.player" in made


FIRST_FRAME = """
import asyncio, sys
import backtimer.cli.main  # noqa: F401 - what the command line sets up first
from backtimer.files import catalog
from backtimer.tui.app import BacktimerApp, make_app

name = sys.argv[1]
entry = catalog.resolve(name) if name else None
loaded = []
first_frame = BacktimerApp._first_frame

def at_first_frame(app):
    if not loaded:
        loaded.append(type(app.screen).__name__)
        loaded.append(" ".join(sorted(sys.modules)))
    first_frame(app)

BacktimerApp._first_frame = at_first_frame

async def main():
    app = make_app(entry, bell=False, voice=False, record=True, tick_interval=None)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(10):
            await pilot.pause()
            if loaded:
                break
        app.exit(0)
    print(*loaded, sep="\\n")

asyncio.run(main())
"""


@pytest.mark.parametrize("name", ["desk-break", ""], ids=["run", "picker"])
def test_what_waits_for_the_first_frame_is_not_loaded_before_it(
    name: str, isolated_dirs: dict[str, Any]
) -> None:
    """A warm start (the routines checked before) reaches its first frame without the
    TOML reader and writer (nothing to parse, nothing to save) and, for a session, without
    its dialogs (loaded just after the frame, see the test above)."""
    warm = subprocess.run(
        [sys.executable, "-m", "backtimer", "list"], capture_output=True, text=True, timeout=120
    )
    assert warm.returncode == 0, warm.stderr
    output = python_output(
        FIRST_FRAME, name, env={**os.environ, "BACKTIMER_AUDIO": "none"}, timeout=120
    )
    shown, modules = output.splitlines()[-2:]
    assert shown == ("SessionScreen" if name else "PickerScreen")
    loaded = set(modules.split())
    assert "backtimer.tui.app" in loaded
    assert not loaded & {"tomllib", "tomli_w", "pydantic"}
    if name:
        assert not loaded & {"backtimer.tui.screens.pain", "backtimer.tui.screens.confirm"}
