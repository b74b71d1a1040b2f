"""A demo marketplace's gigs (professional services), made through the same services the
product uses, each step on its own moment of the last weeks (time-machine), so the order
pages, the sellers' queues, the ledger and the seller stats agree:

- four design and writing studios, each with gigs of three packages, extras, requirement
  questions (text, choice and a file link), an FAQ and a cover image;
- gig orders bought the one real way (a quote, its offer into the cart, the checkout; the
  money held in escrow), then taken through the gig services to a spread of states: awaiting
  requirements, in progress (due in two days), late, very late, delivered and waiting for
  the buyer, revision requested, completed with both sides' feedback published (and more
  completed ones behind the sellers' stats), cancelled and refunded by mutual agreement,
  a milestone order part-way (first milestone paid out), and one in dispute;
- a short conversation on each order, as buyers and sellers talk about the work.

Every deadline still pending lies in the future, so nothing changes behind the demo's back
when the worker starts; the very late order's notice is the one that is already due."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import time_machine
from django.utils import timezone

from core.accounts.models import User
from core.catalog.models import Category, Product
from core.catalog.services.categories import create_category
from core.catalog.services.moderation import approve_product
from core.catalog.services.products import ProductData, create_product, transition
from core.commerce.models import OrderLine
from core.commerce.services.cart import add_offer, get_or_create_cart
from core.commerce.services.checkout import CheckoutInput, checkout_cart
from core.commerce.services.fulfilment import fulfil_line
from core.conversations.services.conversations import open_conversation
from core.conversations.services.messages import mark_read, post_message
from core.disputes.services import open_dispute
from core.payments.providers.sandbox import SUCCESS_CARD
from core.sellers.models import Seller
from modules.gigs.models import GigExtra, GigOrder, QuestionKind
from modules.gigs.services import listing
from modules.gigs.services.cancellation import answer_cancellation, request_cancellation
from modules.gigs.services.deliveries import (
    DraftData,
    accept,
    deliver,
    request_revision,
    save_draft,
)
from modules.gigs.services.feedback import Scores, leave_feedback
from modules.gigs.services.milestones import MilestoneData, agree_milestones, propose_milestones
from modules.gigs.services.orders import submit_requirements
from modules.gigs.services.quotes import create_quote
from tenants.demo.people import demo_buyer, demo_seller, illustrate


@dataclass(frozen=True)
class DemoGig:
    name: str
    category: str
    summary: str
    description: str
    packages: tuple[listing.PackageData, ...]
    extras: tuple[listing.ExtraData, ...]
    questions: tuple[listing.QuestionData, ...]
    faq: tuple[listing.FaqData, ...]
    answers: tuple[str, ...]  # a buyer's answers, question by question ("" leaves it out)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoStudio:
    slug: str
    business_name: str
    bio: str
    gigs: tuple[DemoGig, ...]


@dataclass(frozen=True)
class GigCatalogue:
    categories: tuple[tuple[str, str], ...]
    studios: tuple[DemoStudio, ...]
    buyers: tuple[str, ...] = field(default=())


def _packages(
    prices: tuple[int, int, int],
    days: tuple[int, int, int],
    revisions: tuple[int | None, int | None, int | None],
    features: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    checklist: tuple[str, ...],
) -> tuple[listing.PackageData, ...]:
    tiers = (("basic", "Basic"), ("standard", "Standard"), ("premium", "Premium"))
    return tuple(
        listing.PackageData(
            tier=tier,
            title=title,
            price=prices[index],
            delivery_days=days[index],
            revisions=revisions[index],
            features=list(features[index]),
            checklist=list(checklist[: index + 2]),
        )
        for index, (tier, title) in enumerate(tiers)
    )


def _extras(
    fast: int, revision: int, custom: tuple[str, int, int]
) -> tuple[listing.ExtraData, ...]:
    title, price, days = custom
    return (
        listing.ExtraData(kind="fast_delivery", title="Express delivery", price=fast, days=2),
        listing.ExtraData(
            kind="extra_revision", title="One more revision", price=revision, revisions=1
        ),
        listing.ExtraData(kind="custom", title=title, price=price, days=days),
    )


STUDIO_ROW = GigCatalogue(
    categories=(
        ("Logo & brand", "Logos, palettes and brand guides from working designers."),
        ("Web design", "Landing pages and site designs, ready for your developer."),
        ("Illustration", "Editorial, product and children's book illustration."),
        ("Writing", "Copy, articles and product descriptions that sound like you."),
    ),
    studios=(
        DemoStudio(
            slug="north-mark",
            business_name="North Mark Studio",
            bio="Brand identities for small businesses, drawn by two designers in Bergen.",
            gigs=(
                DemoGig(
                    name="A logo your customers remember",
                    category="Logo & brand",
                    summary="Original logo concepts, vector files and a one-page brand sheet.",
                    description=(
                        "We start from your answers: who you sell to, what you want people "
                        "to feel, what you have already. You get hand-sketched concepts "
                        "refined on screen, the finished mark in every format you need, and "
                        "honest advice on which concept works best."
                    ),
                    packages=_packages(
                        (9500, 19500, 39500),
                        (4, 6, 9),
                        (1, 3, None),
                        (
                            ("1 concept", "PNG and SVG"),
                            ("3 concepts", "Source files", "Colour variants"),
                            ("5 concepts", "Source files", "Brand guide", "Social kit"),
                        ),
                        (
                            "Logo in SVG and PNG",
                            "Black and white version",
                            "Colour variants",
                            "Brand guide PDF",
                        ),
                    ),
                    extras=_extras(4000, 2500, ("Business card design", 3500, 1)),
                    questions=(
                        listing.QuestionData(
                            kind="text", prompt="Business name, exactly as it should read"
                        ),
                        listing.QuestionData(
                            kind="choice",
                            prompt="Which style is closest to what you want?",
                            choices=["Minimal", "Hand-drawn", "Vintage", "Bold geometric"],
                        ),
                        listing.QuestionData(
                            kind="file",
                            prompt="Your current logo or a mood board (a link)",
                            is_required=False,
                        ),
                    ),
                    faq=(
                        listing.FaqData(
                            question="Do I own the logo?",
                            answer="Yes: full rights pass to you when you accept the delivery.",
                        ),
                        listing.FaqData(
                            question="Can you work from my sketch?",
                            answer=(
                                "Gladly. Link it in the requirements and "
                                "say what you like about it."
                            ),
                        ),
                    ),
                    answers=(
                        "Fjord & Fern Bakery",
                        "Hand-drawn",
                        "https://drive.example/fjord-moodboard",
                    ),
                    tags=("logo", "branding"),
                ),
            ),
        ),
        DemoStudio(
            slug="pagecraft",
            business_name="Pagecraft",
            bio="Landing pages that convert, designed in Figma and handed over ready to build.",
            gigs=(
                DemoGig(
                    name="Landing page design in Figma",
                    category="Web design",
                    summary=(
                        "A responsive landing page design, desktop and mobile, with a style guide."
                    ),
                    description=(
                        "One page, designed to sell one thing well. We study your offer and "
                        "your competitors, write the structure with you, and design desktop "
                        "and mobile layouts your developer can build without guessing."
                    ),
                    packages=_packages(
                        (24000, 48000, 95000),
                        (5, 8, 14),
                        (1, 2, 4),
                        (
                            ("Desktop layout", "1 section set"),
                            ("Desktop and mobile", "Style guide", "Icons"),
                            ("Desktop and mobile", "Style guide", "Prototype", "Copy review"),
                        ),
                        (
                            "Figma file shared",
                            "Mobile layout",
                            "Style guide page",
                            "Clickable prototype",
                        ),
                    ),
                    extras=_extras(9000, 6000, ("Extra section", 8000, 2)),
                    questions=(
                        listing.QuestionData(
                            kind="text", prompt="What does the page sell, and to whom?"
                        ),
                        listing.QuestionData(
                            kind="choice",
                            prompt="Where will it be built?",
                            choices=["Webflow", "WordPress", "Custom code", "Not sure yet"],
                        ),
                        listing.QuestionData(
                            kind="file",
                            prompt="Brand assets or a page you like (a link)",
                            is_required=False,
                        ),
                    ),
                    faq=(
                        listing.FaqData(
                            question="Do you build the page too?",
                            answer=(
                                "No, we design it; the Premium package "
                                "includes a developer handover call."
                            ),
                        ),
                    ),
                    answers=(
                        "A bookkeeping course for freelance photographers",
                        "Webflow",
                        "https://example.org/inspiration",
                    ),
                    tags=("figma", "landing-page"),
                ),
            ),
        ),
        DemoStudio(
            slug="inkwell-illustration",
            business_name="Inkwell Illustration",
            bio=(
                "Warm, detailed illustration for books, packaging "
                "and editorial, by Mireille Dubois."
            ),
            gigs=(
                DemoGig(
                    name="Custom illustration for your book or product",
                    category="Illustration",
                    summary=(
                        "A finished colour illustration at print resolution, from sketch to final."
                    ),
                    description=(
                        "Tell me the scene. I send a pencil sketch first, then the colour "
                        "version once you are happy with the composition. Print-ready files "
                        "at 300 dpi, and a web version."
                    ),
                    packages=_packages(
                        (12000, 26000, 52000),
                        (5, 7, 12),
                        (1, 2, 3),
                        (
                            ("Spot illustration", "Simple background"),
                            ("Half page", "Detailed background", "Commercial use"),
                            (
                                "Full spread",
                                "Detailed background",
                                "Commercial use",
                                "Layered file",
                            ),
                        ),
                        (
                            "Sketch approved",
                            "300 dpi print file",
                            "Web version",
                            "Layered source file",
                        ),
                    ),
                    extras=_extras(6000, 3000, ("Extra character", 4500, 2)),
                    questions=(
                        listing.QuestionData(
                            kind="text", prompt="Describe the scene and the characters"
                        ),
                        listing.QuestionData(
                            kind="choice",
                            prompt="Finish",
                            choices=["Watercolour look", "Ink and flat colour", "Painterly"],
                        ),
                        listing.QuestionData(
                            kind="file", prompt="References (a link)", is_required=False
                        ),
                    ),
                    faq=(
                        listing.FaqData(
                            question="Can I print it on merchandise?",
                            answer="Standard and Premium include commercial use, merchandise too.",
                        ),
                    ),
                    answers=(
                        (
                            "A fox and a heron sharing tea on a riverbank at "
                            "dusk, for a children's book cover."
                        ),
                        "Watercolour look",
                        "",
                    ),
                    tags=("illustration", "books"),
                ),
            ),
        ),
        DemoStudio(
            slug="plainword",
            business_name="Plainword Copy",
            bio="Clear website copy and articles for software and services companies.",
            gigs=(
                DemoGig(
                    name="Website copy that sounds like you",
                    category="Writing",
                    summary="Home, about and service pages written from a short interview.",
                    description=(
                        "We talk for thirty minutes, I read what you have, and I write copy "
                        "your customers understand on first read. Edited twice, delivered "
                        "as a shared document with notes on where each part goes."
                    ),
                    packages=_packages(
                        (15000, 32000, 60000),
                        (3, 6, 10),
                        (1, 2, None),
                        (
                            ("1 page, up to 600 words",),
                            ("3 pages", "Interview call", "SEO titles"),
                            ("6 pages", "Interview call", "SEO titles", "Tone-of-voice guide"),
                        ),
                        (
                            "Shared document",
                            "SEO titles and descriptions",
                            "Proofread twice",
                            "Tone-of-voice guide",
                        ),
                    ),
                    extras=_extras(5000, 3500, ("Blog article, 1,000 words", 9000, 3)),
                    questions=(
                        listing.QuestionData(
                            kind="text", prompt="Your website address and what you sell"
                        ),
                        listing.QuestionData(
                            kind="choice",
                            prompt="Tone",
                            choices=["Friendly", "Expert", "Playful", "Formal"],
                        ),
                        listing.QuestionData(
                            kind="file", prompt="Existing copy or notes (a link)", is_required=False
                        ),
                    ),
                    faq=(
                        listing.FaqData(
                            question="Do you write in German?",
                            answer=(
                                "English only, but I work with a German translator I can introduce."
                            ),
                        ),
                    ),
                    answers=(
                        "https://tallyho.example: invoicing software for tradespeople",
                        "Friendly",
                        "https://docs.example/tallyho-notes",
                    ),
                    tags=("copywriting", "website"),
                ),
            ),
        ),
    ),
    buyers=(
        "Amara Okafor",
        "Jonas Weber",
        "Lucía Fernández",
        "Hiroshi Tanaka",
        "Priya Raman",
        "Tom Becker",
        "Sofia Rossi",
        "Mateo Silva",
        "Chloé Martin",
        "Noah Williams",
        "Leila Haddad",
        "Erik Lindqvist",
    ),
)

# Every state the demo shows, in the order the orders are placed.
SCENARIOS = (
    "completed",
    "completed",
    "completed_feedback",
    "cancelled",
    "milestones",
    "very_late",
    "dispute",
    "revision_requested",
    "delivered",
    "late",
    "in_progress",
    "awaiting_requirements",
)

# Each line names the gig or the buyer: the same text from many accounts is what automated
# moderation's spam check holds, and a demo's messages should all arrive.
TALK = {
    "buyer": (
        "Hi! Requirements for {gig} are in. Anything else you need from me?",
        "Thanks, {gig} is looking great so far.",
        "Could you tell me roughly when I can expect the first version of {gig}?",
    ),
    "seller": (
        "All clear, thank you {first}. I will send a first version before the due date.",
        "Thanks for the detailed brief, {first}, it helps a lot.",
        "Quick update, {first}: the work is well under way, you will have it on time.",
    ),
}
DELIVERY_NOTES = (
    "Here is the first version. The checklist items are all in the linked folder.",
    "Final files attached as links; I left notes on the choices I made.",
)
REVISION_NOTES = (
    "Lovely work. Could the colours be a little warmer, and the name slightly larger?",
    "Close! Please tighten the second section and swap the photo for an illustration.",
)
FEEDBACK = (
    (5, 5, 5, "Exactly what we hoped for, delivered early. Would hire again."),
    (5, 4, 5, "Great result, and helpful suggestions along the way."),
    (4, 5, 4, "Very good work; one round of changes and it was spot on."),
)
SELLER_FEEDBACK = (5, 5, 5, "A clear brief and quick answers. A pleasure to work with.")


@dataclass(frozen=True)
class _Shop:
    studios: list[Seller]
    gigs: list[Product]
    buyers: list[User]


def populate_gigs(catalogue: GigCatalogue, *, password: str, seed: int) -> dict[str, GigOrder]:
    """In the current tenant's schema (gigs on, no sellers yet): the studios, their gigs,
    buyers and the gig orders, by scenario (the last order of each kind)."""
    rng = random.Random(seed)
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=60), tick=False):
        categories = {
            name: create_category(name=name, description=description, position=index)
            for index, (name, description) in enumerate(catalogue.categories)
        }
        studios, gigs = [], []
        for spec in catalogue.studios:
            seller, owned = _studio(spec, categories, password)
            studios.append(seller)
            gigs.extend(owned)
        buyers = [demo_buyer(name, password) for name in catalogue.buyers]
    shop = _Shop(studios, gigs, buyers)
    specs = {gig.name: gig for studio in catalogue.studios for gig in studio.gigs}
    made: dict[str, GigOrder] = {}
    for index, scenario in enumerate(SCENARIOS):
        gig = gigs[index % len(gigs)]
        buyer = buyers[index % len(buyers)]
        order = PLAYS[scenario](rng, shop, gig, specs[gig.name], buyer, now)
        made[scenario] = order
    return made


def _studio(
    spec: DemoStudio, categories: dict[str, Category], password: str
) -> tuple[Seller, list[Product]]:
    seller = demo_seller(
        slug=spec.slug,
        business_name=spec.business_name,
        bio=spec.bio,
        product_types=["gig"],
        password=password,
    )
    products = []
    for item in spec.gigs:
        product = create_product(
            seller=seller,
            data=ProductData(
                name=item.name,
                product_type="gig",
                prices={"USD": item.packages[0].price},
                summary=item.summary,
                description=item.description,
                category_slug=categories[item.category].slug,
                tags=list(item.tags),
                features=list(item.packages[1].features),
            ),
        )
        listing.set_packages(product=product, packages=list(item.packages))
        listing.set_extras(product=product, extras=list(item.extras))
        listing.set_questions(product=product, questions=list(item.questions))
        listing.set_faq(product=product, faq=list(item.faq))
        illustrate(product)
        transition(product=product, action="publish")
        products.append(approve_product(product=product))
    return seller, products


# --- one gig order's life, step by step on its own dates ------------------------------------


def _at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def _buy(
    rng: random.Random,
    buyer: User,
    gig: Product,
    *,
    tier: str,
    extras: tuple[str, ...] = (),
    when: datetime,
) -> GigOrder:
    """A quote for ``tier`` with the named extras, its offer into the cart, checkout with the
    sandbox card; the line's fulfilment makes the gig order (run here too, in case no worker
    is listening: it does nothing the second time)."""
    with _at(when):
        extra_ids = list(
            GigExtra.objects.filter(product=gig, title__in=extras).values_list("pk", flat=True)
        )
        quote = create_quote(buyer=buyer, product_id=gig.pk, tier=tier, extra_ids=extra_ids)
        cart = get_or_create_cart(buyer=buyer, token=None)
        add_offer(cart=cart, buyer=buyer, offer_id=quote.offer_id)
        order, _, _ = checkout_cart(
            buyer=buyer,
            cart=cart,
            details=CheckoutInput(
                country=rng.choice(("DE", "FR", "NL", "GB")), name=buyer.full_name
            ),
            idempotency_key=uuid.uuid4().hex,
            payment_method=SUCCESS_CARD,
        )
        line = OrderLine.objects.get(order=order)
        fulfil_line(line_id=line.pk)
        return GigOrder.objects.get(order_line=line)


def _answers(order: GigOrder, spec: DemoGig) -> dict[str, str]:
    answers = {}
    for question, answer in zip(order.questions, spec.answers, strict=False):
        if answer:
            answers[str(question["id"])] = answer
        elif question["kind"] == QuestionKind.CHOICE:
            answers[str(question["id"])] = question["choices"][0]
    return answers


def _requirements(order: GigOrder, spec: DemoGig, buyer: User, when: datetime) -> GigOrder:
    with _at(when):
        return submit_requirements(buyer=buyer, order_id=order.pk, answers=_answers(order, spec))


def _deliver(order: GigOrder, when: datetime, note: int = 0) -> None:
    with _at(when):
        order = GigOrder.objects.get(pk=order.pk)
        draft = save_draft(
            seller_id=order.seller_id,
            order_id=order.pk,
            data=DraftData(
                description=DELIVERY_NOTES[note % len(DELIVERY_NOTES)],
                links=[
                    f"https://files.example/{order.product.slug}/order-{order.pk}-v{note + 1}.zip"
                ],
                preview_url=f"https://preview.example/{order.product.slug}/{order.pk}",
                checklist_ticked=list(order.checklist),
            ),
        )
        deliver(seller_id=order.seller_id, order_id=order.pk, delivery_id=draft.pk)


def _revise(order: GigOrder, buyer: User, when: datetime, note: int = 0) -> None:
    with _at(when):
        request_revision(buyer=buyer, order_id=order.pk, notes=REVISION_NOTES[note % 2])


def _talk(rng: random.Random, order: GigOrder, buyer: User, start: datetime, end: datetime) -> None:
    """Two or three messages between the buyer and the seller about this order, spread
    between ``start`` and ``end``; the last one read by its recipient when it is not the
    newest order's."""
    conversation = open_conversation(
        buyer_id=buyer.pk, seller_id=order.seller_id, order_line_id=order.order_line_id
    )
    seller_user = Seller.objects.get(pk=order.seller_id).owner
    count = rng.choice((2, 3))
    for number in range(count):
        when = start + (end - start) * (number + 1) / (count + 1)
        party = "buyer" if number % 2 == 0 else "seller"
        sender = buyer if party == "buyer" else seller_user
        with _at(when):
            post_message(
                conversation_id=conversation.pk,
                sender_id=sender.pk,
                text=TALK[party][number % len(TALK[party])].format(
                    gig=order.product.name, first=(buyer.full_name or "there").split()[0]
                ),
            )
    with _at(end):
        mark_read(conversation_id=conversation.pk, user_id=seller_user.pk)


Play = Callable[[random.Random, _Shop, Product, DemoGig, User, datetime], GigOrder]


def _awaiting_requirements(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    return _buy(rng, buyer, gig, tier="basic", when=now - timedelta(hours=20))


def _in_progress(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """Due in two days: the requirements came in (package days - 2) days ago."""
    days = next(item.delivery_days for item in spec.packages if item.tier == "standard")
    started = now - timedelta(days=days - 2)
    order = _buy(rng, buyer, gig, tier="standard", when=started - timedelta(hours=5))
    _requirements(order, spec, buyer, started)
    _talk(rng, order, buyer, started, now - timedelta(hours=3))
    return order


def _late(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """Eight hours past due (very late in another sixteen)."""
    order = _buy(rng, buyer, gig, tier="basic", when=now - timedelta(days=12))
    started = now - timedelta(days=order.delivery_days, hours=8)
    _requirements(order, spec, buyer, started)
    _talk(rng, order, buyer, started, now - timedelta(hours=2))
    return order


def _very_late(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """Three days past due: its buyer may cancel it with a full refund."""
    order = _buy(rng, buyer, gig, tier="basic", when=now - timedelta(days=16))
    started = now - timedelta(days=order.delivery_days + 3)
    _requirements(order, spec, buyer, started)
    _talk(rng, order, buyer, started, now - timedelta(days=1))
    return order


def _delivered(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """Delivered yesterday; auto-accepted in two days unless the buyer answers."""
    order = _buy(
        rng, buyer, gig, tier="standard", extras=("Express delivery",), when=now - timedelta(days=5)
    )
    started = now - timedelta(days=4)
    _requirements(order, spec, buyer, started)
    _talk(rng, order, buyer, started, now - timedelta(days=2))
    _deliver(order, now - timedelta(days=1))
    return order


def _revision_requested(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    order = _buy(rng, buyer, gig, tier="premium", when=now - timedelta(days=10))
    started = now - timedelta(days=9)
    _requirements(order, spec, buyer, started)
    _talk(rng, order, buyer, started, now - timedelta(days=3))
    _deliver(order, now - timedelta(days=2, hours=4))
    _revise(order, buyer, now - timedelta(hours=20))
    return order


def _completed(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """Delivered, revised once, redelivered and accepted, weeks ago."""
    placed = now - timedelta(days=rng.randint(30, 45), hours=rng.randint(0, 12))
    tier = rng.choice(("basic", "standard"))
    order = _buy(rng, buyer, gig, tier=tier, extras=("One more revision",), when=placed)
    _requirements(order, spec, buyer, placed + timedelta(hours=5))
    _talk(rng, order, buyer, placed + timedelta(hours=6), placed + timedelta(days=2))
    _deliver(order, placed + timedelta(days=order.delivery_days - 1))
    _revise(order, buyer, placed + timedelta(days=order.delivery_days, hours=3))
    _deliver(order, placed + timedelta(days=order.delivery_days + 1), note=1)
    with _at(placed + timedelta(days=order.delivery_days + 2)):
        accept(buyer=buyer, order_id=order.pk)
    return order


def _completed_feedback(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """Accepted three weeks ago; both sides gave feedback, so it is published (double-blind
    until both had written, or fourteen days had passed)."""
    placed = now - timedelta(days=30)
    order = _buy(rng, buyer, gig, tier="standard", when=placed)
    _requirements(order, spec, buyer, placed + timedelta(hours=2))
    _talk(rng, order, buyer, placed + timedelta(hours=3), placed + timedelta(days=3))
    _deliver(order, placed + timedelta(days=order.delivery_days - 1), note=1)
    accepted = placed + timedelta(days=order.delivery_days, hours=6)
    with _at(accepted):
        accept(buyer=buyer, order_id=order.pk)
    quality, communication, timeliness, comment = FEEDBACK[0]
    with _at(accepted + timedelta(days=1)):
        leave_feedback(
            order_id=order.pk,
            party="buyer",
            scores=Scores(quality, communication, timeliness, comment),
        )
    quality, communication, timeliness, comment = SELLER_FEEDBACK
    with _at(accepted + timedelta(days=2)):
        leave_feedback(
            order_id=order.pk,
            party="seller",
            scores=Scores(quality, communication, timeliness, comment),
        )
    # ... and the other completed orders' buyers rated them too (published when both
    # gave theirs or the window closed).
    for other in GigOrder.objects.filter(status="completed").exclude(pk=order.pk):
        if not other.feedback.exists() and other.completed_at is not None:
            quality, communication, timeliness, comment = rng.choice(FEEDBACK[1:])
            with _at(other.completed_at + timedelta(days=1)):
                leave_feedback(
                    order_id=other.pk,
                    party="buyer",
                    scores=Scores(quality, communication, timeliness, comment),
                )
    return order


def _cancelled(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """The buyer's plans changed; the seller agreed to cancel; escrow went back in full."""
    placed = now - timedelta(days=20)
    order = _buy(rng, buyer, gig, tier="basic", when=placed)
    _requirements(order, spec, buyer, placed + timedelta(hours=4))
    with _at(placed + timedelta(days=1)):
        request_cancellation(
            order_id=order.pk,
            party="buyer",
            reason="Our launch moved to next year; sorry for the trouble.",
        )
    with _at(placed + timedelta(days=1, hours=5)):
        answer_cancellation(order_id=order.pk, party="seller", is_accepted=True)
    return order


def _milestones(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """Premium in three milestones: the first accepted and paid out of escrow, the second
    under way."""
    placed = now - timedelta(days=8)
    order = _buy(rng, buyer, gig, tier="premium", when=placed)
    with _at(placed + timedelta(hours=3)):
        propose_milestones(
            seller_id=order.seller_id,
            order_id=order.pk,
            milestones=[
                MilestoneData(
                    "Research and direction", 30, 3, "Brief, references, two directions."
                ),
                MilestoneData("Design", 50, 6, "The chosen direction, worked out in full."),
                MilestoneData(
                    "Final files and handover", 20, 3, "Every format, and a handover call."
                ),
            ],
        )
    with _at(placed + timedelta(hours=8)):
        agree_milestones(buyer=buyer, order_id=order.pk)
    _requirements(order, spec, buyer, placed + timedelta(hours=9))
    _talk(rng, order, buyer, placed + timedelta(hours=10), now - timedelta(days=1))
    _deliver(order, placed + timedelta(days=3))
    with _at(placed + timedelta(days=4)):
        accept(buyer=buyer, order_id=order.pk)
    return order


def _dispute(
    rng: random.Random, shop: _Shop, gig: Product, spec: DemoGig, buyer: User, now: datetime
) -> GigOrder:
    """Delivered, and the buyer disputes the quality: the escrow is frozen until an operator
    decides (auto-acceptance waits for the decision)."""
    placed = now - timedelta(days=7)
    order = _buy(rng, buyer, gig, tier="standard", when=placed)
    _requirements(order, spec, buyer, placed + timedelta(hours=6))
    _talk(rng, order, buyer, placed + timedelta(hours=7), now - timedelta(days=3))
    _deliver(order, now - timedelta(days=2))
    with _at(now - timedelta(days=1, hours=3)):
        open_dispute(
            user=buyer,
            order_line_id=order.order_line_id,
            kind="quality",
            reason=(
                "The delivered files do not match the brief: the style I chose is missing "
                "and two checklist items are only placeholders."
            ),
        )
    return order


PLAYS: dict[str, Play] = {
    "awaiting_requirements": _awaiting_requirements,
    "in_progress": _in_progress,
    "late": _late,
    "very_late": _very_late,
    "delivered": _delivered,
    "revision_requested": _revision_requested,
    "completed": _completed,
    "completed_feedback": _completed_feedback,
    "cancelled": _cancelled,
    "milestones": _milestones,
    "dispute": _dispute,
}


GIG_CATALOGUES = {"studio-row": STUDIO_ROW}


def populate_demo(tenant_slug: str, *, password: str, seed: int) -> bool:
    """``manifest.demo``: Studio Row's studios and orders, on the demo marketplaces that have
    a gig catalogue here."""
    catalogue = GIG_CATALOGUES.get(tenant_slug)
    if catalogue is None:
        return False
    populate_gigs(catalogue, password=password, seed=seed)
    return True
