"""Who may read and record an enterprise's records, decided on the enrolment replica."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.replica.repository import replica_repository
from services.indicators.tenancy import can_enter_values
from shared.identity import Principal
from shared.problems import Forbidden, NotFound


async def enterprise_or_404(
    session: AsyncSession, enterprise_id: UUID, *, principal: Principal
) -> UUID:
    """The enterprise, if the replica knows it and the caller may see it; else 404 (unknown
    and another tenant's read the same)."""
    visible = await replica_repository.visible_ids(session, [enterprise_id], principal=principal)
    if enterprise_id not in visible:
        raise NotFound(f"Enterprise {enterprise_id} not found")
    return enterprise_id


def require_recorder(principal: Principal, action: str) -> None:
    """The roles that record enterprise data; others may at most read."""
    if not can_enter_values(principal):
        raise Forbidden(f"A {principal.role.value} cannot {action}")
