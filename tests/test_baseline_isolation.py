"""A module's baseline (tests/conftest.py ``Baseline``, built by ``module_baseline``) is
there for each of its tests, and what one test writes on it is gone for the next: each test
runs in a savepoint of the baseline's transactions, rolled back after it, even when the code
under test commits.

Both tests write their own row in each of the three databases and find no other test's
row: in whichever order they run, the second fails if the first's writes survived."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.conftest import Baseline, BaselineGround
from tests.indicators.baseline import BaselineParts, module_baseline

PROBE = "baseline_probe"


async def _probe_tables(parts: BaselineParts) -> str:
    """A table of the baseline's own in each database: it lives as long as the module's
    transactions do."""
    for session in (parts.enrolment_session, parts.indicators_session, parts.reporting_session):
        await session.execute(text(f"CREATE TABLE {PROBE} (written_by text PRIMARY KEY)"))
        await session.commit()
    return PROBE


@pytest.fixture(scope="module")
async def probe_baseline(
    baseline_ground: BaselineGround,
) -> AsyncIterator[Baseline[str]]:
    async for baseline in module_baseline(_probe_tables, baseline_ground):
        yield baseline


@pytest.mark.parametrize("test", ["one", "two"])
async def test_a_test_on_a_baseline_sees_it_and_none_of_another_tests_writes(
    test: str,
    probe_baseline: Baseline[str],
    enrolment_session: AsyncSession,
    indicators_session: AsyncSession,
    reporting_session: AsyncSession,
) -> None:
    table = probe_baseline.data
    for session in (enrolment_session, indicators_session, reporting_session):
        # The baseline's table is there (the test stands on the module's transactions) ...
        before = (await session.execute(text(f"SELECT written_by FROM {table}"))).scalars()
        # ... and holds nothing another test wrote, though that test committed.
        assert list(before) == []
        await session.execute(text(f"INSERT INTO {table} VALUES (:test)"), {"test": test})
        await session.commit()  # as the code under test does: a savepoint's release
        after = (await session.execute(text(f"SELECT written_by FROM {table}"))).scalars()
        assert list(after) == [test]
