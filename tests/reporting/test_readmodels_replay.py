"""Replaying the feeds converges on the same rows, a crash mid-batch loses and doubles
nothing, and events this code does not know only advance the cursor."""

from typing import Any, ClassVar
from uuid import UUID

import pytest
from sqlalchemy import delete, func, select, text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.db import changes as enrolment_changes
from services.reporting.db import metadata, plumbing
from services.reporting.impact.schemas import ImpactParams
from services.reporting.impact.service import impact_report
from services.reporting.readmodels.models import RmParticipant, RmValue
from services.reporting.readmodels.projector import (
    ENROLMENT_CONSUMER,
    INDICATORS_CONSUMER,
    apply_enrolment_event,
    apply_indicators_event,
)
from shared.consumer import Handler
from shared.events import EventEnvelope, EventPayload
from tests.enrolment.support import ILO, Api, World
from tests.reporting.fixtures import (
    Story,
    enrolment_feed_consumer,
    indicators_feed_consumer,
    sync_reporting,
)
from tests.reporting.story_baseline import story, story_baseline

# Every test here stands on the module's story (told once): one that doesn't name it
# would otherwise wait forever on the outbox lock the story's open transaction holds.
pytestmark = pytest.mark.usefixtures("story_baseline")
__all__ = ["story", "story_baseline"]

READ_MODELS = sorted(name for name in metadata.tables if name.startswith("rm_"))

Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(session: AsyncSession) -> Snapshot:
    """Every read-model row, every column, in a stable order."""
    result: Snapshot = {}
    for name in READ_MODELS:
        rows = await session.execute(text(f"SELECT * FROM {name} ORDER BY 1"))
        result[name] = [tuple(row) for row in rows]
    return result


async def cursor_position(session: AsyncSession, consumer: str) -> int:
    cursor = plumbing.consumer_cursor
    value = await session.scalar(select(cursor.c.position).where(cursor.c.consumer == consumer))
    return int(value or 0)


async def count(session: AsyncSession, model: Any, **where: Any) -> int:
    statement = select(func.count()).select_from(model)
    for name, wanted in where.items():
        statement = statement.where(getattr(model, name) == wanted)
    return int(await session.scalar(statement) or 0)


async def unfiltered_impact(session: AsyncSession) -> list[dict[str, Any]]:
    """The ILO's impact report over every enterprise (its figures are cached between
    changes of the pairs)."""
    table = await impact_report(session, ILO, ImpactParams(), min_group_size=5)
    await session.commit()
    return table.rows


async def forget_cursors(session: AsyncSession) -> None:
    await session.execute(delete(plumbing.consumer_cursor))
    await session.commit()


async def test_replay_from_position_zero_converges_on_identical_rows(
    api: Api, indicators_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    applied = await sync_reporting(api, indicators_api, reporting_session)
    first = await snapshot(reporting_session)
    assert all(first[name] for name in ("rm_enterprise", "rm_participant", "rm_pair", "rm_value"))
    impact = await unfiltered_impact(reporting_session)
    assert any(row["indicator"] == story.indicator_code and row["n"] for row in impact)

    await forget_cursors(reporting_session)
    assert await sync_reporting(api, indicators_api, reporting_session) == applied
    assert await snapshot(reporting_session) == first
    assert await unfiltered_impact(reporting_session) == impact
    # Still one row per value slot and per participant: nothing was counted twice.
    assert await count(reporting_session, RmValue, indicator_id=story.indicator_id) == 3
    assert await count(reporting_session, RmParticipant, cohort_id=story.cohort_id) == 4


async def test_rebuilding_from_empty_read_models_gives_the_same_rows(
    api: Api, indicators_api: Api, reporting_session: AsyncSession, story: Story
) -> None:
    """Timestamps come from the events, so a rebuild is the same to the microsecond."""
    await sync_reporting(api, indicators_api, reporting_session)
    first = await snapshot(reporting_session)
    impact = await unfiltered_impact(reporting_session)
    assert impact
    for name in READ_MODELS:
        await reporting_session.execute(text(f"DELETE FROM {name}"))
    await forget_cursors(reporting_session)
    assert all(rows == [] for rows in (await snapshot(reporting_session)).values())

    await sync_reporting(api, indicators_api, reporting_session)
    assert await snapshot(reporting_session) == first
    assert await unfiltered_impact(reporting_session) == impact


class Crash(RuntimeError):
    pass


def crashing(handler: Handler, on: str) -> Handler:
    """The real handler, which then dies on the first event of type ``on``, after writing."""

    async def handle(session: AsyncSession, envelope: EventEnvelope) -> None:
        await handler(session, envelope)
        if envelope.event_type == on:
            raise Crash(f"crashed applying {on} at position {envelope.position}")

    return handle


@pytest.mark.parametrize(
    ("feed", "event_type"),
    [
        ("indicators", "values.submitted"),
        ("indicators", "value.corrected"),
        ("enrolment", "participant.changed"),
    ],
)
async def test_consumer_crashing_mid_batch_resumes_from_its_cursor_without_double_counting(
    api: Api,
    indicators_api: Api,
    reporting_session: AsyncSession,
    story: Story,
    feed: str,
    event_type: str,
) -> None:
    # The reference: the read models as a clean run builds them.
    await sync_reporting(api, indicators_api, reporting_session)
    reference = await snapshot(reporting_session)
    for name in READ_MODELS:
        await reporting_session.execute(text(f"DELETE FROM {name}"))
    await forget_cursors(reporting_session)

    if feed == "indicators":
        await enrolment_feed_consumer(api, reporting_session).run_until_caught_up()
        broken = indicators_feed_consumer(
            indicators_api, reporting_session, crashing(apply_indicators_event, event_type)
        )
        name = INDICATORS_CONSUMER
    else:
        broken = enrolment_feed_consumer(
            api, reporting_session, crashing(apply_enrolment_event, event_type)
        )
        name = ENROLMENT_CONSUMER
    with pytest.raises(Crash):
        await broken.run_until_caught_up()
    stopped_at = await cursor_position(reporting_session, name)
    # The events before the crash stay applied; the crashing one's writes were rolled back.
    assert stopped_at > 0
    page = (
        await (api if feed == "enrolment" else indicators_api).get(
            "/events", params={"after": stopped_at, "limit": 1}
        )
    ).json()
    assert page["events"][0]["event_type"] == event_type

    # Restarted with the real handler, it picks up at the crashed event.
    await sync_reporting(api, indicators_api, reporting_session)
    assert await cursor_position(reporting_session, name) > stopped_at
    assert await snapshot(reporting_session) == reference
    assert await count(reporting_session, RmValue, indicator_id=story.indicator_id) == 3
    assert await count(reporting_session, RmParticipant, cohort_id=story.cohort_id) == 4


class FromTheFuture(EventPayload):
    """An event type a newer enrolment might emit; this reporting has never heard of it."""

    event_type: ClassVar[str] = "enterprise.merged"
    aggregate_type: ClassVar[str] = "enterprise"

    enterprise_id: UUID
    into_id: UUID

    def aggregate_id(self) -> UUID:
        return self.enterprise_id


class OrganisationChangedV2(EventPayload):
    """A known event type at a version this code cannot parse."""

    event_type: ClassVar[str] = "organisation.changed"
    version: ClassVar[int] = 2
    aggregate_type: ClassVar[str] = "organisation"

    organisation_id: UUID
    display_name: str

    def aggregate_id(self) -> UUID:
        return self.organisation_id


async def test_unknown_event_types_and_versions_are_skipped_and_the_cursor_moves_on(
    api: Api,
    indicators_api: Api,
    reporting_session: AsyncSession,
    enrolment_session: AsyncSession,
    world: World,
) -> None:
    await sync_reporting(api, indicators_api, reporting_session)
    before = await snapshot(reporting_session)
    await enrolment_changes.emit(
        enrolment_session,
        FromTheFuture(enterprise_id=world.efp_id, into_id=world.mdpi_id),
        principal=ILO,
    )
    await enrolment_changes.emit(
        enrolment_session,
        OrganisationChangedV2(organisation_id=world.efp_id, display_name="Renamed"),
        principal=ILO,
    )
    await enrolment_session.commit()
    head = (await api.get("/events", params={"after": 0, "limit": 1})).json()["head_position"]

    assert await enrolment_feed_consumer(api, reporting_session).run_until_caught_up() == 2
    assert await cursor_position(reporting_session, ENROLMENT_CONSUMER) == head
    assert await snapshot(reporting_session) == before
