from django.http import HttpRequest
from ninja import Router

from tenants.selectors import current_tenant

router = Router()


@router.get("/ping")
def ping(request: HttpRequest) -> dict[str, str]:
    return {"module": "beta", "tenant": current_tenant(request).slug}
