from django.db import models


class SocketTicket(models.Model):
    """A single-use pass for opening one WebSocket, minted over the authenticated API (a
    browser cannot send an Authorization header on a WebSocket). Lives in the tenant's schema,
    so a ticket of one marketplace does not exist in another's. Only the SHA-256 of the value
    is stored; using it deletes the row (``DELETE ... RETURNING``), so it works once."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    # The browser session it was minted from (empty for a personal access token): the socket
    # ends when that session does.
    session_key = models.CharField(max_length=40, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"ticket of user {self.user_id} until {self.expires_at:%H:%M:%S}"
