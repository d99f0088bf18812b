"""The root fields' queries: the indicator catalogue and the measurement rounds."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.models import Indicator
from services.indicators.tenancy import project_visible
from services.indicators.values.models import MeasurementRound
from shared.identity import Principal


async def catalogue(
    session: AsyncSession,
    *,
    kind: str | None = None,
    module_code: str | None = None,
    include_inactive: bool = False,
) -> Sequence[Indicator]:
    """Definitions are programme facts, not enterprise data: any authenticated caller."""
    statement = (
        select(Indicator)
        .where(
            true() if kind is None else col(Indicator.kind) == kind,
            true() if module_code is None else col(Indicator.module_code) == module_code,
            true() if include_inactive else col(Indicator.active),
        )
        .order_by(col(Indicator.code))
    )
    return (await session.exec(statement)).all()


async def rounds(
    session: AsyncSession, project_id: UUID, *, principal: Principal
) -> Sequence[MeasurementRound]:
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
    return (await session.exec(statement)).all()
