"""Queries of the implementation records; every read applies the caller's tenancy."""

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy import ColumnElement, func, tuple_
from sqlalchemy import select as core_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.implementation.models import (
    ImprovementProject,
    ImprovementTeam,
    ImprovementTeamMeeting,
    ImprovementTeamMember,
    SatisfactionResponse,
)
from services.indicators.implementation.schemas import SATISFIED_RATING
from services.indicators.replica.models import (
    ReplicaCohort,
    ReplicaEnrolment,
    ReplicaEnterprise,
    ReplicaProject,
)
from services.indicators.tenancy import enterprise_visible
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class EnterpriseRepository:
    async def visible_ids(
        self, session: AsyncSession, ids: Sequence[UUID], *, principal: Principal
    ) -> set[UUID]:
        """Those of ``ids`` the replica knows and the principal may see."""
        if not ids:
            return set()
        statement = select(ReplicaEnterprise.id).where(
            col(ReplicaEnterprise.id).in_(set(ids)),
            enterprise_visible(ReplicaEnterprise.id, principal),
        )
        return set((await session.exec(statement)).all())

    async def cohorts(
        self, session: AsyncSession, ids: Sequence[UUID]
    ) -> dict[UUID, ReplicaCohort]:
        if not ids:
            return {}
        rows = await session.exec(select(ReplicaCohort).where(col(ReplicaCohort.id).in_(set(ids))))
        return {cohort.id: cohort for cohort in rows.all()}

    async def project_periods(
        self, session: AsyncSession, enterprise_ids: Sequence[UUID]
    ) -> dict[UUID, dict[UUID, tuple[date | None, date | None]]]:
        """Enterprise -> the projects it is enrolled in -> their (start, end) dates; a project
        the replica has not heard of yet has (None, None)."""
        if not enterprise_ids:
            return {}
        rows = await session.execute(
            core_select(
                col(ReplicaEnrolment.enterprise_id),
                col(ReplicaEnrolment.project_id),
                col(ReplicaProject.start_date),
                col(ReplicaProject.end_date),
            )
            .outerjoin(ReplicaProject, col(ReplicaProject.id) == ReplicaEnrolment.project_id)
            .where(col(ReplicaEnrolment.enterprise_id).in_(set(enterprise_ids)))
        )
        periods: dict[UUID, dict[UUID, tuple[date | None, date | None]]] = {}
        for enterprise_id, project_id, start, end in rows.all():
            periods.setdefault(enterprise_id, {})[project_id] = (start, end)
        return periods


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


class ProjectRepository:
    async def get(
        self,
        session: AsyncSession,
        project_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> ImprovementProject | None:
        statement = select(ImprovementProject).where(
            ImprovementProject.id == project_id,
            enterprise_visible(ImprovementProject.enterprise_id, principal),
        )
        if lock:
            statement = statement.with_for_update()
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        enterprise_id: UUID | None = None,
        status: str | None = None,
        module_code: str | None = None,
        category: str | None = None,
    ) -> list[ImprovementProject]:
        statement = select(ImprovementProject).where(
            enterprise_visible(ImprovementProject.enterprise_id, principal)
        )
        if enterprise_id is not None:
            statement = statement.where(ImprovementProject.enterprise_id == enterprise_id)
        if status is not None:
            statement = statement.where(ImprovementProject.status == status)
        if module_code is not None:
            statement = statement.where(ImprovementProject.module_code == module_code)
        if category is not None:
            statement = statement.where(ImprovementProject.category == category)
        statement = keyset_page(statement, col(ImprovementProject.id), page)
        return list((await session.exec(statement)).all())


class SatisfactionRepository:
    async def existing(
        self, session: AsyncSession, keys: Sequence[tuple[UUID, str]]
    ) -> dict[tuple[UUID, str], UUID]:
        """Responses already recorded for (participant_id, module_code) pairs, across tenants:
        the uniqueness rule is global, like the constraint that backs it."""
        if not keys:
            return {}
        statement = select(
            SatisfactionResponse.participant_id,
            SatisfactionResponse.module_code,
            SatisfactionResponse.id,
        ).where(
            tuple_(
                col(SatisfactionResponse.participant_id), col(SatisfactionResponse.module_code)
            ).in_(list(set(keys)))
        )
        rows = (await session.exec(statement)).all()
        return {(participant, module): id_ for participant, module, id_ in rows}

    def _filtered(
        self,
        principal: Principal,
        *,
        enterprise_id: UUID | None,
        module_code: str | None,
        cohort_id: UUID | None,
    ) -> list[ColumnElement[bool]]:
        conditions = [enterprise_visible(SatisfactionResponse.enterprise_id, principal)]
        if enterprise_id is not None:
            conditions.append(col(SatisfactionResponse.enterprise_id) == enterprise_id)
        if module_code is not None:
            conditions.append(col(SatisfactionResponse.module_code) == module_code)
        if cohort_id is not None:
            conditions.append(col(SatisfactionResponse.cohort_id) == cohort_id)
        return conditions

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        enterprise_id: UUID | None = None,
        module_code: str | None = None,
        cohort_id: UUID | None = None,
    ) -> list[SatisfactionResponse]:
        conditions = self._filtered(
            principal, enterprise_id=enterprise_id, module_code=module_code, cohort_id=cohort_id
        )
        statement = select(SatisfactionResponse).where(*conditions)
        statement = keyset_page(statement, col(SatisfactionResponse.id), page)
        return list((await session.exec(statement)).all())

    async def tallies(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        enterprise_id: UUID | None = None,
        module_code: str | None = None,
        cohort_id: UUID | None = None,
    ) -> list[tuple[str, str, int, int, int, int, int]]:
        """Per (sex, role): responses, satisfied, rating sum, would recommend yes, answered."""
        conditions = self._filtered(
            principal, enterprise_id=enterprise_id, module_code=module_code, cohort_id=cohort_id
        )
        rating = col(SatisfactionResponse.rating)
        recommend = col(SatisfactionResponse.would_recommend)
        # Seven columns: past what sqlmodel's typed select() spells, so a Core statement.
        statement = (
            core_select(
                col(SatisfactionResponse.sex),
                col(SatisfactionResponse.role),
                func.count(),
                func.count().filter(rating >= SATISFIED_RATING),
                func.coalesce(func.sum(rating), 0),
                func.count().filter(recommend.is_(True)),
                func.count(recommend),
            )
            .where(*conditions)
            .group_by(col(SatisfactionResponse.sex), col(SatisfactionResponse.role))
        )
        rows = (await session.execute(statement)).all()
        return [
            (sex, role, n, sat, total, yes, answered)
            for sex, role, n, sat, total, yes, answered in rows
        ]


enterprise_repository = EnterpriseRepository()
team_repository = TeamRepository()
project_repository = ProjectRepository()
satisfaction_repository = SatisfactionRepository()
