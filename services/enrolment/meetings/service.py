"""Commitment meetings: recorded on the application, they settle its CEO-commitment
declarations, so its criteria evaluation shows what was committed and where."""

from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.calls.service import application_service
from services.enrolment.db import changes
from services.enrolment.meetings.models import CommitmentMeeting
from services.enrolment.meetings.repository import meeting_repository
from services.enrolment.meetings.schemas import (
    Attendee,
    Commitment,
    MeetingCreate,
    MeetingPublic,
)
from shared.columns import utcnow
from shared.enums import Role
from shared.events import CommitmentMeetingRecorded
from shared.identity import Principal
from shared.problems import Forbidden, InvalidInput, field_error

# Who meets applicants: the ILO, the project's manager, the partner's staff (tenancy narrows).
_MEETERS = frozenset({Role.ilo_global, Role.programme_manager, Role.partner_staff})


def _public(meeting: CommitmentMeeting) -> MeetingPublic:
    return MeetingPublic(
        id=meeting.id,
        application_id=meeting.application_id,
        held_on=meeting.held_on,
        attendees=[Attendee.model_validate(a) for a in meeting.attendees],
        commitment=Commitment(meeting.commitment),
        nominee_name=meeting.nominee_name,
        nominee_position=meeting.nominee_position,
        nominee_decision_authority=meeting.nominee_decision_authority,
        notes=meeting.notes,
        recorded_by=meeting.recorded_by,
        created_at=meeting.created_at,
    )


class MeetingService:
    async def get_all(
        self, session: AsyncSession, application_id: UUID, *, principal: Principal
    ) -> list[MeetingPublic]:
        application, _ = await application_service.get_or_404(
            session, application_id, principal=principal
        )
        rows = await meeting_repository.for_application(session, application.id)
        return [_public(m) for m in rows]

    async def create(
        self,
        session: AsyncSession,
        application_id: UUID,
        data: MeetingCreate,
        *,
        principal: Principal,
    ) -> MeetingPublic:
        application, call = await application_service.get_or_404(
            session, application_id, principal=principal
        )
        if principal.role not in _MEETERS:
            raise Forbidden(f"A {principal.role.value} cannot record a commitment meeting")
        if data.held_on > utcnow().date():
            raise InvalidInput(
                "The meeting is recorded once held",
                errors=[
                    field_error(
                        "body.held_on", "not_future", "not in the future", data.held_on.isoformat()
                    )
                ],
            )
        meeting = CommitmentMeeting(
            application_id=application.id,
            held_on=data.held_on,
            attendees=[a.model_dump(mode="json") for a in data.attendees],
            commitment=data.commitment.value,
            nominee_name=data.nominee_name,
            nominee_position=data.nominee_position,
            nominee_decision_authority=data.nominee_decision_authority,
            notes=data.notes,
            recorded_by=principal.actor,
        )
        session.add(meeting)
        await session.flush()
        public = _public(meeting)
        await changes.emit(
            session,
            CommitmentMeetingRecorded(
                meeting_id=meeting.id,
                application_id=application.id,
                call_id=call.id,
                enterprise_id=application.enterprise_id,
                held_on=meeting.held_on,
                commitment=data.commitment.value,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="commitment_meeting.recorded",
            entity_type="application",
            entity_id=application.id,
            after=public,
        )
        # Its criteria evaluation now reads the commitment given at the meeting.
        await application_service.reevaluate_one(session, application, principal=principal)
        return public


meeting_service = MeetingService()
