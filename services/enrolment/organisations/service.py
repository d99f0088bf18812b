"""Organisations and projects: created by the ILO, readable within tenancy."""

from collections import defaultdict
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import changes
from services.enrolment.organisations.models import Organisation, Project, ProjectOrganisation
from services.enrolment.organisations.repository import (
    organisation_repository,
    project_repository,
)
from services.enrolment.organisations.schemas import (
    OrganisationCreate,
    OrganisationPublic,
    ProjectCreate,
    ProjectPublic,
)
from shared.enums import OrganisationKind, Role
from shared.events import OrganisationChanged, ProjectChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error


def _require_ilo(principal: Principal, action: str) -> None:
    if principal.role is not Role.ilo_global:
        raise Forbidden(f"Only the ILO global team can {action}")


class OrganisationService:
    async def create(
        self, session: AsyncSession, data: OrganisationCreate, *, principal: Principal
    ) -> OrganisationPublic:
        _require_ilo(principal, "register organisations")
        taken = Conflict(
            f"An organisation named '{data.name}' already exists",
            errors=[field_error("body.name", "unique", "already registered", data.name)],
        )
        if await organisation_repository.get_by_name(session, data.name) is not None:
            raise taken
        organisation = Organisation(**data.model_dump())
        try:
            # A concurrent request may have registered the same name since the check above.
            async with session.begin_nested():
                session.add(organisation)
        except IntegrityError as exc:
            raise taken from exc
        public = OrganisationPublic.model_validate(organisation)
        await changes.emit(
            session,
            OrganisationChanged(
                organisation_id=organisation.id,
                name=public.name,
                short_name=public.short_name,
                kind=public.kind,
                country=public.country,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="organisation.created",
            entity_type="organisation",
            entity_id=organisation.id,
            after=public,
        )
        return public

    async def get_all(
        self,
        session: AsyncSession,
        *,
        page: PageRequest,
        kind: OrganisationKind | None = None,
    ) -> Page[OrganisationPublic]:
        # Who the partners, buyers and funders are is public programme information.
        rows = await organisation_repository.get_all(session, page=page, kind=kind)
        return make_page(
            [OrganisationPublic.model_validate(r) for r in rows], page.limit, lambda o: o.id
        )

    async def get(self, session: AsyncSession, organisation_id: UUID) -> OrganisationPublic:
        organisation = await organisation_repository.get(session, organisation_id)
        if organisation is None:
            raise NotFound(f"Organisation {organisation_id} not found")
        return OrganisationPublic.model_validate(organisation)


class ProjectService:
    async def create(
        self, session: AsyncSession, data: ProjectCreate, *, principal: Principal
    ) -> ProjectPublic:
        _require_ilo(principal, "create projects")
        await self._check_kinds(
            session, data.partner_ids, OrganisationKind.implementation_partner, "partner_ids"
        )
        await self._check_kinds(session, data.funder_ids, None, "funder_ids")
        project = Project(**data.model_dump(exclude={"partner_ids", "funder_ids"}))
        session.add(project)
        await session.flush()
        session.add_all(
            [
                ProjectOrganisation(project_id=project.id, organisation_id=o, relation="partner")
                for o in dict.fromkeys(data.partner_ids)
            ]
            + [
                ProjectOrganisation(project_id=project.id, organisation_id=o, relation="funder")
                for o in dict.fromkeys(data.funder_ids)
            ]
        )
        await session.flush()
        public = (await self._publish(session, [project]))[0]
        await changes.emit(
            session,
            ProjectChanged(
                project_id=public.id,
                name=public.name,
                country=public.country,
                start_date=public.start_date,
                end_date=public.end_date,
                partner_ids=public.partner_ids,
                funder_ids=public.funder_ids,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="project.created",
            entity_type="project",
            entity_id=project.id,
            after=public,
        )
        return public

    async def get_or_404(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> Project:
        project = await project_repository.get(session, project_id, principal=principal)
        if project is None:
            raise NotFound(f"Project {project_id} not found")
        return project

    async def get(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> ProjectPublic:
        return (
            await self._publish(
                session, [await self.get_or_404(session, project_id, principal=principal)]
            )
        )[0]

    async def get_all(
        self, session: AsyncSession, *, principal: Principal, page: PageRequest
    ) -> Page[ProjectPublic]:
        rows = await project_repository.get_all(session, principal=principal, page=page)
        return make_page(await self._publish(session, rows), page.limit, lambda p: p.id)

    async def _publish(self, session: AsyncSession, projects: list[Project]) -> list[ProjectPublic]:
        links: dict[tuple[UUID, str], list[UUID]] = defaultdict(list)
        for link in await project_repository.links(session, [p.id for p in projects]):
            links[(link.project_id, link.relation)].append(link.organisation_id)
        return [
            ProjectPublic(
                **p.model_dump(),
                partner_ids=links[(p.id, "partner")],
                funder_ids=links[(p.id, "funder")],
            )
            for p in projects
        ]

    async def _check_kinds(
        self, session: AsyncSession, ids: list[UUID], kind: OrganisationKind | None, field: str
    ) -> None:
        if not ids:
            return
        kinds = await organisation_repository.kinds(session, ids)
        errors = [
            field_error(
                f"body.{field}.{i}",
                "organisation",
                f"must be an existing {(kind or 'organisation').replace('_', ' ')}",
                str(o),
            )
            for i, o in enumerate(ids)
            if o not in kinds or (kind is not None and kinds[o] != kind)
        ]
        if errors:
            raise InvalidInput("Unknown or wrong-kind organisations referenced", errors=errors)


organisation_service = OrganisationService()
project_service = ProjectService()
