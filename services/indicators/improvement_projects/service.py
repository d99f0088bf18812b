"""Improvement projects: what an enterprise changed, its status, and what it cost and saved."""

from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.improvement_projects.models import ImprovementProject
from services.indicators.improvement_projects.repository import improvement_project_repository
from services.indicators.improvement_projects.schemas import (
    TRANSITIONS,
    ProjectCreate,
    ProjectPublic,
    ProjectState,
    ProjectStatus,
    ProjectUpdate,
)
from services.indicators.replica.service import enterprise_or_404, require_recorder
from shared.columns import utcnow
from shared.events import ImprovementProjectChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import (
    InvalidInput,
    NotFound,
    TransitionNotAllowed,
    field_error,
    invalid_from_pydantic,
)

_STATE_FIELDS = list(ProjectState.model_fields)


def _public(project: ImprovementProject) -> ProjectPublic:
    return ProjectPublic.model_validate(project)


def _started_by_default(state: dict[str, Any]) -> dict[str, Any]:
    # A project that is under way has started; today unless the caller says otherwise.
    if state.get("status") == ProjectStatus.in_progress and state.get("started_on") is None:
        return state | {"started_on": utcnow().date()}
    return state


class ImprovementProjectService:
    async def get_or_404(
        self,
        session: AsyncSession,
        project_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> ImprovementProject:
        project = await improvement_project_repository.get(
            session, project_id, principal=principal, lock=lock
        )
        if project is None:
            raise NotFound(f"Improvement project {project_id} not found")
        return project

    async def get(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal
    ) -> ProjectPublic:
        return _public(await self.get_or_404(session, project_id, principal=principal))

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        enterprise_id: UUID | None = None,
        status: ProjectStatus | None = None,
        module_code: str | None = None,
        category: str | None = None,
    ) -> Page[ProjectPublic]:
        rows = await improvement_project_repository.get_all(
            session,
            principal=principal,
            page=page,
            enterprise_id=enterprise_id,
            status=status.value if status is not None else None,
            module_code=module_code,
            category=category,
        )
        return make_page([_public(row) for row in rows], page.limit, lambda item: item.id)

    async def get_for_enterprise(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        page: PageRequest,
        status: ProjectStatus | None = None,
        module_code: str | None = None,
        category: str | None = None,
    ) -> Page[ProjectPublic]:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        return await self.get_all(
            session,
            principal=principal,
            page=page,
            enterprise_id=enterprise_id,
            status=status,
            module_code=module_code,
            category=category,
        )

    async def create(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        data: ProjectCreate,
        *,
        principal: Principal,
    ) -> ProjectPublic:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        require_recorder(principal, "record improvement projects")
        if data.status is ProjectStatus.abandoned:
            raise TransitionNotAllowed(
                "A project is recorded planned, in progress or completed; abandon it later",
                errors=[
                    field_error(
                        "body.status",
                        "initial_status",
                        "must be planned, in_progress or completed",
                        data.status.value,
                    )
                ],
            )
        state = _started_by_default(data.model_dump())
        project = ImprovementProject(enterprise_id=enterprise_id, **state)
        session.add(project)
        await session.flush()
        public = _public(project)
        await self._record(
            session, public, principal=principal, action="improvement_project.created"
        )
        return public

    async def update(
        self,
        session: AsyncSession,
        project_id: UUID,
        data: ProjectUpdate,
        *,
        principal: Principal,
    ) -> ProjectPublic:
        project = await self.get_or_404(session, project_id, principal=principal, lock=True)
        require_recorder(principal, "change improvement projects")
        before = _public(project)
        changed = data.model_dump(exclude_unset=True, exclude={"reason"})
        current = ProjectStatus(project.status)
        # An explicit null status is left to the state check below, which names the field.
        target = changed.get("status") or current
        if target != current and target not in TRANSITIONS[current]:
            allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: the status is final"
            raise TransitionNotAllowed(
                f"An improvement project cannot go from {current.value} to {target}",
                errors=[
                    field_error(
                        "body.status",
                        "transition",
                        f"from {current.value} the project may go to: {allowed}",
                        str(target),
                    )
                ],
            )
        merged = before.model_dump(include=set(_STATE_FIELDS)) | changed
        if target != current:
            merged = _started_by_default(merged)
        try:
            state = ProjectState.model_validate(merged)
        except ValidationError as exc:
            raise invalid_from_pydantic(exc) from exc
        if state.model_dump() == before.model_dump(include=set(_STATE_FIELDS)):
            return before
        for field, value in state.model_dump().items():
            setattr(project, field, value)
        project.updated_at = utcnow()
        session.add(project)
        await session.flush()
        after = _public(project)
        await self._record(
            session,
            after,
            principal=principal,
            action="improvement_project.status_changed"
            if after.status != before.status
            else "improvement_project.updated",
            before=before,
            reason=data.reason,
        )
        return after

    async def _record(
        self,
        session: AsyncSession,
        public: ProjectPublic,
        *,
        principal: Principal,
        action: str,
        before: ProjectPublic | None = None,
        reason: str | None = None,
    ) -> None:
        await changes.emit(
            session,
            ImprovementProjectChanged(
                project_id=public.id,
                **public.model_dump(
                    mode="json", include=set(ImprovementProjectChanged.model_fields)
                ),
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action=action,
            entity_type="improvement_project",
            entity_id=public.id,
            before=before,
            after=public,
            reason=reason,
        )


improvement_project_service = ImprovementProjectService()


async def require_own_project(
    session: AsyncSession, enterprise_id: UUID, project_id: UUID | None
) -> None:
    """422 unless the referenced improvement project is the enterprise's own (another
    enterprise's project reads as an unknown one: nothing leaks)."""
    if project_id is None:
        return
    if await improvement_project_repository.enterprise_of(session, project_id) != enterprise_id:
        raise InvalidInput(
            "The improvement project is not one of this enterprise's",
            errors=[
                field_error(
                    "body.improvement_project_id",
                    "same_enterprise",
                    "must be an improvement project of the same enterprise",
                    str(project_id),
                )
            ],
        )
