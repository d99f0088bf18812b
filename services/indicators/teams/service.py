"""Enterprise Improvement Teams: formation, members by role and sex, and their meetings."""

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.fields import latest_today, percent
from services.indicators.replica.service import enterprise_or_404, require_recorder
from services.indicators.teams.models import (
    ImprovementTeam,
    ImprovementTeamMeeting,
    ImprovementTeamMember,
)
from services.indicators.teams.repository import team_repository
from services.indicators.teams.schemas import (
    BALANCE_MAX_WOMEN_PCT,
    BALANCE_MIN_WOMEN_PCT,
    REGULAR_MEETINGS,
    REGULAR_WINDOW_DAYS,
    Composition,
    MeetingCreate,
    MeetingPublic,
    MemberCreate,
    MemberPublic,
    MemberState,
    MemberUpdate,
    SexCounts,
    TeamPublic,
    TeamPut,
)
from shared.columns import utcnow
from shared.enums import ParticipantRole
from shared.events import EitChanged
from shared.identity import Principal
from shared.problems import Conflict, InvalidInput, NotFound, field_error, invalid_from_pydantic


def composition(members: list[MemberPublic]) -> Composition:
    counts = {role: SexCounts() for role in ParticipantRole}
    for member in members:
        tally = counts[member.role]
        setattr(tally, member.sex.value, getattr(tally, member.sex.value) + 1)
        tally.total += 1
    women = sum(c.female for c in counts.values())
    total = len(members)
    share = percent(women, total)
    return Composition(
        managers=counts[ParticipantRole.manager],
        workers=counts[ParticipantRole.worker],
        total=total,
        women=women,
        women_share_pct=share,
        gender_balanced=share is not None
        and BALANCE_MIN_WOMEN_PCT <= share <= BALANCE_MAX_WOMEN_PCT,
    )


def _member_public(member: ImprovementTeamMember) -> MemberPublic:
    return MemberPublic.model_validate(member)


class TeamService:
    async def get(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> TeamPublic:
        team = await self._team_or_404(session, enterprise_id, principal=principal)
        return await self._publish(session, team)

    async def put(
        self, session: AsyncSession, enterprise_id: UUID, data: TeamPut, *, principal: Principal
    ) -> tuple[TeamPublic, bool]:
        """Form the team, or update its formation facts; True when it was formed now."""
        await enterprise_or_404(session, enterprise_id, principal=principal)
        require_recorder(principal, "record an Enterprise Improvement Team")
        team = await team_repository.get(session, enterprise_id, lock=True)
        if team is None:
            team = ImprovementTeam(enterprise_id=enterprise_id, **data.model_dump())
            try:
                # A concurrent PUT may form the team first; then this one updates it.
                async with session.begin_nested():
                    session.add(team)
            except IntegrityError:
                found = await team_repository.get(session, enterprise_id, lock=True)
                if found is None:
                    raise
                team = found
            else:
                public = await self._publish(session, team)
                await self._record(session, public, principal=principal, action="eit.formed")
                return public, True
        before = await self._publish(session, team)
        _, first_meeting, _, _ = await team_repository.meeting_stats(
            session, team.id, recent_since=date.min
        )
        if first_meeting is not None and data.formed_on > first_meeting:
            raise InvalidInput(
                "The team cannot be formed after its first recorded meeting",
                errors=[
                    field_error(
                        "body.formed_on",
                        "after_first_meeting",
                        f"must be on or before the first meeting ({first_meeting.isoformat()})",
                        data.formed_on.isoformat(),
                    )
                ],
            )
        if (team.formed_on, team.meeting_frequency) == (data.formed_on, data.meeting_frequency):
            return before, False
        team.formed_on = data.formed_on
        team.meeting_frequency = data.meeting_frequency
        team.updated_at = utcnow()
        session.add(team)
        await session.flush()
        after = await self._publish(session, team)
        await self._record(session, after, principal=principal, action="eit.updated", before=before)
        return after, False

    # --- members ---------------------------------------------------------------------

    async def members(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        include_former: bool = False,
    ) -> list[MemberPublic]:
        team = await self._team_or_404(session, enterprise_id, principal=principal)
        rows = await team_repository.members(session, team.id, include_former=include_former)
        return [_member_public(row) for row in rows]

    async def add_member(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        data: MemberCreate,
        *,
        principal: Principal,
    ) -> MemberPublic:
        team = await self._team_for_change(session, enterprise_id, principal=principal)
        member = ImprovementTeamMember(team_id=team.id, **data.model_dump())
        session.add(member)
        await session.flush()
        public = _member_public(member)
        await changes.audit(
            session,
            principal=principal,
            action="eit_member.added",
            entity_type="improvement_team_member",
            entity_id=member.id,
            after=public,
        )
        await self._changed(session, team, principal=principal)
        return public

    async def update_member(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        member_id: UUID,
        data: MemberUpdate,
        *,
        principal: Principal,
    ) -> MemberPublic:
        team = await self._team_for_change(session, enterprise_id, principal=principal)
        member = await self._member_or_404(session, team, member_id)
        changed = data.model_dump(exclude_unset=True)
        return await self._apply_member_change(
            session, team, member, changed, principal=principal, action="eit_member.updated"
        )

    async def remove_member(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        member_id: UUID,
        *,
        left_on: date | None,
        principal: Principal,
    ) -> MemberPublic:
        """Members leave rather than vanish: composition over time stays reportable."""
        team = await self._team_for_change(session, enterprise_id, principal=principal)
        member = await self._member_or_404(session, team, member_id)
        if member.left_on is not None:
            raise Conflict(
                f"Member {member.id} already left the team on {member.left_on.isoformat()}",
                errors=[
                    field_error(
                        "path.member_id", "already_left", "the member already left the team"
                    )
                ],
            )
        leaving = left_on or utcnow().date()
        return await self._apply_member_change(
            session,
            team,
            member,
            {"left_on": leaving},
            principal=principal,
            action="eit_member.left",
            prefix="query",
        )

    async def _apply_member_change(
        self,
        session: AsyncSession,
        team: ImprovementTeam,
        member: ImprovementTeamMember,
        changed: dict[str, Any],
        *,
        principal: Principal,
        action: str,
        prefix: str = "body",
    ) -> MemberPublic:
        before = _member_public(member)
        merged = before.model_dump(exclude={"id"}) | changed
        try:
            state = MemberState.model_validate(merged)
        except ValidationError as exc:
            raise invalid_from_pydantic(exc, prefix=prefix) from exc
        if state.model_dump() == before.model_dump(exclude={"id"}):
            return before
        for field, value in state.model_dump().items():
            setattr(member, field, value)
        session.add(member)
        await session.flush()
        after = _member_public(member)
        await changes.audit(
            session,
            principal=principal,
            action=action,
            entity_type="improvement_team_member",
            entity_id=member.id,
            before=before,
            after=after,
        )
        await self._changed(session, team, principal=principal)
        return after

    # --- meetings --------------------------------------------------------------------

    async def meetings(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        since: date | None = None,
    ) -> list[MeetingPublic]:
        team = await self._team_or_404(session, enterprise_id, principal=principal)
        rows = await team_repository.meetings(session, team.id, since=since)
        return [MeetingPublic.model_validate(row) for row in rows]

    async def record_meeting(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        data: MeetingCreate,
        *,
        principal: Principal,
    ) -> MeetingPublic:
        team = await self._team_for_change(session, enterprise_id, principal=principal)
        if data.held_on < team.formed_on:
            raise InvalidInput(
                "A meeting cannot be held before the team was formed",
                errors=[
                    field_error(
                        "body.held_on",
                        "before_formation",
                        f"must be on or after formed_on ({team.formed_on.isoformat()})",
                        data.held_on.isoformat(),
                    )
                ],
            )
        date_taken = Conflict(
            f"The team already has a meeting on {data.held_on.isoformat()}",
            errors=[
                field_error(
                    "body.held_on", "unique", "one meeting per date", data.held_on.isoformat()
                )
            ],
        )
        if await team_repository.meeting_on(session, team.id, data.held_on) is not None:
            raise date_taken
        meeting = ImprovementTeamMeeting(team_id=team.id, **data.model_dump())
        try:
            # The team row is locked, but a unique constraint is the last word on duplicates.
            async with session.begin_nested():
                session.add(meeting)
        except IntegrityError as exc:
            raise date_taken from exc
        public = MeetingPublic.model_validate(meeting)
        await changes.audit(
            session,
            principal=principal,
            action="eit_meeting.recorded",
            entity_type="improvement_team_meeting",
            entity_id=meeting.id,
            after=public,
        )
        await self._changed(session, team, principal=principal)
        return public

    # --- helpers ---------------------------------------------------------------------

    async def _team_or_404(
        self,
        session: AsyncSession,
        enterprise_id: UUID,
        *,
        principal: Principal,
        lock: bool = False,
    ) -> ImprovementTeam:
        await enterprise_or_404(session, enterprise_id, principal=principal)
        team = await team_repository.get(session, enterprise_id, lock=lock)
        if team is None:
            raise NotFound(
                f"Enterprise {enterprise_id} has no Enterprise Improvement Team yet "
                f"(form it with PUT /enterprises/{enterprise_id}/eit)"
            )
        return team

    async def _team_for_change(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> ImprovementTeam:
        # Locked: changes to one team are serialised, so its events follow each other.
        team = await self._team_or_404(session, enterprise_id, principal=principal, lock=True)
        require_recorder(principal, "change an Enterprise Improvement Team")
        return team

    async def _member_or_404(
        self, session: AsyncSession, team: ImprovementTeam, member_id: UUID
    ) -> ImprovementTeamMember:
        member = await team_repository.member(session, team.id, member_id)
        if member is None:
            raise NotFound(f"Member {member_id} not found in this Enterprise Improvement Team")
        return member

    async def _publish(self, session: AsyncSession, team: ImprovementTeam) -> TeamPublic:
        members = [_member_public(m) for m in await team_repository.members(session, team.id)]
        summary = composition(members)
        count, _, last, recent = await team_repository.meeting_stats(
            session, team.id, recent_since=latest_today() - timedelta(days=REGULAR_WINDOW_DAYS)
        )
        return TeamPublic(
            id=team.id,
            enterprise_id=team.enterprise_id,
            formed_on=team.formed_on,
            meeting_frequency=team.meeting_frequency,
            members=members,
            composition=summary,
            in_place=summary.managers.total > 0 and summary.workers.total > 0,
            meeting_count=count,
            last_meeting_on=last,
            meets_regularly=recent >= REGULAR_MEETINGS,
            created_at=team.created_at,
            updated_at=team.updated_at,
        )

    async def _changed(
        self,
        session: AsyncSession,
        team: ImprovementTeam,
        *,
        principal: Principal,
    ) -> None:
        """A member or meeting changed (its own audit entry holds the detail): the team's
        event tells consumers where the team stands now."""
        team.updated_at = utcnow()
        session.add(team)
        await session.flush()
        after = await self._publish(session, team)
        await self._emit(session, after, principal=principal)

    async def _record(
        self,
        session: AsyncSession,
        public: TeamPublic,
        *,
        principal: Principal,
        action: str,
        before: TeamPublic | None = None,
    ) -> None:
        await self._emit(session, public, principal=principal)
        await changes.audit(
            session,
            principal=principal,
            action=action,
            entity_type="improvement_team",
            entity_id=public.id,
            # meets_regularly depends on the day it is read, not on the change.
            before=before.model_dump(mode="json", exclude={"meets_regularly"}) if before else None,
            after=public.model_dump(mode="json", exclude={"meets_regularly"}),
        )

    async def _emit(
        self, session: AsyncSession, public: TeamPublic, *, principal: Principal
    ) -> None:
        composition_ = public.composition
        await changes.emit(
            session,
            EitChanged(
                team_id=public.id,
                enterprise_id=public.enterprise_id,
                formed_on=public.formed_on,
                meeting_frequency=public.meeting_frequency,
                managers_female=composition_.managers.female,
                managers_male=composition_.managers.male,
                workers_female=composition_.workers.female,
                workers_male=composition_.workers.male,
                in_place=public.in_place,
                meeting_count=public.meeting_count,
                last_meeting_on=public.last_meeting_on,
            ),
            principal=principal,
        )


team_service = TeamService()
