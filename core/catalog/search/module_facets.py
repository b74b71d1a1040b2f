"""Facets a module adds to catalogue search (``ModuleManifest.search_facets``), the same for
both backends: which are on here, the terms a query requires, the counts as ``ModuleFacet``s,
and the one writer of a product's module terms.

A module's terms live in ``SearchEntry.module_keys`` (written only here) and are merged into
``facet_keys`` (the GIN-indexed filter terms) by this writer and by the entry's sync trigger
(migration 0006), so core's own terms and the module's never overwrite each other."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence

from django.db import connection
from django.utils.module_loading import import_string

from core.catalog.search.query import FacetCount, ModuleFacet, ModuleFacetSpec
from core.registry import get_registry
from core.registry.enablement import enabled_module_keys

MAX_KEYS = 20  # per module and product
KEY_MAX_LENGTH = 90  # SearchEntry.facet_keys' items


@functools.cache
def _specs(dotted_path: str) -> tuple[ModuleFacetSpec, ...]:
    specs: tuple[ModuleFacetSpec, ...] = tuple(import_string(dotted_path))
    return specs


def declared_facets() -> list[ModuleFacetSpec]:
    """The facets of the modules on for the current marketplace, in registry order."""
    enabled = enabled_module_keys()
    return [
        spec
        for manifest in get_registry()
        if manifest.search_facets and manifest.key in enabled
        for spec in _specs(manifest.search_facets)
    ]


def required_keys(value_of: Callable[[str], str | None]) -> tuple[str, ...]:
    """The terms a query requires: ``value_of(param)`` is the buyer's value of each declared
    facet's parameter (None: not filtered). A value that is not an option is refused."""
    keys = []
    for spec in declared_facets():
        value = value_of(spec.param)
        if value in (None, ""):
            continue
        if value not in {option for option, _ in spec.options}:
            raise ValueError(spec.param)
        keys.append(spec.key(str(value)))
    return tuple(keys)


def to_module_facets(counts: Mapping[str, int]) -> list[ModuleFacet]:
    """Counts by term as each declared facet's non-empty options, in the module's order."""
    facets = []
    for spec in declared_facets():
        options = [
            FacetCount(value, label, counts[spec.key(value)])
            for value, label in spec.options
            if counts.get(spec.key(value))
        ]
        if options:
            facets.append(ModuleFacet(param=spec.param, label=spec.label, options=options))
    return facets


def declared_keys() -> list[str]:
    return [spec.key(value) for spec in declared_facets() for value, _ in spec.options]


def set_module_keys(*, product_ids: Sequence[int], prefix: str, keys: Iterable[str]) -> None:
    """Replace these products' terms under ``prefix`` (``"d"`` replaces every ``d:...``) with
    ``keys``, in ``module_keys`` and in the filter terms. The caller's service then reports
    the products changed (``products_changed``) so an external index follows."""
    wanted = sorted(set(keys))
    if len(wanted) > MAX_KEYS or any(
        not key.startswith(f"{prefix}:") or len(key) > KEY_MAX_LENGTH for key in wanted
    ):
        raise ValueError(f"module facet keys must be at most {MAX_KEYS} '{prefix}:...' terms")
    if prefix in {"c", "t", "s", "r"}:
        raise ValueError("c, t, s and r are core's own facet prefixes")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE catalog_searchentry AS entry
            SET module_keys = ARRAY(SELECT key FROM unnest(entry.module_keys) AS key
                                    WHERE NOT starts_with(key, %(start)s))::varchar[]
                              || %(keys)s::varchar[],
                facet_keys = ARRAY(SELECT key FROM unnest(entry.facet_keys) AS key
                                   WHERE NOT starts_with(key, %(start)s))::varchar[]
                             || %(keys)s::varchar[]
            WHERE entry.product_id = ANY(%(ids)s)
            """,
            {"start": f"{prefix}:", "keys": wanted, "ids": list(product_ids)},
        )
