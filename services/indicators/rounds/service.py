"""Measurement rounds: a project's baseline, endline and follow-ups, with their dates."""

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from services.indicators.db import changes
from services.indicators.rounds.models import MeasurementRound
from services.indicators.rounds.repository import round_repository
from services.indicators.rounds.schemas import RoundCreate, RoundPublic
from shared.enums import Role
from shared.events import MeasurementRoundCreated
from shared.identity import Principal
from shared.pagination import Page, PageRequest, make_page
from shared.problems import Conflict, Forbidden, NotFound, field_error


class RoundService:
    async def get(
        self, session: AsyncSession, round_id: UUID, *, principal: Principal
    ) -> RoundPublic:
        _require_reader(principal)
        found = await round_repository.get(session, round_id, principal=principal)
        if found is None:
            raise NotFound(f"Measurement round {round_id} not found")
        return RoundPublic.model_validate(found)

    async def get_all(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        page: PageRequest,
        project_id: UUID | None = None,
    ) -> Page[RoundPublic]:
        # Rounds are a project's calendar: listed to whoever may see the project.
        _require_reader(principal)
        rows = await round_repository.get_all(
            session, principal=principal, page=page, project_id=project_id
        )
        items = [RoundPublic.model_validate(r) for r in rows]
        return make_page(items, page.limit, lambda item: item.id)

    async def create(
        self, session: AsyncSession, data: RoundCreate, *, principal: Principal
    ) -> RoundPublic:
        await self._require_planner(session, data.project_id, principal)
        existing = await round_repository.find(
            session, project_id=data.project_id, kind=data.kind.value, sequence=data.sequence
        )
        if existing is not None:
            raise _duplicate(data, existing.id)
        created = MeasurementRound(
            project_id=data.project_id,
            kind=data.kind.value,
            sequence=data.sequence,
            name=data.name,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
        )
        session.add(created)
        try:
            # A concurrent request may have created the same round since the check above.
            async with session.begin_nested():
                await session.flush()
        except IntegrityError as exc:
            raise _duplicate(data, None) from exc
        public = RoundPublic.model_validate(created)
        await changes.emit(
            session,
            MeasurementRoundCreated(
                round_id=created.id,
                project_id=created.project_id,
                kind=created.kind,
                sequence=created.sequence,
                name=created.name,
                starts_on=created.starts_on,
                ends_on=created.ends_on,
            ),
            principal=principal,
        )
        await changes.audit(
            session,
            principal=principal,
            action="measurement_round.created",
            entity_type="measurement_round",
            entity_id=created.id,
            after=public,
        )
        return public

    async def _require_planner(
        self, session: AsyncSession, project_id: UUID, principal: Principal
    ) -> None:
        """ILO, the project's manager, or staff of one of the project's partners."""
        if not await round_repository.has_project_role(session, project_id, principal=principal):
            raise Forbidden(
                "Rounds are planned by the ILO, the project's programme manager and staff of "
                "its implementation partners"
            )


def _require_reader(principal: Principal) -> None:
    if principal.role is Role.lead_buyer:
        raise Forbidden("Lead buyers follow their suppliers in reporting, not here")


def _duplicate(data: RoundCreate, existing_id: UUID | None) -> Conflict:
    return Conflict(
        f"The project already has {data.kind.value} round {data.sequence}",
        errors=[
            field_error(
                "body.sequence",
                "unique_round",
                "project, kind and sequence must be unique: use the next sequence",
                data.sequence,
            )
        ],
        existing_round_id=str(existing_id) if existing_id else None,
    )


round_service = RoundService()
