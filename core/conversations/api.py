from ninja import Router

chats_router = Router()
operator_messages_router = Router()
