"""`backtimer audio`: a session rendered to a WAV file, each sound on the plan's timeline."""

from __future__ import annotations

import itertools
import json
import wave
from array import array
from pathlib import Path

import pytest

from backtimer.cli.audio import render_session
from backtimer.cli.main import main
from backtimer.core.plan import compile_plan
from backtimer.files.routine_load import validate_text
from backtimer.session.cues import FINISHED_TEXT, PHASE_SOUNDS
from backtimer.sound import tones
from backtimer.sound.mixer import Mixer
from backtimer.sound.render import OfflinePlayer
from tests.sound.helpers import FakeRenderer

RATE = tones.SAMPLE_RATE
TEN_MS = RATE // 100

ROUTINE = """
name = "Audio"
[defaults]
get_ready = 4
rest = 3
switch = 3
transition = 5
[[exercises]]
name = "Knee to chest"
position = "Lie on your back"
steps = ["Pull one knee to your chest"]
hold = 6
reps = 2
sides = "both"
[[exercises]]
name = "Bridge"
position = "Lie on your back"
hold = 21
sets = 2
set_rest = 4
[[exercises]]
name = "Walk"
position = "Standing"
steps = ["Walk as you can"]
user_paced = true
"""


def rendered(tmp_path: Path, **player_options: object):
    plan = compile_plan(validate_text(ROUTINE, "audio.toml"))
    out = array("h")
    player = OfflinePlayer(Mixer(), FakeRenderer(), **player_options)  # type: ignore[arg-type]
    result = render_session(plan, player, out.extend)
    return plan, result, out


def test_every_step_sounds_on_its_sample_and_the_length_is_the_plan_s(tmp_path: Path) -> None:
    plan, result, out = rendered(tmp_path)
    assert result.plan_frames == round(plan.total_seconds * RATE)
    assert len(out) == result.frames
    tones_at = [(s.name, s.sample) for s in result.log if s.channel == "tone"]
    for step in plan.steps:
        expected = PHASE_SOUNDS.get(step.phase)
        if step.index == 0 or expected is None or step.seconds is None:
            continue  # (a step at your own pace takes no time in a file, as in the plan)
        at = round(plan.offset(step.index) * RATE)
        found = [s for name, s in tones_at if name == expected and abs(s - at) <= TEN_MS]
        assert found == [at], (step.index, step.phase)
        # In the file itself: exactly the tone's samples, from the step's first sample.
        tone = tones.render(expected, volume=1.0)
        assert out[at : at + len(tone)] == tone
    # Countdown ticks in the last 3 seconds of every hold.
    ticks = [sample for name, sample in tones_at if name == "tick"]
    holds = [s for s in plan.steps if s.phase == "hold" and s.seconds]
    assert len(ticks) == 3 * len(holds)
    for hold in holds:
        end = plan.offset(hold.index) + (hold.seconds or 0)
        for n in (3, 2, 1):
            assert round((end - n) * RATE) in ticks


def test_the_closing_sound_and_words_start_at_the_plan_s_end(tmp_path: Path) -> None:
    plan, result, _ = rendered(tmp_path)
    end = round(plan.steps_seconds * RATE)  # (a plan without lengths: its total too)
    assert plan.total_seconds == plan.steps_seconds
    done = [s for s in result.log if s.name == "session_done"]
    assert [s.sample for s in done] == [end]
    words = [s for s in result.log if s.name == FINISHED_TEXT]
    closing = len(tones.render("session_done"))
    assert [s.sample for s in words] == [end + closing]
    assert result.frames == end + closing + len(FakeRenderer().render(FINISHED_TEXT))


def test_each_sentence_is_said_from_its_step_and_cut_by_the_next(tmp_path: Path) -> None:
    plan, result, _ = rendered(tmp_path)
    said = [s for s in result.log if s.channel == "speech"]
    first = plan.steps[0]
    assert said[0].name == first.say and said[0].sample == 0
    hold = plan.steps[1]
    starts = [s.sample for s in said if s.name == hold.say]
    assert starts == [round(plan.offset(1) * RATE) + len(tones.render("go"))]


def fitted_render(countdown: int = 3):
    """The fitted plan (its lengths: the fake voice's own), rendered as a file would be."""
    plan = compile_plan(
        validate_text(ROUTINE, "audio.toml"),
        length=lambda text: len(FakeRenderer().render(text)) / RATE,
        countdown=countdown,
    )
    out = array("h")
    result = render_session(plan, OfflinePlayer(Mixer(), FakeRenderer()), out.extend)
    return plan, result, out


def test_a_fitted_plan_renders_every_cue_on_its_time_and_nothing_overlaps() -> None:
    plan, result, out = fitted_render()
    assert result.plan_frames == round(plan.total_seconds * RATE)
    assert len(out) == result.frames
    log = list(result.log)
    for step in plan.steps:
        if step.seconds is None:
            continue
        start = plan.offset(step.index)
        for cue in step.cues:
            if cue.sound is not None:
                at = round((start + cue.at) * RATE)
                assert [s for s in log if s.name == cue.sound and s.sample == at], (step, cue)
            if cue.say:
                at = round((start + cue.at + cue.lead) * RATE)
                found = [s for s in log if s.name == cue.say and abs(s.sample - at) <= RATE * 0.06]
                assert found, (step, cue)
    # Nothing spoken is cut off or overlaps: each sentence plays all its samples, in turn.
    speech = sorted((s for s in log if s.channel == "speech"), key=lambda s: s.sample)
    for before, after in itertools.pairwise(speech):
        length = len(FakeRenderer().render(before.name))
        assert before.sample + length <= after.sample, (before.name, after.name)
    assert result.frames >= round(plan.total_seconds * RATE)


def test_tones_only_without_a_voice(tmp_path: Path) -> None:
    plan = compile_plan(validate_text(ROUTINE, "audio.toml"))
    out = array("h")
    result = render_session(plan, OfflinePlayer(Mixer(), None), out.extend)
    assert all(s.channel == "tone" for s in result.log)
    assert result.plan_frames == round(plan.total_seconds * RATE)


def write_routine(tmp_path: Path) -> Path:
    path = tmp_path / "audio.toml"
    path.write_text(ROUTINE, encoding="utf-8")
    return path


def test_cli_writes_a_wav_of_the_plan_s_length_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    routine = write_routine(tmp_path)
    target = tmp_path / "session.wav"
    assert main(["audio", str(routine), "-o", str(target), "--level", "low"]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out
    assert main(["plan", str(routine), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    with wave.open(str(target)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        frames = wav.getnframes()
        data = array("h")
        data.frombytes(wav.readframes(frames))
    total = round(plan["total_seconds"] * RATE)
    # The plan's total, which ends with the closing sound and words.
    assert frames == total
    closing = plan["closing"]
    assert closing["say"] == FINISHED_TEXT and closing["sound"] == "session_done"
    assert closing["at"] + closing["seconds"] == pytest.approx(plan["total_seconds"])
    assert closing["at"] == pytest.approx(sum(s["seconds"] or 0 for s in plan["steps"]))
    # Every sound of the timeline in plan --json sits on its sample in the file: exactly the
    # tone's samples from the cue's time (well within 60 ms).
    offset = 0.0
    checked = 0
    for step in plan["steps"]:
        for cue in step["cues"]:
            if cue["sound"] is None or step["seconds"] is None:
                continue
            at = round((offset + cue["at"]) * RATE)
            tone = tones.render(cue["sound"], volume=0.8)
            assert data[at : at + len(tone)] == tone, (step["phase"], cue)
            checked += 1
        offset += step["seconds"] or 0
    assert checked > 20
    # Never overwritten without --force.
    before = target.read_bytes()
    assert main(["audio", str(routine), "-o", str(target)]) == 1
    assert "--force" in capsys.readouterr().err
    assert target.read_bytes() == before
    assert main(["audio", str(routine), "-o", str(target), "--force", "--no-voice"]) == 0
    assert target.read_bytes() != before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_cli_refuses_what_is_not_a_wav_file(tmp_path: Path, capsys) -> None:
    routine = write_routine(tmp_path)
    assert main(["audio", str(routine), "-o", str(tmp_path / "x.mp3")]) == 2
    assert ".wav" in capsys.readouterr().err
    assert main(["audio", str(routine), "-o", str(tmp_path / "missing" / "x.wav")]) == 1
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("voice", [True, False], ids=["voice", "tones-only"])
def test_a_fitted_plan_s_file_lasts_its_total_to_the_sample(voice: bool) -> None:
    """The closing sound and words are inside the plan's total: the file ends on it."""
    speak = (lambda text: len(FakeRenderer().render(text)) / RATE) if voice else (lambda _: 0.0)
    plan = compile_plan(
        validate_text(ROUTINE, "audio.toml"),
        length=speak,
        closing_sound=tones.seconds("session_done"),
    )
    assert plan.closing == pytest.approx(tones.seconds("session_done") + speak(FINISHED_TEXT))
    out = array("h")
    renderer = FakeRenderer() if voice else None
    result = render_session(plan, OfflinePlayer(Mixer(), renderer), out.extend)
    assert result.frames == len(out) == result.plan_frames == round(plan.total_seconds * RATE)
    done = [s for s in result.log if s.name == "session_done"]
    assert [s.sample for s in done] == [round(plan.steps_seconds * RATE)]
    if voice:  # the words end within the total (they follow the closing sound)
        words = [s for s in result.log if s.name == FINISHED_TEXT]
        end = words[0].sample + len(FakeRenderer().render(FINISHED_TEXT))
        assert end <= result.frames <= end + 1


@pytest.mark.parametrize("flags", [[], ["--no-voice"]], ids=["voice", "tones-only"])
@pytest.mark.parametrize("routine", ["desk-break", "custom"])
def test_cli_file_length_is_plan_s_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], routine: str, flags: list[str]
) -> None:
    name = str(write_routine(tmp_path)) if routine == "custom" else routine
    target = tmp_path / "session.wav"
    assert main(["audio", name, "-o", str(target), "--level", "low", *flags]) == 0
    assert "longer than the plan" not in capsys.readouterr().err
    assert main(["plan", name, "--json"]) == 0
    total = json.loads(capsys.readouterr().out)["total_seconds"]
    assert main(["plan", name]) == 0
    table = capsys.readouterr().out
    assert "Session complete. Well done." in table.splitlines()[-3]  # the closing row
    with wave.open(str(target)) as wav:
        assert wav.getnframes() == round(total * RATE)
