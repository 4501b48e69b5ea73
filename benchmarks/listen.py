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
- seconds added: the session's length minus the routine's own (words that lengthened steps).

The table is printed; ``--json`` prints the numbers. Needs espeak-ng on PATH.

    python benchmarks/listen.py [--rates 140,175,250] [--routine NAME] [--json] [--cuts]
"""

from __future__ import annotations

import argparse
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
from backtimer.files import catalog
from backtimer.session import cues as cue_layer
from backtimer.session.runner import SessionRunner
from backtimer.sound.lengths import SpeechLengths

TICK = 0.05  # seconds between simulated ticks
PACED = 5.0  # seconds a simulated person takes on a step at their own pace
COUNTDOWN = 3
SILENCE = 300  # sample amplitude below which audio is silence (16-bit)


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


class Renderer:
    """Spoken lengths from espeak-ng, once per (rate, text)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.cache: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        if text not in self.cache:
            self.cache[text] = self._render(text)
        return self.cache[text]

    def _render(self, text: str) -> float:
        if not text.strip():
            return 0.0
        out = subprocess.run(
            ["espeak-ng", "-s", str(self.rate), "--stdout", "--", text],
            capture_output=True,
            check=True,
        ).stdout
        return audible_seconds(out)

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


def build_plan(entry: catalog.Entry, rate: int, after: bool) -> object:
    routine = entry.routine
    assert routine is not None
    if not after:
        return compile_plan(routine, "low")
    # What a session fits its timeline with: the lengths it measures for this rate.
    os.environ.pop("BACKTIMER_SPEECH_LENGTHS", None)
    lengths = SpeechLengths(rate=rate)
    try:
        return compile_plan(routine, "low", length=lengths, countdown=COUNTDOWN)
    finally:
        lengths.close()


def simulate(entry: catalog.Entry, rate: int, after: bool, length: Renderer) -> dict[str, object]:
    plan = build_plan(entry, rate, after)
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
    return {
        "utterances": len(said),
        "heard_in_full": sum(u.full for u in said),
        "countdowns_kept": kept,
        "countdowns_needed": needed,
        "seconds_added": round(plan.total_seconds - routine_total, 1),  # type: ignore[attr-defined]
        "session_seconds": round(plan.total_seconds, 1),  # type: ignore[attr-defined]
        "cut": [
            (round(u.start, 2), u.text[:60], round(u.seconds - (u.stopped or 0) + u.start, 2))
            for u in said
            if not u.full
        ][:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="140,175,250")
    parser.add_argument("--routine", action="append")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--cuts", action="store_true", help="show the first cut-offs")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        print("listen.py needs espeak-ng on PATH", file=sys.stderr)
        return 2
    rates = [int(r) for r in args.rates.split(",")]
    entries = [e for e in catalog.bundled() if e.routine is not None]
    if args.routine:
        entries = [e for e in entries if Path(e.path).stem in args.routine]
    rows = []
    if not args.json:
        print(
            f"{'routine':<28} {'wpm':>4}  {'':6} {'utterances':>10} {'heard in full':>14} "
            f"{'countdowns kept':>16} {'seconds added':>14}"
        )
    for rate in rates:
        length = Renderer(rate)
        for entry in entries:
            for after in (False, True):
                row = {
                    "routine": Path(entry.path).stem,
                    "rate": rate,
                    "plan": "after" if after else "before",
                    **simulate(entry, rate, after, length),
                }
                rows.append(row)
                if not args.json:
                    kept = f"{row['countdowns_kept']}/{row['countdowns_needed']}"
                    print(
                        f"{row['routine']:<28} {rate:>4}  {row['plan']:<6} "
                        f"{row['utterances']:>10} {row['heard_in_full']:>14} {kept:>16} "
                        f"{row['seconds_added']:>14}",
                        flush=True,
                    )
                    if args.cuts:
                        for cut in row["cut"]:  # type: ignore[attr-defined]
                            print(f"      cut at {cut[0]}s, {cut[2]}s lost: {cut[1]!r}")
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        for plan in ("before", "after"):
            mine = [r for r in rows if r["plan"] == plan]
            said = sum(r["utterances"] for r in mine)  # type: ignore[misc]
            full = sum(r["heard_in_full"] for r in mine)  # type: ignore[misc]
            kept = sum(r["countdowns_kept"] for r in mine)  # type: ignore[misc]
            needed = sum(r["countdowns_needed"] for r in mine)  # type: ignore[misc]
            print(
                f"{plan}: {full} of {said} utterances heard in full, "
                f"{kept} of {needed} countdowns kept"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
