from ninja import Router

notifications_router = Router()
