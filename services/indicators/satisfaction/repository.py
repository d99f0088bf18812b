"""Satisfaction response queries; every read applies the caller's tenancy."""

from collections.abc import Sequence
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import ColumnElement, func, tuple_
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.satisfaction.models import SatisfactionResponse
from services.indicators.satisfaction.schemas import SATISFIED_RATING
from services.indicators.tenancy import enterprise_visible
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page
from shared.sql import any_of


class SatisfactionTally(NamedTuple):
    n: int
    satisfied: int
    average_rating: float


class SatisfactionRepository:
    async def existing(
        self, session: AsyncSession, keys: Sequence[tuple[UUID, str]]
    ) -> dict[tuple[UUID, str], UUID]:
        """Responses already recorded for (participant_id, module_code) pairs, across tenants:
        the uniqueness rule is global, like the constraint that backs it."""
        if not keys:
            return {}
        statement = select(
            SatisfactionResponse.participant_id,
            SatisfactionResponse.module_code,
            SatisfactionResponse.id,
        ).where(
            tuple_(
                col(SatisfactionResponse.participant_id), col(SatisfactionResponse.module_code)
            ).in_(list(set(keys)))
        )
        rows = (await session.exec(statement)).all()
        return {(participant, module): id_ for participant, module, id_ in rows}

    def _filtered(
        self,
        principal: Principal,
        *,
        enterprise_id: UUID | None,
        module_code: str | None,
        cohort_id: UUID | None,
    ) -> list[ColumnElement[bool]]:
        conditions = [enterprise_visible(SatisfactionResponse.enterprise_id, principal)]
        if enterprise_id is not None:
            conditions.append(col(SatisfactionResponse.enterprise_id) == enterprise_id)
        if module_code is not None:
            conditions.append(col(SatisfactionResponse.module_code) == module_code)
        if cohort_id is not None:
            conditions.append(col(SatisfactionResponse.cohort_id) == cohort_id)
        return conditions

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        enterprise_id: UUID | None = None,
        module_code: str | None = None,
        cohort_id: UUID | None = None,
    ) -> list[SatisfactionResponse]:
        conditions = self._filtered(
            principal, enterprise_id=enterprise_id, module_code=module_code, cohort_id=cohort_id
        )
        statement = select(SatisfactionResponse).where(*conditions)
        statement = keyset_page(statement, col(SatisfactionResponse.id), page)
        return list((await session.exec(statement)).all())

    async def tallies(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        enterprise_id: UUID | None = None,
        module_code: str | None = None,
        cohort_id: UUID | None = None,
    ) -> list[tuple[str, str, int, int, int, int, int]]:
        """Per (sex, role): responses, satisfied, rating sum, would recommend yes, answered."""
        conditions = self._filtered(
            principal, enterprise_id=enterprise_id, module_code=module_code, cohort_id=cohort_id
        )
        rating = col(SatisfactionResponse.rating)
        recommend = col(SatisfactionResponse.would_recommend)
        # Seven columns: past what sqlmodel's typed select() spells, so a Core statement.
        statement = (
            core_select(
                col(SatisfactionResponse.sex),
                col(SatisfactionResponse.role),
                func.count(),
                func.count().filter(rating >= SATISFIED_RATING),
                func.coalesce(func.sum(rating), 0),
                func.count().filter(recommend.is_(True)),
                func.count(recommend),
            )
            .where(*conditions)
            .group_by(col(SatisfactionResponse.sex), col(SatisfactionResponse.role))
        )
        rows = (await session.execute(statement)).all()
        return [
            (sex, role, n, sat, total, yes, answered)
            for sex, role, n, sat, total, yes, answered in rows
        ]

    async def for_enterprises(
        self,
        session: AsyncSession,
        enterprise_ids: Sequence[UUID],
        *,
        principal: Principal,
        module_code: str | None = None,
    ) -> dict[UUID, SatisfactionTally]:
        """Each enterprise's responses, satisfied ones and mean rating, in one statement."""
        rating = col(SatisfactionResponse.rating)
        statement = (
            select(
                SatisfactionResponse.enterprise_id,
                func.count(),
                func.count().filter(rating >= SATISFIED_RATING),
                func.avg(rating),
            )
            .where(
                any_of(SatisfactionResponse.enterprise_id, enterprise_ids),
                enterprise_visible(SatisfactionResponse.enterprise_id, principal),
            )
            .group_by(col(SatisfactionResponse.enterprise_id))
        )
        if module_code is not None:
            statement = statement.where(col(SatisfactionResponse.module_code) == module_code)
        return {
            enterprise_id: SatisfactionTally(n, satisfied, float(average))
            for enterprise_id, n, satisfied, average in (await session.exec(statement)).all()
        }


satisfaction_repository = SatisfactionRepository()
