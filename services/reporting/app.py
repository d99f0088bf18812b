"""The reporting service: read models built from enrolment's and indicators' events; reach,
impact, targets versus actuals, supplier status for lead buyers, and exports."""

import asyncio
from collections.abc import Mapping

import httpx
from fastapi import FastAPI

from services.reporting.db import changes
from services.reporting.exports.router import router as exports_router
from services.reporting.feed.router import router as feed_router
from services.reporting.graphql.schema import router as graphql_router
from services.reporting.impact.router import router as impact_router
from services.reporting.reach.router import router as reach_router
from services.reporting.readmodels.consumers import Feed, feed_consumer, feeds
from services.reporting.readmodels.router import router as readmodels_router
from services.reporting.settings import ReportingSettings
from services.reporting.suppliers.router import router as suppliers_router
from services.reporting.targets.router import router as targets_router
from services.reporting.webhooks.delivery import webhook_delivery
from services.reporting.webhooks.router import router as webhooks_router
from shared.db import Database
from shared.service_app import BackgroundWork, create_service_app


def _consume(feed: Feed, settings: ReportingSettings) -> BackgroundWork:
    async def consume(app: FastAPI, stop: asyncio.Event) -> None:
        consumer = feed_consumer(
            feed,
            settings=settings,
            database=app.state.database,
            http=app.state.feed_clients.get(feed.source),
        )
        app.state.consumers[feed.consumer] = consumer
        try:
            await consumer.run_forever(stop)
        finally:
            app.state.consumers.pop(feed.consumer, None)

    return consume


def create_app(
    settings: ReportingSettings | None = None,
    database: Database | None = None,
    *,
    feed_clients: Mapping[str, httpx.AsyncClient] | None = None,
) -> FastAPI:
    """``feed_clients`` (by producing service) replace plain HTTP to the feeds, for tests."""
    settings = settings or ReportingSettings()
    sources = feeds(settings)
    app = create_service_app(
        title="SCORE reporting",
        description=(
            "Reach, impact (baseline versus endline), targets versus actuals, supplier status "
            "for lead buyers and exports, computed on read models built from the enrolment "
            "and indicators event feeds."
        ),
        settings=settings,
        changes=changes,
        routers=[
            readmodels_router,
            reach_router,
            impact_router,
            targets_router,
            suppliers_router,
            exports_router,
            feed_router,
            webhooks_router,
        ],
        subgraph=graphql_router,
        database=database,
        # One long-polling consumer per feed keeps the read models within a second or so.
        background=[
            *([_consume(feed, settings) for feed in sources] if settings.consume_feeds else []),
            # Webhook delivery runs here, next to the consumers that publish the events.
            *([webhook_delivery(settings)] if settings.deliver_webhooks else []),
        ],
    )
    app.state.feeds = sources
    app.state.feed_clients = dict(feed_clients or {})
    app.state.consumers = {}
    return app
