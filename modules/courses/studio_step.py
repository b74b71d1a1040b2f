"""Courses' step in the studio's product wizard (``manifest.studio_product_step``): the
course's details (level, language, what students will learn, certificate). The curriculum
itself (sections, lessons, videos, quizzes) is built on the course builder page
(``/studio/courses/<product id>/``), linked from this step. Everything is written through
``services.builder`` in the studio's transaction: a refusal writes nothing, and its error is
shown beside the field it names."""

from __future__ import annotations

from typing import Any

from django import forms

from core.catalog.models import Product
from modules.courses.models import Course
from modules.courses.services import builder


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


class CourseStep:
    title = "Course"
    template = "courses/studio/_step.html"

    def form_class(self, product: Product) -> type[forms.Form]:
        return CourseStepForm

    def initial(self, product: Product) -> dict[str, Any]:
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
        builder.save_details(
            product=product,
            data=builder.CourseDetails(
                level=cleaned_data.get("level") or "",
                language=cleaned_data.get("language") or "en",
                outcomes=cleaned_data.get("outcomes") or "",
                issues_certificate=bool(cleaned_data.get("issues_certificate")),
            ),
        )


step = CourseStep()
