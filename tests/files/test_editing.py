"""Creating, editing and changing routine files: nothing the user wrote is ever lost."""

from __future__ import annotations

import dataclasses
import io
import json
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from backtimer.cli.main import main
from backtimer.core.routine import Defaults, Exercise, Routine, Source, Tempo
from backtimer.files import catalog, editing, paths
from backtimer.files.editing import (
    EditError,
    EditTarget,
    check_name,
    edit_routine,
    edit_target,
    find_editor,
    hold_level,
    keep_changes,
    new_routine_text,
    rejected_path,
    rename_text,
    set_hold,
    template_source,
    template_text,
    toml_string,
)
from backtimer.files.routine_load import LineLocator, RoutineError, validate_text

COMMENTED = """\
# My routine, from the clinic's handout.
name = "Morning"   # shown in the list

[defaults]
hold = "20s"       # most holds
rest = "5s"

[[exercises]]
name = "Knee to chest"   # both knees
hold = "30s"   # chosen: the handout says "about 30 seconds"
sides = "both"

[[exercises]]
  name = "Cat cow"
  reps = 3

[[exercises]]
name = "Bridge hold"
hold = 12
# hold = "99s" was too long

[[exercises]]
name = "Figure 4"
hold = "10 breaths"  # slow ones
breath = "4s"

[[exercises]]
name = "Ranged"
hold = "10-30s"   # from the handout

[[exercises]]
name = "Bridges"
tempo = { lift = 2, lower = 2 }
reps = 10
"""


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def hold_of(text: str, index: int) -> str:
    return str(validate_text(text, "t").settings(index).hold)


# ------------------------------------------------------------------------ names


@pytest.mark.parametrize("name", ["my-routine", "a", "Morning_2", "x" * 64, "9lives"])
def test_safe_names(name: str) -> None:
    assert check_name(name) is None


@pytest.mark.parametrize(
    "name", ["", "../x", "a/b", "a b", "-x", "_x", ".hidden", "x" * 65, "é", "a.toml", "a\nb"]
)
def test_unsafe_names(name: str) -> None:
    assert check_name(name)


@pytest.mark.parametrize("value", ['a"b', "back\\slash", "tab\there", "Étirement", "#1"])
def test_toml_string_round_trips(value: str) -> None:
    assert tomllib.loads(f"v = {toml_string(value)}")["v"] == value


# ------------------------------------------------------------------------ template


def _all_fields() -> set[str]:
    fields: set[str] = set()
    for model in (Routine, Source, Defaults, Exercise, Tempo):
        fields |= {f.name for f in dataclasses.fields(model)}
    return fields


def test_template_is_valid_and_explains_every_field() -> None:
    text = template_source()
    routine = validate_text(text, "template.toml")
    kinds = {routine.settings(i).kind for i in range(len(routine.exercises))}
    assert kinds == {"hold", "tempo", "user_paced"}
    assert any(routine.settings(i).hold.unit == "breaths" for i in range(2))  # type: ignore[union-attr]
    missing = {f for f in _all_fields() if f not in text}
    assert not missing, f"the template does not mention {missing}"
    for form in (
        '"30s"',
        '"1m30s"',
        '"2 min"',
        '"45"',
        "45 ",
        '"10 breaths"',
        '"10-30s"',
        '"10-15 breaths"',
        '"2-3"',
    ):
        assert form in text, form
    # Every line that sets something is explained by a comment somewhere near it.
    assert text.count("#") > 60


def test_template_text_sets_the_name_and_keeps_everything_else() -> None:
    text = template_text("my-morning")
    assert validate_text(text, "t").name == "my-morning"
    diff = changed_lines(template_source(), text)
    assert len(diff) == 1 and diff[0][1].startswith('name = "my-morning"')
    assert "# the routine's name" in diff[0][1]  # the inline comment stays


def test_rename_escapes_the_name() -> None:
    odd = 'He said "stretch" \\ now'
    assert validate_text(rename_text(template_source(), odd), "t").name == odd


def test_rename_of_a_multiline_name_is_refused() -> None:
    text = 'name = """\nLong"""\n[[exercises]]\nname = "a"\nhold = 1\n'
    with pytest.raises(EditError, match="one line"):
        rename_text(text, "x")


# ------------------------------------------------------------------------ new


def test_new_writes_a_valid_commented_routine(
    user_routines: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "my-morning"]) == 0
    path = user_routines / "my-morning.toml"
    out, err = capsys.readouterr()
    assert out.strip() == str(path)
    # What to do next, on stderr (stdout stays the path alone, for scripts).
    for step in (
        "backtimer edit my-morning",
        "backtimer check my-morning",
        "backtimer run my-morning",
    ):
        assert step in err
    text = path.read_text(encoding="utf-8")
    assert text == template_text("my-morning")
    assert validate_text(text, "x").name == "my-morning"
    assert catalog.resolve("my-morning").origin == "user"


def test_new_creates_the_routines_folder(isolated_dirs: dict[str, Path]) -> None:
    assert not isolated_dirs["config"].exists()
    assert main(["new", "first"]) == 0
    assert (isolated_dirs["config"] / "routines" / "first.toml").is_file()


def test_new_never_overwrites(user_routines: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = user_routines / "mine.toml"
    path.write_bytes(b"my own precious text\n")
    assert main(["new", "mine"]) == 1
    assert path.read_bytes() == b"my own precious text\n"
    assert "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in user_routines.iterdir()) == ["mine.toml"]


def run_cli(args: list[str]) -> int:
    """main(), with argparse's own usage errors (SystemExit) as exit codes."""
    try:
        return main(args)
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize("name", ["../x", "", "a" * 65, "a/b", "-x", "a b"])
def test_new_rejects_unsafe_names(
    name: str, isolated_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["new", name]) == 2
    assert "backtimer new" in capsys.readouterr().err
    assert not isolated_dirs["config"].exists()
    assert not (isolated_dirs["config"].parent / "x.toml").exists()


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bundled"
    folder.mkdir()
    (folder / "clinic.toml").write_text(COMMENTED, encoding="utf-8")
    monkeypatch.setattr(paths, "bundled_routines_dir", lambda: folder)
    return folder


def test_new_from_a_bundled_routine_keeps_its_text(
    bundled: Path, user_routines: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "my-clinic", "--from", "clinic"]) == 0
    text = (user_routines / "my-clinic.toml").read_text(encoding="utf-8")
    routine = validate_text(text, "x")
    assert routine.name == "Morning (my-clinic)"
    new_lines = text.splitlines()
    old_lines = COMMENTED.splitlines()
    # Every line is kept, except the name's value; one comment line says where it came from.
    assert len(new_lines) == len(old_lines) + 1
    assert new_lines[1] == "# Copied from the bundled routine clinic, whose name is Morning"
    assert new_lines[2] == 'name = "Morning (my-clinic)"   # shown in the list'
    assert new_lines[0] == old_lines[0] and new_lines[3:] == old_lines[2:]
    assert (bundled / "clinic.toml").read_text(encoding="utf-8") == COMMENTED


def test_new_from_a_path_and_from_an_invalid_routine(
    tmp_path: Path, user_routines: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.toml"
    good.write_text(COMMENTED)
    assert main(["new", "copy", "--from", str(good)]) == 0
    assert "Copied from the file" in (user_routines / "copy.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[exercises]]\nname = "a"\nhodl = 3\n')
    capsys.readouterr()
    assert main(["new", "copy2", "--from", str(bad)]) == 1
    assert "did you mean 'hold'" in capsys.readouterr().err
    assert not (user_routines / "copy2.toml").exists()


def test_new_copy_of_a_long_name_falls_back_to_the_new_name(tmp_path: Path) -> None:
    long = "L" * 115
    source = tmp_path / "long.toml"
    source.write_text(COMMENTED.replace('"Morning"', f'"{long}"'))
    entry = catalog.load_entry(source, "path")
    text, notes = new_routine_text("short", entry)
    assert validate_text(text, "x").name == "short" and notes == []


def test_new_with_the_name_of_a_bundled_routine_says_it_shadows_it(
    bundled: Path, user_routines: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "clinic"]) == 0
    assert "takes the place of the bundled routine clinic" in capsys.readouterr().err
    assert catalog.resolve("clinic").origin == "user"


# ------------------------------------------------------------------- set_hold


def test_set_hold_changes_only_that_value() -> None:
    after = set_hold(COMMENTED, 0, 45)
    assert changed_lines(COMMENTED, after) == [
        (
            'hold = "30s"   # chosen: the handout says "about 30 seconds"\n',
            'hold = "45s"   # chosen: the handout says "about 30 seconds"\n',
        )
    ]
    assert hold_of(after, 0) == "45s"


def test_set_hold_keeps_a_bare_number_a_number() -> None:
    after = set_hold(COMMENTED, 2, 17.5)
    assert changed_lines(COMMENTED, after) == [("hold = 12\n", "hold = 17.5\n")]
    assert validate_text(after, "t").settings(2).hold.span.low == 17.5  # type: ignore[union-attr]
    # The commented-out hold below it is a comment, not the key.
    assert '# hold = "99s" was too long' in after


def test_set_hold_from_defaults_inserts_a_line_after_the_name() -> None:
    after = set_hold(COMMENTED, 1, 25)
    before_lines, after_lines = COMMENTED.splitlines(), after.splitlines()
    at = before_lines.index('  name = "Cat cow"')
    assert after_lines[: at + 1] == before_lines[: at + 1]
    assert after_lines[at + 1] == '  hold = "25s"'  # the name line's indentation
    assert after_lines[at + 2 :] == before_lines[at + 1 :]
    routine = validate_text(after, "t")
    assert str(routine.settings(1).hold) == "25s"
    assert str(routine.defaults.hold) == "20s"  # the shared default is untouched


def test_set_hold_in_breaths_stays_in_breaths() -> None:
    after = set_hold(COMMENTED, 3, 50)  # 50 s at 4 s a breath: 12.5 -> 12 breaths
    assert changed_lines(COMMENTED, after) == [
        ('hold = "10 breaths"  # slow ones\n', 'hold = "12 breaths"  # slow ones\n')
    ]
    assert set_hold(COMMENTED, 3, 1) != COMMENTED  # never below one breath
    assert hold_of(set_hold(COMMENTED, 3, 1), 3) == "1 breath"


def test_set_hold_leaves_a_range_alone_and_gives_a_level() -> None:
    assert set_hold(COMMENTED, 4, 15) == COMMENTED
    routine = validate_text(COMMENTED, "t")
    assert hold_level(routine, 4, 15) == 15
    assert hold_level(routine, 4, 45) == 30  # clamped to the range
    assert hold_level(routine, 4, 5) == 10
    assert hold_level(routine, 0, 45) is None  # not a range


def test_set_hold_same_value_changes_nothing() -> None:
    assert set_hold(COMMENTED, 0, 30) == COMMENTED


def test_set_hold_refuses_exercises_without_a_hold_and_bad_values() -> None:
    with pytest.raises(EditError, match="Bridges has no hold"):
        set_hold(COMMENTED, 5, 30)
    with pytest.raises(EditError, match="no exercise number 10"):
        set_hold(COMMENTED, 9, 30)
    with pytest.raises(EditError, match=r"invalid.*limit of 2 hours"):
        set_hold(COMMENTED, 0, 3 * 3600)
    with pytest.raises(RoutineError):
        set_hold("name = 1\n", 0, 30)


def test_set_hold_keeps_crlf_line_endings() -> None:
    crlf = COMMENTED.replace("\n", "\r\n")
    after = set_hold(crlf, 0, 40)
    assert after == set_hold(COMMENTED, 0, 40).replace("\n", "\r\n")
    inserted = set_hold(crlf, 1, 40)
    assert '  hold = "40s"\r\n' in inserted and "\n" not in inserted.replace("\r\n", "")


def test_set_hold_is_not_fooled_by_lookalike_text() -> None:
    text = '''name = "Tricky"
description = """
hold = "30s" is what the handout says
"""
[[exercises]]
name = "A"
steps = ["hold = 5", "relax"]
"hold" = "30s"  # a quoted key
'''
    after = set_hold(text, 0, 35)
    assert changed_lines(text, after) == [
        ('"hold" = "30s"  # a quoted key\n', '"hold" = "35s"  # a quoted key\n')
    ]


def test_set_hold_on_an_inline_table_layout_refuses_instead_of_guessing() -> None:
    text = 'name = "Inline"\nexercises = [ { name = "A", hold = "30s" } ]\n'
    with pytest.raises(EditError, match="by hand"):
        set_hold(text, 0, 35)


def test_set_hold_checks_its_work_and_refuses_a_wrong_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the line search ever finds the wrong line, the result is compared with the
    intended routine and nothing is returned: a valid but different file is refused."""

    class Confused(LineLocator):
        def __init__(self, text: str):
            super().__init__(text)
            # Point exercise 0's hold at exercise 2's (also a valid hold line).
            self.lines[("exercises", 0, "hold")] = self.lines[("exercises", 2, "hold")]

    monkeypatch.setattr(editing, "LineLocator", Confused)
    with pytest.raises(EditError, match="safely"):
        set_hold(COMMENTED, 0, 45)


def test_set_hold_into_a_last_line_without_newline() -> None:
    text = 'name = "x"\n[defaults]\nhold = 5\n[[exercises]]\nname = "A"'
    after = set_hold(text, 0, 8)
    assert after == 'name = "x"\n[defaults]\nhold = 5\n[[exercises]]\nname = "A"\nhold = "8s"\n'


# ------------------------------------------------------------------- keep_changes


def user_entry(folder: Path, text: str = COMMENTED, key: str = "mine") -> catalog.Entry:
    path = folder / f"{key}.toml"
    path.write_text(text, encoding="utf-8")
    return catalog.load_entry(path, "user")


def test_keep_changes_writes_the_file_with_a_backup(user_routines: Path) -> None:
    entry = user_entry(user_routines)
    result = keep_changes(entry, {0: 35, 2: 15, 4: 20})
    assert result.path == entry.path
    text = entry.path.read_text(encoding="utf-8")
    assert hold_of(text, 0) == "35s" and hold_of(text, 2) == "15s"
    assert hold_of(text, 4) == "10s-30s"  # the range stays in the file...
    assert result.hold_levels == {4: 20}  # ...and 20 s becomes its current level
    assert result.backup == user_routines / "mine.toml.bak"
    assert result.backup.read_text(encoding="utf-8") == COMMENTED
    assert "Knee to chest: hold 30s -> 35s" in result.message
    assert "Ranged" in result.message and "current level" in result.message
    assert "mine.toml.bak" in result.message
    assert len(changed_lines(COMMENTED, text)) == 2


def test_keep_changes_without_comments_keeps_a_backup_too(user_routines: Path) -> None:
    # Issue 13: "keep holds" on a routine without comments overwrote it with no .bak.
    plain = 'name = "Plain"\n[[exercises]]\nname = "A"\nhold = "30s"\n'
    entry = user_entry(user_routines, plain)
    result = keep_changes(entry, {0: 40})
    assert result.backup == user_routines / "mine.toml.bak"
    assert result.backup.read_text(encoding="utf-8") == plain
    assert "mine.toml.bak" in result.message
    assert hold_of(entry.path.read_text(), 0) == "40s"


def test_keep_changes_of_only_ranges_writes_nothing(user_routines: Path) -> None:
    entry = user_entry(user_routines)
    result = keep_changes(entry, {4: 25})
    assert result.path is None and result.hold_levels == {4: 25}
    assert entry.path.read_text(encoding="utf-8") == COMMENTED
    assert not (user_routines / "mine.toml.bak").exists()


def test_keep_changes_copies_a_bundled_routine_first(bundled: Path, user_routines: Path) -> None:
    entry = catalog.resolve("clinic")
    assert entry.origin == "bundled"
    result = keep_changes(entry, {0: 40})
    assert result.path == user_routines / "clinic.toml"
    assert hold_of(result.path.read_text(encoding="utf-8"), 0) == "40s"
    assert (bundled / "clinic.toml").read_text(encoding="utf-8") == COMMENTED
    assert "bundled routine" in result.message
    assert catalog.resolve("clinic").origin == "user"


def test_keep_changes_never_overwrites_a_user_file_with_a_bundled_copy(
    bundled: Path, user_routines: Path
) -> None:
    entry = catalog.load_entry(bundled / "clinic.toml", "bundled")
    (user_routines / "clinic.toml").write_text("mine\n")
    with pytest.raises(EditError, match="already exists"):
        keep_changes(entry, {0: 40})
    assert (user_routines / "clinic.toml").read_text() == "mine\n"


def test_keep_changes_refuses_a_file_changed_since_the_session(user_routines: Path) -> None:
    entry = user_entry(user_routines)
    edited = COMMENTED.replace('name = "Knee to chest"', 'name = "Something else"')
    entry.path.write_text(edited, encoding="utf-8")
    with pytest.raises(EditError, match="changed since the session started"):
        keep_changes(entry, {0: 40})
    assert entry.path.read_text(encoding="utf-8") == edited


def test_keep_changes_for_a_tempo_exercise_is_refused(user_routines: Path) -> None:
    entry = user_entry(user_routines)
    with pytest.raises(EditError, match="no hold"):
        keep_changes(entry, {5: 40})
    assert entry.path.read_text(encoding="utf-8") == COMMENTED


# ------------------------------------------------------------------------ editor


def test_find_editor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert find_editor({"VISUAL": "code --wait", "EDITOR": "vim"}) == ["code", "--wait"]
    assert find_editor({"VISUAL": "  ", "EDITOR": "'my editor' -x"}) == ["my editor", "-x"]
    assert find_editor({"VISUAL": 'bad "quote', "EDITOR": "ed"}) == ["ed"]
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_editor({}) is None
    fake_nano = tmp_path / "nano"
    fake_nano.write_text("#!/bin/sh\n")
    fake_nano.chmod(0o755)
    assert find_editor({}) == [str(fake_nano)]


FAKE_EDITOR = """
import json, pathlib, sys
state = pathlib.Path({state!r})
queue = json.loads(state.read_text())
content = queue.pop(0)
state.write_text(json.dumps(queue))
log = pathlib.Path({log!r})
log.write_text(log.read_text() + sys.argv[1] + "\\n" if log.exists() else sys.argv[1] + "\\n")
if content is not None:
    pathlib.Path(sys.argv[1]).write_text(content)
"""


class FakeEditor:
    """An editor that, at each opening, writes the next text of a script (None: no change)."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch, *texts: str | None):
        self.state = folder / "editor-state.json"
        self.log = folder / "editor-log.txt"
        self.state.write_text(json.dumps(list(texts)))
        script = folder / "fake_editor.py"
        script.write_text(FAKE_EDITOR.format(state=str(self.state), log=str(self.log)))
        monkeypatch.setenv("VISUAL", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
        self.argv = find_editor()
        assert self.argv is not None

    @property
    def opened(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    @property
    def left(self) -> list[str | None]:
        return json.loads(self.state.read_text())


VALID = 'name = "Edited"\n[[exercises]]\nname = "A"\nhold = "40s"\n'
INVALID = 'name = "Edited"\n[[exercises]]\nname = "A"\nhodl = "40s"\n'


class Answers:
    def __init__(self, *answers: str | None):
        self.answers = list(answers)
        self.questions: list[str] = []

    def __call__(self, question: str) -> str | None:
        self.questions.append(question)
        return self.answers.pop(0)


class Output:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []

    def run(self, target: EditTarget, editor: FakeEditor, ask: Answers) -> int:
        return edit_routine(
            target, editor.argv or [], ask=ask, say=self.out.append, say_err=self.err.append
        )


def test_edit_valid_change(
    user_routines: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = user_entry(user_routines)
    editor = FakeEditor(tmp_path, monkeypatch, VALID)
    assert main(["edit", "mine"]) == 0
    assert entry.path.read_text() == VALID
    assert (user_routines / "mine.toml.bak").read_text(encoding="utf-8") == COMMENTED
    assert editor.opened == [str(entry.path)]
    out = capsys.readouterr().out
    assert "ok " in out and "mine.toml.bak" in out


def test_edit_invalid_without_a_terminal_keeps_the_file_and_fails(
    user_routines: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = user_entry(user_routines)
    FakeEditor(tmp_path, monkeypatch, INVALID)
    monkeypatch.setattr(sys, "stdin", io.StringIO("r\n"))  # not a terminal: never read
    assert main(["edit", "mine"]) == 1
    assert entry.path.read_text() == INVALID  # what the user typed is kept
    err = capsys.readouterr().err
    assert "mine.toml:4: exercises[1] (A).hodl: unknown key 'hodl' (did you mean 'hold'?)" in err
    assert "kept" in err
    assert (user_routines / "mine.toml.bak").read_text(encoding="utf-8") == COMMENTED


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_edit_invalid_then_restore_from_the_terminal(
    user_routines: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = user_entry(user_routines)
    typed = "# my attempt\n" + INVALID
    FakeEditor(tmp_path, monkeypatch, typed)
    monkeypatch.setattr(sys, "stdin", FakeTerminal("what?\nr\n"))
    assert main(["edit", "mine"]) == 0
    assert entry.path.read_text(encoding="utf-8") == COMMENTED  # byte for byte
    rejected = user_routines / "mine.toml.rejected"
    assert rejected.read_text() == typed  # what the user typed is not lost
    # The backup still holds the last valid version (the restore did not replace it).
    assert (user_routines / "mine.toml.bak").read_text(encoding="utf-8") == COMMENTED
    captured = capsys.readouterr()
    assert "mine.toml.rejected" in captured.out and "restored" in captured.out
    assert "Please answer" in captured.err  # "what?" was asked again
    assert captured.err.count("[E/k/r]") == 2


def test_edit_invalid_then_keep(user_routines: Path, tmp_path: Path, monkeypatch) -> None:
    entry = user_entry(user_routines)
    editor = FakeEditor(tmp_path, monkeypatch, INVALID)
    out, ask = Output(), Answers("k")
    assert out.run(EditTarget(entry.path), editor, ask) == 1
    assert entry.path.read_text() == INVALID
    assert len(ask.questions) == 1
    assert not (user_routines / "mine.toml.rejected").exists()


def test_edit_invalid_then_edit_again_then_valid(
    user_routines: Path, tmp_path: Path, monkeypatch
) -> None:
    entry = user_entry(user_routines)
    editor = FakeEditor(tmp_path, monkeypatch, INVALID, VALID)
    out, ask = Output(), Answers("e")
    assert out.run(EditTarget(entry.path), editor, ask) == 0
    assert entry.path.read_text() == VALID
    assert len(editor.opened) == 2 and editor.left == []
    assert len(ask.questions) == 1
    assert any("hodl" in line for line in out.err)


def test_enter_means_edit_again(user_routines: Path, tmp_path: Path, monkeypatch) -> None:
    entry = user_entry(user_routines)
    editor = FakeEditor(tmp_path, monkeypatch, INVALID, INVALID, VALID)
    assert Output().run(EditTarget(entry.path), editor, Answers("", "E")) == 0
    assert len(editor.opened) == 3 and entry.path.read_text() == VALID


def test_restore_twice_never_overwrites_a_rejected_text(
    user_routines: Path, tmp_path: Path, monkeypatch
) -> None:
    entry = user_entry(user_routines)
    other = INVALID.replace("hodl", "hld")
    editor = FakeEditor(tmp_path, monkeypatch, INVALID, other)
    assert Output().run(EditTarget(entry.path), editor, Answers("r")) == 0
    assert Output().run(EditTarget(entry.path), editor, Answers("restore")) == 0
    assert (user_routines / "mine.toml.rejected").read_text() == INVALID
    assert (user_routines / "mine.toml.rejected-2").read_text() == other
    assert entry.path.read_text(encoding="utf-8") == COMMENTED
    assert rejected_path(entry.path) == user_routines / "mine.toml.rejected-3"


def test_restore_of_an_already_invalid_file_exits_1(
    user_routines: Path, tmp_path: Path, monkeypatch
) -> None:
    entry = user_entry(user_routines, INVALID)
    editor = FakeEditor(tmp_path, monkeypatch, INVALID + "oops\n")
    bak = user_routines / "mine.toml.bak"
    bak.write_text(COMMENTED)  # the last valid version, from an earlier edit
    ask = Answers("r")
    assert Output().run(EditTarget(entry.path), editor, ask) == 1
    assert "(not valid either)" in ask.questions[0]
    assert entry.path.read_text() == INVALID
    assert (user_routines / "mine.toml.rejected").read_text() == INVALID + "oops\n"
    assert bak.read_text() == COMMENTED  # an invalid file never replaces a valid backup


def test_edit_end_of_input_means_keep(user_routines: Path, tmp_path: Path, monkeypatch) -> None:
    entry = user_entry(user_routines)
    editor = FakeEditor(tmp_path, monkeypatch, INVALID)
    assert Output().run(EditTarget(entry.path), editor, Answers(None)) == 1
    assert entry.path.read_text() == INVALID


def test_edit_a_bundled_routine_edits_a_copy(
    bundled: Path,
    user_routines: Path,
    tmp_path: Path,
    monkeypatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    editor = FakeEditor(tmp_path, monkeypatch, VALID)
    assert main(["edit", "clinic"]) == 0
    copy = user_routines / "clinic.toml"
    assert copy.read_text() == VALID
    assert (bundled / "clinic.toml").read_text(encoding="utf-8") == COMMENTED
    assert editor.opened == [str(copy)]
    assert "bundled routine" in capsys.readouterr().out


def test_edit_a_bundled_routine_without_changes_removes_the_copy(
    bundled: Path,
    user_routines: Path,
    tmp_path: Path,
    monkeypatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    FakeEditor(tmp_path, monkeypatch, None)
    assert main(["edit", "clinic"]) == 0
    assert list(user_routines.iterdir()) == []
    assert "removed the unchanged copy" in capsys.readouterr().out
    assert catalog.resolve("clinic").origin == "bundled"


def test_edit_a_path(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(COMMENTED)
    FakeEditor(tmp_path, monkeypatch, VALID)
    assert main(["edit", str(path)]) == 0
    assert path.read_text() == VALID


def test_edit_target_errors(user_routines: Path, tmp_path: Path) -> None:
    with pytest.raises(EditError, match="backtimer new nope"):
        edit_target("nope")
    with pytest.raises(EditError, match="no such file"):
        edit_target(str(tmp_path / "missing.toml"))
    with pytest.raises(EditError, match="folder"):
        edit_target(str(tmp_path) + "/")


def test_edit_without_any_editor(
    user_routines: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user_entry(user_routines)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert main(["edit", "mine"]) == 1
    assert "no editor found" in capsys.readouterr().err


def test_edit_with_an_editor_that_does_not_exist(
    user_routines: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    entry = user_entry(user_routines)
    monkeypatch.setenv("VISUAL", str(tmp_path / "no-such-editor") + " --wait")
    assert main(["edit", "mine"]) == 1
    assert "cannot start the editor" in capsys.readouterr().err
    assert entry.path.read_text(encoding="utf-8") == COMMENTED


def test_edit_unknown_name(user_routines: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edit", "nope"]) == 1
    assert "backtimer new nope" in capsys.readouterr().err


def test_an_editor_that_exits_with_an_error_is_reported(
    user_routines: Path, tmp_path: Path
) -> None:
    entry = user_entry(user_routines)
    out = Output()
    code = edit_routine(
        EditTarget(entry.path),
        ["ed"],
        ask=Answers(),
        say=out.out.append,
        say_err=out.err.append,
        run_editor=lambda argv, path: 3,
    )
    assert code == 0 and out.err == ["the editor exited with status 3"]
    assert out.out == [f"no changes to {catalog.display_path(entry.path)}"]


def test_these_modules_stay_out_of_the_ui() -> None:
    code = (
        "import sys, backtimer.files.editing, backtimer.files.config, backtimer.core.progression, "
        "backtimer.files.atomic, backtimer.cli.edit; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_new_when_a_file_blocks_the_routines_folder(
    isolated_dirs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    isolated_dirs["config"].mkdir(parents=True)
    (isolated_dirs["config"] / "routines").write_text("not a folder")
    assert main(["new", "a"]) == 1
    assert "cannot write the routine" in capsys.readouterr().err
    assert (isolated_dirs["config"] / "routines").read_text() == "not a folder"
