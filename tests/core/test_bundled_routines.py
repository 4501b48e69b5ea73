"""The routines shipped in routines/: they load, cite their sources and keep the sources' numbers.

The spot checks pin numbers taken from the source texts (the web pages the routines were
transcribed from), so that an edit that changes a prescribed hold, count or side shows up here.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from backtimer.core.routine import Hold, Routine, Settings, Span
from backtimer.files import catalog
from backtimer.files.routine_load import load_routine

ROUTINES_DIR = Path(__file__).resolve().parents[2] / "routines"

EXPECTED = {
    "spine-institute-northwest",
    "spine-health-stretches",
    "norton-leatherman",
    "best-back-pain-relief",
    "sutter-and-others",
    "sutter-strength",
    "desk-break",
}


def _load(key: str) -> Routine:
    return load_routine(ROUTINES_DIR / f"{key}.toml")


def _index(routine: Routine, name: str) -> int:
    names = [e.name for e in routine.exercises]
    assert name in names, f"no exercise {name!r} in {routine.name!r}: {names}"
    return names.index(name)


def _strings(value: Any) -> list[str]:
    """Every string inside a model: text fields, lists of lines, nested tables."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, Hold | Span):
        return [s for f in dataclasses.fields(value) for s in _strings(getattr(value, f.name))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _all_text(routine: Routine) -> str:
    return "\n".join(_strings(routine)).lower()


# ------------------------------------------------------------------------ loading


def test_exactly_seven_bundled_routines_load():
    files = sorted(ROUTINES_DIR.glob("*.toml"))
    assert {p.stem for p in files} == EXPECTED
    for path in files:
        routine = load_routine(path)
        assert routine.exercises


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_file_names_are_short_kebab_case_keys(key: str):
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key)
    assert len(key) <= 30


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_a_bundled_routine_is_found_by_its_key(key: str, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("BACKTIMER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("BACKTIMER_DATA_DIR", str(tmp_path / "data"))
    entry = catalog.resolve(key)
    assert entry.origin == "bundled"
    assert entry.routine is not None
    assert entry.routine.name == _load(key).name


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_routine_cites_its_source(key: str):
    source = _load(key).source
    assert source is not None
    assert source.title.strip()
    assert source.publisher and source.publisher.strip()
    assert source.url and source.url.strip()  # where to find it, in words (no invented URL)
    assert source.note and source.note.strip()  # how it was transcribed
    assert "http" not in (source.url or "")


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_exercise_has_a_position_and_steps(key: str):
    routine = _load(key)
    names = [e.name for e in routine.exercises]
    assert len(names) == len(set(names)), "exercise names are announced and logged: keep unique"
    for exercise in routine.exercises:
        assert exercise.position, exercise.name
        assert exercise.steps, exercise.name
        for step in exercise.steps:
            assert step.strip()[-1] in ".?!", f"{exercise.name}: {step!r}"


# ------------------------------------------------------------------------ text

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The seed texts dropped apostrophes ("youre"); the routines must not.
_DROPPED_APOSTROPHE = re.compile(
    r"\b(youre|dont|isnt|arent|wont|thats|doesnt|theyre|cant|didnt|carinas|doctors approval)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_text_is_plain(key: str):
    routine = _load(key)
    for text in _strings(routine):
        assert "[" not in text and "]" not in text, f"markup-like bracket in {text!r}"
        assert not _CONTROL.search(text), f"control character in {text!r}"
        assert not any(unicodedata.category(ch) == "Cc" for ch in text)
        assert not _DROPPED_APOSTROPHE.search(text), f"missing apostrophe in {text!r}"


# ------------------------------------------------------------------------ cautions

# Phrases from the sources' cautions and stop-if conditions, each of which must appear
# (case-insensitively) somewhere in the routine transcribed from that source.
CAUTIONS = {
    "spine-institute-northwest": [
        "start slow and work your way up",
        "if you feel an exercise causes muscle spasms or increased pain, stop immediately",
    ],
    "spine-health-stretches": [
        "each stretch and exercise should be performed without pain",
    ],
    "norton-leatherman": [
        "spine specialist",
        "pain-free range",
        "pain-free stretch",
        "as tolerated",
        "keep your back straight",
    ],
    "best-back-pain-relief": [
        "consult a spine specialist",
        "stop if and when in pain",
        "under the supervision of a fitness expert",
    ],
    "sutter-and-others": [
        "if you feel pain in the front of the hip, discontinue exercise",
        "be cautious with this stretch if you have been diagnosed with osteoporosis",
        "proper body mechanics and posture",
        "seek help from a physical therapist",
        "stretching should be pain free",
        "avoid bouncing",
        "not hold your breath",
        "once a day",
        "for leg pain",
        "at least two to three times daily",
    ],
    "sutter-strength": [
        "proper body mechanics and posture",
        "seek help from a physical therapist",
        "not hold your breath",
        "fatigue in the lower back, hips and thighs",
        "keep your feet, tailbone, and lower back against the floor",
        "once the mobility stretches are comfortable, not restricted and pain-free",
        "drawing the muscles in",
    ],
    "desk-break": [
        "start slow and work your way up",
        "muscle spasms or increased pain, stop immediately",
        "stretching should be pain free",
        "once a day",
        "for leg pain",
    ],
}


@pytest.mark.parametrize(
    ("key", "phrase"), [(k, p) for k, phrases in CAUTIONS.items() for p in phrases]
)
def test_caution_is_carried_over(key: str, phrase: str):
    assert phrase in _all_text(_load(key))


def test_cautions_sit_on_the_right_exercise():
    sutter = _load("sutter-and-others")
    knee = sutter.exercises[_index(sutter, "Knee to chest, hands behind the knee")]
    assert knee.stop_if and "front of the hip" in knee.stop_if
    first = sutter.exercises[_index(sutter, "Knee to chest, legs straight")]
    assert first.caution and "osteoporosis" in first.caution
    floss = sutter.exercises[_index(sutter, "Nerve flossing")]
    assert floss.caution and "once a day" in floss.caution

    sinw = _load("spine-institute-northwest")
    assert any("muscle spasms" in c for c in sinw.cautions)
    assert any("start slow" in c for c in sinw.cautions)
    assert any("without pain" in c for c in _load("spine-health-stretches").cautions)
    assert any("spine specialist" in c for c in _load("best-back-pain-relief").cautions)


# ------------------------------------------------------------------------ numbers


def _check(settings: Settings, expected: dict[str, Any]) -> None:
    for key, want in expected.items():
        if key == "hold":  # (unit, low, high)
            assert settings.kind == "hold"
            assert settings.hold is not None
            got = (settings.hold.unit, settings.hold.span.low, settings.hold.span.high)
            assert got == want, f"hold {got} != {want}"
        elif key == "tempo_hold":
            assert settings.kind == "tempo"
            assert settings.tempo is not None
            assert settings.tempo.hold == want
        elif key in ("reps", "sets"):  # (low, high)
            span = getattr(settings, key)
            assert (span.low, span.high) == want, f"{key} {span} != {want}"
        else:
            assert getattr(settings, key) == want, f"{key} {getattr(settings, key)!r} != {want!r}"


S = "seconds"
B = "breaths"
# (routine, exercise, what the source says, expected settings)
SPOT_CHECKS = [
    # Spine Institute Northwest
    ("spine-institute-northwest", "Gluteus maximus bridge", "rest 60 s; three sets of 15",
     {"kind": "tempo", "reps": (15, 15), "sets": (3, 3), "set_rest": 60, "sides": "none"}),
    ("spine-institute-northwest", "Transverse abdominis", "hold five seconds; repeat five times",
     {"hold": (S, 5, 5), "reps": (5, 5), "sides": "none"}),
    ("spine-institute-northwest", "Hip abductor leg raise", "hold 2 s, 10 times, 3 sets, sides",
     {"tempo_hold": 2, "reps": (10, 10), "sets": (3, 3), "sides": "both"}),
    ("spine-institute-northwest", "Back extensors", "hold two seconds; repeat 10 times",
     {"tempo_hold": 2, "reps": (10, 10), "sets": (1, 1)}),
    ("spine-institute-northwest", "Abdominal curl-up", "three sets of 10 repetitions",
     {"kind": "tempo", "reps": (10, 10), "sets": (3, 3)}),
    ("spine-institute-northwest", "Neck side bend", "repeat on the other side",
     {"sides": "both"}),
    # Spine Health
    ("spine-health-stretches", "Piriformis muscle stretch", "30 s, opposite side, left first",
     {"hold": (S, 30, 30), "reps": (1, 1), "sides": "both", "first_side": "left"}),
    ("spine-health-stretches", "Psoas major muscle stretch", "30 s, opposite side",
     {"hold": (S, 30, 30), "sides": "both", "first_side": "left"}),
    ("spine-health-stretches", "Hamstring muscle stretch", "30 s, other side",
     {"hold": (S, 30, 30), "sides": "both"}),
    ("spine-health-stretches", "Transversus abdominis muscle exercise", "hold 1-2 s",
     {"hold": (S, 1, 2), "sides": "none"}),
    ("spine-health-stretches", "Gluteus medius muscle exercise", "hold 2 s, 10 reps, other side",
     {"tempo_hold": 2, "reps": (10, 10), "sides": "both"}),
    # Norton Leatherman Spine
    ("norton-leatherman", "Lower trunk rotations", "20 times each way",
     {"kind": "tempo", "reps": (20, 20), "sides": "both", "side_order": "alternating"}),
    ("norton-leatherman", "Single knee to chest stretch", "30 s, three times each side",
     {"hold": (S, 30, 30), "reps": (3, 3), "sides": "both"}),
    ("norton-leatherman", "Hamstring stretch", "30 s, three times on both sides",
     {"hold": (S, 30, 30), "reps": (3, 3), "sides": "both"}),
    ("norton-leatherman", "Piriformis stretch", "30 s, three times each side",
     {"hold": (S, 30, 30), "reps": (3, 3), "sides": "both"}),
    ("norton-leatherman", "Quadriceps stretch", "30 s, three times each side",
     {"hold": (S, 30, 30), "reps": (3, 3), "sides": "both"}),
    ("norton-leatherman", "Gluteal sets", "hold five seconds, repeat 15 times",
     {"hold": (S, 5, 5), "reps": (15, 15), "sides": "none"}),
    ("norton-leatherman", "Posterior pelvic tilts", "hold five seconds, repeat 15 times",
     {"hold": (S, 5, 5), "reps": (15, 15)}),
    ("norton-leatherman", "Transverse abdominus set", "hold five seconds, repeat 15 times",
     {"hold": (S, 5, 5), "reps": (15, 15)}),
    ("norton-leatherman", "Bridges", "repeat 15 times",
     {"kind": "tempo", "reps": (15, 15), "sides": "none"}),
    ("norton-leatherman", "Clamshells", "15 times on each side",
     {"kind": "tempo", "reps": (15, 15), "sides": "both"}),
    # The Best Back Pain Relief Exercises And Stretches
    ("best-back-pain-relief", "Hip strengthening", "8 reps with each leg",
     {"kind": "tempo", "reps": (8, 8), "sides": "both"}),
    ("best-back-pain-relief", "Hamstring stretch", "hold 20 s, then the other leg",
     {"hold": (S, 20, 20), "sides": "both", "first_side": "left"}),
    ("best-back-pain-relief", "Buttock stretch", "repeat on the other side",
     {"sides": "both"}),
    # What Is The One Stretch To Relieve Back Pain (Sutter Health and others)
    ("sutter-and-others", "Knee to chest, legs straight", "at least 20 s, 3 times both legs",
     {"hold": (S, 20, 20), "reps": (3, 3), "sides": "both"}),
    ("sutter-and-others", "Trunk rotation", "10 to 20 times on both sides",
     {"kind": "tempo", "reps": (10, 20), "sides": "both", "side_order": "alternating"}),
    ("sutter-and-others", "Knee to chest, hands behind the knee", "10 to 30 s, two to three times",
     {"hold": (S, 10, 30), "reps": (2, 3)}),
    ("sutter-strength", "Pelvic tilting lying down", "repeat 10 to 20 times",
     {"kind": "tempo", "reps": (10, 20), "sides": "none"}),
    ("sutter-strength", "Bridge", "10 to 15 times; rest, then a second set",
     {"kind": "tempo", "reps": (10, 15), "sets": (2, 2)}),
    ("sutter-and-others", "Straight leg calf stretch", "hold 15 to 30 s",
     {"hold": (S, 15, 30)}),
    ("sutter-and-others", "Supine figure 4 stretch", "10 to 15 breaths, then the other side",
     {"hold": (B, 10, 15), "sides": "both", "first_side": "right"}),
    ("sutter-strength", "Partial crunches", "hold one second; eight to 12 repetitions",
     {"tempo_hold": 1, "reps": (8, 12)}),
    ("sutter-and-others", "Hip flexor stretch", "30 s, then the other leg",
     {"hold": (S, 30, 30), "sides": "both"}),
    ("sutter-and-others", "Hamstring stretch with a strap", "at least 30 s",
     {"hold": (S, 30, 30)}),
    ("sutter-and-others", "Lower trunk rotation", "about 10 times to each side",
     {"kind": "tempo", "reps": (10, 10), "sides": "both", "side_order": "alternating"}),
    ("sutter-and-others", "Knee to chest, hug one knee", "30 s, opposite side",
     {"hold": (S, 30, 30), "sides": "both"}),
    ("sutter-and-others", "Nerve flossing", "slowly, 10 times, one leg at a time",
     {"kind": "tempo", "reps": (10, 10), "sides": "both"}),
    # Desk break (numbers from the two sources above)
    ("desk-break", "Nerve flossing", "slowly, 10 times, one leg at a time",
     {"kind": "tempo", "reps": (10, 10), "sides": "both"}),
    ("desk-break", "Neck side bend", "repeat on the other side",
     {"sides": "both"}),
    ("desk-break", "Straight leg calf stretch", "hold 15 to 30 s",
     {"hold": (S, 15, 30), "sides": "both"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "exercise", "says", "expected"),
    SPOT_CHECKS,
    ids=[f"{k}:{e}" for k, e, _, _ in SPOT_CHECKS],
)
def test_source_numbers(key: str, exercise: str, says: str, expected: dict[str, Any]):
    routine = _load(key)
    _check(routine.settings(_index(routine, exercise)), expected)


def test_every_exercise_of_each_source_is_there_in_order():
    """The exercise lists, in the sources' order (headings without instructions left out)."""
    assert [e.name for e in _load("spine-health-stretches").exercises] == [
        "Piriformis muscle stretch",
        "Psoas major muscle stretch",
        "Hamstring muscle stretch",
        "Transversus abdominis muscle exercise",
        "Gluteus medius muscle exercise",
    ]
    assert [e.name for e in _load("norton-leatherman").exercises] == [
        "Lower trunk rotations",
        "Single knee to chest stretch",
        "Hamstring stretch",
        "Piriformis stretch",
        "Quadriceps stretch",
        "Gluteal sets",
        "Posterior pelvic tilts",
        "Transverse abdominus set",
        "Bridges",
        "Clamshells",
    ]
    assert len(_load("spine-institute-northwest").exercises) == 10
    assert len(_load("best-back-pain-relief").exercises) == 5
    # The page's stretches, then (in their own routine) its strength exercises: 11 + 3, the 14
    # exercises of the page that have instructions.
    assert [e.name for e in _load("sutter-and-others").exercises] == [
        "Knee to chest, legs straight",
        "Trunk rotation",
        "Knee to chest, hands behind the knee",
        "Straight leg calf stretch",
        "Supine figure 4 stretch",
        "Hip flexor stretch",
        "Hamstring stretch with a strap",
        "Lower trunk rotation",
        "Knee to chest, hug one knee",
        "Both knees to chest",
        "Nerve flossing",
    ]
    assert [e.name for e in _load("sutter-strength").exercises] == [
        "Pelvic tilting lying down",
        "Bridge",
        "Partial crunches",
    ]


# ------------------------------------------------------------------------ desk break


def test_desk_break_lasts_8_to_10_minutes():
    routine = _load("desk-break")
    low = routine.total_seconds("low")
    assert 8 * 60 <= low <= 10 * 60, low
    # At the high end of every range (only the calf stretch has one: 15-30 s) the break lasts
    # 565 s, about 9.4 minutes: still a desk break.
    high = routine.total_seconds("high")
    assert high == 565
    assert 8 * 60 <= high <= 10 * 60


def test_desk_break_is_seated_or_standing_and_cites_its_sources():
    routine = _load("desk-break")
    assert routine.source is not None
    titles = routine.source.title.lower()
    assert "try these stretches and exercises to ease back pain" in titles
    assert "what is the one stretch to relieve back pain" in titles
    assert "spine institute northwest" in (routine.source.publisher or "").lower()
    for exercise in routine.exercises:
        assert exercise.position and exercise.position.startswith(("Sit", "Stand")), exercise.name
        assert exercise.note and exercise.note.startswith("From "), exercise.name


def test_desk_break_uses_the_sources_numbers():
    """Each desk break exercise is one of a bundled source routine, with the same timing."""
    desk = _load("desk-break")
    origins = {
        "Nerve flossing": "sutter-and-others",
        "Chin forward neck stretch": "spine-institute-northwest",
        "Neck side bend": "spine-institute-northwest",
        "Corner stretch": "spine-institute-northwest",
        "Straight leg calf stretch": "sutter-and-others",
    }
    assert [e.name for e in desk.exercises] == list(origins)
    for index, exercise in enumerate(desk.exercises):
        source = _load(origins[exercise.name])
        theirs = source.settings(_index(source, exercise.name))
        ours = desk.settings(index)
        assert (ours.kind, ours.hold, ours.tempo, ours.sides) == (
            theirs.kind,
            theirs.hold,
            theirs.tempo,
            theirs.sides,
        ), exercise.name
