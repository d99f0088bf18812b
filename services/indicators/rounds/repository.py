"""Measurement round queries; a round is read within its project's tenancy."""

from collections.abc import Collection
from uuid import UUID

from sqlalchemy import Uuid, literal
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.rounds.models import MeasurementRound
from services.indicators.tenancy import project_role, project_visible
from services.indicators.values.validation import RoundInfo
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page
from shared.sql import any_of


class RoundRepository:
    async def get(
        self, session: AsyncSession, round_id: UUID, *, principal: Principal
    ) -> MeasurementRound | None:
        """The round, if the caller may see its project (else it does not exist for them)."""
        statement = select(MeasurementRound).where(
            MeasurementRound.id == round_id,
            project_visible(MeasurementRound.project_id, principal),
        )
        return (await session.exec(statement)).first()

    async def find(
        self, session: AsyncSession, *, project_id: UUID, kind: str, sequence: int
    ) -> MeasurementRound | None:
        statement = select(MeasurementRound).where(
            MeasurementRound.project_id == project_id,
            MeasurementRound.kind == kind,
            MeasurementRound.sequence == sequence,
        )
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
    ) -> list[MeasurementRound]:
        statement = select(MeasurementRound).where(
            project_visible(MeasurementRound.project_id, principal)
        )
        if project_id is not None:
            statement = statement.where(MeasurementRound.project_id == project_id)
        statement = keyset_page(statement, col(MeasurementRound.id), page)
        return list((await session.exec(statement)).all())

    async def of_project(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> list[MeasurementRound]:
        """A project's rounds in calendar order; none for a project the caller may not see."""
        statement = (
            select(MeasurementRound)
            .where(
                col(MeasurementRound.project_id) == project_id,
                project_visible(MeasurementRound.project_id, principal),
            )
            .order_by(
                col(MeasurementRound.starts_on),
                col(MeasurementRound.kind),
                col(MeasurementRound.sequence),
            )
        )
        return list((await session.exec(statement)).all())

    async def by_ids(self, session: AsyncSession, ids: Collection[UUID]) -> dict[UUID, RoundInfo]:
        if not ids:
            return {}
        rows = await session.exec(
            select(
                MeasurementRound.id,
                MeasurementRound.project_id,
                MeasurementRound.kind,
                MeasurementRound.sequence,
            ).where(any_of(MeasurementRound.id, ids))
        )
        return {r[0]: RoundInfo(id=r[0], project_id=r[1], kind=r[2], sequence=r[3]) for r in rows}

    async def has_project_role(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> bool:
        """Whether the caller has a role in the project (per the replica's projects)."""
        project = literal(project_id, Uuid)
        found = await session.exec(select(project).where(project_role(project, principal)))
        return found.first() is not None


round_repository = RoundRepository()
