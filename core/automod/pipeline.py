"""The ``Moderator``: runs every check on a piece of content and says whether it goes live or
waits for an operator. The marketplace's policy (banned words, threshold, allowed domains,
repeat window, image bounds) is read once per screening from the cache (one row, dropped
when an operator saves the settings)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cache as memoize

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string

from core.automod.checks import (
    BannedWordsCheck,
    Check,
    CheckResult,
    ClassifierCheck,
    ContactDetailsCheck,
    Content,
    ImageCheck,
    LinksCheck,
    RepeatCount,
    RepeatedTextCheck,
    TextClassifier,
)
from core.automod.models import AutomodSettings, ContentKind, Decision
from core.automod.text import fingerprint
from core.schema import current_schema_name

SETTINGS_CACHE_KEY = "automod:settings"


@dataclass(frozen=True)
class Policy:
    banned_words: tuple[str, ...]
    threshold: float
    allowed_domains: tuple[str, ...]
    repeat_limit: int
    repeat_window_hours: int
    publish_clean_listings: bool
    image_min_side: int
    image_max_side: int
    image_max_bytes: int


def _policy_of(row: AutomodSettings) -> Policy:
    return Policy(
        banned_words=tuple(row.banned_words),
        threshold=row.hold_threshold_percent / 100,
        allowed_domains=tuple(row.allowed_domains),
        repeat_limit=row.repeat_limit,
        repeat_window_hours=row.repeat_window_hours,
        publish_clean_listings=row.publish_clean_listings,
        image_min_side=row.image_min_side,
        image_max_side=row.image_max_side,
        image_max_bytes=row.image_max_bytes,
    )


def current_policy() -> Policy:
    """The marketplace's policy (the cache key is tenant-prefixed by the cache's key
    function); the defaults when the operator never saved any."""
    cached = cache.get(SETTINGS_CACHE_KEY)
    if isinstance(cached, Policy):
        return cached
    row = AutomodSettings.objects.filter(pk=1).first() or AutomodSettings()
    policy = _policy_of(row)
    cache.set(SETTINGS_CACHE_KEY, policy, 300)
    return policy


def forget_policy() -> None:
    cache.delete(SETTINGS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(SETTINGS_CACHE_KEY))


def marketplace_domains() -> list[str]:
    """The current marketplace's own host names (django-tenants' domain model, looked up by
    the connection's schema, so services run in a task or a schema context see them too);
    read only when a text has a link."""
    domain_model = apps.get_model(settings.TENANT_DOMAIN_MODEL)
    names = domain_model.objects.filter(tenant__schema_name=current_schema_name())
    return [str(name) for name in names.values_list("domain", flat=True)]


@memoize
def configured_classifier() -> TextClassifier | None:
    """``settings.AUTOMOD_TEXT_CLASSIFIER`` (a dotted path to a class or factory), or None:
    no classifier by default."""
    path = getattr(settings, "AUTOMOD_TEXT_CLASSIFIER", "")
    if not path:
        return None
    classifier = import_string(path)()
    if not isinstance(classifier, TextClassifier):
        raise TypeError(f"{path} is not a TextClassifier")
    return classifier


@dataclass(frozen=True)
class Screening:
    content: Content
    results: tuple[CheckResult, ...]
    threshold: float
    digest: str

    @property
    def score(self) -> float:
        return max((result.score for result in self.results), default=0.0)

    @property
    def flagged(self) -> list[str]:
        return [r.check for r in self.results if r.score >= self.threshold]

    @property
    def is_held(self) -> bool:
        return bool(self.flagged)

    @property
    def reasons(self) -> list[str]:
        return [r.reason for r in self.results if r.score >= self.threshold and r.reason]


def _repeat_counter(digest: str, content: Content, policy: Policy) -> RepeatCount:
    now = timezone.now()
    since = now - timedelta(hours=policy.repeat_window_hours)
    earlier = Decision.objects.filter(digest=digest, created_at__gte=since, created_at__lte=now)
    if content.object_id is not None:  # a new version of the same item is not a repeat
        earlier = earlier.exclude(kind=content.kind, object_id=content.object_id)
    found = earlier.aggregate(times=Count("id"), accounts=Count("author_id", distinct=True))
    return RepeatCount(earlier=found["times"], accounts=found["accounts"] + 1)


class Moderator:
    """The checks for one kind of content under one policy. Chat messages skip the contact
    check: the chat's own contact filter (operator's choice: off, mask or block, lifted once
    the buyer has paid) already decides what happens to contact details there."""

    def __init__(self, *, policy: Policy, extra_checks: Sequence[Check] = ()) -> None:
        self.policy = policy
        self.extra_checks = tuple(extra_checks)

    def checks_for(self, content: Content, digest: str) -> list[Check]:
        policy = self.policy
        checks: list[Check] = [BannedWordsCheck(policy.banned_words)]
        if content.kind != ContentKind.MESSAGE:
            checks.append(ContactDetailsCheck())
        checks.append(LinksCheck(marketplace_domains, policy.allowed_domains))
        checks.append(
            RepeatedTextCheck(
                lambda: _repeat_counter(digest, content, policy),
                limit=policy.repeat_limit,
                window_hours=policy.repeat_window_hours,
            )
        )
        if content.images:
            checks.append(
                ImageCheck(policy.image_min_side, policy.image_max_side, policy.image_max_bytes)
            )
        classifier = configured_classifier()
        if classifier is not None:
            checks.append(ClassifierCheck(classifier, name=f"classifier:{classifier.name}"[:24]))
        return [*checks, *self.extra_checks]

    def screen(self, content: Content) -> Screening:
        digest = fingerprint(content.text)
        results = tuple(check.run(content) for check in self.checks_for(content, digest))
        return Screening(content, results, self.policy.threshold, digest)
