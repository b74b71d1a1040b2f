"""Which kind a test is, from where it lives and what it needs, so a new test is marked the
moment it is written (the root conftest applies these; pyproject.toml registers them with
``--strict-markers``). Select or skip a kind with ``-m``: ``pytest -m "not browser"``."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatch

# marker -> (file patterns relative to the repository root, fixtures): a test gets the marker
# when its file matches a pattern or it uses one of the fixtures, directly or through another.
AUTO_MARKERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "browser": (("tests/browser/*",), ("chromium_executable",)),
    "redis": ((), ("redis_url",)),
    "worker_fault": (("tests/test_*worker_fault*.py",), ()),
    "helm": (("tests/test_helm*.py",), ()),
    "s3": (("tests/test_storage_s3*.py",), ("s3_server",)),
}


def markers_for(relative_path: str, fixture_names: Iterable[str]) -> list[str]:
    fixtures = set(fixture_names)
    return [
        marker
        for marker, (patterns, needs) in AUTO_MARKERS.items()
        if any(fnmatch(relative_path, pattern) for pattern in patterns) or fixtures & set(needs)
    ]
