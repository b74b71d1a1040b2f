"""Platform support inside a marketplace, shown to that marketplace's operators: which staff
member entered, why, when, until when, and when it ended. The API list
(``/api/v1/operator/support-sessions``) and the back-office page (``/operator/support/``) read
the same rows.

The records are the public schema's SupportSession rows; they (and the staff's e-mail) are read
with the public schema on the search path, because a tenant schema has a user table of its own
that a join would otherwise reach."""

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_tenants.utils import get_public_schema_name, schema_context
from ninja import Field, Query, Router, Schema

from core.accounts.principal import principal_of, require_operator
from core.accounts.views import operator_page
from core.pagination import keyset_page
from tenants.models import SupportSession, Tenant
from tenants.selectors import current_tenant

SESSIONS_PER_PAGE = 50

operator_support_router = Router()


@dataclass(frozen=True)
class SupportAccess:
    id: int
    staff_email: str
    reason: str
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()


def _sessions(tenant: Tenant) -> QuerySet[SupportSession]:
    return SupportSession.objects.filter(tenant_id=tenant.pk).select_related("staff")


def _access(session: SupportSession) -> SupportAccess:
    return SupportAccess(
        id=session.pk,
        staff_email=session.staff.email,
        reason=session.reason,
        started_at=session.started_at,
        expires_at=session.expires_at,
        ended_at=session.ended_at,
    )


def support_access_page(
    tenant: Tenant, *, limit: int, cursor: str | None
) -> tuple[list[SupportAccess], str | None]:
    """Newest first, by cursor (the API's pagination)."""
    with schema_context(get_public_schema_name()):
        rows, next_cursor = keyset_page(
            _sessions(tenant), ordering=("-started_at",), limit=limit, cursor=cursor
        )
        return [_access(row) for row in rows], next_cursor


# --- the API -------------------------------------------------------------------------------------


class SupportAccessQuery(Schema):
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=512)


class SupportAccessOut(Schema):
    id: int
    staff_email: str
    reason: str
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None
    is_open: bool


class SupportAccessPageOut(Schema):
    items: list[SupportAccessOut]
    next_cursor: str | None


@operator_support_router.get(
    "",
    response=SupportAccessPageOut,
    summary="Platform support's sessions in this marketplace, newest first",
)
def list_support_sessions(
    request: HttpRequest, params: Query[SupportAccessQuery]
) -> dict[str, object]:
    require_operator(principal_of(request))
    rows, next_cursor = support_access_page(
        current_tenant(request), limit=params.limit, cursor=params.cursor
    )
    return {"items": rows, "next_cursor": next_cursor}


# --- the back-office page ------------------------------------------------------------------------


@require_safe
@operator_page
def support_sessions_page(request: HttpRequest) -> HttpResponse:
    tenant = current_tenant(request)
    with schema_context(get_public_schema_name()):
        ordered = _sessions(tenant).order_by("-started_at", "-pk")
        page = Paginator(ordered, SESSIONS_PER_PAGE).get_page(request.GET.get("page"))
        rows = [_access(session) for session in page.object_list]
    return render(request, "operator/support_sessions.html", {"page": page, "rows": rows})
