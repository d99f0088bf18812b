"""Throughput of validated value-batch submission against a plain asyncpg COPY of the same rows.

Run: ``uv run python -m benchmarks.indicators_import`` (a fresh embedded Postgres under a
temporary folder; one to two minutes for 100,000 values, three rounds each; ``--help``).
The two paths alternate round by round; each prints its wall time and its CPU time (this
process plus the Postgres backend), the steadier figure on a shared machine, and the first
round checks that both stored the same rows.
"""

import asyncio
import json
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
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

from benchmarks import scratch_pgdata
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
# Counts are given for the parts every sex-disaggregated value needs (women and men): two
# values per count, so the default world is 100,000 values, the batch ceiling.
REQUIRED_SEXES = (Sex.female, Sex.male)
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
            for sex in REQUIRED_SEXES:
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
            derived=False,
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


@dataclass(frozen=True)
class Cost:
    """One timed run: wall time, this process's CPU and the serving Postgres backend's CPU.

    CPU seconds are steadier than wall time on a shared machine (waiting for a core does
    not count), and the backend's share shows what each path asks of the database.
    """

    wall: float
    client_cpu: float
    server_cpu: float

    @property
    def cpu(self) -> float:
        return self.client_cpu + self.server_cpu


_TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) a local Postgres backend has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@contextmanager
def measured(pid: int, into: list[Cost]) -> Iterator[None]:
    wall, client, server = time.perf_counter(), time.process_time(), backend_cpu(pid)
    yield
    into.append(
        Cost(
            wall=time.perf_counter() - wall,
            client_cpu=time.process_time() - client,
            server_cpu=backend_cpu(pid) - server,
        )
    )


async def time_service(database: Database, batch: ValueBatch, costs: list[Cost]) -> None:
    async with database.transaction() as session:
        raw = await (await session.connection()).get_raw_connection()
        pid = raw.driver_connection.get_server_pid()  # type: ignore[union-attr]
    # The pool hands the same connection back (one is idle), so its backend is measured.
    with measured(pid, costs):
        async with database.transaction() as session:
            connection = await (await session.connection()).get_raw_connection()
            if connection.driver_connection.get_server_pid() != pid:  # type: ignore[union-attr]
                raise RuntimeError("the pool handed out another connection")
            result = await value_service.submit_batch(session, batch, principal=ILO)
    if result.accepted != len(batch.values):  # all-or-nothing: a rejection raises instead
        raise RuntimeError(f"the service accepted {result.accepted} of {len(batch.values)}")


async def time_copy(
    connection: asyncpg.Connection,
    columns: list[str],
    records: list[tuple[Any, ...]],
    costs: list[Cost],
) -> None:
    with measured(connection.get_server_pid(), costs):
        await connection.copy_records_to_table(
            IndicatorValue.__tablename__, records=records, columns=columns
        )


# What both paths must have stored alike: every column but ids, times and the batch id.
_COMPARED = (
    "slot, enterprise_id, project_id, indicator_id, indicator_version, round_id, month, sex, "
    "role, value, value_bool, currency, note, status, version, is_current, derived, entered_by"
)


async def stored_rows(connection: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(await connection.fetch(f"SELECT {_COMPARED} FROM indicator_value ORDER BY slot"))


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
        service: list[Cost] = []
        copy: list[Cost] = []
        for attempt in range(1, repeats + 1):
            await reset(connection)
            await time_service(database, batch, service)
            if attempt == 1:
                by_service = await stored_rows(connection)
            await reset(connection)
            await time_copy(connection, columns, records, copy)
            if attempt == 1 and await stored_rows(connection) != by_service:
                raise RuntimeError("the service and COPY stored different rows")
            console.print(
                f"  round {attempt}: service {service[-1].wall:.2f} s "
                f"(CPU {service[-1].client_cpu:.2f} s here + {service[-1].server_cpu:.2f} s "
                f"Postgres), COPY {copy[-1].wall:.2f} s (CPU {copy[-1].client_cpu:.2f} s + "
                f"{copy[-1].server_cpu:.2f} s)"
            )
        await reset(connection)
    finally:
        await connection.close()
        await database.dispose()
    report(len(values), service, copy, submit=submit)


def report(count: int, service: list[Cost], copy: list[Cost], *, submit: bool) -> None:
    def median(costs: list[Cost], measure: str) -> float:
        return float(statistics.median(getattr(cost, measure) for cost in costs))

    table = Table(
        title=f"Importing {count:,} indicator values (medians of {len(service)} rounds)",
        caption="submit_batch: every rule checked, outliers flagged, "
        + ("submission events and audit" if submit else "audit")
        + " written, one transaction. COPY: the same rows, no checks. CPU: this process "
        "plus the Postgres backend serving it.",
    )
    for column in ("path", "seconds", "values/s", "vs COPY", "CPU s (here+pg)", "CPU vs COPY"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for name, costs in (
        ("submit_batch", service),
        ("asyncpg COPY", copy),
    ):
        table.add_row(
            name,
            f"{median(costs, 'wall'):.2f}",
            f"{count / median(costs, 'wall'):,.0f}",
            f"{median(copy, 'wall') / median(costs, 'wall'):.1%}",
            f"{median(costs, 'client_cpu'):.2f} + {median(costs, 'server_cpu'):.2f}",
            f"{median(copy, 'cpu') / median(costs, 'cpu'):.1%}",
        )
    console.print(table)
    wall_ratio = median(copy, "wall") / median(service, "wall")
    cpu_ratio = median(copy, "cpu") / median(service, "cpu")
    console.print(
        f"ratio service / COPY = {wall_ratio:.3f} by wall time (COPY is "
        f"{1 / wall_ratio:.1f}x faster), {cpu_ratio:.3f} by CPU time"
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
        pgdata = scratch_pgdata()
    asyncio.run(
        run(enterprises=enterprises, slots=slots, repeats=repeats, submit=submit, pgdata=pgdata)
    )


if __name__ == "__main__":
    typer.run(main)
