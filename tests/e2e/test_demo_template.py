"""A copy of the run's seeded demo data folder is a data folder of its own: its Postgres
cluster starts and holds the demo data, the development keys are not copied (each platform
makes its own), and the template itself is left as it was."""

import asyncio
from pathlib import Path

import asyncpg
import pytest

from benchmarks.processes import copy_data_folder
from shared.embedded_pg import asyncpg_dsn, embedded_url, start_embedded_server
from shared.embedded_pg import stop_embedded_server as release_embedded_server
from tests.e2e.demo_template import demo_template


async def count(socket_dir: str, database: str, table: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(embedded_url(socket_dir, database)))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


async def setting(socket_dir: str, name: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(embedded_url(socket_dir, "enrolment")))
    try:
        return str(await connection.fetchval(f"SHOW {name}"))
    finally:
        await connection.close()


def files_and_times(folder: Path) -> dict[Path, int]:
    return {path: path.lstat().st_mtime_ns for path in folder.rglob("*")}


def test_a_copy_of_the_template_starts_with_the_demo_data_and_keys_of_its_own(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    template = demo_template(tmp_path_factory)
    before = files_and_times(template)
    copy = tmp_path_factory.mktemp("copy")
    (copy / "logs").mkdir()  # a folder made before the copy (as separate_processes does)
    copy_data_folder(template, copy)

    assert not (copy / "keys").exists()
    pgdata = copy / "pgdata"
    for path in (Path(), Path("base"), Path("PG_VERSION")):
        assert (pgdata / path).stat().st_uid == (template / "pgdata" / path).stat().st_uid
    socket_dir = start_embedded_server(pgdata)
    try:
        enterprises = asyncio.run(count(socket_dir, "enrolment", "enterprise"))
        values = asyncio.run(count(socket_dir, "indicators", "indicator_value"))
        # The run's platforms do not wait for the disk (tests/e2e/demo_template.py).
        fsync = asyncio.run(setting(socket_dir, "fsync"))
    finally:
        release_embedded_server(pgdata)
    assert enterprises > 0
    assert fsync == "off"
    assert values > 0
    # The server ran in the copy and stopped there; the template is as it was.
    assert (pgdata / "log").read_text().count("starting PostgreSQL") == 1
    assert not (pgdata / "postmaster.pid").exists()
    assert files_and_times(template) == before
