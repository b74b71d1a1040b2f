from ninja import Field, Schema

from core.commerce.models import Interval, RecurringPrice
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
