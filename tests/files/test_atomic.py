"""Atomic writes: whole files or none, a backup of hand-written files, nothing left behind."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fifo_guard import outcome_within

from backtimer.files import atomic
from backtimer.files.atomic import (
    atomic_create_text,
    atomic_write_bytes,
    atomic_write_text,
    backup_path,
    has_comments,
    read_regular_bytes,
)

OLD = '# my notes\nname = "Old"\nhold = "30s"  # chosen\n'


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ('name = "x"\n', False),
        ("# a comment\n", True),
        ("   # indented comment\nname = 1\n", True),
        ('name = "x"  # inline\n', True),
        ('name = "#1 stretch"\n', False),
        ("name = '#1 stretch'\n", False),
        ('name = "say \\"#\\" twice"\n', False),
        ('text = """\n# not a comment\n"""\n', False),
        ("text = '''\n# not a comment\n'''\n", False),
        ('text = """a""" # real\n', True),
        ('steps = [\n  "one",  # first\n]\n', True),
        ('a = "x\\\\" # after an escaped backslash\n', True),
    ],
)
def test_has_comments(text: str, expected: bool) -> None:
    assert has_comments(text) is expected


def test_new_file_is_written_whole_without_backup(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    assert atomic_write_text(target, OLD) is None
    assert target.read_bytes() == OLD.encode()
    assert not backup_path(target).exists()
    assert _leftovers(tmp_path) == []


def test_line_endings_and_unicode_are_kept_byte_for_byte(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    text = 'name = "Étirement\u2028"\r\nhold = 30\r\n'
    atomic_write_text(target, text)
    assert target.read_bytes() == text.encode("utf-8")


def test_file_without_comments_is_replaced_with_a_backup_too(tmp_path: Path) -> None:
    # Issue 13: every write to a user's file keeps a backup, not only files with comments.
    target = tmp_path / "r.toml"
    target.write_text('name = "A"\n')
    message = atomic_write_text(target, 'name = "B"\n')
    assert message is not None and str(backup_path(target)) in message
    assert target.read_text() == 'name = "B"\n'
    assert backup_path(target).read_text() == 'name = "A"\n'
    # The same content again changes nothing, and needs no backup.
    assert atomic_write_text(target, 'name = "B"\n') is None
    assert backup_path(target).read_text() == 'name = "A"\n'


def test_file_with_comments_gets_a_byte_identical_backup(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(OLD.encode())
    message = atomic_write_text(target, 'name = "New"\n')
    bak = tmp_path / "r.toml.bak"
    assert message is not None and str(bak) in message
    assert bak.read_bytes() == OLD.encode()
    assert target.read_text() == 'name = "New"\n'
    assert _leftovers(tmp_path) == []


def test_backup_false_and_backup_always(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_text(OLD)
    assert atomic_write_text(target, "a = 1\n", backup=False) is None
    assert not backup_path(target).exists()
    assert atomic_write_text(target, "a = 2\n", backup_always=True) is not None
    assert backup_path(target).read_text() == "a = 1\n"


def test_undecodable_old_file_is_backed_up(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(b"name = \xff\xfe\n")
    assert atomic_write_bytes(target, b"a = 1\n") == backup_path(target)
    assert backup_path(target).read_bytes() == b"name = \xff\xfe\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_permission_bits_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_text(OLD)
    target.chmod(0o600)
    atomic_write_text(target, "a = 1\n")
    assert (target.stat().st_mode & 0o777) == 0o600
    assert (backup_path(target).stat().st_mode & 0o777) == 0o600


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_a_symlink_is_written_through_not_replaced(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "r.toml"
    real.parent.mkdir()
    real.write_text("a = 1\n")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    atomic_write_text(link, "a = 2\n")
    assert link.is_symlink()
    assert real.read_text() == "a = 2\n"


def test_an_error_before_the_rename_leaves_the_original_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(OLD.encode())
    seen: list[Path] = []

    def fail(temp: Path) -> None:
        seen.append(temp)
        assert temp.read_bytes() == b"new\n"  # fully written before the rename
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        atomic_write_text(target, "new\n", backup=False, _before_replace=fail)
    assert target.read_bytes() == OLD.encode()
    assert seen and not seen[0].exists()
    assert _leftovers(tmp_path) == []


def test_a_failing_fsync_raises_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(b"a = 1\n")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(target, "a = 2\n")
    assert target.read_bytes() == b"a = 1\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_between_write_and_rename_leaves_the_original_intact(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    original = (OLD * 50).encode()
    target.write_bytes(original)
    child = textwrap.dedent(
        f"""
        import os, signal, sys
        from backtimer.files.atomic import atomic_write_text

        def die(temp):
            print(temp, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        atomic_write_text({str(target)!r}, "half " * 10000, _before_replace=die)
        print("not reached", flush=True)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == -signal.SIGKILL
    assert "not reached" not in result.stdout
    assert target.read_bytes() == original
    # The backup was completed before the write began, and the temp file is not a .toml.
    assert backup_path(target).read_bytes() == original
    assert [p.name for p in tmp_path.glob("*.toml")] == ["r.toml"]
    temp = Path(result.stdout.strip())
    assert temp.name.startswith(".r.toml.") and temp.name.endswith(".tmp")


def test_create_refuses_an_existing_file_and_leaves_it_alone(tmp_path: Path) -> None:
    target = tmp_path / "r.toml"
    target.write_bytes(b"mine\n")
    with pytest.raises(FileExistsError):
        atomic_create_text(target, "theirs\n")
    assert target.read_bytes() == b"mine\n"
    assert _leftovers(tmp_path) == []


def test_create_writes_a_new_file(tmp_path: Path) -> None:
    target = tmp_path / "new.toml"
    atomic_create_text(target, "a = 1\n")
    assert target.read_text() == "a = 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.toml"]


def test_create_falls_back_to_rename_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "link", no_links)
    target = tmp_path / "new.toml"
    atomic_create_text(target, "a = 1\n")
    assert target.read_text() == "a = 1\n"
    assert _leftovers(tmp_path) == []


def test_a_cache_file_is_replaced_whole_or_left_as_it_was(tmp_path: Path) -> None:
    """The caches' best-effort write: the folder made, the file replaced by a rename, and a
    failure (here: its folder is a file) returns False and leaves no temporary file."""
    from backtimer.files.atomic import write_cache_file

    target = tmp_path / "cache" / "x.pickle"
    assert write_cache_file(target, b"one") and target.read_bytes() == b"one"
    assert write_cache_file(target, b"two") and target.read_bytes() == b"two"
    blocked = tmp_path / "file"
    blocked.write_bytes(b"not a folder")
    assert not write_cache_file(blocked / "x.pickle", b"three")
    assert blocked.read_bytes() == b"not a folder"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["cache", "file", "x.pickle"]


def _special_files(tmp_path: Path) -> list[tuple[Path, str]]:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.md"
    folder.mkdir()
    sock_path = tmp_path / "sock.md"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    sock.close()
    return [(fifo, "named pipe"), (folder, "folder"), (sock_path, "socket")]


def test_a_special_file_is_never_read_nor_replaced(tmp_path: Path) -> None:
    """A named pipe, a folder or a socket (a device too: /dev/null as root) where a file is to
    be replaced: an OSError saying what it is, at once, and the special file left in place.
    Reading a FIFO for its backup blocked forever; a device or socket was renamed over."""
    for path, kind in _special_files(tmp_path):
        problem = outcome_within(
            lambda path=path: atomic_write_text(path, "new\n"), path, f"writing over a {kind}", 5
        )
        assert isinstance(problem, OSError), (kind, problem)
        assert kind in str(problem.strerror), problem
        mode = path.lstat().st_mode
        assert not stat.S_ISREG(mode), f"the {kind} was replaced by a file"
        assert _leftovers(tmp_path) == []
        assert not backup_path(path).exists()


def test_a_cache_read_never_blocks_on_a_special_file(tmp_path: Path) -> None:
    """read_regular_bytes (every cache's read): a named pipe, a folder or a socket there
    raises OSError at once, as an unreadable file does, saying what it is; a file is read."""
    files = _special_files(tmp_path)
    open_before = len(os.listdir("/proc/self/fd"))
    for path, kind in files:
        problem = outcome_within(lambda path=path: read_regular_bytes(path), path, kind, 5)
        assert isinstance(problem, OSError), (kind, problem)
        assert kind in str(problem.strerror), problem
    assert len(os.listdir("/proc/self/fd")) == open_before  # nothing left open
    data = tmp_path / "cache.pickle"
    data.write_bytes(b"\x80\x04kept")
    assert read_regular_bytes(data) == b"\x80\x04kept"
    with pytest.raises(FileNotFoundError):
        read_regular_bytes(tmp_path / "absent.pickle")


KILLED_WHILE_WRITING = """
import os, signal, sys
from pathlib import Path
from backtimer.files import atomic
os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # killed before the rename
atomic.write_cache_file(Path(sys.argv[1]), b"half")
"""


def test_a_cache_write_cut_short_leaves_no_file_for_long(tmp_path: Path, monkeypatch) -> None:
    """A process killed between writing a cache file's temporary file and renaming it
    leaves ``.NAME.PID.tmp``; a later process's first cache write into that folder removes
    it once it is old enough. A temporary file of a running process, a recent one, and any
    other file are left alone."""
    monkeypatch.setattr(atomic, "_SWEPT", set())
    folder = tmp_path / "cache"
    folder.mkdir()
    result = subprocess.run([sys.executable, "-c", KILLED_WHILE_WRITING, str(folder / "a.pickle")])
    assert result.returncode == -signal.SIGKILL
    (left,) = folder.glob(".a.pickle.*.tmp")
    old = 1_000_000_000  # 2001
    os.utime(left, (old, old))
    running = folder / f".b.pickle.{os.getpid()}.tmp"
    running.write_bytes(b"being written")
    os.utime(running, (old, old))
    recent = folder / left.name.replace(".a.", ".c.")
    recent.write_bytes(b"killed a moment ago")  # the same dead process id, but new
    others = [folder / ".notes.tmp", folder / ".d.pickle.x1.tmp", folder / "e.pickle"]
    for other in others:
        other.write_bytes(b"")
        os.utime(other, (old, old))

    assert atomic.write_cache_file(folder / "f.pickle", b"data")
    assert not left.exists()
    assert running.exists() and recent.exists() and all(o.exists() for o in others)
    assert (folder / "f.pickle").read_bytes() == b"data"
    assert not list(folder.glob(f".f.pickle.{os.getpid()}.tmp"))


def test_a_cache_write_whose_temporary_file_is_removed_fails_quietly(
    tmp_path: Path, monkeypatch
) -> None:
    """What the sweep above risks for a live writer it cannot see (another machine, another
    PID namespace, stopped between its write and its rename for longer than STALE_AFTER):
    its temporary file removed, that write fails quietly (False), and the old file stays."""
    target = tmp_path / "x.pickle"
    assert atomic.write_cache_file(target, b"old")
    replace = os.replace

    def swept_first(source, destination):
        Path(source).unlink()  # the other process's sweep, between the write and the rename
        return replace(source, destination)

    monkeypatch.setattr(os, "replace", swept_first)
    assert not atomic.write_cache_file(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.pickle"]
