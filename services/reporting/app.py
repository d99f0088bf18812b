"""The reporting service: read models built from enrolment's and indicators' events; reach,
impact, targets versus actuals, supplier status for lead buyers, and exports."""

from fastapi import FastAPI

from services.reporting.db import changes
from services.reporting.exports.router import router as exports_router
from services.reporting.graphql.schema import router as graphql_router
from services.reporting.impact.router import router as impact_router
from services.reporting.reach.router import router as reach_router
from services.reporting.readmodels.router import router as readmodels_router
from services.reporting.settings import ReportingSettings
from services.reporting.suppliers.router import router as suppliers_router
from services.reporting.targets.router import router as targets_router
from shared.db import Database
from shared.service_app import create_service_app


def create_app(
    settings: ReportingSettings | None = None, database: Database | None = None
) -> FastAPI:
    settings = settings or ReportingSettings()
    return create_service_app(
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
            graphql_router,
        ],
        database=database,
        background=[],  # the feed consumers are added by readmodels work
    )
