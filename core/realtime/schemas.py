from ninja import Schema


class TicketOut(Schema):
    ticket: str
    # Where to open the socket with it, on this host: "/ws/?ticket=...".
    url: str
    expires_in: int
