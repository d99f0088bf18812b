"""Calls for expression of interest, applications, evaluation and shortlisting."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from shared.identity import Principal


class ApplicationService:
    async def reevaluate_for_enterprise(
        self, session: AsyncSession, *, enterprise_id: UUID, principal: Principal
    ) -> None:
        """Re-judge the enterprise's applications to calls whose deadline has not passed."""
        del session, enterprise_id, principal


application_service = ApplicationService()
