"""Consent queries. The consent service checks the enterprise's tenancy first; the current
consent is what tenancy reads for buyers (``tenancy.visible_enterprise_ids``)."""

from uuid import UUID

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.consent.models import Consent, ConsentEvent
from shared.enums import ConsentStatus
from shared.pagination import PageRequest, keyset_page


class ConsentRepository:
    async def get(
        self,
        session: AsyncSession,
        *,
        enterprise_id: UUID,
        buyer_id: UUID,
        lock: bool = False,
    ) -> Consent | None:
        statement = select(Consent).where(
            Consent.enterprise_id == enterprise_id, Consent.buyer_id == buyer_id
        )
        if lock:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        enterprise_id: UUID,
        page: PageRequest,
        buyer_id: UUID | None = None,
    ) -> list[Consent]:
        statement = select(Consent).where(Consent.enterprise_id == enterprise_id)
        if buyer_id is not None:
            statement = statement.where(Consent.buyer_id == buyer_id)
        statement = keyset_page(statement, col(Consent.id), page)
        return list((await session.exec(statement)).all())

    async def insert_given_if_absent(self, session: AsyncSession, consent: Consent) -> bool:
        """Insert a newly given consent unless a concurrent request already did; True if ours."""
        statement = (
            insert(Consent)
            .values(
                id=consent.id,
                enterprise_id=consent.enterprise_id,
                buyer_id=consent.buyer_id,
                status=ConsentStatus.given.value,
                scope=consent.scope,
                given_at=consent.given_at,
                updated_at=consent.updated_at,
            )
            .on_conflict_do_nothing(index_elements=["enterprise_id", "buyer_id"])
            .returning(col(Consent.id))
        )
        return (await session.execute(statement)).first() is not None

    async def events(
        self, session: AsyncSession, consent_id: UUID, *, page: PageRequest
    ) -> list[ConsentEvent]:
        statement = select(ConsentEvent).where(ConsentEvent.consent_id == consent_id)
        statement = keyset_page(statement, col(ConsentEvent.id), page)
        return list((await session.exec(statement)).all())


consent_repository = ConsentRepository()
