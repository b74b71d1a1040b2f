from django.http import HttpRequest
from ninja import Router, Schema

from tenants.selectors import current_tenant

router = Router()


class PingOut(Schema):
    module: str
    tenant: str


@router.get("/ping", response=PingOut)
def ping(request: HttpRequest) -> dict[str, str]:
    return {"module": "beta", "tenant": current_tenant(request).slug}
