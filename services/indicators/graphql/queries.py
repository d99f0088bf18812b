"""The root fields' queries: the indicator catalogue and the measurement rounds."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import ColumnElement, Uuid, any_, false, literal, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.models import Indicator
from services.indicators.replica.models import ReplicaCohort, ReplicaEnrolment
from services.indicators.tenancy import enterprise_visible
from services.indicators.values.models import MeasurementRound
from shared.enums import Role
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


def project_visible(project_column: UUID, principal: Principal) -> ColumnElement[bool]:
    """A WHERE condition: the caller takes part in the project, judged on the replica.

    A manager their own project; a trainer the projects of their cohorts; everyone else
    the projects their visible enterprises are enrolled in. Buyers see nothing here.
    """
    match principal.role:
        case Role.ilo_global | Role.service:
            return true()
        case Role.programme_manager:
            return col(project_column) == principal.project_id
        case Role.trainer:
            return col(project_column).in_(
                select(ReplicaCohort.project_id).where(
                    literal(principal.trainer_id, Uuid) == any_(col(ReplicaCohort.trainer_ids))
                )
            )
        case Role.partner_staff | Role.enterprise_user:
            return col(project_column).in_(
                select(ReplicaEnrolment.project_id).where(
                    enterprise_visible(ReplicaEnrolment.enterprise_id, principal)
                )
            )
    return false()


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
