"""The cache of checked routines: a file unchanged since it was checked is not read again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backtimer.core.routine import Routine
from backtimer.files import cache as cache_module
from backtimer.files import catalog
from tests.files.routine_reads import routine_reads

ROUTINE = 'name = "Cached"\n[[exercises]]\nname = "Knee to chest"\nhold = "20s"\n'


@pytest.fixture
def folder(user_routines: Path) -> Path:
    (user_routines / "one.toml").write_text(ROUTINE, encoding="utf-8")
    (user_routines / "two.toml").write_text(ROUTINE.replace("Cached", "Second"), "utf-8")
    return user_routines


def test_unchanged_files_come_from_the_cache(folder: Path, monkeypatch, isolated_dirs) -> None:
    first = catalog.all_entries()
    assert len(list((isolated_dirs["cache"] / cache_module.CACHE_FOLDER).iterdir())) >= 2
    seen = routine_reads(monkeypatch)
    again = catalog.all_entries()
    assert seen == []
    assert [(e.key, e.origin, e.routine) for e in again] == [
        (e.key, e.origin, e.routine) for e in first
    ]


def test_a_changed_file_is_checked_again(folder: Path, monkeypatch) -> None:
    catalog.all_entries()
    seen = routine_reads(monkeypatch)
    path = folder / "one.toml"
    stat = path.stat()
    path.write_text(ROUTINE.replace("Cached", "Edited"), encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # even with the same mtime
    entries = {e.key: e for e in catalog.all_entries()}
    assert seen == [path]
    assert entries["one"].routine.name == "Edited"  # type: ignore[union-attr]


def test_files_with_errors_are_never_cached(folder: Path, monkeypatch) -> None:
    (folder / "bad.toml").write_text(ROUTINE + "hodl = 1\n", encoding="utf-8")
    catalog.all_entries()
    seen = routine_reads(monkeypatch)
    entries = {e.key: e for e in catalog.all_entries()}
    assert seen == [folder / "bad.toml"]
    assert entries["bad"].problems


def test_a_broken_or_foreign_cache_is_ignored(folder: Path, isolated_dirs, monkeypatch) -> None:
    cache = catalog.RoutineCache()
    cache.folder.mkdir(parents=True, exist_ok=True)
    cache.file_of(cache.key(folder / "one.toml")).write_bytes(b"not a pickle at all")
    cache.file_of(cache.key(folder / "two.toml")).write_bytes(b"\x80\x05N.")  # None
    assert {e.key for e in catalog.all_entries() if e.valid} >= {"one", "two"}
    seen = routine_reads(monkeypatch)
    catalog.all_entries()
    assert seen == []  # rewritten, good this time


def test_an_unwritable_cache_folder_is_not_an_error(folder: Path, tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("BACKTIMER_CACHE_DIR", str(blocker / "cache"))
    assert {e.key for e in catalog.all_entries() if e.valid} >= {"one", "two"}


def test_listed_entries_check_nothing_new(folder: Path, monkeypatch) -> None:
    seen = routine_reads(monkeypatch)
    listed = {e.key: e for e in catalog.listed_entries()}
    assert seen == []
    assert listed["one"].pending and listed["one"].routine is None
    checked = catalog.check_entry(listed["one"])
    assert checked.routine is not None and not checked.pending
    catalog.all_entries()  # checks and caches them all
    seen.clear()
    listed = {e.key: e for e in catalog.listed_entries()}
    # Listed from the cache's summaries alone: every routine is read when it is needed.
    assert all(e.pending and e.listing is not None for e in listed.values())
    routine = catalog.check_entry(listed["two"], catalog.RoutineCache()).routine
    assert routine is not None and routine.name == "Second"
    assert listed["two"].listing == ("Second", 1, routine.total_seconds())
    assert seen == []  # from the cache: nothing read and validated again


def test_listed_entries_read_no_whole_routine(folder: Path, monkeypatch) -> None:
    """The list comes from the cached summaries: no routine is unpickled or validated."""
    catalog.all_entries()
    seen = routine_reads(monkeypatch)
    whole: list[object] = []
    original = cache_module.pickle.loads

    def loads(data, *args, **kwargs):
        found = original(data, *args, **kwargs)
        if isinstance(found, Routine):
            whole.append(found)
        return found

    monkeypatch.setattr(cache_module.pickle, "loads", loads)
    listed = catalog.listed_entries()
    assert seen == [] and whole == []
    assert {e.listing[0] for e in listed if e.listing is not None} >= {"Cached", "Second"}
    one = next(e for e in listed if e.key == "one")
    routine = catalog.check_entry(one, catalog.RoutineCache()).routine
    assert whole == [routine] and seen == []  # read when it is needed, from the cache


def test_a_changed_file_is_listed_without_a_summary(folder: Path, monkeypatch) -> None:
    catalog.all_entries()
    (folder / "one.toml").write_text(ROUTINE + "hodl = 1\n", encoding="utf-8")
    seen = routine_reads(monkeypatch)
    listed = {e.key: e for e in catalog.listed_entries()}
    assert listed["one"].pending and listed["one"].listing is None  # to check
    assert listed["two"].listing is not None
    assert seen == []
    checked = catalog.check_entry(listed["one"])
    assert checked.problems and checked.routine is None and not checked.pending
    assert seen == [folder / "one.toml"]


def test_check_and_run_use_the_cache(folder: Path, monkeypatch, capsys) -> None:
    import backtimer.files.routine_load as routine_load
    from backtimer.cli.main import main

    assert main(["check", str(folder)]) == 0
    first = capsys.readouterr().out
    read: list[Path] = []
    original = routine_load.read_text

    def counting(path, label=None):
        read.append(Path(path))
        return original(path, label)

    monkeypatch.setattr(routine_load, "read_text", counting)
    assert main(["check", str(folder)]) == 0
    assert capsys.readouterr().out == first  # the same report
    assert catalog.resolve("one").routine.name == "Cached"  # type: ignore[union-attr]
    assert read == []  # nothing read again
    (folder / "one.toml").write_text(ROUTINE + "hodl = 1\n", encoding="utf-8")
    assert main(["check", str(folder)]) == 1  # a change is checked, its error reported
    assert read == [folder / "one.toml"]


def test_a_cached_routine_needs_no_validator(folder: Path) -> None:
    """From the cache a routine is whole without its schema: not even pydantic is imported
    (the routine is plain dataclasses; no validator is built, no plugin scanned)."""
    import subprocess
    import sys

    catalog.all_entries()
    code = (
        "import sys; from backtimer.files import catalog; e = catalog.resolve('one'); "
        "print(e.routine.name, 'backtimer.core.schema' in sys.modules, "
        "'pydantic' in sys.modules, 'pydantic.plugin._loader' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.split() == ["Cached", "False", "False", "False"]


def test_check_of_unchanged_files_loads_no_pydantic(folder: Path) -> None:
    import subprocess
    import sys

    from backtimer.cli.main import main

    assert main(["check", str(folder)]) == 0  # fills the cache
    code = (
        "import sys; from backtimer.cli.main import main; status = main(['check', "
        f"{str(folder)!r}]); print(status, 'pydantic' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.splitlines()[-1] == "0 False"
    assert "ok " in out


def test_the_listings_come_from_one_file(folder: Path, monkeypatch, isolated_dirs) -> None:
    """Once listed, routines are listed again from the listings file alone (one read, not one
    a routine); a file changed since is not listed from it, and a broken one is ignored."""
    catalog.all_entries()
    first = [(e.key, e.listing) for e in catalog.listed_entries()]  # writes the listings file
    entries: list[Path] = []
    original = cache_module.RoutineCache._entry

    def counting(self, path, stamp):
        entries.append(Path(path))
        return original(self, path, stamp)

    monkeypatch.setattr(cache_module.RoutineCache, "_entry", counting)
    assert [(e.key, e.listing) for e in catalog.listed_entries()] == first
    assert entries == []
    # Another size: a change within the clock's tick leaves the times as they were.
    (folder / "one.toml").write_text(ROUTINE.replace("Cached", "Edited again"), "utf-8")
    listed = {e.key: e for e in catalog.listed_entries()}
    assert listed["one"].listing is None and listed["two"].listing is not None
    assert entries == [folder / "one.toml"]  # looked for in its own file, not there
    catalog.all_entries()  # checks it, and updates the listings file
    entries.clear()
    listed = {e.key: e for e in catalog.listed_entries()}
    assert listed["one"].listing is not None and listed["one"].listing[0] == "Edited again"
    assert entries == []
    listings = isolated_dirs["cache"] / cache_module.CACHE_FOLDER / cache_module.LISTINGS_FILE
    listings.write_bytes(b"torn")
    assert [(e.key, e.listing) for e in catalog.listed_entries()][:1] == [
        ("one", listed["one"].listing)
    ]
