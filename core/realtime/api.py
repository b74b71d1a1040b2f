"""``/api/v1/realtime``: socket tickets (mounted with the API's user authentication by
``api/v1.py``: a browser session with CSRF, or a personal access token)."""

from urllib.parse import urlencode

from django.http import HttpRequest
from ninja import Router, Status

from core.accounts.principal import principal_of
from core.realtime.schemas import TicketOut
from core.realtime.services.tickets import mint_ticket

realtime_router = Router()


@realtime_router.post(
    "/tickets",
    response={201: TicketOut},
    summary="A single-use ticket (30 s) to open this marketplace's WebSocket at /ws/",
)
def create_ticket(request: HttpRequest) -> Status[TicketOut]:
    principal = principal_of(request)
    session_key = "" if principal.token is not None else (request.session.session_key or "")
    minted = mint_ticket(user=principal.user, session_key=session_key)
    return Status(
        201,
        TicketOut(
            ticket=minted.ticket,
            url="/ws/?" + urlencode({"ticket": minted.ticket}),
            expires_in=minted.expires_in,
        ),
    )
