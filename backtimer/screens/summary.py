"""The summary at the end of a session (finished, or ended early), and the tally behind it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from backtimer.engine import EndedEarly, Event, Finished, PainStopped, Session, StepEnded
from backtimer.messages import PainDetails
from backtimer.plan import Plan
from backtimer.widgets.keybar import KeyBar
from backtimer.widgets.text import duration_words, literal, plural


@dataclass
class PainRecord:
    event: PainStopped
    details: PainDetails | None = None


@dataclass
class Tally:
    """A runner listener that counts what happened, for the summary.

    "Done" and "skipped" count the work steps (holds and reps): a work step is done when it
    ran to its end (or the user pressed enter on a step at their own pace), skipped when the
    session moved past it without that. Steps after an early end are "not reached".
    """

    plan: Plan
    done: set[int] = field(default_factory=set)
    pains: list[PainRecord] = field(default_factory=list)
    outcome: Literal["finished", "ended_early"] | None = None
    active_seconds: float = 0.0
    reached: int = 0  # steps before this index were reached

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        for event in events:
            if isinstance(event, StepEnded) and not event.skipped and event.step.is_work:
                self.done.add(event.step.index)
            elif isinstance(event, PainStopped):
                self.pains.append(PainRecord(event))
            elif isinstance(event, Finished):
                self.outcome = "finished"
                self.active_seconds = event.active_seconds
                self.reached = len(self.plan.steps)
            elif isinstance(event, EndedEarly):
                self.outcome = "ended_early"
                self.active_seconds = event.active_seconds
                self.reached = session.index if event.step is not None else 0

    def on_pain_details(self, details: PainDetails, session: Session) -> None:
        if self.pains:
            self.pains[-1].details = details

    @property
    def work_steps(self) -> list[int]:
        return [s.index for s in self.plan.steps if s.is_work]

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
            if step.is_work:
                row = rows.setdefault(step.exercise_index, [step.exercise, 0, 0])
                row[2] += 1
                if step.index in self.done:
                    row[1] += 1
        return [(name, done, total) for name, done, total in rows.values()]


def pain_line(record: PainRecord) -> Text:
    event = record.event
    text = Text("• ")
    text.append_text(literal(event.exercise, "bold"))
    where = []
    if event.side:
        where.append(f"{event.side} side")
    if event.phase in ("hold", "rep") and event.step.reps > 1:
        where.append(f"rep {event.rep} of {event.step.reps}")
    if event.step.sets > 1:
        where.append(f"set {event.set} of {event.step.sets}")
    where.append(f"at {duration_words(event.session_second)}")
    text.append(", " + ", ".join(where))
    details = record.details
    if details is not None:
        said = []
        if details.where:
            said.append(details.where)
        if details.how_much is not None:
            said.append(f"{details.how_much}/10")
        if said:
            text.append(" — " + ", ".join(said))
        if details.note:
            text.append(" — ")
            text.append_text(literal(details.note, "italic"))
    return text


class SummaryScreen(Screen[None]):
    """What was done: steps done and skipped, pain stops, active time."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "close", "Close", id="close", tooltip="Back to the routines, or quit"),
        Binding("q", "quit_app", "Quit", id="quit", tooltip="Quit backtimer"),
    ]

    def __init__(self, tally: Tally, routine_name: str) -> None:
        super().__init__()
        self.tally = tally
        self.routine_name = routine_name

    def compose(self) -> ComposeResult:
        tally = self.tally
        finished = tally.outcome == "finished"
        title = "SESSION COMPLETE" if finished else "ENDED EARLY"
        yield Static(title, id="summary-title", classes="finished" if finished else "early")
        with VerticalScroll(id="summary-body"):
            yield Static(literal(self.routine_name, "bold"), id="summary-routine")
            yield Static(self._numbers(), id="summary-numbers")
            if tally.pains:
                pains = Text()
                pains.append("Pain stops\n", style="bold")
                for i, record in enumerate(tally.pains):
                    if i:
                        pains.append("\n")
                    pains.append_text(pain_line(record))
                yield Static(pains, id="summary-pains")
            yield Static(self._exercises(), id="summary-exercises")
        yield KeyBar()

    def _numbers(self) -> Table:
        tally = self.tally
        total = len(tally.work_steps)
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        table.add_row(
            "Done", f"{len(tally.done)} of {plural(total, 'hold or rep', 'holds and reps')}"
        )
        table.add_row("Skipped", str(tally.skipped))
        if tally.not_reached:
            table.add_row("Not reached", str(tally.not_reached))
        table.add_row("Pain stops", str(len(tally.pains)))
        table.add_row("Active time", duration_words(tally.active_seconds))
        return table

    def _exercises(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column()
        table.add_column(justify="right")
        for name, done, total in self.tally.per_exercise():
            mark = "✓" if done == total else " "
            table.add_row(Text(mark + " ").append_text(literal(name)), f"{done} of {total}")
        return table

    def action_close(self) -> None:
        from backtimer.screens.picker import PickerScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, PickerScreen):
                screen.pop_until_active()
                screen.refresh_entries()
                return
        self.app.exit(0)

    def action_quit_app(self) -> None:
        self.app.exit(0)
