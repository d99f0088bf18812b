"""The reporting ``story`` told once per test module instead of once per test, for the
modules whose story tests only stand on it: a module imports both fixtures here (``story``
then overrides the per-test one in tests/reporting/fixtures.py) and each of its story tests
runs in a savepoint of the baseline's transactions, rolled back after it."""

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Baseline, BaselineGround
from tests.indicators.baseline import BaselineParts, module_baseline
from tests.indicators.fixtures import build_indicators_world
from tests.reporting.fixtures import Story, sync_reporting, tell_story


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


async def _projected_story(parts: BaselineParts) -> Story:
    story = await _story(parts)
    await sync_reporting(parts.enrolment_api, parts.indicators_api, parts.reporting_session)
    return story


@pytest.fixture(scope="module")
async def projected_story_baseline(
    baseline_ground: BaselineGround,
) -> AsyncIterator[Baseline[Story]]:
    """The story as ``story_baseline`` tells it, and reporting's read models projected from
    it once by the same consumers, for a module whose tests read what the projection made:
    each test's own ``sync_reporting`` then finds the story applied and projects only what
    the test wrote itself."""
    async for baseline in module_baseline(_projected_story, baseline_ground):
        yield baseline


__all__ = ["projected_story_baseline", "story", "story_baseline"]
