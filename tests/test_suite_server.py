"""The suite's own Postgres server (tests/conftest.py ``pg_socket_dir``) commits without
waiting for the disk: nothing on it must outlive a crash of the machine."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def test_the_suites_server_commits_without_waiting_for_the_disk(
    enrolment_engine: AsyncEngine,
) -> None:
    async with enrolment_engine.connect() as connection:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            value = (await connection.execute(text(f"SHOW {setting}"))).scalar_one()
            assert value == "off", (setting, value)
