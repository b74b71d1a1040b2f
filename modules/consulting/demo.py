"""Consult Corner's consultations, made through the same services the product uses, each step
on its own moment of the last weeks (time-machine), so the pages, the calendars and the
ledger agree:

- three consultants in their own zones (London, New York, Singapore), each with a 30-minute
  intro call, a 60-minute deep dive and a group workshop with seats, weekly hours, a
  cancellation policy with refund tiers, reminders 24 h and 1 h before; a holiday and a late
  day among their date overrides; Agenda Studio opens a date range (this season) instead of
  a rolling horizon;
- sessions bought the one real way (a hold, its offer into the cart, the checkout; the money
  held in escrow, fulfilment booking the slot) by demo buyers in their own zones: past
  sessions completed with their escrow released after the dispute window, upcoming booked
  ones (a workshop with several seats taken), one cancelled by its buyer with a tiered
  refund, one called off by its consultant (refunded in full), and one held right now while
  its buyer pays.

Deadlines due on the way (reminders, escrow releases) fire at their own moments; every
deadline still pending lies in the future."""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from core import events
from core.accounts.models import User
from core.catalog.models import Category, Product
from core.catalog.services.categories import create_category
from core.catalog.services.moderation import approve_product
from core.catalog.services.products import ProductData, create_product, transition
from core.commerce.models import OrderLine
from core.commerce.services.cart import add_offer, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.commerce.services.fulfilment import fulfil_line
from core.deadlines.models import Deadline, DeadlineStatus
from core.deadlines.sweep import sweep_due_deadlines
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from modules.consulting.manifest import CONSULT
from modules.consulting.models import Booking, SessionType
from modules.consulting.services import availability, follow_ups, notes
from modules.consulting.services.booking import current_bounds, hold_slot, slots_for
from modules.consulting.services.cancellation import cancel_by_buyer, cancel_by_consultant
from tenants.demo.people import demo_buyer, demo_seller, illustrate


@dataclass(frozen=True)
class DemoSession:
    kind: str  # "intro", "deep_dive" or "workshop"
    name: str
    minutes: int
    price: int  # USD cents
    summary: str
    description: str
    seats: int = 1


@dataclass(frozen=True)
class DemoConsultant:
    slug: str
    business_name: str
    bio: str
    category: str
    time_zone: str
    weekly: dict[int, list[list[int]]]  # weekday (Monday 0) -> [start, end] minutes
    sessions: tuple[DemoSession, ...]
    policy: dict[str, object]
    buffer_after: int = 10
    min_notice: int = 240
    max_per_day: int | None = None
    # (days from today, windows): () is a day off, e.g. a holiday; later hours a late day.
    overrides: tuple[tuple[int, tuple[tuple[int, int], ...]], ...] = ()
    season_days: int | None = None  # a date range (today .. +days) instead of rolling


@dataclass(frozen=True)
class ConsultCatalogue:
    categories: tuple[tuple[str, str], ...]
    consultants: tuple[DemoConsultant, ...]
    buyers: tuple[tuple[str, str], ...] = field(default=())  # name, IANA zone


TIERED = {
    "refund_tiers": [[48, 100], [24, 50]],
    "late_refund_percent": 0,
    "reschedule_cutoff_hours": 24,
    "cancellation_cutoff_hours": 2,
}

CONSULT_CORNER = ConsultCatalogue(
    categories=(
        ("Pricing & finance", "Price your work, plan your cash and get paid on time."),
        ("Clients & growth", "Win clients, keep them and grow a practice you enjoy."),
        ("Workshops & facilitation", "Run sessions people remember, online or in the room."),
    ),
    consultants=(
        DemoConsultant(
            slug="ledgerline",
            business_name="Ledgerline",
            bio=(
                "Hannah Price, chartered accountant in London: twelve years of helping "
                "independent consultants price their work, set up retainers and keep their "
                "cash flow calm."
            ),
            category="Pricing & finance",
            time_zone="Europe/London",
            weekly={
                **{day: [[540, 750], [810, 1050]] for day in range(4)},  # Mon-Thu
                4: [[540, 780]],  # Friday mornings
            },
            sessions=(
                DemoSession(
                    "intro",
                    "Pricing check-up (30 min)",
                    30,
                    4500,
                    "A quick look at your rates and what to change first.",
                    "Bring your current rates and one recent proposal. We look at how you "
                    "price, what the market pays for it and the one change worth making this "
                    "month.",
                ),
                DemoSession(
                    "deep_dive",
                    "Retainer and rate deep dive (60 min)",
                    60,
                    14000,
                    "Turn hourly work into retainers clients renew.",
                    "We go through your last six months of work, design a retainer offer "
                    "with clear scope, and rehearse the conversation with your best client. "
                    "You leave with a one-page pricing sheet.",
                ),
                DemoSession(
                    "workshop",
                    "Cash-flow clinic (group, 90 min)",
                    90,
                    3500,
                    "A small-group clinic on invoicing, deposits and late payers.",
                    "Up to six independents work through their own numbers: deposits, "
                    "payment terms, chasing late invoices and a three-month cash forecast.",
                    seats=6,
                ),
            ),
            policy=TIERED,
            max_per_day=6,
            overrides=(
                (9, ()),  # a holiday
                (11, ((720, 1200),)),  # a late day for clients in the Americas
            ),
        ),
        DemoConsultant(
            slug="clientwise",
            business_name="Clientwise",
            bio=(
                "Daniel Ortiz, client-relationship coach in New York: former agency partner, "
                "now helping practices of one to twenty win better clients and keep them."
            ),
            category="Clients & growth",
            time_zone="America/New_York",
            weekly={day: [[600, 720], [780, 1080]] for day in range(5)},  # Mon-Fri
            sessions=(
                DemoSession(
                    "intro",
                    "Client pipeline intro (30 min)",
                    30,
                    5000,
                    "Where your next three clients come from.",
                    "A focused half hour on your pipeline: who refers you, who you lose and "
                    "the follow-up habit that fixes most of it.",
                ),
                DemoSession(
                    "deep_dive",
                    "Proposal teardown (60 min)",
                    60,
                    16000,
                    "We rewrite your weakest proposal together.",
                    "Send a proposal that did not land. We tear it down, rebuild the scope "
                    "and the pricing options, and write the follow-up e-mail together.",
                ),
                DemoSession(
                    "workshop",
                    "Referral engine workshop (group, 90 min)",
                    90,
                    4000,
                    "Build a referral routine in a group of eight.",
                    "A hands-on group session: map your network, draft three referral asks "
                    "and set up a monthly routine that keeps them coming.",
                    seats=8,
                ),
            ),
            policy={**TIERED, "refund_tiers": [[72, 100], [24, 50]]},
            buffer_after=15,
            overrides=(
                (6, ((600, 720),)),  # a short day
                (13, ()),  # a day off
            ),
        ),
        DemoConsultant(
            slug="agenda-studio",
            business_name="Agenda Studio",
            bio=(
                "Mei Lin Tan, facilitator in Singapore: designs workshops, offsites and "
                "retrospectives for teams across Asia and Europe."
            ),
            category="Workshops & facilitation",
            time_zone="Asia/Singapore",
            weekly={day: [[540, 720], [780, 1020]] for day in range(1, 6)},  # Tue-Sat
            sessions=(
                DemoSession(
                    "intro",
                    "Workshop design intro (30 min)",
                    30,
                    4000,
                    "Tell me about your session; leave with an outline.",
                    "Thirty minutes on your goals, your group and your time box. You get an "
                    "outline of the agenda and the two activities that fit best.",
                ),
                DemoSession(
                    "deep_dive",
                    "Agenda deep dive (60 min)",
                    60,
                    12000,
                    "A timed agenda, block by block.",
                    "We build your agenda minute by minute: openings, activities, breaks and "
                    "the close, with a plan B for when a block runs over.",
                ),
                DemoSession(
                    "workshop",
                    "Facilitation basics (group, 120 min)",
                    120,
                    5500,
                    "Practise facilitation in a small online group.",
                    "Up to ten people practise opening a session, running an activity and "
                    "landing decisions, with feedback from the group.",
                    seats=10,
                ),
            ),
            policy={**TIERED, "refund_tiers": [[48, 100], [12, 50]], "late_refund_percent": 10},
            min_notice=720,
            overrides=((8, ((840, 1260),)),),  # a late day for European teams
            season_days=42,
        ),
    ),
    buyers=(
        ("Amara Okafor", "Europe/London"),
        ("Jonas Weber", "Europe/Berlin"),
        ("Lucía Fernández", "Europe/Madrid"),
        ("Hiroshi Tanaka", "Asia/Tokyo"),
        ("Priya Raman", "Asia/Kolkata"),
        ("Tom Becker", "America/Chicago"),
        ("Sofia Rossi", "Europe/Rome"),
        ("Mateo Silva", "America/Sao_Paulo"),
        ("Chloé Martin", "Europe/Paris"),
        ("Noah Williams", "America/Los_Angeles"),
        ("Leila Haddad", "Asia/Dubai"),
        ("Erik Lindqvist", "Europe/Stockholm"),
    ),
)


# What the demo shows, per consultant: (scenario, session kind, booked days ago or from now,
# session days from now, local hour wanted). Past sessions are booked days before they ran.
Plan = tuple[str, str, float, float, int]
PLANS: tuple[Plan, ...] = (
    ("completed", "deep_dive", -24, -18, 10),
    ("completed", "intro", -15, -11, 14),
    ("completed", "workshop", -12, -8, 11),
    ("completed", "workshop", -10, -8, 11),  # a second seat in the same workshop
    ("completed", "intro", -6, -4, 15),
    ("booked", "deep_dive", -5, 3, 10),
    ("booked", "intro", -2, 5, 14),
    ("booked", "workshop", -4, 7, 11),
    ("booked", "workshop", -3, 7, 11),
    ("booked", "workshop", -1, 7, 11),
    ("buyer_cancelled", "deep_dive", -10, -3, 15),
    ("consultant_cancelled", "intro", -7, 4, 10),
    ("held", "intro", 0, 6, 10),
)


def populate(tenant_slug: str, *, password: str, seed: int) -> bool:
    """``manifest.demo``: Consult Corner's consultants, their calendars and bookings, in the
    current schema. False (nothing done) for another marketplace or when consultations are
    sold there already."""
    catalogue = CATALOGUES.get(tenant_slug)
    if catalogue is None:
        return False
    slugs = [consultant.slug for consultant in catalogue.consultants]
    if (
        SessionType.objects.exists()
        or Seller.objects.filter(slug__in=slugs).exists()
        or Product.objects.filter(product_type=CONSULT).exists()
    ):
        return False
    populate_consulting(catalogue, password=password, seed=seed)
    return True


@dataclass
class _Desk:
    seller: Seller
    spec: DemoConsultant
    types: dict[str, SessionType]


def populate_consulting(
    catalogue: ConsultCatalogue, *, password: str, seed: int
) -> dict[str, list[Booking]]:
    """The consultants, their calendars, buyers and bookings; returns the bookings by
    scenario."""
    rng = random.Random(seed)
    now = timezone.now()
    with _at(now - timedelta(days=40)):
        categories = {
            name: create_category(name=name, description=description, position=index)
            for index, (name, description) in enumerate(catalogue.categories)
        }
        desks = [_desk(spec, categories, password) for spec in catalogue.consultants]
        buyers = [(demo_buyer(name, password), zone) for name, zone in catalogue.buyers]
    made: dict[str, list[Booking]] = {}
    timeline = _Timeline()
    for index, desk in enumerate(desks):
        for number, plan in enumerate(PLANS):
            buyer, zone = buyers[(index * 5 + number) % len(buyers)]
            _plan(timeline, rng, desk, plan, buyer, zone, now, made)
    timeline.run()
    _settle(now)
    with _at(now):
        for desk in desks:
            _finish_calendar(desk, now)
        events.dispatch_pending()
    for booking in made.get("completed", []):
        _write_up(booking)
    return made


WRITE_UP = (
    "Thanks for a focused session. What we agreed: keep the scope to the three accounts "
    "that bring in 80 % of revenue, and review the numbers again in four weeks."
)
FOLLOW_UPS = (
    ("Send last quarter's figures before the next session", True),
    ("Draft the one-page plan we sketched and share it here", False),
)


def _write_up(booking: Booking) -> None:
    """What a consultant leaves after a session: a shared note, a private one, and the
    follow-up tasks (one already done by the buyer), written an hour after it ended."""
    booking = Booking.objects.select_related("consultant__seller__owner", "buyer").get(
        pk=booking.pk
    )
    consultant = booking.consultant.seller.owner
    with _at(booking.ends_at + timedelta(hours=1)):
        notes.add_note(
            booking=booking, actor=consultant, role="consultant", body=WRITE_UP, is_shared=True
        )
        notes.add_note(
            booking=booking,
            actor=consultant,
            role="consultant",
            body="Keen but stretched thin; suggest the workshop next.",
        )
        for text, done in FOLLOW_UPS:
            task = follow_ups.add_follow_up(
                booking=booking,
                actor=consultant,
                role="consultant",
                text=text,
                due_on=(booking.ends_at + timedelta(days=14)).date(),
            )
            if done:
                follow_ups.tick_follow_up(
                    booking=booking,
                    actor=booking.buyer,
                    role="buyer",
                    follow_up_id=task.pk,
                    is_done=True,
                )


class _Timeline:
    """Steps run in order of time, each on its own moment (a step may add later ones);
    the deadlines that fell due on the way fire first, when they were due."""

    def __init__(self) -> None:
        self._steps: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def add(self, moment: datetime, step: Callable[[], None]) -> None:
        heapq.heappush(self._steps, (moment, next(self._order), step))

    def run(self) -> None:
        while self._steps:
            moment, _, step = heapq.heappop(self._steps)
            _settle(moment)
            with _at(moment):
                step()
                events.dispatch_pending()


def _at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def _settle(until: datetime) -> None:
    """Fire the deadlines due before ``until``, each at its own moment."""
    while True:
        due = (
            Deadline.objects.filter(status=DeadlineStatus.PENDING, next_attempt_at__lt=until)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if due is None:
            return
        with _at(due):
            swept = sweep_due_deadlines(now=due)
            events.dispatch_pending()
        if not (swept.fired or swept.retrying or swept.failed or swept.skipped):
            return  # only tasks of modules that are off are due: they wait


def _desk(spec: DemoConsultant, categories: dict[str, Category], password: str) -> _Desk:
    seller = demo_seller(
        slug=spec.slug,
        business_name=spec.business_name,
        bio=spec.bio,
        product_types=[CONSULT],
        password=password,
    )
    profile = availability.set_profile(
        seller=seller,
        data=availability.ProfileData(
            time_zone=spec.time_zone,
            buffer_after=spec.buffer_after,
            min_notice=spec.min_notice,
            horizon_days=60,
            slot_interval=30,
            max_per_day=spec.max_per_day,
            policy=dict(spec.policy),
        ),
        bounds=current_bounds(),
    )
    availability.set_weekly_rules(profile=profile, rules=spec.weekly)
    types: dict[str, SessionType] = {}
    for session in spec.sessions:
        product = create_product(
            seller=seller,
            data=ProductData(
                name=session.name,
                product_type=CONSULT,
                prices={"USD": session.price},
                summary=session.summary,
                description=session.description,
                category_slug=categories[spec.category].slug,
                tags=[session.kind.replace("_", "-"), "video"],
                features=[f"{session.minutes} minutes by video"]
                + ([f"Up to {session.seats} people"] if session.seats > 1 else []),
            ),
        )
        illustrate(product)
        transition(product=product, action="publish")
        approve_product(product=product)
        types[session.kind] = availability.set_session_type(
            profile=profile,
            product_id=product.pk,
            minutes=session.minutes,
            price=session.price,
            currency="USD",
            description=session.description,
            seats=session.seats,
        )
    return _Desk(seller, spec, types)


def _finish_calendar(desk: _Desk, now: datetime) -> None:
    """Overrides on days ahead that nothing is booked on (a holiday, a late day), and the
    season's date range for a consultant who opens one."""
    profile = desk.types["intro"].consultant
    zone = ZoneInfo(desk.spec.time_zone)
    today = now.astimezone(zone).date()
    busy = {
        start.astimezone(zone).date()
        for start in Booking.objects.filter(
            consultant=profile, status__in=("held", "booked")
        ).values_list("starts_at", flat=True)
    }
    for offset, windows in desk.spec.overrides:
        day = today + timedelta(days=offset)
        while day in busy:
            day += timedelta(days=1)
        availability.set_override(profile=profile, day=day, windows=[list(w) for w in windows])
    if desk.spec.season_days is not None:
        availability.set_profile(
            seller=desk.seller,
            data=availability.ProfileData(
                time_zone=desk.spec.time_zone,
                buffer_after=desk.spec.buffer_after,
                min_notice=desk.spec.min_notice,
                slot_interval=30,
                max_per_day=desk.spec.max_per_day,
                policy=dict(desk.spec.policy),
                horizon_start=today,
                horizon_end=today + timedelta(days=desk.spec.season_days),
            ),
            bounds=current_bounds(),
        )


# --- one booking's life, step by step on its own dates --------------------------------------


def _plan(
    timeline: _Timeline,
    rng: random.Random,
    desk: _Desk,
    plan: Plan,
    buyer: User,
    buyer_zone: str,
    now: datetime,
    made: dict[str, list[Booking]],
) -> None:
    scenario, kind, booked_days, session_days, hour = plan
    session_type = desk.types[kind]
    zone = ZoneInfo(desk.spec.time_zone)
    booked_at = now + timedelta(days=booked_days, minutes=rng.randint(-300, -5))
    if scenario == "held":
        booked_at = now - timedelta(minutes=3)
    session_day = (now + timedelta(days=session_days)).astimezone(zone).date()

    def book() -> None:
        starts_at = _pick_slot(session_type, session_day, hour, zone)
        booking = hold_slot(
            buyer=buyer,
            session_type_id=session_type.pk,
            starts_at=starts_at,
            buyer_zone=buyer_zone,
        )
        assert booking.offer_id is not None
        cart = get_or_create_cart(buyer=buyer, token=None)
        add_offer(cart=cart, buyer=buyer, offer_id=booking.offer_id)
        if scenario != "held":
            _checkout(rng, buyer)
        made.setdefault(scenario, []).append(Booking.objects.get(pk=booking.pk))
        if scenario == "buyer_cancelled":
            # 30 hours before the start: the policy's middle tier (50 % back).
            timeline.add(starts_at - timedelta(hours=30), lambda: buyer_cancels(booking.pk))
        if scenario == "consultant_cancelled":
            timeline.add(now - timedelta(days=1, hours=2), lambda: consultant_cancels(booking.pk))

    def buyer_cancels(booking_id: int) -> None:
        cancel_by_buyer(buyer=buyer, booking_id=booking_id)
        _refresh(made, booking_id)

    def consultant_cancels(booking_id: int) -> None:
        cancel_by_consultant(seller=desk.seller, booking_id=booking_id)
        _refresh(made, booking_id)

    timeline.add(booked_at, book)


def _refresh(made: dict[str, list[Booking]], booking_id: int) -> None:
    for bookings in made.values():
        for index, item in enumerate(bookings):
            if item.pk == booking_id:
                bookings[index] = Booking.objects.get(pk=booking_id)


def _pick_slot(session_type: SessionType, day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The free slot nearest ``hour`` on ``day`` in the consultant's zone (a group
    workshop's existing session first), else on the next days."""
    for offset in (0, 1, -1, 2, -2, 3, -3, 4, 5, 6, 7, 8, 9, 10):
        wanted = day + timedelta(days=offset)
        offered = slots_for(
            session_type=session_type,
            buyer_zone=str(zone),
            first_day=wanted,
            last_day=wanted,
        )
        if offered:
            joinable = [slot for slot in offered if slot.seats_left < session_type.seats]
            pool = joinable or offered
            best = min(pool, key=lambda slot: abs(slot.starts_at.hour - hour))
            return best.starts_at.astimezone(UTC)
    raise RuntimeError(f"no free slot for {session_type} from {day}")


def _checkout(rng: random.Random, buyer: User) -> None:
    """Commerce's checkout of the buyer's cart with the sandbox card; the line's fulfilment
    books the slot (run here too, in case no worker is listening: it does nothing the second
    time)."""
    cart = get_or_create_cart(buyer=buyer, token=None)
    order, _, _ = checkout_cart(
        buyer=buyer,
        cart=cart,
        details=CheckoutInput(country=rng.choice(("GB", "DE", "US", "SG")), name=buyer.full_name),
        idempotency_key=uuid.uuid4().hex,
        payment_method=SUCCESS_CARD,
    )
    for line in OrderLine.objects.filter(order=order):
        fulfil_line(line_id=line.pk)


CATALOGUES = {"consult-corner": CONSULT_CORNER}
