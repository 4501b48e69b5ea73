"""What a listener hears: every bundled routine's session, simulated with espeak-ng's real lengths.

For each bundled routine and each rate (140, 175 and 250 words per minute), every text the
cue layer says is rendered by the system's espeak-ng (``--stdout``, the audible length
measured), and the session is run on a simulated clock through the real engine and the real
cue layer, with a player that knows how long each utterance lasts, twice:

- before: the routine's own plan (``compile_plan(routine)``), each step's words said when it
  starts, a new utterance cutting off the one still being said (as sessions ran before);
- after: the plan a session now runs, its cue timeline fitted with the lengths a session
  measures (``SpeechLengths``: the wheel's voice, else espeak-ng, at that rate), each cue said
  on its own time; an utterance still running when the next is due counts as not heard in
  full (a speech command would make the next one wait; the mixer would play it late).

It counts:

- utterances: what the cue layer started to say;
- heard in full: the ones that ran to their end (no later utterance, and no silence, cut
  them off);
- countdowns kept: of the timed holds and sets of reps that follow a get-ready, rest, switch,
  set rest or transition, how many had their last 3 seconds counted ("3", "2", "1", each heard
  in full, on its second);
- tempo words kept: of the tempo parts of every rep (each starts with its sound), how many
  have their words too ("Lift.", "4. Knees to the right.") in the plan's timeline;
- seconds added: the session's length minus the routine's own (words that lengthened steps).

``--command``: as a custom ``speech_command`` speaks (a process per utterance, which plays
its trailing quiet too before it exits; the next one waits for it, so nothing is cut off and
a late one makes the ones after it late): every utterance lasts its whole WAV (``espeak-ng
-w``, trailing quiet included), and the plan is fitted with estimates from the rate, as for
a command that cannot render audio:

- before: every text by :func:`~backtimer.core.timeline.estimate` (its words alone);
- after: what a session now fits for a custom command (``SpeechLengths``): the whole
  utterance (:func:`~backtimer.core.timeline.command_estimate`), except the countdown
  numbers and the tempo parts' words, fitted by their words (their quiet may run into the
  next second or part).

It then also counts the utterances that start more than 0.3 s after their time, and the
worst lateness. ``--startup SECONDS``: each process takes that long to start speaking (a
loaded machine, an engine that renders first), 0.1 by default.

``--system``: the session's voice is the system's espeak-ng (``--stdout``, as where the
espeakng-loader wheel is not installed) instead of the wheel's: the "after" plan is fitted
with the lengths measured through it, and every utterance lasts the samples backtimer's
renderer gives the mixer for it (what is played).

The table is printed; ``--json`` prints the numbers. Needs espeak-ng on PATH.

    python benchmarks/listen.py [--rates 140,175,250] [--routine NAME] [--json] [--cuts]
    python benchmarks/listen.py --system [--rates 120,140,175,250]
    python benchmarks/listen.py --command [--rates 120,175,250] [--startup 0.1]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
from array import array
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from backtimer.core.engine import Session, StepStarted
from backtimer.core.plan import compile_plan
from backtimer.core.timeline import estimator
from backtimer.files import catalog
from backtimer.session import cues as cue_layer
from backtimer.session.runner import SessionRunner
from backtimer.sound.lengths import SpeechLengths
from backtimer.sound.tones import SAMPLE_RATE
from backtimer.sound.voice import CommandRenderer

DEFAULT_RATES = {False: "140,175,250", True: "120,175,250"}
TICK = 0.05  # seconds between simulated ticks
PACED = 5.0  # seconds a simulated person takes on a step at their own pace
COUNTDOWN = 3
SILENCE = 300  # sample amplitude below which audio is silence (16-bit)
LATE = 0.3  # seconds after its time from which an utterance counts as late


def audible_seconds(wav: bytes) -> float:
    """Length of a 16-bit mono WAV from espeak-ng's --stdout, trailing silence left out
    (espeak-ng writes 0x7fffffff as the data size when it streams: use the real bytes)."""
    if len(wav) <= 44:
        return 0.0
    rate = int.from_bytes(wav[24:28], "little") or 22050
    samples = array("h")
    samples.frombytes(wav[44 : 44 + (len(wav) - 44) // 2 * 2])
    end = len(samples)
    while end > 0 and abs(samples[end - 1]) < SILENCE:
        end -= 1
    return end / rate


def whole_seconds(wav: bytes) -> float:
    """Length of a 16-bit mono WAV from espeak-ng's --stdout, trailing silence included (a
    speech command plays all of it before its process exits)."""
    if len(wav) <= 44:
        return 0.0
    rate = int.from_bytes(wav[24:28], "little") or 22050
    return (len(wav) - 44) // 2 / rate


class Renderer:
    """Spoken lengths from espeak-ng, once per (rate, text); ``whole``: trailing quiet too;
    ``played``: the samples the session's voice plays (``--system``: backtimer's renderer of
    the system espeak-ng, as the mixer gets them)."""

    def __init__(self, rate: int, whole: bool = False, played: bool = False) -> None:
        self.rate = rate
        self.whole = whole
        self.played = CommandRenderer(["espeak-ng"], rate=rate) if played else None
        self.cache: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        if text not in self.cache:
            self.cache[text] = self._render(text)
        return self.cache[text]

    def _render(self, text: str) -> float:
        if not text.strip():
            return 0.0
        if self.played is not None:
            samples = self.played.render(text)
            assert samples is not None, text
            return len(samples) / SAMPLE_RATE
        out = subprocess.run(
            ["espeak-ng", "-s", str(self.rate), "--stdout", "--", text],
            capture_output=True,
            check=True,
        ).stdout
        return whole_seconds(out) if self.whole else audible_seconds(out)

    def warm(self, texts: list[str]) -> None:
        todo = [t for t in set(texts) if t not in self.cache]
        with ThreadPoolExecutor(max_workers=4) as pool:
            for text, seconds in zip(todo, pool.map(self._render, todo), strict=True):
                self.cache[text] = seconds


@dataclass
class Utterance:
    start: float
    text: str
    seconds: float
    stopped: float | None = None
    late: float = 0.0  # seconds after its time (a command waiting for the one before)

    @property
    def full(self) -> bool:
        return self.stopped is None or self.stopped >= self.start + self.seconds - 0.02


@dataclass
class SimPlayer:
    """A CuePlayer on the simulated clock: knows when each utterance would end."""

    length: Renderer
    now: float = 0.0
    said: list[Utterance] = field(default_factory=list)

    @property
    def speaking(self) -> bool:
        last = self.said[-1] if self.said else None
        return last is not None and last.stopped is None and self.now < last.start + last.seconds

    def _cut(self) -> None:
        if self.said and self.said[-1].stopped is None:
            last = self.said[-1]
            if self.now < last.start + last.seconds:
                last.stopped = self.now

    def say(self, text: str) -> None:
        self._cut()
        if text.strip():
            self.said.append(Utterance(self.now, text, self.length(text)))

    def silence(self) -> None:
        self._cut()

    def bell(self) -> None:
        pass

    def play(self, name: str) -> None:
        pass

    def close(self) -> None:
        pass


class TimelinePlayer(SimPlayer):
    """The player of a session now: a timeline's cues are said on their own times."""

    def say_next(self, text: str, at: float | None = None) -> None:
        """A timeline cue, said on its time ``at``; one still being said then is marked as
        not heard in full (it would overlap, or make this one late)."""
        start = self.now if at is None else at
        if self.said and self.said[-1].stopped is None:
            last = self.said[-1]
            if start < last.start + last.seconds - 0.02:
                last.stopped = start
        if text.strip():
            self.said.append(Utterance(start, text, self.length(text)))


@dataclass
class CommandPlayer(SimPlayer):
    """A custom speech command: a process per utterance, each waiting for the one before to
    exit (SpeechPlayer.say_next), so a late one makes the next late, and nothing is cut off
    except by a person's command (``say``). ``startup``: seconds a process takes to start
    speaking."""

    startup: float = 0.0

    def say_next(self, text: str, at: float | None = None) -> None:
        due = self.now if at is None else at
        start = due
        if self.said and self.said[-1].stopped is None:
            last = self.said[-1]
            start = max(start, last.start + last.seconds)
        start += self.startup
        if text.strip():
            self.said.append(Utterance(start, text, self.length(text), late=start - due))


def build_plan(
    entry: catalog.Entry, rate: int, after: bool, command: bool = False, system: bool = False
) -> object:
    routine = entry.routine
    assert routine is not None
    if command:
        if not after:
            return compile_plan(routine, "low", length=estimator(rate), countdown=COUNTDOWN)
        # A command that cannot render audio ("true" stands in): estimated, as a session does.
        os.environ.pop("BACKTIMER_SPEECH_LENGTHS", None)
        lengths = SpeechLengths("true", rate=rate)
        assert not lengths.measured
        return compile_plan(
            routine,
            "low",
            length=lengths,
            countdown=COUNTDOWN,
            count_length=lengths.count_words,
        )
    if not after:
        return compile_plan(routine, "low")
    # What a session fits its timeline with: the lengths it measures for this rate.
    os.environ.pop("BACKTIMER_SPEECH_LENGTHS", None)
    espeak_ng = shutil.which("espeak-ng")
    renderer = CommandRenderer([espeak_ng], rate=rate) if system and espeak_ng else None
    lengths = SpeechLengths(rate=rate, renderer=renderer)
    try:
        return compile_plan(
            routine,
            "low",
            length=lengths,
            countdown=COUNTDOWN,
            count_length=lengths.count_words,
        )
    finally:
        lengths.close()


def simulate(
    entry: catalog.Entry,
    rate: int,
    after: bool,
    length: Renderer,
    command: bool = False,
    startup: float = 0.0,
    system: bool = False,
) -> dict[str, object]:
    plan = build_plan(entry, rate, after, command, system)
    player: SimPlayer
    if command:
        player = CommandPlayer(length, startup=startup)
    else:
        player = TimelinePlayer(length) if after else SimPlayer(length)  # before: say cuts
    cues = cue_layer.Cues(player, bell=False, voice=True, clock=lambda: player.now)
    return _run(entry, plan, player, cues)


def _run(entry: catalog.Entry, plan: object, player: SimPlayer, cues: object) -> dict[str, object]:
    runner = SessionRunner(
        plan,  # type: ignore[arg-type]
        clock=lambda: player.now,
        listeners=[cues],
        sleep_gap=None,
        countdown=COUNTDOWN,
    )
    session: Session = runner.session
    starts: dict[int, float] = {}

    class Starts:
        def on_events(self, events: object, session: Session) -> None:
            for event in events:  # type: ignore[attr-defined]
                if isinstance(event, StepStarted):
                    starts[event.step.index] = event.at

    runner.add_listener(Starts())
    runner.do("start")
    poll = getattr(cues, "poll", None)
    next_due = getattr(cues, "next_due", None)
    if poll is not None:
        poll(player.now)
    paced_since: float | None = None
    limit = plan.total_seconds + 3600  # type: ignore[attr-defined]
    while not session.over and player.now < limit:
        target = round(player.now + TICK, 6)
        due = next_due() if next_due is not None else None
        if due is not None and player.now < due < target:
            target = due  # a cue's own time, as the app's thread wakes for it
        player.now = target
        runner.tick()
        if poll is not None:
            poll(player.now)
        if not session.over and session.step.user_paced:
            paced_since = player.now if paced_since is None else paced_since
            if player.now - paced_since >= PACED:
                runner.do("advance")
                if poll is not None:
                    poll(player.now)
                paced_since = None
        else:
            paced_since = None
    # Let the last words finish.
    player.now += 30.0

    said = player.said
    steps = plan.steps  # type: ignore[attr-defined]
    needed = kept = 0
    for step in steps:
        if not step.is_work or step.seconds is None or step.index == 0:
            continue
        before = steps[step.index - 1]
        if before.is_work:
            continue
        needed += 1
        deadline = starts.get(step.index)
        if deadline is None:
            continue
        ok = True
        for number in range(COUNTDOWN, 0, -1):
            due = deadline - number
            ok &= any(
                u.text.strip(". ") == str(number) and abs(u.start - due) < 0.3 and u.full
                for u in said
            )
        kept += ok
    routine_total = entry.routine.total_seconds("low")  # type: ignore[union-attr]
    parts = [c for step in steps for c in step.cues if c.sound == "tempo"]
    return {
        "utterances": len(said),
        "heard_in_full": sum(u.full for u in said),
        "countdowns_kept": kept,
        "countdowns_needed": needed,
        "tempo_words_kept": sum(1 for c in parts if c.say),
        "tempo_parts": len(parts),
        "seconds_added": round(plan.total_seconds - routine_total, 1),  # type: ignore[attr-defined]
        "session_seconds": round(plan.total_seconds, 1),  # type: ignore[attr-defined]
        "late": sum(u.late > LATE for u in said),
        "worst_late": round(max((u.late for u in said), default=0.0), 2),
        "cut": [
            (round(u.start, 2), u.text[:60], round(u.seconds - (u.stopped or 0) + u.start, 2))
            for u in said
            if not u.full
        ][:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates")
    parser.add_argument(
        "--command", action="store_true", help="as a custom speech command speaks (see above)"
    )
    parser.add_argument("--startup", type=float, default=0.1, help="with --command (see above)")
    parser.add_argument(
        "--system", action="store_true", help="the system's espeak-ng as the voice (see above)"
    )
    parser.add_argument("--routine", action="append")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cuts", action="store_true", help="show the first cut-offs")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        print("listen.py needs espeak-ng on PATH", file=sys.stderr)
        return 2
    rates = [int(r) for r in (args.rates or DEFAULT_RATES[args.command]).split(",")]
    entries = [e for e in catalog.bundled() if e.routine is not None]
    if args.routine:
        entries = [e for e in entries if Path(e.path).stem in args.routine]
    rows = []
    if not args.json:
        print(
            f"{'routine':<28} {'wpm':>4}  {'':6} {'utterances':>10} {'heard in full':>14} "
            f"{'countdowns kept':>16} {'tempo words kept':>17} {'seconds added':>14}"
            + (f" {'late':>5} {'worst':>6}" if args.command else "")
        )
    for rate in rates:
        length = Renderer(rate, whole=args.command, played=args.system)
        for entry in entries:
            for after in (False, True):
                row = {
                    "routine": Path(entry.path).stem,
                    "rate": rate,
                    "plan": "after" if after else "before",
                    **simulate(entry, rate, after, length, args.command, args.startup, args.system),
                }
                rows.append(row)
                if not args.json:
                    kept = f"{row['countdowns_kept']}/{row['countdowns_needed']}"
                    tempo = f"{row['tempo_words_kept']}/{row['tempo_parts']}"
                    print(
                        f"{row['routine']:<28} {rate:>4}  {row['plan']:<6} "
                        f"{row['utterances']:>10} {row['heard_in_full']:>14} {kept:>16} "
                        f"{tempo:>17} {row['seconds_added']:>14}"
                        + (f" {row['late']:>5} {row['worst_late']:>6}" if args.command else ""),
                        flush=True,
                    )
                    if args.cuts:
                        for cut in row["cut"]:  # type: ignore[attr-defined]
                            print(f"      cut at {cut[0]}s, {cut[2]}s lost: {cut[1]!r}")
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for rate, plan in itertools.product(rates, ("before", "after")):
            mine = [r for r in rows if r["plan"] == plan and r["rate"] == rate]
            said = sum(r["utterances"] for r in mine)  # type: ignore[misc]
            full = sum(r["heard_in_full"] for r in mine)  # type: ignore[misc]
            kept = sum(r["countdowns_kept"] for r in mine)  # type: ignore[misc]
            needed = sum(r["countdowns_needed"] for r in mine)  # type: ignore[misc]
            tempo = sum(r["tempo_words_kept"] for r in mine)  # type: ignore[misc]
            parts = sum(r["tempo_parts"] for r in mine)  # type: ignore[misc]
            added = sum(r["seconds_added"] for r in mine)  # type: ignore[misc]
            late = sum(r["late"] for r in mine)  # type: ignore[misc]
            worst = max((r["worst_late"] for r in mine), default=0.0)  # type: ignore[type-var]
            print(
                f"{rate} wpm, {plan}: {full} of {said} utterances heard in full, "
                f"{kept} of {needed} countdowns kept, {tempo} of {parts} tempo words kept, "
                f"{added:.1f} s added"
                + (f", {late} more than {LATE} s late (worst {worst} s)" if args.command else "")
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
