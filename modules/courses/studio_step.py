"""Courses' step in the studio's product wizard (``manifest.studio_product_step``), for both
of the module's types. A membership (``coursepass``): the courses it includes (chosen among
the seller's own, or all of them including ones added later) and its monthly and yearly
prices (``services.passes``; subscribers follow a change at once). A course: the
course's details (level, language, what students will learn, certificate). The curriculum
itself (sections, lessons, videos, quizzes) is built on the course builder page
(``/studio/courses/<product id>/``), linked from this step. Everything is written through
``services.builder`` in the studio's transaction: a refusal writes nothing, and its error is
shown beside the field it names."""

from __future__ import annotations

from typing import Any

from django import forms

from core.catalog.models import Product
from core.commerce.models import Interval
from core.marketplace import current_marketplace
from core.money import Money, MoneyError
from modules.courses.manifest import COURSE_PASS
from modules.courses.models import Course, CoursePass
from modules.courses.services import builder, passes


class CourseStepForm(forms.Form):
    level = forms.ChoiceField(
        label="Level",
        required=False,
        choices=[("", "Not stated")] + [(level, level) for level in builder.LEVELS if level],
    )
    language = forms.CharField(
        label="Language", max_length=35, initial="en", help_text="A code such as en, de or pt-BR."
    )
    outcomes = forms.CharField(
        label="What students will learn (one per line)",
        required=False,
        max_length=builder.MAX_OUTCOMES,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    issues_certificate = forms.BooleanField(
        label="Issue a certificate on completion", required=False, initial=True
    )


class PassStepForm(forms.Form):
    """A membership's step: what it includes and what it costs (decimal amounts in the
    marketplace's default currency; stored in minor units)."""

    includes_all = forms.BooleanField(
        label="All my courses, including ones I add later", required=False
    )
    course_ids = forms.TypedMultipleChoiceField(
        label="Included courses",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    monthly_price = forms.CharField(
        label="Monthly price",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
    yearly_price = forms.CharField(
        label="Yearly price",
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = current_marketplace().default_currency
        field = self.fields["course_ids"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [  # the seller's own courses only: another's is not a choice
            (course.pk, course.product.name)
            for course in Course.objects.filter(product__seller_id=product.seller_id)
            .select_related("product")
            .order_by("product__name", "pk")
        ]
        for name in ("monthly_price", "yearly_price"):
            self.fields[name].help_text = f"In {self.currency}; leave empty to not sell it so."

    def _amount(self, name: str) -> int | None:
        raw = (self.cleaned_data.get(name) or "").strip()
        if not raw:
            return None
        try:
            amount = Money.parse(raw, self.currency).amount
        except MoneyError:
            raise forms.ValidationError(f"Give an amount in {self.currency}, e.g. 19.99.") from None
        if amount <= 0:
            raise forms.ValidationError("A membership costs more than nothing.")
        return amount

    def clean_monthly_price(self) -> int | None:
        return self._amount("monthly_price")

    def clean_yearly_price(self) -> int | None:
        return self._amount("yearly_price")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("includes_all") and not data.get("course_ids") and not self.errors:
            self.add_error("course_ids", "Choose the courses it includes, or all of them.")
        return data


def _pass_form(product: Product) -> type[forms.Form]:
    class BoundPassStepForm(PassStepForm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, product=product, **kwargs)

    return BoundPassStepForm


class CourseStep:
    title = "Course"
    template = "courses/studio/_step.html"

    def form_class(self, product: Product) -> type[forms.Form]:
        if product.product_type == COURSE_PASS:
            return _pass_form(product)
        return CourseStepForm

    def initial(self, product: Product) -> dict[str, Any]:
        if product.product_type == COURSE_PASS:
            return _pass_initial(product)
        course = Course.objects.filter(product=product).first()
        if course is None:
            return {"language": "en", "issues_certificate": True}
        return {
            "level": course.level,
            "language": course.language,
            "outcomes": course.outcomes,
            "issues_certificate": course.issues_certificate,
        }

    def save(self, product: Product, cleaned_data: dict[str, Any]) -> None:
        if product.product_type == COURSE_PASS:
            _save_pass(product, cleaned_data)
            return
        is_new = not Course.objects.filter(product=product).exists()
        builder.save_details(
            product=product,
            data=builder.CourseDetails(
                level=cleaned_data.get("level") or "",
                language=cleaned_data.get("language") or "en",
                outcomes=cleaned_data.get("outcomes") or "",
                issues_certificate=bool(cleaned_data.get("issues_certificate")),
            ),
        )

        if is_new:  # memberships of all the seller's courses take it in at once
            course = Course.objects.filter(product=product).select_related("product").first()
            if course is not None:
                passes.course_added(course=course)


def _pass_initial(product: Product) -> dict[str, Any]:
    course_pass = CoursePass.objects.filter(product=product).first()
    initial: dict[str, Any] = {"includes_all": course_pass is None}
    if course_pass is not None:
        initial["includes_all"] = course_pass.includes_all
        initial["course_ids"] = list(course_pass.courses.values_list("pk", flat=True))
    currency = current_marketplace().default_currency
    for plan in passes.active_plans(product.pk):
        if plan.variant_id is None and plan.interval_count == 1 and plan.currency == currency:
            initial[f"{plan.interval}ly_price"] = Money(
                plan.amount, plan.currency
            ).to_decimal_string()
    return initial


def _save_pass(product: Product, cleaned_data: dict[str, Any]) -> None:
    passes.save_pass(
        seller_id=product.seller_id,
        product_id=product.pk,
        contents=passes.PassContents(
            includes_all=bool(cleaned_data.get("includes_all")),
            course_ids=tuple(cleaned_data.get("course_ids") or ()),
        ),
    )
    currency = current_marketplace().default_currency
    for interval, field in ((Interval.MONTH, "monthly_price"), (Interval.YEAR, "yearly_price")):
        amount = cleaned_data.get(field)
        if amount is None:
            passes.retire_plan(seller=product.seller, product_id=product.pk, interval=interval)
        else:
            passes.set_plan(
                seller=product.seller,
                product_id=product.pk,
                interval=interval,
                amount=amount,
                currency=currency,
            )


step = CourseStep()
