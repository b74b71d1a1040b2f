"""Who may open what. Preview lessons are open to everyone; any other lesson needs a live
enrolment, and on top of it

* drip: a lesson with ``drip_days`` opens that many days after the enrolment began; one with
  ``drip_date`` opens at midnight of that date in the marketplace's time zone;
* prerequisites: the prerequisite lesson completed (``LessonProgress.completed_at``), or for a
  quiz, passed (a passed ``Attempt`` of the enrolment).

``outline`` answers for a whole course at once (the curriculum sidebar, "My courses") in a
fixed number of queries; ``can_open`` answers for one lesson. The progress reports check the
same rules inside their one SQL statement (``services.progress``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from modules.courses.models import Attempt, Enrolment, Lesson, LessonKind, LessonProgress
from tenants.services.locale import current_zone

OPEN = "open"
LOCKED = "locked"
DONE = "done"


def marketplace_zone() -> ZoneInfo:
    """The marketplace's time zone (the operator sets it; UTC until they do)."""
    return current_zone()


def local_today(now: datetime, zone: ZoneInfo | None = None) -> date:
    return now.astimezone(zone or marketplace_zone()).date()


def live_enrolment(*, user_id: int | None, course_id: int) -> Enrolment | None:
    if user_id is None:
        return None
    return Enrolment.objects.filter(
        course_id=course_id, buyer_id=user_id, revoked_at__isnull=True
    ).first()


@dataclass(frozen=True)
class LessonState:
    lesson_id: int
    state: str  # OPEN, LOCKED or DONE
    reason: str = ""  # why it is locked, for people
    opens_at: datetime | None = None  # when a drip lock lifts (None: not a drip lock)

    @property
    def is_open(self) -> bool:
        return self.state != LOCKED


def drip_opens_at(lesson: Lesson, enrolment: Enrolment, zone: ZoneInfo) -> datetime | None:
    """When the lesson's drip releases it for this enrolment (None: no drip rule)."""
    if lesson.drip_days is not None:
        return enrolment.enrolled_at + timedelta(days=lesson.drip_days)
    if lesson.drip_date is not None:
        return datetime.combine(lesson.drip_date, time.min, zone)
    return None


@dataclass(frozen=True)
class Achievements:
    """What an enrolment has finished: completed lessons and passed quizzes (lesson ids)."""

    completed: frozenset[int]
    passed: frozenset[int]

    def is_done(self, lesson: Lesson) -> bool:
        if lesson.kind == LessonKind.QUIZ:
            return lesson.pk in self.passed or lesson.pk in self.completed
        return lesson.pk in self.completed


def achievements_of(enrolment: Enrolment | None) -> Achievements:
    """Two queries: the enrolment's completed lessons and passed quizzes."""
    if enrolment is None:
        return Achievements(frozenset(), frozenset())
    completed = LessonProgress.objects.filter(
        enrolment=enrolment, completed_at__isnull=False
    ).values_list("lesson_id", flat=True)
    passed = Attempt.objects.filter(enrolment=enrolment, passed=True).values_list(
        "quiz__lesson_id", flat=True
    )
    return Achievements(frozenset(completed), frozenset(passed))


def state_of(
    lesson: Lesson,
    *,
    enrolment: Enrolment | None,
    done: Achievements,
    titles: dict[int, tuple[str, str]],
    now: datetime,
    zone: ZoneInfo,
) -> LessonState:
    """One lesson's state from what was already loaded (no queries). ``titles`` maps lesson
    ids to (title, kind) for the prerequisite's name."""
    if enrolment is not None and done.is_done(lesson):
        return LessonState(lesson.pk, DONE)
    if lesson.is_preview:
        return LessonState(lesson.pk, OPEN)
    if enrolment is None:
        return LessonState(lesson.pk, LOCKED, "Enrol on the course to open this lesson.")
    opens_at = drip_opens_at(lesson, enrolment, zone)
    if opens_at is not None and opens_at > now:
        when = opens_at.astimezone(zone)
        return LessonState(lesson.pk, LOCKED, f"Opens on {when:%-d %B %Y}.", opens_at)
    prerequisite_id = lesson.prerequisite_id
    if prerequisite_id is not None and prerequisite_id in titles:
        title, kind = titles[prerequisite_id]
        if kind == LessonKind.QUIZ:
            if prerequisite_id not in done.passed and prerequisite_id not in done.completed:
                return LessonState(lesson.pk, LOCKED, f"Pass the quiz \u201c{title}\u201d first.")
        elif prerequisite_id not in done.completed:
            return LessonState(lesson.pk, LOCKED, f"Finish \u201c{title}\u201d first.")
    return LessonState(lesson.pk, OPEN)


def course_lessons(course_id: int) -> list[Lesson]:
    """The course's lessons in curriculum order (sections first), with their sections."""
    return list(
        Lesson.objects.filter(course_id=course_id)
        .select_related("section")
        .order_by("section__position", "section_id", "position", "id")
    )


def outline(
    *,
    course_id: int,
    enrolment: Enrolment | None,
    lessons: Sequence[Lesson] | None = None,
    now: datetime | None = None,
) -> dict[int, LessonState]:
    """Every lesson's state (open / locked with the reason and the date it opens / done), in
    three queries whatever the course's size (one fewer when ``lessons`` are given)."""
    now = now or timezone.now()
    zone = marketplace_zone()
    lessons = course_lessons(course_id) if lessons is None else lessons
    done = achievements_of(enrolment)
    titles = {lesson.pk: (lesson.title, lesson.kind) for lesson in lessons}
    return {
        lesson.pk: state_of(
            lesson, enrolment=enrolment, done=done, titles=titles, now=now, zone=zone
        )
        for lesson in lessons
    }


def lesson_state(
    *, enrolment: Enrolment | None, lesson: Lesson, now: datetime | None = None
) -> LessonState:
    """One lesson's state (a few queries)."""
    now = now or timezone.now()
    titles: dict[int, tuple[str, str]] = {}
    if lesson.prerequisite_id is not None:
        titles = {
            pk: (title, kind)
            for pk, title, kind in Lesson.objects.filter(pk=lesson.prerequisite_id).values_list(
                "pk", "title", "kind"
            )
        }
    return state_of(
        lesson,
        enrolment=enrolment,
        done=achievements_of(enrolment),
        titles=titles,
        now=now,
        zone=marketplace_zone(),
    )


def can_open(*, user_id: int | None, lesson: Lesson, now: datetime | None = None) -> bool:
    """Preview lessons: anyone; others: a live enrolment whose drip and prerequisites let the
    lesson open now. One query for most lessons (every playlist and segment asks), two when
    the lesson has a prerequisite."""
    if lesson.is_preview:
        return True
    enrolment = live_enrolment(user_id=user_id, course_id=lesson.course_id)
    if enrolment is None:
        return False
    now = now or timezone.now()
    opens_at = drip_opens_at(lesson, enrolment, marketplace_zone())
    if opens_at is not None and opens_at > now:
        return False
    if lesson.prerequisite_id is None:
        return True
    return (
        LessonProgress.objects.filter(
            enrolment=enrolment, lesson_id=lesson.prerequisite_id, completed_at__isnull=False
        ).exists()
        or Attempt.objects.filter(
            enrolment=enrolment, quiz__lesson_id=lesson.prerequisite_id, passed=True
        ).exists()
    )
