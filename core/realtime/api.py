from ninja import Router

realtime_router = Router()
