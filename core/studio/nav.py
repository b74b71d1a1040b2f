"""The studio's own sections, in the order the navigation shows them; modules' studio pages
follow (their manifests' ``pages``). A link shows to a teammate who holds ``permission``
(any one of ``any_of``); ``is_owner_only`` sections only to the seller's owner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class StudioSection:
    label: str
    url: str  # URL name
    permission: str | None = None
    any_of: tuple[str, ...] = ()
    is_owner_only: bool = False

    def is_open_to(self, held: frozenset[str], *, is_owner: bool) -> bool:
        if is_owner:
            return True
        if self.is_owner_only:
            return False
        if self.permission is not None and self.permission not in held:
            return False
        return not self.any_of or bool(held & set(self.any_of))


SECTIONS: tuple[StudioSection, ...] = (
    StudioSection(label="Dashboard", url="studio:dashboard", permission="view_analytics"),
    StudioSection(label="Products", url="studio:products", permission="manage_products"),
    StudioSection(label="Orders", url="studio:orders", permission="process_orders"),
    StudioSection(
        label="Messages", url="studio:messages", any_of=("manage_customers", "process_orders")
    ),
    StudioSection(label="Disputes", url="studio:disputes", permission="process_orders"),
    StudioSection(label="Customers", url="studio:customers", permission="manage_customers"),
    StudioSection(label="Analytics", url="studio:analytics", permission="view_analytics"),
    StudioSection(
        label="Reviews", url="studio:reviews", any_of=("manage_customers", "process_orders")
    ),
    StudioSection(label="Payouts", url="studio:payouts", is_owner_only=True),
    StudioSection(label="Team", url="studio:team", is_owner_only=True),
    StudioSection(
        label="Integration", url="studio:integration", permission="configure_integration"
    ),
    StudioSection(label="Shop profile", url="studio:profile", is_owner_only=True),
)
