"""The summary at the end of a session (finished, or ended early), and the tally behind it.

When holds were made longer or shorter during the session (``+``/``-``), the summary offers
to keep them in the routine file (``k``): :func:`backtimer.files.editing.keep_changes` writes
them (atomically; a bundled routine is first copied to the user's folder; a file with
comments keeps a ``.bak``), and a hold given as a range becomes the exercise's current level
in the history instead (the file keeps the range).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from backtimer.core.durations import compact, short
from backtimer.core.engine import (
    EndedEarly,
    Event,
    Extended,
    Finished,
    PainStopped,
    PainWithdrawn,
    Session,
    StepEnded,
)
from backtimer.core.phases import phase_info
from backtimer.core.plan import Plan
from backtimer.core.routine import Routine
from backtimer.files.catalog import Entry
from backtimer.tui.messages import PainDetails
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.text import literal, plural


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
    #: Holds changed with +/-: step index -> seconds added in all (negative: removed),
    #: in the order of their latest change (the most recently changed last).
    extensions: dict[int, float] = field(default_factory=dict)

    def on_events(self, events: Sequence[Event], session: Session) -> None:
        for event in events:
            if isinstance(event, Extended):
                index = event.step.index
                self.extensions.pop(index, None)
                self.extensions[index] = session.extensions.get(index, 0.0)
            elif isinstance(event, StepEnded) and not event.skipped and event.step.is_work:
                self.done.add(event.step.index)
            elif isinstance(event, PainStopped):
                self.pains.append(PainRecord(event))
            elif isinstance(event, PainWithdrawn) and self.pains:
                self.pains.pop()  # pressed by mistake: no pain stop to report
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


@dataclass(frozen=True)
class HoldChange:
    """A hold changed during the session, per exercise, as it would be kept."""

    exercise_index: int
    exercise: str
    before: str  # "30s", "10 breaths"
    after: str
    seconds: float  # the new hold for keep_changes (breaths: at the file's breath length)
    reps_changed: int  # how many of its holds were changed
    differ: bool  # they were changed differently: the last change is the one kept
    is_range: bool = False  # the file gives a range: kept as the current level instead

    @property
    def text(self) -> str:
        line = f"{self.exercise}: hold {self.before} -> {self.after}"
        if self.is_range:
            line += " (the routine gives a range: kept as your current level)"
        if self.differ:
            line += (
                f" ({self.reps_changed} holds were changed differently; the last change is "
                "the one kept)"
            )
        return line


def _hold_words(seconds: float, breaths: int | None) -> str:
    if breaths is not None:
        return plural(breaths, "breath")
    return compact(round(seconds, 3))


def hold_changes(
    plan: Plan, extensions: Mapping[int, float], routine: Routine | None = None
) -> list[HoldChange]:
    """Per exercise, the hold to keep from a session's changes (``extensions``: step index ->
    seconds added, the most recently changed last; the engine's ``session.extensions`` in
    step order will do too). If several holds of an exercise were changed differently, the
    last changed one wins (and ``differ`` says so). ``routine``: the routine as in its file,
    whose breath length turns a hold in breaths back into seconds (the session may have run
    at another breath length, from the settings)."""
    latest: dict[int, tuple[float, int | None, float, int | None]] = {}
    values: dict[int, set[tuple[float, int | None]]] = {}
    counts: dict[int, int] = {}
    for index, added in extensions.items():
        if not 0 <= index < len(plan.steps) or not added:
            continue
        step = plan.steps[index]
        if not step.phase_info.extendable or not step.seconds:
            continue
        new_seconds = max(0.0, step.seconds + added)
        new_breaths = None
        if step.breaths:
            per_breath = step.seconds / step.breaths
            new_breaths = max(1, round(new_seconds / per_breath))
            if new_breaths == step.breaths:
                continue
        exercise = step.exercise_index
        latest.pop(exercise, None)
        latest[exercise] = (step.seconds, step.breaths, new_seconds, new_breaths)
        values.setdefault(exercise, set()).add((round(new_seconds, 3), new_breaths))
        counts[exercise] = counts.get(exercise, 0) + 1
    out = []
    for exercise in sorted(latest):
        old_seconds, old_breaths, new_seconds, new_breaths = latest[exercise]
        keep = new_seconds
        settings = routine.settings(exercise) if routine is not None else None
        if new_breaths is not None:
            breath = settings.breath if settings is not None else None
            keep = new_breaths * (breath or old_seconds / (old_breaths or 1))
        is_range = bool(
            settings is not None and settings.hold is not None and settings.hold.span.is_range
        )
        if is_range and settings is not None and settings.hold is not None:
            # A range keeps its bounds: the offer is what will be kept (8-12 s held for
            # 13 s offers 12 s, the top of the range, not 13 s).
            span = settings.hold.span
            if settings.hold.unit == "breaths" and new_breaths is not None:
                new_breaths = int(min(max(new_breaths, span.low), span.high))
                breath = settings.breath if settings.breath else old_seconds / (old_breaths or 1)
                keep = new_breaths * breath
            elif settings.hold.unit == "seconds":
                keep = min(max(keep, span.low), span.high)
                new_seconds = keep
            if (round(new_seconds, 3), new_breaths) == (round(old_seconds, 3), old_breaths):
                continue  # nothing left to keep: the hold was at that end already
        name = next(s.exercise for s in plan.steps if s.exercise_index == exercise)
        out.append(
            HoldChange(
                exercise_index=exercise,
                exercise=name,
                before=_hold_words(old_seconds, old_breaths),
                after=_hold_words(new_seconds, new_breaths),
                seconds=keep,
                reps_changed=counts[exercise],
                differ=len(values[exercise]) > 1,
                is_range=is_range,
            )
        )
    return out


def pain_line(record: PainRecord) -> Text:
    event = record.event
    text = Text("• ")
    text.append_text(literal(event.exercise, "bold"))
    where = []
    if event.side:
        where.append(f"{event.side} side")
    if phase_info(event.phase).work and event.step.reps > 1:
        where.append(f"rep {event.rep} of {event.step.reps}")
    if event.step.sets > 1:
        where.append(f"set {event.set} of {event.step.sets}")
    where.append(f"at {short(event.session_second)}")
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
    """What was done: steps done and skipped, pain stops, active time; and an offer to keep
    the holds changed during the session.

    ``entry``: the routine as on disk (what "keep" writes to); if not given, the app's
    latest session screen's ``entry`` is used when its tally is this one. ``data_dir``: the
    history's folder, for a kept hold that is a range (default: the app's ``data_dir``).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "close", "Close", id="close", tooltip="Back to the routines, or quit"),
        Binding(
            "k",
            "keep",
            "Keep holds",
            id="keep_holds",
            tooltip="Keep the holds changed with +/- in the routine file",
        ),
        Binding("q", "quit_app", "Quit", id="quit", tooltip="Quit backtimer"),
    ]

    def __init__(
        self,
        tally: Tally,
        routine_name: str,
        entry: Entry | None = None,
        *,
        data_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.tally = tally
        self.routine_name = routine_name
        self._entry = entry
        self._data_dir = data_dir
        self.kept: Any = None  # the KeepResult, once kept
        self.keep_error: str | None = None

    @property
    def entry(self) -> Entry | None:
        if self._entry is not None:
            return self._entry
        session = getattr(self.app, "current_session", None)
        if session is not None and getattr(session, "tally", None) is self.tally:
            return getattr(session, "entry", None)
        return None

    @property
    def changes(self) -> list[HoldChange]:
        """The holds to offer to keep (none when there is no routine file to keep them in)."""
        entry = self.entry
        if entry is None or entry.routine is None:
            return []
        return hold_changes(self.tally.plan, self.tally.extensions, entry.routine)

    @property
    def offering(self) -> bool:
        return self.kept is None and bool(self.changes)

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
            changes = self.changes
            if changes:
                yield Static(self._offer(changes), id="summary-keep")
            yield Static(self._exercises(), id="summary-exercises")
        yield KeyBar()

    def _offer(self, changes: list[HoldChange]) -> Text:
        text = Text("Keep the changed holds in the routine file?\n", style="bold")
        for change in changes:
            text.append("• ")
            text.append_text(literal(change.text))
            text.append("\n")
        entry = self.entry
        where = "your copy of it" if entry is not None and entry.origin == "bundled" else "it"
        text.append(f"Press k to keep them in {where}; enter closes without keeping.", "dim")
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "keep":
            return self.offering
        return True

    def action_keep(self) -> None:
        """Write the changed holds into the routine file; say what happened."""
        from backtimer.files.editing import EditError, keep_changes
        from backtimer.files.routine_load import RoutineError

        entry = self.entry
        changes = self.changes
        if entry is None or not changes or self.kept is not None:
            return
        box = self.query_one("#summary-keep", Static)
        try:
            result = keep_changes(entry, {c.exercise_index: c.seconds for c in changes})
        except (EditError, RoutineError, OSError, ValueError) as exc:
            if isinstance(exc, RoutineError):
                reason = "; ".join(str(p) for p in exc.problems)
            elif isinstance(exc, OSError):
                reason = f"{exc.filename or ''} {exc.strerror or exc}".strip()
            else:
                reason = str(exc)
            self.keep_error = reason
            box.update(Text("Not kept: ", style="bold red").append_text(literal(reason)))
            self.notify(f"Not kept: {reason}", severity="error", timeout=8, markup=False)
            return
        self.kept = result
        message = result.message
        if result.hold_levels:
            message += "\n" + self._store_levels(entry, result.hold_levels)
        box.update(Text("Kept. ", style="bold").append_text(literal(message)))
        self.notify(message, timeout=8, markup=False)
        self.refresh_bindings()

    def _store_levels(self, entry: Entry, hold_levels: Mapping[int, float]) -> str:
        """A kept hold that is a range: the exercise's current level, in the history."""
        from backtimer.history.db import HistoryUnavailable, open_history
        from backtimer.history.levels import store_hold_level

        data_dir = self._data_dir
        if data_dir is None:
            data_dir = getattr(self.app, "data_dir", None)
        try:
            with open_history(data_dir) as db:
                for index, hold in hold_levels.items():
                    store_hold_level(db, entry, index, hold)
        except HistoryUnavailable as exc:
            return f"The new level could not be stored: {exc.message}"
        return "Stored as the current level for the next session."

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
        table.add_row("Active time", short(tally.active_seconds))
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
        from backtimer.tui.screens.picker import PickerScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, PickerScreen):
                screen.pop_until_active()
                screen.refresh_entries()
                return
        self.app.exit(0)

    def action_quit_app(self) -> None:
        self.app.exit(0)
