"""Watched intervals merge into whole seconds exactly like a brute-force set of the seconds
played, whatever the reports look like (overlapping, out of order, duplicated, adjacent,
random), in Python and in the report's SQL statement alike."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modules.courses.services.progress import (
    MERGE_SQL,
    merge_intervals,
    pairs_of,
    total_seconds,
    whole_second,
)

Report = list[tuple[float, float]]


def seconds_of(reports: Report, limit: int | None = None) -> set[int]:
    seconds: set[int] = set()
    for start, end in reports:
        high = whole_second(end) if limit is None else min(whole_second(end), limit)
        seconds.update(range(whole_second(start), high))
    return seconds


def seconds_in(flat: list[int]) -> set[int]:
    return {second for start, end in pairs_of(flat) for second in range(start, end)}


def is_canonical(flat: list[int]) -> bool:
    """Sorted, non-empty, neither overlapping nor touching."""
    pairs = pairs_of(flat)
    return (
        len(flat) % 2 == 0
        and all(start < end for start, end in pairs)
        and all(first[1] < second[0] for first, second in itertools.pairwise(pairs))
    )


interval = st.tuples(
    st.floats(min_value=0, max_value=600, allow_nan=False), st.floats(0.01, 120)
).map(lambda pair: (pair[0], pair[0] + pair[1]))
reports = st.lists(st.lists(interval, max_size=8), max_size=6)


@given(reports)
def test_merging_report_after_report_equals_the_set_of_seconds_played(
    batches: list[Report],
) -> None:
    watched: list[int] = []
    for batch in batches:
        watched = merge_intervals(watched, batch)
        assert is_canonical(watched)
    everything = [pair for batch in batches for pair in batch]
    assert seconds_in(watched) == seconds_of(everything)
    assert total_seconds(watched) == len(seconds_of(everything))


@given(st.lists(interval, max_size=10), st.randoms())
def test_order_and_duplicates_do_not_matter(batch: Report, rng: Any) -> None:
    shuffled = batch * 2
    rng.shuffle(shuffled)
    assert merge_intervals([], shuffled) == merge_intervals([], batch)


def test_the_shapes_players_send() -> None:
    assert merge_intervals([], [(10, 20), (0, 5)]) == [0, 5, 10, 20]  # out of order
    assert merge_intervals([], [(0, 10), (5, 15)]) == [0, 15]  # overlapping
    assert merge_intervals([], [(0, 10), (10, 20)]) == [0, 20]  # adjacent
    assert merge_intervals([0, 10], [(0, 10)]) == [0, 10]  # duplicated
    assert merge_intervals([], [(0, 4.98), (4.98, 10.01)]) == [0, 10]  # rounded
    assert merge_intervals([], [(3.2, 3.4)]) == []  # less than a second
    assert merge_intervals([0, 10, 20, 30], [(9, 21)]) == [0, 30]  # bridges a gap
    assert merge_intervals([], [(90, 130)], limit=100) == [90, 100]  # capped at the length


def sql_merge(old: list[int], new: list[int], limit: int) -> tuple[list[int], int]:
    sql = MERGE_SQL.format(old="%(old)s::int[]", new="%(new)s::int[]", limit="%(limit)s")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"old": old, "new": new, "limit": limit})
        watched, total = cursor.fetchone()
    return list(watched), total


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.lists(interval, max_size=6), max_size=4), st.integers(50, 800))
def test_the_statements_merge_equals_the_reference(batches: list[Report], limit: int) -> None:
    watched: list[int] = []
    expected: list[int] = []
    for batch in batches:
        flat = [whole_second(bound) for pair in batch for bound in pair]
        watched, total = sql_merge(watched, flat, limit)
        expected = merge_intervals(expected, batch, limit=limit)
        assert watched == expected
        assert total == total_seconds(expected)
    everything = [pair for batch in batches for pair in batch]
    assert seconds_in(watched) == seconds_of(everything, limit)
