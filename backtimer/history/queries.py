"""Reading the history: sessions, minutes per day, streak, completion, pain events, resume.

Aggregation happens in SQL (indexes on ``sessions.day`` and ``steps.session_id``), so ten
years of daily sessions still open in a blink. A session still marked ``running`` whose
process is gone reads as ``interrupted`` (see :data:`backtimer.history.db.STATUS_SQL`).
Dates (``since``, ``today``) are local calendar dates, compared with each session's ``day``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from backtimer.core.literal import printable
from backtimer.core.plan import compile_plan
from backtimer.core.routine import LevelChoice
from backtimer.files.catalog import load_entry
from backtimer.history.db import STATUS_SQL, WORK_SQL, HistoryDB, stored_path
from backtimer.history.recorder import file_sha256, step_identity, utc_iso

#: Python's time zones stop short of a day either way.
MAX_OFFSET = 24 * 3600 - 1


# ------------------------------------------------------------------------ damaged values
#
# A value in a row that is not what the schema says (a date that does not parse, an offset of
# days, text where a number belongs: edited by hand, or another program) must not take the
# whole history down with it. Each query checks its rows; a row with a damaged value is left
# out and a note (for the person) is added to ``db.notes``; the rest is shown.


def _damaged(db: HistoryDB, what: str, field_name: str, value: object) -> None:
    shown = printable(repr(value))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    note = (
        f"{what} in the history has a damaged value ({field_name} = {shown}); "
        "it is left out here, and the rest is shown"
    )
    if note not in db.notes:
        db.notes.append(note)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)  # type: ignore[arg-type]


def _is_day(value: object) -> bool:
    try:
        date.fromisoformat(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _is_time(value: object, optional: bool = False) -> bool:
    if value is None:
        return optional
    try:
        return parse_utc(value) is not None  # type: ignore[arg-type]
    except (TypeError, ValueError, AttributeError):
        return False


def _is_offset(value: object) -> bool:
    return _is_int(value) and abs(value) <= MAX_OFFSET  # type: ignore[arg-type]


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _checked(
    db: HistoryDB,
    rows: Iterable[tuple],
    what: Callable[[tuple], str],
    checks: dict[int, tuple[str, Callable[[object], bool]]],
) -> list[tuple]:
    """The rows whose columns pass their checks (column -> (name, check)); a note for each
    row left out."""
    out = []
    for row in rows:
        for column, (name, check) in checks.items():
            if not check(row[column]):
                _damaged(db, what(row), name, row[column])
                break
        else:
            out.append(row)
    return out


def parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(text: str | None, utc_offset: int) -> datetime | None:
    """A stored UTC time as the local time it was where the session ran."""
    moment = parse_utc(text)
    if moment is None:
        return None
    return moment.astimezone(timezone(timedelta(seconds=utc_offset)))


@dataclass(frozen=True)
class SessionRow:
    id: int
    routine: str
    routine_key: str
    origin: str
    path: str
    sha256: str
    level: str
    started_at: str
    ended_at: str | None
    day: str
    utc_offset: int
    status: str  # as a reader should see it (a dead "running" is "interrupted")
    stored_status: str
    active_seconds: float
    plan_steps: int
    resume_index: int
    resumes: int
    work_done: int = 0  # holds and reps done
    work_skipped: int = 0
    work_planned: int = 0
    pain_count: int = 0

    @property
    def started_local(self) -> datetime:
        moment = local_time(self.started_at, self.utc_offset)
        assert moment is not None
        return moment

    @property
    def minutes(self) -> float:
        return self.active_seconds / 60


_SESSION_COLUMNS = (
    "s.id, s.routine, s.routine_key, s.origin, s.path, s.sha256, s.level, s.started_at, "
    f"s.ended_at, s.day, s.utc_offset, {STATUS_SQL}, s.status, s.active_seconds, "
    "s.plan_steps, s.resume_index, s.resumes"
)


def _since_clause(since: date | None, until: date | None, alias: str = "s") -> tuple[str, list]:
    parts, params = [], []
    if since is not None:
        parts.append(f"{alias}.day >= ?")
        params.append(since.isoformat())
    if until is not None:
        parts.append(f"{alias}.day <= ?")
        params.append(until.isoformat())
    return (" AND ".join(parts) or "1"), params


def list_sessions(
    db: HistoryDB,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[SessionRow]:
    """Sessions with their holds and reps done and planned, and their pain events."""
    where, params = _since_clause(since, until)
    order = "DESC" if newest_first else "ASC"
    limit_sql = f" LIMIT {int(limit)}" if limit is not None else ""
    sql = f"""
        SELECT {_SESSION_COLUMNS},
            (SELECT COUNT(*) FROM steps t WHERE t.session_id = s.id
               AND t.phase IN {WORK_SQL} AND t.status = 'done'),
            (SELECT COUNT(*) FROM steps t WHERE t.session_id = s.id
               AND t.phase IN {WORK_SQL} AND t.status = 'skipped'),
            (SELECT COALESCE(SUM(w.reps), 0) FROM planned_work w WHERE w.session_id = s.id),
            (SELECT COUNT(*) FROM pain_events p WHERE p.session_id = s.id)
        FROM sessions s WHERE {where}
        ORDER BY s.started_at {order}, s.id {order}{limit_sql}
    """
    with db.reading() as conn:
        rows = conn.execute(sql, params).fetchall()
    return [_session_row(row) for row in _checked(db, rows, _session_what, SESSION_CHECKS)]


def _session_what(row: tuple) -> str:
    return f"session {printable(str(row[0]))}"


#: Column checks of a session row (see _SESSION_COLUMNS).
SESSION_CHECKS: dict[int, tuple[str, Callable[[object], bool]]] = {
    0: ("id", _is_int),
    7: ("started_at", _is_time),
    8: ("ended_at", lambda v: _is_time(v, optional=True)),
    9: ("day", _is_day),
    10: ("utc_offset", _is_offset),
    13: ("active_seconds", _is_number),
    14: ("plan_steps", _is_int),
    15: ("resume_index", _is_int),
    16: ("resumes", _is_int),
}


def _session_row(row: tuple) -> SessionRow:
    t = [_text(v) for v in row[1:7]]
    return SessionRow(row[0], t[0], t[1], t[2], t[3], t[4], t[5], *row[7:])


def count_sessions(db: HistoryDB, *, since: date | None = None) -> int:
    where, params = _since_clause(since, None)
    with db.reading() as conn:
        return conn.execute(f"SELECT COUNT(*) FROM sessions s WHERE {where}", params).fetchone()[0]


def minutes_per_day(db: HistoryDB, first: date, last: date) -> dict[date, float]:
    """Active minutes per local day, every day from ``first`` to ``last`` (0 if none)."""
    out = {first + timedelta(days=i): 0.0 for i in range((last - first).days + 1)}
    with db.reading() as conn:
        rows = conn.execute(
            "SELECT day, SUM(active_seconds) FROM sessions WHERE day BETWEEN ? AND ? GROUP BY day",
            (first.isoformat(), last.isoformat()),
        ).fetchall()
    for day, seconds in rows:
        if not _is_day(day) or not (seconds is None or _is_number(seconds)):
            _damaged(db, f"a session of {printable(str(day))}", "day or active_seconds", day)
            continue
        out[date.fromisoformat(day)] = (seconds or 0.0) / 60
    return out


def pain_days(db: HistoryDB, first: date, last: date) -> dict[date, int]:
    """Number of pain events per local day (days without any are left out)."""
    with db.reading() as conn:
        rows = conn.execute(
            "SELECT s.day, COUNT(*) FROM pain_events p JOIN sessions s ON s.id = p.session_id "
            "WHERE s.day BETWEEN ? AND ? GROUP BY s.day",
            (first.isoformat(), last.isoformat()),
        ).fetchall()
    return {date.fromisoformat(day): n for day, n in rows if _day_ok(db, day)}


def _day_ok(db: HistoryDB, day: object) -> bool:
    if _is_day(day):
        return True
    _damaged(db, "a session", "day", day)
    return False


_DID_WORK = (
    "EXISTS (SELECT 1 FROM steps t WHERE t.session_id = s.id "
    f"AND t.phase IN {WORK_SQL} AND t.status = 'done')"
)


def active_days(
    db: HistoryDB, *, since: date | None = None, until: date | None = None
) -> set[date]:
    """Days with at least one hold or rep done."""
    where, params = _since_clause(since, until)
    with db.reading() as conn:
        rows = conn.execute(
            f"SELECT DISTINCT s.day FROM sessions s WHERE {where} AND {_DID_WORK}", params
        ).fetchall()
    return {date.fromisoformat(row[0]) for row in rows if _day_ok(db, row[0])}


def streak(db: HistoryDB, today: date) -> int:
    """Days in a row, up to today, with at least one hold or rep done.

    A streak is not broken yet while today is still open: with nothing done today so far,
    it counts up to yesterday.
    """
    with db.reading() as conn:
        cursor = conn.execute(
            f"SELECT DISTINCT s.day FROM sessions s WHERE s.day <= ? AND {_DID_WORK} "
            "ORDER BY s.day DESC",
            (today.isoformat(),),
        )
        count = 0
        expected = today
        for (text,) in cursor:
            if not _day_ok(db, text):
                continue
            day = date.fromisoformat(text)
            if count == 0 and day == today - timedelta(days=1):
                expected = day
            if day != expected:
                break
            count += 1
            expected = day - timedelta(days=1)
        cursor.close()
    return count


@dataclass(frozen=True)
class Completion:
    """Work steps (holds or reps) of one exercise on one side: planned, done, skipped."""

    routine: str
    exercise_index: int
    exercise: str
    side: str | None
    planned: int
    done: int
    skipped: int
    sessions: int

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.planned if self.planned else 0.0


def completion(
    db: HistoryDB, *, since: date | None = None, until: date | None = None
) -> list[Completion]:
    """Per routine, exercise and side: reps planned in the sessions started, done, skipped.

    A rep run again with "back" is one step (done if either run was); the reps of a session
    ended early that were never reached count as planned and not done.
    """
    where, params = _since_clause(since, until)
    sql = f"""
        WITH chosen AS MATERIALIZED (SELECT s.id, s.routine FROM sessions s WHERE {where}),
        planned AS (
            SELECT c.routine, w.exercise_index, w.exercise, w.side,
                   SUM(w.reps) AS reps, COUNT(*) AS sessions
            FROM chosen c JOIN planned_work w ON w.session_id = c.id
            GROUP BY 1, 2, 3, 4
        ),
        counts AS (
            SELECT c.routine, t.exercise_index, t.exercise, t.side,
                   SUM(t.status = 'done') AS done, SUM(t.status = 'skipped') AS skipped
            FROM chosen c JOIN steps t ON t.session_id = c.id
            WHERE t.phase IN {WORK_SQL}
            GROUP BY 1, 2, 3, 4
        )
        SELECT p.routine, p.exercise_index, p.exercise, p.side, p.reps,
               COALESCE(k.done, 0), COALESCE(k.skipped, 0), p.sessions
        FROM planned p LEFT JOIN counts k
          ON k.routine = p.routine AND k.exercise_index = p.exercise_index
         AND k.exercise = p.exercise AND k.side IS p.side
        ORDER BY p.routine, p.exercise_index,
                 CASE p.side WHEN 'right' THEN 0 WHEN 'left' THEN 1 ELSE 2 END
    """
    with db.reading() as conn:
        rows = conn.execute(sql, params).fetchall()
    checks: dict[int, tuple[str, Callable[[object], bool]]] = {
        1: ("exercise_index", _is_int),
        4: ("reps", _is_number),
        5: ("done", _is_number),
        6: ("skipped", _is_number),
    }
    kept = _checked(db, rows, lambda r: f"exercise {printable(_text(r[2]))}", checks)
    return [
        Completion(_text(r[0]), r[1], _text(r[2]), r[3], int(r[4]), int(r[5]), int(r[6]), r[7])
        for r in kept
    ]


@dataclass(frozen=True)
class PainRow:
    id: int
    session_id: int
    routine: str
    day: str
    utc_offset: int
    step_index: int
    phase: str
    exercise_index: int
    exercise: str
    side: str | None
    set: int
    rep: int
    session_second: float
    where: str | None
    severity: int | None
    note: str | None
    at: str

    @property
    def local_at(self) -> datetime:
        moment = local_time(self.at, self.utc_offset)
        assert moment is not None
        return moment


def pain_events(
    db: HistoryDB,
    *,
    since: date | None = None,
    until: date | None = None,
    limit: int | None = None,
    newest_first: bool = True,
) -> list[PainRow]:
    where, params = _since_clause(since, until)
    order = "DESC" if newest_first else "ASC"
    limit_sql = f" LIMIT {int(limit)}" if limit is not None else ""
    sql = (
        "SELECT p.id, p.session_id, s.routine, s.day, s.utc_offset, p.step_index, p.phase, "
        "p.exercise_index, p.exercise, p.side, p.set_no, p.rep, p.session_second, "
        "p.location, p.severity, p.note, p.at "
        f"FROM pain_events p JOIN sessions s ON s.id = p.session_id WHERE {where} "
        f"ORDER BY p.at {order}, p.id {order}{limit_sql}"
    )
    with db.reading() as conn:
        rows = conn.execute(sql, params).fetchall()
    checks: dict[int, tuple[str, Callable[[object], bool]]] = {
        4: ("utc_offset", _is_offset),
        5: ("step_index", _is_int),
        7: ("exercise_index", _is_int),
        10: ("set", _is_int),
        11: ("rep", _is_int),
        12: ("session_second", _is_number),
        14: ("severity", lambda v: v is None or (_is_int(v) and 0 <= v <= 10)),  # type: ignore[operator]
        16: ("at", _is_time),
    }
    kept = _checked(db, rows, lambda r: f"pain event {printable(str(r[0]))}", checks)
    return [
        PainRow(
            id=r[0],
            session_id=r[1],
            routine=_text(r[2]),
            day=_text(r[3]),
            utc_offset=r[4],
            step_index=r[5],
            phase=_text(r[6]),
            exercise_index=r[7],
            exercise=_text(r[8]),
            side=r[9] if r[9] in ("right", "left") else None,
            set=r[10],
            rep=r[11],
            session_second=r[12],
            where=None if r[13] is None else _text(r[13]),
            severity=r[14],
            note=None if r[15] is None else _text(r[15]),
            at=r[16],
        )
        for r in kept
    ]


def count_pain_events(db: HistoryDB, *, since: date | None = None) -> int:
    if since is None:
        sql, params = "SELECT COUNT(*) FROM pain_events", []
    else:
        sql = (
            "SELECT COUNT(*) FROM pain_events p JOIN sessions s ON s.id = p.session_id "
            "WHERE s.day >= ?"
        )
        params = [since.isoformat()]
    with db.reading() as conn:
        return conn.execute(sql, params).fetchone()[0]


# ------------------------------------------------------------------------ resume


def parse_level(text: str) -> Any:
    """The stored level back as something :func:`backtimer.core.plan.compile_plan` takes."""
    if text in ("low", "high"):
        return text

    try:
        raw = json.loads(text)
        return {int(k): LevelChoice(**v) for k, v in raw.items()}
    except (ValueError, TypeError, AttributeError):
        return "low"


@dataclass(frozen=True)
class Resumable:
    """An interrupted session that can go on at the step it was in."""

    session_id: int
    routine: str
    routine_key: str
    origin: str
    path: Path
    level: Any  # "low", "high" or {exercise index: LevelChoice}
    step_index: int  # where to resume: same exercise, side, set and rep
    step: dict[str, Any]  # phase, exercise_index, exercise, side, set, rep
    started_at: datetime
    active_seconds: float
    plan_steps: int
    same_file: bool  # the routine file is byte for byte the one that ran
    entry: Any = field(default=None, compare=False, repr=False)  # catalog.Entry
    plan: Any = field(default=None, compare=False, repr=False)  # plan.Plan


def find_resumable(
    db: HistoryDB,
    now: datetime | None = None,
    *,
    max_age: timedelta = timedelta(hours=24),
    prepare: Callable[[Any], Any] | None = None,
    plan_for: Callable[[Any, Any], Any] | None = None,
    reasons: list[str] | None = None,
) -> Resumable | None:
    """The latest session, if it started in the last ``max_age`` and was interrupted.

    Only the latest session: once the user has done (or started) another one, an older
    interruption is not offered again. It is resumable when the routine file still loads and
    its plan, compiled the way ``run`` compiles it (``prepare(routine)``: the settings'
    defaults filled in; ``plan_for(routine, level)``: the plan a session runs, fitted to its
    words), has the same step (exercise, side, set, rep) at the stored index.
    When an interrupted session cannot be resumed, ``reasons`` gets why. Reads only.
    """

    def why(text: str) -> None:
        if reasons is not None:
            reasons.append(text)

    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.astimezone()
    with db.reading() as conn:
        row = conn.execute(
            f"SELECT s.id, s.routine, s.routine_key, s.origin, s.path, s.sha256, s.level, "
            f"s.started_at, s.active_seconds, s.plan_steps, s.resume_index, s.resume_step, "
            f"{STATUS_SQL} FROM sessions s WHERE s.started_at >= ? AND s.started_at <= ? "
            "ORDER BY s.started_at DESC, s.id DESC LIMIT 1",
            (utc_iso(now - max_age), utc_iso(now + timedelta(minutes=5))),
        ).fetchone()
    if row is None:
        return None
    (sid, routine, key, origin, path_text, sha, level_text, started, active, plan_steps,
     index, step_json, status) = row  # fmt: skip
    if status != "interrupted":
        return None
    checks = [
        ("resume_index", index, _is_int(index)),
        ("started_at", started, _is_time(started)),
        ("active_seconds", active, _is_number(active)),
        ("path", path_text, isinstance(path_text, str) and bool(path_text)),
    ]
    for name, value, ok in checks:
        if not ok:
            _damaged(db, f"session {printable(str(sid))}", name, value)
            why(f"the interrupted session cannot be resumed: its {name} is damaged")
            return None
    if index <= 0 or not step_json:
        return None  # interrupted before its first step ended: nothing to go on with
    path = stored_path(path_text)
    name = printable(_text(routine))
    try:
        stored_step = json.loads(step_json)
        if not isinstance(stored_step, dict):
            raise ValueError
    except (ValueError, TypeError):
        why(f"the interrupted session of {name} cannot be resumed: its place is damaged")
        return None
    entry = load_entry(path, origin if origin in ("bundled", "user", "path") else "path")
    if entry.routine is None:
        first = printable(str(entry.problems[0])) if entry.problems else "it cannot be read"
        why(
            f"the interrupted session of {name} cannot be resumed: its routine file "
            f"{printable(str(path))} does not load now ({first})"
        )
        return None
    level = parse_level(_text(level_text))
    try:
        routine_run = prepare(entry.routine) if prepare is not None else entry.routine
        plan = plan_for(routine_run, level) if plan_for else compile_plan(routine_run, level)
    except Exception as exc:  # a routine that loads always compiles; be safe anyway
        why(f"the interrupted session of {name} cannot be resumed: {printable(str(exc))}")
        return None
    if index >= len(plan.steps) or step_identity(plan.steps[index]) != stored_step:
        where = _describe(stored_step)
        now_there = (
            _describe(step_identity(plan.steps[index]))
            if index < len(plan.steps)
            else f"the end ({len(plan.steps)} steps)"
        )
        why(
            f"the interrupted session of {name} cannot be resumed: the routine or the "
            f"settings changed since, and step {index + 1} is now {now_there}, "
            f"not {where}"
        )
        return None
    started_at = parse_utc(started)
    assert started_at is not None
    return Resumable(
        session_id=sid,
        routine=_text(routine),
        routine_key=_text(key),
        origin=_text(origin),
        path=path,
        level=level,
        step_index=index,
        step=stored_step,
        started_at=started_at,
        active_seconds=float(active),
        plan_steps=plan_steps if _is_int(plan_steps) else len(plan.steps),
        same_file=bool(sha) and file_sha256(path) == sha,
        entry=entry,
        plan=plan,
    )


def _describe(step: dict[str, Any]) -> str:
    parts = [
        printable(str(step.get("exercise", "?"))),
        str(step.get("phase", "?")).replace("_", " "),
    ]
    if step.get("side"):
        parts.append(f"{step['side']} side")
    parts.append(f"set {step.get('set', '?')}, rep {step.get('rep', '?')}")
    return ", ".join(parts)
