"""Progress that is real. The player reports the intervals it actually played; the server
merges them into ``LessonProgress.watched`` (sorted, merged, whole seconds, end exclusive) and
a video lesson completes once 90% of its ``duration_seconds`` were watched - never from the
position, which a seek moves for free. Text lessons complete after ``min_seconds`` on the
page (when the seller set one) or on an explicit "mark complete"; quizzes complete when
passed (the quiz service calls ``refresh_course``).

A report is the hot path (every student's player, every few seconds), so it is ONE SQL
statement: the access check (live enrolment, drip, prerequisite), "continue where you left
off" on the enrolment (at most once a minute per lesson), and an INSERT ... ON CONFLICT DO
UPDATE whose merge runs in SQL on the locked row, so two tabs reporting at once lose nothing.
Only a lesson that newly completes costs more: the course's percent is recomputed (in its own
transaction, after the report's statement committed), and a completed course asks the
certificates service (after commit) for its certificate.

``merge_intervals`` is the same merge in Python: the reference the SQL is tested against."""

from __future__ import annotations

import importlib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.async_commit import ASYNC_COMMIT_CHECK, ASYNC_COMMIT_CTE, async_commit_params
from core.prepared import fetch_one
from modules.courses.errors import CourseErrorCode, invalid, not_found, refused
from modules.courses.models import Enrolment, Lesson, LessonKind
from modules.courses.services import access

logger = logging.getLogger(__name__)

VIDEO = LessonKind.VIDEO.value
TEXT = LessonKind.TEXT.value

COMPLETE_RATIO = 0.9  # of the lesson's duration, actually watched
MAX_INTERVALS = 50  # per report
DURATION_SLACK = 2  # seconds a player may report past the duration (rounding, last frame)
MAX_SECONDS_PER_REPORT = 600  # time on page counted from one report
ACTIVE_EVERY_SECONDS = 60  # "last active" is written at most this often per lesson


# --- the merge -----------------------------------------------------------------------------


def whole_second(value: float) -> int:
    """Half up, the same in Python and in the statement (the API rounds before SQL)."""
    return math.floor(value + 0.5)


def pairs_of(flat: Sequence[int]) -> list[tuple[int, int]]:
    return [(flat[i], flat[i + 1]) for i in range(0, len(flat) - 1, 2)]


def merge_intervals(
    watched: Sequence[int], reports: Iterable[tuple[float, float]], *, limit: int | None = None
) -> list[int]:
    """``watched`` (flattened [s0, e0, s1, e1, ...]) with the reported intervals added, as a
    flattened list of sorted, disjoint, non-adjacent whole-second intervals (end exclusive).
    Reported bounds are rounded to whole seconds and ends capped at ``limit``; empty
    intervals vanish."""
    spans = list(pairs_of(watched))
    for start, end in reports:
        low, high = whole_second(start), whole_second(end)
        if limit is not None:
            high = min(high, limit)
        spans.append((low, high))
    merged: list[list[int]] = []
    for start, end in sorted(span for span in spans if span[0] < span[1]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [bound for span in merged for bound in span]


def total_seconds(flat: Sequence[int]) -> int:
    return sum(end - start for start, end in pairs_of(flat))


def is_watched_enough(watched_seconds: int, duration_seconds: int) -> bool:
    return duration_seconds > 0 and watched_seconds * 10 >= duration_seconds * 9


# --- the statement -------------------------------------------------------------------------

# The merge of a stored array ({old}) with the report's pairs ({new}, capped at {limit}):
# gaps and islands over the pairs sorted by start; a pair starting after every earlier end
# opens an island. Gives (watched int[], total int).
MERGE_SQL = """
SELECT COALESCE(array_agg(f.v ORDER BY i.s, f.k), '{{}}'::int[]) AS watched,
       COALESCE(sum(CASE f.k WHEN 1 THEN f.v ELSE -f.v END), 0)::int AS total
FROM (
    SELECT min(s) AS s, max(e) AS e FROM (
        SELECT s, e, sum(opens) OVER (ORDER BY s, e) AS island FROM (
            SELECT s, e,
                   CASE WHEN s <= max(e) OVER (ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING
                                               AND 1 PRECEDING) THEN 0 ELSE 1 END AS opens
            FROM (
                SELECT a[2 * g - 1] AS s, a[2 * g] AS e
                FROM (SELECT {old} AS a) AS stored,
                     generate_series(1, cardinality(stored.a) / 2) AS g
                UNION ALL
                SELECT r[2 * g - 1], LEAST(r[2 * g], {limit})
                FROM (SELECT {new} AS r) AS report,
                     generate_series(1, cardinality(report.r) / 2) AS g
            ) AS spans
            WHERE s < e
        ) AS marked
    ) AS grouped
    GROUP BY island
) AS i
CROSS JOIN LATERAL (VALUES (0, i.s), (1, i.e)) AS f (k, v)
"""

# The enrolment and lesson a report may write to: a live enrolment of the user on the
# lesson's course, the lesson of the right kind, released (drip) and unlocked (prerequisite).
# Every statement built on it writes (``touched``, then the progress row) and commits
# asynchronously when it is its own transaction (core.async_commit).
TARGET_SQL = (
    ASYNC_COMMIT_CTE
    + """,
target AS (
    SELECT e.id AS enrolment_id, l.id AS lesson_id
    FROM courses_lesson l
    JOIN courses_enrolment e
      ON e.course_id = l.course_id AND e.buyer_id = %(user)s AND e.revoked_at IS NULL
    WHERE l.id = %(lesson)s AND l.kind = %(kind)s {extra} AND """
    + ASYNC_COMMIT_CHECK
    + """
      AND (l.is_preview OR (
            (l.drip_days IS NULL OR e.enrolled_at + l.drip_days * interval '1 day' <= %(now)s)
        AND (l.drip_date IS NULL OR l.drip_date <= %(today)s)
        AND (l.prerequisite_id IS NULL
             OR EXISTS (SELECT 1 FROM courses_lessonprogress pp
                        WHERE pp.enrolment_id = e.id AND pp.lesson_id = l.prerequisite_id
                          AND pp.completed_at IS NOT NULL)
             OR EXISTS (SELECT 1 FROM courses_attempt pa
                        JOIN courses_quiz pq ON pq.id = pa.quiz_id
                        WHERE pa.enrolment_id = e.id AND pq.lesson_id = l.prerequisite_id
                          AND pa.passed))))
),
touched AS (
    UPDATE courses_enrolment e SET last_lesson_id = t.lesson_id, last_active_at = %(now)s
    FROM target t
    WHERE e.id = t.enrolment_id
      AND (e.last_lesson_id IS DISTINCT FROM t.lesson_id OR e.last_active_at IS NULL
           OR e.last_active_at <= %(now)s - %(active_every)s * interval '1 second')
    RETURNING e.id
)"""
)

RETURNING_SQL = """
RETURNING p.enrolment_id, p.watched_seconds, p.position_seconds, p.seconds_on_page,
          p.completed_at, p.completed_at = %(now)s AS newly_completed,
          (SELECT progress_percent FROM courses_enrolment WHERE id = p.enrolment_id)
"""

WATCH_SQL = (
    "WITH "
    + TARGET_SQL.format(extra="AND %(max_end)s::float8 <= l.duration_seconds + %(slack)s")
    + """
INSERT INTO courses_lessonprogress AS p
    (enrolment_id, lesson_id, watched, watched_seconds, position_seconds, seconds_on_page,
     completed_at, updated_at)
SELECT t.enrolment_id, t.lesson_id, m.watched, m.total, %(position)s, 0,
       CASE WHEN l.duration_seconds > 0 AND m.total * 10 >= l.duration_seconds * 9
            THEN %(now)s::timestamptz END,
       %(now)s
FROM target t
JOIN courses_lesson l ON l.id = t.lesson_id
CROSS JOIN LATERAL ("""
    + MERGE_SQL.format(old="'{}'::int[]", new="%(new)s::int[]", limit="l.duration_seconds")
    + """) AS m
ON CONFLICT (enrolment_id, lesson_id) DO UPDATE SET
    (watched, watched_seconds, position_seconds, completed_at, updated_at) = (
        SELECT m.watched, m.total, EXCLUDED.position_seconds,
               COALESCE(p.completed_at,
                        CASE WHEN l.duration_seconds > 0
                                  AND m.total * 10 >= l.duration_seconds * 9
                             THEN EXCLUDED.updated_at END),
               EXCLUDED.updated_at
        FROM courses_lesson l
        CROSS JOIN LATERAL ("""
    + MERGE_SQL.format(old="p.watched", new="%(new)s::int[]", limit="l.duration_seconds")
    + """) AS m
        WHERE l.id = p.lesson_id)"""
    + RETURNING_SQL
)

READ_SQL = (
    "WITH "
    + TARGET_SQL.format(extra="")
    + """
INSERT INTO courses_lessonprogress AS p
    (enrolment_id, lesson_id, watched, watched_seconds, position_seconds, seconds_on_page,
     completed_at, updated_at)
SELECT t.enrolment_id, t.lesson_id, '{}'::int[], 0, 0, %(seconds)s,
       CASE WHEN %(mark)s OR (l.min_seconds > 0 AND %(seconds)s >= l.min_seconds)
            THEN %(now)s::timestamptz END,
       %(now)s
FROM target t
JOIN courses_lesson l ON l.id = t.lesson_id
ON CONFLICT (enrolment_id, lesson_id) DO UPDATE SET
    (seconds_on_page, completed_at, updated_at) = (
        SELECT p.seconds_on_page + EXCLUDED.seconds_on_page,
               COALESCE(p.completed_at,
                        CASE WHEN %(mark)s OR (l.min_seconds > 0
                                  AND p.seconds_on_page + EXCLUDED.seconds_on_page
                                      >= l.min_seconds)
                             THEN EXCLUDED.updated_at END),
               EXCLUDED.updated_at
        FROM courses_lesson l WHERE l.id = p.lesson_id)"""
    + RETURNING_SQL
)


@dataclass(frozen=True)
class Reported:
    lesson_id: int
    watched_seconds: int
    position_seconds: int
    seconds_on_page: int
    is_complete: bool
    newly_completed: bool
    course_percent: int


def _run(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    return fetch_one(sql, params)  # prepared on the server: planned once per connection


def _base_params(*, user_id: int, lesson_id: int, kind: str, now: datetime) -> dict[str, Any]:
    return {
        "user": user_id,
        "lesson": lesson_id,
        "kind": kind,
        "now": now,
        "today": access.local_today(now),
        "active_every": ACTIVE_EVERY_SECONDS,
        **async_commit_params(),
    }


def _finish(row: tuple[Any, ...], *, lesson_id: int, now: datetime) -> Reported:
    enrolment_id, watched, position, on_page, completed_at, newly, percent = row
    if newly:
        percent = refresh_course(enrolment_id=enrolment_id, now=now)
    return Reported(
        lesson_id=lesson_id,
        watched_seconds=watched,
        position_seconds=position,
        seconds_on_page=on_page,
        is_complete=completed_at is not None,
        newly_completed=bool(newly),
        course_percent=percent,
    )


def _refusal(*, user_id: int, lesson_id: int, kind: str, now: datetime) -> Exception:
    """Why a report wrote nothing (the slow path: only refused reports pay for it)."""
    lesson = Lesson.objects.filter(pk=lesson_id).first()
    enrolment = (
        None
        if lesson is None
        else access.live_enrolment(user_id=user_id, course_id=lesson.course_id)
    )
    if lesson is None or enrolment is None:
        return not_found("No such lesson among your courses.")
    if lesson.kind != kind:
        return invalid(
            CourseErrorCode.INVALID_PROGRESS,
            "lesson_id",
            f"This is a {lesson.get_kind_display().lower()} lesson.",
        )
    state = access.lesson_state(enrolment=enrolment, lesson=lesson, now=now)
    if not state.is_open:
        return refused(CourseErrorCode.LESSON_LOCKED, state.reason)
    return invalid(
        CourseErrorCode.INVALID_PROGRESS,
        "intervals",
        f"The lesson is {lesson.duration_seconds} seconds long; an interval ends after it.",
    )


def check_intervals(intervals: Sequence[Sequence[float]], position: float) -> None:
    """The shape the statement relies on; the lesson's length is checked in SQL."""
    if len(intervals) > MAX_INTERVALS:
        raise invalid(
            CourseErrorCode.INVALID_PROGRESS,
            "intervals",
            f"At most {MAX_INTERVALS} intervals per report.",
        )
    for interval in intervals:
        if len(interval) != 2 or not all(math.isfinite(bound) for bound in interval):
            raise invalid(
                CourseErrorCode.INVALID_PROGRESS, "intervals", "Each interval is [start, end]."
            )
        start, end = interval
        if not 0 <= start < end:
            raise invalid(
                CourseErrorCode.INVALID_PROGRESS,
                "intervals",
                "Each interval starts at 0 or later and ends after it starts.",
            )
    if not math.isfinite(position) or position < 0:
        raise invalid(CourseErrorCode.INVALID_PROGRESS, "position", "The position is invalid.")


def report_watched(
    *,
    user_id: int,
    lesson_id: int,
    intervals: Sequence[Sequence[float]],
    position: float,
    now: datetime | None = None,
) -> Reported:
    """A video player's report: what it played since the last one and where it is."""
    check_intervals(intervals, position)
    now = now or timezone.now()
    flat = [whole_second(bound) for interval in intervals for bound in interval]
    max_end = max([interval[1] for interval in intervals] + [position])
    params = _base_params(user_id=user_id, lesson_id=lesson_id, kind=VIDEO, now=now)
    params.update(
        {
            "new": flat,
            "max_end": max_end,
            "slack": DURATION_SLACK,
            "position": min(whole_second(position), 2**31 - 1),
        }
    )
    # One statement is atomic on its own: no BEGIN/COMMIT round trips on the hot path.
    row = _run(WATCH_SQL, params)
    if row is None:
        raise _refusal(user_id=user_id, lesson_id=lesson_id, kind=VIDEO, now=now)
    return _finish(row, lesson_id=lesson_id, now=now)


def report_reading(
    *, user_id: int, lesson_id: int, seconds: int, now: datetime | None = None
) -> Reported:
    """A text lesson's page was open and visible for ``seconds`` since its last report; the
    lesson completes once the total reaches its ``min_seconds`` (when it has one)."""
    return _read(user_id=user_id, lesson_id=lesson_id, seconds=seconds, mark=False, now=now)


def mark_complete(*, user_id: int, lesson_id: int, now: datetime | None = None) -> Reported:
    """ "Mark complete" on a text lesson: always allowed once the lesson is open."""
    return _read(user_id=user_id, lesson_id=lesson_id, seconds=0, mark=True, now=now)


def _read(
    *, user_id: int, lesson_id: int, seconds: int, mark: bool, now: datetime | None
) -> Reported:
    if not 0 <= seconds <= MAX_SECONDS_PER_REPORT:
        raise invalid(
            CourseErrorCode.INVALID_PROGRESS,
            "seconds",
            f"Between 0 and {MAX_SECONDS_PER_REPORT} seconds per report.",
        )
    now = now or timezone.now()
    params = _base_params(user_id=user_id, lesson_id=lesson_id, kind=TEXT, now=now)
    params.update({"seconds": seconds, "mark": mark})
    row = _run(READ_SQL, params)
    if row is None:
        raise _refusal(user_id=user_id, lesson_id=lesson_id, kind=TEXT, now=now)
    return _finish(row, lesson_id=lesson_id, now=now)


# --- the course ----------------------------------------------------------------------------


def refresh_course(*, enrolment_id: int, now: datetime | None = None) -> int:
    """The enrolment's percent (required lessons done / required lessons; a quiz is done when
    passed) and, once every required lesson is done, ``completed_at`` and the certificate
    (after commit). Called when a lesson newly completes, and by the quiz service on a
    pass. Returns the percent."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment_id)
        required = list(
            Lesson.objects.filter(course_id=enrolment.course_id, is_required=True).only(
                "id", "kind"
            )
        )
        done = access.achievements_of(enrolment)
        finished = sum(1 for lesson in required if done.is_done(lesson))
        percent = (100 * finished) // len(required) if required else 0
        fields = []
        if percent != enrolment.progress_percent:
            enrolment.progress_percent = percent
            fields.append("progress_percent")
        is_complete = bool(required) and finished == len(required)
        if is_complete and enrolment.completed_at is None:
            enrolment.completed_at = now
            fields.append("completed_at")
            transaction.on_commit(lambda: issue_certificate(enrolment_id=enrolment_id))
        if fields:
            enrolment.save(update_fields=fields)
        return percent


def issue_certificate(*, enrolment_id: int) -> None:
    """The certificates service's ``issue_for_enrolment``, where it exists; a failure there is
    logged, never undoes the completion."""
    try:
        module = importlib.import_module("modules.courses.services.certificates")
    except ImportError:
        return
    issue = getattr(module, "issue_for_enrolment", None)
    if issue is None:
        return
    try:
        issue(enrolment_id=enrolment_id)
    except Exception:
        logger.exception("certificate for enrolment %s failed", enrolment_id)
