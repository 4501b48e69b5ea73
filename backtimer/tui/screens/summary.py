"""The summary at the end of a session (finished, or ended early).

The counts come from the session's :class:`~backtimer.session.tally.Tally` (re-exported
here), in the words of :func:`~backtimer.session.tally.summary_rows`, as ``--plain`` says them.

When holds were made longer or shorter during the session (``+``/``-``), the summary offers
to keep them in the routine file (``k``): :func:`backtimer.files.editing.keep_changes` writes
them (atomically; a bundled routine is first copied to the user's folder; a file with
comments keeps a ``.bak``), and a hold given as a range becomes the exercise's current level
in the history instead (the file keeps the range).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from backtimer.core.durations import compact
from backtimer.core.plan import Plan
from backtimer.core.progression import DEFAULT_SESSIONS
from backtimer.core.routine import Routine
from backtimer.files.catalog import Entry
from backtimer.files.editing import EditError, keep_changes
from backtimer.files.routine_load import RoutineError
from backtimer.history.db import HistoryUnavailable, open_history
from backtimer.history.levels import store_hold_level
from backtimer.session.tally import (
    PainRecord,
    Tally,
    pain_said,
    pain_where,
    summary_rows,
    summary_title,
)
from backtimer.tui.keys import bindings
from backtimer.tui.messages import SummaryClosed
from backtimer.tui.screens import OwnStyles
from backtimer.tui.widgets.keybar import KeyBar
from backtimer.tui.widgets.text import literal, plural


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
    """ "• Knee to chest, right side, rep 1 of 2, at 4 s — lower back, 6/10 — a note"."""
    text = Text("• ")
    text.append_text(literal(record.event.exercise, "bold"))
    text.append(", " + pain_where(record))
    said = pain_said(record)
    if said:
        text.append(" — " + said)
    if record.details is not None and record.details.note:
        text.append(" — ")
        text.append_text(literal(record.details.note, "italic"))
    return text


class SummaryScreen(OwnStyles, Screen[None]):
    """What was done: steps done and skipped, pain stops, active time; and an offer to keep
    the holds changed during the session.

    ``entry``: the routine as on disk (what "keep" writes to; None: nothing to keep it in).
    ``data_dir``: the history's folder, for a kept hold that is a range. Closing posts
    :class:`~backtimer.tui.messages.SummaryClosed`: the app goes back to the routines or quits.
    """

    # Its rules (Textual CSS), added when it is first shown (see OwnStyles); the colours
    # are the session's (screens/session.tcss).
    STYLES = """
        $work: #2e7a4b;
        $paused: #5a5f66;

        #summary-title {
            height: 3;
            width: 100%;
            content-align: center middle;
            text-style: bold;
            color: #ffffff;
            background: $work;
        }

        #summary-title.early {
            background: $paused;
        }

        #summary-body {
            height: 1fr;
            padding: 1 2 0 2;
        }

        #summary-body > Static {
            margin-bottom: 1;
        }

        SummaryScreen.-short #summary-title,
        SummaryScreen.-tiny #summary-title {
            height: 1;
        }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("summary")

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
        self.entry = entry
        self.data_dir = data_dir
        self.kept: Any = None  # the KeepResult, once kept
        self.keep_error: str | None = None

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
        title = summary_title(tally)
        yield Static(title, id="summary-title", classes="finished" if finished else "early")
        with VerticalScroll(id="summary-body"):
            yield Static(literal(self.routine_name, "bold"), id="summary-routine")
            yield Static(self._numbers(), id="summary-numbers")
            unrecorded = self._unrecorded()
            if unrecorded:  # never claim what the history does not hold
                yield Static(literal(unrecorded, "bold"), id="summary-recording")
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

    def _unrecorded(self) -> str | None:
        """What the history does not hold yet (recording fell behind), or None."""
        launches = getattr(self.app, "launches", None) or []
        recorder = getattr(launches[-1], "recorder", None) if launches else None
        status = getattr(recorder, "status", None)
        if not callable(status):
            return None
        now = status()
        if not now.behind:
            return None
        return now.unrecorded("before you quit")

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

    def _sessions_needed(self) -> int:
        """The ``progression_sessions`` setting (the app's; the default without one)."""
        config = getattr(self.app, "config", None)
        sessions = getattr(config, "progression_sessions", None)
        return sessions if isinstance(sessions, int) else DEFAULT_SESSIONS

    def _store_levels(self, entry: Entry, hold_levels: Mapping[int, float]) -> str:
        """A kept hold that is a range: the exercise's current level, in the history."""
        try:
            with open_history(self.data_dir) as db:
                for index, hold in hold_levels.items():
                    store_hold_level(db, entry, index, hold, self._sessions_needed())
        except HistoryUnavailable as exc:
            return f"The new level could not be stored: {exc.message}"
        return "Stored as the current level for the next session."

    def _numbers(self) -> Table:
        """The same rows as --plain's summary line (backtimer.session.tally.summary_rows)."""
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for label, value in summary_rows(self.tally):
            table.add_row(label, value)
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
        self.post_message(SummaryClosed())

    def action_quit_app(self) -> None:
        self.app.exit(0)
