"""Seller API of course memberships (mounted into ``api_seller.router`` at
``/api/v1/courses/seller/``): what a pass includes and its monthly/yearly prices. Every write
goes through ``services.passes`` (live subscribers follow a change at once); another seller's
pass is not found, a course of another seller is a field error."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from core.commerce.models import Interval
from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from modules.courses.models import CoursePass
from modules.courses.services import passes

router = Router(tags=["courses"])


class PassIn(StrictSchema):
    includes_all: bool
    course_ids: list[int] = Field(default_factory=list, max_length=passes.MAX_COURSES)


class PlanIn(StrictSchema):
    amount: int = Field(..., ge=1, description="Minor units (cents).")
    currency: str = Field(..., min_length=3, max_length=3)


class PassCourseOut(Schema):
    id: int
    product_id: int
    title: str


class PlanOut(Schema):
    id: int
    interval: str
    interval_count: int
    amount: int
    currency: str
    trial_days: int


class PassOut(Schema):
    product_id: int
    includes_all: bool
    courses: list[PassCourseOut]
    plans: list[PlanOut]
    live_subscribers: int


def _out(course_pass: CoursePass) -> dict[str, Any]:
    courses = passes.included_courses(course_pass).select_related("product").order_by("pk")
    return {
        "product_id": course_pass.product_id,
        "includes_all": course_pass.includes_all,
        "courses": [
            {"id": c.pk, "product_id": c.product_id, "title": c.product.name} for c in courses
        ],
        "plans": passes.active_plans(course_pass.product_id),
        "live_subscribers": passes.live_subscriber_count(course_pass.product_id),
    }


@router.get("/passes/{product_id}", response=PassOut, summary="A membership's courses and plans")
def read_pass(request: HttpRequest, product_id: int) -> dict[str, Any]:
    seller = authorised_seller(request)
    return _out(passes.pass_of_seller(seller_id=seller.pk, product_id=product_id))


@router.put(
    "/passes/{product_id}",
    response=PassOut,
    summary="Set the courses a membership includes (its subscribers follow at once)",
)
def save_pass(request: HttpRequest, product_id: int, payload: PassIn) -> dict[str, Any]:
    seller = authorised_seller(request)
    course_pass = passes.save_pass(
        seller_id=seller.pk,
        product_id=product_id,
        contents=passes.PassContents(
            includes_all=payload.includes_all, course_ids=tuple(payload.course_ids)
        ),
    )
    return _out(course_pass)


@router.put(
    "/passes/{product_id}/plans/{interval}",
    response=PlanOut,
    summary="The membership's price per month or year (a new amount retires the old price)",
)
def set_plan(request: HttpRequest, product_id: int, interval: str, payload: PlanIn) -> Any:
    seller = authorised_seller(request)
    return passes.set_plan(
        seller=seller,
        product_id=product_id,
        interval=interval,
        amount=payload.amount,
        currency=payload.currency,
    )


@router.delete(
    "/passes/{product_id}/plans/{interval}",
    response={204: None},
    summary="Stop selling the membership per month or year (subscribers keep renewing)",
)
def retire_plan(request: HttpRequest, product_id: int, interval: Interval) -> Status[None]:
    seller = authorised_seller(request)
    passes.retire_plan(seller=seller, product_id=product_id, interval=interval)
    return Status(204, None)
