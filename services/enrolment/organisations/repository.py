"""Organisation and project queries; projects are read within the caller's tenancy."""

from collections.abc import Collection, Sequence
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.organisations.models import Organisation, Project, ProjectOrganisation
from services.enrolment.tenancy import project_visible
from shared.enums import OrganisationKind
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class OrganisationRepository:
    # Who the partners, buyers and funders are is public programme information: no tenancy.

    async def get(self, session: AsyncSession, organisation_id: UUID) -> Organisation | None:
        statement = select(Organisation).where(Organisation.id == organisation_id)
        return (await session.exec(statement)).first()

    async def get_by_name(self, session: AsyncSession, name: str) -> Organisation | None:
        statement = select(Organisation).where(Organisation.name == name)
        return (await session.exec(statement)).first()

    async def get_all(
        self, session: AsyncSession, *, page: PageRequest, kind: OrganisationKind | None = None
    ) -> list[Organisation]:
        statement = select(Organisation)
        if kind is not None:
            statement = statement.where(Organisation.kind == kind)
        statement = keyset_page(statement, col(Organisation.id), page)
        return list((await session.exec(statement)).all())

    async def kinds(
        self, session: AsyncSession, ids: Collection[UUID]
    ) -> dict[UUID, OrganisationKind]:
        """The kind of each of ``ids`` that exists."""
        if not ids:
            return {}
        statement = select(Organisation.id, Organisation.kind).where(col(Organisation.id).in_(ids))
        return {id_: OrganisationKind(kind) for id_, kind in (await session.exec(statement)).all()}

    async def is_lead_buyer(self, session: AsyncSession, organisation_id: UUID) -> bool:
        kinds = await self.kinds(session, [organisation_id])
        return kinds.get(organisation_id) is OrganisationKind.lead_buyer


class ProjectRepository:
    async def get(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> Project | None:
        statement = select(Project).where(Project.id == project_id, project_visible(principal))
        return (await session.exec(statement)).first()

    async def get_all(
        self, session: AsyncSession, *, principal: Principal, page: PageRequest
    ) -> list[Project]:
        statement = keyset_page(
            select(Project).where(project_visible(principal)), col(Project.id), page
        )
        return list((await session.exec(statement)).all())

    async def is_visible(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> bool:
        statement = select(Project.id).where(Project.id == project_id, project_visible(principal))
        return (await session.exec(statement)).first() is not None

    async def partner_ids(self, session: AsyncSession, project_id: UUID) -> list[UUID]:
        statement = select(ProjectOrganisation.organisation_id).where(
            ProjectOrganisation.project_id == project_id,
            ProjectOrganisation.relation == "partner",
        )
        return list((await session.exec(statement)).all())

    async def is_partner(
        self, session: AsyncSession, project_id: UUID, organisation_id: UUID
    ) -> bool:
        """Whether the organisation is an implementation partner of the project."""
        statement = select(ProjectOrganisation.id).where(
            ProjectOrganisation.project_id == project_id,
            ProjectOrganisation.organisation_id == organisation_id,
            ProjectOrganisation.relation == "partner",
        )
        return (await session.exec(statement)).first() is not None

    async def links(
        self, session: AsyncSession, project_ids: Sequence[UUID]
    ) -> list[ProjectOrganisation]:
        """The partners and funders of the projects."""
        statement = select(ProjectOrganisation).where(
            col(ProjectOrganisation.project_id).in_(project_ids)
        )
        return list((await session.exec(statement)).all())


organisation_repository = OrganisationRepository()
project_repository = ProjectRepository()
