"""Byte Bazaar's course for the demo (``manifest.demo``), made through the services the product
uses, each step on its own date (time-machine) so the students page and the learner's pages
agree:

- Nimbus Labs (made here when the software catalogue did not run first) teaches "Practical
  Git in an afternoon": three sections, a free preview, a real video lesson (an ffmpeg test
  card with its title and a tone, transcoded at once through the pipeline's own job, so it is
  an HLS ladder that plays), two text lessons with real content and a five-question quiz of
  mixed kinds (pass mark 60%);
- demo buyers (Amara Okafor among them) bought it the one real way (cart, checkout with the
  sandbox card, fulfilment, whose hook enrols them) and got on with it: Amara finished the
  course, passed the quiz and has her certificate; the others are part way through;
- Nimbus Labs also sells an "All-access membership" (every course of theirs, present and
  future, at a monthly price), and Noor Haddad subscribed to it through the same checkout:
  the subscription made by the paid order enrols her in the Git course through the pass."""

from __future__ import annotations

import io
import random
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from django.utils import timezone

from core.accounts.models import User
from core.catalog.models import Category, Product
from core.catalog.services.categories import create_category
from core.catalog.services.moderation import approve_product
from core.catalog.services.products import ProductData, create_product, transition
from core.commerce.models import OrderLine, RecurringPrice
from core.commerce.services.cart import add_product, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.commerce.services.fulfilment import fulfil_line
from core.events import dispatch_pending
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from core.sellers.services.review import set_product_permissions
from modules.courses.manifest import COURSE_PASS
from modules.courses.models import Enrolment, Lesson, LessonKind, Question, QuestionKind
from modules.courses.services import (
    attempts,
    builder,
    engagement,
    passes,
    progress,
    quizzes,
    video,
)
from tenants.demo.catalogues import BYTE_BAZAAR
from tenants.demo.images import FONT
from tenants.demo.people import demo_buyer, demo_seller, illustrate

COURSE = "course"
TITLE = "Practical Git in an afternoon"
SELLER = "nimbus-labs"
CATEGORY = ("Courses", "Short video courses from people who make software.")
PRICE = 2900  # USD cents
VIDEO_SECONDS = 24
MEMBERSHIP = "All-access membership"
MEMBERSHIP_MONTHLY = 900  # USD cents
MEMBERSHIP_SUMMARY = "Every Nimbus Labs course, including the ones we publish next."
MEMBER = ("Noor Haddad", 4)  # subscribed this many days ago

SUMMARY = "Commit, branch, merge and undo with confidence: Git for people who ship every day."
DESCRIPTION = (
    "An afternoon with the Git you use every day, taught by the Nimbus Labs team.\n\n"
    "You will set up a repository, write commits a reviewer enjoys reading, branch and merge "
    "without fear, and get yourself out of the three messes everyone makes. Short videos, "
    "notes you can keep, and a quiz to check you have it."
)
OUTCOMES = (
    "Stage and commit exactly the changes you mean\n"
    "Write commit messages your reviewers thank you for\n"
    "Branch, merge and resolve a conflict calmly\n"
    "Undo a bad commit without losing work"
)

WELCOME = (
    "<p>Welcome! In the next few hours you will go from <em>typing commands you found on the "
    "internet</em> to knowing what each one does to your repository.</p>"
    "<h3>How the course works</h3>"
    "<ul><li>Each section starts with a short video, then notes you can come back to.</li>"
    "<li>Type along: open a terminal and make a scratch folder called "
    "<code>git-afternoon</code>.</li>"
    "<li>The quiz at the end has five questions; 60% passes and earns your certificate.</li>"
    "</ul>"
    "<p>You need Git 2.30 or newer. Check with <code>git --version</code>.</p>"
)
COMMITS = (
    "<p>A commit is a snapshot of the files you staged, with a message that explains "
    "<strong>why</strong> the change was made. The diff already says what changed.</p>"
    "<h3>Staging on purpose</h3>"
    "<p>Use <code>git add -p</code> to pick the hunks that belong together, and "
    "<code>git diff --staged</code> to read what you are about to commit. One idea per "
    "commit keeps history easy to review and easy to revert.</p>"
    "<h3>A message that helps</h3>"
    "<ol><li>A subject line of about 50 characters, in the imperative: <em>Fix rounding in "
    "invoice totals</em>.</li>"
    "<li>A blank line.</li>"
    "<li>A body that says why, and what the reviewer should look at.</li></ol>"
    "<p>Before you push, <code>git log --oneline -5</code> shows whether your history tells "
    "a story someone else can follow.</p>"
)
UNDO = (
    "<p>Almost nothing in Git is lost once it has been committed. These three commands get "
    "you out of most trouble:</p>"
    "<ul><li><code>git restore &lt;file&gt;</code> throws away changes you have not staged."
    "</li>"
    "<li><code>git revert &lt;commit&gt;</code> makes a new commit that undoes an old one: "
    "safe on shared branches.</li>"
    "<li><code>git reset --soft HEAD~1</code> takes back your last commit but keeps its "
    "changes staged: for commits you have not pushed yet.</li></ul>"
    "<p>And when you think you have lost work, <code>git reflog</code> lists every commit "
    "your branch pointed at recently. Find it there and <code>git switch -c rescue "
    "&lt;hash&gt;</code>.</p>"
)


@dataclass(frozen=True)
class DemoQuestion:
    kind: str
    prompt: str
    explanation: str
    choices: tuple[tuple[str, bool], ...] = ()
    accepted: tuple[str, ...] = ()


QUESTIONS = (
    DemoQuestion(
        QuestionKind.SINGLE,
        "Which command shows exactly what you are about to commit?",
        "git diff --staged compares the staging area with the last commit.",
        (("git diff --staged", True), ("git status --short", False), ("git log -p", False)),
    ),
    DemoQuestion(
        QuestionKind.TRUE_FALSE,
        "git revert rewrites history, so it is unsafe on a shared branch.",
        "Revert adds a new commit that undoes an old one; history is not rewritten.",
        (("True", False), ("False", True)),
    ),
    DemoQuestion(
        QuestionKind.MULTIPLE,
        "Which of these make a good commit subject line?",
        "Short, imperative and specific; the body says why.",
        (
            ("Fix rounding in invoice totals", True),
            ("Add retry to the payment webhook", True),
            ("stuff", False),
            ("Changed some files as discussed in the meeting yesterday afternoon", False),
        ),
    ),
    DemoQuestion(
        QuestionKind.SHORT,
        "Which command lists every commit your branch pointed at recently, to find lost work?",
        "git reflog keeps a log of where HEAD and your branches have been.",
        accepted=("git reflog", "reflog"),
    ),
    DemoQuestion(
        QuestionKind.ORDERING,
        "Put the steps of a feature branch in order.",
        "Branch, commit on it, then merge it back and delete it.",
        (
            ("git switch -c feature", False),
            ("git commit", False),
            ("git switch main", False),
            ("git merge feature", False),
        ),
    ),
)

# (buyer, days ago bought, how far they got: "done", "video", "welcome" or "")
STUDENTS = (
    ("Amara Okafor", 12, "done"),
    ("Luca Fernández", 9, "video"),
    ("Priya Raman", 6, "welcome"),
    ("Tom Becker", 2, ""),
)


def populate(tenant_slug: str, *, password: str, seed: int) -> bool:
    """``manifest.demo``: Byte Bazaar's Git course, bought and studied, in the current schema.
    False (nothing done) elsewhere, or once courses are sold."""
    if tenant_slug != "byte-bazaar" or Product.objects.filter(product_type=COURSE).exists():
        return False
    rng = random.Random(seed)
    now = timezone.now()
    with _at(now - timedelta(days=30)):
        category = _category()
        seller = _seller(password)
        product, lessons = offer_course(seller, category)
    record_video(seller, lessons["video"])
    for name, days_ago, reached in STUDENTS:
        moment = now - timedelta(days=days_ago, hours=rng.randint(1, 10))
        with _at(now - timedelta(days=30)):
            buyer = demo_buyer(name, password)
        enrolment = purchase(rng, buyer, product, moment)
        # On the demo clock, so what completion sets off (the certificate) is dated then.
        with _at(moment + timedelta(hours=1)):
            _study(buyer, enrolment, lessons, reached, moment + timedelta(hours=1), rng)
    _talk(seller, lessons, now, password)
    with _at(now - timedelta(days=30)):
        membership, plan = offer_membership(seller, category)
        member = demo_buyer(MEMBER[0], password)
    subscribe(rng, member, membership, plan.pk, now - timedelta(days=MEMBER[1]))
    return True


def offer_membership(seller: Seller, category: Category) -> tuple[Product, RecurringPrice]:
    """The seller's all-access pass, published, at a monthly price."""
    product = create_product(
        seller=seller,
        data=ProductData(
            name=MEMBERSHIP,
            product_type=COURSE_PASS,
            # The catalogue requires a price; the page sells only the plan (storefront_pass).
            prices={"USD": MEMBERSHIP_MONTHLY},
            summary=MEMBERSHIP_SUMMARY,
            description=(
                "One subscription for every course Nimbus Labs teaches, and every course we "
                "add while you are a member. Cancel any time: your courses stay open to the "
                "end of the month you paid for."
            ),
            category_slug=category.slug,
            tags=["git", "membership"],
        ),
    )
    illustrate(product)
    passes.save_pass(
        seller_id=seller.pk,
        product_id=product.pk,
        contents=passes.PassContents(includes_all=True),
    )
    plan = passes.set_plan(
        seller=seller,
        product_id=product.pk,
        interval="month",
        amount=MEMBERSHIP_MONTHLY,
        currency="USD",
    )
    transition(product=product, action="publish")
    return approve_product(product=product), plan


def subscribe(
    rng: random.Random, buyer: User, product: Product, plan_id: int, moment: datetime
) -> None:
    """The membership's checkout at ``moment`` with the sandbox card; the paid order makes
    the subscription (its outbox consumer) and fulfilment enrols the buyer."""
    with _at(moment):
        cart = get_or_create_cart(buyer=buyer, token=None)
        add_product(cart=cart, product_id=product.pk, recurring_price_id=plan_id)
        order, _, _ = checkout_cart(
            buyer=buyer,
            cart=cart,
            details=CheckoutInput(country=rng.choice(("GB", "DE")), name=buyer.full_name),
            idempotency_key=uuid.uuid4().hex,
            payment_method=SUCCESS_CARD,
        )
        # As in ``purchase``: done now in case no worker listens (repeats do nothing).
        for line in OrderLine.objects.filter(order=order):
            fulfil_line(line_id=line.pk)
        dispatch_pending()


def _at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def _category() -> Category:
    name, description = CATEGORY
    existing = Category.objects.filter(name=name, parent__isnull=True).first()
    return existing or create_category(
        name=name, description=description, position=Category.objects.count()
    )


def _seller(password: str) -> Seller:
    """Nimbus Labs, now allowed to sell courses (made when it is missing)."""
    seller = Seller.objects.filter(slug=SELLER).first()
    if seller is not None:
        grants = [*seller.product_type_grants, COURSE, COURSE_PASS]
        return set_product_permissions(seller=seller, product_types=dict.fromkeys(grants))
    spec = next(spec for spec in BYTE_BAZAAR.sellers if spec.slug == SELLER)
    return demo_seller(
        slug=SELLER,
        business_name=spec.business_name,
        bio=spec.bio,
        product_types=[COURSE, COURSE_PASS],
        password=password,
    )


def offer_course(seller: Seller, category: Category) -> tuple[Product, dict[str, Lesson]]:
    """The course published in the catalogue with its curriculum and quiz."""
    product = create_product(
        seller=seller,
        data=ProductData(
            name=TITLE,
            product_type=COURSE,
            prices={"USD": PRICE},
            summary=SUMMARY,
            description=DESCRIPTION,
            category_slug=category.slug,
            tags=["git", "version-control"],
        ),
    )
    illustrate(product)
    course = builder.set_details(
        seller_id=seller.pk,
        product_id=product.pk,
        data=builder.CourseDetails(level="Beginner", language="en", outcomes=OUTCOMES),
    )
    start = builder.add_section(seller_id=seller.pk, course_id=course.pk, title="Getting started")
    daily = builder.add_section(seller_id=seller.pk, course_id=course.pk, title="Everyday Git")
    check = builder.add_section(seller_id=seller.pk, course_id=course.pk, title="Check yourself")
    lessons = {
        "welcome": _lesson(seller, start.pk, "Welcome and setup", LessonKind.TEXT, WELCOME, True),
        "video": _lesson(seller, start.pk, "Your first commit, on screen", LessonKind.VIDEO),
        "commits": _lesson(seller, daily.pk, "Commits worth reading", LessonKind.TEXT, COMMITS),
        "undo": _lesson(seller, daily.pk, "Undoing mistakes", LessonKind.TEXT, UNDO),
        "quiz": _lesson(seller, check.pk, "Git check", LessonKind.QUIZ),
    }
    quiz_lesson = lessons["quiz"]
    quizzes.update_settings(
        seller_id=seller.pk,
        lesson_id=quiz_lesson.pk,
        data=quizzes.QuizSettings(pass_percent=60, cooldown_minutes=10),
    )
    for item in QUESTIONS:
        quizzes.add_question(
            seller_id=seller.pk,
            lesson_id=quiz_lesson.pk,
            data=quizzes.QuestionData(
                kind=item.kind,
                prompt=item.prompt,
                explanation=item.explanation,
                choices=[quizzes.ChoiceData(text=t, is_correct=c) for t, c in item.choices],
                accepted_answers=list(item.accepted),
            ),
        )
    transition(product=product, action="publish")
    return approve_product(product=product), lessons


def _lesson(
    seller: Seller, section_id: int, title: str, kind: str, body: str = "", preview: bool = False
) -> Lesson:
    lesson = builder.add_lesson(seller_id=seller.pk, section_id=section_id, title=title, kind=kind)
    if body or preview:
        lesson = builder.update_lesson(
            seller_id=seller.pk,
            lesson_id=lesson.pk,
            data=builder.LessonData(title=title, body=body, is_preview=preview, min_seconds=30),
        )
    return lesson


def lesson_video(path: Path, *, title: str, seconds: int = VIDEO_SECONDS) -> Path:
    """A 640x360 test card with the lesson's title and a running clock over a quiet tone
    (H.264/AAC in MP4), as a seller's screen recording would arrive."""
    text = title.replace("\\", "").replace(":", "\\:").replace("'", "")
    card = (
        f"testsrc2=size=640x360:rate=25:d={seconds},"
        f"drawbox=x=0:y=130:w=iw:h=100:color=black@0.6:t=fill,"
        f"drawtext=fontfile={FONT}:text='{text}':fontcolor=white:fontsize=28:"
        "x=(w-text_w)/2:y=150,"
        f"drawtext=fontfile={FONT}:text='%{{pts\\:hms}}':fontcolor=white:fontsize=22:"
        "x=(w-text_w)/2:y=190"
    )
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", card]
    command += ["-f", "lavfi", "-i", f"sine=frequency=330:d={seconds}", "-af", "volume=0.2"]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    command += ["-c:a", "aac", "-shortest", str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return path


def record_video(seller: Seller, lesson: Lesson) -> None:
    """The seller uploads the recording; the job runs at once rather than by a worker (a
    worker running the queued job later finds it ready and leaves it alone)."""
    with tempfile.TemporaryDirectory(prefix="souk-demo-course-") as scratch:
        source = lesson_video(Path(scratch) / "first-commit.mp4", title=lesson.title)
        content = source.read_bytes()
    upload = video.upload_video(
        seller_id=seller.pk,
        lesson_id=lesson.pk,
        name="first-commit.mp4",
        stream=io.BytesIO(content),
        size=len(content),
    )
    video.process_video(video_id=upload.pk)


def purchase(rng: random.Random, buyer: User, product: Product, moment: datetime) -> Enrolment:
    """Checkout with the sandbox card at ``moment``; fulfilment's hook enrols the buyer."""
    with _at(moment):
        cart = get_or_create_cart(buyer=buyer, token=None)
        add_product(cart=cart, product_id=product.pk)
        order, _, _ = checkout_cart(
            buyer=buyer,
            cart=cart,
            details=CheckoutInput(
                country=rng.choice(("GB", "DE", "US", "ES")), name=buyer.full_name
            ),
            idempotency_key=uuid.uuid4().hex,
            payment_method=SUCCESS_CARD,
        )
        # Fulfilment runs after the checkout's commit; here too, in case no worker listens
        # (the second run does nothing).
        for line in OrderLine.objects.filter(order=order):
            fulfil_line(line_id=line.pk)
    return Enrolment.objects.get(order_line__order=order, revoked_at__isnull=True)


def _study(
    buyer: User,
    enrolment: Enrolment,
    lessons: dict[str, Lesson],
    reached: str,
    moment: datetime,
    rng: random.Random,
) -> None:
    """What the student did, through the services their pages call: reading, watching in
    the player's reports, the quiz."""
    if not reached:
        return
    progress.report_reading(
        user_id=buyer.pk, lesson_id=lessons["welcome"].pk, seconds=45, now=moment
    )
    if reached == "welcome":
        return
    moment += timedelta(minutes=5)
    # The player reports what it played every few seconds; one report for the whole here.
    seen = VIDEO_SECONDS if reached == "done" else rng.randint(8, 14)
    progress.report_watched(
        user_id=buyer.pk,
        lesson_id=lessons["video"].pk,
        intervals=[[0, seen]],
        position=seen,
        now=moment,
    )
    if reached == "video":
        return
    for key in ("commits", "undo"):
        moment += timedelta(minutes=6)
        progress.mark_complete(user_id=buyer.pk, lesson_id=lessons[key].pk, now=moment)
    moment += timedelta(minutes=8)
    _pass_quiz(buyer, lessons["quiz"], moment)
    enrolment.refresh_from_db()
    _certify(enrolment.pk, moment)


# A student's question under the video, the instructor's answer, and a note to everyone.
QUESTION = (
    "Luca Fernández",
    "git add -p skips my new file",
    "I followed the video, but `git add -p` never offers the file I just created. "
    "Did I miss a step?",
)
ANSWER = (
    "Good catch: -p only walks through changes Git already tracks. Run `git add -N "
    'yourfile` first ("intent to add"), then `git add -p` shows it hunk by hunk.'
)
ANNOUNCEMENT = (
    "New lesson coming: rebasing without fear",
    "Next week a short lesson on interactive rebase joins the Everyday Git section. It "
    "opens for everyone already on the course, at no extra cost.",
)


def _talk(seller: Seller, lessons: dict[str, Lesson], now: datetime, password: str) -> None:
    """The course's Q&A and announcements, through the services the pages call."""
    asker = demo_buyer(QUESTION[0], password)  # on the course already
    asked = now - timedelta(days=8, hours=3)
    question = engagement.ask(
        user_id=asker.pk,
        lesson_id=lessons["video"].pk,
        title=QUESTION[1],
        body=QUESTION[2],
        now=asked,
    )
    engagement.reply(
        user_id=seller.owner_id,
        question_id=question.pk,
        body=ANSWER,
        now=asked + timedelta(hours=2),
    )
    engagement.announce(
        seller_id=seller.pk,
        author_id=seller.owner_id,
        course_id=lessons["video"].course_id,
        title=ANNOUNCEMENT[0],
        body=ANNOUNCEMENT[1],
        now=now - timedelta(days=1),
    )


def _pass_quiz(buyer: User, lesson: Lesson, moment: datetime) -> None:
    """A first attempt with four of five right (80%, pass mark 60%)."""
    attempt = attempts.start(
        user_id=buyer.pk, lesson_id=lesson.pk, now=moment, rng=random.Random(lesson.pk)
    )
    answers = []
    for question in Question.objects.filter(quiz__lesson=lesson).prefetch_related("choices"):
        choices = list(question.choices.all())
        if question.kind == QuestionKind.SHORT:
            answers.append(attempts.Answer(question_id=question.pk, text="git log"))  # wrong
        elif question.kind == QuestionKind.ORDERING:
            ids = [choice.pk for choice in choices]
            answers.append(attempts.Answer(question_id=question.pk, choice_ids=ids))
        else:
            right = [choice.pk for choice in choices if choice.is_correct]
            answers.append(attempts.Answer(question_id=question.pk, choice_ids=right))
    attempts.submit(
        user_id=buyer.pk,
        attempt_id=attempt.pk,
        answers=answers,
        now=moment + timedelta(minutes=4),
    )


def _certify(enrolment_id: int, moment: datetime) -> None:
    """The certificate the completion issues after commit, issued now (idempotent) in case
    the caller holds a transaction open; the certificates service may not be installed."""
    try:
        from modules.courses.services import certificates
    except ImportError:  # pragma: no cover - the module ships it
        return
    with _at(moment):
        certificates.issue_for_enrolment(enrolment_id=enrolment_id, now=moment)
