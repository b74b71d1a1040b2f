"""What the partner API's webhook endpoints take and answer. Limits are the columns' own, so
a too-long value is a 422 naming the field, never a database error."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import ConfigDict

from core.integrations.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from core.schemas import StrictSchema, model_max_length

URL_MAX_LENGTH = model_max_length(WebhookEndpoint, "url")
EventName = Annotated[str, Field(max_length=model_max_length(WebhookDelivery, "event_type"))]


class WebhookEndpointIn(StrictSchema):
    url: str = Field(..., max_length=URL_MAX_LENGTH)
    events: list[EventName] = Field(..., min_length=1, max_length=20)
    is_active: bool = True


class WebhookEndpointPatch(StrictSchema):
    url: str | None = Field(None, max_length=URL_MAX_LENGTH)
    events: list[EventName] | None = Field(None, min_length=1, max_length=20)
    is_active: bool | None = None


class DeliveryListQuery(Schema):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=512)
    status: DeliveryStatus | None = None


class EventTypesOut(Schema):
    events: list[str] = Field(..., description="Event types an endpoint may subscribe to here")


class WebhookEndpointOut(Schema):
    id: int
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime


class WebhookEndpointListOut(Schema):
    items: list[WebhookEndpointOut]


class WebhookDeliveryOut(Schema):
    id: int
    endpoint_id: int
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    payload: dict[str, Any] = Field(..., description="The body sent: id, type, created_at, data")


class WebhookDeliveryPageOut(Schema):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None


class SigningSecretOut(Schema):
    signing_secret: str


class CallStatsOut(Schema):
    calls: int
    succeeded: int
    success_rate: float | None = Field(description="Succeeded / calls; null with no calls")
    p95_latency_ms: int | None


class WindowsOut(Schema):
    """Per call kind (core's and those of the modules on here, even with no calls)."""

    model_config = ConfigDict(populate_by_name=True)

    last_24h: dict[str, CallStatsOut] = Field(alias="24h")
    last_7d: dict[str, CallStatsOut] = Field(alias="7d")


class FailedCallOut(Schema):
    id: int
    kind: str
    url: str
    response_status: int | None
    error: str
    latency_ms: int
    at: datetime


class ApiDocsOut(Schema):
    api_docs: str
    openapi: str


class IntegrationHealthOut(Schema):
    """What ``core.integrations.selectors.integration_health`` reports."""

    generated_at: datetime
    windows: WindowsOut
    last_errors: list[FailedCallOut]
    pending_deliveries: int
    failed_deliveries_7d: int
    docs: ApiDocsOut
