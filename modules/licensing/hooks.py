"""The module's fulfilment hooks (being written)."""

from core.registry.manifest import OrderLineLike


def fulfil(order_line: OrderLineLike) -> None:
    raise NotImplementedError


def revoke(order_line: OrderLineLike) -> None:
    raise NotImplementedError
