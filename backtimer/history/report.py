"""``backtimer report``: a Markdown summary of a period, to bring to a physiotherapist.

What a physio asks: what was prescribed (the routines' exercises and doses, read from the
routine files recorded, when they still load), how often it was done (sessions per week,
days with exercise out of the days in the period), how much of each exercise on each side
was done, and every pain event with where, how much and when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backtimer import __version__
from backtimer.core.durations import hours_minutes
from backtimer.core.literal import flat
from backtimer.core.phases import phase_info
from backtimer.files.catalog import display_path
from backtimer.files.routine_load import RoutineError, load_routine
from backtimer.history.db import STATUS_SQL, HistoryDB, stored_path
from backtimer.history.queries import (
    Completion,
    PainRow,
    active_days,
    completion,
    pain_events,
)
from backtimer.history.recorder import file_sha256

DEFAULT_DAYS = 28
STATUS_WORDS = {
    "completed": "completed",
    "ended_early": "ended early",
    "pain_stopped": "stopped for pain",
    "interrupted": "interrupted",
    "running": "in progress",
}
#: Escaped with a backslash (CommonMark allows it before any ASCII punctuation): emphasis,
#: code, links, HTML, tables, headings, strikethrough (~~) and entities (&amp;).
_MD_SPECIAL = set("\\`*_[]<>|#~&!")


def md(text: object) -> str:
    """Text from a routine or a note, shown literally in Markdown (and in a table cell)."""
    return "".join(
        "\\" + ch if ch in _MD_SPECIAL else ch for ch in flat(" ".join(str(text).split()))
    )


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    align = align or "l" * len(header)
    marks = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


@dataclass(frozen=True)
class RoutineUse:
    routine: str
    routine_key: str
    path: str
    sha256: str
    levels: tuple[str, ...]
    sessions: int
    first: str
    last: str
    origin: str = ""


def _routines_used(db: HistoryDB, since: date, until: date) -> list[RoutineUse]:
    sql = """
        SELECT s.routine, s.routine_key, s.path,
               (SELECT s2.sha256 FROM sessions s2 WHERE s2.path = s.path
                  AND s2.day BETWEEN ?1 AND ?2 ORDER BY s2.started_at DESC LIMIT 1),
               COUNT(*), MIN(s.day), MAX(s.day), MAX(s.origin)
        FROM sessions s WHERE s.day BETWEEN ?1 AND ?2
        GROUP BY s.routine, s.routine_key, s.path ORDER BY COUNT(*) DESC, s.routine
    """
    period = (since.isoformat(), until.isoformat())
    with db.reading() as conn:
        rows = conn.execute(sql, period).fetchall()
        levels: dict[str, set[str]] = {}
        for path, level in conn.execute(
            "SELECT DISTINCT path, level FROM sessions WHERE day BETWEEN ? AND ?", period
        ):
            # low, high, or the person's own level per exercise (JSON), progressed over time
            words = level if level in ("low", "high") else "current (per exercise)"
            levels.setdefault(path, set()).add(words)
    return [
        RoutineUse(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3] or ""),
            tuple(sorted(str(level) for level in levels.get(r[2], ()))),
            r[4],
            str(r[5]),
            str(r[6]),
            str(r[7] or ""),
        )
        for r in rows
    ]


def _prescription(use: RoutineUse) -> list[str]:
    path = stored_path(use.path)
    lines = [f"### {md(use.routine)}", ""]
    # A bundled routine is named, not shown as a path inside the installed package.
    where = (
        f"bundled routine {md(path.stem)}" if use.origin == "bundled" else md(display_path(path))
    )
    levels = ", ".join(md(level) for level in use.levels)
    noun = "session" if use.sessions == 1 else "sessions"
    lines.append(
        f"File: {where} · {use.sessions} {noun} from {use.first} to {use.last} · level: {levels}"
    )
    lines.append("")
    try:
        routine = load_routine(path, str(path))
    except RoutineError as exc:
        first = exc.problems[0] if exc.problems else "it cannot be read"
        lines += [
            f"The routine file cannot be loaded now ({md(first)}): no prescription shown.",
            "",
        ]
        return lines
    except OSError as exc:
        lines += [f"The routine file cannot be read now ({md(exc)}): no prescription shown.", ""]
        return lines
    if use.sha256 and file_sha256(path) != use.sha256:
        lines += [
            "The file has changed since the last session of this period; shown as it is now.",
            "",
        ]
    if routine.source is not None:
        source = md(routine.source.title)
        if routine.source.publisher:
            source += f", {md(routine.source.publisher)}"
        if routine.source.url:
            source += f" ({md(routine.source.url)})"
        lines += [f"Source: {source}", ""]
    rows = []
    for index, exercise in enumerate(routine.exercises):
        settings = routine.settings(index)
        if settings.kind == "hold" and settings.hold is not None:
            dose = f"hold {settings.hold}"
        elif settings.kind == "tempo" and settings.tempo is not None:
            dose = settings.tempo.describe()
        else:
            dose = "as tolerated"
        sides = "each side" if settings.sides == "both" else "-"
        if settings.sides == "both" and settings.side_order == "alternating":
            sides = "each side, alternating"
        rows.append(
            [
                str(index + 1),
                md(exercise.name),
                md(exercise.position or "-"),
                md(dose),
                md(settings.reps),
                md(settings.sets),
                sides,
            ]
        )
    lines += _table(["#", "Exercise", "Position", "Dose", "Reps", "Sets", "Sides"], rows, "rlllrrl")
    lines.append("")
    return lines


def _weeks(db: HistoryDB, since: date, until: date, days_active: set[date]) -> list[list[str]]:
    sql = f"""
        SELECT date(s.day, 'weekday 0', '-6 days') AS week, COUNT(*),
               SUM(({STATUS_SQL}) = 'completed'), SUM(s.active_seconds)
        FROM sessions s WHERE s.day BETWEEN ? AND ? GROUP BY week
    """
    with db.reading() as conn:
        rows = conn.execute(sql, (since.isoformat(), until.isoformat())).fetchall()
    found = {}
    for r in rows:
        try:
            found[date.fromisoformat(r[0])] = r[1:]
        except (TypeError, ValueError):
            continue  # a damaged day (its session is reported by the other queries)
    rows = []
    monday = since - timedelta(days=since.weekday())
    while monday <= until:
        first, last = max(monday, since), min(monday + timedelta(days=6), until)
        span = (last - first).days + 1
        active = sum(1 for d in days_active if first <= d <= last)
        sessions, completed, seconds = found.get(monday, (0, 0, 0.0))
        rows.append(
            [
                monday.isoformat(),
                str(sessions),
                str(completed or 0),
                f"{active} of {span}",
                f"{(seconds or 0) / 60:.0f}",
                _percent(active, span),
            ]
        )
        monday += timedelta(days=7)
    return rows


def _side(side: str | None) -> str:
    return side or "-"


def _completion_rows(rows: list[Completion]) -> list[list[str]]:
    return [
        [
            md(c.routine),
            md(c.exercise),
            _side(c.side),
            str(c.done),
            str(c.planned),
            _percent(c.done, c.planned),
            str(c.skipped),
        ]
        for c in rows
    ]


def _pain_rows(rows: list[PainRow]) -> list[list[str]]:
    out = []
    for p in rows:
        minutes, seconds = divmod(int(p.session_second), 60)
        out.append(
            [
                p.local_at.strftime("%Y-%m-%d %H:%M"),
                md(p.routine),
                md(p.exercise),
                _side(p.side),
                str(p.set),
                str(p.rep),
                phase_info(p.phase).words,
                f"{minutes}:{seconds:02d}",
                md(p.where) if p.where else "-",
                f"{p.severity}/10" if p.severity is not None else "-",
                md(p.note) if p.note else "-",
            ]
        )
    return out


def _first_day(db: HistoryDB) -> date | None:
    """The first day with a session (a damaged day is passed over)."""
    with db.reading() as conn:
        rows = conn.execute("SELECT DISTINCT day FROM sessions ORDER BY day LIMIT 50").fetchall()
    for (day,) in rows:
        try:
            return date.fromisoformat(day)
        except (TypeError, ValueError):
            continue
    return None


def build_report(
    db: HistoryDB,
    *,
    since: date | None = None,
    until: date | None = None,
    now: datetime | None = None,
) -> str:
    """The Markdown report for the days from ``since`` to ``until`` (local dates)."""
    now = now or datetime.now().astimezone()
    until = until or now.date()
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        since = until
    first = _first_day(db)
    if first is not None and since < first <= until:
        since = first  # --since 0001-01-01: from the first session, not from year 1
    span = (until - since).days + 1
    days_active = active_days(db, since=since, until=until)
    with db.reading() as conn:
        counts = dict(
            conn.execute(
                f"SELECT {STATUS_SQL} AS st, COUNT(*) FROM sessions s "
                "WHERE s.day BETWEEN ? AND ? GROUP BY st",
                (since.isoformat(), until.isoformat()),
            ).fetchall()
        )
        total_seconds = conn.execute(
            "SELECT COALESCE(SUM(active_seconds), 0) FROM sessions WHERE day BETWEEN ? AND ?",
            (since.isoformat(), until.isoformat()),
        ).fetchone()[0]
    sessions = sum(counts.values())
    pains = pain_events(db, since=since, until=until, newest_first=False)

    lines = [
        "# Back exercise report",
        "",
        f"Period: {since.isoformat()} to {until.isoformat()} ({span} days). "
        f"Written {now.strftime('%Y-%m-%d %H:%M')} by backtimer {__version__}.",
        "",
        "## Summary",
        "",
    ]
    parts = [f"{n} {STATUS_WORDS.get(status, status)}" for status, n in sorted(counts.items())]
    detail = f" ({', '.join(parts)})" if parts else ""
    lines.append(f"- Sessions: {sessions}{detail}")
    lines.append(
        f"- Days with exercise: {len(days_active)} of {span} ({_percent(len(days_active), span)})"
    )
    average = (
        f", {hours_minutes(total_seconds / sessions)} per session on average" if sessions else ""
    )
    lines.append(f"- Time exercising: {hours_minutes(total_seconds)}{average}")
    lines.append(f"- Pain events: {len(pains)}")
    lines.append("")
    if not sessions:
        lines += ["No sessions were recorded in this period.", ""]
        return "\n".join(_notes(db, lines))

    lines += ["## Routines and prescriptions", ""]
    for use in _routines_used(db, since, until):
        lines += _prescription(use)

    lines += [
        "## Sessions per week",
        "",
        "Adherence: days with at least one hold or rep done, out of the days of the week "
        "that fall in the period.",
        "",
    ]
    lines += _table(
        ["Week of", "Sessions", "Completed", "Days with exercise", "Minutes", "Adherence"],
        _weeks(db, since, until, days_active),
        "lrrrrr",
    )
    lines.append("")

    lines += [
        "## Completion per exercise and side",
        "",
        "Holds or reps done, out of those planned in the sessions started "
        "(a session ended early counts the rest as not done).",
        "",
    ]
    lines += _table(
        ["Routine", "Exercise", "Side", "Done", "Planned", "Completion", "Skipped"],
        _completion_rows(completion(db, since=since, until=until)),
        "lllrrrr",
    )
    lines.append("")

    lines += ["## Pain events", ""]
    if pains:
        lines += _table(
            [
                "When",
                "Routine",
                "Exercise",
                "Side",
                "Set",
                "Rep",
                "Phase",
                "Into session",
                "Where",
                "Severity",
                "Note",
            ],
            _pain_rows(pains),
            "llllrrlrlrl",
        )
    else:
        lines.append("No pain events were recorded in this period.")
    lines.append("")
    return "\n".join(_notes(db, lines))


def _notes(db: HistoryDB, lines: list[str]) -> list[str]:
    """What the reader of the report must know: damaged records left out, and the like."""
    if db.notes:
        lines += ["## Notes", ""]
        lines += [f"- {md(note)}" for note in db.notes]
        lines.append("")
    return lines
