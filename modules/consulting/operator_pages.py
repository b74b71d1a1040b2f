"""The operator's consulting pages, mounted at ``/operator/consulting/`` for operators past
the second factor (core guards the area; everything read is in the current marketplace's
schema, so another marketplace's bookings are out of reach):

- ``home``: bookings across consultants, filtered by state, consultant and dates, in pages;
  counts by state, sessions per week over the last 12 weeks, cancellations, refunds and
  no-shows; and the marketplace's bounds on consultants (``ConsultingSettings``), saved
  through the marketplace's module settings like the Modules page does;
- ``booking``: one booking's facts, read-only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.charts import Chart, Series
from core.errors import DomainError
from core.money import Money
from core.registry.enablement import enabled_module_keys
from core.sellers.models import Seller
from modules.consulting.manifest import ConsultingSettings, manifest
from modules.consulting.models import Booking, BookingStatus
from modules.consulting.studio_calendar_pages import STATE_LABELS, booking_facts, state_of
from tenants.backoffice.setup.settings_form import ModuleSettingsForm
from tenants.models import Tenant
from tenants.services.modules import set_module_enabled

PER_PAGE = 25
WEEKS, WEEKS_AHEAD = 12, 4
# The bounds form's labels and help (the settings model's field names are terse).
BOUNDS = {
    "hold_minutes": ("Hold a slot for (minutes)", "While the buyer reaches the checkout."),
    "dispute_window_hours": (
        "Dispute window (hours)",
        "After a session ends; escrow is released when it closes.",
    ),
    "max_policy_hours": (
        "Longest notice a consultant may ask (hours)",
        "For any refund tier or cut-off.",
    ),
    "min_late_refund_percent": (
        "Least refund for a late cancellation (%)",
        "What a buyer cancelling at the last moment gets back at least.",
    ),
    "join_early_minutes": ("Join opens early by (minutes)", "Before the start."),
    "video_grace_minutes": ("Video grace (minutes)", "Rooms stay open this long after the end."),
    "no_show_after_minutes": (
        "No-show reports from (minutes after the start)",
        "Until the dispute window closes.",
    ),
    "max_file_mb": ("Largest shared file (MB)", "Per document shared in a booking."),
}


def _tenant(request: HttpRequest) -> Tenant:
    tenant: Tenant = request.tenant  # type: ignore[attr-defined]
    return tenant


def _require_module() -> None:
    if manifest.key not in enabled_module_keys():
        raise Http404("No such page.")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filtered(request: HttpRequest) -> tuple[QuerySet[Booking], dict[str, str]]:
    status = request.GET.get("status", "")
    consultant = request.GET.get("consultant", "")
    since, until = _day(request.GET.get("from", "")), _day(request.GET.get("to", ""))
    bookings = Booking.objects.select_related(
        "session_type__product", "buyer", "consultant__seller"
    )
    if status == "no_show":
        bookings = bookings.exclude(no_show="")
    elif status in BookingStatus.values:
        bookings = bookings.filter(status=status)
    else:
        status = ""
    if consultant.isdigit():
        bookings = bookings.filter(consultant__seller_id=int(consultant))
    else:
        consultant = ""
    # Days in UTC, ``to`` included.
    if since:
        bookings = bookings.filter(starts_at__gte=datetime.combine(since, time(0), tzinfo=UTC))
    if until:
        end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=UTC)
        bookings = bookings.filter(starts_at__lt=end)
    chosen = {
        "status": status,
        "consultant": consultant,
        "from": since.isoformat() if since else "",
        "to": until.isoformat() if until else "",
    }
    return bookings.order_by("-starts_at", "-id"), chosen


def _rows(bookings: list[Booking], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": booking.pk,
            "title": booking.session_type.product.name,
            "consultant": booking.consultant.seller.business_name,
            "buyer": booking.buyer.email,
            "starts_at": booking.starts_at,
            "state": (state := state_of(booking, now)),
            "state_label": STATE_LABELS[state],
            "amount": str(Money(booking.amount, booking.currency)),
            "refunded": str(Money(booking.refunded_amount, booking.currency))
            if booking.refunded_amount
            else "",
        }
        for booking in bookings
    ]


def sessions_per_week(now: datetime) -> Chart:
    """Booked sessions (completed ones too) by the week they start in: the last 12 weeks
    (UTC Mondays, this one included) and the 4 booked ahead."""
    this_monday = now.date() - timedelta(days=now.weekday())
    first = this_monday - timedelta(weeks=WEEKS - 1)
    since = datetime.combine(first, time(0), tzinfo=UTC)
    until = since + timedelta(weeks=WEEKS + WEEKS_AHEAD)
    counts = {
        week.date(): count
        for week, count in Booking.objects.filter(
            starts_at__gte=since,
            starts_at__lt=until,
            status__in=(BookingStatus.BOOKED, BookingStatus.COMPLETED),
        )
        .annotate(week=TruncWeek("starts_at", tzinfo=UTC))
        .values_list("week")
        .annotate(count=Count("pk"))
        .values_list("week", "count")
        .order_by()
    }
    weeks = [first + timedelta(weeks=index) for index in range(WEEKS + WEEKS_AHEAD)]
    return Chart(
        id="consulting-weekly",
        title="Sessions per week",
        kind="bar",
        labels=[week.strftime("%d %b") for week in weeks],
        series=[Series("Sessions", [counts.get(week, 0) for week in weeks])],
        description="Booked and completed sessions by the week (UTC) they start in: "
        "the last 12 weeks and the next 4.",
        empty_message="No sessions in the last 12 weeks or the next 4.",
    )


def _figures() -> dict[str, Any]:
    counts = dict(Booking.objects.values_list("status").annotate(count=Count("pk")).order_by())
    refunds = (
        Booking.objects.filter(refunded_amount__gt=0)
        .values_list("currency")
        .annotate(total=Sum("refunded_amount"), count=Count("pk"))
        .order_by("currency")
    )
    no_shows = dict(
        Booking.objects.exclude(no_show="")
        .values_list("no_show")
        .annotate(count=Count("pk"))
        .order_by()
    )
    cancelled = dict(
        Booking.objects.filter(status=BookingStatus.CANCELLED)
        .values_list("cancelled_by")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {
        "counts": [(value, label, counts.get(value, 0)) for value, label in BookingStatus.choices],
        "total": sum(counts.values()),
        "cancelled": counts.get(BookingStatus.CANCELLED, 0),
        "cancelled_by_buyer": cancelled.get("buyer", 0),
        "cancelled_by_consultant": cancelled.get("consultant", 0),
        "refunds": [
            {"amount": str(Money(int(total), currency)), "count": count}
            for currency, total, count in refunds
        ],
        "no_shows": sum(no_shows.values()),
        "no_show_buyer": no_shows.get("buyer", 0),
        "no_show_consultant": no_shows.get("consultant", 0),
    }


def bounds_form(request: HttpRequest, data: Any = None) -> ModuleSettingsForm:
    current = manifest.settings_for(_tenant(request)).model_dump(mode="json")
    form = ModuleSettingsForm(ConsultingSettings, current=current, data=data, prefix="bounds")
    for name, (label, help_text) in BOUNDS.items():
        if name in form.fields:
            form.fields[name].label = label
            form.fields[name].help_text = help_text
    return form


def _home_context(request: HttpRequest, form: ModuleSettingsForm) -> dict[str, Any]:
    now = timezone.now()
    bookings, chosen = _filtered(request)
    page = Paginator(bookings, PER_PAGE).get_page(request.GET.get("page"))
    keep = "&".join(f"{key}={value}" for key, value in chosen.items() if value)
    consultants = (
        Seller.objects.filter(consultant_profile__isnull=False)
        .order_by("business_name")
        .values_list("pk", "business_name")
    )
    return {
        "module": manifest,
        **_figures(),
        "chart": sessions_per_week(now),
        "rows": _rows(list(page.object_list), now),
        "page": page,
        "chosen": chosen,
        "keep": keep,
        "statuses": [*BookingStatus.choices, ("no_show", "No-shows")],
        "consultants": [(str(pk), name) for pk, name in consultants],
        "form": form,
    }


@never_cache
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    _require_module()
    context = _home_context(request, bounds_form(request))
    return render(request, "consulting/operator.html", context)


@require_POST
def save_bounds(request: HttpRequest) -> HttpResponse:
    """The marketplace's bounds on consultants, through the module settings service (the
    change applies to slots held from now on; bookings keep their snapshot)."""
    _require_module()
    form = bounds_form(request, data=request.POST)
    if form.is_valid():
        try:
            set_module_enabled(
                tenant=_tenant(request), key=manifest.key, is_enabled=True, config=form.validated
            )
        except DomainError as error:
            form.add_error(None, error.message)
    if not form.is_valid():
        context = _home_context(request, form)
        return render(request, "consulting/operator.html", context, status=400)
    messages.success(request, "Consulting bounds saved: they apply to sessions booked from now.")
    return HttpResponseRedirect(reverse("consulting_operator:home") + "#bounds")


@never_cache
@require_http_methods(["GET", "HEAD"])
def booking(request: HttpRequest, booking_id: int) -> HttpResponse:
    _require_module()
    found = (
        Booking.objects.select_related("session_type__product", "buyer", "consultant__seller")
        .filter(pk=booking_id)
        .first()
    )
    if found is None:
        raise Http404("No such booking.")
    context = {
        "module": manifest,
        **booking_facts(found, found.consultant.time_zone, timezone.now(), viewer="operator"),
        "consultant_name": found.consultant.seller.business_name,
        "consultant_label": "The consultant's time",
    }
    return render(request, "consulting/operator_booking.html", context)
