"""The history screen: minutes per day over the last 4 weeks, the current streak, sessions,
completion per exercise and side, and pain events (highlighted).

Everything is read once when the screen opens, with queries that aggregate in SQL, so ten
years of sessions open as fast as one week. Text from routines and notes is shown literally.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from backtimer.core.durations import hours_minutes
from backtimer.history import queries
from backtimer.history.db import HistoryDB, HistoryUnavailable, open_history
from backtimer.tui.keys import bindings
from backtimer.tui.widgets.keybar import KeyFooter
from backtimer.tui.widgets.text import literal as shown_literally

DAYS = 28  # the chart and the completion table cover the last 4 weeks
SESSION_ROWS = 100  # the latest sessions listed (the tab says how many there are in all)
PAIN_ROWS = 100
BAR_ROWS = 5
BLOCKS = " ▁▂▃▄▅▆▇█"
STATUS_STYLE = {
    "completed": ("completed", "green"),
    "ended_early": ("ended early", "yellow"),
    "pain_stopped": ("pain stop", "bold red"),
    "interrupted": ("interrupted", "magenta"),
    "running": ("running", "cyan"),
}
PAIN_STYLE = "bold red"


def literal(text: str | None, style: str = "") -> Text:
    """Routine or user text in a cell: no markup, no terminal escapes, on one line."""
    return shown_literally(text, style, lines=False)


def _nice_scale(peak: float) -> int:
    for step in (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240):
        if peak <= step:
            return step
    return int(math.ceil(peak / 60) * 60)


@dataclass
class HistoryData:
    """What the screen shows, read in one go."""

    today: date
    days: list[tuple[date, float, int]] = field(default_factory=list)  # day, minutes, pains
    streak: int = 0
    total_sessions: int = 0
    total_pains: int = 0
    sessions: list[queries.SessionRow] = field(default_factory=list)
    completion: list[queries.Completion] = field(default_factory=list)
    pains: list[queries.PainRow] = field(default_factory=list)


def load(db: HistoryDB, today: date, since: date | None = None) -> HistoryData:
    """The chart is always the last 4 weeks; ``since`` (``history --since``) limits the
    lists, their counts and the completion to the sessions on or after it."""
    first = today - timedelta(days=DAYS - 1)
    minutes = queries.minutes_per_day(db, first, today)
    pains = queries.pain_days(db, first, today)
    return HistoryData(
        today=today,
        days=[(day, minutes[day], pains.get(day, 0)) for day in sorted(minutes)],
        streak=queries.streak(db, today),
        total_sessions=queries.count_sessions(db, since=since),
        total_pains=queries.count_pain_events(db, since=since),
        sessions=queries.list_sessions(db, limit=SESSION_ROWS, since=since),
        completion=queries.completion(db, since=max(first, since or first), until=today),
        pains=queries.pain_events(db, limit=PAIN_ROWS, since=since),
    )


def chart(
    days: list[tuple[date, float, int]],
    today: date,
    width: int | None = None,
    bar_rows: int = BAR_ROWS,
) -> Text:
    """Bars of minutes per day, a row marking pain days, and date labels, ``width`` columns
    wide (None: two columns a day). The days share the whole width, so the last one (today)
    ends at the right edge whatever the width; the bars are one width, the gaps 1 or 2."""
    peak = max((m for _, m, _ in days), default=0.0)
    scale = _nice_scale(peak)
    label_width = len(str(scale)) + 1
    count = len(days)
    axis = width is None or width >= label_width + 1 + 2 * count
    if not axis:  # narrow: the bars take the axis's room (the box's subtitle gives the scale)
        label_width = -1
    plot = 2 * count if width is None else width - label_width - 1
    if count and plot < count:  # too narrow for a column a day: the latest days that fit
        days = days[count - max(1, plot) :]
        count = len(days)
        plot = max(plot, count)
    starts = [i * plot // count for i in range(count)] if count else []
    bar = max(1, plot // count - 1) if count else 1
    text = Text(no_wrap=True, overflow="crop")
    for row in range(bar_rows):
        floor = (bar_rows - 1 - row) * 8
        if row == 0:
            label = str(scale)
        elif row == bar_rows - 1:
            label = "0"
        else:
            label = ""
        if axis:
            text.append(label.rjust(label_width - 1) + " ", style="dim")
            text.append("│", style="dim")
        line = [(" ", "")] * plot
        for (day, minutes, pains), start in zip(days, starts, strict=True):
            eighths = minutes / scale * bar_rows * 8
            fill = max(0, min(8, round(eighths - floor)))
            if row == bar_rows - 1 and minutes > 0 and fill == 0:
                fill = 1  # a short session still shows
            style = PAIN_STYLE if pains else ("bold green" if day == today else "green")
            for x in range(start, min(plot, start + bar)):
                line[x] = (BLOCKS[fill], style)
        for ch, style in line:
            text.append(ch, style=style)
        text.append("\n")
    # Pain markers under the bars.
    marks = [" "] * plot
    for (*_, pains), start in zip(days, starts, strict=True):
        if pains:
            marks[min(plot - 1, start + (bar - 1) // 2)] = "!"
    text.append(" " * (label_width + 1))
    for mark in marks:
        text.append(mark, style=PAIN_STYLE if mark != " " else "")
    text.append("\n")
    # Dates: the first day of each week, and today at the right end (none overlap).
    labels = [" "] * plot
    end = plot
    if days and days[-1][0] == today:
        end = max(0, starts[-1] + bar - len("today"))
        for j, ch in enumerate("today"):
            if 0 <= end + j < plot:
                labels[end + j] = ch
    free = 0
    for i in range(0, count, 7):
        words = days[i][0].strftime("%b %d")
        at = starts[i]
        if at >= free and at + len(words) < end:
            labels[at : at + len(words)] = words
            free = at + len(words) + 1
    text.append(" " * (label_width + 1) + "".join(labels).rstrip(), style="dim")
    return text


class MinutesChart(Static):
    """The chart, drawn for the width it has (again when the terminal is resized)."""

    def __init__(self, days: list[tuple[date, float, int]], today: date, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.days = days
        self.today = today

    def render(self) -> Text:
        rows = BAR_ROWS if self.app.size.height >= 24 else 3  # short: room for the tables
        return chart(self.days, self.today, max(1, self.content_size.width), rows)


def _cell(done: int, planned: int) -> Text:
    if not planned:
        return Text("-", style="dim")
    percent = 100 * done / planned
    style = "green" if done >= planned else ("yellow" if percent >= 50 else "red")
    return Text(f"{done}/{planned} {percent:3.0f}%", style=style)


class HistoryScreen(Screen[None]):
    """Past sessions. Give it an open history (``db``), or it opens the user's own."""

    DEFAULT_CSS = """
    HistoryScreen {
        layout: vertical;
    }
    HistoryScreen #history-summary {
        height: 1;
        padding: 0 1;
        background: $boost;
        text-style: bold;
    }
    HistoryScreen #history-chart {
        height: auto;
        border: round $primary;
        border-title-align: left;
        border-subtitle-align: right;
        padding: 0 1;
    }
    HistoryScreen TabbedContent {
        height: 1fr;
    }
    HistoryScreen TabPane {
        padding: 0;
    }
    HistoryScreen DataTable {
        height: 1fr;
    }
    HistoryScreen #pain-detail {
        height: auto;
        max-height: 5;
        border-top: solid $primary;
    }
    HistoryScreen .history-note {
        height: auto;
        padding: 0 1;
        color: $text-muted;
    }
    HistoryScreen #history-problem {
        padding: 1 2;
        color: $error;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("history")

    def __init__(
        self,
        db: HistoryDB | None = None,
        *,
        today: date | None = None,
        data_dir=None,
        since: date | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.since = since
        self._db = db
        self._own_db = db is None
        self._data_dir = data_dir
        self.today = today or date.today()
        self.data: HistoryData | None = None
        self.problem: str | None = None
        self.notes: list[str] = []
        self._filled: set[str] = {"tab-sessions"}
        self._read()

    def _read(self) -> None:
        try:
            if self._db is None:
                self._db = open_history(self._data_dir, create=False)
            self.data = load(self._db, self.today, self.since)
            # Damaged rows left out, a damaged -wal, sessions waiting in a journal.
            self.notes = list(self._db.notes)
        except HistoryUnavailable as exc:
            self.problem = exc.message
        finally:
            if self._own_db and self._db is not None:
                self._db.close()
                self._db = None

    # -------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        data = self.data
        if data is None:
            yield Static(Text("History", style="bold"), id="history-summary")
            yield Static(
                literal(f"The history cannot be shown: {self.problem}"), id="history-problem"
            )
            yield KeyFooter()
            return
        yield Static(self._summary(data), id="history-summary")
        box = MinutesChart(data.days, data.today, id="history-chart")
        box.border_title = "Minutes per day, last 4 weeks"
        total = sum(m for _, m, _ in data.days)
        top = _nice_scale(max((m for _, m, _ in data.days), default=0.0))
        box.border_subtitle = f"top {top} min · {hours_minutes(total * 60)} in all · ! pain"
        yield box
        pain_title: Content | str = f"Pain ({data.total_pains})"
        if data.total_pains:
            pain_title = Content.styled(str(pain_title), "bold $error")
        with TabbedContent(id="history-tabs"):
            with TabPane(f"Sessions ({data.total_sessions})", id="tab-sessions"):
                if not data.sessions:
                    yield Static(
                        "No sessions yet: run a routine and it will show here.",
                        classes="history-note",
                    )
                elif data.total_sessions > len(data.sessions):
                    yield Static(
                        f"The latest {len(data.sessions)}; 'backtimer history | less' "
                        "lists them all.",
                        classes="history-note",
                    )
                yield DataTable(id="history-sessions", cursor_type="row", zebra_stripes=True)
            with TabPane("Exercises", id="tab-exercises"):
                yield Static(
                    "Holds and reps done of those planned, last 4 weeks",
                    classes="history-note",
                )
                yield DataTable(id="history-exercises", cursor_type="row", zebra_stripes=True)
            with TabPane(pain_title, id="tab-pain"):
                if not data.pains:
                    yield Static("No pain events recorded.", classes="history-note")
                yield DataTable(id="history-pain", cursor_type="row", zebra_stripes=True)
                yield Static("", id="pain-detail", classes="history-note")
        yield KeyFooter()

    def _summary(self, data: HistoryData) -> Text:
        text = Text("History")
        noun = "session" if data.total_sessions == 1 else "sessions"
        text.append(f"  ·  {data.total_sessions} {noun}", style="")
        if self.since is not None:
            text.append(f" since {self.since.isoformat()}")
        days = "day" if data.streak == 1 else "days"
        text.append("  ·  streak ")
        text.append(f"{data.streak} {days}", style="green" if data.streak else "")
        if data.total_pains:
            text.append("  ·  ")
            noun = "pain event" if data.total_pains == 1 else "pain events"
            text.append(f"{data.total_pains} {noun}", style=PAIN_STYLE)
        return text

    def on_mount(self) -> None:
        data = self.data
        if data is None:
            return
        if self._own_db:  # a history given by the caller: the caller shows its notes
            for note in self.notes:
                self.notify(note, severity="warning", timeout=15, markup=False)
        self._fill_sessions(data)
        self.query_one("#history-sessions", DataTable).focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The other tabs' tables are filled when first shown: the screen opens sooner."""
        data = self.data
        if data is None or event.pane.id in self._filled:
            return
        self._filled.add(event.pane.id or "")
        if event.pane.id == "tab-exercises":
            self._fill_exercises(data)
        elif event.pane.id == "tab-pain":
            self._fill_pain(data)

    def _fill_sessions(self, data: HistoryData) -> None:
        table = self.query_one("#history-sessions", DataTable)
        table.add_column("Date", key="date")
        table.add_column("Time", key="time")
        table.add_column("Routine", key="routine", width=24)
        table.add_column("Status", key="status")
        table.add_column(Text("Min", justify="right"), key="min")
        table.add_column(Text("Reps", justify="right"), key="reps")
        table.add_column(Text("Pain", justify="right"), key="pain")
        rows = []
        for s in data.sessions:
            word, style = STATUS_STYLE.get(s.status, (s.status, ""))
            pain = (
                Text(str(s.pain_count), style=PAIN_STYLE, justify="right")
                if s.pain_count
                else Text("-", style="dim", justify="right")
            )
            rows.append(
                (
                    Text(s.day, style=PAIN_STYLE if s.pain_count else ""),
                    s.started_local.strftime("%H:%M"),
                    literal(s.routine),
                    Text(word, style=style),
                    Text(f"{s.minutes:.0f}", justify="right"),
                    Text(f"{s.work_done}/{s.work_planned}", justify="right"),
                    pain,
                )
            )
        table.add_rows(rows)

    def _fill_exercises(self, data: HistoryData) -> None:
        """One row per exercise (right, left, total); a heading row per routine if several."""
        table = self.query_one("#history-exercises", DataTable)
        several = len({c.routine for c in data.completion}) > 1
        table.add_column("Exercise", key="exercise", width=32)
        table.add_column("Right", key="right")
        table.add_column("Left", key="left")
        table.add_column("Total", key="total")
        grouped: dict[tuple[str, int, str], dict[str | None, queries.Completion]] = {}
        for c in data.completion:
            grouped.setdefault((c.routine, c.exercise_index, c.exercise), {})[c.side] = c
        heading = None
        for (routine, _index, exercise), sides in grouped.items():
            if several and routine != heading:
                heading = routine
                table.add_row(literal(routine, "bold $accent"), "", "", "")
            done = sum(c.done for c in sides.values())
            planned = sum(c.planned for c in sides.values())
            right, left = sides.get("right"), sides.get("left")
            table.add_row(
                literal(("  " if several else "") + exercise),
                _cell(right.done, right.planned) if right else Text("-", style="dim"),
                _cell(left.done, left.planned) if left else Text("-", style="dim"),
                _cell(done, planned),
            )

    def _fill_pain(self, data: HistoryData) -> None:
        """One row per pain event; the exercise and the note wrap in their columns (a row
        grows), so a note is never cut, and the highlighted event is shown whole below."""
        table = self.query_one("#history-pain", DataTable)
        room = self.size.width - 56  # what the fixed columns and their padding leave
        exercise_width = min(20, max(10, room // 2))
        note_width = max(12, room - exercise_width)
        table.add_column("When", key="when")
        table.add_column("Exercise", key="exercise", width=exercise_width)
        table.add_column("Side set·rep", key="at", width=12)
        table.add_column("Where", key="where", width=10)
        table.add_column("Pain", key="pain")
        table.add_column("Note", key="note", width=note_width)
        for p in data.pains:
            table.add_row(
                Text(p.local_at.strftime("%Y-%m-%d %H:%M"), style=PAIN_STYLE),
                literal(p.exercise, PAIN_STYLE),
                f"{p.side or '-'} {p.set}·{p.rep}",
                literal(p.where or "-"),
                Text(f"{p.severity}/10" if p.severity is not None else "-", style=PAIN_STYLE),
                literal(p.note or ""),
                height=None,
            )
        self._show_pain(0)

    def _show_pain(self, row: int) -> None:
        data = self.data
        if data is None or not 0 <= row < len(data.pains):
            return
        p = data.pains[row]
        text = Text(p.local_at.strftime("%a %d %b %H:%M"), style=PAIN_STYLE)
        text.append(" · ").append_text(literal(p.exercise, "bold"))
        where = [f"{p.side} side"] if p.side else []
        where += [f"set {p.set}", f"rep {p.rep}"]
        text.append(", " + ", ".join(where))
        if p.where:
            text.append(" · ").append_text(literal(p.where))
        if p.severity is not None:
            text.append(f" · {p.severity}/10", style=PAIN_STYLE)
        if p.note:
            text.append("\nNote: ", style="bold").append_text(literal(p.note))
        self.query_one("#pain-detail", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "history-pain":
            self._show_pain(event.cursor_row)

    # -------------------------------------------------------------- actions

    def action_tab(self, tab: str) -> None:
        if self.data is None:
            return
        self.query_one(TabbedContent).active = tab
        pane = self.query_one(f"#{tab}", TabPane)
        tables = pane.query(DataTable)
        if tables:
            tables.first().focus()

    def action_close(self) -> None:
        self.dismiss(None)
