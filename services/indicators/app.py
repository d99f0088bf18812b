"""The indicators service: catalogue, captured values with review and audit, imports,
Enterprise Improvement Teams, improvement projects and satisfaction."""

import asyncio

from fastapi import FastAPI

from services.indicators.business_cases.router import router as business_cases_router
from services.indicators.catalogue.router import router as catalogue_router
from services.indicators.db import changes, plumbing
from services.indicators.graphql.schema import router as graphql_router
from services.indicators.imports.router import router as imports_router
from services.indicators.improvement_plans.router import router as plans_router
from services.indicators.improvement_projects.router import router as improvement_projects_router
from services.indicators.replica.consumer import CONSUMER_NAME, apply_enrolment_event
from services.indicators.replica.router import router as replica_router
from services.indicators.review_policies.router import router as review_policies_router
from services.indicators.rounds.router import router as rounds_router
from services.indicators.satisfaction.router import router as satisfaction_router
from services.indicators.settings import IndicatorsSettings
from services.indicators.suggestions.router import router as suggestions_router
from services.indicators.teams.router import router as teams_router
from services.indicators.values.router import router as values_router
from shared.consumer import FeedConsumer
from shared.db import Database
from shared.feeds import feed_token
from shared.service_app import create_service_app


def enrolment_consumer(app: FastAPI, settings: IndicatorsSettings) -> FeedConsumer:
    return FeedConsumer(
        name=CONSUMER_NAME,
        feed_url=f"{settings.enrolment_url.rstrip('/')}/events",
        database=app.state.database,
        plumbing=plumbing,
        handler=apply_enrolment_event,
        token=lambda: feed_token(settings, producer="enrolment"),
    )


def create_app(
    settings: IndicatorsSettings | None = None, database: Database | None = None
) -> FastAPI:
    settings = settings or IndicatorsSettings()

    async def consume_enrolment(app: FastAPI, stop: asyncio.Event) -> None:
        consumer = enrolment_consumer(app, settings)
        app.state.enrolment_consumer = consumer
        await consumer.run_forever(stop)

    return create_service_app(
        title="SCORE indicators",
        description=(
            "The indicator catalogue, baseline / endline / monthly values with validation, "
            "review and audit, bulk import and export, Enterprise Improvement Teams, "
            "improvement projects and satisfaction surveys."
        ),
        settings=settings,
        changes=changes,
        routers=[
            catalogue_router,
            rounds_router,
            values_router,
            review_policies_router,
            imports_router,
            teams_router,
            improvement_projects_router,
            satisfaction_router,
            suggestions_router,
            plans_router,
            business_cases_router,
            replica_router,
        ],
        subgraph=graphql_router,
        database=database,
        background=[consume_enrolment] if settings.consume_enrolment else [],
    )
