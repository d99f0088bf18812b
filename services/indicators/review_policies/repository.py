"""Review policy queries (programme rules of projects, read by those who may see them)."""

from collections.abc import Collection
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.review_policies.models import ReviewPolicy
from shared.pagination import PageRequest, keyset_page
from shared.sql import any_of


class ReviewPolicyRepository:
    async def one_pair_of_eyes(
        self, session: AsyncSession, project_ids: Collection[UUID]
    ) -> set[UUID]:
        """Those of the projects that turned the four-eyes rule off."""
        if not project_ids:
            return set()
        rows = await session.exec(
            select(ReviewPolicy.project_id).where(
                any_of(ReviewPolicy.project_id, project_ids),
                col(ReviewPolicy.four_eyes).is_(False),
            )
        )
        return set(rows.all())

    async def policy(self, session: AsyncSession, project_id: UUID) -> ReviewPolicy | None:
        return await session.get(ReviewPolicy, project_id, populate_existing=True)

    async def policies(
        self,
        session: AsyncSession,
        *,
        project_ids: Collection[UUID] | None,
        four_eyes: bool | None,
        page: PageRequest,
    ) -> list[ReviewPolicy]:
        statement = select(ReviewPolicy)
        if project_ids is not None:
            statement = statement.where(any_of(ReviewPolicy.project_id, project_ids))
        if four_eyes is not None:
            statement = statement.where(col(ReviewPolicy.four_eyes).is_(four_eyes))
        statement = keyset_page(statement, col(ReviewPolicy.project_id), page)
        return list((await session.exec(statement)).all())


review_policy_repository = ReviewPolicyRepository()
