"""Latency of the impact report at global scale against the same aggregate written by hand.

Run: ``uv run python -m benchmarks.reporting_impact`` (a fresh embedded Postgres under a
temporary folder: 20,000 enterprises and 2,000,000 indicator values loaded with COPY, a few
minutes in all; ``--help``).
"""

import asyncio
import itertools
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
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

from benchmarks import scratch_pgdata
from services.reporting.impact.repository import refresh_pairs
from services.reporting.impact.schemas import ImpactParams
from services.reporting.impact.service import impact_report
from services.reporting.readmodels.models import (
    RmEnrolment,
    RmEnterprise,
    RmIndicator,
    RmOrganisation,
    RmPair,
    RmProject,
    RmRound,
    RmValue,
)
from shared.db import Database
from shared.embedded_pg import asyncpg_dsn, embedded_url, ensure_database, start_embedded_server
from shared.enums import Role
from shared.identity import Principal
from shared.migrate import upgrade_async

DATABASE = "benchmark_reporting"
ILO = Principal(subject="benchmark", role=Role.ilo_global)
COUNTRIES = {"PK": "PKR", "GH": "GHS", "BD": "BDT", "VN": "VND", "ET": "ETB", "CO": "COP"}
SECTORS = ("textile", "food", "hospitality", "manufacturing", "automotive")
STAGES = ("level1", "level1_completed", "level2", "level2_completed", "alumni")
# (kind, direction, unit): 12 numeric indicators and 3 yes/no practices.
INDICATORS = [
    ("rate", "up", "pieces per hour"),
    ("percentage", "down", "% defective"),
    ("rate", "down", "accidents per 200,000 hours"),
    ("percentage", "down", "% absent"),
    ("percentage", "down", "% turnover"),
    ("count", "up", "jobs"),
    ("amount", "up", "currency"),
    ("percentage", "down", "% waste"),
    ("rate", "down", "kWh per piece"),
    ("percentage", "up", "% of target"),
    ("duration", "down", "minutes"),
    ("percentage", "up", "5S audit score"),
    ("yes_no", "up", "yes/no"),
    ("yes_no", "up", "yes/no"),
    ("yes_no", "up", "yes/no"),
]
BY_SEX = 5  # the first five numeric indicators are also given by sex at both rounds
MONTHLY = 5  # ... and monthly for ten months
MONTHS = 10
console = Console()


def uuid(kind: int, number: int) -> UUID:
    """Deterministic ids, distinct per kind of row."""
    return UUID(int=(kind << 96) | number)


@dataclass(frozen=True)
class Layout:
    enterprises: int
    projects: list[tuple[UUID, str, UUID]]  # (project id, country, partner id)
    rounds: dict[tuple[UUID, str], UUID]  # (project id, kind) -> round id
    indicators: list[tuple[UUID, str, str, str]]  # (id, code, kind, direction)

    def project_of(self, number: int) -> tuple[UUID, str, UUID]:
        return self.projects[number % len(self.projects)]


def layout(enterprises: int) -> Layout:
    projects = []
    for number, country in enumerate(COUNTRIES):
        partner = uuid(1, number)
        projects += [(uuid(2, 2 * number + phase), country, partner) for phase in (0, 1)]
    rounds = {
        (project, kind): uuid(3, 3 * position + sequence)
        for position, (project, _, _) in enumerate(projects)
        for sequence, kind in enumerate(("baseline", "endline", "follow_up"))
    }
    indicators = [
        (uuid(4, number), f"bench_{kind}_{number}", kind, direction)
        for number, (kind, direction, _) in enumerate(INDICATORS)
    ]
    return Layout(enterprises, projects, rounds, indicators)


def columns(model: Any) -> list[str]:
    return [column.name for column in model.__table__.columns]


def records(model: Any, rows: Iterator[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    names = columns(model)
    for row in rows:
        yield tuple(row.get(name) for name in names)


def reference_rows(world: Layout) -> dict[Any, list[dict[str, Any]]]:
    now = datetime.now(UTC)
    organisations = [
        {
            "id": partner,
            "name": f"Partner {country}",
            "kind": "implementation_partner",
            "country": country,
            "updated_at": now,
        }
        for _, country, partner in world.projects[::2]
    ]
    projects = [
        {
            "id": project,
            "name": f"SCORE {country} {number % 2 + 1}",
            "country": country,
            "start_date": date(2022, 1, 1),
            "end_date": date(2025, 12, 31),
            "partner_ids": [partner],
            "funder_ids": [],
            "updated_at": now,
        }
        for number, (project, country, partner) in enumerate(world.projects)
    ]
    rounds = [
        {
            "id": round_id,
            "project_id": project,
            "kind": kind,
            "sequence": 1,
            "name": f"{kind} 1",
            "starts_on": date(2023 if kind != "baseline" else 2022, 1, 1),
            "ends_on": date(2023 if kind != "baseline" else 2022, 3, 31),
        }
        for (project, kind), round_id in world.rounds.items()
    ]
    indicators = [
        {
            "id": indicator_id,
            "code": code,
            "definition_version": 1,
            "name_en": code,
            "name_fr": code,
            "name_es": code,
            "kind": kind,
            "unit": INDICATORS[number][2],
            "direction": direction,
            "module_code": None,
            "disaggregations": ["sex"] if number < BY_SEX else [],
            "active": True,
            "updated_at": now,
        }
        for number, (indicator_id, code, kind, direction) in enumerate(world.indicators)
    ]
    return {
        RmOrganisation: organisations,
        RmProject: projects,
        RmRound: rounds,
        RmIndicator: indicators,
    }


def enterprise_rows(world: Layout, rng: random.Random) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for number in range(world.enterprises):
        _, country, partner = world.project_of(number)
        yield {
            "id": uuid(5, number),
            "name": f"Enterprise {number:05d}",
            "country": country,
            "sector": rng.choice(SECTORS),
            "partner_id": partner,
            "workforce_total": rng.randint(30, 3000),
            "buyer_ids": [],
            "registered_at": now,
            "updated_at": now,
        }


def enrolment_rows(world: Layout, rng: random.Random) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    for number in range(world.enterprises):
        project, _, partner = world.project_of(number)
        yield {
            "id": uuid(6, number),
            "enterprise_id": uuid(5, number),
            "project_id": project,
            "partner_id": partner,
            "stage": rng.choice(STAGES),
            "stage_changed_at": now,
            "updated_at": now,
        }


def value_rows(world: Layout, rng: random.Random) -> Iterator[dict[str, Any]]:
    """100 values per enterprise: baseline and endline totals of the 15 indicators (30), the
    first five by sex at both rounds (20), and five monthly over ten months (50). One
    enterprise in ten has its endline still awaiting validation (no pair yet)."""
    now = datetime.now(UTC)
    serial = itertools.count(1)
    for number in range(world.enterprises):
        project, country, _ = world.project_of(number)
        common = {
            "enterprise_id": uuid(5, number),
            "project_id": project,
            "indicator_version": 1,
            "role": None,
            "value_version": 1,
            "updated_at": now,
        }
        endline_status = "submitted" if number % 10 == 9 else "validated"

        def value(
            indicator: tuple[UUID, str, str, str],
            amount: float | bool,
            *,
            kind: str | None = None,
            sex: str | None = None,
            month: date | None = None,
            status: str = "validated",
            common: dict[str, Any] = common,
            currency: str = COUNTRIES[country],
        ) -> dict[str, Any]:
            indicator_id, code, indicator_kind, _ = indicator
            yes_no = isinstance(amount, bool)
            return {
                **common,
                "value_id": uuid(7, next(serial)),
                "indicator_id": indicator_id,
                "indicator_code": code,
                "round_id": world.rounds[(common["project_id"], kind)] if kind else None,
                "round_kind": kind,
                "round_sequence": 1 if kind else None,
                "month": month,
                "sex": sex,
                "value": None if yes_no else Decimal(f"{amount:.2f}"),
                "value_bool": amount if yes_no else None,
                "currency": currency if indicator_kind == "amount" else None,
                "status": status,
            }

        for position, indicator in enumerate(world.indicators):
            if indicator[2] == "yes_no":
                before = rng.random() < 0.3
                after = before or rng.random() < 0.6
                yield value(indicator, before, kind="baseline")
                yield value(indicator, after, kind="endline", status=endline_status)
                continue
            base = 0.0 if rng.random() < 0.01 else rng.uniform(1, 100)
            end = base * rng.uniform(0.4, 1.6)
            yield value(indicator, base, kind="baseline")
            yield value(indicator, end, kind="endline", status=endline_status)
            if position < BY_SEX:
                for sex in ("female", "male"):
                    yield value(indicator, base / 2, kind="baseline", sex=sex)
                    yield value(indicator, end / 2, kind="endline", sex=sex, status=endline_status)
            if position < MONTHLY:
                for month in range(MONTHS):
                    yield value(indicator, rng.uniform(1, 100), month=date(2023, month + 1, 1))


async def load(connection: asyncpg.Connection, world: Layout) -> int:
    rng = random.Random(2009)  # SCORE's first year: the same data set on every run
    tables: list[tuple[Any, Iterator[dict[str, Any]]]] = [
        (model, iter(rows)) for model, rows in reference_rows(world).items()
    ]
    tables += [
        (RmEnterprise, enterprise_rows(world, rng)),
        (RmEnrolment, enrolment_rows(world, rng)),
    ]
    for model, rows in tables:
        await connection.copy_records_to_table(
            model.__tablename__, records=list(records(model, rows)), columns=columns(model)
        )
    loaded = 0
    values = records(RmValue, value_rows(world, rng))
    while chunk := [row for _, row in zip(range(200_000), values, strict=False)]:
        await connection.copy_records_to_table(
            RmValue.__tablename__, records=chunk, columns=columns(RmValue)
        )
        loaded += len(chunk)
        console.print(f"  {loaded:,} values loaded", end="\r")
    console.print()
    # VACUUM too, as autovacuum would: index-only scans need the visibility map.
    await connection.execute("VACUUM ANALYZE")
    return loaded


# The same aggregate as services/reporting/impact/repository.py, written out by hand.
HAND_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (v.enterprise_id, v.project_id, v.indicator_id, v.round_kind)
           v.enterprise_id, v.project_id, v.indicator_id, v.round_kind,
           v.value, v.value_bool, v.currency
    FROM rm_value v
    WHERE v.status = 'validated' AND v.round_kind IN ('baseline', 'endline')
      AND v.sex IS NULL AND v.role IS NULL
      AND (v.value IS NOT NULL OR v.value_bool IS NOT NULL)
      {scope}
    ORDER BY v.enterprise_id, v.project_id, v.indicator_id, v.round_kind, v.round_sequence DESC
), sides AS (
    SELECT enterprise_id, project_id, indicator_id,
           max(value) FILTER (WHERE round_kind = 'baseline') AS base,
           max(value) FILTER (WHERE round_kind = 'endline') AS fin,
           bool_or(value_bool) FILTER (WHERE round_kind = 'baseline') AS base_bool,
           bool_or(value_bool) FILTER (WHERE round_kind = 'endline') AS fin_bool,
           max(currency) FILTER (WHERE round_kind = 'baseline') AS base_currency,
           max(currency) FILTER (WHERE round_kind = 'endline') AS fin_currency
    FROM latest
    GROUP BY enterprise_id, project_id, indicator_id
), pairs AS (
    SELECT * FROM sides
    WHERE base_currency IS NOT DISTINCT FROM fin_currency
      AND ((base IS NOT NULL AND fin IS NOT NULL)
           OR (base_bool IS NOT NULL AND fin_bool IS NOT NULL))
), figures AS (
    SELECT p.indicator_id {group_select},
           count(*) AS n,
           count(DISTINCT p.enterprise_id) AS enterprises,
           count(*) FILTER (WHERE fin > base) AS increased,
           count(*) FILTER (WHERE fin < base) AS decreased,
           count(*) FILTER (WHERE fin_bool AND NOT base_bool) AS adopted,
           count(*) FILTER (WHERE base_bool AND NOT fin_bool) AS abandoned,
           count(*) FILTER (WHERE base = 0) AS base_zero,
           percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (
               ORDER BY ((fin - base) / abs(NULLIF(base, 0)) * 100)::float8) AS quartiles,
           CASE WHEN min(base_currency) IS NULL OR min(base_currency) = max(base_currency)
                THEN percentile_cont(0.5) WITHIN GROUP (ORDER BY (fin - base)::float8)
           END AS median_abs_change,
           100.0 * count(*) FILTER (WHERE base_bool) / NULLIF(count(base_bool), 0)
               AS adoption_before,
           100.0 * count(*) FILTER (WHERE fin_bool) / NULLIF(count(base_bool), 0)
               AS adoption_after
    FROM pairs p
    {group_join}
    GROUP BY p.indicator_id {group_by}
)
SELECT f.*,
       CASE i.direction
           WHEN 'up' THEN CASE WHEN i.kind = 'yes_no' THEN adopted ELSE increased END
           WHEN 'down' THEN CASE WHEN i.kind = 'yes_no' THEN abandoned ELSE decreased END
       END AS improved
FROM figures f
JOIN rm_indicator i ON i.id = f.indicator_id
ORDER BY f.indicator_id {group_by}
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    principal: Principal
    params: dict[str, Any]
    sql: str


def scenarios(world: Layout) -> list[Scenario]:
    project = world.projects[0][0]
    manager = Principal(subject="bench-manager", role=Role.programme_manager, project_id=project)
    plain = {"scope": "", "group_select": "", "group_join": "", "group_by": ""}
    by_country = {
        "scope": "",
        "group_select": ", x.country",
        "group_join": "LEFT JOIN rm_enterprise x ON x.id = p.enterprise_id",
        "group_by": ", country",
    }
    one_project = {
        **plain,
        "scope": f"AND v.project_id = '{project}' AND v.enterprise_id IN "
        f"(SELECT enterprise_id FROM rm_enrolment WHERE project_id = '{project}')",
    }
    return [
        Scenario("ILO, every indicator, no breakdown", ILO, {}, HAND_SQL.format(**plain)),
        Scenario(
            "ILO, every indicator by country",
            ILO,
            {"group_by": ["country"]},
            HAND_SQL.format(**by_country),
        ),
        Scenario("programme manager, one project", manager, {}, HAND_SQL.format(**one_project)),
    ]


async def timed(
    ours: Callable[[], Awaitable[Any]], theirs: Callable[[], Awaitable[Any]], repeats: int
) -> tuple[list[float], list[float], Any, Any]:
    """Alternate the two so both see the same machine load; one untimed warm-up each."""
    await ours()
    await theirs()
    times: tuple[list[float], list[float]] = ([], [])
    results: list[Any] = [None, None]
    for _ in range(repeats):
        for side, work in enumerate((ours, theirs)):
            started = time.perf_counter()
            results[side] = await work()
            times[side].append(time.perf_counter() - started)
    return times[0], times[1], results[0], results[1]


def same_figures(report_rows: list[dict[str, Any]], hand_rows: list[asyncpg.Record]) -> bool:
    """The report and the hand-written SQL agree on every n, improved and median (sorted
    by their text: a yes/no indicator's median is None, which sorts against no float)."""
    ours = sorted(
        (
            (str(row.get("country", "")), row["n"], row["improved"], row["median_change_pct"])
            for row in report_rows
        ),
        key=repr,
    )
    theirs = sorted(
        (
            (
                str(dict(row).get("country", "")),
                row["n"],
                row["improved"],
                round(row["quartiles"][1], 1) if row["quartiles"] else None,
            )
            for row in hand_rows
        ),
        key=repr,
    )
    return ours == theirs


async def run(*, enterprises: int, repeats: int, pgdata: Path, explain: bool) -> None:
    socket_dir = start_embedded_server(pgdata)
    url = embedded_url(socket_dir, DATABASE)
    admin = await asyncpg.connect(asyncpg_dsn(embedded_url(socket_dir, "postgres")))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    finally:
        await admin.close()
    await ensure_database(url)
    await upgrade_async("reporting", url)
    world = layout(enterprises)
    connection = await asyncpg.connect(asyncpg_dsn(url))
    database = Database(url, pool_size=2)
    results = []
    try:
        version = await connection.fetchval("SHOW server_version")
        console.print(f"PostgreSQL {version} (embedded): loading {enterprises:,} enterprises")
        started = time.perf_counter()
        values = await load(connection, world)
        console.print(
            f"{values:,} indicator values in {len(world.indicators)} indicators, "
            f"{len(COUNTRIES)} countries, {len(world.projects)} projects: loaded, vacuumed, "
            f"analysed in {time.perf_counter() - started:.0f} s"
        )
        # The projector pairs values as their events arrive; values loaded by COPY are
        # paired in one go, as the migration that introduced the stored pairs does.
        started = time.perf_counter()
        async with database.transaction() as session:
            await refresh_pairs(session, enterprise_ids=None, indicator_codes=None)
        await connection.execute(f"VACUUM ANALYZE {RmPair.__tablename__}")
        pairs = await connection.fetchval(f"SELECT count(*) FROM {RmPair.__tablename__}")
        console.print(f"{pairs:,} matched pairs stored in {time.perf_counter() - started:.0f} s")
        for scenario in scenarios(world):

            async def through_report(scenario: Scenario = scenario) -> Any:
                async with database.transaction() as session:
                    params = ImpactParams.model_validate(scenario.params)
                    return await impact_report(
                        session, scenario.principal, params, min_group_size=5
                    )

            async def by_hand(scenario: Scenario = scenario) -> Any:
                return await connection.fetch(scenario.sql)

            report_times, hand_times, table, hand_rows = await timed(
                through_report, by_hand, repeats
            )
            agree = same_figures(table.rows, hand_rows)
            results.append((scenario, report_times, hand_times, len(table.rows), agree))
            if explain:
                plan = await connection.fetch("EXPLAIN (ANALYZE, BUFFERS) " + scenario.sql)
                console.print("\n".join(row[0] for row in plan))
    finally:
        await connection.close()
        await database.dispose()
    show(results, values, repeats)


def show(results: list[Any], values: int, repeats: int) -> None:
    table = Table(
        title=f"Impact report over {values:,} indicator values (median of {repeats} runs)",
        caption="report: impact_report(), the function behind GET /impact (SQLAlchemy, "
        "tenancy, names, feed positions). hand: the same aggregate as one SQL string on "
        "asyncpg.",
    )
    for header in ("scenario", "rows", "report ms", "hand SQL ms", "ratio", "same figures"):
        table.add_column(header, justify="left" if header == "scenario" else "right")
    for scenario, report_times, hand_times, rows, agree in results:
        ours, theirs = statistics.median(report_times), statistics.median(hand_times)
        table.add_row(
            scenario.name,
            str(rows),
            f"{ours * 1000:,.0f}",
            f"{theirs * 1000:,.0f}",
            f"{ours / theirs:.2f}",
            "yes" if agree else "NO",
        )
    console.print(table)


def main(
    enterprises: Annotated[int, typer.Option(min=100, help="Enterprises (100 values each)")] = (
        20_000
    ),
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs; the median is shown")] = 5,
    explain: Annotated[bool, typer.Option(help="Print each hand query's plan")] = False,
    pgdata: Annotated[
        Path | None, typer.Option(help="Postgres data folder (default: a temporary one)")
    ] = None,
) -> None:
    """The impact report's latency on a global-scale data set, beside hand-written SQL."""
    if pgdata is None:
        pgdata = scratch_pgdata()
    asyncio.run(run(enterprises=enterprises, repeats=repeats, pgdata=pgdata, explain=explain))


if __name__ == "__main__":
    typer.run(main)
