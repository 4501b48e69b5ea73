"""The ``check``, ``list`` and ``schema`` commands, run in-process (fast) and, twice, as a
real process (to prove that no traceback reaches the user)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from schema_check import schema_errors  # the small JSON Schema validator

from backtimer import __version__
from backtimer.cli.main import main
from backtimer.core.schema import routine_json_schema
from backtimer.files import paths
from backtimer.files.routine_load import load_routine

CORPUS = Path(__file__).resolve().parent.parent / "bad_routines"
EXPECT = re.compile(r"# expect: (\d+)(?::(\d+))? (.+?) \| (.+)$")

TEN_MINUTES = """\
name = "Ten minutes"

[defaults]
get_ready = 0
set_rest = 0

[[exercises]]
name = "Knee to chest"
hold = "5 min"
sets = 2
"""

ONE_EXERCISE = """\
name = "Quick"

[[exercises]]
name = "Child's pose"
hold = "30s"
"""

TWO_EXERCISES = """\
name = "Evening"

[defaults]
rest = "5s"

[[exercises]]
name = "Cat-camel"
hold = "5s"
reps = 10

[[exercises]]
name = "Knee to chest"
hold = "20-30s"
sides = "both"
"""

BAD = """\
name = "Broken"

[[exercises]]
name = "Bridge"
hodl = "5s"
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """main(argv) -> (exit code, stdout, stderr); argparse's exits are caught too."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


@pytest.fixture
def no_bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No bundled routines: list shows only what a test puts in the user's folder."""
    empty = tmp_path / "no-bundled"
    empty.mkdir()
    monkeypatch.setattr(paths, "bundled_routines_dir", lambda: empty)
    return empty


# ---------------------------------------------------------------- check


def test_check_a_folder_of_good_and_bad_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "ten.toml", TEN_MINUTES)
    write(tmp_path, "quick.toml", ONE_EXERCISE)
    write(tmp_path, "sub/evening.toml", TWO_EXERCISES)
    bad = write(tmp_path, "sub/broken.toml", BAD)
    write(tmp_path, "notes.txt", "not a routine, not checked")
    code, out, err = run(capsys, "check", str(tmp_path))
    assert code == 1
    evening = load_routine(tmp_path / "sub/evening.toml")
    minutes = round(evening.total_seconds() / 60)
    # Each ok line is followed by where the spoken words lengthen steps (indented).
    lengthened = [line for line in out.splitlines() if line.startswith("  ")]
    assert lengthened and all(" -> " in line or "with its words" in line for line in lengthened)
    assert [line for line in out.splitlines() if not line.startswith("  ")] == [
        f"ok {tmp_path / 'quick.toml'} (1 exercise, about 40 s)",
        f"ok {tmp_path / 'sub/evening.toml'} (2 exercises, about {minutes} min)",
        f"ok {tmp_path / 'ten.toml'} (1 exercise, about 10 min)",
    ]
    assert err.splitlines() == [
        f"{bad}:5: exercises[1] (Bridge).hodl: unknown key 'hodl' (did you mean 'hold'?)",
    ]


def test_check_only_good_files_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write(tmp_path, "a.toml", TEN_MINUTES)
    b = write(tmp_path, "b.toml", TWO_EXERCISES)
    code, out, err = run(capsys, "check", str(a), str(b))
    assert (code, err) == (0, "")
    oks = [line for line in out.splitlines() if line.startswith("ok ")]
    assert oks[0] == f"ok {a} (1 exercise, about 10 min)"
    assert oks[1].startswith(f"ok {b} (2 exercises, about ")
    assert len(oks) == 2


def test_check_reports_every_error_of_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two = write(tmp_path, "two.toml", 'name = 1\n[[exercises]]\nname = "A"\nhold = -1\n')
    one = write(tmp_path, "one.toml", BAD)
    code, out, err = run(capsys, "check", str(two), str(one))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"{two}:1: name: expected text (a quoted string), got the number 1",
        f"{two}:4: exercises[1] (A).hold: must be more than 0 seconds",
        f"{one}:5: exercises[1] (Bridge).hodl: unknown key 'hodl' (did you mean 'hold'?)",
    ]


def test_check_the_whole_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(CORPUS))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    files = sorted(CORPUS.glob("*.toml"))
    assert len(lines) == len(files), "one defect, so one line, per file"
    for path, line in zip(files, lines, strict=True):
        number, column, field, fragment = EXPECT.match(
            path.read_bytes().splitlines()[0].decode()
        ).groups()
        where = f"{path}:{number}" + (f":{column}" if column else "")
        assert line.startswith(where + ": " + ("" if field == "-" else f"{field}: "))
        assert fragment in line


def test_check_missing_paths_and_empty_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, "good.toml", ONE_EXERCISE)
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run(capsys, "check", str(tmp_path / "nope.toml"), str(empty), str(good))
    assert code == 1
    assert out == f"ok {good} (1 exercise, about 40 s)\n"
    assert err.splitlines() == [
        f"{tmp_path / 'nope.toml'}: no such file",
        f"{empty}: no .toml files in this folder",
    ]


def test_check_odd_files_in_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "binary.toml", b"\x00\x01\x02")
    write(tmp_path, "empty.toml", b"")
    write(tmp_path, "latin1.toml", b'name = "caf\xe9"\n')
    (tmp_path / "loop.toml").symlink_to(tmp_path / "loop.toml")
    (tmp_path / "folder.toml").mkdir()  # a folder with a .toml name is searched, not read
    write(tmp_path, "folder.toml/inner.toml", ONE_EXERCISE)
    write(tmp_path, "deep.toml", "x = " + "[" * 100_000)
    write(tmp_path, "huge.toml", "#" * (2 * 1024 * 1024))
    code, out, err = run(capsys, "check", str(tmp_path))
    assert code == 1
    assert out == f"ok {tmp_path / 'folder.toml/inner.toml'} (1 exercise, about 40 s)\n"
    messages = dict(line.split(": ", 1) for line in err.splitlines())
    assert messages[str(tmp_path / "binary.toml")] == "is a binary file, not a TOML routine"
    assert messages[str(tmp_path / "empty.toml")].startswith("is empty")
    assert messages[f"{tmp_path / 'latin1.toml'}:1:12"].startswith("is not valid UTF-8 text")
    assert "symlink loop" in messages[str(tmp_path / "loop.toml")]
    assert messages[str(tmp_path / "deep.toml")].startswith("TOML syntax")
    assert "at most 1 MiB" in messages[str(tmp_path / "huge.toml")]


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses non-UTF-8 file names")
def test_check_file_names_that_cannot_be_printed_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name with an undecodable byte or an escape sequence: escaped, never a crash."""
    folder = os.fsencode(tmp_path)
    good = Path(os.fsdecode(folder + b"/caf\xe9.toml"))
    bad = Path(os.fsdecode(folder + b"/\x1b[2Jclear.toml"))
    good.write_text(ONE_EXERCISE)
    bad.write_text(BAD)
    code, out, err = run(capsys, "check", str(tmp_path))
    assert code == 1
    assert out == f"ok {tmp_path}/caf\\xe9.toml (1 exercise, about 40 s)\n"
    assert err.startswith(f"{tmp_path}/\\x1b[2Jclear.toml:5: exercises[1] (Bridge).hodl")
    assert "\x1b" not in out + err


def test_check_a_path_with_a_nul_byte(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "a\0b.toml")
    assert (code, out) == (1, "")
    assert err == "a\\x00b.toml: is not a valid file name\n"


def test_check_the_bundled_routines(capsys: pytest.CaptureFixture[str]) -> None:
    folder = paths.bundled_routines_dir()
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        pytest.skip("no bundled routines yet")
    code, out, err = run(capsys, "check", str(folder))
    assert (code, err) == (0, "")
    assert len([line for line in out.splitlines() if line.startswith("ok ")]) == len(files)
    # Where the spoken words lengthen steps, indented under each file.
    assert all(line.startswith(("ok ", "  ")) for line in out.splitlines())


# ---------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["check"], "the following arguments are required: PATH"),
        (["check", "--frob", "x.toml"], "unrecognized arguments: --frob"),
        (["frob"], "invalid choice: 'frob'"),
        (["--frob"], "unrecognized arguments: --frob"),
        (["list", "extra"], "unrecognized arguments: extra"),
        (["schema", "--json"], "unrecognized arguments: --json"),
    ],
)
def test_usage_errors_exit_2_with_a_short_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert fragment in err
    assert err.splitlines()[0].startswith("usage: backtimer")
    assert err.rstrip().endswith("--help'.")
    assert len(err.splitlines()) <= 4
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [[], ["check"], ["list"], ["schema"]])
def test_help_and_version_everywhere(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, out, err = run(capsys, *command, "--help")
    assert (code, err) == (0, "")
    assert out.startswith("usage: backtimer" + "".join(f" {c}" for c in command))
    code, out, err = run(capsys, *command, "--version")
    assert (code, out, err) == (0, f"backtimer {__version__}\n", "")


# ---------------------------------------------------------------- list


def test_list_user_routines_valid_and_invalid(
    user_routines: Path, no_bundled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(user_routines, "evening.toml", TWO_EXERCISES)
    write(user_routines, "broken.toml", BAD)
    write(user_routines, "readme.txt", "ignored")
    code, out, err = run(capsys, "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 4
    header, broken, evening, legend = lines  # sorted by file name
    assert re.fullmatch(r"routine +from +exercises +about +name", header)
    assert legend.startswith("about: how long a session lasts with its spoken words (full), ")
    assert "estimated at 175 words per minute" in legend
    assert re.fullmatch(
        r"broken +user +INVALID +.*broken\.toml:5: exercises\[1\] \(Bridge\)\.hodl: .*", broken
    )
    assert re.fullmatch(r"evening +user +2 exercises +\d+ min +Evening", evening)


def test_list_shows_how_long_a_session_lasts_with_its_words(
    user_routines: Path, no_bundled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not only the routine's own times: the plan's total with its words estimated at the
    voice's rate (and the closing words), as the session will last."""
    from backtimer.core.durations import about
    from backtimer.core.plan import compile_plan
    from backtimer.core.timeline import estimator

    write(user_routines, "evening.toml", TWO_EXERCISES)
    routine = load_routine(user_routines / "evening.toml")
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    evening = json.loads(out)[0]
    plan = compile_plan(routine, "low", length=estimator(175), closing_sound=0.9)
    assert evening["session_seconds"] == pytest.approx(plan.total_seconds, abs=0.05)
    assert evening["session_seconds"] > evening["total_seconds"]  # the words take time
    assert evening["session_speech"] == {
        "voice": True,
        "rate": 175,
        "detail": "full",
        "measured": False,
    }
    code, out, _ = run(capsys, "list")
    assert code == 0
    row = out.splitlines()[1]
    assert re.search(rf"2 exercises +{re.escape(about(plan.total_seconds))} +Evening$", row)
    # A slower voice makes the session longer; with the voice off it keeps its own times.
    (user_routines.parent / "config.toml").write_text("speech_rate = 100\n", encoding="utf-8")
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    slow = json.loads(out)[0]
    assert slow["session_seconds"] > evening["session_seconds"]
    assert slow["session_speech"]["rate"] == 100
    (user_routines.parent / "config.toml").write_text(
        "voice = false\ntones = false\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    quiet = json.loads(out)[0]
    assert quiet["session_seconds"] == quiet["total_seconds"]
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert out.splitlines()[0].split()[3] == "length"
    assert out.splitlines()[-1] == (
        "length: the routine's own times, at the low end (the voice is off)."
    )


def test_list_json(
    user_routines: Path, no_bundled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(user_routines, "evening.toml", TWO_EXERCISES)
    write(user_routines, "broken.toml", BAD)
    code, out, err = run(capsys, "list", "--json")
    assert (code, err) == (0, "")
    items = json.loads(out)
    by_key = {item["key"]: item for item in items}
    assert set(by_key) == {"evening", "broken"}
    evening = by_key["evening"]
    routine = load_routine(user_routines / "evening.toml")
    assert evening["origin"] == "user" and evening["valid"] is True
    assert evening["name"] == "Evening" and evening["exercises"] == 2
    assert evening["total_seconds"] == routine.total_seconds("low")
    assert evening["total_seconds_high"] == routine.total_seconds("high") > routine.total_seconds()
    assert Path(evening["path"]).name == "evening.toml"
    broken = by_key["broken"]
    assert broken["valid"] is False and "name" not in broken
    assert broken["error"].endswith(
        "exercises[1] (Bridge).hodl: unknown key 'hodl' (did you mean 'hold'?)"
    )


def test_list_with_nothing(no_bundled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "list") == (0, "no routines found\n", "")
    assert run(capsys, "list", "--json") == (0, "[]\n", "")


def test_list_shows_bundled_routines(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(paths.bundled_routines_dir().glob("*.toml"))
    if not files:
        pytest.skip("no bundled routines yet")
    code, out, _ = run(capsys, "list", "--json")
    bundled = [item for item in json.loads(out) if item["origin"] == "bundled"]
    assert code == 0
    assert sorted(item["key"] for item in bundled) == sorted(p.stem for p in files)


def test_list_is_never_fatal(
    user_routines: Path, no_bundled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (user_routines / "loop.toml").symlink_to(user_routines / "loop.toml")
    (user_routines / "dir.toml").mkdir()
    write(user_routines, "binary.toml", b"\x00\xff")
    write(user_routines, "huge.toml", b"#" * (1024 * 1024 + 1))
    name = os.fsdecode(os.fsencode(user_routines) + b"/bad\xff\x1bname.toml")
    Path(name).write_text(ONE_EXERCISE)
    for argv in (["list"], ["list", "--json"]):
        code, out, err = run(capsys, *argv)
        assert (code, err) == (0, "")
        assert "\x1b" not in out
        out.encode("utf-8")  # printable: no lone surrogates
    items = json.loads(out)
    by_key = {item["key"]: item for item in items}
    assert by_key["bad\\xff\\x1bname"]["valid"] is True
    for key in ("loop", "dir", "binary", "huge"):
        assert by_key[key]["valid"] is False and by_key[key]["error"]


def test_list_with_an_unreadable_routines_path(
    isolated_dirs: dict[str, Path], no_bundled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The routines "folder" is a file: nothing to list, not a crash.
    write(isolated_dirs["config"], "routines", "not a folder")
    assert run(capsys, "list") == (0, "no routines found\n", "")


# ---------------------------------------------------------------- schema

SUPPORTED = {
    "$schema", "$defs", "$ref", "title", "description", "default", "examples",
    "type", "properties", "additionalProperties", "required", "items", "anyOf", "enum",
    "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minItems", "maxItems", "minLength", "maxLength", "pattern",
}  # fmt: skip


def walk_keywords(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for sub in value.values():
                    found |= walk_keywords(sub)
            elif key not in ("examples", "default", "enum", "const"):
                found |= walk_keywords(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= walk_keywords(item)
    return found


GOOD_DICTS: list[dict[str, Any]] = [
    {"name": "R", "exercises": [{"name": "A", "hold": 30}]},
    {
        "name": "Full",
        "description": "All the fields.\nOver two lines.",
        "source": {"title": "T", "publisher": "P", "author": "A", "url": "https://x", "note": "n"},
        "cautions": ["Stop if it hurts."],
        "defaults": {
            "hold": "10-30s",
            "reps": "2-3",
            "sets": 2,
            "sides": "both",
            "side_order": "alternating",
            "first_side": "left",
            "rest": 0,
            "set_rest": "1m",
            "switch": "3s",
            "breath": 4.5,
            "get_ready": "10 s",
            "transition": "0s",
        },
        "exercises": [
            {"name": "A"},
            {"name": "B", "hold": "10 breaths", "reps": "3", "sets": "1 to 2"},
            {"name": "C", "tempo": {"lift": 2, "hold": 1, "lower": "2s", "pause": 0}},
            {"name": "D", "user_paced": True, "position": "standing", "steps": ["a", "b"]},
            {"name": "E", "hold": "1m30s", "target": "t", "benefit": "b", "caution": "c"},
            {"name": "F", "hold": 2.5, "stop_if": "pain", "note": "n", "reps": 3.0},
        ],
    },
]

BAD_DICTS: list[dict[str, Any]] = [
    {"exercises": [{"name": "A", "hold": 30}]},  # no name
    {"name": "R"},  # no exercises
    {"name": "R", "exercises": []},
    {"name": "R", "exercises": [{"name": "A", "hodl": 30}]},
    {"name": "R", "colour": "blue", "exercises": [{"name": "A", "hold": 30}]},
    {"name": "R", "exercises": [{"name": "A", "hold": 30, "reps": 0}]},
    {"name": "R", "exercises": [{"name": "A", "hold": 30, "reps": True}]},
    {"name": "R", "exercises": [{"name": "A", "hold": -1}]},
    {"name": "R", "exercises": [{"name": "A", "hold": 7201}]},
    {"name": "R", "exercises": [{"name": "A", "hold": 30, "sides": "left"}]},
    {"name": "R", "exercises": [{"name": "A", "hold": 30, "rest": "soon"}]},
    {"name": "R", "exercises": [{"name": "A", "tempo": {"lowr": 1}}]},
    {"name": 5, "exercises": [{"name": "A", "hold": 30}]},
    {"name": "x" * 121, "exercises": [{"name": "A", "hold": 30}]},
    {"name": "R", "exercises": [{"name": "A", "hold": 30, "steps": [""]}]},
    {"name": "R", "exercises": [{"name": "A", "hold": 30, "reps": "2 3"}]},
    {"name": "R", "exercises": [{"name": "A", "user_paced": "yes"}]},
]


def test_schema_prints_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "schema")
    assert (code, err) == (0, "")
    schema = json.loads(out)
    assert schema == json.loads(json.dumps(routine_json_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert {"name", "exercises", "defaults", "source"} <= set(schema["properties"])
    assert set(schema["required"]) == {"name", "exercises"}
    assert schema["additionalProperties"] is False
    assert walk_keywords(schema) <= SUPPORTED, "teach schema_errors the new keywords"
    # Every field of the exercise model is described, for editors' completion.
    exercise = schema["$defs"]["Exercise"]
    assert {"hold", "tempo", "reps", "sets", "sides", "steps", "stop_if"} <= set(
        exercise["properties"]
    )
    assert all(prop.get("description") for prop in exercise["properties"].values())


@pytest.mark.parametrize("data", GOOD_DICTS, ids=["minimal", "full"])
def test_schema_accepts_good_routines(data: dict[str, Any]) -> None:
    from backtimer.core.schema import validate_routine

    validate_routine(data)  # valid for the loader...
    schema = routine_json_schema()
    assert schema_errors(data, schema, schema) == []  # ...and for an editor


@pytest.mark.parametrize("data", BAD_DICTS)
def test_schema_rejects_bad_routines(data: dict[str, Any]) -> None:
    schema = routine_json_schema()
    assert schema_errors(data, schema, schema) != []


def test_schema_accepts_the_bundled_routines() -> None:
    import tomllib

    files = sorted(paths.bundled_routines_dir().glob("*.toml"))
    if not files:
        pytest.skip("no bundled routines yet")
    schema = routine_json_schema()
    for path in files:
        data = tomllib.loads(path.read_text())
        assert schema_errors(data, schema, schema) == [], path.name


# ---------------------------------------------------------------- as a real process


def python_m(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "backtimer", *argv],
        capture_output=True,
        text=True,
        errors="replace",
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_process_check_corpus_and_odd_files_without_traceback(tmp_path: Path) -> None:
    write(tmp_path, "good.toml", ONE_EXERCISE)
    write(tmp_path, "deep.toml", "x = " + "[" * 100_000)
    write(tmp_path, "bin.toml", os.urandom(4096))
    if sys.platform != "darwin":
        Path(os.fsdecode(os.fsencode(tmp_path) + b"/ok\xff.toml")).write_text(ONE_EXERCISE)
    result = python_m("check", str(CORPUS), str(tmp_path), str(tmp_path / "missing.toml"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert f"ok {tmp_path / 'good.toml'} (1 exercise, about 40 s)" in result.stdout
    assert len(result.stderr.splitlines()) >= len(list(CORPUS.glob("*.toml"))) + 3


def test_process_list_and_usage_errors_without_traceback(tmp_path: Path) -> None:
    routines = tmp_path / "config" / "routines"
    write(routines, "broken.toml", b"\xff\x00")
    (routines / "loop.toml").symlink_to(routines / "loop.toml")
    env = {"BACKTIMER_CONFIG_DIR": str(tmp_path / "config")}
    listed = python_m("list", env=env)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert re.search(r"^broken +user +INVALID", listed.stdout, re.MULTILINE)
    usage = python_m("check", env=env)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    assert "the following arguments are required: PATH" in usage.stderr


def test_list_says_1_exercise_not_1_exercises(
    user_routines: Path, no_bundled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(user_routines, "one.toml", 'name = "One"\n[[exercises]]\nname = "A"\nhold = 5\n')
    code, out, _ = run(capsys, "list")
    assert code == 0
    (line,) = [line for line in out.splitlines() if line.startswith("one ")]
    assert re.fullmatch(r"one +user +1 exercise +\d+ s +One", line), line
