"""Enterprise Improvement Plans: objectives and actions with owners, due dates and status,
linked to the improvement projects that carry them out. A plan is completed once every
action is closed (done or dropped) with at least one done; its progress is what the
trainer follows and the scorecard counts."""

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.fields import percent
from services.indicators.improvement_plans.models import ImprovementPlan, ImprovementPlanAction
from services.indicators.improvement_plans.repository import plan_repository
from services.indicators.improvement_plans.schemas import (
    CLOSED,
    ActionPublic,
    ActionState,
    ActionStatus,
    ActionUpdate,
    PlanCreate,
    PlanProgress,
    PlanPublic,
    PlanStatus,
)
from services.indicators.replica.service import enterprise_or_404, require_recorder
from shared.columns import utcnow
from shared.events import ImprovementPlanChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import InvalidInput, NotFound, field_error, invalid_from_pydantic

_ACTION_FIELDS = set(ActionState.model_fields)


def _action_public(action: ImprovementPlanAction, today: date) -> ActionPublic:
    closed = ActionStatus(action.status) in CLOSED
    return ActionPublic.model_validate(
        {
            **{name: getattr(action, name) for name in _ACTION_FIELDS},
            "id": action.id,
            "overdue": not closed and action.due_on < today,
        }
    )


def plan_public(plan: ImprovementPlan, actions: list[ImprovementPlanAction]) -> PlanPublic:
    today = utcnow().date()
    shown = [_action_public(a, today) for a in actions]
    done = sum(1 for a in shown if a.status is ActionStatus.done)
    dropped = sum(1 for a in shown if a.status is ActionStatus.dropped)
    counted = len(shown) - dropped
    return PlanPublic(
        id=plan.id,
        enterprise_id=plan.enterprise_id,
        module_code=plan.module_code,
        title=plan.title,
        agreed_on=plan.agreed_on,
        status=PlanStatus(plan.status),
        completed_on=plan.completed_on,
        progress=PlanProgress(
            actions=len(shown),
            done=done,
            dropped=dropped,
            overdue=sum(1 for a in shown if a.overdue),
            percent_done=percent(done, counted) or 0.0,
        ),
        actions=shown,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
    )


def _settle(plan: ImprovementPlan, actions: list[ImprovementPlanAction]) -> None:
    """Completed once every action is closed and one is done, on the last done date."""
    statuses = [ActionStatus(a.status) for a in actions]
    if all(s in CLOSED for s in statuses) and ActionStatus.done in statuses:
        plan.status = PlanStatus.completed.value
        plan.completed_on = max(a.done_on for a in actions if a.done_on is not None)
    else:
        plan.status = PlanStatus.open.value
        plan.completed_on = None


class PlanService:
    async def get(
        self, session: AsyncSession, plan_id: UUID, *, principal: Principal
    ) -> PlanPublic:
        plan = await self._get_or_404(session, plan_id, principal=principal)
        actions = await plan_repository.actions(session, [plan.id])
        return plan_public(plan, actions[plan.id])

    async def get_for_enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal, page: PageRequest
    ) -> Page[PlanPublic]:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        plans = await plan_repository.for_enterprise(session, enterprise_id, page=page)
        actions = await plan_repository.actions(session, [p.id for p in plans])
        items = [plan_public(p, actions[p.id]) for p in plans]
        return make_page(items, page.limit, lambda item: item.id)

    async def create(
        self, session: AsyncSession, enterprise_id: UUID, data: PlanCreate, *, principal: Principal
    ) -> PlanPublic:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        require_recorder(principal, "record improvement plans")
        await self._check_projects(
            session,
            enterprise_id,
            {f"body.actions.{i}.improvement_project_id": a.improvement_project_id
             for i, a in enumerate(data.actions)},
        )  # fmt: skip
        plan = ImprovementPlan(
            enterprise_id=enterprise_id,
            module_code=data.module_code,
            title=data.title,
            agreed_on=data.agreed_on,
            status=PlanStatus.open.value,
        )
        session.add(plan)
        await session.flush()
        actions = [
            ImprovementPlanAction(plan_id=plan.id, position=index, **action.model_dump())
            for index, action in enumerate(data.actions)
        ]
        session.add_all(actions)
        _settle(plan, actions)
        await session.flush()
        public = plan_public(plan, actions)
        await self._record(session, public, principal=principal, action="improvement_plan.created")
        return public

    async def update_action(
        self,
        session: AsyncSession,
        plan_id: UUID,
        action_id: UUID,
        data: ActionUpdate,
        *,
        principal: Principal,
    ) -> PlanPublic:
        plan = await self._get_or_404(session, plan_id, principal=principal, lock=True)
        require_recorder(principal, "change improvement plans")
        actions = (await plan_repository.actions(session, [plan.id]))[plan.id]
        action = next((a for a in actions if a.id == action_id), None)
        if action is None:
            raise NotFound(f"Action {action_id} not found in plan {plan_id}")
        before = plan_public(plan, actions)
        merged: dict[str, Any] = {n: getattr(action, n) for n in _ACTION_FIELDS} | data.model_dump(
            exclude_unset=True
        )
        try:
            state = ActionState.model_validate(merged)
        except ValidationError as exc:
            raise invalid_from_pydantic(exc) from exc
        await self._check_projects(
            session,
            plan.enterprise_id,
            {"body.improvement_project_id": state.improvement_project_id},
        )
        for field, value in state.model_dump().items():
            setattr(action, field, value)
        _settle(plan, actions)
        plan.updated_at = utcnow()
        session.add_all([plan, action])
        await session.flush()
        after = plan_public(plan, actions)
        if after.model_dump(exclude={"updated_at"}) == before.model_dump(exclude={"updated_at"}):
            return before
        completed = after.status != before.status and after.status is PlanStatus.completed
        await self._record(
            session,
            after,
            principal=principal,
            action="improvement_plan.completed" if completed else "improvement_plan.updated",
            before=before,
        )
        return after

    async def _get_or_404(
        self, session: AsyncSession, plan_id: UUID, *, principal: Principal, lock: bool = False
    ) -> ImprovementPlan:
        plan = await plan_repository.get(session, plan_id, principal=principal, lock=lock)
        if plan is None:
            raise NotFound(f"Improvement plan {plan_id} not found")
        return plan

    async def _check_projects(
        self, session: AsyncSession, enterprise_id: UUID, linked: dict[str, UUID | None]
    ) -> None:
        wanted = [project for project in linked.values() if project is not None]
        owners = await plan_repository.projects_of(session, wanted)
        errors = [
            field_error(
                where,
                "same_enterprise",
                "must be an improvement project of the same enterprise",
                str(project),
            )
            for where, project in linked.items()
            if project is not None and owners.get(project) != enterprise_id
        ]
        if errors:
            raise InvalidInput(
                "An improvement project is not one of this enterprise's", errors=errors
            )

    async def _record(
        self,
        session: AsyncSession,
        public: PlanPublic,
        *,
        principal: Principal,
        action: str,
        before: PlanPublic | None = None,
    ) -> None:
        await changes.emit(
            session,
            ImprovementPlanChanged(
                plan_id=public.id,
                enterprise_id=public.enterprise_id,
                module_code=public.module_code,
                status=public.status.value,
                agreed_on=public.agreed_on,
                completed_on=public.completed_on,
                actions=public.progress.actions,
                actions_done=public.progress.done,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action=action,
            entity_type="improvement_plan",
            entity_id=public.id,
            before=before,
            after=public,
        )


plan_service = PlanService()
