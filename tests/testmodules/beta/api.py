from django.http import HttpRequest
from ninja import Router

router = Router()


@router.get("/ping")
def ping(request: HttpRequest):
    return {"module": "beta", "tenant": request.tenant.slug}
