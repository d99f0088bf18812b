"""Indicator catalogue queries. The catalogue is programme information, not tenant data."""

from collections.abc import Collection, Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.catalogue.models import Indicator, IndicatorVersion
from services.indicators.values.models import IndicatorValue
from shared.pagination import PageRequest, keyset_page


class IndicatorRepository:
    async def get_by_code(
        self, session: AsyncSession, code: str, *, for_update: bool = False
    ) -> Indicator | None:
        statement = select(Indicator).where(Indicator.code == code)
        if for_update:
            # Version numbers are handed out one change at a time.
            statement = statement.with_for_update()
        return (await session.exec(statement)).first()

    async def get_by_codes(self, session: AsyncSession, codes: Collection[str]) -> list[Indicator]:
        if not codes:
            return []
        statement = select(Indicator).where(col(Indicator.code).in_(set(codes)))
        return list((await session.exec(statement)).all())

    async def get_all(
        self,
        session: AsyncSession,
        *,
        page: PageRequest,
        kind: str | None = None,
        module_code: str | None = None,
        active: bool | None = None,
    ) -> list[Indicator]:
        statement = select(Indicator)
        if kind is not None:
            statement = statement.where(Indicator.kind == kind)
        if module_code is not None:
            statement = statement.where(Indicator.module_code == module_code)
        if active is not None:
            statement = statement.where(Indicator.active == active)
        statement = keyset_page(statement, col(Indicator.id), page)
        return list((await session.exec(statement)).all())

    async def catalogue(
        self,
        session: AsyncSession,
        *,
        kind: str | None = None,
        module_code: str | None = None,
        include_inactive: bool = False,
    ) -> list[Indicator]:
        """The whole catalogue in code order (tens of rows: the graph reads it unpaged)."""
        statement = select(Indicator)
        if kind is not None:
            statement = statement.where(col(Indicator.kind) == kind)
        if module_code is not None:
            statement = statement.where(col(Indicator.module_code) == module_code)
        if not include_inactive:
            statement = statement.where(col(Indicator.active))
        return list((await session.exec(statement.order_by(col(Indicator.code)))).all())

    async def insert_missing(
        self, session: AsyncSession, indicators: Iterable[dict[str, Any]]
    ) -> list[Indicator]:
        """Insert the indicators whose code is not in the catalogue yet (a concurrent seeder's
        are skipped, not an error); the inserted ones, in id order."""
        inserted_ids: list[UUID] = []
        for values in indicators:
            result = await session.execute(
                insert(Indicator)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["code"])
                .returning(col(Indicator.id))
            )
            inserted_ids.extend(result.scalars().all())
        if not inserted_ids:
            return []
        statement = select(Indicator).where(col(Indicator.id).in_(inserted_ids))
        return list((await session.exec(statement.order_by(col(Indicator.id)))).all())

    async def derived(self, session: AsyncSession) -> list[Indicator]:
        """Every indicator with a formula (few: the catalogue is tens of rows)."""
        statement = select(Indicator).where(col(Indicator.formula).is_not(None))
        return list((await session.exec(statement.order_by(col(Indicator.id)))).all())

    async def using_as_input(self, session: AsyncSession, code: str) -> list[Indicator]:
        """Derived indicators whose formula reads ``code``."""
        formula = col(Indicator.formula)
        statement = select(Indicator).where(
            or_(formula["numerator"].astext == code, formula["denominator"].astext == code)
        )
        return list((await session.exec(statement.order_by(col(Indicator.code)))).all())

    async def versions(self, session: AsyncSession, indicator_id: UUID) -> list[IndicatorVersion]:
        statement = (
            select(IndicatorVersion)
            .where(IndicatorVersion.indicator_id == indicator_id)
            .order_by(col(IndicatorVersion.version))
        )
        return list((await session.exec(statement)).all())

    async def version(
        self, session: AsyncSession, indicator_id: UUID, version: int
    ) -> IndicatorVersion | None:
        statement = select(IndicatorVersion).where(
            IndicatorVersion.indicator_id == indicator_id, IndicatorVersion.version == version
        )
        return (await session.exec(statement)).first()

    async def value_count(self, session: AsyncSession, indicator_id: UUID) -> int:
        """Recorded values of the indicator, every version of every slot (history included)."""
        statement = select(func.count()).where(IndicatorValue.indicator_id == indicator_id)
        return (await session.exec(statement)).one()


indicator_repository = IndicatorRepository()
