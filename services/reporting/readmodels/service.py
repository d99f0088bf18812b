"""Read-model status (how far each feed has been applied) and an enterprise's read model."""

from collections.abc import Callable, Mapping, Sequence
from uuid import UUID

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.readmodels.consumers import CONSUMERS, Feed
from services.reporting.readmodels.repository import read_model_repository
from services.reporting.readmodels.schemas import (
    ConsentReadModel,
    EnrolmentReadModel,
    EnterpriseReadModel,
    FeedStatus,
    ModuleReadModel,
    ReadModelStatus,
)
from shared.enums import Role
from shared.events import EventFeedPage
from shared.identity import Principal
from shared.problems import NotFound

# A status request must answer even when a feed hangs.
_PROBE_TIMEOUT = 5.0


def _require_status_reader(principal: Principal) -> None:
    # Freshness is operational, not tenant data: the ILO, services and programme managers
    # (who publish figures and need to know how current they are). To others it is absent.
    if not (principal.is_global or principal.role is Role.programme_manager):
        raise NotFound("No such resource")


async def _probe(
    feed: Feed, after: int, *, token: str, client: httpx.AsyncClient | None
) -> EventFeedPage:
    """One page of at most one event after ``after``: the feed's head and what is waiting."""
    params: dict[str, str | int | float] = {"after": after, "limit": 1, "wait": 0}
    headers = {"Authorization": f"Bearer {token}"}
    if client is not None:
        response = await client.get(feed.url, params=params, headers=headers)
    else:
        async with httpx.AsyncClient(timeout=_PROBE_TIMEOUT) as own:
            response = await own.get(feed.url, params=params, headers=headers)
    response.raise_for_status()
    return EventFeedPage.model_validate_json(response.content)


class ReadModelService:
    async def feed_positions(self, session: AsyncSession) -> dict[str, int]:
        """How far the read models have got in each producer's feed (a report's data_as_of)."""
        cursors = await read_model_repository.cursors(session)
        return {
            source: cursors[consumer][0] if consumer in cursors else 0
            for source, consumer in CONSUMERS.items()
        }

    async def status(
        self,
        session: AsyncSession,
        *,
        principal: Principal,
        feeds: Sequence[Feed],
        token: Callable[[str], str],
        clients: Mapping[str, httpx.AsyncClient],
        running: frozenset[str],
    ) -> ReadModelStatus:
        """Each consumer's cursor against its feed, asked live (the consumer may run elsewhere).

        ``token`` signs a feed token for the producing service it is given."""
        _require_status_reader(principal)
        cursors = await read_model_repository.cursors(session)
        answers = []
        for feed in feeds:
            position, applied_at = cursors.get(feed.consumer, (0, None))
            head: int | None = None
            lag: int | None = None
            error: str | None = None
            try:
                page = await _probe(
                    feed, position, token=token(feed.source), client=clients.get(feed.source)
                )
                head, lag = page.head_position, page.remaining + len(page.events)
            except (httpx.HTTPError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            answers.append(
                FeedStatus(
                    source=feed.source,
                    consumer=feed.consumer,
                    feed_url=feed.url,
                    position=position,
                    last_applied_at=applied_at,
                    head_position=head,
                    lag=lag,
                    running=feed.consumer in running,
                    error=error,
                )
            )
        return ReadModelStatus(feeds=answers, caught_up=all(answer.lag == 0 for answer in answers))

    async def enterprise(
        self, session: AsyncSession, enterprise_id: UUID, *, principal: Principal
    ) -> EnterpriseReadModel:
        # Unfiltered by tenancy, so for global callers only; reports apply tenancy.
        if not principal.is_global:
            raise NotFound(f"Enterprise {enterprise_id} not found")
        found = await read_model_repository.enterprise(session, enterprise_id)
        if found is None:
            raise NotFound(f"Enterprise {enterprise_id} not found in the read models")
        enterprise, partner_name = found
        return EnterpriseReadModel(
            id=enterprise.id,
            name=enterprise.name,
            country=enterprise.country,
            sector=enterprise.sector,
            sub_sector=enterprise.sub_sector,
            partner_id=enterprise.partner_id,
            partner_name=partner_name,
            workforce_total=enterprise.workforce_total,
            workforce_female=enterprise.workforce_female,
            workforce_male=enterprise.workforce_male,
            registered_at=enterprise.registered_at,
            updated_at=enterprise.updated_at,
            enrolments=[
                EnrolmentReadModel(
                    enrolment_id=enrolment.id,
                    project_id=enrolment.project_id,
                    project_name=project_name,
                    partner_id=enrolment.partner_id,
                    stage=enrolment.stage,
                    stage_changed_at=enrolment.stage_changed_at,
                )
                for enrolment, project_name in await read_model_repository.enrolments(
                    session, enterprise_id
                )
            ],
            consents=[
                ConsentReadModel(
                    buyer_id=consent.buyer_id,
                    buyer_name=buyer_name,
                    status=consent.status,
                    changed_at=consent.changed_at,
                )
                for consent, buyer_name in await read_model_repository.consents(
                    session, enterprise_id
                )
            ],
            modules=[
                ModuleReadModel(
                    cohort_id=m.cohort_id,
                    module_code=m.module_code,
                    status=m.status,
                    completed_on=m.completed_on,
                )
                for m in await read_model_repository.modules(session, enterprise_id)
            ],
            values_by_status=await read_model_repository.values_by_status(session, enterprise_id),
            improvement_team_in_place=await read_model_repository.improvement_team_in_place(
                session, enterprise_id
            ),
        )


read_model_service = ReadModelService()


async def data_as_of(session: AsyncSession) -> dict[str, int]:
    """For ``ReportTable.data_as_of``: {"enrolment": position, "indicators": position}."""
    return await read_model_service.feed_positions(session)
