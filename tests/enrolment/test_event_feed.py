"""The outbox event feed and the consumer that applies it exactly once."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Column, MetaData, String, Table, Uuid, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.consumer import FeedConsumer
from shared.db import Database
from shared.embedded_pg import embedded_url, ensure_database
from shared.events import EventEnvelope
from shared.plumbing import plumbing_tables
from tests.enrolment.support import Api, World, feed_headers, feed_token_for, register


def reporting_reads_feed() -> dict[str, str]:
    """The headers reporting's consumer sends (a fresh feed token: they are short-lived)."""
    return feed_headers("reporting", "enrolment")


sink_metadata = MetaData()
sink_plumbing = plumbing_tables(sink_metadata)
applied_event = Table(
    "applied_event",
    sink_metadata,
    Column("event_id", Uuid, primary_key=True),
    Column("event_type", String(100), nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
)


@pytest.fixture(scope="session")
async def sink_database(pg_socket_dir: str) -> AsyncIterator[Database]:
    """A consumer's own database (what reporting or indicators would have)."""
    url = embedded_url(pg_socket_dir, "test_consumer_sink")
    await ensure_database(url)
    database = Database(url, pool_size=2)
    async with database.engine.begin() as connection:
        await connection.run_sync(sink_metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
async def clean_sink(sink_database: Database) -> Database:
    async with sink_database.transaction() as session:
        await session.execute(applied_event.delete())
        await session.execute(sink_plumbing.consumer_cursor.delete())
    return sink_database


async def feed_position(api: Api) -> int:
    page = (
        await api.get("/events", params={"after": 0, "limit": 1}, headers=reporting_reads_feed())
    ).json()
    return int(page["head_position"])


async def make_changes(api: Api, world: World) -> list[str]:
    """Three registrations and an update; returns the enterprise ids in order."""
    ids = [(await register(api, world.efp_staff))["id"] for _ in range(3)]
    await api.patch(f"/enterprises/{ids[0]}", json={"city": "Lahore"}, as_=world.efp_staff)
    return ids


async def test_feed_delivers_every_change_once_in_order(api: Api, world: World) -> None:
    start = await feed_position(api)
    ids = await make_changes(api, world)
    seen: list[dict[str, Any]] = []
    after = start
    while True:
        page = (
            await api.get(
                "/events", params={"after": after, "limit": 2}, headers=reporting_reads_feed()
            )
        ).json()
        if not page["events"]:
            break
        seen += page["events"]
        after = page["last_position"]
    positions = [event["position"] for event in seen]
    assert positions == sorted(positions)
    assert len({event["event_id"] for event in seen}) == len(seen)
    enterprise_events = [
        (event["event_type"], event["aggregate_id"])
        for event in seen
        if event["aggregate_type"] == "enterprise"
    ]
    assert enterprise_events == [
        ("enterprise.registered", ids[0]),
        ("enterprise.registered", ids[1]),
        ("enterprise.registered", ids[2]),
        ("enterprise.updated", ids[0]),
    ]


async def test_feed_is_invisible_to_tenants_and_refused_without_token(
    api: Api, world: World
) -> None:
    assert (await api.get("/events", as_=world.efp_staff)).status_code == 404
    assert (await api.client.get("/events")).status_code == 401


async def test_long_poll_without_new_events_returns_empty_page(api: Api) -> None:
    head = await feed_position(api)
    page = (
        await api.get(
            "/events", params={"after": head, "wait": 0.3}, headers=reporting_reads_feed()
        )
    ).json()
    assert page["events"] == []
    assert page["last_position"] == head


def sink_consumer(
    api: Api, database: Database, *, fail_on: set[UUID] | None = None
) -> FeedConsumer:
    failures = set(fail_on or ())

    async def handler(session: AsyncSession, event: EventEnvelope) -> None:
        await session.execute(
            insert(applied_event).values(
                event_id=event.event_id,
                event_type=event.event_type,
                aggregate_id=event.aggregate_id,
            )
        )
        if event.aggregate_id in failures:
            # Crash after writing, before the transaction commits: the write must vanish.
            failures.discard(event.aggregate_id)
            raise RuntimeError("consumer crashed mid-batch")

    return FeedConsumer(
        name="test-sink",
        feed_url="/events",
        database=database,
        plumbing=sink_plumbing,
        handler=handler,
        token=lambda: feed_token_for("reporting", "enrolment"),
        http=api.client,
        batch_size=50,
        wait=0,
    )


async def applied(database: Database) -> list[tuple[str, UUID]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(applied_event.c.event_type, applied_event.c.aggregate_id)
        )
        return [(row.event_type, row.aggregate_id) for row in rows]


async def test_consumer_crashing_mid_batch_resumes_without_loss_or_duplicates(
    api: Api, world: World, clean_sink: Database
) -> None:
    ids = [UUID(i) for i in await make_changes(api, world)]
    crashing = sink_consumer(api, clean_sink, fail_on={ids[1]})
    with pytest.raises(RuntimeError, match="crashed mid-batch"):
        await crashing.run_until_caught_up()
    partial = await applied(clean_sink)
    assert ("enterprise.registered", ids[0]) in partial
    assert ("enterprise.registered", ids[1]) not in partial

    restarted = sink_consumer(api, clean_sink)
    await restarted.run_until_caught_up()
    again = sink_consumer(api, clean_sink)
    assert await again.run_until_caught_up() == 0

    events = await applied(clean_sink)
    mine = [event for event in events if event[1] in ids]
    assert sorted(mine) == sorted(
        [
            ("enterprise.registered", ids[0]),
            ("enterprise.registered", ids[1]),
            ("enterprise.registered", ids[2]),
            ("enterprise.updated", ids[0]),
        ]
    )
    async with clean_sink.sessions() as session:
        total = await session.scalar(select(func.count()).select_from(applied_event))
    assert total == len(events)
    assert restarted.lag() == 0
