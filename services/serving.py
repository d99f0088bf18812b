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
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

YOUNG_GENERATION_THRESHOLD = 10_000


def serving(app: FastAPI) -> FastAPI:
    """``app`` as its own process serves it: the collector tuned now, and the start-up heap
    frozen once the app's own start-up (its lifespan) has run."""
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD)
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


# uvicorn --factory entries, imported by name so a process imports only its own service.


def enrolment() -> FastAPI:
    from services.enrolment.app import create_app

    return serving(create_app())


def indicators() -> FastAPI:
    from services.indicators.app import create_app

    return serving(create_app())


def reporting() -> FastAPI:
    from services.reporting.app import create_app

    return serving(create_app())


def gateway() -> FastAPI:
    from services.gateway.app import create_app

    return serving(create_app())
