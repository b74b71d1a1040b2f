from ninja import Router

disputes_router = Router()
