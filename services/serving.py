"""What a serving process sets up around its app: the factories `score up` and `score serve`
hand to uvicorn, one per process (``ServiceEntry.process_factory``).

The app factories (``services.<name>.app:create_app``) stay free of process-wide settings:
tests build many apps in one process. A process that serves one app for days tunes Python's
cyclic garbage collector for that life:

- The first generation's threshold goes from 700 to ``YOUNG_GENERATION_THRESHOLD``. A single
  GraphQL list request keeps more than 700 container objects alive while it runs, so at the
  default every request triggered collections that found nothing to free and promoted its
  live objects, and the promoted objects soon triggered full collections rescanning the whole
  heap (~100 ms each in the enrolment service). Measured with `benchmarks.layers`' GraphQL
  list through a `gc.callbacks` probe: 0.22 ms of the enrolment service's CPU per request went
  to the collector, and a full collection landing in a short measurement moved its CPU per
  request by a quarter. At 10,000 the collector's share fell to ~0.01 ms per request; garbage
  with cycles is still collected, in batches of at most that many young objects.
- Once started, everything alive (modules, routes, the schema, the graph) moves to the
  permanent generation (``gc.freeze``): it lives as long as the process, and a full
  collection then walks only what requests left behind instead of those ~200,000 objects.
"""

import gc
import importlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

YOUNG_GENERATION_THRESHOLD = 10_000


def tune_collector() -> None:
    """The young generation's threshold for a long-lived serving process (see above)."""
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD)


def frozen_once_started(app: FastAPI) -> FastAPI:
    """``app``, its start-up heap frozen once its own start-up (its lifespan) has run."""
    starting = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:  # the app's state, if any
        async with starting(app) as state:
            # Collected first: garbage from start-up must not be frozen for good.
            gc.collect()
            gc.freeze()
            yield state

    app.router.lifespan_context = lifespan
    return app


def _process(module: str) -> FastAPI:
    # Tuned before the service is imported: the import builds most of the start-up heap, and
    # at the default threshold the collector walked it over and over as it grew (about 0.3 s
    # of CPU per process, while four processes start on two cores).
    tune_collector()
    create_app: Callable[[], FastAPI] = importlib.import_module(module).create_app
    return frozen_once_started(create_app())


# uvicorn --factory entries: each process imports only its own service.


def enrolment() -> FastAPI:
    return _process("services.enrolment.app")


def indicators() -> FastAPI:
    return _process("services.indicators.app")


def reporting() -> FastAPI:
    return _process("services.reporting.app")


def gateway() -> FastAPI:
    return _process("services.gateway.app")
