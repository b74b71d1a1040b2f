""" "Did you mean ...?" for a search that found nothing: each word of the text that is not in
the marketplace's vocabulary is replaced by the closest word that is (edit distance, ties to
the more frequent word).

The vocabulary is the words of the names of what buyers may see on this marketplace, split by
PostgreSQL itself (``regexp_split_to_table``, core PostgreSQL, no extension: the embedded
database has no ``pg_trgm``), the most frequent ``VOCABULARY_SIZE`` of them, cached per tenant
(the cache's key function prefixes the schema) for ``VOCABULARY_SECONDS``. Matching is plain
Python over that list, bounded by length so a query costs microseconds, not a scan."""

from __future__ import annotations

import re

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection

from core.catalog.selectors import visible_products

VOCABULARY_SIZE = 20_000
VOCABULARY_SECONDS = 600
VOCABULARY_CACHE_KEY = "catalog:spelling:vocabulary:v1"
MIN_WORD_LENGTH = 3
WORD = re.compile(r"\w+", re.UNICODE)


def _load_vocabulary() -> dict[str, int]:
    names = visible_products().values("name")
    try:
        sql, params = names.query.sql_with_params()
    except EmptyResultSet:  # no module on this marketplace sells anything
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT word, count(*) AS uses FROM ("
            f" SELECT regexp_split_to_table(lower(name), '[^[:alnum:]]+') AS word FROM ({sql}) n"
            ") w WHERE length(word) >= %s GROUP BY word ORDER BY uses DESC, word LIMIT %s",
            [*params, MIN_WORD_LENGTH, VOCABULARY_SIZE],
        )
        return {word: int(uses) for word, uses in cursor.fetchall()}


def vocabulary() -> dict[str, int]:
    """Word -> how many visible product names use it, for the current tenant."""
    found: dict[str, int] | None = cache.get(VOCABULARY_CACHE_KEY)
    if found is None:
        found = _load_vocabulary()
        cache.set(VOCABULARY_CACHE_KEY, found, VOCABULARY_SECONDS)
    return found


def forget_vocabulary() -> None:
    cache.delete(VOCABULARY_CACHE_KEY)


def edit_distance(left: str, right: str, *, limit: int) -> int:
    """Damerau-Levenshtein (adjacent swaps count one) distance, or ``limit + 1`` as soon as
    it must exceed ``limit``."""
    if abs(len(left) - len(right)) > limit:
        return limit + 1
    previous_previous: list[int] = []
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, start=1):
        current = [i] + [0] * len(right)
        for j, right_char in enumerate(right, start=1):
            cost = 0 if left_char == right_char else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and left_char == right[j - 2] and left[i - 2] == right_char:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous_previous, previous = previous, current
    return previous[-1]


def _allowed_distance(word: str) -> int:
    return 1 if len(word) <= 5 else 2


def closest_word(word: str, words: dict[str, int]) -> str | None:
    """The known word nearest ``word`` (None if it is known, too short or nothing is near)."""
    if len(word) < MIN_WORD_LENGTH or word in words or word.isdigit():
        return None
    limit = _allowed_distance(word)
    best: tuple[int, int, str] | None = None
    for candidate, uses in words.items():
        distance = edit_distance(word, candidate, limit=limit)
        if distance > limit:
            continue
        rank = (distance, -uses, candidate)
        if best is None or rank < best:
            best = rank
    return best[2] if best else None


def did_you_mean(text: str) -> str | None:
    """``text`` with its misspelt words corrected, or None when there is nothing to correct."""
    words = vocabulary()
    if not words:
        return None
    changed = False
    corrected: list[str] = []
    for token in WORD.findall(text.lower())[:8]:
        replacement = closest_word(token, words)
        changed = changed or replacement is not None
        corrected.append(replacement or token)
    return " ".join(corrected) if changed else None
