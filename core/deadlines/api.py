"""``/api/v1/operator/deadlines``: the marketplace's deadlines for support (mounted with the
API's user authentication by ``api/v1.py``; operators with the second factor only)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from core.accounts.principal import principal_of, require_operator
from core.deadlines.models import Deadline
from core.deadlines.schemas import DeadlineFilter, DeadlineOut
from core.deadlines.selectors import SUPPORT_ORDERING, deadlines_for_support
from core.pagination import CursorPagination

operator_deadlines_router = Router()


@operator_deadlines_router.get(
    "",
    response=list[DeadlineOut],
    summary="The marketplace's deadlines: pending, running, fired, failed, cancelled",
)
@paginate(CursorPagination, ordering=SUPPORT_ORDERING)
def list_deadlines(request: HttpRequest, filters: Query[DeadlineFilter]) -> QuerySet[Deadline]:
    require_operator(principal_of(request))
    return deadlines_for_support(status=filters.status, key_prefix=filters.key_prefix)
