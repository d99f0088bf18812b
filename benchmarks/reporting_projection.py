"""What reporting's projector costs per indicators event, as its consumer applies them: one
transaction per event, read models, stored pairs and partner feed together.

Run: ``uv run python -m benchmarks.reporting_projection`` (a fresh embedded Postgres under a
temporary folder, ``benchmarks.reporting_impact``'s data set loaded with COPY and paired;
``--help``). Two streams, each event applied through ``apply_indicators_event``:

* validations: one ``value.validated`` event per value, as a reviewer validating values one
  by one or a batch validation emits them (an endline total of an enterprise that has a
  baseline, so a pair is made again each time);
* a submission for review: ``values.submitted`` events of up to 500 values (the indicators
  service's part size), values that count for nothing until validated.

Wall time is per event; CPU is this process's (the projector's Python), apart from
Postgres's.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated
from uuid import uuid4

import asyncpg
import typer
from rich.console import Console
from rich.table import Table

from benchmarks import scratch_pgdata
from benchmarks.reporting_impact import Layout, layout, load, uuid
from services.reporting.impact.repository import refresh_pairs
from services.reporting.readmodels.projector import apply_indicators_event
from shared.db import Database
from shared.embedded_pg import asyncpg_dsn, embedded_url, ensure_database, start_embedded_server
from shared.events import (
    EventEnvelope,
    EventPayload,
    IndicatorValueFact,
    ValuesSubmitted,
    ValueValidated,
)
from shared.migrate import upgrade_async

DATABASE = "benchmark_projection"
PART_SIZE = 500  # values per values.submitted event (services/indicators/values/service.py)
console = Console()


def endline_fact(world: Layout, number: int, *, status: str) -> dict[str, object]:
    """A new endline total (version 2) of one numeric indicator of enterprise
    ``number % enterprises``: the n-th value of a stream over every enterprise."""
    numeric = [indicator for indicator in world.indicators if indicator[2] != "yes_no"]
    enterprise = number % world.enterprises
    project, _, _ = world.project_of(enterprise)
    indicator_id, code, _, _ = numeric[(number // world.enterprises) % len(numeric)]
    return {
        "value_id": uuid4(),
        "enterprise_id": uuid(5, enterprise),
        "project_id": project,
        "indicator_id": indicator_id,
        "indicator_code": code,
        "indicator_version": 1,
        "round_id": world.rounds[(project, "endline")],
        "round_kind": "endline",
        "round_sequence": 1,
        "month": None,
        "sex": None,
        "role": None,
        "value": Decimal("12.5"),
        "value_bool": None,
        "currency": None,
        "status": status,
        "value_version": 2,
    }


def envelope(position: int, payload: EventPayload) -> EventEnvelope:
    return EventEnvelope(
        position=position,
        event_id=uuid4(),
        event_type=payload.event_type,
        version=payload.version,
        aggregate_type=payload.aggregate_type,
        aggregate_id=payload.aggregate_id(),
        occurred_at=datetime.now(UTC),
        actor="benchmark",
        payload=payload.model_dump(mode="json"),
    )


def validations(world: Layout, count: int, first: int) -> list[EventEnvelope]:
    return [
        envelope(
            first + n, ValueValidated.model_validate(endline_fact(world, n, status="validated"))
        )
        for n in range(count)
    ]


def submission(world: Layout, count: int, first: int, after: int) -> list[EventEnvelope]:
    """Values ``after`` those of the validations: other slots (each already holding a
    validated version, which keeps counting while these await review)."""
    facts = [
        IndicatorValueFact.model_validate(endline_fact(world, after + n, status="submitted"))
        for n in range(count)
    ]
    parts = [facts[start : start + PART_SIZE] for start in range(0, count, PART_SIZE)]
    submission_id = uuid4()
    return [
        envelope(
            first + number,
            ValuesSubmitted(
                submission_id=submission_id,
                part=number + 1,
                parts=len(parts),
                count=count,
                enterprise_ids=list(dict.fromkeys(fact.enterprise_id for fact in part)),
                value_ids=[fact.value_id for fact in part],
                values=part,
            ),
        )
        for number, part in enumerate(parts)
    ]


async def applied(database: Database, envelopes: Sequence[EventEnvelope]) -> tuple[float, float]:
    """Wall and CPU seconds to apply ``envelopes``, each in its own transaction."""
    started, cpu = time.perf_counter(), time.process_time()
    for one in envelopes:
        async with database.transaction() as session:
            await apply_indicators_event(session, one)
    return time.perf_counter() - started, time.process_time() - cpu


async def run(*, enterprises: int, events: int, submitted: int, pgdata: Path) -> None:
    socket_dir = start_embedded_server(pgdata)
    url = embedded_url(socket_dir, DATABASE)
    await ensure_database(url)
    await upgrade_async("reporting", url)
    world = layout(enterprises)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    database = Database(url, pool_size=2)
    try:
        values = await load(connection, world)
        async with database.transaction() as session:
            await refresh_pairs(session, enterprise_ids=None, indicator_codes=None)
        console.print(f"{enterprises:,} enterprises, {values:,} values loaded and paired")
        streams: list[tuple[str, Callable[[], Awaitable[tuple[float, float]]], int, int]] = []
        validated = validations(world, events, first=1)
        submitted_events = submission(world, submitted, first=events + 1, after=events)
        streams.append(
            (
                "value.validated, one value each",
                lambda: applied(database, validated),
                events,
                events,
            )
        )
        streams.append(
            (
                f"values.submitted, {PART_SIZE} values each",
                lambda: applied(database, submitted_events),
                len(submitted_events),
                submitted,
            )
        )
        table = Table(title="Reporting's projector, one transaction per event")
        for header in (
            "stream",
            "events",
            "values",
            "ms per event",
            "CPU ms per event",
            "ms in all",
        ):
            table.add_column(header, justify="left" if header == "stream" else "right")
        for name, apply, count, value_count in streams:
            wall, cpu = await apply()
            table.add_row(
                name,
                f"{count:,}",
                f"{value_count:,}",
                f"{wall * 1000 / count:.1f}",
                f"{cpu * 1000 / count:.1f}",
                f"{wall * 1000:,.0f}",
            )
        console.print(table)
    finally:
        await connection.close()
        await database.dispose()


def main(
    enterprises: Annotated[int, typer.Option(min=100, help="Enterprises (100 values each)")] = (
        3_000
    ),
    events: Annotated[int, typer.Option(min=1, help="value.validated events")] = 1_000,
    submitted: Annotated[int, typer.Option(min=1, help="Values submitted for review")] = 9_600,
    pgdata: Annotated[
        Path | None, typer.Option(help="Postgres data folder (default: a temporary one)")
    ] = None,
) -> None:
    """The projector's cost per indicators event on a loaded reporting database."""
    if pgdata is None:
        pgdata = scratch_pgdata()
    asyncio.run(run(enterprises=enterprises, events=events, submitted=submitted, pgdata=pgdata))


if __name__ == "__main__":
    typer.run(main)
