"""``{{ seconds|lesson_length }}``: a length people read at a glance ("24 s", "7 min",
"1 min 40 s", "1 h 05 min"), never "0 min" for a short lesson."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def lesson_length(seconds: int | float | None) -> str:
    total = max(0, round(seconds or 0))
    if total < 60:
        return f"{total} s"
    if total < 600 and total % 60:
        return f"{total // 60} min {total % 60} s"
    minutes = round(total / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
