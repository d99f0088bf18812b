"""Per-request DataLoaders of the reporting subgraph; each batch is a fixed number of
statements, so 100 enterprises cost what 3 do, and every batch applies tenancy."""

from dataclasses import dataclass
from uuid import UUID

from strawberry.dataloader import DataLoader

from services.reporting.suppliers.repository import supplier_repository
from services.reporting.suppliers.schemas import (
    ImprovementTeamStatus,
    IndicatorChange,
    ModuleCompleted,
    ProjectStage,
)
from services.reporting.suppliers.service import indicator_changes, viewing_buyer
from shared.graphql import SessionAccess
from shared.identity import Principal


@dataclass(frozen=True)
class ScoreStatusRow:
    projects: list[ProjectStage]
    modules_completed: list[ModuleCompleted]
    improvement_team: ImprovementTeamStatus | None
    improvement_projects_completed: int


class Loaders:
    """One set per request: a cache shared across principals would leak between tenants."""

    def __init__(self, database: SessionAccess, principal: Principal) -> None:
        self._database = database
        self._principal = principal
        self.enterprise: DataLoader[UUID, bool] = DataLoader(load_fn=self._load_visible)
        self.score_status: DataLoader[UUID, ScoreStatusRow] = DataLoader(
            load_fn=self._load_score_status
        )
        self.impact: DataLoader[UUID, list[IndicatorChange]] = DataLoader(load_fn=self._load_impact)

    async def _load_visible(self, ids: list[UUID]) -> list[bool]:
        # A lead buyer sees its consenting suppliers only, as in GET /suppliers.
        async with self._database() as session:
            visible = await supplier_repository.visible_ids(
                session,
                ids,
                principal=self._principal,
                buyer_id=viewing_buyer(self._principal, None),
            )
        # Invisible and unknown ids both answer False: the caller cannot tell them apart.
        return [enterprise_id in visible for enterprise_id in ids]

    async def _load_score_status(self, ids: list[UUID]) -> list[ScoreStatusRow]:
        async with self._database() as session:
            stages = await supplier_repository.stages(session, ids, principal=self._principal)
            modules = await supplier_repository.modules_completed(
                session, ids, principal=self._principal
            )
            teams = await supplier_repository.improvement_teams(session, ids)
            projects = await supplier_repository.completed_projects(session, ids)
        return [
            ScoreStatusRow(
                projects=stages[enterprise_id],
                modules_completed=modules[enterprise_id],
                improvement_team=teams.get(enterprise_id),
                improvement_projects_completed=len(projects[enterprise_id]),
            )
            for enterprise_id in ids
        ]

    async def _load_impact(self, ids: list[UUID]) -> list[list[IndicatorChange]]:
        async with self._database() as session:
            found = await indicator_changes(session, ids, principal=self._principal)
        return [found[enterprise_id] for enterprise_id in ids]
