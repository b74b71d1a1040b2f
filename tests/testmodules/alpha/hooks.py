from core.registry.manifest import OrderLineLike
from tests.testmodules.alpha.models import FulfilmentRecord


def fulfil(order_line: OrderLineLike) -> None:
    FulfilmentRecord.objects.create(line_id=str(order_line.pk), action="fulfil")


def revoke(order_line: OrderLineLike) -> None:
    FulfilmentRecord.objects.create(line_id=str(order_line.pk), action="revoke")
