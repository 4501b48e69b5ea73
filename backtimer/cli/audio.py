"""``backtimer audio ROUTINE -o FILE.wav``: a guided session as an audio file.

The real engine and cue layer run on a simulated clock through the whole plan, so the file
says and plays exactly what a session would, each sound on its step's time in ``plan``:
steps at your own pace take no time (as in the plan's total). The file lasts exactly the
plan's total, which ends with the closing sound and words ("Session complete"), said once the
last step ends.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from backtimer.core.engine import Command
from backtimer.files import catalog
from backtimer.files.routine_load import printable
from backtimer.session.cues import Cues
from backtimer.session.launch import prepare, settings
from backtimer.session.runner import SessionRunner
from backtimer.sound.mixer import Mixer
from backtimer.sound.render import OfflinePlayer, WavWriter
from backtimer.sound.voice import find_renderer

TICK = 0.25  # seconds of simulated time between ticks: events carry their exact times
CHUNK = 1.0  # seconds rendered at a time
BAR = 30  # characters of the progress bar
SPILL = 0.1  # seconds past the plan's total that may be cut (silence and rounding only)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "audio", help="render a guided session (speech and tones) into a WAV file"
    )
    parser.add_argument("routine", metavar="ROUTINE", help="a routine's name or a path")
    parser.add_argument(
        "-o", "--output", required=True, type=Path, metavar="FILE.wav", help="the file to write"
    )
    parser.add_argument(
        "--level",
        choices=("current", "low", "high"),
        default="current",
        help="current (default): the level reached so far; low or high: that end of every range",
    )
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.add_argument("--no-voice", action="store_true", help="tones only")
    parser.add_argument("--no-tones", action="store_true", help="speech only")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="with --level current: the folder of the history (default: the user's data "
        "folder, or $BACKTIMER_DATA_DIR)",
    )
    parser.set_defaults(handler=run)


@dataclass
class Rendered:
    """What was written: samples in all, where the plan's timeline ends, and the log."""

    frames: int
    plan_frames: int
    sample_rate: int
    log: list[Any]
    unrendered: list[str]


def render_session(
    plan: Any,
    player: Any,
    write: Any,
    *,
    countdown: int = 3,
    progress: Any = None,
) -> Rendered:
    """Run ``plan`` on a simulated clock with the cue layer speaking through ``player`` (an
    :class:`~backtimer.sound.render.OfflinePlayer` whose ``start`` is 0) and hand the mixed
    samples to ``write``, a chunk at a time."""

    mixer = player.mixer
    rate = mixer.sample_rate
    now = [0.0]
    cues = Cues(player, clock=lambda: now[0])
    runner = SessionRunner(
        plan,
        clock=lambda: now[0],
        listeners=[cues],
        sleep_gap=None,
        countdown=countdown,
    )
    session = runner.session
    total = plan.total_seconds

    def flush(until: int) -> None:
        while mixer.position < until:
            write(mixer.render(min(until - mixer.position, round(CHUNK * rate))))
            if progress is not None:
                progress(min(1.0, mixer.position / max(1, round(total * rate))))

    runner.do(Command.START)
    while not session.over:
        step = session.step
        if step.user_paced:
            runner.do(Command.ADVANCE)  # no time at your own pace: the plan counts it as 0
            continue
        target = now[0] + TICK
        deadline = session.deadline
        if deadline is not None and deadline < target:
            target = deadline  # exactly on the step's end: the next one starts on time
        due = cues.next_due()
        if due is not None and now[0] < due < target:
            target = due  # a cue of the timeline, on its own time
        now[0] = target
        player.advance(target)
        runner.tick()
        cues.poll(target)
        flush(player.sample(target))
    plan_frames = round(total * rate)
    end = plan_frames
    if mixer.pending_until() > plan_frames + round(SPILL * rate):
        end = mixer.pending_until()  # never cut off what is heard (the plan's lengths were short)
    # Else the file ends on the plan's total: past it is at most the quiet end of the last
    # sentence (its length is the audible part) or a rounding.
    flush(end)
    return Rendered(mixer.position, plan_frames, rate, list(mixer.log), player.unrendered)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    return f"{minutes}:{secs:02d}"


def _progress_bar(stream: IO[str]) -> Any:
    if not stream.isatty():
        return None
    shown = [-1]

    def show(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent == shown[0]:
            return
        shown[0] = percent
        filled = int(fraction * BAR)
        stream.write(f"\rrendering [{'#' * filled}{'.' * (BAR - filled)}] {percent:3d}%")
        stream.flush()

    return show


def run(args: argparse.Namespace) -> int:
    entry = catalog.resolve(args.routine)  # RoutineError -> exit 1 in cli.main
    target: Path = args.output
    label = printable(str(target))
    if target.suffix.lower() != ".wav":
        print(f"backtimer: {label}: the file name must end in .wav", file=sys.stderr)
        return 2
    if target.is_dir():
        print(f"backtimer: {label} is a folder", file=sys.stderr)
        return 2
    if (target.exists() or target.is_symlink()) and not args.force:
        print(f"backtimer: {label} exists; use --force to replace it", file=sys.stderr)
        return 1
    notes: list[str] = []
    config = settings(notes)
    if args.no_tones:
        config = dataclasses.replace(config, tones=False)  # no closing sound in the total
    launch = prepare(entry, level=args.level, config=config, data_dir=args.data_dir, record=False)
    for note in [*notes, *launch.notes]:
        print(f"backtimer: {note}", file=sys.stderr)
    renderer = None
    if not args.no_voice and config.voice:
        renderer = find_renderer(
            config.speech_command, rate=config.speech_rate, voice=config.speech_voice
        )
        if renderer is None or renderer.render("Ready.") is None:
            why = getattr(renderer, "error", None) if renderer is not None else None
            print(
                "backtimer: no speech engine that can render to a file"
                + (f" ({why})" if why else "")
                + "; the file has the tones only",
                file=sys.stderr,
            )
            if renderer is not None:
                renderer.close()
            renderer = None
    mixer = Mixer()
    player = OfflinePlayer(
        mixer,
        renderer,
        tones_on=config.tones,
        volume=config.volume,
    )
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        where = printable(str(folder))
        print(f"backtimer: cannot write in {where}: {exc.strerror}", file=sys.stderr)
        if renderer is not None:
            renderer.close()
        return 1
    os.close(handle)
    temp = Path(temp_name)
    mask = os.umask(0)
    os.umask(mask)
    with contextlib.suppress(OSError):
        temp.chmod(0o666 & ~mask)  # as any new file (mkstemp makes it private)
    show = _progress_bar(sys.stderr)
    try:
        with WavWriter(temp, mixer.sample_rate) as writer:
            result = render_session(
                launch.plan,
                player,
                writer.write,
                countdown=config.countdown,
                progress=show,
            )
        os.replace(temp, target)
    except OSError as exc:
        print(f"\nbacktimer: cannot write {label}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nbacktimer: stopped; no file written", file=sys.stderr)
        return 130
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        if renderer is not None:
            renderer.close()
    if show is not None:
        sys.stderr.write("\n")
    seconds = result.frames / result.sample_rate
    plan_seconds = result.plan_frames / result.sample_rate
    what = "speech and tones" if renderer is not None else "tones only"
    print(f"wrote {label}: {_clock(seconds)} ({what}), {result.sample_rate} Hz mono")
    if result.frames != result.plan_frames:
        print(
            f"backtimer: the file is longer than the plan's {_clock(plan_seconds)}: the voice "
            "took longer than the plan expected",
            file=sys.stderr,
        )
    if result.unrendered:
        print(
            f"backtimer: {len(result.unrendered)} sentences could not be rendered and are missing",
            file=sys.stderr,
        )
    return 0
