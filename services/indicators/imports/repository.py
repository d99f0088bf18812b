"""Queries behind templates and exports; every read of enterprise data applies tenancy."""

from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.models import Indicator
from services.indicators.replica.models import ReplicaCohort, ReplicaEnrolment, ReplicaEnterprise
from services.indicators.tenancy import cohort_visible, enterprise_visible, value_visible
from services.indicators.values.models import IndicatorValue
from shared.identity import Principal


@dataclass(frozen=True)
class ExportedValue:
    value: IndicatorValue
    indicator_code: str
    indicator_kind: str
    enterprise_name: str


class ImportRepository:
    async def enrolled_enterprises(
        self,
        session: AsyncSession,
        *,
        project_id: UUID,
        stages: Collection[str],
        principal: Principal,
        enterprise_id: UUID | None = None,
    ) -> list[ReplicaEnterprise]:
        statement = (
            select(ReplicaEnterprise)
            .join(ReplicaEnrolment, col(ReplicaEnrolment.enterprise_id) == ReplicaEnterprise.id)
            .where(
                ReplicaEnrolment.project_id == project_id,
                col(ReplicaEnrolment.stage).in_(stages),
                enterprise_visible(ReplicaEnterprise.id, principal),
            )
            .order_by(col(ReplicaEnterprise.name), col(ReplicaEnterprise.id))
        )
        if enterprise_id is not None:
            statement = statement.where(ReplicaEnterprise.id == enterprise_id)
        return list((await session.exec(statement)).unique().all())

    async def get_enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> ReplicaEnterprise | None:
        statement = select(ReplicaEnterprise).where(
            ReplicaEnterprise.id == enterprise_id,
            enterprise_visible(ReplicaEnterprise.id, principal),
        )
        return (await session.exec(statement)).first()

    async def get_cohort(
        self, session: AsyncSession, cohort_id: UUID, *, principal: Principal
    ) -> ReplicaCohort | None:
        statement = select(ReplicaCohort).where(
            ReplicaCohort.id == cohort_id, cohort_visible(principal)
        )
        return (await session.exec(statement)).first()

    async def enterable_indicators(self, session: AsyncSession) -> list[Indicator]:
        """Active indicators people enter; derived ones are computed from their inputs."""
        statement = (
            select(Indicator)
            .where(col(Indicator.active).is_(True), col(Indicator.formula).is_(None))
            .order_by(col(Indicator.code))
        )
        return list((await session.exec(statement)).all())

    async def derived_indicators(self, session: AsyncSession) -> list[Indicator]:
        """Active indicators computed from others (listed for reference, never entered)."""
        statement = (
            select(Indicator)
            .where(col(Indicator.active).is_(True), col(Indicator.formula).is_not(None))
            .order_by(col(Indicator.code))
        )
        return list((await session.exec(statement)).all())

    async def indicator_kinds(
        self, session: AsyncSession, codes: Collection[str]
    ) -> dict[str, str]:
        if not codes:
            return {}
        statement = select(Indicator.code, Indicator.kind).where(col(Indicator.code).in_(codes))
        return {code: kind for code, kind in (await session.exec(statement)).all()}

    async def current_values(
        self,
        session: AsyncSession,
        *,
        enterprise_ids: Collection[UUID],
        principal: Principal,
        project_id: UUID | None = None,
        round_id: UUID | None = None,
    ) -> list[ExportedValue]:
        statement = (
            select(IndicatorValue, Indicator.code, Indicator.kind, ReplicaEnterprise.name)
            .join(Indicator, col(Indicator.id) == IndicatorValue.indicator_id)
            .join(ReplicaEnterprise, col(ReplicaEnterprise.id) == IndicatorValue.enterprise_id)
            .where(
                col(IndicatorValue.is_current).is_(True),
                col(IndicatorValue.enterprise_id).in_(enterprise_ids),
                value_visible(principal),
            )
            .order_by(
                col(ReplicaEnterprise.name),
                col(IndicatorValue.enterprise_id),
                col(Indicator.code),
                col(IndicatorValue.round_id),
                col(IndicatorValue.month),
                col(IndicatorValue.sex).nulls_first(),
                col(IndicatorValue.role).nulls_first(),
            )
        )
        if project_id is not None:
            statement = statement.where(IndicatorValue.project_id == project_id)
        if round_id is not None:
            statement = statement.where(IndicatorValue.round_id == round_id)
        rows = (await session.exec(statement)).all()
        return [ExportedValue(value, code, kind, name) for value, code, kind, name in rows]


import_repository = ImportRepository()
