"""Per-request DataLoaders over the repositories' batch reads; every batch applies tenancy.

Each batch answers every enterprise of a request in one statement, so a query over 100
enterprises costs what a query over 3 does.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from services.indicators.catalogue.models import Indicator
from services.indicators.improvement_projects.models import ImprovementProject
from services.indicators.improvement_projects.repository import improvement_project_repository
from services.indicators.replica.repository import replica_repository
from services.indicators.satisfaction.repository import SatisfactionTally, satisfaction_repository
from services.indicators.teams.repository import TeamSummary, team_repository
from services.indicators.values.models import IndicatorValue
from services.indicators.values.repository import value_repository
from shared.graphql import SessionAccess
from shared.identity import Principal


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
        self.improvement_team: DataLoader[UUID, TeamSummary | None] = DataLoader(
            load_fn=self._load_improvement_teams
        )
        self.satisfaction: DataLoader[SatisfactionKey, SatisfactionTally | None] = DataLoader(
            load_fn=self._load_satisfaction
        )

    async def _load_visible(self, ids: list[UUID]) -> list[bool]:
        async with self._database() as session:
            visible = await replica_repository.visible_ids(session, ids, principal=self._principal)
        # Invisible and missing ids both answer False: the caller cannot tell them apart.
        return [enterprise_id in visible for enterprise_id in ids]

    async def _load_values(self, keys: list[ValuesKey]) -> list[list[ValueRow]]:
        async with self._database() as session:

            async def fetch(ids: list[UUID], by: ValueFilter) -> dict[UUID, list[ValueRow]]:
                found = await value_repository.for_enterprises(
                    session,
                    ids,
                    principal=self._principal,
                    indicator_code=by.indicator_code,
                    round_id=by.round_id,
                    status=by.status,
                    current_only=by.current_only,
                )
                return {key: [ValueRow(*row) for row in rows] for key, rows in found.items()}

            return await per_filter(keys, fetch, list)

    async def _load_improvement_projects(
        self, keys: list[ProjectsKey]
    ) -> list[list[ImprovementProject]]:
        async with self._database() as session:

            async def fetch(
                ids: list[UUID], status: str | None
            ) -> dict[UUID, list[ImprovementProject]]:
                return await improvement_project_repository.for_enterprises(
                    session, ids, principal=self._principal, status=status
                )

            return await per_filter(keys, fetch, list)

    async def _load_improvement_teams(self, ids: list[UUID]) -> list[TeamSummary | None]:
        async with self._database() as session:
            found = await team_repository.for_enterprises(session, ids, principal=self._principal)
        return [found.get(enterprise_id) for enterprise_id in ids]

    async def _load_satisfaction(
        self, keys: list[SatisfactionKey]
    ) -> list[SatisfactionTally | None]:
        async with self._database() as session:

            async def fetch(
                ids: list[UUID], module_code: str | None
            ) -> dict[UUID, SatisfactionTally | None]:
                found = await satisfaction_repository.for_enterprises(
                    session, ids, principal=self._principal, module_code=module_code
                )
                return dict(found)

            return await per_filter(keys, fetch, lambda: None)
