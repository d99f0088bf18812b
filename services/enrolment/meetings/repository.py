"""Commitment meeting queries; callers check the application's tenancy first."""

from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.meetings.models import CommitmentMeeting


class MeetingRepository:
    async def for_application(
        self, session: AsyncSession, application_id: UUID
    ) -> list[CommitmentMeeting]:
        statement = (
            select(CommitmentMeeting)
            .where(CommitmentMeeting.application_id == application_id)
            .order_by(col(CommitmentMeeting.held_on), col(CommitmentMeeting.id))
        )
        return list((await session.exec(statement)).all())

    async def latest(self, session: AsyncSession, application_id: UUID) -> CommitmentMeeting | None:
        meetings = await self.for_application(session, application_id)
        return meetings[-1] if meetings else None


meeting_repository = MeetingRepository()
