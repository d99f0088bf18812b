"""Logframe targets and training cost entries: validated, tenant-checked, audited writes."""

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.db import changes, utcnow
from services.reporting.readmodels.models import RmProject
from services.reporting.targets.models import Target, TrainingCost
from services.reporting.targets.progress import MetricKind, check_metric, metric_kind
from services.reporting.targets.repository import (
    cost_repository,
    project_lookup,
    target_repository,
)
from services.reporting.targets.schemas import (
    CostCreate,
    CostPublic,
    TargetCreate,
    TargetPublic,
    TargetUpdate,
)
from services.reporting.tenancy import partner_delivers
from shared.enums import Role
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error

HUNDRED = Decimal(100)


def _may_set_targets(principal: Principal, project_id: UUID) -> bool:
    """The ILO for any project, a programme manager for their own."""
    if principal.role is Role.ilo_global:
        return True
    return principal.role is Role.programme_manager and principal.project_id == project_id


async def _may_record_costs(session: AsyncSession, principal: Principal, project_id: UUID) -> bool:
    """Besides who sets targets, the partners delivering the project (they bill the fees)."""
    if _may_set_targets(principal, project_id):
        return True
    return principal.role is Role.partner_staff and await partner_delivers(
        session, principal.organisation_id, project_id
    )


async def _project_or_422(session: AsyncSession, project_id: UUID) -> RmProject:
    project = await project_lookup.project(session, project_id)
    if project is None:
        raise InvalidInput(
            f"Project {project_id} is not known to reporting",
            errors=[
                field_error(
                    "body.project_id", "unknown_project", "no such project", str(project_id)
                )
            ],
        )
    return project


def _check_country(project: RmProject, country: str | None) -> None:
    if country is not None and country != project.country:
        raise InvalidInput(
            f"The project runs in {project.country}, not {country}",
            errors=[
                field_error(
                    "body.country",
                    "country_not_in_project",
                    f"the project's country is {project.country}",
                    country,
                )
            ],
        )


def _check_value(metric: str, value: Decimal) -> None:
    if metric_kind(metric) is MetricKind.rate and value > HUNDRED:
        raise InvalidInput(
            f"{metric} is a percentage: the target cannot exceed 100",
            errors=[field_error("body.target_value", "max_100", "at most 100", str(value))],
        )


class TargetService:
    async def get_or_404(
        self, session: AsyncSession, target_id: UUID, *, principal: Principal
    ) -> Target:
        target = await target_repository.get(session, target_id, principal=principal)
        if target is None:
            raise NotFound(f"Target {target_id} not found")
        return target

    async def get(
        self, session: AsyncSession, target_id: UUID, *, principal: Principal
    ) -> TargetPublic:
        return TargetPublic.build(await self.get_or_404(session, target_id, principal=principal))

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_ids: Sequence[UUID] = (),
        metric: str | None = None,
    ) -> Page[TargetPublic]:
        rows = await target_repository.get_all(
            session, principal=principal, page=page, project_ids=project_ids, metric=metric
        )
        return make_page([TargetPublic.build(t) for t in rows], page.limit, lambda t: t.id)

    async def _check_unique(
        self, session: AsyncSession, target: Target, *, excluding: UUID | None
    ) -> None:
        duplicate = await target_repository.find_scope(
            session,
            project_id=target.project_id,
            country=target.country,
            metric=target.metric,
            period_start=target.period_start,
            period_end=target.period_end,
            excluding=excluding,
        )
        if duplicate is not None:
            raise Conflict(
                "The project already has a target for this metric, country and period",
                errors=[
                    field_error(
                        "body.metric",
                        "duplicate_target",
                        f"target {duplicate.id} has the same scope; update it instead",
                        target.metric,
                    )
                ],
                existing_id=str(duplicate.id),
            )

    async def create(
        self, session: AsyncSession, body: TargetCreate, *, principal: Principal
    ) -> TargetPublic:
        if not _may_set_targets(principal, body.project_id):
            raise Forbidden("Targets are set by the ILO and the project's programme manager")
        project = await _project_or_422(session, body.project_id)
        _check_country(project, body.country)
        await check_metric(session, body.metric, field="body.metric")
        _check_value(body.metric, body.target_value)
        target = Target(**body.model_dump(), created_by=principal.actor)
        await self._check_unique(session, target, excluding=None)
        session.add(target)
        await session.flush()
        public = TargetPublic.build(target)
        await changes.audit(
            session,
            principal=principal,
            action="target.created",
            entity_type="target",
            entity_id=target.id,
            after=public,
        )
        return public

    async def update(
        self, session: AsyncSession, target_id: UUID, body: TargetUpdate, *, principal: Principal
    ) -> TargetPublic:
        target = await self.get_or_404(session, target_id, principal=principal)
        if not _may_set_targets(principal, target.project_id):
            raise Forbidden("Targets are changed by the ILO and the project's programme manager")
        before = TargetPublic.build(target)
        changed = body.model_dump(exclude_unset=True)
        for name in ("metric", "period_start", "period_end", "target_value"):
            if name in changed and changed[name] is None:
                raise InvalidInput(
                    f"{name} cannot be emptied",
                    errors=[field_error(f"body.{name}", "required", "give a value or omit it")],
                )
        if "metric" in changed:
            await check_metric(session, changed["metric"], field="body.metric")
        for name, value in changed.items():
            setattr(target, name, value)
        if target.period_end < target.period_start:
            raise InvalidInput(
                "period_end is before period_start",
                errors=[
                    field_error(
                        "body.period_end",
                        "period_order",
                        f"must not be before period_start ({target.period_start})",
                        target.period_end.isoformat(),
                    )
                ],
            )
        _check_value(target.metric, target.target_value)
        await self._check_unique(session, target, excluding=target.id)
        target.updated_at = utcnow()
        session.add(target)
        await session.flush()
        after = TargetPublic.build(target)
        await changes.audit(
            session,
            principal=principal,
            action="target.updated",
            entity_type="target",
            entity_id=target.id,
            before=before,
            after=after,
        )
        return after

    async def delete(self, session: AsyncSession, target_id: UUID, *, principal: Principal) -> None:
        target = await self.get_or_404(session, target_id, principal=principal)
        if not _may_set_targets(principal, target.project_id):
            raise Forbidden("Targets are removed by the ILO and the project's programme manager")
        before = TargetPublic.build(target)
        await session.delete(target)
        await session.flush()
        await changes.audit(
            session,
            principal=principal,
            action="target.deleted",
            entity_type="target",
            entity_id=target_id,
            before=before,
        )


class CostService:
    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_ids: Sequence[UUID] = (),
    ) -> Page[CostPublic]:
        rows = await cost_repository.get_all(
            session, principal=principal, page=page, project_ids=project_ids
        )
        return make_page([CostPublic.build(c) for c in rows], page.limit, lambda c: c.id)

    async def create(
        self, session: AsyncSession, body: CostCreate, *, principal: Principal
    ) -> CostPublic:
        if not await _may_record_costs(session, principal, body.project_id):
            raise Forbidden(
                "Training costs are recorded by the ILO, the project's programme manager and "
                "its delivering partners"
            )
        await _project_or_422(session, body.project_id)
        if body.cohort_id is not None:
            cohort = await project_lookup.cohort(session, body.cohort_id)
            if cohort is None or cohort.project_id != body.project_id:
                raise InvalidInput(
                    "The cohort is not one of the project's",
                    errors=[
                        field_error(
                            "body.cohort_id",
                            "cohort_not_in_project",
                            "a cohort of the project",
                            str(body.cohort_id),
                        )
                    ],
                )
        cost = TrainingCost(**body.model_dump(), created_by=principal.actor)
        session.add(cost)
        await session.flush()
        public = CostPublic.build(cost)
        await changes.audit(
            session,
            principal=principal,
            action="training_cost.created",
            entity_type="training_cost",
            entity_id=cost.id,
            after=public,
        )
        return public


target_service = TargetService()
cost_service = CostService()
