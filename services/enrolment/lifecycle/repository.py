"""Enrolment, transition and consent queries; every read applies the caller's tenancy."""

from uuid import UUID

from sqlalchemy import or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.enterprises.models import Enterprise
from services.enrolment.lifecycle.models import Consent, ConsentEvent, Enrolment, StageTransition
from services.enrolment.organisations.models import Organisation, Project, ProjectOrganisation
from services.enrolment.tenancy import (
    enrolment_visible,
    enterprise_visible,
    project_visible,
)
from shared.enums import ConsentStatus, LifecycleStage, OrganisationKind, Role
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class EnrolmentRepository:
    async def get(
        self,
        session: AsyncSession,
        enrolment_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> Enrolment | None:
        statement = select(Enrolment).where(
            Enrolment.id == enrolment_id, enrolment_visible(principal)
        )
        if lock:
            # Two people moving the same enrolment at once must not both pass the machine
            # from the same stage; the locked read also refreshes a cached row.
            statement = statement.with_for_update().execution_options(populate_existing=True)
        return (await session.exec(statement)).first()

    async def find(
        self, session: AsyncSession, *, project_id: UUID, enterprise_id: UUID
    ) -> Enrolment | None:
        """The enrolment of the pair, unfiltered: callers check both sides' tenancy first."""
        statement = select(Enrolment).where(
            Enrolment.project_id == project_id, Enrolment.enterprise_id == enterprise_id
        )
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
        enterprise_id: UUID | None = None,
        stage: LifecycleStage | None = None,
    ) -> list[Enrolment]:
        statement = select(Enrolment).where(enrolment_visible(principal))
        if project_id is not None:
            statement = statement.where(Enrolment.project_id == project_id)
        if enterprise_id is not None:
            statement = statement.where(Enrolment.enterprise_id == enterprise_id)
        if stage is not None:
            statement = statement.where(Enrolment.stage == stage)
        statement = keyset_page(statement, col(Enrolment.id), page)
        return list((await session.exec(statement)).all())

    async def transitions(
        self, session: AsyncSession, enrolment_id: UUID, *, page: PageRequest
    ) -> list[StageTransition]:
        # Ids are UUIDv7, monotonic in this process: id order is the order they happened.
        statement = select(StageTransition).where(StageTransition.enrolment_id == enrolment_id)
        statement = keyset_page(statement, col(StageTransition.id), page)
        return list((await session.exec(statement)).all())

    async def project_visible(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> bool:
        statement = select(Project.id).where(Project.id == project_id, project_visible(principal))
        return (await session.exec(statement)).first() is not None

    async def enterprise_enrollable(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        project_id: UUID,
        principal: Principal,
    ) -> bool:
        """Whether the caller may enrol the enterprise in the (already visible) project.

        A programme manager sees an enterprise only once it is enrolled in their project, so
        they may also enrol enterprises recruited by one of their project's partners - and
        no other, or enrolling would expose another country's enterprise to them.
        """
        condition = enterprise_visible(principal)
        if principal.role is Role.programme_manager:
            project_partners = select(ProjectOrganisation.organisation_id).where(
                ProjectOrganisation.project_id == project_id,
                ProjectOrganisation.relation == "partner",
            )
            condition = or_(condition, col(Enterprise.partner_id).in_(project_partners))
        statement = select(Enterprise.id).where(Enterprise.id == enterprise_id, condition)
        return (await session.exec(statement)).first() is not None


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

    async def is_lead_buyer(self, session: AsyncSession, organisation_id: UUID) -> bool:
        statement = select(Organisation.id).where(
            Organisation.id == organisation_id, Organisation.kind == OrganisationKind.lead_buyer
        )
        return (await session.exec(statement)).first() is not None


enrolment_repository = EnrolmentRepository()
consent_repository = ConsentRepository()
