"""Courses: a catalogue product of type ``course`` with sections and lessons (video, text,
quiz), the video pipeline's renditions, enrolments and the progress they make, quiz attempts,
certificates and the course's conversation (lesson questions, announcements). Everything
lives in the marketplace's schema; videos, resources and certificates are private objects
under the tenant's prefix (``core.storage``), posters are public.

Enrolment is granted by the fulfil hook for a paid order line and revoked on a refund; a
revoked enrolment keeps its progress (a re-purchase picks it up) but opens nothing."""

from __future__ import annotations

import secrets

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from core.schema import current_schema_name


def new_key() -> str:
    return secrets.token_hex(16)


def verification_code() -> str:
    # 16 characters from an alphabet without look-alikes, grouped for reading aloud.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class Course(models.Model):
    """The course behind a catalogue product of type ``course``."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, related_name="course"
    )
    level = models.CharField(max_length=20, blank=True)  # "Beginner", "Intermediate", ...
    language = models.CharField(max_length=35, default="en")  # BCP 47
    outcomes = models.TextField(blank=True)  # "What you will learn", one per line
    # Sum of the lessons' durations (video length, or a text lesson's reading time),
    # recomputed by the services whenever a lesson changes.
    duration_seconds = models.PositiveIntegerField(default=0)
    issues_certificate = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"course {self.product_id}"


class CoursePass(models.Model):
    """A membership: the catalogue product of type ``coursepass``, sold at recurring prices,
    that enrols its subscribers in every included course of its seller (all of them, present
    and future, or the chosen ones)."""

    product = models.OneToOneField(
        "catalog.Product", on_delete=models.CASCADE, related_name="course_pass"
    )
    includes_all = models.BooleanField(default=False)
    courses = models.ManyToManyField(
        Course, through="PassCourse", related_name="passes", blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"course pass {self.product_id}"


class PassCourse(models.Model):
    """One chosen course of a pass (the services keep both of the same seller)."""

    course_pass = models.ForeignKey(CoursePass, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["course_pass", "course"], name="courses_pass_course")
        ]

    def __str__(self) -> str:
        return f"pass {self.course_pass_id} course {self.course_id}"


class Section(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"section {self.pk} ({self.title})"


class LessonKind(models.TextChoices):
    VIDEO = "video", "Video"
    TEXT = "text", "Text"
    QUIZ = "quiz", "Quiz"


class Lesson(models.Model):
    """One step of a course. ``course`` repeats the section's for one-join access checks."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=LessonKind.choices)
    position = models.PositiveIntegerField(default=0)
    body = models.TextField(blank=True)  # text lessons' content (sanitised HTML); notes else
    is_preview = models.BooleanField(default=False)  # free to watch before buying
    is_required = models.BooleanField(default=True)  # counts towards completion
    # Text lessons complete after this long on the page (or "mark complete").
    min_seconds = models.PositiveIntegerField(default=0)
    duration_seconds = models.PositiveIntegerField(default=0)
    # Drip: open N days after enrolment, or on a date (both None: open at once).
    drip_days = models.PositiveIntegerField(null=True, blank=True)
    drip_date = models.DateField(null=True, blank=True)
    # Finish this lesson (or, for a quiz, pass it) before this one opens.
    prerequisite = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]  # within the section; services order by section first
        indexes = [models.Index(fields=["course", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(drip_days__isnull=True) | Q(drip_date__isnull=True),
                name="courses_lesson_one_drip_rule",
            ),
            models.CheckConstraint(
                condition=~Q(prerequisite=models.F("pk")), name="courses_lesson_not_own_prereq"
            ),
        ]

    def __str__(self) -> str:
        return f"lesson {self.pk} ({self.title})"


def resource_path(instance: Resource, filename: str) -> str:
    return f"{current_schema_name()}/courses/resources/{instance.lesson_id}/{instance.key}"


class Resource(models.Model):
    """A downloadable file attached to a lesson (slides, worksheets), enrolled buyers only."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=200)
    key = models.CharField(max_length=32, default=new_key, unique=True)
    content = models.FileField(upload_to=resource_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"resource {self.pk} ({self.title})"


class VideoStatus(models.TextChoices):
    UPLOADED = "uploaded", "Waiting to be processed"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def video_source_path(instance: Video, filename: str) -> str:
    return f"{current_schema_name()}/courses/videos/{instance.key}/source"


class Video(models.Model):
    """A video lesson's upload and its HLS ladder. A new upload is a new row: the lesson keeps
    playing its current ready video until the new one is ready (never half-published)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="videos")
    key = models.CharField(max_length=32, default=new_key, unique=True)
    source = models.FileField(upload_to=video_source_path, max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=VideoStatus.choices, default=VideoStatus.UPLOADED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent, while processing
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Storage prefix of the HLS output: master.m3u8, <height>p/index.m3u8, segments, poster.
    hls_prefix = models.CharField(max_length=300, blank=True)
    # [{"height": 540, "bandwidth": 2000000, "playlist": "540p/index.m3u8"}, ...]
    renditions = models.JSONField(default=list, blank=True)
    is_current = models.BooleanField(default=False)  # the one the lesson plays
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lesson"], condition=Q(is_current=True), name="courses_one_current_video"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="courses_video_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"video {self.pk} ({self.status})"


class Enrolment(models.Model):
    """A buyer's place on a course, from a paid order line (or given by the seller)."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="enrolments")
    buyer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # The paid line that opened it: a course's line, or a membership's (one pass line opens
    # many courses). None for a place the seller gave.
    order_line = models.ForeignKey(
        "commerce.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The membership it came through; None for a course bought outright or given.
    via_pass = models.ForeignKey(
        "CoursePass", null=True, blank=True, on_delete=models.PROTECT, related_name="enrolments"
    )
    enrolled_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    last_lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_active_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "buyer"],
                condition=Q(revoked_at__isnull=True),
                name="courses_one_live_enrolment",
            ),
            models.UniqueConstraint(
                fields=["order_line", "course"],
                condition=Q(order_line__isnull=False),
                name="courses_one_enrolment_per_line_course",
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="courses_progress_percent"
            ),
        ]
        indexes = [models.Index(fields=["buyer", "enrolled_at"])]

    def __str__(self) -> str:
        return f"enrolment {self.pk}"


class LessonProgress(models.Model):
    """What one enrolment has done of one lesson. ``watched`` holds the merged, sorted
    intervals of video actually played, flattened: [start0, end0, start1, end1, ...] in whole
    seconds, end exclusive; ``watched_seconds`` is their total."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    watched = ArrayField(models.IntegerField(), default=list, blank=True)
    watched_seconds = models.PositiveIntegerField(default=0)
    position_seconds = models.PositiveIntegerField(default=0)  # resume from here
    seconds_on_page = models.PositiveIntegerField(default=0)  # text lessons
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "lesson"], name="courses_one_progress")
        ]

    def __str__(self) -> str:
        return f"progress {self.pk}"


class FeedbackPolicy(models.TextChoices):
    AFTER_SUBMIT = "after_submit", "After each attempt"
    AFTER_PASS = "after_pass", "Once passed"
    NEVER = "never", "Never (score only)"


class Quiz(models.Model):
    """A quiz lesson's settings; its questions are the bank an attempt draws from."""

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    pass_percent = models.PositiveSmallIntegerField(default=70)
    attempt_limit = models.PositiveSmallIntegerField(null=True, blank=True)  # None: unlimited
    cooldown_minutes = models.PositiveIntegerField(default=0)
    time_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    questions_per_attempt = models.PositiveSmallIntegerField(null=True, blank=True)  # None: all
    shuffle_choices = models.BooleanField(default=True)
    feedback = models.CharField(
        max_length=12, choices=FeedbackPolicy.choices, default=FeedbackPolicy.AFTER_SUBMIT
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_percent__lte=100), name="courses_quiz_pass_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"quiz {self.pk}"


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    TRUE_FALSE = "true_false", "True or false"
    SHORT = "short", "Short answer"
    ORDERING = "ordering", "Put in order"


class Question(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=12, choices=QuestionKind.choices)
    prompt = models.TextField()
    explanation = models.TextField(blank=True)  # shown as feedback
    points = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveIntegerField(default=0)
    # Short answers: accepted answers, matched after normalising (case, spaces, accents).
    accepted_answers = ArrayField(models.CharField(max_length=200), default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"question {self.pk}"


class Choice(models.Model):
    """An option of a choice question; for ordering questions ``position`` is the right
    order."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"choice {self.pk}"


class Attempt(models.Model):
    """One sitting of a quiz: the questions drawn and their option order are fixed when it
    starts; answers are graded on the server when it is submitted."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    deadline_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # [{"question": id, "choices": [id, ...]}, ...] in the order shown
    paper = models.JSONField(default=list)
    answers = models.JSONField(default=dict, blank=True)  # {"<question id>": answer}
    results = models.JSONField(default=dict, blank=True)  # {"<question id>": bool}
    score_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "enrolment", "number"], name="courses_attempt_number"
            ),
            models.UniqueConstraint(
                fields=["quiz", "enrolment"],
                condition=Q(submitted_at__isnull=True),
                name="courses_one_open_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of quiz {self.quiz_id}"


def certificate_path(instance: Certificate, filename: str) -> str:
    return f"{current_schema_name()}/courses/certificates/{instance.key}.pdf"


class Certificate(models.Model):
    """Issued once an enrolment completes the course; names and titles are snapshots."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(max_length=19, default=verification_code, unique=True)
    key = models.CharField(max_length=32, default=new_key, unique=True)
    student_name = models.CharField(max_length=200)
    course_title = models.CharField(max_length=200)
    issued_at = models.DateTimeField()
    pdf = models.FileField(upload_to=certificate_path, max_length=300, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"certificate {self.code}"


class LessonQuestion(models.Model):
    """A student's question under a lesson; the thread's replies follow."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)  # first instructor reply

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"lesson question {self.pk}"


class LessonReply(models.Model):
    question = models.ForeignKey(LessonQuestion, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    is_instructor = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"reply {self.pk}"


class Announcement(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="announcements")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    body = models.TextField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"announcement {self.pk}"
