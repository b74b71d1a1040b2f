"""The consultant's availability editor and session types in the seller studio.

``/studio/consulting/availability/`` has four sections, each its own form with its own Save:
the profile (zone, buffers, notice, horizon, interval, caps, video, reminders and the
cancellation policy within the operator's bounds), the weekly hours (rows of time pairs per
day), date overrides (a day off or custom windows on one date) and a preview of what buyers
see. ``/studio/consulting/session-types/`` lists the seller's ``consult`` products with
their terms, one form per row.

Every write goes through ``modules.consulting.services.availability``; a refusal is shown
beside the field it names with everything as the seller typed it. Row buttons (add or remove
a window or a refund tier, "Copy Monday to weekdays") post the section and get it back
re-drawn from what was posted, saving nothing. With htmx a section swaps itself; without
JavaScript the same forms post the page and a Save redirects back with a flash.

Mounted behind the manifest's permissions (a teammate without ``manage_products`` gets the
403 page; the module off is 404); another seller's product is 404."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.catalog.models import Product
from core.marketplace import current_marketplace
from core.money import CURRENCY_EXPONENTS, Money, MoneyError, check_currency
from core.sellers.auth import authorised_seller
from core.sellers.models import Seller
from modules.consulting.errors import ConsultingError
from modules.consulting.manifest import CONSULT, ConsultingSettings
from modules.consulting.models import (
    ConsultantProfile,
    DateOverride,
    SessionType,
    VideoProvider,
    WeeklyRule,
    default_reminders,
)
from modules.consulting.services import availability
from modules.consulting.services.booking import current_bounds, slots_for
from modules.consulting.services.policy import Policy
from modules.consulting.slots import MINUTES_PER_DAY

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?$")
WHOLE = re.compile(r"^\d{1,7}$")
MAX_TIERS = 5
REMINDER_ROWS = availability.MAX_REMINDERS
UNITS = {"minutes": 1, "hours": 60, "days": 1440}
PREVIEW_DAYS = 7


@cache
def zone_names() -> list[str]:
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


def _hx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _profile(seller: Seller) -> ConsultantProfile | None:
    return ConsultantProfile.objects.filter(seller=seller).first()


def _today(profile: ConsultantProfile | None) -> date:
    zone = ZoneInfo(profile.time_zone if profile else "UTC")
    return timezone.now().astimezone(zone).date()


def _clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"


def _minute(text: str, *, end: bool) -> int | None:
    """ "09:30" -> 570; an end of "00:00" is midnight at the end of the day (1440)."""
    matched = TIME.match(text.strip())
    if matched is None:
        return None
    minute = int(matched.group(1)) * 60 + int(matched.group(2))
    return MINUTES_PER_DAY if end and minute == 0 else minute


@dataclass
class Form:
    """A section as typed (strings, lists of string pairs) and its errors by field."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    note: str = ""  # what the section says after a save or a refused row button


def _place(form: Form, error: ConsultingError, fields: dict[str, str]) -> None:
    """A service's refusal beside the field it names (``fields`` renames), else on top."""
    details = error.details if isinstance(error.details, dict) else {}
    name = str(details.get("field", ""))
    form.errors[fields.get(name, name) if name else "form"] = error.message


# --- the profile -------------------------------------------------------------------------


def _reminder_rows(minutes: list[int]) -> list[tuple[str, str]]:
    rows = []
    for value in minutes[:REMINDER_ROWS]:
        unit = next(u for u in ("days", "hours", "minutes") if value % UNITS[u] == 0)
        rows.append((str(value // UNITS[unit]), unit))
    return rows + [("", "hours")] * (REMINDER_ROWS - len(rows))


def _stored_profile(profile: ConsultantProfile | None) -> Form:
    if profile is None:
        policy = Policy.model_validate({})
        return Form(
            {
                "time_zone": "",
                "buffer_before": "0",
                "buffer_after": "0",
                "min_notice": "120",
                "horizon_mode": "rolling",
                "horizon_days": "60",
                "horizon_start": "",
                "horizon_end": "",
                "slot_interval": "30",
                "max_per_day": "",
                "max_per_week": "",
                "video_provider": VideoProvider.JITSI.value,
                "own_video_link": "",
                "reminders": _reminder_rows(default_reminders()),
                "tiers": [(str(h), str(p)) for h, p in policy.refund_tiers],
                "late_refund_percent": str(policy.late_refund_percent),
                "reschedule_cutoff_hours": str(policy.reschedule_cutoff_hours),
                "cancellation_cutoff_hours": str(policy.cancellation_cutoff_hours),
            }
        )
    policy = Policy.model_validate(profile.policy or {})
    return Form(
        {
            "time_zone": profile.time_zone,
            "buffer_before": str(profile.buffer_before),
            "buffer_after": str(profile.buffer_after),
            "min_notice": str(profile.min_notice),
            "horizon_mode": "range" if profile.horizon_start else "rolling",
            "horizon_days": str(profile.horizon_days),
            "horizon_start": profile.horizon_start.isoformat() if profile.horizon_start else "",
            "horizon_end": profile.horizon_end.isoformat() if profile.horizon_end else "",
            "slot_interval": str(profile.slot_interval),
            "max_per_day": "" if profile.max_per_day is None else str(profile.max_per_day),
            "max_per_week": "" if profile.max_per_week is None else str(profile.max_per_week),
            "video_provider": profile.video_provider,
            "own_video_link": profile.own_video_link,
            "reminders": _reminder_rows(list(profile.reminder_minutes or [])),
            "tiers": [(str(h), str(p)) for h, p in policy.refund_tiers],
            "late_refund_percent": str(policy.late_refund_percent),
            "reschedule_cutoff_hours": str(policy.reschedule_cutoff_hours),
            "cancellation_cutoff_hours": str(policy.cancellation_cutoff_hours),
        }
    )


PROFILE_TEXT = (
    "time_zone",
    "buffer_before",
    "buffer_after",
    "min_notice",
    "horizon_mode",
    "horizon_days",
    "horizon_start",
    "horizon_end",
    "slot_interval",
    "max_per_day",
    "max_per_week",
    "video_provider",
    "own_video_link",
    "late_refund_percent",
    "reschedule_cutoff_hours",
    "cancellation_cutoff_hours",
)


def _pairs(data: QueryDict, first: str, second: str, limit: int) -> list[tuple[str, str]]:
    firsts, seconds = data.getlist(first)[:limit], data.getlist(second)[:limit]
    seconds += [""] * (len(firsts) - len(seconds))
    return [(a.strip()[:20], b.strip()[:20]) for a, b in zip(firsts, seconds, strict=False)]


def _posted_profile(data: QueryDict) -> Form:
    values: dict[str, Any] = {name: data.get(name, "").strip()[:500] for name in PROFILE_TEXT}
    values["reminders"] = _pairs(data, "reminder-amount", "reminder-unit", REMINDER_ROWS)
    values["reminders"] += [("", "hours")] * (REMINDER_ROWS - len(values["reminders"]))
    values["tiers"] = _pairs(data, "tier-hours", "tier-percent", MAX_TIERS + 1)
    return Form(values)


def _whole(form: Form, name: str, *, optional: bool = False) -> int | None:
    text = str(form.values.get(name, "")).strip()
    if not text and optional:
        return None
    if not WHOLE.match(text):
        form.errors[name] = "Leave it empty for no limit." if optional else "Give a whole number."
        return None
    return int(text)


def _day(form: Form, name: str) -> date | None:
    text = str(form.values.get(name, "")).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        form.errors[name] = "Give a date."
        return None


def _profile_data(form: Form) -> availability.ProfileData | None:
    """The service's data, or None with every unreadable field in ``form.errors``."""
    values = form.values
    numbers = {
        name: _whole(form, name)
        for name in ("buffer_before", "buffer_after", "min_notice", "slot_interval")
    }
    caps = {name: _whole(form, name, optional=True) for name in ("max_per_day", "max_per_week")}
    start = end = None
    if values["horizon_mode"] == "range":
        start, end = _day(form, "horizon_start"), _day(form, "horizon_end")
        typed = str(values["horizon_days"])  # kept for when the rolling horizon is back
        horizon_days: int | None = min(max(int(typed), 1), 365) if WHOLE.match(typed) else 60
    else:
        horizon_days = _whole(form, "horizon_days")
    reminders: list[int] = []
    for amount, unit in values["reminders"]:
        if not amount:
            continue
        if not WHOLE.match(amount) or unit not in UNITS:
            form.errors["reminder_minutes"] = "Give each reminder as a whole number."
            continue
        reminders.append(int(amount) * UNITS[unit])
    tiers: list[list[int]] = []
    for hours, percent in values["tiers"]:
        if not hours and not percent:
            continue
        if not (WHOLE.match(hours) and WHOLE.match(percent)):
            form.errors["tiers"] = "Give each tier's hours and percent as whole numbers."
            continue
        tiers.append([int(hours), int(percent)])
    if len(tiers) > MAX_TIERS:
        form.errors["tiers"] = f"At most {MAX_TIERS} refund tiers."
    policy = {
        name: _whole(form, name)
        for name in ("late_refund_percent", "reschedule_cutoff_hours", "cancellation_cutoff_hours")
    }
    if form.errors:
        return None
    return availability.ProfileData(
        time_zone=values["time_zone"],
        buffer_before=numbers["buffer_before"] or 0,
        buffer_after=numbers["buffer_after"] or 0,
        min_notice=numbers["min_notice"] or 0,
        horizon_days=horizon_days or 0,
        slot_interval=numbers["slot_interval"] or 0,
        max_per_day=caps["max_per_day"],
        max_per_week=caps["max_per_week"],
        policy={"refund_tiers": tiers, **policy},
        horizon_start=start,
        horizon_end=end,
        video_provider=values["video_provider"],
        own_video_link=values["own_video_link"],
        reminder_minutes=reminders,
    )


PROFILE_FIELDS = {"policy": "tiers", "rules": "form"}


def _profile_op(form: Form, op: str) -> None:
    tiers: list[tuple[str, str]] = form.values["tiers"]
    verb, _, index = op.partition(":")
    if verb == "add-tier":
        if len(tiers) >= MAX_TIERS:
            form.note = f"At most {MAX_TIERS} refund tiers."
        else:
            tiers.append(("", ""))
    elif verb == "remove-tier" and index.isdigit() and int(index) < len(tiers):
        del tiers[int(index)]


# --- weekly hours ------------------------------------------------------------------------


def _stored_weekly(profile: ConsultantProfile | None) -> Form:
    days: list[list[tuple[str, str]]] = [[] for _ in WEEKDAYS]
    if profile is not None:
        for rule in WeeklyRule.objects.filter(consultant=profile).order_by(
            "weekday", "start_minute"
        ):
            days[rule.weekday].append((_clock(rule.start_minute), _clock(rule.end_minute)))
    return Form({"days": days})


def _posted_weekly(data: QueryDict) -> Form:
    days = [
        _pairs(data, f"day{index}-start", f"day{index}-end", availability.MAX_WINDOWS_PER_DAY)
        for index in range(len(WEEKDAYS))
    ]
    return Form({"days": days})


def _weekly_op(form: Form, op: str) -> None:
    days: list[list[tuple[str, str]]] = form.values["days"]
    verb, _, rest = op.partition(":")
    day, _, index = rest.partition(":")
    if verb == "copy":
        for weekday in range(1, 5):
            days[weekday] = list(days[0])
        form.note = "Monday's hours copied to Tuesday - Friday; save to keep them."
        return
    if not day.isdigit() or int(day) >= len(days):
        return
    windows = days[int(day)]
    if verb == "add":
        if len(windows) >= availability.MAX_WINDOWS_PER_DAY:
            form.errors[f"day{day}"] = "That is as many windows as a day takes."
        elif windows:
            windows.append(("", ""))
        else:
            windows.append(("09:00", "17:00"))
    elif verb == "remove" and index.isdigit() and int(index) < len(windows):
        del windows[int(index)]


def _windows(form: Form, key: str, pairs: list[tuple[str, str]]) -> list[list[int]]:
    """Typed time pairs as minutes; blank rows are dropped, the rest checked like the service
    does (so every day's error shows at once)."""
    windows: list[list[int]] = []
    for start_text, end_text in pairs:
        if not start_text and not end_text:
            continue
        start, end = _minute(start_text, end=False), _minute(end_text, end=True)
        if start is None or end is None:
            form.errors[key] = "Give each window a start and an end time."
            return []
        if end <= start:
            form.errors[key] = f"{_clock(start)} - {_clock(end)} ends before it starts."
            return []
        windows.append([start, end])
    windows.sort()
    for before, after in pairwise(windows):
        if before[1] > after[0]:
            form.errors[key] = (
                f"{_clock(before[0])} - {_clock(before[1])} and "
                f"{_clock(after[0])} - {_clock(after[1])} overlap."
            )
            return []
    return windows


# --- date overrides ----------------------------------------------------------------------


def _blank_override() -> Form:
    return Form({"date": "", "kind": "off", "windows": [("09:00", "12:00")]})


def _posted_override(data: QueryDict) -> Form:
    windows = _pairs(data, "ov-start", "ov-end", availability.MAX_WINDOWS_PER_DAY)
    kind = "custom" if data.get("kind") == "custom" else "off"
    return Form({"date": data.get("date", "").strip()[:10], "kind": kind, "windows": windows})


def _override_op(form: Form, op: str) -> None:
    windows: list[tuple[str, str]] = form.values["windows"]
    verb, _, index = op.partition(":")
    form.values["kind"] = "custom"
    if verb == "add" and len(windows) < availability.MAX_WINDOWS_PER_DAY:
        windows.append(("", ""))
    elif verb == "remove" and index.isdigit() and int(index) < len(windows):
        del windows[int(index)]


@dataclass(frozen=True)
class OverrideRow:
    day: date
    windows: list[str]


def _upcoming(profile: ConsultantProfile | None) -> list[OverrideRow]:
    if profile is None:
        return []
    rows = DateOverride.objects.filter(consultant=profile, date__gte=_today(profile)).order_by(
        "date"
    )[:100]
    return [
        OverrideRow(row.date, [f"{_clock(int(w[0]))} - {_clock(int(w[1]))}" for w in row.windows])
        for row in rows
    ]


# --- the page ----------------------------------------------------------------------------


def _bounds_context(bounds: ConsultingSettings) -> dict[str, int]:
    return {
        "max_policy_hours": bounds.max_policy_hours,
        "min_late_refund_percent": bounds.min_late_refund_percent,
    }


def _context(
    seller: Seller,
    profile: ConsultantProfile | None,
    *,
    profile_form: Form | None = None,
    weekly: Form | None = None,
    override: Form | None = None,
    preview_type: str = "",
) -> dict[str, Any]:
    weekly = weekly or _stored_weekly(profile)
    return {
        "seller": seller,
        "profile": profile,
        "profile_form": profile_form or _stored_profile(profile),
        "weekly": weekly,
        "weekly_days": [
            {
                "index": index,
                "name": name,
                "windows": weekly.values["days"][index],
                "error": weekly.errors.get(f"day{index}", ""),
            }
            for index, name in enumerate(WEEKDAYS)
        ],
        "override": override or _blank_override(),
        "overrides": _upcoming(profile),
        "today": _today(profile),
        "zones": zone_names(),
        "bounds": _bounds_context(current_bounds()),
        "units": list(UNITS),
        "preview": _preview(seller, profile, preview_type),
    }


def _section(
    request: HttpRequest,
    key: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """The whole page (a refusal is 422), or with htmx the one section (``key``) re-drawn
    (200 whatever it says: htmx swaps only a 2xx answer in)."""
    if _hx(request):
        return render(request, f"consulting/studio/availability_{key}.html", context)
    return render(request, "consulting/studio/availability.html", context, status=status)


def _saved(request: HttpRequest, key: str, context: dict[str, Any], note: str) -> HttpResponse:
    if _hx(request):
        context["saved_" + key] = note
        return render(request, f"consulting/studio/availability_{key}.html", context)
    messages.success(request, note)
    return HttpResponseRedirect(f"{reverse('consulting_studio:availability')}#{key}")


@never_cache
@require_http_methods(["GET", "HEAD"])
def availability_page(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    context = _context(seller, _profile(seller), preview_type=request.GET.get("type", ""))
    return render(request, "consulting/studio/availability.html", context)


@require_http_methods(["POST"])
def save_profile(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    profile = _profile(seller)
    form = _posted_profile(request.POST)
    op = request.POST.get("op", "")
    if op:
        _profile_op(form, op)
        return _section(request, "profile", _context(seller, profile, profile_form=form))
    data = _profile_data(form)
    if data is not None:
        try:
            profile = availability.set_profile(seller=seller, data=data, bounds=current_bounds())
        except ConsultingError as refused:
            _place(form, refused, PROFILE_FIELDS)
        else:
            return _saved(request, "profile", _context(seller, profile), "Saved your profile.")
    context = _context(seller, profile, profile_form=form)
    return _section(request, "profile", context, status=422)


@require_http_methods(["POST"])
def save_weekly(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    profile = _profile(seller)
    form = _posted_weekly(request.POST)
    op = request.POST.get("op", "")
    if op:
        _weekly_op(form, op)
        return _section(request, "weekly", _context(seller, profile, weekly=form))
    if profile is None:
        form.errors["form"] = "Save your profile (your time zone first) before your hours."
    rules = {
        weekday: _windows(form, f"day{weekday}", pairs)
        for weekday, pairs in enumerate(form.values["days"])
    }
    if profile is not None and not form.errors:
        try:
            availability.set_weekly_rules(profile=profile, rules=rules)
        except ConsultingError as refused:
            _place(form, refused, {f"rules.{day}": f"day{day}" for day in range(7)})
        else:
            return _saved(request, "weekly", _context(seller, profile), "Saved your weekly hours.")
    return _section(request, "weekly", _context(seller, profile, weekly=form), status=422)


@require_http_methods(["POST"])
def add_override(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    profile = _profile(seller)
    form = _posted_override(request.POST)
    op = request.POST.get("op", "")
    if op:
        _override_op(form, op)
        return _section(request, "overrides", _context(seller, profile, override=form))
    day = _day(form, "date")
    if day is not None and day < _today(profile):
        form.errors["date"] = "Pick today or a later date."
    windows: list[list[int]] = []
    if form.values["kind"] == "custom":
        windows = _windows(form, "windows", form.values["windows"])
        if not windows and "windows" not in form.errors:
            form.errors["windows"] = "Add a window, or choose a day off."
    if profile is None:
        form.errors["form"] = "Save your profile (your time zone first) before dates."
    if profile is not None and day is not None and not form.errors:
        try:
            availability.set_override(profile=profile, day=day, windows=windows)
        except ConsultingError as refused:
            _place(form, refused, {})
        else:
            note = f"Saved {day:%A %-d %B %Y}."
            return _saved(request, "overrides", _context(seller, profile), note)
    return _section(request, "overrides", _context(seller, profile, override=form), status=422)


@require_http_methods(["POST"])
def remove_override(request: HttpRequest, day: str) -> HttpResponse:
    seller = authorised_seller(request)
    profile = _profile(seller)
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Http404("No such date.") from None
    if profile is None or not availability.remove_override(profile=profile, day=parsed):
        raise Http404("No such date.")
    return _saved(request, "overrides", _context(seller, profile), f"Removed {parsed:%-d %B %Y}.")


# --- what buyers see ---------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewDay:
    day: date
    times: list[datetime]


def _preview(seller: Seller, profile: ConsultantProfile | None, chosen: str) -> dict[str, Any]:
    types = list(
        SessionType.objects.filter(consultant__seller=seller, is_active=True)
        .select_related("product", "consultant")
        .order_by("product__name", "pk")[:50]
    )
    session_type = next((t for t in types if str(t.pk) == chosen), types[0] if types else None)
    preview: dict[str, Any] = {"types": types, "chosen": session_type, "days": [], "error": ""}
    if profile is None or session_type is None:
        return preview
    first = _today(profile)
    try:
        slots = slots_for(
            session_type=session_type,
            buyer_zone=profile.time_zone,
            first_day=first,
            last_day=first + timedelta(days=PREVIEW_DAYS - 1),
        )
    except ConsultingError as refused:
        preview["error"] = refused.message
        return preview
    zone = ZoneInfo(profile.time_zone)
    by_day: dict[date, list[datetime]] = {
        first + timedelta(days=n): [] for n in range(PREVIEW_DAYS)
    }
    for slot in slots:
        local = slot.starts_at.astimezone(zone)
        by_day.setdefault(local.date(), []).append(local)
    preview["days"] = [PreviewDay(day, times) for day, times in sorted(by_day.items())]
    return preview


@never_cache
@require_http_methods(["GET", "HEAD"])
def preview(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    profile = _profile(seller)
    if not _hx(request):
        url = reverse("consulting_studio:availability")
        return HttpResponseRedirect(f"{url}?type={request.GET.get('type', '')}#preview")
    context = {
        "profile": profile,
        "preview": _preview(seller, profile, request.GET.get("type", "")),
    }
    return render(request, "consulting/studio/availability_preview.html", context)


# --- session types -----------------------------------------------------------------------


def _price_text(amount: int, currency: str) -> str:
    return str(Decimal(amount).scaleb(-CURRENCY_EXPONENTS.get(currency, 2)))


@dataclass
class TypeRow:
    product: Product
    session_type: SessionType | None
    form: Form


def _stored_row(product: Product, currency: str) -> TypeRow:
    terms: SessionType | None = getattr(product, "session_type", None)
    if terms is None:
        values = {
            "minutes": "",
            "price": "",
            "currency": currency,
            "seats": "1",
            "description": "",
            "is_active": True,
        }
    else:
        values = {
            "minutes": str(terms.minutes),
            "price": _price_text(terms.price, terms.currency),
            "currency": terms.currency,
            "seats": str(terms.seats),
            "description": terms.description,
            "is_active": terms.is_active,
        }
    return TypeRow(product, terms, Form(values))


def _consult_products(seller: Seller) -> Any:
    return Product.objects.filter(seller=seller, product_type=CONSULT).select_related(
        "session_type"
    )


def _type_context(seller: Seller, row: TypeRow | None = None) -> dict[str, Any]:
    return {
        "seller": seller,
        "row": row,
        "currencies": sorted(CURRENCY_EXPONENTS),
        "has_profile": _profile(seller) is not None,
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def session_types(request: HttpRequest) -> HttpResponse:
    seller = authorised_seller(request)
    currency = current_marketplace().default_currency
    rows = [
        _stored_row(p, currency) for p in _consult_products(seller).order_by("name", "id")[:200]
    ]
    context = {**_type_context(seller), "rows": rows}
    return render(request, "consulting/studio/session_types.html", context)


@require_http_methods(["POST"])
def save_session_type(request: HttpRequest, product_id: int) -> HttpResponse:
    seller = authorised_seller(request)
    product = _consult_products(seller).filter(pk=product_id).first()
    if product is None:
        raise Http404("No such consultation product of yours.")
    posted = request.POST
    form = Form(
        {
            "minutes": posted.get("minutes", "").strip()[:10],
            "price": posted.get("price", "").strip()[:20],
            "currency": posted.get("currency", "").strip()[:3],
            "seats": posted.get("seats", "").strip()[:10],
            "description": posted.get("description", "")[:4000],
            "is_active": posted.get("is_active") == "on",
        }
    )
    row = TypeRow(product, getattr(product, "session_type", None), form)
    minutes, seats = _whole(form, "minutes"), _whole(form, "seats")
    price = 0
    try:
        currency = check_currency(form.values["currency"])
    except MoneyError:
        form.errors["currency"] = "Choose a currency."
    else:
        try:
            price = Money.parse(form.values["price"], currency).amount
        except MoneyError:
            places = CURRENCY_EXPONENTS[currency]
            example = "150" if places == 0 else "150." + "0" * places
            form.errors["price"] = f"Give a price in {currency}, like {example}."
    profile = _profile(seller)
    if profile is None:
        form.errors["form"] = "Save your availability profile first."
    if profile is not None and minutes is not None and seats is not None and not form.errors:
        try:
            row.session_type = availability.set_session_type(
                profile=profile,
                product_id=product.pk,
                minutes=minutes,
                price=price,
                currency=currency,
                description=form.values["description"],
                seats=seats,
                is_active=form.values["is_active"],
            )
        except ConsultingError as refused:
            _place(form, refused, {})
        else:
            note = f"Saved {product.name}."
            if not _hx(request):
                messages.success(request, note)
                return HttpResponseRedirect(
                    f"{reverse('consulting_studio:session_types')}#type-{product.pk}"
                )
            saved = _consult_products(seller).get(pk=product.pk)
            row = _stored_row(saved, currency)
            row.form.note = note
    context = _type_context(seller, row)
    if _hx(request):  # 200 even when refused: htmx swaps only a 2xx answer in
        return render(request, "consulting/studio/session_types_row.html", context)
    status = 422 if form.errors else 200
    rows = [
        row if p.pk == product.pk else _stored_row(p, current_marketplace().default_currency)
        for p in _consult_products(seller).order_by("name", "id")[:200]
    ]
    return render(
        request, "consulting/studio/session_types.html", {**context, "rows": rows}, status=status
    )
