"""What a session did, counted once for every front end, and the words of its summary.

:class:`Tally` is a runner listener. The app's summary screen and ``--plain``'s last line are
two views of the same :func:`summary_rows`, so for the same run they say the same counts in
the same words. What a person said after a pain stop
(:class:`~backtimer.session.safety.PainDetails`) is plain data, so that the history recorder
can receive it (``listener.on_pain_details(details, session)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from backtimer.core.durations import short as duration_words
from backtimer.core.engine import (
    WITHDRAWALS,
    EndedEarly,
    Event,
    Extended,
    Finished,
    PainStopped,
    Session,
    StepEnded,
)
from backtimer.core.phases import phase_info
from backtimer.core.plan import Plan
from backtimer.core.routine import Exercise, Routine
from backtimer.core.timeline import side_words
from backtimer.core.words import plural
from backtimer.session.safety import PainDetails


@dataclass
class PainRecord:
    event: PainStopped
    details: PainDetails | None = None
    #: The stopped exercise, for its own side words ("right leg on top"); None: "right side".
    exercise: Exercise | None = None


@dataclass
class Tally:
    """A runner listener that counts what happened, for the summary.

    "Done" and "skipped" count the work steps (holds and reps): a work step is done when it
    ran to its end (or the user pressed enter on a step at their own pace), skipped when the
    session moved past it without that. Steps after an early end are "not reached". A
    resumed session counts from the step it resumed at (``start_index``): the steps before
    it are in the history, not in this run.
    """

    plan: Plan
    start_index: int = 0
    done: set[int] = field(default_factory=set)
    pains: list[PainRecord] = field(default_factory=list)
    outcome: Literal["finished", "ended_early"] | None = None
    active_seconds: float = 0.0
    reached: int = 0  # steps before this index were reached
    #: Holds changed with +/-: step index -> seconds added in all (negative: removed),
    #: in the order of their latest change (the most recently changed last).
    extensions: dict[int, float] = field(default_factory=dict)
    #: The routine run, for its exercises' side words in a pain stop's place (None: the
    #: plain "right side").
    routine: Routine | None = None

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        for event in events:
            if isinstance(event, Extended):
                index = event.step.index
                self.extensions.pop(index, None)
                self.extensions[index] = session.extensions.get(index, 0.0)
            elif isinstance(event, StepEnded) and not event.skipped and event.step.is_work:
                self.done.add(event.step.index)
            elif isinstance(event, PainStopped):
                self.pains.append(PainRecord(event, exercise=self._exercise(event)))
            elif isinstance(event, WITHDRAWALS) and self.pains:
                self.pains.pop()  # pressed by mistake: no pain stop to report
            elif isinstance(event, Finished):
                self.outcome = "finished"
                self.active_seconds = event.active_seconds
                self.reached = len(self.plan.steps)
            elif isinstance(event, EndedEarly):
                self.outcome = "ended_early"
                self.active_seconds = event.active_seconds
                self.reached = session.index if event.step is not None else self.start_index

    def on_pain_details(self, details: PainDetails, session: Session) -> None:
        if self.pains:
            self.pains[-1].details = details

    def _exercise(self, event: PainStopped) -> Exercise | None:
        exercises = self.routine.exercises if self.routine is not None else []
        index = event.exercise_index
        return exercises[index] if 0 <= index < len(exercises) else None

    @property
    def work_steps(self) -> list[int]:
        return [s.index for s in self.plan.steps if s.is_work and s.index >= self.start_index]

    @property
    def skipped(self) -> int:
        return sum(1 for i in self.work_steps if i < self.reached and i not in self.done)

    @property
    def not_reached(self) -> int:
        return len(self.work_steps) - len(self.done) - self.skipped

    def per_exercise(self) -> list[tuple[str, int, int]]:
        """(exercise name, work steps done, work steps planned), in order."""
        rows: dict[int, list] = {}
        for step in self.plan.steps:
            if step.is_work and step.index >= self.start_index:
                row = rows.setdefault(step.exercise_index, [step.exercise, 0, 0])
                row[2] += 1
                if step.index in self.done:
                    row[1] += 1
        return [(name, done, total) for name, done, total in rows.values()]


def summary_title(tally: Tally) -> str:
    return "SESSION COMPLETE" if tally.outcome == "finished" else "ENDED EARLY"


def summary_rows(tally: Tally) -> list[tuple[str, str]]:
    """The summary's numbers as (label, value) rows: the app shows them as a table,
    ``--plain`` as one line."""
    total = len(tally.work_steps)
    rows = [("Done", f"{len(tally.done)} of {plural(total, 'hold or rep', 'holds and reps')}")]
    if tally.start_index:
        rows.append(("Resumed at", f"step {tally.start_index + 1} of {len(tally.plan.steps)}"))
    rows.append(("Skipped", str(tally.skipped)))
    if tally.not_reached:
        rows.append(("Not reached", str(tally.not_reached)))
    rows.append(("Pain stops", str(len(tally.pains))))
    rows.append(("Active time", duration_words(tally.active_seconds)))
    return rows


def summary_line(tally: Tally) -> str:
    """ "Summary: Done 6 of 6 holds and reps; Skipped 0; Pain stops 0; Active time 30 s." """
    return "Summary: " + "; ".join(f"{label} {value}" for label, value in summary_rows(tally)) + "."


def pain_where(record: PainRecord) -> str:
    """Where a pain stop happened, after the exercise's name: "right side, rep 1 of 2, at 4 s"
    (the side in the exercise's own words where it has them, as the voice says it)."""
    event = record.event
    where = []
    if event.side:
        where.append(side_words(record.exercise, event.side))
    if phase_info(event.phase).work and event.step.reps > 1:
        where.append(f"rep {event.rep} of {event.step.reps}")
    if event.step.sets > 1:
        where.append(f"set {event.set} of {event.step.sets}")
    where.append(f"at {duration_words(event.session_second)}")
    return ", ".join(where)


def pain_said(record: PainRecord) -> str:
    """What the person said about it: "lower back, 6/10" (empty when nothing)."""
    details = record.details
    if details is None:
        return ""
    said = []
    if details.where:
        said.append(details.where)
    if details.how_much is not None:
        said.append(f"{details.how_much}/10")
    return ", ".join(said)
