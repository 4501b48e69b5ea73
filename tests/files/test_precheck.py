"""Routines checked in a child process while the full-screen app starts (files.precheck): the
same routine as checked here, and whatever goes wrong with the child, the routine is checked
here as without it, with the same messages; no child is ever left running."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from backtimer.cli import main as cli_main
from backtimer.files import cache as cache_module
from backtimer.files import catalog, precheck
from backtimer.files.routine_load import RoutineError
from tests.files.routine_reads import routine_reads
from tests.python_child import python_output

ROUTINE = 'name = "Beside"\n[[exercises]]\nname = "Knee to chest"\nhold = "20s"\nreps = 2\n'
INVALID = 'name = "Broken"\n[[exercises]]\nname = "Knee to chest"\nhold = "soon"\n'


@pytest.fixture(autouse=True)
def no_child_left(monkeypatch: pytest.MonkeyPatch):
    """Every test ends with no child: the one it started is stopped and reaped. A child
    that works is waited for as long as it takes (a busy machine is no failure)."""
    monkeypatch.setattr(precheck, "TIMEOUT", 120.0)
    yield
    found = precheck._current
    precheck.stop()
    assert precheck.current() is None
    if found is not None:
        assert found.process is None


def child_code(monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """The child runs ``code`` instead of checking (its arguments are the same)."""
    monkeypatch.setattr(precheck, "CHILD_CODE", code)


@pytest.fixture
def routine_file(tmp_path: Path) -> Path:
    path = tmp_path / "beside.toml"
    path.write_text(ROUTINE, encoding="utf-8")
    return path


def test_the_child_gives_the_routine_checked_here(routine_file: Path, monkeypatch) -> None:
    here = catalog.load_entry(routine_file, "path")  # no cache: checked in this process
    started = precheck.start_for(str(routine_file))
    assert started is not None
    process = started.process
    seen = routine_reads(monkeypatch)
    entry = catalog.resolve(str(routine_file))
    assert seen == []  # read from the cache the child wrote
    assert entry.routine == here.routine and entry.routine is not None
    assert (entry.key, entry.path, entry.origin) == (here.key, here.path, here.origin)
    assert precheck.current() is None  # done with its only file: stopped and reaped
    assert process is not None and process.returncode == 0


def test_a_cached_routine_starts_no_child(routine_file: Path) -> None:
    catalog.resolve(str(routine_file))
    assert precheck.start_for(str(routine_file)) is None
    assert precheck.start_for("no-such-routine") is None


def test_the_picker_routines_are_checked_in_its_order(user_routines: Path, monkeypatch) -> None:
    (user_routines / "mine.toml").write_text(ROUTINE, encoding="utf-8")
    (user_routines / "broken.toml").write_text(INVALID, encoding="utf-8")
    started = precheck.start_for(None)
    assert started is not None
    listed = catalog.listed_entries()
    assert [e.key for e in listed][:2] == ["broken", "mine"]
    assert list(started.order) == [str(e.path.absolute()) for e in listed]
    seen = routine_reads(monkeypatch)
    checked = [catalog.check_entry(e, catalog.RoutineCache()) for e in listed]
    assert seen == [user_routines / "broken.toml"]  # errors are never cached: said here
    assert checked[0].problems and all(e.valid for e in checked[1:])
    assert precheck.current() is None
    # The next start lists every valid one from the listings file the child wrote.
    again = {e.key: e.listing for e in catalog.listed_entries()}
    assert again["mine"] == ("Beside", 1, checked[1].routine.total_seconds())  # type: ignore[union-attr]
    assert again["broken"] is None
    assert precheck.start_for(None) is not None  # the invalid one is checked again


@pytest.mark.parametrize(
    ("code", "returncode"),
    [
        ("import sys; sys.exit(3)", 3),  # fails at once
        ("import sys; sys.stdout.write('garbage\\n'); sys.stdout.flush()", 0),  # nonsense
        ("import os; os.kill(os.getpid(), 9)", -9),  # is killed
    ],
)
def test_a_failing_child_falls_back_to_checking_here(
    routine_file: Path, monkeypatch, code: str, returncode: int
) -> None:
    child_code(monkeypatch, code)
    started = precheck.start_for(str(routine_file))
    assert started is not None
    process = started.process
    seen = routine_reads(monkeypatch)
    entry = catalog.resolve(str(routine_file))
    assert seen == [routine_file]
    assert entry.routine is not None and entry.routine.name == "Beside"
    assert precheck.current() is None and process is not None
    assert process.returncode == returncode  # reaped


def test_a_hanging_child_is_killed_and_the_routine_checked_here(
    routine_file: Path, monkeypatch
) -> None:
    child_code(monkeypatch, "import time; time.sleep(60)")
    monkeypatch.setattr(precheck, "TIMEOUT", 0.05)
    started = precheck.start_for(str(routine_file))
    assert started is not None
    process = started.process
    seen = routine_reads(monkeypatch)
    entry = catalog.resolve(str(routine_file))
    assert seen == [routine_file] and entry.routine is not None
    assert process is not None and process.returncode == -9  # killed, and reaped


def test_a_child_killed_from_outside_falls_back(routine_file: Path, monkeypatch) -> None:
    child_code(monkeypatch, "import time; time.sleep(60)")
    started = precheck.start_for(str(routine_file))
    assert started is not None and started.process is not None
    started.process.kill()
    seen = routine_reads(monkeypatch)
    assert catalog.resolve(str(routine_file)).routine is not None
    assert seen == [routine_file]


def test_a_child_that_cannot_start_is_no_child(routine_file: Path, monkeypatch) -> None:
    monkeypatch.setattr(precheck.sys, "executable", str(routine_file.parent / "no-python"))
    assert precheck.start_for(str(routine_file)) is None
    seen = routine_reads(monkeypatch)
    assert catalog.resolve(str(routine_file)).routine is not None
    assert seen == [routine_file]


def test_a_cache_that_cannot_be_written_falls_back(
    routine_file: Path, monkeypatch, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("BACKTIMER_CACHE_DIR", str(blocked))
    started = precheck.start_for(str(routine_file))
    assert started is not None
    seen = routine_reads(monkeypatch)
    assert catalog.resolve(str(routine_file)).routine is not None
    assert seen == [routine_file]
    assert not (blocked.parent / cache_module.CACHE_FOLDER).exists()


def test_an_invalid_routine_says_the_same_either_way(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(INVALID, encoding="utf-8")
    with pytest.raises(RoutineError) as here:
        catalog.resolve(str(path))
    assert precheck.start_for(str(path)) is not None
    with pytest.raises(RoutineError) as beside:
        catalog.resolve(str(path))
    assert str(beside.value) == str(here.value) and "broken.toml:4" in str(here.value)


def test_run_says_an_invalid_routine_as_plain_does(tmp_path: Path, monkeypatch, capsys) -> None:
    """``run`` full screen (the child started) and ``run --plain`` (none): the same located
    messages on stderr, exit 1, and no child left."""
    from backtimer.cli import run as run_module

    path = tmp_path / "broken.toml"
    path.write_text(INVALID, encoding="utf-8")
    started: list[precheck.Precheck | None] = []
    start_for = precheck.start_for

    def recording(name: str | None) -> precheck.Precheck | None:
        started.append(start_for(name))
        return started[-1]

    monkeypatch.setattr(precheck, "start_for", recording)
    monkeypatch.setattr(run_module, "_full_screen", lambda args: True)
    assert cli_main.main(["run", str(path)]) == 1
    full = capsys.readouterr()
    monkeypatch.setattr(run_module, "_full_screen", lambda args: False)
    assert cli_main.main(["run", str(path), "--plain"]) == 1
    plain = capsys.readouterr()
    assert (full.out, full.err) == (plain.out, plain.err) and "broken.toml:4" in full.err
    assert len(started) == 1 and started[0] is not None
    assert started[0].process is None  # waited for, stopped and reaped


def test_stop_kills_and_reaps_a_running_child(routine_file: Path, monkeypatch) -> None:
    child_code(monkeypatch, "import time; time.sleep(60)")
    started = precheck.start_for(str(routine_file))
    assert started is not None and started.process is not None
    process: subprocess.Popen[bytes] = started.process
    precheck.stop()  # as at exit
    assert process.returncode == -9 and precheck.current() is None
    assert not precheck.wait_for(routine_file)  # none: nothing to wait for


def test_a_routine_far_down_the_list_is_not_waited_for(tmp_path: Path, monkeypatch) -> None:
    """The picker asks for a routine far after the last the child has done: it is checked
    here at once, and the child goes on with the others."""
    files = []
    for number in range(precheck.AHEAD + 2):
        path = tmp_path / f"r{number:02d}.toml"
        path.write_text(ROUTINE, encoding="utf-8")
        files.append(path)
    child_code(monkeypatch, "import time; time.sleep(60)")
    started = precheck.start(files)
    assert started is not None
    seen = routine_reads(monkeypatch)
    assert catalog.load_entry(files[-1], "user", catalog.RoutineCache()).valid
    assert seen == [files[-1]] and precheck.current() is started  # still running
    assert not started.wait_for(files[0], timeout=0.01)  # a near one is waited for, then
    assert precheck.current() is None  # it was stopped


def test_one_processor_starts_no_child(routine_file: Path, monkeypatch) -> None:
    """With one processor to run on, a child would only take turns with this process."""
    monkeypatch.setattr(precheck.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert precheck.start_for(str(routine_file)) is None
    seen = routine_reads(monkeypatch)
    assert catalog.resolve(str(routine_file)).routine is not None and seen == [routine_file]


def test_a_file_that_is_not_there_starts_no_child(tmp_path: Path) -> None:
    """A path to no file: nothing for a child to check (the error is said at once)."""
    assert precheck.start_for(str(tmp_path / "missing.toml")) is None


@pytest.mark.parametrize("name", ["no-such-routine", "missing.toml"])
def test_run_of_no_routine_says_so_before_loading_the_app(
    name: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    """``run`` full screen of a routine that is not there: said as before, without first
    importing the app (its import waits for no child checking anything)."""
    import sys

    from backtimer.cli import run as run_module

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run_module, "_full_screen", lambda args: True)
    monkeypatch.setitem(sys.modules, "backtimer.tui.app", None)  # importing it fails
    assert cli_main.main(["run", name]) == 1
    err = capsys.readouterr().err
    assert "no routine or file of that name" in err or "missing.toml" in err
    assert "Traceback" not in err


def test_the_child_compiles_only_the_methods_it_calls(routine_file: Path) -> None:
    """The child makes the routine's dataclasses with the lazy store (as the app does): a
    method it never calls, such as a repr, is never compiled there."""
    code = (
        "import os, sys\n"
        "from backtimer.files import precheck\n"
        "os._exit = lambda code: sys.exit(code)\n"  # to look at the process afterwards
        "try:\n"
        "    precheck.child(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "from backtimer.core.routine import Routine\n"
        "print('subprocess' in sys.modules)\n"
        "print(Routine.__repr__.__wrapped__.__code__.co_filename)\n"
    )
    out = python_output(code, str(routine_file)).split()
    assert out[0] == "0"  # done with its file
    assert out[-1] != "<string>"  # not compiled: the stand-in
    assert out[-2] == "False"  # nor is subprocess imported there (only its parent needs it)


def test_a_child_nobody_waits_for_is_reaped_when_it_ends(routine_file: Path) -> None:
    """The picker covered by another screen before its first frame never asks for its
    routines: the child, done with them, is reaped all the same (no zombie for the whole
    session), and the cache it wrote is used as ever."""
    started = precheck.start_for(str(routine_file))
    assert started is not None and started.process is not None
    process = started.process
    deadline = time.monotonic() + 60  # a bound for a busy machine, not a timing
    while process.returncode is None and time.monotonic() < deadline:
        time.sleep(0.02)  # nothing here waits for it: only the reaper sets returncode
    assert process.returncode == 0
    assert not Path(f"/proc/{process.pid}").exists()  # no zombie
    assert catalog.resolve(str(routine_file)).routine is not None


def test_pending_never_waits_and_gives_up_on_a_silent_child(
    routine_file: Path, monkeypatch
) -> None:
    """pending() says whether the child is still to be done with a file, without waiting;
    a child silent for TIMEOUT seconds is stopped (then nothing is pending: checked here)."""
    child_code(monkeypatch, "import time; time.sleep(60)")
    started = precheck.start_for(str(routine_file))
    assert started is not None and started.process is not None
    process = started.process
    assert precheck.pending(routine_file)  # busy, heard from less than TIMEOUT ago
    assert not precheck.pending(routine_file.parent / "other.toml")  # not its file
    assert precheck.current() is started
    monkeypatch.setattr(precheck, "TIMEOUT", 0.0)  # now silent for longer than that
    assert not precheck.pending(routine_file)
    assert precheck.current() is None and process.returncode == -9  # stopped, reaped


def test_pending_ends_when_the_child_is_done(routine_file: Path, monkeypatch) -> None:
    started = precheck.start_for(str(routine_file))
    assert started is not None
    deadline = time.monotonic() + 60  # a bound for a busy machine, not a timing
    while precheck.pending(routine_file) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not precheck.pending(routine_file)
    seen = routine_reads(monkeypatch)
    assert catalog.resolve(str(routine_file)).routine is not None
    assert seen == []  # from the cache the child wrote


#: Runs cli.main with ``sys.argv[1:]`` (full screen, Textual's app made unimportable: it stops
#: there) and prints, in order, what happened: the child started (or not), the compiled-method
#: store installed, and each dataclass made without the store (those made with it are left out).
ORDER = """\
import contextlib, dataclasses, io, sys
from backtimer.files import dataclass_code, precheck
out, events = sys.stdout, []
make = dataclasses._process_class
def process_class(*args, **kwargs):
    events.append("made" if dataclass_code.installed() else "made-unstored")
    return make(*args, **kwargs)
dataclasses._process_class = process_class
start, install = precheck.start, dataclass_code.install
def starting(*args, **kwargs):
    found = start(*args, **kwargs)
    events.append("child" if found is not None else "no-child")
    return found
def installing(**kwargs):
    events.append("store")
    return install(**kwargs)
precheck.start, dataclass_code.install = starting, installing
from backtimer.cli import main, run
run._full_screen = lambda args: True
class Terminal(io.StringIO):
    def isatty(self):
        return True
sys.stdin = sys.stdout = Terminal()
sys.modules["backtimer.tui.app"] = None
with contextlib.suppress(ImportError):
    main.main(sys.argv[1:])
precheck.stop()
print(" ".join(e for e in events if e != "made"), file=out)
"""


@pytest.mark.parametrize("words", [["run", "ROUTINE"], []], ids=["run", "picker"])
def test_the_child_starts_before_the_store_of_compiled_methods(
    words: list[str], routine_file: Path, tmp_path: Path
) -> None:
    """run and the picker start their child first (its imports and checks overlap this
    process's), then install the store: no dataclass is made before it, nor without it."""
    import os

    args = [str(routine_file) if word == "ROUTINE" else word for word in words]
    env = {
        **os.environ,
        "BACKTIMER_CACHE_DIR": str(tmp_path / "cache"),
        "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
        "BACKTIMER_DATA_DIR": str(tmp_path / "data"),
    }
    assert python_output(ORDER, *args, env=env).split() == ["child", "store"]


def test_other_commands_install_the_store_before_their_modules(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "BACKTIMER_CACHE_DIR": str(tmp_path / "cache")}
    assert python_output(ORDER, "plan", "desk-break", env=env).split() == ["store"]


def test_the_child_collects_no_garbage_from_its_first_line(tmp_path: Path) -> None:
    """CHILD_CODE turns the collector off before it imports anything of backtimer (a
    stand-in package here says what it finds)."""
    files = tmp_path / "backtimer" / "files"
    files.mkdir(parents=True)
    (tmp_path / "backtimer" / "__init__.py").write_text("", encoding="utf-8")
    (files / "__init__.py").write_text("", encoding="utf-8")
    (files / "precheck.py").write_text(
        "import gc\ndef child(names):\n    print(gc.isenabled(), *names)\n", encoding="utf-8"
    )
    out = python_output(precheck.CHILD_CODE, str(tmp_path), "--", "a.toml", "b.toml")
    assert out.split() == ["False", "a.toml", "b.toml"]


#: run with its routine in the cache or not: which of the session's modules are loaded
#: before the routine is resolved (the app is imported here, to stop at run_app).
RESOLVE_ORDER = """\
import contextlib, io, sys
from backtimer.files import catalog, precheck
out, events = sys.stdout, []
resolve = catalog.resolve
def resolving(name):
    for module in ("backtimer.session.launch", "backtimer.session.controller",
                   "backtimer.tui.screens.session"):
        events.append(module.rsplit(".", 1)[1] if module in sys.modules else "-")
    return resolve(name)
catalog.resolve = resolving
import backtimer.tui.app as app
class Stop(Exception):
    pass
def run_app(*args, **kwargs):
    raise Stop
app.run_app = run_app
from backtimer.cli import main, run
run._full_screen = lambda args: True
class Terminal(io.StringIO):
    def isatty(self):
        return True
sys.stdin = sys.stdout = Terminal()
with contextlib.suppress(Stop):
    main.main(sys.argv[1:])
precheck.stop()
print(" ".join(events), file=out)
"""


def test_at_a_first_start_run_loads_the_session_code_while_the_child_checks(
    routine_file: Path, tmp_path: Path
) -> None:
    """With a child checking the routine, run imports the app and then the session's own
    code (tui.app.load_session_code) before it waits for the routine: the first frame needs
    them, and the wait goes to them. With the routine already checked (no child), nothing
    is loaded ahead: the routine is read at once (an error in it is said at once)."""
    import os

    env = {
        **os.environ,
        "BACKTIMER_CACHE_DIR": str(tmp_path / "cache"),
        "BACKTIMER_CONFIG_DIR": str(tmp_path / "config"),
        "BACKTIMER_DATA_DIR": str(tmp_path / "data"),
    }
    first = python_output(RESOLVE_ORDER, "run", str(routine_file), env=env).split()
    assert first == ["launch", "controller", "session"]
    # The child has filled the cache: the next start has none, and loads nothing ahead.
    again = python_output(RESOLVE_ORDER, "run", str(routine_file), env=env).split()
    assert again == ["-", "-", "-"]
