"""``history --json`` and ``history --csv``: every recorded field, oldest session first.

JSON: a list of sessions, each with its fields, its ``steps``, ``pauses``, ``pain_events``
and ``planned`` work (reps per exercise and side). The objects are built by SQLite's JSON
functions in one pass over each table, so ten years of sessions stream out in about a second.

CSV (see :data:`CSV_HELP`): one row per step and one per pain event, each carrying its
session's fields; a ``record`` column says which (``step``, ``pain``, or ``session`` for a
session with neither, so that no session is left out).
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import TextIO

from backtimer.core.literal import printable
from backtimer.history.db import STATUS_SQL, HistoryDB

SESSION_FIELDS = (
    ("id", "s.id"),
    ("routine", "s.routine"),
    ("routine_key", "s.routine_key"),
    ("origin", "s.origin"),
    ("path", "s.path"),
    ("sha256", "s.sha256"),
    # "low", "high", or per-exercise levels stored as JSON: an object in the export, not a
    # string of JSON inside JSON (a damaged value is exported as the text it is).
    (
        "level",
        "CASE WHEN json_valid(s.level) AND json_type(s.level) = 'object' "
        "THEN json(s.level) ELSE s.level END",
    ),
    ("started_at", "s.started_at"),
    ("ended_at", "s.ended_at"),
    ("day", "s.day"),
    ("utc_offset", "s.utc_offset"),
    ("status", STATUS_SQL),
    ("recorded_status", "s.status"),
    ("active_seconds", "s.active_seconds"),
    ("plan_steps", "s.plan_steps"),
    ("resume_index", "s.resume_index"),
    # A damaged value is exported as the text it is (json() would fail on it).
    (
        "resume_step",
        "CASE WHEN json_valid(s.resume_step) THEN json(s.resume_step) ELSE s.resume_step END",
    ),
    ("resumes", "s.resumes"),
)
STEP_FIELDS = (
    ("index", "t.step_index"),
    ("phase", "t.phase"),
    ("exercise_index", "t.exercise_index"),
    ("exercise", "t.exercise"),
    ("side", "t.side"),
    ("set", "t.set_no"),
    ("rep", "t.rep"),
    ("planned_seconds", "t.planned_seconds"),
    ("actual_seconds", "t.actual_seconds"),
    ("status", "t.status"),
    ("started_at", "t.started_at"),
    ("ended_at", "t.ended_at"),
)
PAUSE_FIELDS = (
    ("started_at", "z.started_at"),
    ("ended_at", "z.ended_at"),
    ("reason", "z.reason"),
)
PAIN_FIELDS = (
    ("step_index", "p.step_index"),
    ("phase", "p.phase"),
    ("exercise_index", "p.exercise_index"),
    ("exercise", "p.exercise"),
    ("side", "p.side"),
    ("set", "p.set_no"),
    ("rep", "p.rep"),
    ("session_second", "p.session_second"),
    ("where", "p.location"),
    ("severity", "p.severity"),
    ("note", "p.note"),
    ("at", "p.at"),
)
PLANNED_FIELDS = (
    ("exercise_index", "w.exercise_index"),
    ("exercise", "w.exercise"),
    ("side", "w.side"),
    ("reps", "w.reps"),
)


def _object(fields: tuple[tuple[str, str], ...]) -> str:
    return "json_object(" + ", ".join(f"'{name}', {expr}" for name, expr in fields) + ")"


def _since(since: date | None) -> tuple[str, list[str]]:
    if since is None:
        return "1", []
    return "s.day >= ?", [since.isoformat()]


def _grouped(
    conn: sqlite3.Connection,
    fields: tuple[tuple[str, str], ...],
    table: str,
    alias: str,
    first_id: int,
) -> Iterator[tuple[int, str]]:
    """(session id, JSON list of its rows), in session id order: one pass over the table's
    (session_id, ...) index, so each list is in that index's order (step index, or rowid)."""
    sql = (
        f"SELECT {alias}.session_id, json_group_array({_object(fields)}) FROM {table} {alias} "
        f"WHERE {alias}.session_id >= ? GROUP BY {alias}.session_id"
    )
    yield from conn.execute(sql, (first_id,))


def json_sessions(db: HistoryDB, *, since: date | None = None) -> Iterator[str]:
    """One JSON object (text) per session, in the order they were recorded (oldest first).

    SQLite builds each object and each list, table by table in one pass each; they are
    joined here as text (nesting them in SQL would parse every list again).
    """
    where, params = _since(since)
    lists = (
        ("steps", STEP_FIELDS, "steps", "t"),
        ("pauses", PAUSE_FIELDS, "pauses", "z"),
        ("pain_events", PAIN_FIELDS, "pain_events", "p"),
        ("planned", PLANNED_FIELDS, "planned_work", "w"),
    )
    with db.reading() as conn:
        first = conn.execute(f"SELECT MIN(s.id) FROM sessions s WHERE {where}", params)
        first_id = first.fetchone()[0]
        if first_id is None:
            return
        cursors = [_grouped(conn, f, table, alias, first_id) for _, f, table, alias in lists]
        pending: list[tuple[int, str] | None] = [next(c, None) for c in cursors]
        sessions = conn.execute(
            f"SELECT s.id, {_object(SESSION_FIELDS)} FROM sessions s WHERE {where} ORDER BY s.id",
            params,
        )
        for sid, session in sessions:
            parts = [session[:-1]]
            for n, (key, *_rest) in enumerate(lists):
                # Skip the lists of sessions left out by --since, take this one's.
                while pending[n] is not None and pending[n][0] < sid:  # type: ignore[index]
                    pending[n] = next(cursors[n], None)
                value = "[]"
                current = pending[n]
                if current is not None and current[0] == sid:
                    value = current[1]
                    pending[n] = next(cursors[n], None)
                parts.append(f',"{key}":{value}')
            parts.append("}")
            yield "".join(parts)


#: JSON escapes C0 control characters itself; these too never appear raw (DEL and the C1
#: controls, which some terminals obey like escapes, and the line separators).
_JSON_RAW: dict[int, str] = {c: f"\\u{c:04x}" for c in (*range(0x7F, 0xA0), 0x2028, 0x2029)}
# Bytes of a damaged value that are not UTF-8 (kept as surrogate escapes when read).
_JSON_RAW.update({c: "\\ufffd" for c in range(0xDC80, 0xDD00)})


def json_safe(text: str) -> str:
    """JSON text with no raw control characters (still the same JSON value)."""
    return text.translate(_JSON_RAW)


def write_json(db: HistoryDB, out: TextIO, *, since: date | None = None) -> int:
    """Write the JSON list; returns the number of sessions."""
    count = 0
    out.write("[")
    for text in json_sessions(db, since=since):
        out.write(",\n" if count else "\n")
        out.write(json_safe(text))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


CSV_SESSION_COLUMNS = (
    "session_id",
    "routine",
    "routine_key",
    "origin",
    "path",
    "sha256",
    "level",
    "session_started_at",
    "session_ended_at",
    "day",
    "utc_offset",
    "session_status",
    "active_seconds",
    "plan_steps",
    "resume_index",
    "resumes",
)
CSV_RECORD_COLUMNS = (
    "step_index",
    "phase",
    "exercise_index",
    "exercise",
    "side",
    "set",
    "rep",
    "planned_seconds",
    "actual_seconds",
    "step_status",
    "started_at",
    "ended_at",
    "session_second",
    "where",
    "severity",
    "note",
    "at",
)
CSV_COLUMNS = ("record", *CSV_SESSION_COLUMNS, *CSV_RECORD_COLUMNS)

CSV_HELP = """\
CSV shape: one row per step and one row per pain event, oldest session first; every row
repeats its session's fields (session_id ... resumes). The "record" column says what a row
is: "step" (step_index ... ended_at filled), "pain" (step_index ... rep, session_second,
where, severity, note and at filled), or "session" for a session with no step and no pain
event recorded, so that every session appears. Times are UTC (ISO 8601); "day" is the local
date. Pauses are only in --json."""


def csv_sessions(
    db: HistoryDB, *, since: date | None = None
) -> Iterator[tuple[tuple, list[tuple], list[tuple]]]:
    """(session fields, its step rows, its pain rows), session by session, in CSV order."""
    where, params = _since(since)
    sessions_sql = (
        "SELECT s.id, s.routine, s.routine_key, s.origin, s.path, s.sha256, s.level, "
        f"s.started_at, s.ended_at, s.day, s.utc_offset, {STATUS_SQL}, s.active_seconds, "
        f"s.plan_steps, s.resume_index, s.resumes FROM sessions s WHERE {where} "
        "ORDER BY s.id"
    )
    steps_sql = (
        "SELECT step_index, phase, exercise_index, exercise, side, set_no, rep, "
        "planned_seconds, actual_seconds, status, started_at, ended_at, "
        "NULL, NULL, NULL, NULL, NULL FROM steps WHERE session_id = ? ORDER BY step_index"
    )
    pains_sql = (
        "SELECT step_index, phase, exercise_index, exercise, side, set_no, rep, "
        "NULL, NULL, NULL, NULL, NULL, session_second, location, severity, note, at "
        "FROM pain_events WHERE session_id = ? ORDER BY id"
    )
    with db.reading() as conn:
        sessions = conn.execute(sessions_sql, params).fetchall()
        for session in sessions:
            key = (session[0],)
            steps = conn.execute(steps_sql, key).fetchall()
            pains = conn.execute(pains_sql, key).fetchall()
            yield session, steps, pains


def csv_rows(db: HistoryDB, *, since: date | None = None) -> Iterator[tuple]:
    """The CSV's rows, session by session (each session's steps, then its pain events)."""
    empty = (None,) * len(CSV_RECORD_COLUMNS)
    for session, steps, pains in csv_sessions(db, since=since):
        for row in steps:
            yield ("step", *session, *row)
        for row in pains:
            yield ("pain", *session, *row)
        if not steps and not pains:
            yield ("session", *session, *empty)


#: A cell starting with one of these is read as a formula by spreadsheets (OWASP: CSV
#: injection); such a text cell is written with a ' in front.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell that is safe to open in a spreadsheet: numbers as they are; text with no raw
    control characters (escaped as \\xNN; line breaks kept, quoted by the CSV writer) and,
    if it would start a formula, a ' in front."""
    if not isinstance(value, str):
        return value
    formula = value.startswith(FORMULA_START)
    if not value.isprintable():
        value = "\n".join(printable(part) for part in value.split("\n"))
    return "'" + value if formula else value


def _safe_row(row: tuple) -> tuple:
    return tuple(csv_cell(v) for v in row)


def write_csv(db: HistoryDB, out: TextIO, *, since: date | None = None) -> int:
    """Write the CSV (with a header row); returns the number of data rows.

    The session's fields are turned into CSV once per session, not once per step. Every
    text cell goes through :func:`csv_cell`.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    buffer = io.StringIO()
    part = csv.writer(buffer, lineterminator="\n")

    def render(rows: list[tuple]) -> str:
        buffer.seek(0)
        buffer.truncate()
        part.writerows(rows)
        return buffer.getvalue()

    count = 0
    empty = (None,) * len(CSV_RECORD_COLUMNS)
    for session, raw_steps, raw_pains in csv_sessions(db, since=since):
        session = _safe_row(session)
        steps = [_safe_row(row) for row in raw_steps]
        pains = [_safe_row(row) for row in raw_pains]
        if steps:
            head = render([session])[:-1]
            lines = render(steps).split("\n")[:-1]
            if len(lines) == len(steps):
                out.write("".join(f"step,{head},{line}\n" for line in lines))
            else:  # a field with a line break in it: the plain way
                writer.writerows(("step", *session, *row) for row in steps)
        writer.writerows(("pain", *session, *row) for row in pains)
        if not steps and not pains:
            writer.writerow(("session", *session, *empty))
        count += len(steps) + len(pains) or 1
    return count
