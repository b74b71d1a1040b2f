"""The one CSV writer of every export people open in a spreadsheet (products, reports, the
marketplace export). A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return would run as a formula there (``=HYPERLINK(...)`` in a product name), so it
gets a leading apostrophe, as OWASP's CSV injection guidance says. Numbers are written as
numbers: a negative amount passed as an int or a Decimal stays ``-12.50``.

``unescape_cell`` undoes it for files we read back (the product import), so an export
edited and imported again keeps ``- first feature`` as it was."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


class SafeWriter:
    """``csv.writer``'s ``writerow``/``writerows`` with every text cell escaped."""

    def __init__(self, out: SupportsWrite[str]) -> None:
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([escape_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: SupportsWrite[str]) -> SafeWriter:
    return SafeWriter(out)
