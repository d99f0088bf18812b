"""A serving process tunes the garbage collector around its app (services/serving.py): the
young generation's threshold raised before the service is even imported, the start-up heap
frozen once the app's own start-up has run, and the app's own lifespan kept whole."""

import asyncio
import gc
import importlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI

from services import serving
from services.registry import SERVICES, ServiceEntry
from tests import tuned_gc
from tests.deploy.test_manifests import app_of


@pytest.fixture
def thresholds_restored() -> Iterator[None]:
    """The test process's collector thresholds as they were: these tests change them
    process-wide."""
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)


@pytest.fixture
def collector_restored(thresholds_restored: None) -> Iterator[None]:
    """The test process's collector as it was, for a test that thaws or freezes: a worker
    froze its imported code (tests/tuned_gc.py): frozen again, or every later full
    collection of the worker would rescan it. (Refreezing collects the whole heap, a second
    or more in a worker late in the suite: tests that only set thresholds skip it.)"""
    was_frozen = gc.get_freeze_count() > 0
    yield
    gc.unfreeze()
    if was_frozen:
        tuned_gc.freeze_what_lives()


class Survivor:
    """An object with a reference cycle, so only the cyclic collector could free it."""

    def __init__(self) -> None:
        self.me = self


def test_tuning_raises_only_the_young_generation_threshold(thresholds_restored: None) -> None:
    gc.set_threshold(700, 10, 10)
    serving.tune_collector()
    assert gc.get_threshold() == (serving.YOUNG_GENERATION_THRESHOLD, 10, 10)


def test_the_start_up_heap_is_frozen_after_the_apps_own_start_up(
    collector_restored: None,
) -> None:
    happened: list[str] = []
    made_at_start_up: list[Survivor] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
        made_at_start_up.append(Survivor())
        happened.append("start")
        yield {"state": "kept"}
        happened.append("stop")

    app = serving.frozen_once_started(FastAPI(lifespan=lifespan))
    gc.unfreeze()
    frozen_before = gc.get_freeze_count()

    async def run() -> None:
        async with app.router.lifespan_context(app) as state:
            assert happened == ["start"]
            assert state == {"state": "kept"}
            # What the app made while starting is frozen, not rescanned by every collection.
            assert gc.get_freeze_count() > frozen_before
            assert not any(obj is made_at_start_up[0] for obj in gc.get_objects())
        assert happened == ["start", "stop"]

    asyncio.run(run())


def test_start_up_garbage_is_collected_not_frozen(collector_restored: None) -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        Survivor()  # garbage at once, freeable only by the cyclic collector
        yield

    app = serving.frozen_once_started(FastAPI(lifespan=lifespan))
    gc.unfreeze()
    gc.collect()

    async def run() -> None:
        async with app.router.lifespan_context(app):
            gc.unfreeze()  # gc.get_objects lists the permanent generation only once thawed
            assert not any(isinstance(obj, Survivor) for obj in gc.get_objects())

    asyncio.run(run())


def paths(app: FastAPI) -> list[str]:
    return sorted(getattr(route, "path", "") for route in app.routes)


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service.name)
def test_each_process_serves_its_services_app(
    service: ServiceEntry, thresholds_restored: None
) -> None:
    gc.set_threshold(700, 10, 10)
    module, factory = service.process_factory.split(":")
    served = getattr(importlib.import_module(module), factory)()
    assert gc.get_threshold()[0] == serving.YOUNG_GENERATION_THRESHOLD
    assert isinstance(served, FastAPI)
    assert served.title == app_of(service).title
    assert paths(served) == paths(app_of(service))
