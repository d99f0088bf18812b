"""Business case queries; every read applies the caller's tenancy (a consenting supplier's
cases are also its buyer's)."""

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.business_cases.models import BusinessCase, BusinessCasePhoto
from services.indicators.replica.models import ReplicaEnterprise
from services.indicators.tenancy import shared_with_buyer
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class BusinessCaseRepository:
    async def get(
        self,
        session: AsyncSession,
        case_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> BusinessCase | None:
        statement = select(BusinessCase).where(
            BusinessCase.id == case_id, shared_with_buyer(BusinessCase.enterprise_id, principal)
        )
        if lock:
            statement = statement.with_for_update()
        return (await session.exec(statement)).first()

    async def enterprise_shared(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> bool:
        """Whether the caller may see the enterprise's business cases."""
        statement = select(ReplicaEnterprise.id).where(
            ReplicaEnterprise.id == enterprise_id,
            shared_with_buyer(ReplicaEnterprise.id, principal),
        )
        return (await session.exec(statement)).first() is not None

    async def for_enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, page: PageRequest
    ) -> list[BusinessCase]:
        """The enterprise's cases (its visibility checked by the caller)."""
        statement = select(BusinessCase).where(BusinessCase.enterprise_id == enterprise_id)
        return list((await session.exec(keyset_page(statement, col(BusinessCase.id), page))).all())

    async def for_enterprises(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, list[BusinessCase]]:
        """Batched for GraphQL: each enterprise's cases the caller may see (others: none)."""
        statement = (
            select(BusinessCase)
            .where(
                col(BusinessCase.enterprise_id).in_(set(enterprise_ids)),
                shared_with_buyer(BusinessCase.enterprise_id, principal),
            )
            .order_by(col(BusinessCase.id))
        )
        found: dict[UUID, list[BusinessCase]] = {key: [] for key in enterprise_ids}
        for case in (await session.exec(statement)).all():
            found[case.enterprise_id].append(case)
        return found

    async def photos(
        self, session: AsyncSession, case_ids: Sequence[UUID]
    ) -> dict[UUID, list[BusinessCasePhoto]]:
        """The cases' photos (their cases' visibility checked by the caller): before first."""
        found: dict[UUID, list[BusinessCasePhoto]] = {key: [] for key in case_ids}
        if not case_ids:
            return found
        statement = (
            select(BusinessCasePhoto)
            .where(col(BusinessCasePhoto.business_case_id).in_(set(case_ids)))
            .order_by(col(BusinessCasePhoto.stage).desc(), col(BusinessCasePhoto.id))
        )
        for photo in (await session.exec(statement)).all():
            found[photo.business_case_id].append(photo)
        return found

    async def photo(
        self, session: AsyncSession, case_id: UUID, photo_id: UUID, *, principal: Principal
    ) -> BusinessCasePhoto | None:
        statement = (
            select(BusinessCasePhoto)
            .join(BusinessCase, col(BusinessCase.id) == col(BusinessCasePhoto.business_case_id))
            .where(
                BusinessCasePhoto.id == photo_id,
                BusinessCasePhoto.business_case_id == case_id,
                shared_with_buyer(BusinessCase.enterprise_id, principal),
            )
        )
        return (await session.exec(statement)).first()

    async def stored_keys(self, session: AsyncSession, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` a photo row names (for the sweep of orphaned files)."""
        statement = select(BusinessCasePhoto.storage_key).where(
            col(BusinessCasePhoto.storage_key).in_(set(keys))
        )
        return set((await session.exec(statement)).all())


business_case_repository = BusinessCaseRepository()
