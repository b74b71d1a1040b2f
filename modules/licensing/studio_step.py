"""Licensing's step in the studio's product wizard (``manifest.studio_product_step``): how a
software product is sold (one-time or subscription, trial), how buyers' accounts are made in
the seller's software (manual or an endpoint Souk calls), and the default licence policy
(machines per licence, floating or strict, expiry, heartbeats, entitlements, per seat).

It edits the product's default policy; more policies (per tier) stay on the API
(``/api/v1/licenses/seller/products/{id}/policies``). Everything is written through
``modules.licensing.services.software``, in the studio's transaction: a refusal writes
nothing."""

from __future__ import annotations

from typing import Any

from django import forms

from core.catalog.models import Product
from modules.licensing.models import (
    LicenseType,
    MissedHeartbeat,
    Policy,
    Provisioning,
    SoftwareDetails,
)
from modules.licensing.services import software


class SoftwareStepForm(forms.Form):
    license_type = forms.ChoiceField(
        label="How buyers pay", choices=LicenseType.choices, widget=forms.RadioSelect
    )
    trial_days = forms.IntegerField(
        label="Free trial (days)",
        min_value=0,
        max_value=365,
        initial=0,
        help_text="0 for no trial.",
    )
    policy_name = forms.CharField(label="Licence name", max_length=80, initial="Standard")
    max_activations = forms.IntegerField(
        label="Machines per licence",
        min_value=1,
        max_value=software.MAX_ACTIVATIONS,
        initial=1,
        help_text="How many computers one licence can be activated on at once.",
    )
    is_floating = forms.BooleanField(
        label="Floating: a new machine activates itself while seats are free",
        required=False,
    )
    is_license_per_seat = forms.BooleanField(
        label="One licence per seat bought (instead of one licence for the whole quantity)",
        required=False,
    )
    duration_days = forms.IntegerField(
        label="Licence expires after (days)",
        min_value=1,
        max_value=software.MAX_DURATION_DAYS,
        required=False,
        help_text="Leave empty for a licence that never expires "
        "(subscriptions follow their periods).",
    )
    is_heartbeat_required = forms.BooleanField(
        label="Require a heartbeat from running copies", required=False
    )
    heartbeat_interval_seconds = forms.IntegerField(
        label="Heartbeat every (seconds)",
        min_value=software.MIN_HEARTBEAT_SECONDS,
        max_value=software.MAX_HEARTBEAT_SECONDS,
        initial=3600,
    )
    on_missed_heartbeat = forms.ChoiceField(
        label="When a heartbeat is missed", choices=MissedHeartbeat.choices
    )
    entitlements = forms.CharField(
        label="Entitlements",
        max_length=3000,
        required=False,
        help_text="Feature codes your software checks, separated by commas (e.g. pro, export:pdf).",
    )
    provisioning = forms.ChoiceField(
        label="Buyers' accounts", choices=Provisioning.choices, widget=forms.RadioSelect
    )
    provisioning_url = forms.CharField(
        label="Provisioning endpoint",
        max_length=500,
        required=False,
        help_text="Automatic provisioning: Souk POSTs each new licence here.",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    deprovisioning_url = forms.CharField(
        label="Deprovisioning endpoint",
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    integration_notes = forms.CharField(
        label="Notes for buyers on installing",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    # Fieldsets of the step's template.
    groups = (
        ("Selling", ("license_type", "trial_days")),
        (
            "Licence policy",
            (
                "policy_name",
                "max_activations",
                "is_floating",
                "is_license_per_seat",
                "duration_days",
                "entitlements",
            ),
        ),
        (
            "Heartbeats",
            ("is_heartbeat_required", "heartbeat_interval_seconds", "on_missed_heartbeat"),
        ),
        (
            "Provisioning",
            ("provisioning", "provisioning_url", "deprovisioning_url", "integration_notes"),
        ),
    )
    # The services' field names -> this form's.
    field_aliases = {"name": "policy_name"}

    def grouped(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.groups]


class SoftwareStep:
    title = "Licences"
    template = "licensing/studio_step.html"

    def form_class(self, product: Product) -> type[forms.Form]:
        return SoftwareStepForm

    def _default_policy(self, product: Product) -> tuple[SoftwareDetails | None, Policy | None]:
        details = (
            SoftwareDetails.objects.filter(product=product).select_related("default_policy").first()
        )
        if details is None:
            return None, None
        policy = (
            details.default_policy or Policy.objects.filter(product=product).order_by("id").first()
        )
        return details, policy

    def initial(self, product: Product) -> dict[str, Any]:
        details, policy = self._default_policy(product)
        initial: dict[str, Any] = {
            "license_type": LicenseType.ONE_TIME,
            "provisioning": Provisioning.MANUAL,
            "on_missed_heartbeat": MissedHeartbeat.DEACTIVATE,
        }
        if details is not None:
            initial.update(
                license_type=details.license_type,
                trial_days=details.trial_days,
                provisioning=details.provisioning,
                provisioning_url=details.provisioning_url,
                deprovisioning_url=details.deprovisioning_url,
                integration_notes=details.integration_notes,
            )
        if policy is not None:
            initial.update(
                policy_name=policy.name,
                max_activations=policy.max_activations,
                is_floating=policy.is_floating,
                is_license_per_seat=policy.is_license_per_seat,
                duration_days=policy.duration_days,
                is_heartbeat_required=policy.is_heartbeat_required,
                heartbeat_interval_seconds=policy.heartbeat_interval_seconds,
                on_missed_heartbeat=policy.on_missed_heartbeat,
                entitlements=", ".join(policy.entitlements),
            )
        return initial

    def save(self, product: Product, cleaned_data: dict[str, Any]) -> None:
        data = cleaned_data
        software.set_up_software(
            product=product,
            data=software.SoftwareData(
                license_type=data["license_type"],
                provisioning=data["provisioning"],
                provisioning_url=data.get("provisioning_url") or "",
                deprovisioning_url=data.get("deprovisioning_url") or "",
                integration_notes=data.get("integration_notes") or "",
                trial_days=data.get("trial_days") or 0,
            ),
        )
        policy_data = software.PolicyData(
            name=data["policy_name"],
            max_activations=data["max_activations"],
            is_floating=bool(data.get("is_floating")),
            duration_days=data.get("duration_days"),
            is_heartbeat_required=bool(data.get("is_heartbeat_required")),
            heartbeat_interval_seconds=data["heartbeat_interval_seconds"],
            on_missed_heartbeat=data["on_missed_heartbeat"],
            entitlements=[c for c in (data.get("entitlements") or "").split(",") if c.strip()],
            is_license_per_seat=bool(data.get("is_license_per_seat")),
        )
        _, policy = self._default_policy(product)
        if policy is None:
            software.create_policy(product=product, data=policy_data, is_default=True)
        else:
            software.update_policy(policy=policy, data=policy_data, is_default=True)


step = SoftwareStep()
