from ninja import Schema

from core.catalog.schemas import ProductCardOut


class ShelfOut(Schema):
    strategy: str
    title: str
    items: list[ProductCardOut]
