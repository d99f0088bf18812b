"""The reporting ``story`` told once per test module instead of once per test, for the
modules whose story tests only stand on it: a module imports both fixtures here (``story``
then overrides the per-test one in tests/reporting/fixtures.py) and each of its story tests
runs in a savepoint of the baseline's transactions, rolled back after it."""

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Baseline, BaselineGround
from tests.indicators.baseline import BaselineParts, module_baseline
from tests.indicators.fixtures import build_indicators_world
from tests.reporting.fixtures import Story, tell_story


async def _story(parts: BaselineParts) -> Story:
    measured = await build_indicators_world(
        parts.enrolment_api, parts.world, parts.enrolment_session, parts.indicators_session
    )
    return await tell_story(
        parts.enrolment_api,
        parts.indicators_api,
        measured,
        parts.enrolment_session,
        parts.indicators_session,
    )


@pytest.fixture(scope="module")
async def story_baseline(
    baseline_ground: BaselineGround,
) -> AsyncIterator[Baseline[Story]]:
    """The tenants, their four enterprises and the story told about them through the same
    APIs, services and consumer as the per-test fixture; reporting's read models are left
    empty, as the per-test story leaves them, for each test to project."""
    async for baseline in module_baseline(_story, baseline_ground):
        yield baseline


@pytest.fixture
def story(story_baseline: Baseline[Story]) -> Story:
    return story_baseline.data


__all__ = ["story", "story_baseline"]
