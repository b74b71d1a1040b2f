"""The review services: who may review which line, once; the aggregates they keep exact; the
database's own guards; the events and side effects of each step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from core import cache_versions
from core.accounts.models import Role
from core.commerce.models import LineStatus
from core.errors import ErrorKind
from core.outbox.models import OutboxEvent
from core.reviews.errors import ReviewError, ReviewErrorCode
from core.reviews.models import Review, ReviewReport, ReviewStatus
from core.reviews.selectors import reviewable_lines
from core.reviews.services import moderation, replies, reports, writing
from core.reviews.tests.helpers import event_types, make_line, ratings, review_count
from core.sellers.models import TeamMember
from tests.accounts_helpers import make_user
from tests.catalog_helpers import make_product, make_seller


@pytest.fixture
def shop(tenant_a):
    acme = make_seller(tenant_a, "acme", "Acme Tools")
    editor = make_product(tenant_a, acme, "Swift Code Editor")
    linter = make_product(tenant_a, acme, "Lint Master")
    buyer = make_user(tenant_a, "ann@example.com", full_name="Ann Smith")
    operator = make_user(tenant_a, "op@example.com", role=Role.OPERATOR)
    return {
        "tenant": tenant_a,
        "seller": acme,
        "editor": editor,
        "linter": linter,
        "buyer": buyer,
        "operator": operator,
    }


def recounted(tenant, **scope):
    """(count, total) of the published reviews, counted from scratch."""
    with schema_context(tenant.schema_name):
        found = Review.objects.filter(status=ReviewStatus.PUBLISHED, **scope).aggregate(
            count=Count("id"), total=Sum("rating", default=0)
        )
    return (found["count"], found["total"])


def review(shop, line, rating, buyer=None):
    with schema_context(shop["tenant"].schema_name):
        return writing.create_review(
            buyer=buyer or shop["buyer"], order_line_id=line.pk, rating=rating, title="Fine"
        )


def error_of(call, *args, **kwargs) -> ReviewError:
    with pytest.raises(ReviewError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_buyer_reviews_a_completed_line_and_the_aggregates_count_it(shop):
    line = make_line(shop["tenant"], shop["buyer"], shop["editor"])

    created = review(shop, line, 4)

    with schema_context(shop["tenant"].schema_name):
        stored = Review.objects.get()
        assert (stored.pk, stored.order_line_id, stored.product_id, stored.seller_id) == (
            created.pk,
            line.pk,
            shop["editor"].pk,
            shop["seller"].pk,
        )
        assert (stored.buyer_id, stored.rating, stored.title, stored.status) == (
            shop["buyer"].pk,
            4,
            "Fine",
            ReviewStatus.PUBLISHED,
        )
        payload = OutboxEvent.objects.get(event_type="review.created").payload
    assert payload == {
        "review_id": created.pk,
        "order_line_id": line.pk,
        "product_id": shop["editor"].pk,
        "seller_id": shop["seller"].pk,
        "buyer_id": shop["buyer"].pk,
        "rating": 4,
        "status": "published",
    }
    assert ratings(shop["tenant"], shop["editor"]) == {"product": (1, 4), "seller": (1, 4)}
    assert ratings(shop["tenant"], shop["linter"])["product"] == (0, 0)


def test_a_line_is_reviewed_once_and_the_second_attempt_changes_nothing(shop):
    line = make_line(shop["tenant"], shop["buyer"], shop["editor"])
    review(shop, line, 5)
    with schema_context(shop["tenant"].schema_name):
        events_before = OutboxEvent.objects.count()

    with schema_context(shop["tenant"].schema_name):
        error = error_of(
            writing.create_review, buyer=shop["buyer"], order_line_id=line.pk, rating=1
        )
        events_after = OutboxEvent.objects.count()

    assert (error.code, error.kind) == (ReviewErrorCode.ALREADY_REVIEWED, ErrorKind.CONFLICT)
    assert review_count(shop["tenant"]) == 1
    assert ratings(shop["tenant"], shop["editor"]) == {"product": (1, 5), "seller": (1, 5)}
    assert events_after == events_before


def test_the_database_allows_one_review_per_line_and_ratings_of_one_to_five(shop):
    line = make_line(shop["tenant"], shop["buyer"], shop["editor"])
    first = review(shop, line, 3)
    other_line = make_line(shop["tenant"], shop["buyer"], shop["linter"])
    fields = {
        "product_id": shop["editor"].pk,
        "seller_id": shop["seller"].pk,
        "buyer_id": shop["buyer"].pk,
    }
    with schema_context(shop["tenant"].schema_name):
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.create(order_line_id=line.pk, rating=3, **fields)
        for rating in (0, 6):
            with pytest.raises(IntegrityError), transaction.atomic():
                Review.objects.create(order_line_id=other_line.pk, rating=rating, **fields)
        with pytest.raises(IntegrityError), transaction.atomic():
            Review.objects.filter(pk=first.pk).update(status=ReviewStatus.HIDDEN)
        assert list(Review.objects.values_list("pk", flat=True)) == [first.pk]


@pytest.mark.parametrize(
    ("status", "refunded_amount"),
    [
        (LineStatus.PENDING, 0),
        (LineStatus.FULFILLING, 0),
        (LineStatus.FULFILLED, 0),
        (LineStatus.REVOKED, 0),
        (LineStatus.CANCELLED, 0),
        (LineStatus.COMPLETED, 1000),  # refunded in full
    ],
)
def test_lines_that_are_not_completed_or_were_refunded_cannot_be_reviewed(
    shop, status, refunded_amount
):
    line = make_line(
        shop["tenant"],
        shop["buyer"],
        shop["editor"],
        status=status,
        refunded_amount=refunded_amount,
    )

    with schema_context(shop["tenant"].schema_name):
        error = error_of(
            writing.create_review, buyer=shop["buyer"], order_line_id=line.pk, rating=5
        )

    assert (error.code, error.kind) == (ReviewErrorCode.LINE_NOT_REVIEWABLE, ErrorKind.CONFLICT)
    assert review_count(shop["tenant"]) == 0
    assert ratings(shop["tenant"], shop["editor"]) == {"product": (0, 0), "seller": (0, 0)}
    assert event_types(shop["tenant"]) == []


def test_a_partly_refunded_completed_line_can_still_be_reviewed(shop):
    line = make_line(shop["tenant"], shop["buyer"], shop["editor"], refunded_amount=400)

    review(shop, line, 2)

    assert ratings(shop["tenant"], shop["editor"])["product"] == (1, 2)


def test_another_buyers_line_does_not_exist_for_you(shop):
    line = make_line(shop["tenant"], shop["buyer"], shop["editor"])
    other = make_user(shop["tenant"], "bob@example.com")

    with schema_context(shop["tenant"].schema_name):
        error = error_of(writing.create_review, buyer=other, order_line_id=line.pk, rating=5)
        missing = error_of(writing.create_review, buyer=other, order_line_id=10**9, rating=5)

    assert (error.code, error.kind) == (ReviewErrorCode.LINE_NOT_FOUND, ErrorKind.NOT_FOUND)
    assert (missing.code, missing.kind) == (ReviewErrorCode.LINE_NOT_FOUND, ErrorKind.NOT_FOUND)
    assert review_count(shop["tenant"]) == 0


def test_sellers_and_their_team_cannot_review_their_own_sales(shop):
    tenant = shop["tenant"]
    member = make_user(tenant, "helper@example.com", role=Role.SELLER)
    with schema_context(tenant.schema_name):
        TeamMember.objects.create(seller=shop["seller"], user=member, permissions=[])
    owner_line = make_line(tenant, shop["seller"].owner, shop["editor"])
    member_line = make_line(tenant, member, shop["editor"])

    with schema_context(tenant.schema_name):
        errors = [
            error_of(writing.create_review, buyer=buyer, order_line_id=line.pk, rating=5)
            for buyer, line in ((shop["seller"].owner, owner_line), (member, member_line))
        ]
        waiting = [list(reviewable_lines(buyer)) for buyer in (shop["seller"].owner, member)]

    assert [(e.code, e.kind) for e in errors] == [
        (ReviewErrorCode.OWN_SALE, ErrorKind.FORBIDDEN)
    ] * 2
    assert waiting == [[], []]
    assert review_count(tenant) == 0
    assert ratings(tenant, shop["editor"]) == {"product": (0, 0), "seller": (0, 0)}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": True}, "rating"),
        ({"title": "x" * 121}, "title"),
        ({"body": "x" * 5001}, "body"),
    ],
)
def test_invalid_content_is_refused_by_field(shop, changes, field):
    line = make_line(shop["tenant"], shop["buyer"], shop["editor"])
    values = {"rating": 4, "title": "", "body": "", **changes}

    with schema_context(shop["tenant"].schema_name):
        error = error_of(
            writing.create_review, buyer=shop["buyer"], order_line_id=line.pk, **values
        )

    assert (error.code, error.kind, error.details) == (
        ReviewErrorCode.INVALID_REVIEW,
        ErrorKind.INVALID,
        {"field": field},
    )
    assert review_count(shop["tenant"]) == 0


def test_titles_and_bodies_are_tidied(shop):
    line = make_line(shop["tenant"], shop["buyer"], shop["editor"])
    with schema_context(shop["tenant"].schema_name):
        created = writing.create_review(
            buyer=shop["buyer"],
            order_line_id=line.pk,
            rating=4,
            title="  Really   good\n editor ",
            body="\n  First line.\n\nSecond.  \n",
        )
    assert (created.title, created.body) == ("Really good editor", "First line.\n\nSecond.")


def test_aggregates_stay_exact_through_create_edit_hide_and_restore(shop):
    tenant = shop["tenant"]
    bob = make_user(tenant, "bob@example.com")
    ann_editor = review(shop, make_line(tenant, shop["buyer"], shop["editor"]), 5)
    bob_editor = review(shop, make_line(tenant, bob, shop["editor"]), 2, buyer=bob)
    review(shop, make_line(tenant, bob, shop["linter"]), 4, buyer=bob)
    assert ratings(tenant, shop["editor"]) == {"product": (2, 7), "seller": (3, 11)}
    assert ratings(tenant, shop["linter"])["product"] == (1, 4)

    with schema_context(tenant.schema_name):
        writing.edit_review(buyer=bob, review_id=bob_editor.pk, rating=3, title="Better now")
    assert ratings(tenant, shop["editor"]) == {"product": (2, 8), "seller": (3, 12)}

    with schema_context(tenant.schema_name):
        moderation.hide_review(operator=shop["operator"], review_id=ann_editor.pk, reason="Spam")
    assert ratings(tenant, shop["editor"]) == {"product": (1, 3), "seller": (2, 7)}

    with schema_context(tenant.schema_name):
        moderation.restore_review(operator=shop["operator"], review_id=ann_editor.pk)
    assert ratings(tenant, shop["editor"]) == {"product": (2, 8), "seller": (3, 12)}
    assert ratings(tenant, shop["linter"])["product"] == (1, 4)
    assert ratings(tenant, shop["editor"]) == {
        "product": recounted(tenant, product=shop["editor"]),
        "seller": recounted(tenant, seller=shop["seller"]),
    }
    assert event_types(tenant) == [
        "review.created",
        "review.created",
        "review.created",
        "review.edited",
        "review.hidden",
        "review.restored",
    ]


def test_every_rating_change_reindexes_the_product_and_drops_cached_catalogue_pages(shop):
    tenant = shop["tenant"]
    line = make_line(tenant, shop["buyer"], shop["editor"])
    with schema_context(tenant.schema_name):
        version = cache_versions.current_version(cache_versions.CATALOG)
        before = OutboxEvent.objects.filter(event_type="catalog.products_changed").count()

        created = writing.create_review(buyer=shop["buyer"], order_line_id=line.pk, rating=3)
        writing.edit_review(buyer=shop["buyer"], review_id=created.pk, rating=3, body="Text only")
        after_text_edit = cache_versions.current_version(cache_versions.CATALOG)
        writing.edit_review(buyer=shop["buyer"], review_id=created.pk, rating=4, body="Text only")

        changed = list(
            OutboxEvent.objects.filter(event_type="catalog.products_changed")
            .order_by("id")
            .values_list("payload", flat=True)
        )[before:]
        assert changed == [{"product_ids": [shop["editor"].pk]}] * 2
        # (Bumped again on commit, which the test's transaction never reaches.) A text-only
        # edit changes no catalogue answer.
        assert after_text_edit == version + 1
        assert cache_versions.current_version(cache_versions.CATALOG) == version + 2


def test_buyer_edits_own_review_within_the_window_only(shop):
    tenant = shop["tenant"]
    created = review(shop, make_line(tenant, shop["buyer"], shop["editor"]), 2)

    with schema_context(tenant.schema_name):
        edited = writing.edit_review(
            buyer=shop["buyer"], review_id=created.pk, rating=4, title="Changed my mind"
        )
        assert (edited.rating, edited.title, edited.edited_at is not None) == (
            4,
            "Changed my mind",
            True,
        )
        Review.objects.filter(pk=created.pk).update(
            created_at=timezone.now() - timedelta(days=30, seconds=1)
        )
        late = error_of(writing.edit_review, buyer=shop["buyer"], review_id=created.pk, rating=1)
        assert Review.objects.get(pk=created.pk).rating == 4

    assert (late.code, late.kind) == (ReviewErrorCode.EDIT_WINDOW_CLOSED, ErrorKind.CONFLICT)
    assert ratings(tenant, shop["editor"])["product"] == (1, 4)


def test_another_buyers_review_cannot_be_edited(shop):
    tenant = shop["tenant"]
    created = review(shop, make_line(tenant, shop["buyer"], shop["editor"]), 2)
    other = make_user(tenant, "bob@example.com")

    with schema_context(tenant.schema_name):
        error = error_of(writing.edit_review, buyer=other, review_id=created.pk, rating=5)
        assert Review.objects.get(pk=created.pk).rating == 2

    assert (error.code, error.kind) == (ReviewErrorCode.REVIEW_NOT_FOUND, ErrorKind.NOT_FOUND)


def test_a_hidden_review_cannot_be_edited_or_answered(shop):
    tenant = shop["tenant"]
    created = review(shop, make_line(tenant, shop["buyer"], shop["editor"]), 1)
    with schema_context(tenant.schema_name):
        moderation.hide_review(operator=shop["operator"], review_id=created.pk, reason="Abuse")

        edit = error_of(writing.edit_review, buyer=shop["buyer"], review_id=created.pk, rating=5)
        answer = error_of(
            replies.reply_to_review,
            seller=shop["seller"],
            author=shop["seller"].owner,
            review_id=created.pk,
            body="Thanks",
        )

    assert (edit.code, edit.kind) == (ReviewErrorCode.REVIEW_HIDDEN, ErrorKind.CONFLICT)
    assert (answer.code, answer.kind) == (ReviewErrorCode.REVIEW_HIDDEN, ErrorKind.CONFLICT)
    assert ratings(tenant, shop["editor"])["product"] == (0, 0)


def test_hiding_needs_a_reason_tells_the_buyer_and_resolves_the_reports(
    shop, django_capture_on_commit_callbacks
):
    tenant = shop["tenant"]
    created = review(shop, make_line(tenant, shop["buyer"], shop["editor"]), 1)
    reporter = make_user(tenant, "bob@example.com")
    with schema_context(tenant.schema_name):
        reports.report_review(reporter=reporter, review_id=created.pk, reason="abusive")
        missing = error_of(
            moderation.hide_review, operator=shop["operator"], review_id=created.pk, reason="  "
        )
        assert Review.objects.get(pk=created.pk).status == ReviewStatus.PUBLISHED

        with django_capture_on_commit_callbacks(execute=True):
            moderation.hide_review(
                operator=shop["operator"], review_id=created.pk, reason="Insults  the seller"
            )

        hidden = Review.objects.get(pk=created.pk)
        report = ReviewReport.objects.get()
        twice = error_of(
            moderation.hide_review, operator=shop["operator"], review_id=created.pk, reason="x"
        )

    assert (missing.code, missing.kind) == (ReviewErrorCode.REASON_REQUIRED, ErrorKind.INVALID)
    assert (hidden.status, hidden.hidden_reason, hidden.hidden_by_id) == (
        ReviewStatus.HIDDEN,
        "Insults the seller",
        shop["operator"].pk,
    )
    assert (report.resolution, report.resolved_by_id, report.resolved_at is not None) == (
        "hidden",
        shop["operator"].pk,
        True,
    )
    assert (twice.code, twice.kind) == (ReviewErrorCode.INVALID_TRANSITION, ErrorKind.CONFLICT)
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert "Reason: Insults the seller" in mail.outbox[0].body


def test_restoring_a_published_review_is_refused(shop):
    tenant = shop["tenant"]
    created = review(shop, make_line(tenant, shop["buyer"], shop["editor"]), 3)
    with schema_context(tenant.schema_name):
        error = error_of(moderation.restore_review, operator=shop["operator"], review_id=created.pk)
    assert (error.code, error.kind) == (ReviewErrorCode.INVALID_TRANSITION, ErrorKind.CONFLICT)
    assert ratings(tenant, shop["editor"])["product"] == (1, 3)


def test_the_seller_of_the_line_replies_once_and_the_buyer_is_told(
    shop, django_capture_on_commit_callbacks
):
    tenant = shop["tenant"]
    created = review(shop, make_line(tenant, shop["buyer"], shop["editor"]), 3)
    rival = make_seller(tenant, "rival")
    with schema_context(tenant.schema_name):
        foreign = error_of(
            replies.reply_to_review,
            seller=rival,
            author=rival.owner,
            review_id=created.pk,
            body="Buy ours",
        )
        with django_capture_on_commit_callbacks(execute=True):
            reply = replies.reply_to_review(
                seller=shop["seller"],
                author=shop["seller"].owner,
                review_id=created.pk,
                body="  Thanks, fixed in 2.1  ",
            )
        again = error_of(
            replies.reply_to_review,
            seller=shop["seller"],
            author=shop["seller"].owner,
            review_id=created.pk,
            body="Again",
        )
        empty = error_of(
            replies.edit_reply,
            seller=shop["seller"],
            author=shop["seller"].owner,
            review_id=created.pk,
            body=" ",
        )

    assert (foreign.code, foreign.kind) == (ReviewErrorCode.REVIEW_NOT_FOUND, ErrorKind.NOT_FOUND)
    assert (reply.body, reply.seller_id, reply.author_id) == (
        "Thanks, fixed in 2.1",
        shop["seller"].pk,
        shop["seller"].owner_id,
    )
    assert (again.code, again.kind) == (ReviewErrorCode.ALREADY_REPLIED, ErrorKind.CONFLICT)
    assert (empty.code, empty.kind) == (ReviewErrorCode.INVALID_REPLY, ErrorKind.INVALID)
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]
    assert mail.outbox[0].subject.endswith("Acme Tools replied to your review")
    assert event_types(tenant) == ["review.created", "review.replied"]


def test_reports_are_once_per_user_and_not_of_your_own_review(shop):
    tenant = shop["tenant"]
    created = review(shop, make_line(tenant, shop["buyer"], shop["editor"]), 1)
    bob = make_user(tenant, "bob@example.com")
    with schema_context(tenant.schema_name):
        report = reports.report_review(
            reporter=bob, review_id=created.pk, reason="spam", note=" Links  to a shop "
        )
        twice = error_of(reports.report_review, reporter=bob, review_id=created.pk, reason="spam")
        own = error_of(
            reports.report_review, reporter=shop["buyer"], review_id=created.pk, reason="spam"
        )
        bad = error_of(
            reports.report_review,
            reporter=shop["seller"].owner,
            review_id=created.pk,
            reason="boring",
        )
        assert list(ReviewReport.objects.values_list("pk", "note")) == [
            (report.pk, "Links to a shop")
        ]

        dismissed = moderation.dismiss_reports(operator=shop["operator"], review_id=created.pk)
        nothing_left = error_of(
            moderation.dismiss_reports, operator=shop["operator"], review_id=created.pk
        )
        assert ReviewReport.objects.get().resolution == "dismissed"
        assert Review.objects.get().status == ReviewStatus.PUBLISHED

    assert (twice.code, twice.kind) == (ReviewErrorCode.ALREADY_REPORTED, ErrorKind.CONFLICT)
    assert (own.code, own.kind) == (ReviewErrorCode.CANNOT_REPORT_OWN, ErrorKind.CONFLICT)
    assert (bad.code, bad.kind) == (ReviewErrorCode.INVALID_REPORT, ErrorKind.INVALID)
    assert dismissed == 1
    assert (nothing_left.code, nothing_left.kind) == (
        ReviewErrorCode.NO_OPEN_REPORTS,
        ErrorKind.CONFLICT,
    )
    assert ratings(tenant, shop["editor"])["product"] == (1, 1)
