"""Per-request DataLoaders and the batch queries behind them; every batch applies tenancy.

Each batch answers every enterprise of a request in one statement, so a query over 100
enterprises costs what a query over 3 does.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Uuid, and_, any_, func, literal, or_, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from strawberry.dataloader import DataLoader

from services.indicators.catalogue.models import Indicator
from services.indicators.implementation.models import (
    ImprovementProject,
    ImprovementTeam,
    ImprovementTeamMeeting,
    ImprovementTeamMember,
    SatisfactionResponse,
)
from services.indicators.improvement_plans.repository import plan_repository
from services.indicators.improvement_plans.schemas import PlanPublic
from services.indicators.improvement_plans.service import plan_public
from services.indicators.replica.models import ReplicaEnterprise
from services.indicators.suggestions.models import Suggestion
from services.indicators.suggestions.repository import suggestion_repository
from services.indicators.tenancy import enterprise_visible
from services.indicators.values.models import IndicatorValue
from shared.enums import Role
from shared.graphql import SessionAccess
from shared.identity import Principal

# Ratings run 1 (very dissatisfied) .. 5 (very satisfied); the programme's published
# satisfaction rate counts the "satisfied" and "very satisfied" answers.
SATISFIED_RATING = 4


@dataclass(frozen=True)
class ValueFilter:
    """The arguments of ``Enterprise.indicatorValues``; part of the loader key."""

    indicator_code: str | None = None
    round_id: UUID | None = None
    status: str | None = None
    current_only: bool = True


class ValueRow(NamedTuple):
    value: IndicatorValue
    indicator: Indicator


class CompositionRow(NamedTuple):
    role: str
    sex: str
    members: int


@dataclass
class TeamRow:
    team: ImprovementTeam
    meetings: int
    last_meeting_on: date | None
    composition: list[CompositionRow] = field(default_factory=list)


class SatisfactionRow(NamedTuple):
    n: int
    satisfied: int
    average_rating: float


def project_narrowing(project_column: UUID, principal: Principal) -> ColumnElement[bool]:
    """A programme manager sees an enterprise's data of their own project only, as in
    enrolment's subgraph; enterprise tenancy alone would show its other projects too."""
    if principal.role is Role.programme_manager:
        return col(project_column) == principal.project_id
    return true()


def among(column: UUID, ids: Sequence[UUID]) -> ColumnElement[bool]:
    """``column = ANY($1)``: one array parameter, so a batch of any size is one statement
    with the same text (an expanded IN is capped at 32767 parameters by the protocol)."""
    return col(column) == any_(literal(list(ids), ARRAY(Uuid)))


class EnterpriseBatches:
    """One query per batch of enterprise ids (and per distinct set of field arguments)."""

    async def visible(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> set[UUID]:
        statement = select(ReplicaEnterprise.id).where(
            among(ReplicaEnterprise.id, enterprise_ids),
            enterprise_visible(ReplicaEnterprise.id, principal),
        )
        return set((await session.exec(statement)).all())

    async def values(
        self,
        session: AsyncSession,
        enterprise_ids: Sequence[UUID],
        value_filter: ValueFilter,
        *,
        principal: Principal,
    ) -> dict[UUID, list[ValueRow]]:
        conditions: list[ColumnElement[bool]] = [
            among(IndicatorValue.enterprise_id, enterprise_ids),
            enterprise_visible(IndicatorValue.enterprise_id, principal),
            project_narrowing(IndicatorValue.project_id, principal),
        ]
        if value_filter.indicator_code is not None:
            conditions.append(col(Indicator.code) == value_filter.indicator_code)
        if value_filter.round_id is not None:
            conditions.append(col(IndicatorValue.round_id) == value_filter.round_id)
        if value_filter.status is not None:
            conditions.append(col(IndicatorValue.status) == value_filter.status)
        if value_filter.current_only:
            conditions.append(col(IndicatorValue.is_current).is_(True))
        statement = (
            select(IndicatorValue, Indicator)
            .join(Indicator, col(Indicator.id) == col(IndicatorValue.indicator_id))
            .where(*conditions)
            .order_by(
                col(Indicator.code),
                col(IndicatorValue.round_id).nulls_first(),
                col(IndicatorValue.month).nulls_first(),
                col(IndicatorValue.sex).nulls_first(),
                col(IndicatorValue.role).nulls_first(),
                col(IndicatorValue.version).desc(),
                col(IndicatorValue.id),
            )
        )
        result: dict[UUID, list[ValueRow]] = {enterprise_id: [] for enterprise_id in enterprise_ids}
        for value, indicator in (await session.exec(statement)).all():
            result[value.enterprise_id].append(ValueRow(value, indicator))
        return result

    async def improvement_projects(
        self,
        session: AsyncSession,
        enterprise_ids: Sequence[UUID],
        status: str | None,
        *,
        principal: Principal,
    ) -> dict[UUID, list[ImprovementProject]]:
        statement = (
            select(ImprovementProject)
            .where(
                among(ImprovementProject.enterprise_id, enterprise_ids),
                enterprise_visible(ImprovementProject.enterprise_id, principal),
                true() if status is None else col(ImprovementProject.status) == status,
            )
            .order_by(
                col(ImprovementProject.started_on).nulls_last(),
                col(ImprovementProject.created_at),
                col(ImprovementProject.id),
            )
        )
        result: dict[UUID, list[ImprovementProject]] = {
            enterprise_id: [] for enterprise_id in enterprise_ids
        }
        for project in (await session.exec(statement)).all():
            result[project.enterprise_id].append(project)
        return result

    async def improvement_teams(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, TeamRow]:
        of_teams = and_(
            among(ImprovementTeam.enterprise_id, enterprise_ids),
            enterprise_visible(ImprovementTeam.enterprise_id, principal),
        )
        of_team = col(ImprovementTeamMeeting.team_id) == col(ImprovementTeam.id)
        meetings = select(func.count()).where(of_team).scalar_subquery()
        last_meeting = select(func.max(ImprovementTeamMeeting.held_on)).where(of_team)
        teams = select(ImprovementTeam, meetings, last_meeting.scalar_subquery()).where(of_teams)
        result = {
            team.enterprise_id: TeamRow(team, meetings=count, last_meeting_on=last)
            for team, count, last in (await session.exec(teams)).all()
        }
        if not result:
            return result
        # Members who have left no longer count towards the team's make-up.
        composition = (
            select(
                ImprovementTeam.enterprise_id,
                ImprovementTeamMember.role,
                ImprovementTeamMember.sex,
                func.count(),
            )
            .join(ImprovementTeam, col(ImprovementTeam.id) == col(ImprovementTeamMember.team_id))
            .where(
                of_teams,
                or_(
                    col(ImprovementTeamMember.left_on).is_(None),
                    col(ImprovementTeamMember.left_on) > func.current_date(),
                ),
            )
            .group_by(
                col(ImprovementTeam.enterprise_id),
                col(ImprovementTeamMember.role),
                col(ImprovementTeamMember.sex),
            )
            .order_by(col(ImprovementTeamMember.role), col(ImprovementTeamMember.sex))
        )
        for enterprise_id, role, sex, count in (await session.exec(composition)).all():
            result[enterprise_id].composition.append(CompositionRow(role, sex, count))
        return result

    async def satisfaction(
        self,
        session: AsyncSession,
        enterprise_ids: Sequence[UUID],
        module_code: str | None,
        *,
        principal: Principal,
    ) -> dict[UUID, SatisfactionRow]:
        rating = col(SatisfactionResponse.rating)
        statement = (
            select(
                SatisfactionResponse.enterprise_id,
                func.count(),
                func.count().filter(rating >= SATISFIED_RATING),
                func.avg(rating),
            )
            .where(
                among(SatisfactionResponse.enterprise_id, enterprise_ids),
                enterprise_visible(SatisfactionResponse.enterprise_id, principal),
                true()
                if module_code is None
                else col(SatisfactionResponse.module_code) == module_code,
            )
            .group_by(col(SatisfactionResponse.enterprise_id))
        )
        return {
            enterprise_id: SatisfactionRow(n, satisfied, float(average))
            for enterprise_id, n, satisfied, average in (await session.exec(statement)).all()
        }


enterprise_batches = EnterpriseBatches()

F = TypeVar("F", bound=Hashable)
T = TypeVar("T")


async def per_filter(
    keys: Sequence[tuple[UUID, F]],
    fetch: Callable[[list[UUID], F], Awaitable[dict[UUID, T]]],
    missing: Callable[[], T],
) -> list[T]:
    """Answers (enterprise id, field arguments) keys with one fetch per distinct arguments:
    aliases with different arguments cost a statement each, enterprises cost nothing."""
    ids_by_filter: dict[F, list[UUID]] = defaultdict(list)
    for enterprise_id, key_filter in keys:
        ids_by_filter[key_filter].append(enterprise_id)
    found: dict[tuple[UUID, F], T] = {}
    for key_filter, enterprise_ids in ids_by_filter.items():
        fetched = await fetch(enterprise_ids, key_filter)
        for enterprise_id in enterprise_ids:
            found[(enterprise_id, key_filter)] = fetched.get(enterprise_id, missing())
    return [found[key] for key in keys]


ValuesKey = tuple[UUID, ValueFilter]
ProjectsKey = tuple[UUID, str | None]
"""An enterprise and the status asked for."""
SatisfactionKey = tuple[UUID, str | None]
"""An enterprise and the module asked for."""


class Loaders:
    """One set per request: a cache shared across principals would leak between tenants."""

    def __init__(self, database: SessionAccess, principal: Principal) -> None:
        self._database = database
        self._principal = principal
        self.enterprise: DataLoader[UUID, bool] = DataLoader(load_fn=self._load_visible)
        self.values: DataLoader[ValuesKey, list[ValueRow]] = DataLoader(load_fn=self._load_values)
        self.improvement_projects: DataLoader[ProjectsKey, list[ImprovementProject]] = DataLoader(
            load_fn=self._load_improvement_projects
        )
        self.improvement_team: DataLoader[UUID, TeamRow | None] = DataLoader(
            load_fn=self._load_improvement_teams
        )
        self.satisfaction: DataLoader[SatisfactionKey, SatisfactionRow | None] = DataLoader(
            load_fn=self._load_satisfaction
        )
        self.suggestions: DataLoader[UUID, list[Suggestion]] = DataLoader(
            load_fn=self._load_suggestions
        )
        self.improvement_plans: DataLoader[UUID, list[PlanPublic]] = DataLoader(
            load_fn=self._load_improvement_plans
        )

    async def _load_improvement_plans(self, ids: list[UUID]) -> list[list[PlanPublic]]:
        async with self._database() as session:
            plans = await plan_repository.for_enterprises(session, ids, principal=self._principal)
            actions = await plan_repository.actions(
                session, [plan.id for found in plans.values() for plan in found]
            )
        return [[plan_public(p, actions[p.id]) for p in plans[key]] for key in ids]

    async def _load_suggestions(self, ids: list[UUID]) -> list[list[Suggestion]]:
        async with self._database() as session:
            found = await suggestion_repository.for_enterprises(
                session, ids, principal=self._principal
            )
        return [found[enterprise_id] for enterprise_id in ids]

    async def _load_visible(self, ids: list[UUID]) -> list[bool]:
        async with self._database() as session:
            visible = await enterprise_batches.visible(session, ids, principal=self._principal)
        # Invisible and missing ids both answer False: the caller cannot tell them apart.
        return [enterprise_id in visible for enterprise_id in ids]

    async def _load_values(self, keys: list[ValuesKey]) -> list[list[ValueRow]]:
        async with self._database() as session:

            async def fetch(ids: list[UUID], by: ValueFilter) -> dict[UUID, list[ValueRow]]:
                return await enterprise_batches.values(session, ids, by, principal=self._principal)

            return await per_filter(keys, fetch, list)

    async def _load_improvement_projects(
        self, keys: list[ProjectsKey]
    ) -> list[list[ImprovementProject]]:
        async with self._database() as session:

            async def fetch(
                ids: list[UUID], status: str | None
            ) -> dict[UUID, list[ImprovementProject]]:
                return await enterprise_batches.improvement_projects(
                    session, ids, status, principal=self._principal
                )

            return await per_filter(keys, fetch, list)

    async def _load_improvement_teams(self, ids: list[UUID]) -> list[TeamRow | None]:
        async with self._database() as session:
            found = await enterprise_batches.improvement_teams(
                session, ids, principal=self._principal
            )
        return [found.get(enterprise_id) for enterprise_id in ids]

    async def _load_satisfaction(self, keys: list[SatisfactionKey]) -> list[SatisfactionRow | None]:
        async with self._database() as session:

            async def fetch(
                ids: list[UUID], module_code: str | None
            ) -> dict[UUID, SatisfactionRow | None]:
                found = await enterprise_batches.satisfaction(
                    session, ids, module_code, principal=self._principal
                )
                return dict(found)

            return await per_filter(keys, fetch, lambda: None)
