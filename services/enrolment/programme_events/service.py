"""Programme events: mobilisation events, alumni network meetings and buyer-supplier
meetings of a project, the enterprises invited and who attended (seeds 000, 001).

Rules (README, "Programme events"): a project's writers (the ILO, its manager, its
partners' staff) run its events; people attend for an enterprise that was invited or is
enrolled in the event's project; an alumni network meeting is for enterprises at the
alumni stage of the project, and anyone else is refused, invited or not.
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import changes
from services.enrolment.enterprises.repository import enterprise_repository
from services.enrolment.lifecycle.repository import enrolment_repository
from services.enrolment.organisations.repository import project_repository
from services.enrolment.programme_events.models import (
    EventAttendee,
    EventInvitation,
    ProgrammeEvent,
)
from services.enrolment.programme_events.repository import programme_event_repository
from services.enrolment.programme_events.schemas import (
    AttendancePublic,
    AttendanceSheet,
    AttendeePublic,
    EventCancel,
    EventCreate,
    EventKind,
    EventPublic,
    EventUpdate,
    InvitationPublic,
    InvitationPut,
)
from shared.columns import utcnow
from shared.enums import LifecycleStage, ParticipantRole, Role, Sex
from shared.events import EventAttendeeFact, ProgrammeEventAttendance, ProgrammeEventChanged
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error

_ORGANISERS = frozenset({Role.ilo_global, Role.programme_manager, Role.partner_staff})


def _public(event: ProgrammeEvent, counts: tuple[int, int]) -> EventPublic:
    return EventPublic(
        id=event.id,
        project_id=event.project_id,
        kind=EventKind(event.kind),
        title=event.title,
        held_on=event.held_on,
        venue=event.venue,
        online=event.online,
        organiser=event.organiser,
        notes=event.notes,
        cancelled=event.cancelled,
        cancel_reason=event.cancel_reason,
        invited_enterprises=counts[0],
        attendees=counts[1],
        created_by=event.created_by,
        created_at=event.created_at,
        updated_at=event.updated_at,
    )


def _invitation(row: EventInvitation) -> InvitationPublic:
    return InvitationPublic(
        event_id=row.event_id,
        enterprise_id=row.enterprise_id,
        people=list(row.people),
        invited_by=row.invited_by,
        invited_at=row.invited_at,
    )


def _sheet(event_id: UUID, rows: Sequence[EventAttendee]) -> AttendancePublic:
    sexes = [Sex(row.sex) for row in rows]
    return AttendancePublic(
        event_id=event_id,
        records=[
            AttendeePublic(
                id=row.id,
                enterprise_id=row.enterprise_id,
                name=row.name,
                role=ParticipantRole(row.role),
                sex=Sex(row.sex),
            )
            for row in rows
        ],
        attendees=len(rows),
        enterprises=len({row.enterprise_id for row in rows}),
        female=sexes.count(Sex.female),
        male=sexes.count(Sex.male),
        other_sex=sexes.count(Sex.other),
        sex_not_disclosed=sexes.count(Sex.not_disclosed),
    )


def _changed(event: ProgrammeEvent) -> ProgrammeEventChanged:
    return ProgrammeEventChanged(
        programme_event_id=event.id,
        project_id=event.project_id,
        kind=event.kind,
        held_on=event.held_on,
        cancelled=event.cancelled,
    )


def _venue_errors(venue: str | None, online: bool) -> list[dict[str, Any]]:
    if online or venue is not None:
        return []
    return [
        field_error(
            "body.venue", "venue_or_online", "an event held in person names its venue (or online)"
        )
    ]


class ProgrammeEventService:
    async def get_or_404(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal
    ) -> ProgrammeEvent:
        event = await programme_event_repository.get(session, event_id, principal=principal)
        if event is None:
            raise NotFound(f"Programme event {event_id} not found")
        return event

    async def _public(
        self, session: AsyncSession, events: Sequence[ProgrammeEvent], *, principal: Principal
    ) -> list[EventPublic]:
        counts = await programme_event_repository.counts(
            session, [e.id for e in events], principal=principal
        )
        return [_public(event, counts[event.id]) for event in events]

    async def _require_organiser(
        self, session: AsyncSession, project_id: UUID, *, principal: Principal, action: str
    ) -> None:
        """The project's writers: the ILO, its manager, its implementation partners' staff."""
        allowed = principal.role in _ORGANISERS and (
            principal.role is not Role.partner_staff
            or (
                principal.organisation_id is not None
                and await project_repository.is_partner(
                    session, project_id, principal.organisation_id
                )
            )
        )
        if not allowed:
            raise Forbidden(f"A {principal.role.value} cannot {action} of this project")

    async def _writable(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal, action: str
    ) -> ProgrammeEvent:
        event = await self.get_or_404(session, event_id, principal=principal)
        await self._require_organiser(session, event.project_id, principal=principal, action=action)
        if event.cancelled:
            raise Conflict(
                "The event was cancelled",
                errors=[field_error("path.event_id", "cancelled", "the event was cancelled")],
            )
        return event

    async def get(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal
    ) -> EventPublic:
        event = await self.get_or_404(session, event_id, principal=principal)
        return (await self._public(session, [event], principal=principal))[0]

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
        kind: EventKind | None = None,
    ) -> Page[EventPublic]:
        rows = await programme_event_repository.get_all(
            session,
            principal=principal,
            page=page,
            project_id=project_id,
            kind=kind.value if kind else None,
        )
        found = make_page(rows, page.limit, lambda row: row.id)
        items = await self._public(session, found.items, principal=principal)
        return Page[EventPublic](items=items, next_cursor=found.next_cursor)

    async def create(
        self, session: AsyncSession, data: EventCreate, *, principal: Principal
    ) -> EventPublic:
        if not await project_repository.is_visible(session, data.project_id, principal=principal):
            raise InvalidInput(
                f"Unknown project {data.project_id}",
                errors=[
                    field_error(
                        "body.project_id",
                        "project",
                        "must be a project you may see",
                        str(data.project_id),
                    )
                ],
            )
        await self._require_organiser(
            session, data.project_id, principal=principal, action="organise events"
        )
        errors = _venue_errors(data.venue, data.online)
        if errors:
            raise InvalidInput("Where the event is held is missing", errors=errors)
        event = ProgrammeEvent(
            project_id=data.project_id,
            kind=data.kind.value,
            title=data.title,
            held_on=data.held_on,
            venue=data.venue,
            online=data.online,
            organiser=data.organiser,
            notes=data.notes,
            created_by=principal.actor,
        )
        session.add(event)
        await session.flush()
        public = (await self._public(session, [event], principal=principal))[0]
        await changes.emit(session, _changed(event), principal=principal)
        await changes.audit(
            session,
            principal=principal,
            action="programme_event.created",
            entity_type="programme_event",
            entity_id=event.id,
            after=public,
        )
        return public

    async def update(
        self, session: AsyncSession, event_id: UUID, data: EventUpdate, *, principal: Principal
    ) -> EventPublic:
        event = await self._writable(
            session, event_id, principal=principal, action="change the events"
        )
        before = (await self._public(session, [event], principal=principal))[0]
        changed = data.model_dump(exclude_unset=True)
        for field in ("title", "held_on", "organiser", "online"):
            if changed.get(field) is None:
                changed.pop(field, None)  # explicit null on a required field: unchanged
        venue = changed.get("venue", event.venue)
        errors = _venue_errors(venue, changed.get("online", event.online))
        if errors:
            raise InvalidInput("Where the event is held is missing", errors=errors)
        moved = "held_on" in changed and changed["held_on"] != event.held_on
        if moved and await programme_event_repository.attendees(session, event.id, principal=None):
            raise Conflict(
                "The event's attendance is recorded: its date stays as held",
                errors=[
                    field_error(
                        "body.held_on",
                        "attendance_recorded",
                        "attendance is recorded for the date held",
                        changed["held_on"].isoformat(),
                    )
                ],
            )
        for field, value in changed.items():
            setattr(event, field, value)
        event.updated_at = utcnow()
        session.add(event)
        await session.flush()
        after = (await self._public(session, [event], principal=principal))[0]
        await changes.emit(session, _changed(event), principal=principal)
        await changes.audit(
            session,
            principal=principal,
            action="programme_event.updated",
            entity_type="programme_event",
            entity_id=event.id,
            before=before,
            after=after,
        )
        return after

    async def cancel(
        self, session: AsyncSession, event_id: UUID, data: EventCancel, *, principal: Principal
    ) -> EventPublic:
        event = await self.get_or_404(session, event_id, principal=principal)
        await self._require_organiser(
            session, event.project_id, principal=principal, action="cancel the events"
        )
        if event.cancelled:
            # Cancelling again (a retry) changes nothing and says what stands.
            return (await self._public(session, [event], principal=principal))[0]
        before = (await self._public(session, [event], principal=principal))[0]
        event.cancelled = True
        event.cancel_reason = data.reason
        event.updated_at = utcnow()
        session.add(event)
        await session.flush()
        after = (await self._public(session, [event], principal=principal))[0]
        await changes.emit(session, _changed(event), principal=principal)
        await changes.audit(
            session,
            principal=principal,
            action="programme_event.cancelled",
            entity_type="programme_event",
            entity_id=event.id,
            before=before,
            after=after,
            reason=data.reason,
        )
        return after

    async def _alumni_errors(
        self,
        session: AsyncSession,
        event: ProgrammeEvent,
        named: Sequence[tuple[str, UUID]],
    ) -> list[dict[str, Any]]:
        """An alumni network meeting is for the project's alumni: anyone else is refused."""
        if event.kind != EventKind.alumni_meeting.value:
            return []
        stages = await enrolment_repository.stages_in_project(
            session, event.project_id, [enterprise for _, enterprise in named]
        )
        return [
            field_error(
                field,
                "alumni_stage",
                "an alumni network meeting is for enterprises at the alumni stage of the "
                "event's project",
                str(enterprise),
            )
            for field, enterprise in named
            if stages.get(enterprise) is not LifecycleStage.alumni
        ]

    async def invite(
        self,
        session: AsyncSession,
        event_id: UUID,
        enterprise_id: UUID,
        data: InvitationPut,
        *,
        principal: Principal,
    ) -> InvitationPublic:
        event = await self._writable(
            session, event_id, principal=principal, action="invite to the events"
        )
        if not await enterprise_repository.visible_ids(
            session, [enterprise_id], principal=principal
        ):
            raise NotFound(f"Enterprise {enterprise_id} not found")
        errors = await self._alumni_errors(session, event, [("path.enterprise_id", enterprise_id)])
        if errors:
            raise InvalidInput("This enterprise cannot be invited to the event", errors=errors)
        invitation = await programme_event_repository.invitation(session, event.id, enterprise_id)
        people = list(dict.fromkeys(data.people))
        if invitation is not None and invitation.people == people:
            return _invitation(invitation)  # the same invitation again: nothing changes
        before = _invitation(invitation) if invitation else None
        if invitation is None:
            invitation = EventInvitation(
                event_id=event.id,
                enterprise_id=enterprise_id,
                people=people,
                invited_by=principal.actor,
            )
            try:
                # A concurrent PUT may invite the enterprise first; then this one replaces it.
                async with session.begin_nested():
                    session.add(invitation)
            except IntegrityError:
                found = await programme_event_repository.invitation(
                    session, event.id, enterprise_id
                )
                if found is None:
                    raise
                if found.people == people:
                    return _invitation(found)
                invitation, before = found, _invitation(found)
        invitation.people = people
        invitation.invited_by = principal.actor
        session.add(invitation)
        await session.flush()
        after = _invitation(invitation)
        await changes.audit(
            session,
            principal=principal,
            action="programme_event.invited",
            entity_type="programme_event",
            entity_id=event.id,
            before=before,
            after=after,
        )
        return after

    async def invitations(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal
    ) -> list[InvitationPublic]:
        event = await self.get_or_404(session, event_id, principal=principal)
        rows = await programme_event_repository.invitations(session, event.id, principal=principal)
        return [_invitation(row) for row in rows]

    async def attendance(
        self, session: AsyncSession, event_id: UUID, *, principal: Principal
    ) -> AttendancePublic:
        event = await self.get_or_404(session, event_id, principal=principal)
        rows = await programme_event_repository.attendees(session, event.id, principal=principal)
        return _sheet(event.id, rows)

    async def _attendee_errors(
        self,
        session: AsyncSession,
        event: ProgrammeEvent,
        sheet: AttendanceSheet,
        *,
        principal: Principal,
    ) -> list[dict[str, Any]]:
        ids = list(dict.fromkeys(a.enterprise_id for a in sheet.attendees))
        visible = await enterprise_repository.visible_ids(session, ids, principal=principal)
        invited = await programme_event_repository.invited_ids(session, event.id, ids)
        enrolled = await enrolment_repository.stages_in_project(session, event.project_id, ids)
        errors: list[dict[str, Any]] = []
        seen: set[tuple[UUID, str]] = set()
        named: list[tuple[str, UUID]] = []
        for index, attendee in enumerate(sheet.attendees):
            field = f"body.attendees.{index}"
            key = (attendee.enterprise_id, attendee.name.strip().casefold())
            if key in seen:
                errors.append(
                    field_error(
                        f"{field}.name", "duplicate", "listed more than once", attendee.name
                    )
                )
            seen.add(key)
            enterprise = attendee.enterprise_id
            if enterprise not in visible:
                # Unknown and another tenant's enterprise read the same: nothing leaks.
                errors.append(
                    field_error(
                        f"{field}.enterprise_id",
                        "enterprise",
                        "must be an enterprise you may see",
                        str(enterprise),
                    )
                )
            elif enterprise not in invited and enterprise not in enrolled:
                errors.append(
                    field_error(
                        f"{field}.enterprise_id",
                        "invited_or_enrolled",
                        "the enterprise was not invited and is not enrolled in the event's project",
                        str(enterprise),
                    )
                )
            else:
                named.append((f"{field}.enterprise_id", enterprise))
        return errors + await self._alumni_errors(session, event, named)

    async def record_attendance(
        self,
        session: AsyncSession,
        event_id: UUID,
        sheet: AttendanceSheet,
        *,
        principal: Principal,
    ) -> AttendancePublic:
        event = await self._writable(
            session, event_id, principal=principal, action="record attendance at the events"
        )
        if event.held_on > utcnow().date():
            raise Conflict(
                "Attendance is recorded once the event is held",
                errors=[
                    field_error(
                        "path.event_id",
                        "held",
                        f"the event is on {event.held_on.isoformat()}",
                        event.held_on.isoformat(),
                    )
                ],
            )
        errors = await self._attendee_errors(session, event, sheet, principal=principal)
        if errors:
            raise InvalidInput("Some attendees cannot be recorded", errors=errors)
        before = _sheet(
            event.id,
            await programme_event_repository.attendees(session, event.id, principal=principal),
        )
        await programme_event_repository.remove_visible_attendees(
            session, event.id, principal=principal
        )
        session.add_all(
            EventAttendee(
                event_id=event.id,
                enterprise_id=attendee.enterprise_id,
                name=attendee.name,
                role=attendee.role.value,
                sex=attendee.sex.value,
                recorded_by=principal.actor,
            )
            for attendee in sheet.attendees
        )
        await session.flush()
        register = await programme_event_repository.attendees(session, event.id, principal=None)
        await changes.emit(
            session,
            ProgrammeEventAttendance(
                programme_event_id=event.id,
                project_id=event.project_id,
                attendees=[
                    EventAttendeeFact(
                        attendee_id=row.id,
                        enterprise_id=row.enterprise_id,
                        role=ParticipantRole(row.role),
                        sex=Sex(row.sex),
                    )
                    for row in register
                ],
            ),
            principal=principal,
        )
        after = _sheet(
            event.id,
            await programme_event_repository.attendees(session, event.id, principal=principal),
        )
        await changes.audit(
            session,
            principal=principal,
            action="programme_event.attendance_recorded",
            entity_type="programme_event",
            entity_id=event.id,
            before=before,
            after=after,
        )
        return after


programme_event_service = ProgrammeEventService()
