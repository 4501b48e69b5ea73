"""Reading routine files: located messages, every error at once, and no traceback for any input.

The corpus in ``tests/bad_routines/`` holds small hand-edited routines with one mistake each.
The first line of each file pins the expected message::

    # expect: LINE[:COLUMN] FIELD | MESSAGE FRAGMENT

``FIELD`` is ``-`` for errors that have no field (TOML syntax, encoding).
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from pathlib import Path

import pytest

from backtimer.core.literal import printable
from backtimer.core.routine import Routine
from backtimer.files.routine_load import (
    MAX_FILE_BYTES,
    LineLocator,
    Problem,
    RoutineError,
    field_path,
    load_routine,
    validate_text,
)

CORPUS = Path(__file__).resolve().parent.parent / "bad_routines"
CORPUS_FILES = sorted(CORPUS.glob("*.toml"))
EXPECT = re.compile(r"# expect: (\d+)(?::(\d+))? (.+?) \| (.+)$")

GOOD = """\
name = "Evening stretches"
description = "Gentle stretches before bed."

[source]
title = "Back exercises"
publisher = "A clinic"

[defaults]
hold = "30s"
rest = "5s"

[[exercises]]
name = "Knee to chest"
sides = "both"

[[exercises]]
name = "Cat-camel"
hold = "5s"
reps = 10
"""


def problems_of(text: str, name: str = "r.toml") -> list[Problem]:
    with pytest.raises(RoutineError) as info:
        validate_text(text, name)
    assert info.value.problems, "a RoutineError always says why"
    return info.value.problems


def problems_of_file(path: Path, label: str | None = None) -> list[Problem]:
    with pytest.raises(RoutineError) as info:
        load_routine(path, label)
    assert info.value.problems
    return info.value.problems


# ---------------------------------------------------------------- the corpus


def test_the_corpus_is_big_enough_and_each_file_is_small() -> None:
    assert len(CORPUS_FILES) >= 30
    for path in CORPUS_FILES:
        lines = path.read_bytes().splitlines()
        assert EXPECT.match(lines[0].decode()), f"{path.name}: first line must be '# expect: ...'"
        if path.name != "bounds_too_many_exercises.toml":
            assert len(lines) <= 20, f"{path.name} should be a small, realistic file"


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_corpus_file_gives_its_pinned_message(path: Path) -> None:
    line, column, field, fragment = EXPECT.match(
        path.read_bytes().splitlines()[0].decode()
    ).groups()
    label = f"bad_routines/{path.name}"
    problems = problems_of_file(path, label)
    assert len(problems) == 1, "one defect per file: " + "; ".join(map(str, problems))
    [problem] = problems
    assert problem.path == label
    assert problem.line == int(line)
    assert problem.column == (int(column) if column else None)
    assert problem.field == (None if field == "-" else field)
    assert fragment in problem.message
    # The printed form: PATH:LINE[:COL]: [field: ]message
    where = f"{label}:{line}" + (f":{column}" if column else "")
    prefix = f"{where}: " + ("" if field == "-" else f"{field}: ")
    assert str(problem).startswith(prefix)
    assert str(problem) == prefix + problem.message
    # A message is one line, and readable: no traceback-ish text.
    assert "\n" not in str(problem)
    assert "Traceback" not in problem.message and "pydantic" not in problem.message


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.stem)
def test_corpus_file_without_a_label_is_named_by_its_path(path: Path) -> None:
    [problem] = problems_of_file(path)
    assert problem.path == str(path)


# ---------------------------------------------------------------- located messages


def test_a_good_file_loads() -> None:
    r = validate_text(GOOD, "good.toml")
    assert isinstance(r, Routine)
    assert [e.name for e in r.exercises] == ["Knee to chest", "Cat-camel"]
    assert r.source is not None and r.source.publisher == "A clinic"


def test_every_error_of_a_file_is_reported_at_once_in_line_order() -> None:
    text = """\
name = "Many mistakes"
colour = "blue"

[defaults]
rest = "-5s"

[[exercises]]
name = "Knee to chest"
hold = "30-10s"
sides = "left"

[[exercises]]
hold = "10s"

[[exercises]]
name = "Bridge"
reps = true
tempo = { lift = 2, lowr = 2 }
"""
    problems = problems_of(text)
    assert [(p.line, p.field) for p in problems] == [
        (2, "colour"),
        (5, "defaults.rest"),
        (9, "exercises[1] (Knee to chest).hold"),
        (10, "exercises[1] (Knee to chest).sides"),
        (12, "exercises[2].name"),  # not written: the line of its [[exercises]]
        (17, "exercises[3] (Bridge).reps"),
        (18, "exercises[3] (Bridge).tempo.lowr"),
    ]
    assert all(p.path == "r.toml" for p in problems)


def test_cross_field_errors_are_reported_together_with_other_errors() -> None:
    """A typo in one exercise must not hide a missing hold in another."""
    text = """\
name = "Mixed"

[[exercises]]
name = "Knee to chest"
hodl = "30s"

[[exercises]]
name = "Pelvic tilt"
reps = 10

[[exercises]]
name = "Bridge"
hold = "5s"
tempo = { lift = 2 }
"""
    problems = problems_of(text)
    assert [(p.line, p.field) for p in problems] == [
        (5, "exercises[1] (Knee to chest).hodl"),
        (7, "exercises[2] (Pelvic tilt)"),
        (14, "exercises[3] (Bridge).tempo"),
    ]
    assert "did you mean 'hold'" in problems[0].message
    assert problems[1].message.startswith("needs a hold, a tempo or user_paced = true")
    assert problems[2].message.startswith("choose one of hold, tempo or user_paced")


def test_no_cross_field_guessing_when_defaults_are_invalid() -> None:
    # With [defaults] broken, "needs a hold" would be noise: the hold may be meant there.
    text = 'name = "R"\n[defaults]\nhodl = "30s"\n[[exercises]]\nname = "A"\n'
    problems = problems_of(text)
    assert [(p.line, p.field) for p in problems] == [(3, "defaults.hodl")]


def test_the_session_limit_is_not_guessed_from_part_of_the_exercises() -> None:
    text = (
        'name = "R"\n'
        '[[exercises]]\nname = "A"\nhold = "2h"\nsets = 2\n'
        '[[exercises]]\nname = "B"\nhold = "2h"\nsides = "left"\n'
    )
    problems = problems_of(text)
    assert [p.field for p in problems] == ["exercises[2] (B).sides"]
    # Fixed, the file is too long as a whole, which is then said.
    [problem] = problems_of(text.replace('sides = "left"', 'sides = "both"'))
    assert problem.field == "exercises" and "the limit is 4 hours" in problem.message


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        # an array of inline tables over several lines
        (
            'name = "R"\nexercises = [\n  { name = "A", hold = 3 },\n'
            '  { name = "B", hodl = 3 },\n]\n',
            4,
            "exercises[2] (B).hodl",
        ),
        # two inline tables on one line: the line of the list
        ('name = "R"\nexercises = [{ name = "A", hold = 3 }, { name = 5, hold = 3 }]\n', 2, None),
        # dotted keys
        ('name = "R"\n[[exercises]]\nname = "A"\ntempo.lift = 2\ntempo.lowr = 1\n', 5, None),
        # a sub-table of the second exercise
        (
            'name = "R"\n[[exercises]]\nname = "A"\nhold = 3\n[[exercises]]\nname = "B"\n'
            "reps = 3\n[exercises.tempo]\nlift = 1\nlowr = 1\n",
            10,
            "exercises[2] (B).tempo.lowr",
        ),
        # a quoted key
        ('name = "R"\n[[exercises]]\n"name" = "A"\n"hold" = -3\n', 4, "exercises[1] (A).hold"),
        # a key with spaces: quoted in the field path
        ('name = "R"\n[[exercises]]\nname = "A"\nhold = 3\n"my note" = "x"\n', 5, None),
        # a header with spaces and a comment
        (
            'name = "R"\n[[ exercises ]]\nname = "A"\nhold = 1\n[[exercises]]  # two\nname = 4\n'
            "hold = 1\n",
            6,
            "exercises[2].name",
        ),
        # a multi-line string whose lines look like TOML
        (
            'name = "R"\ndescription = """\n[[exercises]]\nhold = 99\n"""\n'
            '[[exercises]]\nname = "A"\nhold = "x"\n',
            8,
            "exercises[1] (A).hold",
        ),
        # a literal multi-line string
        (
            "name = 'R'\ndescription = '''\nname = 1\n'''\n[[exercises]]\nname = 'A'\nhold = 'x'\n",
            7,
            "exercises[1] (A).hold",
        ),
        # a one-line string that contains three quotes, then a multi-line one closed after text
        (
            "name = 'R'\ndescription = 'three quotes: \"\"\"'\n"
            '[[exercises]]\nname = "A"\nnote = """first\nsecond"""\nhold = 0\n',
            7,
            "exercises[1] (A).hold",
        ),
        # a list of steps over several lines, with comments and brackets in strings
        (
            'name = "R"\n[[exercises]]\nname = "A"\nhold = 3\nsteps = [  # the steps\n'
            '  "Lie down [on a mat]",\n  # a comment ]\n  "Breathe # out",\n'
            '  "Bad \\u001b step",\n]\n',
            9,
            "exercises[1] (A).steps[3]",
        ),
        # Windows line ends
        ('name = "R"\r\n[[exercises]]\r\nname = "A"\r\nhold = 0\r\n', 4, "exercises[1] (A).hold"),
        # a byte-order mark
        ('\ufeffname = "R"\n[[exercises]]\nname = "A"\nhold = 0\n', 4, "exercises[1] (A).hold"),
        # keys after [defaults] belong to it
        (
            'name = "R"\n[defaults]\nrest = 1\nreps = 0\n[[exercises]]\nname = "A"\nhold = 3\n',
            4,
            "defaults.reps",
        ),
    ],
)
def test_lines_are_found_in_many_layouts(text: str, line: int, field: str | None) -> None:
    problems = problems_of(text)
    assert len(problems) == 1, problems
    assert problems[0].line == line
    if field is not None:
        assert problems[0].field == field


def test_key_paths_that_need_quotes_are_quoted_and_escaped() -> None:
    [problem] = problems_of('name = "R"\n[[exercises]]\nname = "A"\nhold = 3\n"my note" = 1\n')
    assert problem.field == 'exercises[1] (A)."my note"'
    [problem] = problems_of('name = "R"\n"\\u001b[2J" = 1\n[[exercises]]\nname = "A"\nhold = 3\n')
    assert "\x1b" not in str(problem), "an escape sequence in a key must not reach the terminal"
    assert problem.field == '"\\x1b[2J"'
    assert field_path(("exercises", 2, "hold")) == "exercises[3].hold"
    assert field_path(("a.b", 'q"', "\\")) == '"a.b"."q\\""."\\\\"'


def test_locations_count_from_1_and_name_the_exercise() -> None:
    """A person editing the file counts exercises from 1 and knows them by name (the session
    says "exercise 1 of 4")."""
    data = {
        "exercises": [
            {"name": "Knee to chest"},
            {"name": "  Cat\n stretch "},
            {"hold": 3},
            {"name": "x" * 200},
            {"name": "Bell\x07"},
        ]
    }
    assert field_path(("exercises", 0, "hold"), data) == "exercises[1] (Knee to chest).hold"
    assert field_path(("exercises", 1), data) == "exercises[2] (Cat stretch)"
    assert field_path(("exercises", 2, "hold"), data) == "exercises[3].hold"  # no name
    assert field_path(("exercises", 3, "reps"), data) == f"exercises[4] ({'x' * 37}...).reps"
    assert field_path(("exercises", 4, "hold"), data) == "exercises[5] (Bell\\x07).hold"
    # An error in the name itself does not repeat the name.
    assert field_path(("exercises", 4, "name"), data) == "exercises[5].name"
    # Lists of text count from 1 too.
    assert field_path(("exercises", 0, "steps", 0), data) == (
        "exercises[1] (Knee to chest).steps[1]"
    )
    [problem] = problems_of('name = "R"\n[[exercises]]\nname = "Cat stretch"\nhodl = 3\n')
    assert str(problem) == (
        "r.toml:4: exercises[1] (Cat stretch).hodl: unknown key 'hodl' (did you mean 'hold'?)"
    )


def test_unknown_keys_have_hints_at_every_level() -> None:
    cases = {
        'nmae = "R"\n[[exercises]]\nname = "A"\nhold = 3\n': ("nmae", "name"),
        'name = "R"\n[source]\ntitel = "T"\n[[exercises]]\nname = "A"\nhold = 3\n': (
            "source.titel",
            "title",
        ),
        'name = "R"\n[defaults]\nhodl = 3\n[[exercises]]\nname = "A"\nhold = 3\n': (
            "defaults.hodl",
            "hold",
        ),
        'name = "R"\n[[exercises]]\nname = "A"\nhodl = 3\n': ("exercises[1] (A).hodl", "hold"),
        'name = "R"\n[[exercises]]\nname = "A"\nreps = 2\ntempo = { lfit = 1 }\n': (
            "exercises[1] (A).tempo.lfit",
            "lift",
        ),
        'name = "R"\n[defaults]\ntempo = { paws = 1 }\n[[exercises]]\nname = "A"\n': (
            "defaults.tempo.paws",
            "pause",
        ),
    }
    for text, (field, hint) in cases.items():
        problems = [p for p in problems_of(text) if "unknown key" in p.message]
        assert [p.field for p in problems] == [field]
        assert f"(did you mean {hint!r}?)" in problems[0].message
        assert (
            problems[0].line
            == text.splitlines().index(
                next(line for line in text.splitlines() if field.split(".")[-1] in line)
            )
            + 1
        )


def test_problem_str_forms() -> None:
    assert str(Problem("a.toml", "no such file")) == "a.toml: no such file"
    assert str(Problem("a.toml", "bad", line=3)) == "a.toml:3: bad"
    assert str(Problem("a.toml", "bad", line=3, column=7)) == "a.toml:3:7: bad"
    assert str(Problem("a.toml", "bad", line=3, field="exercises[0].hold")) == (
        "a.toml:3: exercises[0].hold: bad"
    )
    error = RoutineError([Problem("a", "x", 1), Problem("a", "y", 2)])
    assert str(error) == "a:1: x\na:2: y"


def test_line_locator_directly() -> None:
    locator = LineLocator(GOOD)
    assert locator.line_of(("name",)) == 1
    assert locator.line_of(("source", "publisher")) == 6
    assert locator.line_of(("defaults",)) == 8
    assert locator.line_of(("exercises",)) == 12
    assert locator.line_of(("exercises", 1)) == 16
    assert locator.line_of(("exercises", 1, "reps")) == 19
    assert locator.line_of(("exercises", 1, "caution")) == 16  # not written: the exercise
    assert locator.line_of(("nothing", "here")) == 1
    assert LineLocator("").line_of(("name",)) is None


# ---------------------------------------------------------------- any input at all


def write(tmp_path: Path, data: bytes | str, name: str = "r.toml") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "is empty"),
        (b"   \n\t\n  ", "is empty"),
        (b"\n" * 1000, "is empty"),
        (b"# just a comment\n", "is required"),
        (b"\x00\x01\x02binary", "is a binary file"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "is a binary file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is a binary file"),
        (b'name = "\xff\xfe"\n', "is not valid UTF-8"),
        (b"\xef\xbb\xbf", "is empty"),  # only a byte-order mark
        (b'name = "R"\n', "exercises: is required"),
        (b"[[exercises]]\n", "is required"),
        (b"exercises = 3\n", "expected a list"),
        (b"name = [[[1]]]\nexercises = [[[]]]\n", "expected text"),
        (b"= = =", "TOML syntax"),
        (b"[", "TOML syntax"),
        (b'"', "TOML syntax"),
        (b'name = "R"\n\x1b[31m\n', "TOML syntax"),
        (b"a = " + b"9" * 5000, "far too many digits"),
        (b"a = 1979-05-27T07:32:00Z\nname = 1979-05-27\n", "got a date"),
        (b"name = 07:32:00\n", "got a time of day"),
        (b'name = "R"\n[[exercises]]\nname = "A"\nhold = ' + b"9" * 400 + b"\n", "far longer"),
    ],
    ids=lambda value: repr(value)[:30] if isinstance(value, bytes) else None,
)
def test_odd_contents_give_a_routine_error(tmp_path: Path, data: bytes, fragment: str) -> None:
    problems = problems_of_file(write(tmp_path, data), "r.toml")
    assert any(fragment in str(p) for p in problems), problems
    assert all(p.path == "r.toml" for p in problems)


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, b'name = "R"\n# caf\xe9\n')
    [problem] = problems_of_file(path, "r.toml")
    assert (problem.line, problem.column) == (2, 6)
    assert problem.message.startswith("is not valid UTF-8 text")


@pytest.mark.parametrize("depth", [1000, 100_000])
@pytest.mark.parametrize("opener", ["[", "{a="])
def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path, depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    for body in (f"x = {opener * depth}{closer * depth}", f"x = {opener * depth}"):
        problems = problems_of_file(write(tmp_path, body), "deep.toml")
        assert problems[0].path == "deep.toml"


def test_deep_but_valid_nesting_in_a_field_is_a_type_error() -> None:
    text = 'name = "R"\n[[exercises]]\nname = "A"\nhold = ' + "[" * 200 + "]" * 200 + "\n"
    [problem] = problems_of(text)
    assert (problem.line, problem.field) == (4, "exercises[1] (A).hold")
    assert "got a list" in problem.message


def test_a_folder_is_not_a_routine(tmp_path: Path) -> None:
    [problem] = problems_of_file(tmp_path, "folder")
    assert str(problem) == "folder: is a folder, not a routine file"


def test_a_missing_file(tmp_path: Path) -> None:
    [problem] = problems_of_file(tmp_path / "nope.toml", "nope.toml")
    assert str(problem) == "nope.toml: no such file"
    [problem] = problems_of_file(tmp_path / "no" / "such" / "folder.toml", "x")
    assert problem.message == "no such file"


def test_a_file_inside_a_file(tmp_path: Path) -> None:
    file = write(tmp_path, GOOD)
    [problem] = problems_of_file(file / "inner.toml", "inner")
    assert problem.message.startswith("cannot read")


def test_symlinks(tmp_path: Path) -> None:
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    [problem] = problems_of_file(loop, "loop.toml")
    assert "symlink loop" in problem.message
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.symlink_to(b)
    b.symlink_to(a)
    assert "symlink loop" in problems_of_file(a)[0].message
    dangling = tmp_path / "dangling.toml"
    dangling.symlink_to(tmp_path / "gone.toml")
    assert problems_of_file(dangling)[0].message == "no such file"
    good = tmp_path / "good.toml"
    good.symlink_to(write(tmp_path, GOOD, "real.toml"))
    assert load_routine(good).name == "Evening stretches"


def test_a_file_over_1_mib_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = GOOD + "# padding\n" * (MAX_FILE_BYTES // 10)
    assert len(big.encode()) > MAX_FILE_BYTES
    path = write(tmp_path, big)

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file over 1 MiB must not be parsed")

    monkeypatch.setattr(tomllib, "loads", no_parsing)  # what routine_load parses with
    [problem] = problems_of_file(path, "big.toml")
    assert problem.message == f"is {len(big.encode()):,} bytes; a routine file may be at most 1 MiB"


def test_a_file_of_exactly_1_mib_is_read(tmp_path: Path) -> None:
    padding = MAX_FILE_BYTES - len(GOOD.encode())
    data = GOOD.encode() + b"#" + b" " * (padding - 2) + b"\n"
    assert len(data) == MAX_FILE_BYTES
    assert load_routine(write(tmp_path, data)).name == "Evening stretches"


def test_an_endless_device_is_not_read() -> None:
    # Once cut off at 1 MiB; now (issue 13) only regular files are read at all.
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    [problem] = problems_of_file(Path("/dev/zero"), "zero")
    assert problem.message == "is a device, not a routine file: only regular files are read"


def test_an_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    path.chmod(0)
    try:
        if os.geteuid() == 0:
            # root reads whatever the mode says: the file simply loads.
            assert load_routine(path).name == "Evening stretches"
            pytest.skip("running as root: chmod 000 does not stop root from reading")
        [problem] = problems_of_file(path, "locked.toml")
        assert str(problem) == "locked.toml: permission denied"
    finally:
        path.chmod(0o644)


def test_an_unsearchable_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    path = write(folder, GOOD)
    folder.chmod(0)
    try:
        if os.geteuid() == 0:
            pytest.skip("running as root: chmod 000 does not stop root from reading")
        [problem] = problems_of_file(path, "locked/r.toml")
        assert problem.message == "permission denied"
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("bad", ["with\0nul.toml", "x" * 5000 + ".toml", "a/" * 3000 + "b.toml"])
def test_impossible_paths(bad: str) -> None:
    problems = problems_of_file(Path(bad))
    assert len(problems) == 1 and problems[0].message


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses non-UTF-8 file names")
def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path: Path) -> None:
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9\x1b.toml"))
    path.write_bytes(b"broken = ")
    [problem] = problems_of_file(path)
    assert problem.path.endswith("caf\\xe9\\x1b.toml")
    str(problem).encode("utf-8")  # printable: no lone surrogates left


def test_printable() -> None:
    assert printable("plain café 膝") == "plain café 膝"
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("tab\tnew\nline") == "tab\\x09new\\x0aline"
    assert printable("\u202eevil") == "\\u202eevil"
    assert printable("bad\udcffbyte") == "bad\\xffbyte"


def test_load_routine_takes_str_and_path_like(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert load_routine(str(path)).name == load_routine(path).name == "Evening stretches"


@pytest.mark.parametrize(
    ("key", "value", "meant"),
    [
        ("rpes", '"2-3"', "reps"),
        ("rpes", "3", "reps"),
        ("hodl", '"30s"', "hold"),
        ("rset", "10", "rest"),
    ],
)
def test_did_you_mean_prefers_the_fewest_edits_and_a_field_of_the_same_kind(
    key: str, value: str, meant: str
) -> None:
    text = f'name = "R"\n[[exercises]]\nname = "A"\nhold = 5\n{key} = {value}\n'
    with pytest.raises(RoutineError) as info:
        validate_text(text, "r.toml")
    assert f"unknown key {key!r} (did you mean {meant!r}?)" in str(info.value)
