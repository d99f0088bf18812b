"""Programme event queries; every read applies the caller's tenancy."""

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.programme_events.models import (
    EventAttendee,
    EventInvitation,
    ProgrammeEvent,
)
from services.enrolment.tenancy import enterprise_visible, programme_event_visible
from shared.identity import Principal
from shared.pagination import PageRequest, keyset_page


class ProgrammeEventRepository:
    async def get(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal
    ) -> ProgrammeEvent | None:
        statement = select(ProgrammeEvent).where(
            ProgrammeEvent.id == event_id, programme_event_visible(principal)
        )
        return (await session.exec(statement)).first()

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
        kind: str | None = None,
    ) -> list[ProgrammeEvent]:
        statement = select(ProgrammeEvent).where(programme_event_visible(principal))
        if project_id is not None:
            statement = statement.where(ProgrammeEvent.project_id == project_id)
        if kind is not None:
            statement = statement.where(ProgrammeEvent.kind == kind)
        statement = keyset_page(statement, col(ProgrammeEvent.id), page)
        return list((await session.exec(statement)).all())

    async def counts(
        self, session: AsyncSession, event_ids: Sequence[UUID], *, principal: Principal
    ) -> dict[UUID, tuple[int, int]]:
        """Per event: the invited enterprises and the attendees the caller may see."""
        result = {event_id: (0, 0) for event_id in event_ids}
        if not event_ids:
            return result
        invited = await session.exec(
            select(EventInvitation.event_id, func.count())
            .where(
                col(EventInvitation.event_id).in_(event_ids),
                enterprise_visible(principal, EventInvitation.enterprise_id),
            )
            .group_by(col(EventInvitation.event_id))
        )
        attended = await session.exec(
            select(EventAttendee.event_id, func.count())
            .where(
                col(EventAttendee.event_id).in_(event_ids),
                enterprise_visible(principal, EventAttendee.enterprise_id),
            )
            .group_by(col(EventAttendee.event_id))
        )
        for event_id, count in invited.all():
            result[event_id] = (count, result[event_id][1])
        for event_id, count in attended.all():
            result[event_id] = (result[event_id][0], count)
        return result

    async def invitation(
        self, session: AsyncSession, event_id: UUID, enterprise_id: UUID
    ) -> EventInvitation | None:
        statement = select(EventInvitation).where(
            EventInvitation.event_id == event_id, EventInvitation.enterprise_id == enterprise_id
        )
        return (await session.exec(statement)).first()

    async def invitations(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal
    ) -> list[EventInvitation]:
        statement = (
            select(EventInvitation)
            .where(
                EventInvitation.event_id == event_id,
                enterprise_visible(principal, EventInvitation.enterprise_id),
            )
            .order_by(col(EventInvitation.invited_at), col(EventInvitation.id))
        )
        return list((await session.exec(statement)).all())

    async def invited_ids(
        self, session: AsyncSession, event_id: UUID, enterprise_ids: Sequence[UUID]
    ) -> set[UUID]:
        statement = select(EventInvitation.enterprise_id).where(
            EventInvitation.event_id == event_id,
            col(EventInvitation.enterprise_id).in_(enterprise_ids),
        )
        return set((await session.exec(statement)).all())

    async def attendees(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal | None
    ) -> list[EventAttendee]:
        """The register (``principal``: the part of it the caller may see; None: all)."""
        statement = select(EventAttendee).where(EventAttendee.event_id == event_id)
        if principal is not None:
            statement = statement.where(enterprise_visible(principal, EventAttendee.enterprise_id))
        statement = statement.order_by(col(EventAttendee.recorded_at), col(EventAttendee.id))
        return list((await session.exec(statement)).all())

    async def remove_visible_attendees(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal
    ) -> None:
        """The caller's part of the register, before it records it anew: another tenant's
        enterprises' people stay as their partner recorded them."""
        await session.execute(
            delete(EventAttendee).where(
                col(EventAttendee.event_id) == event_id,
                enterprise_visible(principal, EventAttendee.enterprise_id),
            )
        )


programme_event_repository = ProgrammeEventRepository()
