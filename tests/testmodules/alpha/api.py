from django.core.cache import cache
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from core.pagination import CursorPagination
from core.schemas import StrictSchema
from core.sellers.auth import authorised_seller
from tenants.selectors import current_tenant
from tests.testmodules.alpha.manifest import manifest
from tests.testmodules.alpha.models import AlphaItem

router = Router()
# Mounted at /api/v1/alpha/seller/ behind the manifest's permissions (no auth of its own).
seller_router = Router()


class ItemIn(StrictSchema):
    name: str = Field(..., min_length=1, max_length=80)
    quantity: int = Field(1, ge=1, le=1000)


class ItemOut(Schema):
    id: int
    name: str
    quantity: int


@router.get("/items", response=list[ItemOut])
@paginate(CursorPagination)
def list_items(request: HttpRequest):
    return AlphaItem.objects.all()


@router.post("/items", response={201: ItemOut})
def create_item(request: HttpRequest, payload: ItemIn):
    return Status(201, AlphaItem.objects.create(name=payload.name, quantity=payload.quantity))


class UncheckedItemIn(StrictSchema):
    """No limits on purpose: the API's DataError safety net is tested through it."""

    name: str


@router.post("/items/unchecked", response={201: ItemOut})
def create_unchecked_item(request: HttpRequest, payload: UncheckedItemIn):
    return Status(201, AlphaItem.objects.create(name=payload.name))


class GreetingOut(Schema):
    greeting: str


@router.get("/greeting", response=GreetingOut)
def greeting(request: HttpRequest) -> dict[str, str]:
    return {"greeting": manifest.settings_for(current_tenant(request)).greeting}


class CacheIn(StrictSchema):
    value: str = Field(..., max_length=100)


class CachedOut(Schema):
    key: str
    value: str | None


@router.put("/cache/{key}", response=CachedOut)
def put_cached(request: HttpRequest, key: str, payload: CacheIn):
    cache.set(f"alpha:{key}", payload.value, 60)
    return {"key": key, "value": payload.value}


@router.get("/cache/{key}", response=CachedOut)
def get_cached(request: HttpRequest, key: str):
    return {"key": key, "value": cache.get(f"alpha:{key}")}


class StockOut(Schema):
    seller: str
    items: int


@seller_router.get("/stock", response=StockOut)
def stock(request: HttpRequest):
    return {"seller": authorised_seller(request).slug, "items": AlphaItem.objects.count()}
