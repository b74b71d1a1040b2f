"""The wizard step a module contributes for the product types it sells (``manifest.
studio_product_step``, a dotted path to a ``ProductStep`` instance or class). The studio
renders its form after the images step, with ``initial(product)``, and on a valid POST calls
``save(product, cleaned_data)``, which calls the module's own services. A ``DomainError``
from ``save`` is shown on the form (``details["field"]`` names the field) and, because the
studio runs ``save`` in a transaction, writes nothing. Types without a step skip it."""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol, runtime_checkable

from django import forms
from django.utils.module_loading import import_string

from core.catalog.models import Product
from core.registry import get_registry
from core.registry.enablement import enabled_module_keys


@runtime_checkable
class ProductStep(Protocol):
    # The step's name in the wizard ("Licences").
    title: str
    # A template of the step's fields (gets ``form``, ``product``), or "" for the studio's
    # generic field list.
    template: str

    def form_class(self, product: Product) -> type[forms.Form]:
        """The Django form of the step, built for this product (choices may depend on it)."""
        ...

    def initial(self, product: Product) -> dict[str, Any]:
        """The form's values for a product that was set up before."""
        ...

    def save(self, product: Product, cleaned_data: dict[str, Any]) -> None:
        """Write the step through the module's services; raise a ``DomainError`` to refuse."""
        ...


@cache
def _load(path: str) -> ProductStep:
    loaded = import_string(path)
    step = loaded() if isinstance(loaded, type) else loaded
    if not isinstance(step, ProductStep):
        raise TypeError(f"{path} is not a core.studio.products.steps.ProductStep")
    return step


def step_for(product_type: str) -> ProductStep | None:
    """The step of the module that sells ``product_type`` here (a module that is on), if it
    contributes one."""
    enabled = enabled_module_keys()
    for manifest in get_registry():
        if (
            manifest.key in enabled
            and product_type in manifest.product_type_keys
            and manifest.studio_product_step
        ):
            return _load(manifest.studio_product_step)
    return None
