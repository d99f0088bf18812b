"""Enterprise Improvement Team queries. The team service checks the enterprise's tenancy first
(``replica_service.enterprise_or_404``); the graph's batch applies it itself."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple
from uuid import UUID

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.teams.models import (
    ImprovementTeam,
    ImprovementTeamMeeting,
    ImprovementTeamMember,
)
from services.indicators.tenancy import enterprise_visible
from shared.identity import Principal
from shared.sql import any_of


class MembersOf(NamedTuple):
    """How many current members a team has of one role and sex."""

    role: str
    sex: str
    members: int


@dataclass
class TeamSummary:
    team: ImprovementTeam
    meetings: int
    last_meeting_on: date | None
    composition: list[MembersOf] = field(default_factory=list)


class TeamRepository:
    async def get(
        self, session: AsyncSession, enterprise_id: UUID, *, lock: bool = False
    ) -> ImprovementTeam | None:
        statement = select(ImprovementTeam).where(ImprovementTeam.enterprise_id == enterprise_id)
        if lock:
            statement = statement.with_for_update()
        return (await session.exec(statement)).first()

    async def members(
        self, session: AsyncSession, team_id: UUID, *, include_former: bool = False
    ) -> list[ImprovementTeamMember]:
        statement = select(ImprovementTeamMember).where(ImprovementTeamMember.team_id == team_id)
        if not include_former:
            statement = statement.where(col(ImprovementTeamMember.left_on).is_(None))
        statement = statement.order_by(col(ImprovementTeamMember.id))
        return list((await session.exec(statement)).all())

    async def member(
        self, session: AsyncSession, team_id: UUID, member_id: UUID
    ) -> ImprovementTeamMember | None:
        statement = select(ImprovementTeamMember).where(
            ImprovementTeamMember.id == member_id, ImprovementTeamMember.team_id == team_id
        )
        return (await session.exec(statement)).first()

    async def meetings(
        self, session: AsyncSession, team_id: UUID, *, since: date | None = None
    ) -> list[ImprovementTeamMeeting]:
        statement = select(ImprovementTeamMeeting).where(ImprovementTeamMeeting.team_id == team_id)
        if since is not None:
            statement = statement.where(col(ImprovementTeamMeeting.held_on) >= since)
        statement = statement.order_by(col(ImprovementTeamMeeting.held_on).desc())
        return list((await session.exec(statement)).all())

    async def meeting_on(
        self, session: AsyncSession, team_id: UUID, held_on: date
    ) -> ImprovementTeamMeeting | None:
        statement = select(ImprovementTeamMeeting).where(
            ImprovementTeamMeeting.team_id == team_id, ImprovementTeamMeeting.held_on == held_on
        )
        return (await session.exec(statement)).first()

    async def meeting_stats(
        self, session: AsyncSession, team_id: UUID, *, recent_since: date
    ) -> tuple[int, date | None, date | None, int]:
        """Meetings held, the first and last dates, and how many since ``recent_since``."""
        held_on = col(ImprovementTeamMeeting.held_on)
        statement = select(
            func.count(),
            func.min(held_on),
            func.max(held_on),
            func.count().filter(held_on >= recent_since),
        ).where(ImprovementTeamMeeting.team_id == team_id)
        count, first, last, recent = (await session.exec(statement)).one()
        return count, first, last, recent

    async def for_enterprises(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, TeamSummary]:
        """Each enterprise's team with its meeting count, last meeting and current make-up,
        in two statements for the batch."""
        of_teams = and_(
            any_of(ImprovementTeam.enterprise_id, enterprise_ids),
            enterprise_visible(ImprovementTeam.enterprise_id, principal),
        )
        of_team = col(ImprovementTeamMeeting.team_id) == col(ImprovementTeam.id)
        meetings = select(func.count()).where(of_team).scalar_subquery()
        last_meeting = select(func.max(ImprovementTeamMeeting.held_on)).where(of_team)
        teams = select(ImprovementTeam, meetings, last_meeting.scalar_subquery()).where(of_teams)
        result = {
            team.enterprise_id: TeamSummary(team, meetings=count, last_meeting_on=last)
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
            result[enterprise_id].composition.append(MembersOf(role, sex, count))
        return result


team_repository = TeamRepository()
