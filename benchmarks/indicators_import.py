"""Throughput of validated value-batch submission against a plain asyncpg COPY of the same rows.

Run: ``uv run python -m benchmarks.indicators_import`` (a fresh embedded Postgres under a
temporary folder; one to two minutes for 100,000 values, three rounds each; ``--help``).
"""

import asyncio
import atexit
import json
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import asyncpg
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import insert

from services.indicators.catalogue.models import Indicator
from services.indicators.db import metadata
from services.indicators.replica.models import ReplicaEnrolment, ReplicaEnterprise
from services.indicators.rounds.models import MeasurementRound
from services.indicators.values.models import IndicatorValue
from services.indicators.values.schemas import ValueBatch, ValueIn
from services.indicators.values.service import value_service
from services.indicators.values.validation import slot_key
from shared.db import Database
from shared.embedded_pg import asyncpg_dsn, embedded_url, ensure_database, start_embedded_server
from shared.enums import LifecycleStage, Role, Sex
from shared.identity import Principal
from shared.ids import new_id
from shared.migrate import upgrade_async

DATABASE = "benchmark_indicators"
ILO = Principal(subject="benchmark", role=Role.ilo_global)
console = Console()


@dataclass(frozen=True)
class World:
    project_id: UUID
    round_id: UUID
    enterprise_ids: list[UUID]
    # (indicator id, code, yes/no?) per indicator; counts are given by sex.
    indicators: list[tuple[UUID, str, bool]]


async def seed(database: Database, *, enterprises: int, slots: int) -> World:
    """Enterprises enrolled at Level 1, a baseline round, and indicators giving ``slots``
    values per enterprise: counts by sex (two values each) and yes/no practices (one)."""
    practices = max(1, slots // 5)
    counts = (slots - practices) // 2
    practices = slots - 2 * counts
    project_id, partner_id = new_id(), new_id()
    enterprise_ids = [new_id() for _ in range(enterprises)]
    indicators: list[tuple[UUID, str, bool]] = []
    async with database.transaction() as session:
        connection = await session.connection()
        await connection.execute(
            insert(ReplicaEnterprise),
            [
                {
                    "id": enterprise_id,
                    "name": f"Benchmark Garments {number:05d}",
                    "country": "PK",
                    "sector": "textile",
                    "partner_id": partner_id,
                }
                for number, enterprise_id in enumerate(enterprise_ids)
            ],
        )
        await connection.execute(
            insert(ReplicaEnrolment),
            [
                {
                    "id": new_id(),
                    "enterprise_id": enterprise_id,
                    "project_id": project_id,
                    "partner_id": partner_id,
                    "stage": LifecycleStage.level1.value,
                }
                for enterprise_id in enterprise_ids
            ],
        )
        for number in range(counts + practices):
            practice = number >= counts
            code = f"bench_practice_{number}" if practice else f"bench_count_{number}"
            indicator = Indicator(
                code=code,
                name_en=code,
                name_fr=code,
                name_es=code,
                kind="yes_no" if practice else "count",
                unit="" if practice else "pieces",
                direction="up",
                min_value=None if practice else Decimal(0),
                disaggregations=[] if practice else ["sex"],
            )
            session.add(indicator)
            indicators.append((indicator.id, code, practice))
        measurement_round = MeasurementRound(
            project_id=project_id,
            kind="baseline",
            name="Benchmark baseline",
            starts_on=date(2024, 1, 1),
            ends_on=date(2024, 3, 31),
        )
        session.add(measurement_round)
    return World(project_id, measurement_round.id, enterprise_ids, indicators)


def batch_values(world: World) -> list[ValueIn]:
    values = []
    for number, enterprise_id in enumerate(world.enterprise_ids):
        for position, (_, code, practice) in enumerate(world.indicators):
            if practice:
                values.append(
                    ValueIn(
                        enterprise_id=enterprise_id,
                        indicator_code=code,
                        round_id=world.round_id,
                        value=(number + position) % 2 == 0,
                    )
                )
                continue
            for sex in Sex:
                values.append(
                    ValueIn(
                        enterprise_id=enterprise_id,
                        indicator_code=code,
                        round_id=world.round_id,
                        sex=sex,
                        value=Decimal(10 + (number * 7 + position * 3) % 90),
                    )
                )
    return values


def copy_records(
    world: World, values: list[ValueIn], *, submit: bool
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The rows the service would store for ``values``, in ``indicator_value``'s columns."""
    ids = {code: indicator_id for indicator_id, code, _ in world.indicators}
    columns = [column.name for column in metadata.tables[IndicatorValue.__tablename__].columns]
    now, batch_id = datetime.now(UTC), new_id()
    records = []
    for value in values:
        indicator_id = ids[value.indicator_code]
        sex = value.sex.value if value.sex else None
        row: dict[str, Any] = dict.fromkeys(columns)
        row.update(
            id=new_id(),
            slot=slot_key(value.enterprise_id, indicator_id, world.round_id, None, sex, None),
            enterprise_id=value.enterprise_id,
            project_id=world.project_id,
            indicator_id=indicator_id,
            indicator_version=1,
            round_id=world.round_id,
            sex=sex,
            value=value.value if isinstance(value.value, Decimal) else None,
            value_bool=value.value if isinstance(value.value, bool) else None,
            status="submitted" if submit else "draft",
            submitted_at=now if submit else None,
            version=1,
            is_current=True,
            outlier_flags=json.dumps([]),
            batch_id=batch_id,
            entered_by=ILO.actor,
            entered_at=now,
        )
        records.append(tuple(row[column] for column in columns))
    return columns, records


async def reset(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "TRUNCATE indicator_value, outbox_event, audit_entry RESTART IDENTITY CASCADE"
    )
    await connection.execute("VACUUM ANALYZE indicator_value")


async def time_service(database: Database, batch: ValueBatch) -> float:
    started = time.perf_counter()
    async with database.transaction() as session:
        result = await value_service.submit_batch(session, batch, principal=ILO)
    elapsed = time.perf_counter() - started
    if result.accepted != len(batch.values):  # all-or-nothing: a rejection raises instead
        raise RuntimeError(f"the service accepted {result.accepted} of {len(batch.values)}")
    return elapsed


async def time_copy(
    connection: asyncpg.Connection, columns: list[str], records: list[tuple[Any, ...]]
) -> float:
    started = time.perf_counter()
    await connection.copy_records_to_table(
        IndicatorValue.__tablename__, records=records, columns=columns
    )
    return time.perf_counter() - started


async def fresh_database(socket_dir: str) -> str:
    url = embedded_url(socket_dir, DATABASE)
    admin = await asyncpg.connect(asyncpg_dsn(embedded_url(socket_dir, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()
    await ensure_database(url)
    return url


async def run(*, enterprises: int, slots: int, repeats: int, submit: bool, pgdata: Path) -> None:
    url = await fresh_database(start_embedded_server(pgdata))
    await upgrade_async("indicators", url)
    database = Database(url, pool_size=2)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        world = await seed(database, enterprises=enterprises, slots=slots)
        values = batch_values(world)
        batch = ValueBatch(values=values, submit=submit)
        columns, records = copy_records(world, values, submit=submit)
        version = await connection.fetchval("SHOW server_version")
        console.print(
            f"PostgreSQL {version} (embedded), {len(values):,} values: {enterprises:,} "
            f"enterprises x {len(values) // enterprises} values, "
            f"{len(world.indicators)} indicators, one baseline round, "
            + ("submitted for review" if submit else "saved as drafts")
        )
        service_times: list[float] = []
        copy_times: list[float] = []
        for attempt in range(1, repeats + 1):
            await reset(connection)
            service_times.append(await time_service(database, batch))
            await reset(connection)
            copy_times.append(await time_copy(connection, columns, records))
            console.print(
                f"  round {attempt}: service {service_times[-1]:.2f} s, COPY {copy_times[-1]:.2f} s"
            )
        await reset(connection)
    finally:
        await connection.close()
        await database.dispose()
    report(len(values), service_times, copy_times, submit=submit)


def report(
    count: int, service_times: list[float], copy_times: list[float], *, submit: bool
) -> None:
    service_rate = count / statistics.median(service_times)
    copy_rate = count / statistics.median(copy_times)
    table = Table(
        title=f"Importing {count:,} indicator values (median of {len(service_times)} rounds)",
        caption="submit_batch: every rule checked, outliers flagged, "
        + ("submission events and audit" if submit else "audit")
        + " written, one transaction. COPY: the same rows, no checks.",
    )
    table.add_column("path")
    table.add_column("seconds", justify="right")
    table.add_column("values / second", justify="right")
    table.add_column("share of COPY", justify="right")
    table.add_row(
        "value_service.submit_batch",
        f"{statistics.median(service_times):.2f}",
        f"{service_rate:,.0f}",
        f"{service_rate / copy_rate:.1%}",
    )
    table.add_row(
        "asyncpg copy_records_to_table",
        f"{statistics.median(copy_times):.2f}",
        f"{copy_rate:,.0f}",
        "100.0%",
    )
    console.print(table)
    console.print(
        f"ratio service / COPY = {service_rate / copy_rate:.3f} "
        f"(COPY is {copy_rate / service_rate:.1f}x faster)"
    )


def main(
    enterprises: Annotated[int, typer.Option(min=1, help="Enterprises enrolled")] = 2_000,
    slots: Annotated[int, typer.Option(min=3, help="Values per enterprise")] = 50,
    repeats: Annotated[int, typer.Option(min=1, help="Timed rounds; the median is shown")] = 3,
    submit: Annotated[
        bool,
        typer.Option("--submit/--draft", help="Submit for review (adds the events) or save drafts"),
    ] = False,
    pgdata: Annotated[
        Path | None, typer.Option(help="Postgres data folder (default: a temporary one)")
    ] = None,
) -> None:
    """Validated batch submission vs plain COPY of the same rows, on a fresh database."""
    if pgdata is None:
        scratch = Path(tempfile.mkdtemp(prefix="score-bench-"))
        # Registered before the server starts, so it runs after pgserver stops it at exit.
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        pgdata = scratch / "pgdata"
    asyncio.run(
        run(enterprises=enterprises, slots=slots, repeats=repeats, submit=submit, pgdata=pgdata)
    )


if __name__ == "__main__":
    typer.run(main)
