"""Freshness for real: enrolment, indicators and reporting as uvicorn processes on their own
databases; writes through the producers' APIs show in reporting's API with no explicit
sync, and a reporting process killed mid-backlog resumes without losing or doubling rows."""

import asyncio
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest

from benchmarks.reporting_freshness import (
    Measured,
    ProcessPlatform,
    change_profile,
    prepare,
    read_model,
    running_platform,
    submit_value,
    wait_for,
)
from shared.embedded_pg import asyncpg_dsn
from tests.enrolment.support import garment_factory

# A generous deadline, not a latency target (the benchmark measures that): a CI machine
# running two test workers and these processes on two cores can take tens of seconds.
DEADLINE = 90.0


@pytest.fixture(scope="module")
def platform(
    pg_socket_dir: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProcessPlatform]:
    with running_platform(
        pg_socket_dir,
        prefix="freshness_test",
        workdir=tmp_path_factory.mktemp("freshness"),
        # A stop waits out the consumers' long polls for a second, not two: nothing here
        # is about graceful stops (reporting is killed mid-backlog), and every stop paid it.
        graceful_shutdown=1,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def measured(platform: ProcessPlatform, client: httpx.Client) -> Measured:
    return prepare(platform, client)


def status(platform: ProcessPlatform, client: httpx.Client) -> dict[str, Any]:
    response = client.get(
        f"{platform.url('reporting')}/readmodels/status", headers=platform.headers()
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_enrolment_write_shows_in_reporting_without_any_sync(
    platform: ProcessPlatform, client: httpx.Client, measured: Measured
) -> None:
    visible = change_profile(platform, client, measured, 612)
    wait_for(visible, timeout=DEADLINE)
    shown = read_model(platform, client, measured.enterprise_id)
    assert shown["workforce_total"] == 612
    [enrolment] = shown["enrolments"]
    assert (enrolment["project_name"], enrolment["stage"]) == (
        "ILES Pakistan",
        "baseline_assessment",
    )
    assert shown["partner_name"].startswith("EFP")


def test_indicator_value_shows_in_reporting_without_any_sync(
    platform: ProcessPlatform, client: httpx.Client, measured: Measured
) -> None:
    visible = submit_value(platform, client, measured, date(2019, 1, 1))
    wait_for(visible, timeout=DEADLINE)


def test_status_shows_both_consumers_running_and_caught_up(
    platform: ProcessPlatform, client: httpx.Client, measured: Measured
) -> None:
    wait_for(lambda: status(platform, client)["caught_up"], timeout=DEADLINE, poll=0.1)
    feeds = {feed["source"]: feed for feed in status(platform, client)["feeds"]}
    for source in ("enrolment", "indicators"):
        assert feeds[source]["running"] is True
        assert feeds[source]["position"] == feeds[source]["head_position"]
        assert feeds[source]["last_applied_at"] is not None


async def _scalar(url: str, query: str) -> Any:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


def reporting_scalar(platform: ProcessPlatform, query: str) -> Any:
    return asyncio.run(_scalar(platform.database_url("reporting"), query))


def enrolment_position(platform: ProcessPlatform) -> int:
    return int(
        reporting_scalar(
            platform,
            "SELECT coalesce(max(position), 0) FROM consumer_cursor "
            "WHERE consumer = 'reporting.enrolment'",
        )
    )


def test_reporting_killed_mid_backlog_resumes_without_losing_or_doubling_rows(
    platform: ProcessPlatform, client: httpx.Client, measured: Measured
) -> None:
    wait_for(lambda: status(platform, client)["caught_up"], timeout=DEADLINE, poll=0.1)
    enterprises_before = reporting_scalar(platform, "SELECT count(*) FROM rm_enterprise")
    platform.stop("reporting")

    # A backlog of registrations reporting has not seen: long enough that a kill as soon as
    # reporting applied its first lands mid-way (each registration is its own transaction).
    backlog = 100
    staff = platform.headers(measured.partner)
    for _ in range(backlog):
        response = client.post(
            f"{platform.url('enrolment')}/enterprises", json=garment_factory(), headers=staff
        )
        assert response.status_code == 201, response.text

    # Start, let it apply part of the backlog, kill -9; again, until one kill lands mid-way.
    kills_midway = 0
    for _ in range(3):
        started_at = enrolment_position(platform)
        platform.start("reporting")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and enrolment_position(platform) == started_at:
            time.sleep(0.005)
        platform.stop("reporting", kill=True)
        applied = reporting_scalar(platform, "SELECT count(*) FROM rm_enterprise")
        if applied < enterprises_before + backlog:
            kills_midway += 1
            break
    assert kills_midway == 1, "every run applied the whole backlog before the kill"

    platform.start("reporting")
    platform.wait_ready("reporting")
    wait_for(lambda: status(platform, client)["caught_up"], timeout=3 * DEADLINE, poll=0.1)
    assert reporting_scalar(platform, "SELECT count(*) FROM rm_enterprise") == (
        enterprises_before + backlog
    )
