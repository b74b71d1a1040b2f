from ninja import Field, Schema

from core.commerce.models import Interval, RecurringPrice
from core.commerce.schemas import MoneyOut, OrderOut
from core.schemas import StrictSchema, model_max_length
from core.subscriptions.models import SubscriptionEvent, SubscriptionStatus


class RecurringPriceIn(StrictSchema):
    product_id: int
    variant_id: int | None = None
    interval: Interval
    interval_count: int = Field(1, ge=1, le=36)
    currency: str = Field(max_length=model_max_length(RecurringPrice, "currency"))
    amount: int = Field(ge=0, description="Minor units per billing period")
    trial_days: int | None = Field(
        None, ge=0, le=365, description="Omit for the product's default trial"
    )


class ActiveIn(StrictSchema):
    is_active: bool


class ChangePlanIn(StrictSchema):
    recurring_price_id: int


class PaymentMethodIn(StrictSchema):
    payment_method_id: int


class OperatorCancelIn(StrictSchema):
    note: str = Field("", max_length=model_max_length(SubscriptionEvent, "note"))


class SubscriptionListQuery(Schema):
    limit: int = 20
    cursor: str | None = None
    status: SubscriptionStatus | None = None
    product_id: int | None = None


class PriceListQuery(Schema):
    limit: int = 50
    cursor: str | None = None
    product_id: int | None = None


# --- answers (the shapes core.subscriptions.presenters build; timestamps are ISO 8601) ---------


class RecurringPriceOut(Schema):
    id: int
    product_id: int
    variant_id: int | None
    interval: str
    interval_count: int
    amount: MoneyOut
    trial_days: int
    is_active: bool


class RecurringPricePageOut(Schema):
    items: list[RecurringPriceOut]
    next_cursor: str | None


class SubscribedProductOut(Schema):
    id: int
    name: str
    slug: str


class SavedCardOut(Schema):
    id: int
    brand: str
    last4: str


class SubscriberOut(Schema):
    id: int
    email: str


class SubscriptionEventOut(Schema):
    kind: str
    actor: str
    order_id: int | None
    note: str
    at: str | None


class SubscriptionOut(Schema):
    """``buyer`` is there for sellers and operators only; ``history`` on a single
    subscription only (not in lists)."""

    id: int
    status: str
    product: SubscribedProductOut
    variant_id: int | None
    plan: RecurringPriceOut
    scheduled_plan: RecurringPriceOut | None
    current_period_start: str | None
    current_period_end: str | None
    trial_end: str | None
    cancel_at_period_end: bool
    cancelled_at: str | None
    cancel_reason: str
    failed_attempts: int
    next_attempt_at: str | None
    payment_method: SavedCardOut | None
    first_order_id: int
    created_at: str | None
    buyer: SubscriberOut | None = None
    history: list[SubscriptionEventOut] | None = None


class SubscriptionPageOut(Schema):
    items: list[SubscriptionOut]
    next_cursor: str | None


class PlanChangeOut(Schema):
    change: str
    subscription: SubscriptionOut
    order: OrderOut | None = Field(description="The prorated upgrade's order, if one was charged")
